package api

import (
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Authentication failures are rate limited per client: a client (an IPv4
// address, or an IPv6 /64 — one subscriber's prefix) may fail
// AuthFailBurst times, then once per AuthFailEvery; until then every
// authentication attempt of that client is answered 429 rate_limited with
// Retry-After, before the key is even looked at. Successful requests use
// nothing, so a working client is never slowed down.
const (
	AuthFailBurst = 10
	AuthFailEvery = 6 * time.Second
)

// maxTracked bounds the clients tracked; beyond it, recovered ones are
// dropped first.
const maxTracked = 100000

// AuthLimiter is a token bucket per client that only failures drain.
type AuthLimiter struct {
	burst float64
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	clients map[netip.Prefix]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewAuthLimiter allows burst failures, then one per every.
func NewAuthLimiter(burst int, every time.Duration) *AuthLimiter {
	return &AuthLimiter{burst: float64(burst), every: every, now: time.Now, clients: map[netip.Prefix]*bucket{}}
}

// clientKey is the client's address as a prefix: /32 for IPv4, /64 for
// IPv6 (v4-mapped IPv6 counts as IPv4).
func clientKey(remoteAddr string) (netip.Prefix, bool) {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap().WithZone("")
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, err := ip.Prefix(bits)
	return p, err == nil
}

// refill brings b up to date; the caller holds mu.
func (l *AuthLimiter) refill(b *bucket, now time.Time) {
	if el := now.Sub(b.at); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+float64(el)/float64(l.every))
	}
	b.at = now
}

// Wait returns how long the client must wait before it may try to
// authenticate again (0: now).
func (l *AuthLimiter) Wait(remoteAddr string) time.Duration {
	k, ok := clientKey(remoteAddr)
	if !ok {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[k]
	if b == nil {
		return 0
	}
	l.refill(b, l.now())
	if b.tokens >= 1 {
		return 0
	}
	return time.Duration((1 - b.tokens) * float64(l.every))
}

// Failed records an authentication failure of the client.
func (l *AuthLimiter) Failed(remoteAddr string) {
	k, ok := clientKey(remoteAddr)
	if !ok {
		return
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.clients[k]
	if b == nil {
		if len(l.clients) >= maxTracked {
			l.sweep(now)
		}
		b = &bucket{tokens: l.burst, at: now}
		l.clients[k] = b
	}
	l.refill(b, now)
	b.tokens = math.Max(0, b.tokens-1)
}

// sweep drops clients whose bucket is full again (and, if that is not
// enough, every other one); the caller holds mu.
func (l *AuthLimiter) sweep(now time.Time) {
	for k, b := range l.clients {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.clients, k)
		}
	}
	if len(l.clients) >= maxTracked {
		clear(l.clients)
	}
}

const ctxKeyAuthLimiter = "switchyard.auth_limiter"

// RateLimited is the 429 answer.
func RateLimited(wait time.Duration) *Error {
	return &Error{Code: "rate_limited", Status: http.StatusTooManyRequests,
		Message: "too many failed authentication attempts from this address; retry after " + strconv.Itoa(retrySeconds(wait)) + " s"}
}

func retrySeconds(d time.Duration) int { return max(1, int(math.Ceil(d.Seconds()))) }

// AuthAllowed is called before authenticating a request (the API key
// middleware, and routes that authenticate themselves, e.g. by a key in
// the body): a client that failed too often gets 429 with Retry-After.
func AuthAllowed(c echo.Context) error {
	l, _ := c.Get(ctxKeyAuthLimiter).(*AuthLimiter)
	if l == nil {
		return nil
	}
	if w := l.Wait(c.Request().RemoteAddr); w > 0 {
		c.Response().Header().Set("Retry-After", strconv.Itoa(retrySeconds(w)))
		return RateLimited(w)
	}
	return nil
}

// AuthFailed records that the request's credentials were rejected.
func AuthFailed(c echo.Context) {
	if l, _ := c.Get(ctxKeyAuthLimiter).(*AuthLimiter); l != nil {
		l.Failed(c.Request().RemoteAddr)
	}
}
