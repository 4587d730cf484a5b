package accounts

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/store"
)

// The login lockout: LockoutFailures failed logins for an email within
// LockoutFor lock it until LockoutFor has passed since the last failure; a
// successful login (or a password reset) clears it. The counters are in
// the store, shared by every node behind the load balancer, so an attacker
// gets LockoutFailures tries in all, not that many per node. An attempt
// is counted before its password is checked and cleared when it was
// right, so parallel attempts on any number of nodes cannot get past the
// limit. The per-address limit of the HTTP layer comes on top.

// pruneEvery: each node deletes the expired counters at most this often
// (on a failed login), so the table holds about one lockout window of
// failures, whatever emails an attacker tries.
const pruneEvery = time.Minute

// lockout is the store-backed login lockout of a Service.
type lockout struct {
	st       LockoutStore
	failures int
	window   time.Duration
	now      func() time.Time
	log      func(ctx context.Context, msg string, args ...any)
	// pruned is when this node last pruned (unix nanoseconds).
	pruned atomic.Int64
}

// charge counts an attempt on the keys; true: they are locked and the
// attempt is refused (and not counted).
func (l *lockout) charge(ctx context.Context, keys []store.LoginKey) (bool, error) {
	locked, err := l.st.ChargeLoginAttempt(ctx, keys, l.now(), l.window, l.failures)
	if err != nil {
		return false, fmt.Errorf("accounts: login lockout: %w", err)
	}
	return locked, nil
}

// failed leaves the attempt counted and now and then prunes the counters
// that have expired.
func (l *lockout) failed(ctx context.Context) {
	now := l.now()
	last := l.pruned.Load()
	if now.UnixNano()-last < int64(pruneEvery) || !l.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if _, err := l.st.PruneLoginFailures(ctx, now.Add(-l.window)); err != nil {
		l.log(ctx, "prune login failures", "err", err)
	}
}

// clear forgets the keys' failures (the password was right).
func (l *lockout) clear(ctx context.Context, keys []store.LoginKey) error {
	if err := l.st.ClearLoginFailures(ctx, keys); err != nil {
		return fmt.Errorf("accounts: login lockout: %w", err)
	}
	return nil
}

// clearEmail forgets the failures of the email in every account.
func (l *lockout) clearEmail(ctx context.Context, email string) error {
	if err := l.st.ClearLoginFailuresOf(ctx, email); err != nil {
		return fmt.Errorf("accounts: login lockout: %w", err)
	}
	return nil
}

// throttle allows an action per key at most once per every (reset mails:
// one per email per minute). It lives in the process: each node throttles
// its own.
type throttle struct {
	every time.Duration
	now   func() time.Time

	mu   sync.Mutex
	last map[string]time.Time
}

// maxThrottleKeys bounds the memory an attacker can make it use.
const maxThrottleKeys = 100000

func newThrottle(every time.Duration, now func() time.Time) *throttle {
	return &throttle{every: every, now: now, last: map[string]time.Time{}}
}

// allow reports whether key may act now, and if so notes that it did.
func (t *throttle) allow(key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if last, ok := t.last[key]; ok && now.Sub(last) < t.every {
		return false
	}
	if len(t.last) >= maxThrottleKeys {
		for k, last := range t.last {
			if now.Sub(last) >= t.every {
				delete(t.last, k)
			}
		}
		if len(t.last) >= maxThrottleKeys {
			clear(t.last)
		}
	}
	t.last[key] = now
	return true
}
