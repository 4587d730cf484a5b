package ari

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"time"
)

// ErrUnavailable marks an originate Asterisk refused because it could not
// take calls at all (shutting down, restarting, still loading, or not
// listening): the call was NOT placed, so the attempt is not a failed call
// but one to make again once Asterisk is back.
var ErrUnavailable = errors.New("ari: Asterisk unavailable; call not placed")

// errNotSent marks a request the link failed before it was written out
// whole: Asterisk never received it.
var errNotSent = errors.New("request not sent")

// ErrNotRecorded marks an originate that was not placed because its call
// record could not be written first (store down): a call is never placed
// without its record.
var ErrNotRecorded = errors.New("ari: call record not written; call not placed")

// StartupGrace is how long after (re)connecting to Asterisk a 404 (an
// application, endpoint or dialplan context not loaded yet) or a 500 is
// taken as Asterisk still starting rather than as the call's own failure.
const StartupGrace = 30 * time.Second

// unavailable reports whether an originate error means Asterisk could not
// take the call at all; sinceConnect is the time since the events stream
// (re)connected (negative or zero when not connected).
func unavailable(err error, sinceConnect time.Duration) bool {
	if err == nil {
		return false
	}
	var ae *Error
	if errors.As(err, &ae) {
		switch {
		case ae.Status == 503:
			// "Shutdown in progress", or a module not loaded yet.
			return true
		case ae.Status == 404 && startingUp(sinceConnect) && missingAtStart(ae.Message):
			return true
		case ae.Status >= 500 && startingUp(sinceConnect):
			return true
		}
		return false
	}
	// No HTTP answer at all: only errors that prove the request never
	// reached Asterisk count (a reset after the request was written may
	// have placed it).
	if errors.Is(err, errNotSent) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return false
}

func startingUp(sinceConnect time.Duration) bool {
	return sinceConnect >= 0 && sinceConnect < StartupGrace
}

// missingAtStart: the 404 messages Asterisk gives for things that appear
// once it has finished loading (the Stasis application registers when our
// websocket connects; channel drivers and dialplan load with modules).
func missingAtStart(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"application", "endpoint", "allocation failed", "not found"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return m == ""
}

// unavailableHold is how long Available stays false after an originate was
// refused as unavailable (Asterisk answering "Shutdown in progress" still
// has the websocket up).
const unavailableHold = 2 * time.Second

// Available reports whether Asterisk can take new calls: the manager runs,
// is not draining, the events stream is connected, and no originate was
// refused as unavailable in the last moments. Dialers wait while it is
// false instead of placing calls that would fail.
func (m *Manager) Available() bool {
	select {
	case <-m.ready:
	default:
		return false
	}
	m.mu.Lock()
	draining, refused := m.draining, m.refusedAt
	m.mu.Unlock()
	if draining || !m.stream.State().Connected {
		return false
	}
	return refused.IsZero() || time.Since(refused) >= unavailableHold
}

// sinceConnect is the time since the events stream last connected, or -1
// when it is not connected.
func (m *Manager) sinceConnect() time.Duration {
	m.mu.Lock()
	at := m.connectedAt
	m.mu.Unlock()
	if at.IsZero() || !m.stream.State().Connected {
		return -1
	}
	return time.Since(at)
}

// AttemptDiscarder is implemented by Recorders that can remove the record
// of an attempt that was never placed (Asterisk refused it as unavailable):
// the same attempt is made again later under the same ID.
type AttemptDiscarder interface {
	AttemptDiscarded(ctx context.Context, attemptID string) error
}

// AnswerRecorder is implemented by Recorders that write the answer time as
// soon as a call is answered, so a call cut by a crash or a store outage is
// still recorded answered.
type AnswerRecorder interface {
	AttemptAnswered(ctx context.Context, attemptID string, at time.Time) error
}

// storeRetry is how long the manager keeps retrying a record write that
// failed (the store may be restarting); calls in progress are not held up
// by it except at their very end.
const storeRetry = 2 * time.Minute

// retryWrite calls f until it succeeds, storeRetry passes, or stop ends
// (shutdown: the record stays open and the next start's reconciliation
// closes it), backing off from 100 ms to 2 s; the first failure is logged.
// Each write gets its own 10 s bound, so the first one is made even when
// stop has already ended.
func (m *Manager) retryWrite(stop context.Context, what, attempt string, f func(context.Context) error) error {
	giveUp := time.After(storeRetry)
	wait := 100 * time.Millisecond
	for try := 0; ; try++ {
		wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := f(wctx)
		wcancel()
		if err == nil {
			if try > 0 {
				m.log.Info("record write succeeded after retries", "write", what, "attempt", attempt, "tries", try+1)
			}
			return nil
		}
		if try == 0 {
			m.log.Warn("record write failed; retrying", "write", what, "attempt", attempt, "error", err)
		}
		select {
		case <-stop.Done():
			return fmt.Errorf("%s of attempt %s: %w (gave up: shutting down)", what, attempt, err)
		case <-giveUp:
			return fmt.Errorf("%s of attempt %s: %w (gave up after %v)", what, attempt, err, storeRetry)
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// discard removes the record of an attempt that was not placed.
func (m *Manager) discard(ctx context.Context, attemptID string) {
	d, ok := m.cfg.Recorder.(AttemptDiscarder)
	if !ok {
		return
	}
	if err := m.retryWrite(context.WithoutCancel(ctx), "discard", attemptID, func(ctx context.Context) error {
		return d.AttemptDiscarded(ctx, attemptID)
	}); err != nil {
		m.log.Error("discard the record of an attempt not placed", "attempt", attemptID, "error", err)
	}
}

// recordAnswer writes the answer time of an outbound call (in the
// background: the flow does not wait for the store).
func (m *Manager) recordAnswer(c *Call, at time.Time) {
	ar, ok := m.cfg.Recorder.(AnswerRecorder)
	if !ok || c.AttemptID == "" {
		return
	}
	if at.IsZero() {
		at = time.Now()
	}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.retryWrite(m.ctx, "answer", c.AttemptID, func(ctx context.Context) error {
			return ar.AttemptAnswered(ctx, c.AttemptID, at)
		}); err != nil {
			m.log.Error("record answer time", "attempt", c.AttemptID, "error", err)
		}
	}()
}

// shuttingDown tells a 500 of an Asterisk that is shutting down (channel
// allocation refused: "Allocation failed", then 503 for everything) from a
// call's own failure: a moment later Asterisk no longer answers, or the
// events stream is gone.
func (m *Manager) shuttingDown(ctx context.Context, err error) bool {
	var ae *Error
	if !errors.As(err, &ae) || ae.Status < 500 {
		return false
	}
	select {
	case <-ctx.Done():
		return false
	case <-time.After(500 * time.Millisecond):
	}
	if !m.stream.State().Connected {
		return true
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, ierr := m.client.Info(pctx)
	var ie *Error
	return ierr != nil && (!errors.As(ierr, &ie) || ie.Status == 503)
}
