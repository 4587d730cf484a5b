package campaigns

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// SMSDelivery is a delivery report on a message an sms campaign sent (the
// messaging service's status change of a message whose source is the
// campaign: its account, the campaign id and the message's reference).
type SMSDelivery struct {
	AccountID  int64
	CampaignID int64
	// Ref is the reference the campaign gave the message (dialer.SMSRef).
	Ref string
	// Status is the message's new status: "failed", "delivered", "sent".
	Status string
	Reason string
}

// SMSStatus applies a delivery report to the record the message was sent
// for: a message the gateway later reports failed makes its attempt and
// its record failed; a delivered (or sent) report makes an attempt whose
// outcome a restart lost sent. Other reports change nothing. It reports
// whether anything changed; a report for no sms campaign of the account
// is a not-found error.
func (s *Service) SMSStatus(ctx context.Context, d SMSDelivery) (bool, error) {
	recordID, attempt, err := dialer.ParseSMSRef(d.Ref)
	if err != nil {
		return false, switchyard.Invalid("ref", "%v", err)
	}
	c, err := s.own(ctx, d.AccountID, d.CampaignID)
	if err != nil {
		return false, err
	}
	if !c.IsSMS() {
		return false, switchyard.Invalid("campaign", "campaign %d is not an sms campaign", d.CampaignID)
	}
	changed, err := s.c.Store.UpdateSMSDelivery(ctx, store.SMSDelivery{
		AccountID: d.AccountID, AttemptID: dialer.AttemptID(d.AccountID, recordID, attempt), RecordID: recordID,
		Status: d.Status, Reason: d.Reason, UnknownReason: dialer.SMSUnknownReason,
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("campaign %d sent no sms %s: %w", d.CampaignID, d.Ref, switchyard.ErrNotFound)
	}
	if err != nil {
		return false, err
	}
	if changed {
		s.log.Info("sms delivery report changed a record", "campaign", d.CampaignID, "account", d.AccountID, "ref", d.Ref, "status", d.Status)
	}
	return changed, nil
}
