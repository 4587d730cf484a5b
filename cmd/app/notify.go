package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/api/notifyapi"
	"github.com/switchyard/switchyard/mail/compose"
	"github.com/switchyard/switchyard/notify"
	"github.com/switchyard/switchyard/reports/emailreports"
)

// startNotify builds Emergency Notification: the address book, labels
// and sending (voice through the call-list intake, so the flow's dialing
// settings dial it; SMS and email through the messaging service) and
// serves its API. Its worker runs with the background jobs (runNotify).
func (a *App) startNotify(sender emailreports.SMTPSender) {
	a.notify = notify.New(notify.Config{Store: a.store, Calls: a.intake, Node: a.cfg.NodeName,
		Messages: a.notifyMessages(sender), Logger: a.log})
	notifyapi.Register(a.http.API(), notifyapi.Deps{Service: a.notify, Store: a.store})
}

// Notify is the Emergency Notification service (tests).
func (a *App) Notify() *notify.Service { return a.notify }

// runNotify sends stored notifications until ctx ends.
func (a *App) runNotify(ctx context.Context) {
	if err := a.notify.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Error("notification sender stopped", "error", err)
	}
}

// notifyMessages is how notifications send SMS and email. Until the
// messaging service (SMS gateway, blacklist screening, delivery reports)
// is wired here, emails go straight to the outbound relay and SMS are
// refused with a clear reason.
func (a *App) notifyMessages(sender emailreports.SMTPSender) notify.Messenger {
	from := a.cfg.MailSender()
	return notify.FuncMessenger{
		SMS: func(context.Context, notify.SMS) (notify.Message, error) {
			return notify.Message{}, switchyard.Unavailable("no SMS gateway is configured on this server")
		},
		Email: func(ctx context.Context, m notify.Email) (notify.Message, error) {
			env, msg := compose.Plain(from, strings.Join(m.To, ", "), m.Subject, m.Text, time.Now())
			if err := sender.Send(ctx, env, m.To, msg); err != nil {
				return notify.Message{}, fmt.Errorf("notification email: %w", err)
			}
			return notify.Message{Status: "sent"}, nil
		},
	}
}
