package dialer

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// attemptNamespace makes dialer attempt IDs deterministic.
var attemptNamespace = uuid.MustParse("5b1f2a0e-6d1c-4c7e-9a53-2f0f4f8f6d11")

// AttemptID is the call-attempt (and channel) ID of a record's attempt:
// deterministic, so a restarted node finds the call its previous life
// placed for a claim, and Asterisk refuses a second channel with the same
// ID.
func AttemptID(accountID, recordID int64, attempt int) string {
	return uuid.NewSHA1(attemptNamespace, fmt.Appendf(nil, "%d/%d/%d", accountID, recordID, attempt)).String()
}

// Orphan is a record this node was dialing when its previous life ended
// (kill -9, power loss): its lease is now this runner's.
type Orphan struct {
	Record Record
	// Placed: the attempt's call record exists (the call was originated
	// or about to be); Ended: it is finished, with Status and Answered.
	Placed, Ended bool
	Status        string
	Answered      bool
	// Final: the record is not attempted again (an sms attempt that may
	// have been sent); Reason, if set, says why it ended so.
	Final  bool
	Reason string
}

// Recoverer is implemented by Records sources that can adopt the claims of
// this node's previous life (dialerstore does). The runner settles each
// orphan from its call record instead of dialing it again: no record is
// lost (an attempt never placed is handed back uncounted) and none is
// dialed twice (a placed attempt's outcome is taken from its call record).
type Recoverer interface {
	Orphans(ctx context.Context, now time.Time) ([]Orphan, error)
	// Settle re-reads a placed orphan's call record.
	Settle(ctx context.Context, o Orphan) (Orphan, error)
}

// recoverOrphans runs once, before the first claim.
func (r *Runner) recoverOrphans(ctx context.Context) error {
	rc, ok := r.Records.(Recoverer)
	if !ok {
		return nil
	}
	os, err := rc.Orphans(ctx, r.Clock.Now())
	if err != nil {
		return fmt.Errorf("dialer: adopt the previous run's claims: %w", err)
	}
	if len(os) > 0 {
		r.Logger.Info("adopted the claims of this node's previous run", "records", len(os))
	}
	for _, o := range os {
		r.mu.Lock()
		r.active[o.Record.ID] = &inflight{dialedAt: r.Clock.Now(), answered: o.Answered}
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.settle(ctx, rc, o)
		}()
	}
	return nil
}

// reclaim handles a record reclaimed from a dead node for the same
// attempt: if that attempt's call record exists, the call was placed, and
// the record is settled from it like an orphan (never dialed again for that
// attempt); if not, the attempt was never placed and is dialed now. Without
// a Recoverer, or when the call record cannot be read, the record is
// settled as placed (a record is never dialed twice for one attempt).
func (r *Runner) reclaim(ctx context.Context, rec Record) {
	o := Orphan{Record: rec, Placed: true}
	if rc, ok := r.Records.(Recoverer); ok {
		no, err := rc.Settle(ctx, o)
		if err != nil {
			r.Logger.Warn("read a reclaimed attempt's call record", "record", rec.ID, "error", err)
		} else if !no.Placed {
			r.start(ctx, rec)
			return
		} else {
			o = no
		}
		r.Logger.Info("reclaimed an attempt placed by a node whose lease expired; settling it from its call record", "record", rec.ID, "attempt", rec.Attempt)
		r.mu.Lock()
		r.active[rec.ID] = &inflight{dialedAt: r.Clock.Now(), answered: o.Answered}
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.settle(ctx, rc, o)
		}()
		return
	}
	r.mu.Lock()
	r.active[rec.ID] = &inflight{dialedAt: r.Clock.Now()}
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		out := Outcome{RecordID: rec.ID, RequestID: rec.RequestID, Status: "FAILED", Reason: "lease expired; outcome unknown"}
		if r.Campaign.IsSMS() {
			// The message may have been sent: never sent again.
			out.Status, out.Reason = SMSFailed, SMSUnknownReason
		}
		out.Retry, out.NextAttemptAt = Next(&r.Campaign, out.Status, rec.Attempt, false, time.Time{}, r.Clock.Now())
		if r.Campaign.IsSMS() {
			out.Retry, out.NextAttemptAt = false, time.Time{}
		}
		if err := r.finish(ctx, out); err != nil {
			r.Logger.Error("record a reclaimed attempt's outcome", "record", rec.ID, "error", err)
		}
		r.mu.Lock()
		delete(r.active, rec.ID)
		r.mu.Unlock()
	}()
}

// OrphanTimeout is the least time the runner waits for an adopted call's
// record to be closed.
const OrphanTimeout = 5 * time.Minute

// settle waits for an orphan's call to end (the call manager closes the
// record of a call that is gone) and records its outcome like dial does.
func (r *Runner) settle(ctx context.Context, rc Recoverer, o Orphan) {
	c := &r.Campaign
	out := Outcome{RecordID: o.Record.ID, RequestID: o.Record.RequestID, Release: true}
	// A call record the call manager never closes (its channel was still
	// ringing when it reconciled, and nobody owns it since) is settled as
	// FAILED after this long.
	giveUp := r.Clock.Now().Add(max(4*c.DialTimeout(), OrphanTimeout))
	for o.Placed && !o.Ended {
		if r.Clock.Now().After(giveUp) {
			o.Ended, o.Status = true, "FAILED"
			if o.Answered {
				o.Status = "ANSWERED"
			}
			break
		}
		select {
		case <-ctx.Done():
			// Keep the lease until it expires; the next life adopts it.
			r.mu.Lock()
			delete(r.active, o.Record.ID)
			r.mu.Unlock()
			return
		case <-r.Clock.After(r.Interval):
		}
		no, err := rc.Settle(ctx, o)
		if err != nil {
			r.Logger.Warn("read an adopted attempt", "record", o.Record.ID, "error", err)
			continue
		}
		o = no
	}
	if o.Placed {
		status := o.Status
		if status == "" {
			status = "FAILED"
		}
		live := AgentPaced(c) && o.Answered
		retry, at := Next(c, status, o.Record.Attempt, false, time.Time{}, r.Clock.Now())
		if o.Final {
			retry, at = false, time.Time{}
		}
		reason := "settled after a restart"
		if o.Reason != "" {
			reason = o.Reason
		}
		out = Outcome{RecordID: o.Record.ID, RequestID: o.Record.RequestID, Status: status, Reason: reason, Retry: retry, NextAttemptAt: at, Live: live}
		r.mu.Lock()
		r.stats.Dialed++
		if o.Answered {
			r.stats.Answered++
		}
		r.mu.Unlock()
	}
	if err := r.finish(ctx, out); err != nil {
		r.Logger.Error("record an adopted attempt's outcome", "record", o.Record.ID, "error", err)
	}
	r.mu.Lock()
	delete(r.active, o.Record.ID)
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
