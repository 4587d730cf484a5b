package accounts

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// lockoutClock is a settable clock shared by the "nodes" of a test.
type lockoutClock struct{ ns atomic.Int64 }

func newLockoutClock() *lockoutClock {
	c := &lockoutClock{}
	c.ns.Store(time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano())
	return c
}
func (c *lockoutClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *lockoutClock) add(d time.Duration) { c.ns.Add(int64(d)) }
func (c *lockoutClock) cfg(st *store.Store) Config {
	return Config{Store: st, Now: c.now, LockoutFailures: 3, LockoutFor: 10 * time.Minute}
}

// lockoutPeople: boss@acme.test is the owner of acme and an admin of beta
// (the same password), ops@x.test an operator.
func lockoutPeople(t *testing.T, st *store.Store) (acme, beta int64) {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"acme", "beta"} {
		a, err := st.CreateAccount(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		role := store.RoleOwner
		if name == "beta" {
			beta, role = a.ID, store.RoleAdmin
		} else {
			acme = a.ID
		}
		if _, err := st.CreateUser(ctx, store.NewUser{AccountID: a.ID, Email: "boss@acme.test", Role: role, Password: "right password"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.CreateOperator(ctx, "ops@x.test", "Ops", "right password"); err != nil {
		t.Fatal(err)
	}
	return acme, beta
}

func wantLogin(t *testing.T, s *Service, email, pw string, account int64, want error) {
	t.Helper()
	_, err := s.Login(context.Background(), email, pw, account)
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("Login(%s, %q, account %d) = %v, want %v", email, pw, account, err, want)
	}
}

// TestLoginLockout: three failed logins for an email within ten minutes
// lock it in that account (and, without an account named, in every account
// of the email) until ten minutes after the last failure, even for the
// right password; another account, another email and unknown emails are
// counted on their own; a successful login and a password reset clear the
// failures.
func TestLoginLockout(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			st := storetest.Open(t, storetest.Options(t, driver))
			acme, beta := lockoutPeople(t, st)
			clock := newLockoutClock()
			s := New(clock.cfg(st))
			for range 3 {
				wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
				clock.add(time.Minute)
			}
			wantLogin(t, s, " Boss@ACME.test", "right password", acme, ErrLocked)
			// Without naming the account the email is locked in every
			// account it is a user of, so alternating does not add attempts.
			wantLogin(t, s, "boss@acme.test", "right password", 0, ErrLocked)
			wantLogin(t, s, "boss@acme.test", "right password", beta, nil)
			wantLogin(t, s, "ops@x.test", "right password", 0, nil)

			// Locked until ten minutes after the last failure (a minute
			// ago): refused attempts do not make it last longer.
			clock.add(9*time.Minute - time.Second)
			wantLogin(t, s, "boss@acme.test", "right password", acme, ErrLocked)
			clock.add(time.Second)
			wantLogin(t, s, "boss@acme.test", "right password", acme, nil)

			// Failures further apart than the window never lock.
			for range 5 {
				wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
				clock.add(10 * time.Minute)
			}
			// A successful login clears the failures.
			wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
			wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
			wantLogin(t, s, "boss@acme.test", "right password", acme, nil)
			for range 2 {
				wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
			}
			wantLogin(t, s, "boss@acme.test", "right password", acme, nil)

			// Unknown emails lock too (no enumeration through the lockout).
			for range 3 {
				wantLogin(t, s, "ghost@acme.test", "bad", 0, ErrBadLogin)
			}
			wantLogin(t, s, "ghost@acme.test", "bad", 0, ErrLocked)

			// A password reset proves the email: its failures go.
			for range 3 {
				wantLogin(t, s, "boss@acme.test", "bad", acme, ErrBadLogin)
			}
			wantLogin(t, s, "boss@acme.test", "right password", acme, ErrLocked)
			users, err := st.FindUsersByEmail(context.Background(), "boss@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			s.clearLockout(context.Background(), false, users[0].ID)
			wantLogin(t, s, "boss@acme.test", "right password", acme, nil)
		})
	}
}

// TestLoginLockoutExpiredPruned: the counters of failures older than the
// window are deleted (by the next failed login a minute or more later), so
// the table does not grow with every email ever tried.
func TestLoginLockoutExpiredPruned(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			st := storetest.Open(t, storetest.Options(t, driver))
			clock := newLockoutClock()
			s := New(clock.cfg(st))
			ctx := context.Background()
			wantLogin(t, s, "old@acme.test", "bad", 0, ErrBadLogin)
			clock.add(9 * time.Minute)
			wantLogin(t, s, "recent@acme.test", "bad", 0, ErrBadLogin)
			clock.add(time.Minute)
			wantLogin(t, s, "new@acme.test", "bad", 0, ErrBadLogin)
			for email, want := range map[string]bool{"old@acme.test": false, "recent@acme.test": true, "new@acme.test": true} {
				_, err := st.GetLoginFailures(ctx, store.LoginKey{Email: email})
				if got := err == nil; got != want || err != nil && !errors.Is(err, store.ErrNotFound) {
					t.Errorf("%s: kept %v (%v), want %v", email, got, err, want)
				}
			}
		})
	}
}

// TestLoginLockoutAcrossNodes: two nodes (two services, each with its own
// connection pool) share one PostgreSQL database: failures on node A lock
// the email on node B, and a successful login on B clears it for A.
func TestLoginLockoutAcrossNodes(t *testing.T) {
	o := storetest.Options(t, store.DriverPostgres)
	stA, stB := storetest.Open(t, o), storetest.Open(t, o)
	acme, _ := lockoutPeople(t, stA)
	clock := newLockoutClock()
	a, b := New(clock.cfg(stA)), New(clock.cfg(stB))
	wantLogin(t, a, "boss@acme.test", "bad", acme, ErrBadLogin)
	wantLogin(t, b, "boss@acme.test", "bad", acme, ErrBadLogin)
	wantLogin(t, a, "boss@acme.test", "right password", acme, nil)
	for range 3 {
		wantLogin(t, a, "boss@acme.test", "bad", acme, ErrBadLogin)
	}
	wantLogin(t, b, "boss@acme.test", "right password", acme, ErrLocked)
	wantLogin(t, b, "boss@acme.test", "right password", 0, ErrLocked)
	clock.add(10 * time.Minute)
	wantLogin(t, b, "boss@acme.test", "bad", acme, ErrBadLogin)
	wantLogin(t, b, "boss@acme.test", "bad", acme, ErrBadLogin)
	wantLogin(t, b, "boss@acme.test", "right password", acme, nil)
	for range 2 {
		wantLogin(t, a, "boss@acme.test", "bad", acme, ErrBadLogin)
	}
	wantLogin(t, a, "boss@acme.test", "right password", acme, nil)
}

// TestLoginLockoutParallel: parallel failed logins spread over the nodes
// count exactly, and exactly the limit of them reach the password check:
// the rest are locked, the right password included.
func TestLoginLockoutParallel(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			o := storetest.Options(t, driver)
			st := storetest.Open(t, o)
			nodes := []*store.Store{st}
			if driver == store.DriverPostgres {
				nodes = append(nodes, storetest.Open(t, o))
			}
			acme, _ := lockoutPeople(t, st)
			clock := newLockoutClock()
			const limit, attempts = 6, 24
			var svcs []*Service
			for _, n := range nodes {
				cfg := clock.cfg(n)
				cfg.LockoutFailures = limit
				svcs = append(svcs, New(cfg))
			}
			var bad, locked, other atomic.Int32
			var wg sync.WaitGroup
			for i := range attempts {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := svcs[i%len(svcs)].Login(context.Background(), "boss@acme.test", "bad", acme)
					switch {
					case errors.Is(err, ErrBadLogin):
						bad.Add(1)
					case errors.Is(err, ErrLocked):
						locked.Add(1)
					default:
						t.Errorf("attempt %d: %v", i, err)
						other.Add(1)
					}
				}()
			}
			wg.Wait()
			if bad.Load() != limit || locked.Load() != attempts-limit {
				t.Fatalf("%d wrong passwords, %d locked; want %d and %d", bad.Load(), locked.Load(), limit, attempts-limit)
			}
			f, err := st.GetLoginFailures(context.Background(), store.LoginKey{AccountID: acme, Email: "boss@acme.test"})
			if err != nil || f.Failures != limit {
				t.Fatalf("stored %+v, %v; want %d failures", f, err, limit)
			}
			wantLogin(t, svcs[len(svcs)-1], "boss@acme.test", "right password", acme, ErrLocked)

			// Below the limit, parallel failures all count.
			for i := range limit - 1 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := svcs[i%len(svcs)].Login(context.Background(), "eve@acme.test", "bad", acme); !errors.Is(err, ErrBadLogin) {
						t.Errorf("eve %d: %v", i, err)
					}
				}()
			}
			wg.Wait()
			f, err = st.GetLoginFailures(context.Background(), store.LoginKey{AccountID: acme, Email: "eve@acme.test"})
			if err != nil || f.Failures != limit-1 {
				t.Fatalf("eve: stored %+v, %v; want %d failures", f, err, limit-1)
			}
		})
	}
}

// TestLoginFailsClosed: with the database gone, a login, even with the
// right password, is refused with 503 "try again" rather than let through
// without its lockout check; once the database is back, it works.
func TestLoginFailsClosed(t *testing.T) {
	pg := storetest.StartPrivatePostgres(t)
	st := storetest.Open(t, store.Options{URL: pg.URL})
	acme, _ := lockoutPeople(t, st)
	clock := newLockoutClock()
	s := New(clock.cfg(st))
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	_, err := s.Login(context.Background(), "boss@acme.test", "right password", acme)
	if !errors.Is(err, ErrLoginUnavailable) {
		t.Fatalf("login without the database: %v", err)
	}
	if msg := switchyard.ClientMessage(err); msg != ErrLoginUnavailable.Message {
		t.Fatalf("client told %q", msg)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := s.Login(context.Background(), "boss@acme.test", "right password", acme)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrLoginUnavailable) || time.Now().After(deadline) {
			t.Fatalf("login after the database came back: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLoginLockoutStoreErrors: when the lockout's store calls fail, the
// login is refused with ErrLoginUnavailable (503): before the password is
// checked, and after a right password whose failures cannot be cleared.
func TestLoginLockoutStoreErrors(t *testing.T) {
	down := errors.New("connection refused")
	tests := []struct {
		name   string
		charge error
		clear  error
	}{
		{"counting the attempt fails", down, nil},
		{"clearing after the right password fails", nil, down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, sessions := loginFake(t)
			f.chargeLoginAttempt = func(context.Context, []store.LoginKey, time.Time, time.Duration, int) (bool, error) {
				return false, tt.charge
			}
			f.clearLoginFailures = func(context.Context, []store.LoginKey) error { return tt.clear }
			s := New(Config{Store: f})
			_, err := s.Login(context.Background(), "boss@acme.test", "right password", 1)
			if !errors.Is(err, ErrLoginUnavailable) || !errors.Is(err, down) || len(*sessions) != 0 {
				t.Fatalf("Login = %v with %d sessions", err, len(*sessions))
			}
			var coded *switchyard.Error
			if !errors.As(err, &coded) || coded.Status != http.StatusServiceUnavailable {
				t.Fatalf("coded %+v", coded)
			}
		})
	}
}
