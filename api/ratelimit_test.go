package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1:1000", "192.0.2.1:2000"},
		{"[2001:db8:1:2::1]:1000", "[2001:db8:1:2:ffff::9]:80"}, // same /64
		{"[::ffff:192.0.2.1]:1", "192.0.2.1:2"},                 // v4-mapped
	} {
		ka, oka := clientKey(tc.a)
		kb, okb := clientKey(tc.b)
		if !oka || !okb || ka != kb {
			t.Errorf("%s and %s: %v %v, want one client", tc.a, tc.b, ka, kb)
		}
	}
	for _, tc := range []struct{ a, b string }{
		{"192.0.2.1:1", "192.0.2.2:1"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1"}, // other /64
	} {
		ka, _ := clientKey(tc.a)
		kb, _ := clientKey(tc.b)
		if ka == kb {
			t.Errorf("%s and %s are one client", tc.a, tc.b)
		}
	}
}

func TestAuthLimiterBucket(t *testing.T) {
	l := NewAuthLimiter(10, 6*time.Second)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	const ip = "203.0.113.5:4000"
	for i := range 10 {
		if w := l.Wait(ip); w != 0 {
			t.Fatalf("failure %d: wait %v before the burst is used", i, w)
		}
		l.Failed(ip)
	}
	if w := l.Wait(ip); w != 6*time.Second {
		t.Fatalf("after 10 failures: wait %v, want 6s", w)
	}
	if w := l.Wait("203.0.113.6:1"); w != 0 {
		t.Fatalf("another client waits %v", w)
	}
	now = now.Add(6 * time.Second)
	if w := l.Wait(ip); w != 0 {
		t.Fatalf("after 6 s: wait %v", w)
	}
	l.Failed(ip)
	if w := l.Wait(ip); w != 6*time.Second {
		t.Fatalf("one more failure: wait %v, want 6s", w)
	}
	now = now.Add(time.Hour)
	for range 10 {
		l.Failed(ip)
	}
	if w := l.Wait(ip); w == 0 {
		t.Fatal("the burst refills to 10, not more")
	}
}

// TestAuthFailureRateLimit: through the API key middleware, the 11th
// failure of a client within a short time is answered 429 rate_limited
// with Retry-After; successful requests are never limited; another client
// is not affected.
func TestAuthFailureRateLimit(t *testing.T) {
	s, _ := newTestServer(t, Deps{Authenticate: func(_ context.Context, key string) (Principal, error) {
		if key == "good" {
			return Principal{AccountID: 1, KeyID: 1}, nil
		}
		return Principal{}, ErrUnauthorized
	}})
	req := func(remote, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "/api/v1/whoami", nil)
		r.RemoteAddr = remote
		if key != "" {
			r.Header.Set(echo.HeaderAuthorization, "Bearer "+key)
		}
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, r)
		return rec
	}
	const attacker, other = "198.51.100.7:5555", "198.51.100.8:5555"
	for i := range 200 {
		if rec := req(attacker, "good"); rec.Code != http.StatusOK {
			t.Fatalf("success %d: %d", i, rec.Code)
		}
	}
	for i := range AuthFailBurst {
		key := "bad"
		if i%2 == 1 {
			key = "" // a missing key counts too
		}
		if rec := req(attacker, key); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, rec.Code)
		}
	}
	rec := req(attacker, "bad")
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d %s", AuthFailBurst, rec.Code, rec.Body)
	}
	if got := decode[ErrorBody](t, rec).Error.Code; got != "rate_limited" {
		t.Fatalf("code %q", got)
	}
	ra, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if err != nil || ra < 1 || ra > int(AuthFailEvery/time.Second) {
		t.Fatalf("Retry-After %q", rec.Header().Get("Retry-After"))
	}
	if rec := req(other, "good"); rec.Code != http.StatusOK {
		t.Fatalf("another client: %d", rec.Code)
	}
	if rec := req(other, "bad"); rec.Code != http.StatusUnauthorized {
		t.Fatalf("another client's first failure: %d", rec.Code)
	}
}
