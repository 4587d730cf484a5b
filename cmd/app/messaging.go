package app

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/api/messagingapi"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/messaging/kannel"
)

// startMessaging builds the SMS and email service: SMS through Kannel when
// SWITCHYARD_KANNEL_URL is set (its delivery reports come back to
// /sms/dlr), email through the outbound relay; the flows' sms and email
// widgets send through it and the message log is served.
func (a *App) startMessaging(mailer messaging.Mailer) {
	cfg := messaging.Config{Store: a.store, Mail: mailer, From: a.cfg.MailSender(),
		Logger: a.log.With("component", "messaging")}
	if a.cfg.KannelURL != "" {
		cfg.SMS = &kannel.Client{URL: a.cfg.KannelURL, Username: a.cfg.KannelUser, Password: a.cfg.KannelPassword, From: a.cfg.SMSFrom}
		cfg.ReportURL = a.cfg.SMSReportURL
		if cfg.ReportURL == "" {
			// The public URL, else the HTTP address (a wildcard address as
			// loopback: Kannel on this host).
			cfg.ReportURL = a.consoleBase() + messaging.ReportPath
		}
	}
	a.messaging = messaging.New(cfg)
	// Messages a stopped service left half-sent are failed, not sent
	// again (the gateway may have taken them); a send takes well under
	// this, so another node's sends in progress are left alone.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	if n, err := a.store.FailInterruptedMessages(ctx, time.Now().Add(-10*time.Minute), messaging.ReasonInterrupted); err != nil {
		a.log.Warn("messages left sending by a stopped service", "error", err)
	} else if n > 0 {
		a.log.Info("messages left sending by a stopped service marked failed", "messages", n)
	}
	cancel()
	a.flows.Messages = flowMessages{a.messaging}
	d := messagingapi.Deps{Store: a.store, Reports: a.messaging.ReportHandler()}
	messagingapi.Register(a.http.API(), d)
	messagingapi.RegisterReports(a.http.Echo(), d)
}

// Messaging is the SMS and email service.
func (a *App) Messaging() *messaging.Service { return a.messaging }

// flowMessages sends the flows' messages through the messaging service,
// recorded as sent by the flow for the call's attempt.
type flowMessages struct{ s *messaging.Service }

func (f flowMessages) SendSMS(ctx context.Context, m flows.OutgoingSMS) (flows.SentMessage, error) {
	out, err := f.s.SendSMS(ctx, messaging.SMS{AccountID: m.AccountID, To: m.To, Text: m.Text,
		Source: messaging.Source{Kind: messaging.SourceFlow, ID: m.FlowID, Ref: m.Ref}})
	return flows.SentMessage{ID: out.ID, Status: out.Status, Reason: out.Reason}, err
}

func (f flowMessages) SendEmail(ctx context.Context, m flows.OutgoingEmail) (flows.SentMessage, error) {
	out, err := f.s.SendEmail(ctx, messaging.Email{AccountID: m.AccountID, To: m.To, Subject: m.Subject, Text: m.Text,
		Source: messaging.Source{Kind: messaging.SourceFlow, ID: m.FlowID, Ref: m.Ref}})
	return flows.SentMessage{ID: out.ID, Status: out.Status, Reason: out.Reason}, err
}
