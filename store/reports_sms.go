package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// ---- the attempts of sms campaigns (the call report's sms rows) ----

// SMS attempt markers: an sms campaign's attempt is a call attempt with
// its sms_number set, no channel and this node name, so no reconciliation
// with Asterisk ever takes it for a call whose channel is gone.
const (
	SMSChannel = "sms"
	SMSNode    = "sms"
)

// SMS statuses the store reads (the dialer's strings).
const (
	smsSent   = "sent"
	smsFailed = "failed"
)

// SMSAttemptStart is an sms campaign's attempt, written before its message
// is sent.
type SMSAttemptStart struct {
	AccountID int64
	// AttemptID is the attempt's deterministic id (dialer.AttemptID); it
	// is also its call's id.
	AttemptID        string
	RequestID        string
	ClientIdentifier string
	CLI              string
	Number           string // the number the message goes to
	Attempt          int    // the record's attempt number
	Variables        map[string]string
}

// StartSMSAttempt records an sms attempt as in progress: its call and its
// attempt row with sms_number (and dnis) set to the number. ErrConflict
// if the attempt exists already (it may have been sent).
func (s *Store) StartSMSAttempt(ctx context.Context, in SMSAttemptStart) (err error) {
	defer s.track("StartSMSAttempt", time.Now(), &err)
	if in.AccountID <= 0 {
		return fmt.Errorf("store: start sms attempt: account id %d: %w", in.AccountID, ErrInvalid)
	}
	id, err := parseID("attempt id", in.AttemptID)
	if err != nil {
		return err
	}
	if in.Attempt < 1 || in.Attempt > 1_000_000 {
		return fmt.Errorf("store: start sms attempt: attempt number %d: %w", in.Attempt, ErrInvalid)
	}
	for _, c := range []struct {
		f, v string
		n    int
	}{{"request id", in.RequestID, maxShort}, {"client identifier", in.ClientIdentifier, maxShort},
		{"cli", in.CLI, maxNumber}, {"number", in.Number, maxNumber}} {
		if err := checkLen(c.f, c.v, c.n); err != nil {
			return err
		}
	}
	if in.Number == "" {
		return fmt.Errorf("store: start sms attempt: no number: %w", ErrInvalid)
	}
	vars, err := encodeVariables(in.Variables)
	if err != nil {
		return err
	}
	t := now()
	var reqID *string
	if in.RequestID != "" {
		reqID = &in.RequestID
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Exec(`INSERT INTO calls (id, account_id, direction, request_id, client_identifier, cli, dnis, status, attempts, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			id, in.AccountID, DirectionOutbound, reqID, in.ClientIdentifier, in.CLI, in.Number, StatusInProgress, in.Attempt, t, t).Error
		if err == nil {
			err = tx.Exec(`INSERT INTO call_attempts (`+attemptColumns+`, sms_number)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', false, ?, 0, 0, '', false, '', '', ?, ?)`,
				id, id, in.AccountID, in.Attempt, SMSChannel, SMSNode, DirectionOutbound, in.CLI, in.Number, StateOpen, StatusInProgress,
				t, vars, in.Number).Error
		}
		switch {
		case err == nil:
			return nil
		case isDuplicate(err):
			return fmt.Errorf("store: sms attempt %s exists: %w", id, ErrConflict)
		case isFKViolation(err):
			return fmt.Errorf("store: start sms attempt: account %d: %w", in.AccountID, ErrNotFound)
		}
		return fmt.Errorf("store: start sms attempt %s: %w", id, err)
	})
}

// FinishSMSAttempt records how an sms attempt ended: status, reason and
// the gateway's message id (variable "sms_message_id"; 0: none). The
// first end wins, as for calls.
func (s *Store) FinishSMSAttempt(ctx context.Context, attemptID, status, reason string, messageID int64) error {
	if reason == "" {
		reason = "sms " + status
	}
	end := AttemptEnd{Status: status, FinishReason: reason}
	if messageID > 0 {
		end.Variables = map[string]string{"sms_message_id": strconv.FormatInt(messageID, 10)}
	}
	_, err := s.FinishAttempt(ctx, attemptID, end)
	return err
}

// SMSDelivery is a delivery report on an sms campaign's message.
type SMSDelivery struct {
	AccountID int64
	AttemptID string
	// RecordID is the call-list record the attempt sent to.
	RecordID int64
	// Status is the report's status: "failed" marks a sent attempt and
	// its record failed; "sent" or "delivered" marks an attempt whose
	// outcome a restart lost (ended failed with UnknownReason) sent.
	Status string
	Reason string
	// UnknownReason is the reason such an attempt ended with.
	UnknownReason string
}

// UpdateSMSDelivery applies a delivery report to an sms attempt and, when
// the attempt is its record's last, to the record's last status. It
// reports whether anything changed; ErrNotFound if the account has no sms
// attempt with that id.
func (s *Store) UpdateSMSDelivery(ctx context.Context, d SMSDelivery) (changed bool, err error) {
	defer s.track("UpdateSMSDelivery", time.Now(), &err)
	id, err := parseID("attempt id", d.AttemptID)
	if err != nil {
		return false, err
	}
	if err := checkLen("reason", d.Reason, maxLong); err != nil {
		return false, err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a Attempt
		if err := tx.Where("id = ? AND account_id = ? AND sms_number <> ''", id, d.AccountID).Take(&a).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: sms attempt %s in account %d: %w", id, d.AccountID, ErrNotFound)
			}
			return fmt.Errorf("store: sms attempt %s: %w", id, err)
		}
		var from, to, reason string
		switch {
		case d.Status == smsFailed && a.Status == smsSent:
			from, to, reason = smsSent, smsFailed, "delivery report: failed"
			if d.Reason != "" {
				reason += ": " + d.Reason
			}
		case (d.Status == smsSent || d.Status == "delivered") && a.Status == smsFailed && d.UnknownReason != "" && a.FinishReason == d.UnknownReason:
			from, to, reason = smsFailed, smsSent, "delivery report: "+d.Status
		default:
			return nil // nothing to change: the first report that changes it wins
		}
		res := tx.Exec(`UPDATE call_attempts SET status = ?, finish_reason = ? WHERE id = ? AND status = ?`, to, reason, id, from)
		if res.Error != nil {
			return fmt.Errorf("store: sms attempt %s: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		changed = true
		if err := tx.Exec(`UPDATE calls SET status = ?, updated_at = ? WHERE id = ? AND status = ?`, to, now(), a.CallID, from).Error; err != nil {
			return fmt.Errorf("store: sms attempt %s: call: %w", id, err)
		}
		// The record, if this attempt is its last and it is final.
		if d.RecordID > 0 {
			if err := tx.Exec(`UPDATE call_list_records SET last_status = ?, reason = ? WHERE id = ? AND account_id = ? AND attempts = ? AND status = ? AND last_status = ?`,
				to, reason, d.RecordID, d.AccountID, a.AttemptNumber, RecordComplete, from).Error; err != nil {
				return fmt.Errorf("store: sms attempt %s: record %d: %w", id, d.RecordID, err)
			}
		}
		return nil
	})
	return changed, err
}
