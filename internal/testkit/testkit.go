// Package testkit holds the small helpers the tests of every package
// share: polling for a condition (Eventually, Poll), a goroutine-safe
// buffer (SyncBuffer) and a settable clock (FakeClock). It is imported only
// from _test.go files and never linked into the binary.
package testkit

import (
	"bytes"
	"sync"
	"time"
)

// PollEvery is how often Eventually and Poll check their condition.
const PollEvery = 10 * time.Millisecond

// T is the part of testing.TB Eventually uses.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Eventually polls cond until it holds; after timeout it fails the test
// with "timed out waiting for " and the formatted message.
func Eventually(t T, timeout time.Duration, cond func() bool, format string, args ...any) {
	t.Helper()
	if !Poll(timeout, cond) {
		t.Fatalf("timed out waiting for "+format, args...)
	}
}

// Poll polls cond until it holds or timeout passes, and reports whether
// it held (for a test that checks the outcome itself).
func Poll(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if !time.Now().Before(deadline) {
			return false
		}
		time.Sleep(PollEvery)
	}
	return true
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers and readers
// (a log sink, a subprocess's output).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// FakeClock is a settable clock. After's channel fires once Set or Add
// moves the clock to or past its deadline. A clock made by NewFakeClock
// also sends every After deadline to Waits (After blocks while
// waitsBuffer of them are unread), so a test can step the clock exactly to
// the next timer; the zero value reads the zero time and has no Waits.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	waits   chan time.Time
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// waitsBuffer is how many After deadlines Waits holds unread before After
// blocks.
const waitsBuffer = 16

// NewFakeClock returns a clock reading now that reports its timers on
// Waits.
func NewFakeClock(now time.Time) *FakeClock {
	return &FakeClock{now: now, waits: make(chan time.Time, waitsBuffer)}
}

// Now returns the clock's time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives the clock's time once it reaches
// Now()+d.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := waiter{at: c.now.Add(d), ch: make(chan time.Time, 1)}
	c.waiters = append(c.waiters, w)
	if c.waits != nil {
		c.waits <- w.at
	}
	return w.ch
}

// Waits receives the deadline of every After call (nil, never ready, for
// the zero value).
func (c *FakeClock) Waits() <-chan time.Time { return c.waits }

// Set moves the clock to t and fires the After channels due by then.
func (c *FakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(t)
}

// Add moves the clock forward by d.
func (c *FakeClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setLocked(c.now.Add(d))
}

func (c *FakeClock) setLocked(t time.Time) {
	c.now = t
	keep := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(t) {
			w.ch <- t
		} else {
			keep = append(keep, w)
		}
	}
	c.waiters = keep
}
