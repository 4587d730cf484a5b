package store

import (
	"errors"
	"testing"
	"time"
)

// An attempt never placed is discarded (its call too when it was the only
// attempt) and can be started again under the same ID; a finished attempt
// is kept.
func TestDiscardAttempt(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		in := inbound(acc.ID, "c1")
		in.Direction = DirectionOutbound
		a := mustStart(t, s, in)
		if err := s.DiscardAttempt(ctx, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAttempt(ctx, acc.ID, a.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("discarded attempt still there: %v", err)
		}
		var calls int64
		if err := s.w.Model(&Call{}).Where("id = ?", a.CallID).Count(&calls).Error; err != nil {
			t.Fatal(err)
		}
		if calls != 0 {
			t.Errorf("the call of a discarded only attempt is kept")
		}
		if err := s.DiscardAttempt(ctx, a.ID); err != nil {
			t.Errorf("second discard: %v", err)
		}
		in.AttemptID, in.CallID = a.ID, a.CallID
		again := mustStart(t, s, in)
		if again.ID != a.ID || again.AttemptNumber != 1 {
			t.Errorf("restarted attempt %+v, want the same ID as attempt 1", again)
		}
		if _, err := s.FinishAttempt(ctx, again.ID, finish("ANSWERED")); err != nil {
			t.Fatal(err)
		}
		if err := s.DiscardAttempt(ctx, again.ID); !errors.Is(err, ErrConflict) {
			t.Errorf("discard of a finished attempt = %v, want ErrConflict", err)
		}
	})
}

// The answer time is written at answer; a reconciled close of that attempt
// (crash, outage) records it answered, not failed.
func TestFinishAttemptIfAnswered(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		reconciled := AttemptEnd{Status: "FAILED", IfAnswered: "ANSWERED", FinishReason: "reconciled: channel gone while Switchyard was not connected"}
		ans := mustStart(t, s, inbound(acc.ID, "c1"))
		if err := s.AnswerAttempt(ctx, ans.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		got, err := s.FinishAttempt(ctx, ans.ID, reconciled)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "ANSWERED" || got.AnsweredAt == nil {
			t.Errorf("answered attempt closed by reconciliation: %+v, want ANSWERED", got)
		}
		ring := mustStart(t, s, inbound(acc.ID, "c2"))
		got, err = s.FinishAttempt(ctx, ring.ID, reconciled)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != "FAILED" {
			t.Errorf("unanswered attempt closed by reconciliation: %s, want FAILED", got.Status)
		}
	})
}
