// Package aritest is the test harness for code that drives calls through
// package ari against the real test Asterisk: an in-memory Recorder, a test
// logger, and a Manager connected under a unique Stasis application name
// (so parallel test packages never see each other's calls).
package aritest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// Recorder is an in-memory ari.Recorder that keeps every record.
type Recorder struct {
	mu       sync.Mutex
	started  map[string]ari.Attempt
	finished map[string]ari.AttemptEnd
	twice    int
	dropped  []string
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder {
	return &Recorder{started: map[string]ari.Attempt{}, finished: map[string]ari.AttemptEnd{}}
}

// AttemptStarted implements ari.Recorder.
func (r *Recorder) AttemptStarted(_ context.Context, a ari.Attempt) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.started[a.AttemptID] = a
	return nil
}

// AttemptFinished implements ari.Recorder; a second finish is counted (see
// Twice) and ignored, as the store does.
func (r *Recorder) AttemptFinished(_ context.Context, id string, end ari.AttemptEnd) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.finished[id]; ok {
		r.twice++
		return nil
	}
	r.finished[id] = end
	return nil
}

// AttemptDiscarded implements ari.AttemptDiscarder: the attempt was never
// placed (Asterisk unavailable, or the originate was lost with the link and
// its channel never appeared), so its record goes. Discarding a finished
// attempt is an error: a placed call must keep its record.
func (r *Recorder) AttemptDiscarded(_ context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.finished[id]; ok {
		return fmt.Errorf("aritest: discard of finished attempt %s", id)
	}
	delete(r.started, id)
	r.dropped = append(r.dropped, id)
	return nil
}

// Discarded lists the attempts whose records were discarded (not placed).
func (r *Recorder) Discarded() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.dropped)
}

// OpenAttempts implements ari.Recorder.
func (r *Recorder) OpenAttempts(_ context.Context, node string) ([]ari.OpenAttempt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []ari.OpenAttempt
	for id, a := range r.started {
		if _, ok := r.finished[id]; !ok && a.Node == node {
			out = append(out, ari.OpenAttempt{AttemptID: id, ChannelID: a.ChannelID})
		}
	}
	return out, nil
}

// Open lists attempts started and not finished.
func (r *Recorder) Open() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id := range r.started {
		if _, ok := r.finished[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// End returns how an attempt finished.
func (r *Recorder) End(id string) (ari.AttemptEnd, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.finished[id]
	return e, ok
}

// Started returns how an attempt started.
func (r *Recorder) Started(id string) (ari.Attempt, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a, ok := r.started[id]
	return a, ok
}

// Finished returns a copy of every finished attempt by ID.
func (r *Recorder) Finished() map[string]ari.AttemptEnd {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]ari.AttemptEnd, len(r.finished))
	for k, v := range r.finished {
		out[k] = v
	}
	return out
}

// Twice counts attempts someone tried to finish a second time.
func (r *Recorder) Twice() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.twice
}

// Logger logs warnings and errors through t.Log; SWITCHYARD_TEST_LOG=1
// sends debug logs to stderr instead.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("SWITCHYARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type tlog struct{ t testing.TB }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(strings.TrimSpace(string(p))); return len(p), nil }

// Options tune StartManager; the zero value is fine.
type Options struct {
	URL        string // ARI URL instead of the test Asterisk's (e.g. a proxy)
	Prefix     string // application name prefix (default "sytest")
	Route      func(context.Context, *ariv6.StasisStart) ari.Route
	SweepEvery time.Duration
	Client     func(*ari.Options) // adjusts the client options
}

// StartManager connects a Manager to the test Asterisk under a unique
// application name, waits until its events stream is up, and stops it when
// the test ends. The application name is m.Client().App(); the node name
// is the same.
func StartManager(t testing.TB, rec ari.Recorder, o Options) *ari.Manager {
	t.Helper()
	info := asterisktest.Require(t)
	if o.URL == "" {
		o.URL = info.URL
	}
	if o.Prefix == "" {
		o.Prefix = "sytest"
	}
	app := o.Prefix + "-" + uuid.NewString()[:8]
	co := ari.Options{URL: o.URL, User: info.User, Password: info.Password, App: app, Logger: Logger(t)}
	if o.Client != nil {
		o.Client(&co)
	}
	client, err := ari.NewClient(co)
	if err != nil {
		t.Fatal(err)
	}
	m := ari.NewManager(ari.ManagerConfig{Client: client, Recorder: rec, Node: app, Route: o.Route,
		SweepEvery: o.SweepEvery, Logger: Logger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("manager run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("manager did not stop")
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !m.Stream().State().Connected {
		if time.Now().After(deadline) {
			t.Fatalf("ARI stream not connected: %+v", m.Stream().State())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return m
}
