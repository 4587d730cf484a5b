package app

import (
	"context"

	"github.com/switchyard/switchyard/dialer/campaigns"
)

// SMSDeliveryReport hands the daemon a delivery report on an sms
// campaign's message, as the messaging service's status hook does.
func (a *App) SMSDeliveryReport(ctx context.Context, d campaigns.SMSDelivery) { a.smsStatus(ctx, d) }
