package store

import (
	"errors"
	"sync"
	"testing"
	"time"
)

func mustCharge(t *testing.T, s *Store, keys []LoginKey, at time.Time, want bool) {
	t.Helper()
	locked, err := s.ChargeLoginAttempt(ctxT(t), keys, at, 10*time.Minute, 3)
	if err != nil || locked != want {
		t.Fatalf("ChargeLoginAttempt(%v at %s) = %v, %v; want locked %v", keys, at.Format(time.TimeOnly), locked, err, want)
	}
}

func failuresOf(t *testing.T, s *Store, k LoginKey) int {
	t.Helper()
	f, err := s.GetLoginFailures(ctxT(t), k)
	if errors.Is(err, ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("GetLoginFailures(%v): %v", k, err)
	}
	return f.Failures
}

// TestLoginFailures: three attempts within ten minutes lock the key (the
// fourth is refused and not counted); keys are per email (normalised) and
// account; the counter starts over once ten minutes have passed since the
// last failure; clearing and pruning forget counters.
func TestLoginFailures(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		t0 := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
		boss1 := LoginKey{AccountID: 1, Email: "boss@acme.test"}
		boss0 := LoginKey{Email: "boss@acme.test"}
		for i := range 3 {
			// The email is keyed trimmed and in lower case.
			mustCharge(t, s, []LoginKey{{AccountID: 1, Email: " Boss@ACME.test"}}, t0.Add(time.Duration(i)*time.Minute), false)
		}
		mustCharge(t, s, []LoginKey{boss1}, t0.Add(3*time.Minute), true)
		f, err := s.GetLoginFailures(ctx, boss1)
		if err != nil || f.Failures != 3 || !f.LastFailureAt.Equal(t0.Add(2*time.Minute)) {
			t.Fatalf("after the refused attempt: %+v, %v (the refusal is not a failure and does not prolong the lock)", f, err)
		}
		// A locked key refuses the whole attempt: the other keys named with
		// it are not counted.
		mustCharge(t, s, []LoginKey{boss0, boss1}, t0.Add(4*time.Minute), true)
		if n := failuresOf(t, s, boss0); n != 0 {
			t.Fatalf("key charged with a locked one: %d failures", n)
		}
		// Another account, and no account, are other keys.
		mustCharge(t, s, []LoginKey{{AccountID: 2, Email: "boss@acme.test"}}, t0.Add(4*time.Minute), false)
		mustCharge(t, s, []LoginKey{boss0}, t0.Add(4*time.Minute), false)

		// Ten minutes after the last failure the key is free and starts
		// over; just before, it is still locked.
		mustCharge(t, s, []LoginKey{boss1}, t0.Add(12*time.Minute-time.Microsecond), true)
		mustCharge(t, s, []LoginKey{boss1}, t0.Add(12*time.Minute), false)
		if n := failuresOf(t, s, boss1); n != 1 {
			t.Fatalf("after the window: %d failures, want 1", n)
		}

		if err := s.ClearLoginFailures(ctx, []LoginKey{{AccountID: 1, Email: "BOSS@acme.test"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetLoginFailures(ctx, boss1); !errors.Is(err, ErrNotFound) {
			t.Fatalf("cleared key: %v", err)
		}
		if n := failuresOf(t, s, boss0); n != 1 {
			t.Fatalf("clearing one key cleared another: %d", n)
		}
		mustCharge(t, s, []LoginKey{{AccountID: 7, Email: "eve@other.test"}}, t0.Add(12*time.Minute), false)
		if err := s.ClearLoginFailuresOf(ctx, "Boss@acme.test"); err != nil {
			t.Fatal(err)
		}
		for _, k := range []LoginKey{boss0, {AccountID: 2, Email: "boss@acme.test"}} {
			if n := failuresOf(t, s, k); n != 0 {
				t.Fatalf("%v after clearing the email: %d", k, n)
			}
		}
		if n := failuresOf(t, s, LoginKey{AccountID: 7, Email: "eve@other.test"}); n != 1 {
			t.Fatalf("another email cleared: %d", n)
		}

		// Pruning removes the counters whose last failure is at or before
		// the time, and only those.
		mustCharge(t, s, []LoginKey{{Email: "old@acme.test"}}, t0, false)
		mustCharge(t, s, []LoginKey{{Email: "new@acme.test"}}, t0.Add(time.Hour), false)
		n, err := s.PruneLoginFailures(ctx, t0.Add(12*time.Minute))
		if err != nil || n != 2 { // old@ and eve@ (last failure at 12 min)
			t.Fatalf("pruned %d, %v; want 2", n, err)
		}
		if failuresOf(t, s, LoginKey{Email: "old@acme.test"}) != 0 || failuresOf(t, s, LoginKey{Email: "new@acme.test"}) != 1 {
			t.Fatal("pruned the wrong counters")
		}

		for _, bad := range [][]LoginKey{nil, {{Email: " "}}, {{Email: string(make([]byte, 255))}}} {
			if _, err := s.ChargeLoginAttempt(ctx, bad, t0, time.Minute, 3); !errors.Is(err, ErrInvalid) {
				t.Errorf("keys %v: %v", bad, err)
			}
		}
	})
}

// TestLoginFailuresConcurrent: attempts from many goroutines (on
// PostgreSQL, many connections: as many nodes would) count exactly, and
// exactly limit of them get through; the rest are locked.
func TestLoginFailuresConcurrent(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
		keys := []LoginKey{{Email: "boss@acme.test"}, {AccountID: 1, Email: "boss@acme.test"}, {AccountID: 2, Email: "boss@acme.test"}}
		const attempts, limit = 120, 50
		var (
			wg             sync.WaitGroup
			mu             sync.Mutex
			passed, locked int
			errs           []error
		)
		for i := range attempts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each attempt names the keys in another order.
				ks := []LoginKey{keys[i%3], keys[(i+1)%3], keys[(i+2)%3]}
				l, err := s.ChargeLoginAttempt(ctx, ks, at, time.Hour, limit)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					errs = append(errs, err)
				case l:
					locked++
				default:
					passed++
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			t.Fatalf("%d attempts failed, the first: %v", len(errs), errs[0])
		}
		if passed != limit || locked != attempts-limit {
			t.Fatalf("%d attempts passed and %d were locked, want %d and %d", passed, locked, limit, attempts-limit)
		}
		for _, k := range keys {
			if n := failuresOf(t, s, k); n != limit {
				t.Errorf("%v: %d failures, want %d", k, n, limit)
			}
		}
	})
}
