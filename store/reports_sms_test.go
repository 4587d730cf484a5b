package store

import (
	"errors"
	"testing"

	"github.com/google/uuid"
)

// TestSMSAttempts: an sms attempt is recorded once (a second start of the
// same attempt is a conflict, so it is never sent twice), ended like a
// call's (the first end wins), listed by the call report's SMS filter and
// never by an Asterisk node's open attempts; its delivery reports change
// it only from sent to failed, or from a lost outcome to sent.
func TestSMSAttempts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		id := uuid.NewString()
		in := SMSAttemptStart{AccountID: acc.ID, AttemptID: id, RequestID: "req-1", CLI: "+15559999999", Number: "+15550000001",
			Attempt: 2, Variables: map[string]string{"sms_text": "hi"}}
		for _, bad := range []SMSAttemptStart{
			{AccountID: 0, AttemptID: id, Number: "+1", Attempt: 1},
			{AccountID: acc.ID, AttemptID: "x", Number: "+1", Attempt: 1},
			{AccountID: acc.ID, AttemptID: id, Number: "", Attempt: 1},
			{AccountID: acc.ID, AttemptID: id, Number: "+1", Attempt: 0},
			{AccountID: acc.ID, AttemptID: id, Number: "+1\x00", Attempt: 1},
		} {
			if err := s.StartSMSAttempt(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("start %+v: %v, want ErrInvalid", bad, err)
			}
		}
		if err := s.StartSMSAttempt(ctx, SMSAttemptStart{AccountID: 999999, AttemptID: uuid.NewString(), Number: "+1", Attempt: 1}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
		if err := s.StartSMSAttempt(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := s.StartSMSAttempt(ctx, in); !errors.Is(err, ErrConflict) {
			t.Fatalf("second start: %v, want ErrConflict", err)
		}
		for _, node := range []string{"node-1", "asterisk"} {
			open, err := s.ListOpenAttempts(ctx, node)
			if err != nil {
				t.Fatal(err)
			}
			if len(open) != 0 {
				t.Errorf("node %s lists the sms attempt as its call: %+v", node, open)
			}
		}
		p, err := s.CallReport(ctx, CallReportFilter{AccountID: acc.ID, SMS: "+15550000001"})
		if err != nil || len(p.Rows) != 1 || p.Rows[0].Status != StatusInProgress || p.Rows[0].AttemptNumber != 2 || p.Rows[0].DNIS != "+15550000001" {
			t.Fatalf("report while sending: %+v %v", p.Rows, err)
		}
		if err := s.FinishSMSAttempt(ctx, id, "sent", "", 77); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishSMSAttempt(ctx, id, "failed", "late", 0); err != nil {
			t.Fatal(err)
		}
		a, err := s.GetAttempt(ctx, acc.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != "sent" || a.Variables["sms_message_id"] != "77" || a.Variables["sms_text"] != "hi" || a.EndedAt == nil {
			t.Errorf("ended attempt %+v", a)
		}
		for _, tc := range []struct {
			status, unknown string
			changed         bool
			want            string
		}{
			{"delivered", "", false, "sent"},
			{"failed", "", true, "failed"},
			{"failed", "", false, "failed"},
			{"delivered", "lost", false, "failed"}, // its reason is not the lost outcome's
		} {
			ch, err := s.UpdateSMSDelivery(ctx, SMSDelivery{AccountID: acc.ID, AttemptID: id, Status: tc.status, Reason: "expired", UnknownReason: tc.unknown})
			if err != nil || ch != tc.changed {
				t.Errorf("delivery %s: changed %v %v, want %v", tc.status, ch, err, tc.changed)
			}
			if a, _ := s.GetAttempt(ctx, acc.ID, id); a.Status != tc.want {
				t.Errorf("after %s: %s, want %s", tc.status, a.Status, tc.want)
			}
		}
		// A lost outcome, delivered later, reads sent.
		lost := uuid.NewString()
		in.AttemptID, in.Number = lost, "+15550000002"
		if err := s.StartSMSAttempt(ctx, in); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishSMSAttempt(ctx, lost, "failed", "lost", 0); err != nil {
			t.Fatal(err)
		}
		if ch, err := s.UpdateSMSDelivery(ctx, SMSDelivery{AccountID: acc.ID, AttemptID: lost, Status: "delivered", UnknownReason: "lost"}); err != nil || !ch {
			t.Errorf("lost outcome delivered: %v %v", ch, err)
		}
		if c, err := s.GetCall(ctx, acc.ID, lost); err != nil || c.Status != "sent" {
			t.Errorf("call of the delivered message: %+v %v", c, err)
		}
		// Not an sms attempt, or not the account's.
		other := mustAccount(t, s, "other")
		if _, err := s.UpdateSMSDelivery(ctx, SMSDelivery{AccountID: other.ID, AttemptID: id, Status: "failed"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account: %v", err)
		}
		call, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound, ChannelID: "ch", DNIS: "+15550000003"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.UpdateSMSDelivery(ctx, SMSDelivery{AccountID: acc.ID, AttemptID: call.ID, Status: "failed"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("a call's attempt: %v", err)
		}
	})
}

func TestADSStatusSMS(t *testing.T) {
	for _, tc := range []struct{ record, last, want string }{
		{RecordComplete, "sent", ADSSent}, {RecordComplete, "failed", ADSFailed}, {RecordComplete, "BLOCKED", ADSFailed},
		{RecordPending, "failed", ADSReady}, {RecordInProcess, "", ADSRunning},
	} {
		if got := ADSStatus(tc.record, tc.last); got != tc.want {
			t.Errorf("ADSStatus(%s, %s) = %s, want %s", tc.record, tc.last, got, tc.want)
		}
	}
}
