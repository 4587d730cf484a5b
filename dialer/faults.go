package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotPlaced marks a Place error for a call that was not placed because
// the platform could not take it (Asterisk shutting down, restarting or
// unreachable; the call record could not be written). The runner hands the
// claim back uncounted and waits for the placer to be available again: it
// is not a failed call.
var ErrNotPlaced = errors.New("dialer: call not placed (platform unavailable)")

// ErrFinal marks a Records.Finish error that retrying cannot fix (the
// lease was lost, the record is gone): the runner gives up at once.
var ErrFinal = errors.New("dialer: outcome cannot be recorded")

// Availability is implemented by Placers that know whether they can place
// calls now (the ari placer asks its call manager). While it reports false
// the runner claims nothing.
type Availability interface {
	Available() bool
}

// finishBackoff bounds the wait between two tries of an outcome write.
const finishBackoff = 5 * time.Second

// finish records an outcome, retrying with backoff through a store outage
// until it succeeds, the error is final, or ctx ends (shutdown: the lease
// is kept until it expires, and the next life of the node adopts the
// record and settles it from its call record). Meanwhile the record stays
// among the runner's active ones, so each step renews its lease and it is
// never claimed again for another attempt.
func (r *Runner) finish(ctx context.Context, o Outcome) error {
	wait := 100 * time.Millisecond
	for try := 0; ; try++ {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		err := r.Records.Finish(fctx, o)
		cancel()
		if err == nil {
			if try > 0 {
				r.Logger.Info("attempt outcome recorded after retries", "record", o.RecordID, "status", o.Status, "tries", try+1)
			}
			return nil
		}
		if errors.Is(err, ErrFinal) {
			return err
		}
		if try == 0 {
			r.Logger.Warn("record attempt outcome failed; retrying", "record", o.RecordID, "status", o.Status, "error", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dialer: outcome of record %d not recorded before shutdown: %w", o.RecordID, err)
		case <-r.Clock.After(wait):
		}
		wait = min(2*wait, finishBackoff)
	}
}

// placerAvailable reports whether the runner's placer can take calls now.
func (r *Runner) placerAvailable() bool {
	a, ok := r.Placer.(Availability)
	return !ok || a.Available()
}
