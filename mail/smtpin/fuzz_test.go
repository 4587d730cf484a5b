package smtpin

import (
	"bytes"
	"net/mail"
	"testing"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/mail/mailtest"
)

// FuzzMailAttachments: any mail either fails to parse with an error or
// yields attachments whose names are plain base names of the allowed
// types; nothing panics.
func FuzzMailAttachments(f *testing.F) {
	f.Add(mailtest.WithAttachments("a@b.test", "c@d.test", "s", mailtest.Attachment{Name: "x.csv", Content: "tel1\n1\n"}))
	f.Add([]byte("Subject: x\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Disposition: attachment; filename=\"../../a.zip\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nPK=00\r\n--B--\r\n"))
	f.Add([]byte("Subject: x\r\n\r\nbody"))
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			return
		}
		var atts []intake.Attachment
		var other []string
		_ = walkMIME(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &atts, &other, 0)
		for _, a := range atts {
			if a.Name == "" || bytes.ContainsAny([]byte(a.Name), "/\\") {
				t.Fatalf("attachment name %q", a.Name)
			}
		}
	})
}
