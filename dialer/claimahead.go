package dialer

import (
	"context"
	"sync"
	"time"
)

// Claiming ahead: a runner with ClaimAhead > 0 keeps up to that many
// records claimed (leased) before a line is free for them, so a line that
// frees is dialed at once instead of after a claim's round trips, and a
// busy campaign claims in batches (one claim per ClaimAhead/2 calls, not
// one per step). Nothing is written for a record claimed ahead but its
// lease: its attempt starts, and is recorded, when a line takes it. So a
// crash loses none (the lease expires, or this node's next life adopts it
// as never placed, and it is dialed) and dials none twice.
//
// The claims are handed back (released, the attempt not counted) when the
// campaign is paused, cancelled or finished, and when the runner stops.
// Their leases are renewed with the calls in progress'. A record that
// waited longer than readyScreenFor is screened again (blacklist, DNC) at
// its dial.

// readyScreenFor is how long the screening of a record's number at its
// claim stands; a record claimed ahead longer is screened at its dial.
const readyScreenFor = 10 * time.Second

// readyRecord is a record claimed ahead of a free line.
type readyRecord struct {
	rec       Record
	claimedAt time.Time
	leasedAt  time.Time
}

// ClaimAheadFor is the ClaimAhead a campaign of simultaneous calls is run
// with: a quarter of its lines, at most 64.
func ClaimAheadFor(simultaneous int) int {
	return min(max(simultaneous/4, 0), 64)
}

// takeReadyLocked removes up to n records claimed ahead, oldest first.
func (r *Runner) takeReadyLocked(n int, now time.Time) []Record {
	n = min(n, len(r.ready))
	if n <= 0 {
		return nil
	}
	out := make([]Record, n)
	for i, rr := range r.ready[:n] {
		out[i] = rr.rec
		if now.Sub(rr.claimedAt) > readyScreenFor || now.Before(rr.claimedAt) {
			out[i].screened, out[i].blocked = false, ""
		}
	}
	r.ready = append(r.ready[:0], r.ready[n:]...)
	return out
}

// claimAheadLocked is how many records to claim beyond the ones a step
// starts (need: the lines the records claimed ahead could not fill): none
// while more than half of ClaimAhead is ready, else enough to fill it.
func (r *Runner) claimAheadLocked(need int) int {
	if r.ClaimAhead <= 0 {
		return 0
	}
	have := len(r.ready)
	if need == 0 && have > r.ClaimAhead/2 {
		return 0
	}
	return max(r.ClaimAhead-have, 0)
}

// drainedLocked: the runner claims ahead, its last claim came back short
// less than an interval ago and nothing woke it since (Wake clears
// drainedAt). Then it does not
// claim: at the end of a list every call's end would make a claim that
// finds nothing. New records are found at the next interval, or at once
// when the import wakes the runner.
func (r *Runner) drainedLocked(now time.Time) bool {
	if r.ClaimAhead <= 0 || r.drainedAt.IsZero() || now.Before(r.drainedAt) {
		return false
	}
	return now.Sub(r.drainedAt) < r.Interval
}

// releaseReady hands back every record claimed ahead (not dialed; the
// attempt is not counted).
func (r *Runner) releaseReady(ctx context.Context) {
	r.mu.Lock()
	ready := r.ready
	r.ready = nil
	r.mu.Unlock()
	if len(ready) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, rr := range ready {
		if rr.rec.Reclaimed {
			// Its attempt may have been placed by the node whose lease
			// expired: not handed back as undialed. Its lease lapses and
			// whoever claims it next settles it from its call record.
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := Outcome{RecordID: rr.rec.ID, RequestID: rr.rec.RequestID, Release: true}
			if err := r.finish(ctx, o); err != nil {
				// Its lease expires and it is claimed again: not lost.
				r.Logger.Warn("hand back a record claimed ahead", "record", rr.rec.ID, "error", err)
			}
		}()
	}
	wg.Wait()
}

// releaseOnStop is releaseReady when Run stops: the records are handed
// back even though the runner's context has ended, within a bound.
func (r *Runner) releaseOnStop(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	r.releaseReady(rctx)
}

// Ready is the number of records claimed ahead of a free line.
func (r *Runner) Ready() int {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ready)
}
