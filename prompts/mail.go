package prompts

import (
	"context"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/switchyard/switchyard/mail/compose"
	"github.com/switchyard/switchyard/store"
)

// mailUploaded tells the account (the uploader and the account's owner)
// that the prompt was uploaded and submitted for approval, and the
// operators that a prompt waits for their decision.
func (s *Service) mailUploaded(ctx context.Context, actor Actor, p store.Prompt) {
	acct := fmt.Sprintf("account %d", p.AccountID)
	if a, err := s.cfg.Store.GetAccount(ctx, p.AccountID); err == nil {
		acct = fmt.Sprintf("%q (id %d)", a.Name, a.ID)
	}
	subject := fmt.Sprintf("Prompt %q uploaded and submitted for approval", p.Name)
	body := fmt.Sprintf("Your prompt %q (%.1f s) has been uploaded and submitted for approval. Its status is pending until "+
		"the support team approves it; once approved, you can play it in your flows as prompt:%s.\n\n%s/#/prompts\n",
		p.Name, float64(p.DurationMS)/1000, p.Name, s.cfg.PublicURL)
	for _, to := range s.accountRecipients(ctx, p.AccountID, actor.Email) {
		s.mailLater(ctx, to, subject, body)
	}
	ops, err := s.cfg.Store.OperatorEmails(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "operators not mailed about a prompt to approve", "prompt_id", p.ID, "err", err)
	}
	opBody := fmt.Sprintf("Account %s submitted the prompt %q (%.1f s, %s) for approval.\n\nListen to it and approve or reject it in the console: %s/#/operator/prompts\n",
		acct, p.Name, float64(p.DurationMS)/1000, p.Source, s.cfg.PublicURL)
	for _, to := range ops {
		s.mailLater(ctx, to, "Prompt to approve: "+p.Name, opBody)
	}
}

// mailDecided tells the account the operator's decision.
func (s *Service) mailDecided(ctx context.Context, p store.Prompt) {
	subject := fmt.Sprintf("Prompt %q approved", p.Name)
	body := fmt.Sprintf("The support team approved your prompt %q. You can play it in your flows now as prompt:%s.\n\n%s/#/prompts\n",
		p.Name, p.Name, s.cfg.PublicURL)
	if p.Status == store.PromptRejected {
		subject = fmt.Sprintf("Prompt %q rejected", p.Name)
		body = fmt.Sprintf("The support team rejected your prompt %q; it will not play in flows.\n\nReason: %s\n\n"+
			"Upload or record a new prompt to submit it again:\n%s/#/prompts\n", p.Name, p.Reason, s.cfg.PublicURL)
	}
	creator := ""
	if _, err := mail.ParseAddress(p.CreatedBy); err == nil {
		creator = p.CreatedBy
	}
	for _, to := range s.accountRecipients(ctx, p.AccountID, creator) {
		s.mailLater(ctx, to, subject, body)
	}
}

// accountRecipients is who hears about an account's prompt: the user who
// added it and the account's owner, each once.
func (s *Service) accountRecipients(ctx context.Context, accountID int64, user string) []string {
	var to []string
	if user != "" {
		to = append(to, user)
	}
	owners, err := s.cfg.Store.AccountOwnerEmails(ctx, accountID)
	if err != nil {
		s.log.ErrorContext(ctx, "account owner not mailed about a prompt", "account_id", accountID, "err", err)
	}
	if len(owners) > 0 && !slices.ContainsFunc(to, func(a string) bool { return strings.EqualFold(a, owners[0]) }) {
		to = append(to, owners[0])
	}
	return to
}

// mailLater sends a plain-text mail in the background (the caller's
// answer does not wait for the relay); failures are logged.
func (s *Service) mailLater(ctx context.Context, to, subject, body string) {
	if s.cfg.Mailer == nil {
		s.log.WarnContext(ctx, "no mail relay: mail not sent", "subject", subject)
		return
	}
	s.mails.Add(1)
	go func() {
		defer s.mails.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := s.send(ctx, to, subject, body); err != nil {
			s.log.ErrorContext(ctx, "mail not sent", "subject", subject, "err", err)
		}
	}()
}

func (s *Service) send(ctx context.Context, to, subject, body string) error {
	envFrom, msg := compose.Plain(s.cfg.From, to, subject, body, s.cfg.Now())
	if err := s.cfg.Mailer.Send(ctx, envFrom, []string{to}, msg); err != nil {
		return fmt.Errorf("prompts: mail %q: %w", subject, err)
	}
	return nil
}
