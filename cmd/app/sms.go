package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/campaigns"
	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/notify"
)

// SMSSender is the SMS gateway as the daemon's sms campaigns use it: send
// one message, learn whether the gateway accepted it (sent), refused it
// (failed) or its screening stopped it (blocked), with its message id.
type SMSSender = dialer.SMSSender

// campaignSMSSender is the SMS gateway the daemon's sms campaigns send
// through: Config.SMS when set, else the messaging service when Kannel is
// configured, else none (an sms campaign then gets no runner and the log
// says so; it is sent once a gateway is configured and the daemon
// restarted).
func (a *App) campaignSMSSender(cfg Config) SMSSender {
	switch {
	case cfg.SMS != nil:
		return cfg.SMS
	case cfg.KannelURL != "":
		return campaignSMS{a}
	}
	return nil
}

// noSMS says why sms campaigns cannot be sent when this server has no
// SMS gateway ("" when it has one).
func noSMS(cfg Config) string {
	if cfg.SMS != nil || cfg.KannelURL != "" {
		return ""
	}
	return "this server sends no SMS: the operator sets SWITCHYARD_KANNEL_URL (Kannel's sendsms URL) to turn SMS on"
}

// campaignSMS sends an sms campaign's messages through the messaging
// service (built after the dialer, before anything runs), recorded as the
// campaign's with the record's attempt as their reference, which delivery
// reports carry back (messageStatus).
type campaignSMS struct{ a *App }

func (c campaignSMS) SendSMS(ctx context.Context, m dialer.SMS) (dialer.SMSResult, error) {
	out, err := c.a.messaging.SendSMS(ctx, messaging.SMS{AccountID: m.AccountID, To: m.To, Text: m.Text,
		Source: messaging.Source{Kind: messaging.SourceCampaign, ID: m.CampaignID, Ref: m.Ref}})
	return dialer.SMSResult{Status: out.Status, MessageID: out.ID, Reason: out.Reason, Unsure: messaging.Unsure(out)}, err
}

// notifyMessenger sends Emergency Notification's SMS and email through the
// messaging service (gateway, blacklist and DNC screening, the email
// blacklist, delivery reports), recorded as the notification's with the
// delivery as their reference.
type notifyMessenger struct{ a *App }

func (n notifyMessenger) SendSMS(ctx context.Context, m notify.SMS) (notify.Message, error) {
	out, err := n.a.messaging.SendSMS(ctx, messaging.SMS{AccountID: m.AccountID, To: m.To, Text: m.Text,
		Source: messaging.Source{Kind: messaging.SourceNotification, ID: m.NotificationID, Ref: notify.DeliveryRef(m.DeliveryID)}})
	return notify.Message{ID: out.ID, Status: out.Status, Reason: out.Reason}, err
}

func (n notifyMessenger) SendEmail(ctx context.Context, m notify.Email) (notify.Message, error) {
	out, err := n.a.messaging.SendEmail(ctx, messaging.Email{AccountID: m.AccountID, To: m.To, Subject: m.Subject, Text: m.Text,
		Source: messaging.Source{Kind: messaging.SourceNotification, ID: m.NotificationID, Ref: notify.DeliveryRef(m.DeliveryID)}})
	return notify.Message{ID: out.ID, Status: out.Status, Reason: out.Reason}, err
}

// messageStatus takes a message's delivery report to what sent it: an sms
// campaign's record, or a notification's delivery (a flow's messages are
// only in the message log).
func (a *App) messageStatus(m messaging.Message) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	switch m.Source.Kind {
	case messaging.SourceCampaign:
		a.smsStatus(ctx, campaigns.SMSDelivery{AccountID: m.AccountID, CampaignID: m.Source.ID, Ref: m.Source.Ref,
			Status: m.Status, Reason: m.Reason})
	case messaging.SourceNotification:
		if err := a.notify.MessageStatus(ctx, m.AccountID, m.Channel, m.ID, m.Source.Ref, m.Status, m.Reason); err != nil {
			a.log.Warn("notification delivery report not applied", "account", m.AccountID, "notification", m.Source.ID,
				"message", m.ID, "status", m.Status, "error", err)
		}
	}
}

// campaignSMSStatus is the delivery-report hook of sms campaigns: the
// messaging service's status changes of messages whose source is a
// campaign go to the campaign service, which marks a record failed when
// its message failed after the gateway took it.
func campaignSMSStatus(camps *campaigns.Service, log *slog.Logger) func(context.Context, campaigns.SMSDelivery) {
	return func(ctx context.Context, d campaigns.SMSDelivery) {
		if _, err := camps.SMSStatus(ctx, d); err != nil {
			log.Warn("sms delivery report not applied", "account", d.AccountID, "campaign", d.CampaignID, "ref", d.Ref,
				"status", d.Status, "error", err)
		}
	}
}
