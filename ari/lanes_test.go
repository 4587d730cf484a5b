package ari_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// A burst of originates that Asterisk is slow to answer must not make a
// call's next command wait for a connection: the command is written and
// answered while every originate is still waiting for Asterisk, and more
// originates than the whole pool are queued behind them.
func TestCommandNotQueuedBehindOriginates(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 64)
	var mu sync.Mutex
	inFlight, maxInFlight := 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/ari/channels":
			mu.Lock()
			inFlight++
			maxInFlight = max(maxInFlight, inFlight)
			mu.Unlock()
			arrived <- struct{}{}
			<-release // Asterisk busy creating channels
			mu.Lock()
			inFlight--
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/ari/channels/"):
			w.WriteHeader(http.StatusNoContent)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	// Of 8 connections, originates may hold 6; 2 stay for commands.
	const maxConns, originateSlots = 8, 6
	c, err := ari.NewClient(ari.Options{URL: srv.URL + "/ari", App: "lanes", MaxConns: maxConns, RequestTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 3*maxConns)
	for range 3 * maxConns {
		wg.Go(func() {
			_, err := c.Originate(context.Background(), ari.OriginateRequest{Endpoint: "Local/x@customers"})
			errs <- err
		})
	}
	// Once Asterisk holds as many originates as they may, the rest wait.
	for range originateSlots {
		<-arrived
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	herr := c.Hangup(ctx, "call-1", "")
	mu.Lock()
	held := inFlight
	mu.Unlock()
	close(release)
	wg.Wait()
	close(errs)
	if herr != nil {
		t.Fatalf("hangup while %d originates were in flight: %v (queued behind the originates)", held, herr)
	}
	for err := range errs {
		if err != nil {
			t.Errorf("originate: %v", err)
		}
	}
	if maxInFlight != originateSlots {
		t.Errorf("%d originates in flight at once, want %d (three quarters of the connections)", maxInFlight, originateSlots)
	}
}
