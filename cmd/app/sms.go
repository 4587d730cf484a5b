package app

import (
	"context"
	"log/slog"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/campaigns"
)

// SMSSender is the SMS gateway as the daemon's sms campaigns use it: send
// one message, learn whether the gateway accepted it (sent), refused it
// (failed) or its screening stopped it (blocked), with its message id.
type SMSSender = dialer.SMSSender

// smsSender is the SMS gateway the daemon's sms campaigns send through:
// Config.SMS when set, else none (an sms campaign then gets no runner and
// the log says so; it is sent once a gateway is configured and the daemon
// restarted). The messaging service plugs in here: its SendSMS adapted to
// dialer.SMS (Source {Kind "campaign", ID CampaignID, Ref}) and its
// Message's Status, ID and Reason to dialer.SMSResult.
func smsSender(cfg Config) SMSSender {
	if cfg.SMS != nil {
		return cfg.SMS
	}
	return nil
}

// campaignSMSStatus is the delivery-report hook of sms campaigns: the
// messaging service's status changes of messages whose source is a
// campaign go to the campaign service, which marks a record failed when
// its message failed after the gateway took it. Wire it from the
// messaging service's OnStatus (Message.AccountID, Source.ID, Source.Ref,
// Status, Reason).
func campaignSMSStatus(camps *campaigns.Service, log *slog.Logger) func(context.Context, campaigns.SMSDelivery) {
	return func(ctx context.Context, d campaigns.SMSDelivery) {
		if _, err := camps.SMSStatus(ctx, d); err != nil {
			log.Warn("sms delivery report not applied", "account", d.AccountID, "campaign", d.CampaignID, "ref", d.Ref,
				"status", d.Status, "error", err)
		}
	}
}
