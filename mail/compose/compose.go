// Package compose writes the plain-text notification mails Switchyard
// sends to people (prompt approvals, invitations, password resets): the
// headers every such mail carries and a quoted-printable UTF-8 body.
package compose

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"time"
)

// DefaultFrom is the sender when none is configured.
const DefaultFrom = "noreply@localhost"

// Plain returns a plain-text mail from from ("" is DefaultFrom; a display
// name is allowed) to one address, dated date, marked auto-generated (so
// auto-responders stay quiet), and the envelope sender: from's bare
// address.
func Plain(from, to, subject, body string, date time.Time) (envelopeFrom string, msg []byte) {
	if from == "" {
		from = DefaultFrom
	}
	envelopeFrom = from
	if a, err := mail.ParseAddress(from); err == nil {
		envelopeFrom = a.Address
	}
	var b bytes.Buffer
	var id [12]byte
	_, _ = rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@switchyard>\r\nMIME-Version: 1.0\r\n"+
		"Auto-Submitted: auto-generated\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
		from, to, mime.QEncoding.Encode("utf-8", subject), date.UTC().Format(time.RFC1123Z), hex.EncodeToString(id[:]))
	qp := quotedprintable.NewWriter(&b)
	// Writes to a bytes.Buffer do not fail.
	_, _ = io.WriteString(qp, body)
	_ = qp.Close()
	return envelopeFrom, b.Bytes()
}
