package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/mail/compose"
)

// mail sends a plain-text mail to one address (nothing without a Mailer).
func (s *Service) mail(ctx context.Context, to, subject, body string) error {
	if s.cfg.Mailer == nil {
		s.log.WarnContext(ctx, "no mail relay: mail not sent", "subject", subject)
		return nil
	}
	envFrom, msg := compose.Plain(s.cfg.From, to, subject, body, s.cfg.Now())
	if err := s.cfg.Mailer.Send(ctx, envFrom, []string{to}, msg); err != nil {
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
