package accounts

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"time"
)

// mail sends a plain-text mail to one address (nothing without a Mailer).
func (s *Service) mail(ctx context.Context, to, subject, body string) error {
	if s.cfg.Mailer == nil {
		s.log.WarnContext(ctx, "no mail relay: mail not sent", "subject", subject)
		return nil
	}
	from := s.cfg.From
	if from == "" {
		from = "noreply@localhost"
	}
	envFrom := from
	if a, err := mail.ParseAddress(from); err == nil {
		envFrom = a.Address
	}
	var b bytes.Buffer
	var id [12]byte
	_, _ = rand.Read(id[:])
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@switchyard>\r\nMIME-Version: 1.0\r\n"+
		"Auto-Submitted: auto-generated\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
		from, to, mime.QEncoding.Encode("utf-8", subject), s.cfg.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(id[:]))
	qp := quotedprintable.NewWriter(&b)
	_, _ = io.WriteString(qp, body)
	_ = qp.Close()
	if err := s.cfg.Mailer.Send(ctx, envFrom, []string{to}, b.Bytes()); err != nil {
		return fmt.Errorf("accounts: mail %q: %w", subject, err)
	}
	return nil
}

// mailLater sends a mail in the background (the caller's answer does not
// wait for the relay); failures are logged.
func (s *Service) mailLater(ctx context.Context, to, subject, body string) {
	s.mails.Add(1)
	go func() {
		defer s.mails.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := s.mail(ctx, to, subject, body); err != nil {
			s.log.ErrorContext(ctx, "mail not sent", "err", err)
		}
	}()
}
