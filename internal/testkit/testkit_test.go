package testkit

import (
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type fakeT struct {
	failed string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	ft := &fakeT{}
	Eventually(ft, time.Second, func() bool { return n.Add(1) == 3 }, "three")
	if ft.failed != "" || n.Load() != 3 {
		t.Errorf("held on the third poll: failed %q after %d polls", ft.failed, n.Load())
	}
	start := time.Now()
	Eventually(ft, 30*time.Millisecond, func() bool { return false }, "%s %d", "never", 7)
	if ft.failed != "timed out waiting for never 7" {
		t.Errorf("failure message %q", ft.failed)
	}
	if d := time.Since(start); d < 30*time.Millisecond || d > time.Second {
		t.Errorf("gave up after %v", d)
	}
}

func TestPoll(t *testing.T) {
	if !Poll(time.Second, func() bool { return true }) {
		t.Error("a condition already true is reported false")
	}
	if Poll(20*time.Millisecond, func() bool { return false }) {
		t.Error("a condition never true is reported true")
	}
	if !Poll(0, func() bool { return true }) {
		t.Error("a zero timeout still checks once")
	}
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if _, err := io.WriteString(&b, "x"); err != nil {
					t.Error(err)
				}
				_ = b.String()
			}
		})
	}
	wg.Wait()
	if got := b.String(); got != strings.Repeat("x", 800) {
		t.Errorf("got %d bytes, want 800", len(got))
	}
}

func TestFakeClock(t *testing.T) {
	t0 := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	c := NewFakeClock(t0)
	if !c.Now().Equal(t0) {
		t.Fatalf("Now %v", c.Now())
	}
	var zero FakeClock
	if !zero.Now().IsZero() || zero.Waits() != nil {
		t.Errorf("zero clock reads %v, waits %v", zero.Now(), zero.Waits())
	}
	zch := zero.After(time.Second) // no Waits: does not block
	zero.Add(time.Second)
	if at := <-zch; !at.Equal(time.Time{}.Add(time.Second)) {
		t.Errorf("zero clock fired with %v", at)
	}

	ch := c.After(time.Minute)
	if at := <-c.Waits(); !at.Equal(t0.Add(time.Minute)) {
		t.Errorf("Waits got %v", at)
	}
	c.Add(30 * time.Second)
	select {
	case <-ch:
		t.Fatal("fired before its deadline")
	default:
	}
	if !c.Now().Equal(t0.Add(30 * time.Second)) {
		t.Errorf("after Add: %v", c.Now())
	}
	c.Set(t0.Add(time.Minute))
	select {
	case at := <-ch:
		if !at.Equal(t0.Add(time.Minute)) {
			t.Errorf("fired with %v", at)
		}
	default:
		t.Fatal("not fired at its deadline")
	}
	// A timer fires once; later moves do not block.
	c.Add(time.Hour)
	if !c.Now().Equal(t0.Add(time.Hour + time.Minute)) {
		t.Errorf("after a second move: %v", c.Now())
	}
}

func TestStablePort(t *testing.T) {
	lo := ephemeralLow()
	for range 20 {
		p, err := StablePort("tcp", "udp")
		if err != nil {
			t.Fatal(err)
		}
		if p < 20000 || p >= lo {
			t.Fatalf("port %d outside [20000, %d)", p, lo)
		}
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d not free over TCP: %v", p, err)
		}
		_ = l.Close()
	}
	if _, err := StablePort("sctp"); err == nil {
		t.Fatal("unknown network: want an error")
	}
}
