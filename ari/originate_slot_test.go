package ari

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// An originate that gave up waiting for a slot was never sent: it counts
// as not placed (made again later), never as a call in doubt.
func TestOriginateWaitingForSlotIsNotSent(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 4)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		arrived <- struct{}{}
		<-release
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	defer close(release)
	// Two connections: one originate slot.
	c, err := NewClient(Options{URL: srv.URL + "/ari", App: "slots", MaxConns: 2, RequestTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = c.Originate(context.Background(), OriginateRequest{Endpoint: "Local/a@customers"}) }()
	<-arrived
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err = c.Originate(ctx, OriginateRequest{Endpoint: "Local/b@customers"})
	if !errors.Is(err, errNotSent) || !unavailable(err, time.Hour) {
		t.Fatalf("originate that waited for a slot: %v, want not sent (unavailable)", err)
	}
	if n := got.Load(); n != 1 {
		t.Fatalf("Asterisk received %d originates, want 1", n)
	}
}

func TestOriginateSlots(t *testing.T) {
	for _, tc := range []struct{ conns, want int }{{1, 1}, {2, 1}, {3, 2}, {4, 3}, {8, 6}, {64, 48}, {256, 192}} {
		if got := originateSlots(tc.conns); got != tc.want {
			t.Errorf("originateSlots(%d) = %d, want %d", tc.conns, got, tc.want)
		}
	}
}
