package ari

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// StreamState is a snapshot of the event connection for health checks.
type StreamState struct {
	Connected       bool      `json:"connected"`
	Since           time.Time `json:"since"` // when Connected last changed
	LastError       string    `json:"last_error,omitempty"`
	Reconnects      int64     `json:"reconnects"`
	AsteriskVersion string    `json:"asterisk_version,omitempty"`
	EntityID        string    `json:"entity_id,omitempty"`
}

// StreamHooks observe the stream; all are optional.
type StreamHooks struct {
	// Event is called for every decoded event (metrics by type).
	Event func(eventType string)
	// Connected is called on the reading goroutine after each (re)connect,
	// before any event of that connection is dispatched; reconnect is true
	// from the second connection on. It is where reconciliation runs.
	Connected func(ctx context.Context, reconnect bool)
	// Disconnected is called when a connection ends.
	Disconnected func(err error)
}

// Stream keeps the ARI events websocket open and feeds the Router.
type Stream struct {
	client *Client
	router *Router
	hooks  StreamHooks
	log    *slog.Logger

	// MinBackoff and MaxBackoff bound the reconnect delay (defaults 100ms
	// and 10s; 30s after a credentials failure).
	MinBackoff, MaxBackoff time.Duration

	mu    sync.Mutex
	state StreamState
	conn  *websocket.Conn

	connects     atomic.Int64
	wasConnected atomic.Bool // the last session got connected
}

// NewStream returns a stream; Run starts it.
func NewStream(c *Client, r *Router, hooks StreamHooks, log *slog.Logger) *Stream {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stream{client: c, router: r, hooks: hooks, log: log,
		MinBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second}
}

// State returns a snapshot of the connection state.
func (s *Stream) State() StreamState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

func (s *Stream) setState(f func(*StreamState)) {
	s.mu.Lock()
	f(&s.state)
	s.mu.Unlock()
}

// Drop closes the current websocket connection, as a network failure would.
// Run reconnects. Tests and operators (a forced resync) use it.
func (s *Stream) Drop() {
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c != nil {
		_ = c.CloseNow()
	}
}

// Run connects and reads events until ctx ends, reconnecting with
// exponential backoff and jitter. It returns only when ctx is done.
func (s *Stream) Run(ctx context.Context) error {
	backoff := s.MinBackoff
	var lastErr string
	for {
		err := s.session(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		msg := err.Error()
		wait := backoff
		if errors.Is(err, ErrUnauthorized) {
			wait = max(wait, 30*time.Second)
		}
		if msg != lastErr {
			s.log.Error("ARI events connection failed", "error", err, "retry_in", wait)
		} else {
			s.log.Debug("ARI events connection failed again", "error", err, "retry_in", wait)
		}
		lastErr = msg
		s.setState(func(st *StreamState) {
			if st.Connected {
				st.Since = time.Now()
			}
			st.Connected = false
			st.LastError = msg
		})
		if s.wasConnected.Swap(false) { // a link that worked: retry quickly
			backoff = s.MinBackoff
			wait = backoff
		}
		jitter := time.Duration(rand.Int64N(int64(wait)/4 + 1))
		t := time.NewTimer(wait + jitter)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(backoff*2, s.MaxBackoff)
	}
}

func (s *Stream) wsURL() string {
	u := s.client.base
	switch {
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	}
	return u + "/events?" + url.Values{"app": {s.client.app}, "subscribeAll": {"false"}}.Encode()
}

// session runs one websocket connection to its end.
func (s *Stream) session(ctx context.Context) error {
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	hdr := http.Header{}
	req, _ := http.NewRequest(http.MethodGet, "http://x", nil)
	req.SetBasicAuth(s.client.user, s.client.pass)
	hdr.Set("Authorization", req.Header.Get("Authorization"))
	conn, resp, err := websocket.Dial(dctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: hdr, HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	cancel()
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
			return fmt.Errorf("%w: Asterisk answered %d for ARI user %q at %s (check SWITCHYARD_ARI_USER/SWITCHYARD_ARI_PASSWORD against ari.conf)",
				ErrUnauthorized, resp.StatusCode, s.client.user, s.client.base)
		}
		if resp != nil {
			return fmt.Errorf("connect %s: HTTP %d: %w", s.client.base, resp.StatusCode, err)
		}
		return fmt.Errorf("connect %s: %w", s.client.base, err)
	}
	conn.SetReadLimit(16 << 20)
	defer conn.CloseNow()

	info, err := s.client.Info(ctx)
	if err != nil {
		return fmt.Errorf("asterisk info after connect: %w", err)
	}
	s.mu.Lock()
	s.conn = conn
	s.state.Connected = true
	s.state.Since = time.Now()
	s.state.LastError = ""
	s.state.AsteriskVersion = info.SystemInfo.Version
	s.state.EntityID = info.SystemInfo.EntityID
	n := s.connects.Add(1)
	s.wasConnected.Store(true)
	if n > 1 {
		s.state.Reconnects++
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.conn = nil
		s.mu.Unlock()
	}()
	s.log.Info("ARI events connected", "url", s.client.base, "app", s.client.app,
		"asterisk", info.SystemInfo.Version, "reconnect", n > 1)

	if len(s.client.disallow) > 0 {
		if err := s.client.SetEventFilter(ctx, s.client.disallow); err != nil {
			s.log.Warn("ARI event filter not applied; all events will be sent", "error", err)
		}
	}

	// Events arriving while reconciliation runs queue in the websocket's
	// buffers (and Asterisk's); none are lost, they are read right after.
	if s.hooks.Connected != nil {
		s.hooks.Connected(ctx, n > 1)
	}

	// Reads use a context without Done: coder/websocket would otherwise
	// register a context callback for every frame. One callback closes the
	// connection when ctx ends.
	stopClose := context.AfterFunc(ctx, func() { _ = conn.CloseNow() })
	defer stopClose()
	readCtx := context.WithoutCancel(ctx)
	// One buffer for every frame: the decoders copy what they keep.
	var buf bytes.Buffer
	for {
		buf.Reset()
		_, r, err := conn.Reader(readCtx)
		if err == nil {
			_, err = buf.ReadFrom(r)
		}
		data := buf.Bytes()
		if err != nil {
			if s.hooks.Disconnected != nil {
				s.hooks.Disconnected(err)
			}
			return fmt.Errorf("read events: %w", err)
		}
		ev, typ, skip, err := s.router.decodeFrame(data)
		if err != nil {
			s.log.Warn("undecodable ARI event", "error", err, "size", len(data))
			continue
		}
		if s.hooks.Event != nil {
			s.hooks.Event(typ)
		}
		// Hand the processor to the call the event just woke: the woken
		// goroutine sits in this P's run-next slot, and without a yield it
		// waits until this loop blocks on an empty socket (under a burst of
		// frames and a CPU shared with Asterisk, tens of ms) or another P
		// steals it. Reacting to an event already read comes before reading
		// the next one; the frames not yet read wait in the socket buffers,
		// and the scheduler polls its global queue at least every 61 runs,
		// so the reader is never held for long.
		if !skip && s.router.Dispatch(ev) {
			runtime.Gosched()
		}
	}
}
