// Package fastagi serves FastAGI: legacy dialplans hand a call to Switchyard
// with AGI(agi://host:port/<path>?<query>,<args>...). Handlers are chosen by
// the request path; each connection runs in its own goroutine with its own
// context, cancelled when the caller hangs up or the server stops.
//
// Outcome reporting: Asterisk sets AGISTATUS=SUCCESS whenever the FastAGI
// server closes the connection normally, so the outcome is reported in the
// channel variable SWITCHYARD_AGI_STATUS instead: SUCCESS (handler returned
// nil), FAILURE (handler returned an error or panicked) or NOTFOUND (no
// handler for the path). It is not set once the caller has hung up.
package fastagi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"
)

// Channel variable reporting the outcome of a FastAGI session, and its values.
const (
	StatusVar      = "SWITCHYARD_AGI_STATUS"
	StatusSuccess  = "SUCCESS"
	StatusFailure  = "FAILURE"
	StatusNotFound = "NOTFOUND"
)

// DefaultHeaderTimeout bounds how long a new connection may take to send its
// agi_ header block.
const DefaultHeaderTimeout = 10 * time.Second

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown.
var ErrServerClosed = errors.New("fastagi: server closed")

// Handler serves one FastAGI session. ctx is cancelled when the caller hangs
// up (context.Cause(ctx) == ErrHangup), the connection drops, or the server
// is stopped hard. When ServeAGI returns the connection is closed and
// Asterisk continues with the next dialplan priority.
type Handler interface {
	ServeAGI(ctx context.Context, s *Session) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, s *Session) error

// ServeAGI calls f(ctx, s).
func (f HandlerFunc) ServeAGI(ctx context.Context, s *Session) error { return f(ctx, s) }

type prefixRoute struct {
	prefix string
	h      Handler
}

// Server is a FastAGI server with a handler registry keyed by request path.
type Server struct {
	// HeaderTimeout bounds the wait for a new connection's header
	// (DefaultHeaderTimeout if zero). Set before serving.
	HeaderTimeout time.Duration

	addr   string
	logger *slog.Logger

	routesMu sync.RWMutex
	exact    map[string]Handler
	prefixes []prefixRoute // longest first

	mu        sync.Mutex
	closing   bool
	listeners map[net.Listener]struct{}
	live      map[*liveConn]struct{}
	bound     net.Addr
	wg        sync.WaitGroup // live connections
}

type liveConn struct {
	ctx    context.Context
	cancel context.CancelFunc
	kill   func() // cancel the session context and close the connection
}

// New returns a server that will listen on addr (host:port). The built-in
// "hello" handler (see Hello) is registered. A nil logger discards logs.
func New(addr string, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv := &Server{
		addr:      addr,
		logger:    logger.With("component", "fastagi"),
		exact:     map[string]Handler{},
		listeners: map[net.Listener]struct{}{},
		live:      map[*liveConn]struct{}{},
	}
	srv.Handle(HelloPath, HandlerFunc(Hello))
	return srv
}

// Handle registers h for pattern. A pattern without a trailing slash
// ("hello", "ivr/main") matches exactly that request path. A pattern ending
// in '/' ("flow/") matches every path below it; the remainder ("42" for
// "flow/42") is in Session.Request.Rest. Exact patterns win over prefixes
// and the longest prefix wins. Query strings are not part of the path.
//
// Handle panics on an invalid pattern, a nil handler, or a pattern that is
// already registered (including the built-in "hello"): routes are code.
func (srv *Server) Handle(pattern string, h Handler) {
	p, err := parsePattern(pattern)
	if err != nil {
		panic(fmt.Sprintf("fastagi: Handle(%q): %v", pattern, err))
	}
	if h == nil {
		panic(fmt.Sprintf("fastagi: Handle(%q): nil handler", pattern))
	}
	srv.routesMu.Lock()
	defer srv.routesMu.Unlock()
	if p.prefix {
		for _, r := range srv.prefixes {
			if r.prefix == p.text {
				panic(fmt.Sprintf("fastagi: Handle(%q): pattern already registered", pattern))
			}
		}
		srv.prefixes = append(srv.prefixes, prefixRoute{prefix: p.text, h: h})
		sort.SliceStable(srv.prefixes, func(i, j int) bool {
			return len(srv.prefixes[i].prefix) > len(srv.prefixes[j].prefix)
		})
		return
	}
	if _, dup := srv.exact[p.text]; dup {
		panic(fmt.Sprintf("fastagi: Handle(%q): pattern already registered", pattern))
	}
	srv.exact[p.text] = h
}

// HandleFunc registers f for pattern; see Handle.
func (srv *Server) HandleFunc(pattern string, f func(ctx context.Context, s *Session) error) {
	srv.Handle(pattern, HandlerFunc(f))
}

// match finds the handler for a parsed request path.
func (srv *Server) match(path string) (h Handler, pattern, rest string, ok bool) {
	srv.routesMu.RLock()
	defer srv.routesMu.RUnlock()
	if h, ok := srv.exact[path]; ok {
		return h, path, "", true
	}
	for _, r := range srv.prefixes {
		if strings.HasPrefix(path, r.prefix) {
			return r.h, r.prefix, path[len(r.prefix):], true
		}
	}
	return nil, "", "", false
}

// Addr returns the address the server listens on (the real port when the
// configured port was 0), or "" before it listens.
func (srv *Server) Addr() string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.bound == nil {
		return ""
	}
	return srv.bound.String()
}

// ListenAndServe listens on the configured address and serves until ctx is
// cancelled (hard stop, returns nil) or Shutdown is called (returns
// ErrServerClosed).
func (srv *Server) ListenAndServe(ctx context.Context) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", srv.addr)
	if err != nil {
		return fmt.Errorf("fastagi: listen on %s: %w", srv.addr, err)
	}
	return srv.Serve(ctx, l)
}

// Serve accepts FastAGI connections on l, one goroutine per connection, and
// closes l when it returns.
//
// Cancelling ctx is a hard stop: Serve returns nil, every live session's
// context is cancelled and its connection closed. For a graceful stop call
// Shutdown, which lets live sessions finish first.
func (srv *Server) Serve(ctx context.Context, l net.Listener) error {
	srv.mu.Lock()
	if srv.closing {
		srv.mu.Unlock()
		_ = l.Close()
		return ErrServerClosed
	}
	srv.listeners[l] = struct{}{}
	if srv.bound == nil {
		srv.bound = l.Addr()
	}
	srv.mu.Unlock()
	defer func() {
		srv.mu.Lock()
		delete(srv.listeners, l)
		srv.mu.Unlock()
		_ = l.Close()
	}()
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()

	srv.logger.Info("FastAGI listening", "addr", l.Addr().String())
	var backoff time.Duration
	for {
		conn, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if srv.isClosing() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				srv.logger.Warn("accept failed; retrying", "err", err, "in", backoff)
				select {
				case <-time.After(backoff):
					continue
				case <-ctx.Done():
					return nil
				}
			}
			return fmt.Errorf("fastagi: accept: %w", err)
		}
		backoff = 0
		lc, ok := srv.track(ctx, conn)
		if !ok {
			_ = conn.Close()
			continue
		}
		go srv.serveTracked(ctx, conn, lc)
	}
}

func isTemporary(err error) bool {
	var t interface{ Temporary() bool }
	return errors.As(err, &t) && t.Temporary()
}

// ServeConn serves one already-accepted connection and returns when the
// session ends. Serve calls it for every connection; tests can pass one end
// of a net.Pipe.
func (srv *Server) ServeConn(ctx context.Context, conn net.Conn) {
	lc, ok := srv.track(ctx, conn)
	if !ok {
		_ = conn.Close()
		return
	}
	srv.serveTracked(ctx, conn, lc)
}

// track registers a live connection unless the server is shutting down.
func (srv *Server) track(ctx context.Context, conn net.Conn) (*liveConn, bool) {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.closing {
		return nil, false
	}
	srv.wg.Add(1)
	connCtx, cancel := context.WithCancel(ctx)
	lc := &liveConn{
		ctx:    connCtx,
		cancel: cancel,
		kill:   sync.OnceFunc(func() { cancel(); _ = conn.Close() }),
	}
	srv.live[lc] = struct{}{}
	return lc, true
}

func (srv *Server) serveTracked(ctx context.Context, conn net.Conn, lc *liveConn) {
	defer srv.wg.Done()
	// A cancelled server context (hard stop) kills the connection, which
	// also unblocks a handler waiting inside an AGI command.
	stop := context.AfterFunc(ctx, lc.kill)
	defer func() {
		stop()
		lc.cancel()
		srv.mu.Lock()
		delete(srv.live, lc)
		srv.mu.Unlock()
	}()
	srv.serveSession(lc.ctx, conn)
}

func (srv *Server) serveSession(ctx context.Context, conn net.Conn) {
	start := time.Now()
	logger := srv.logger.With("remote", conn.RemoteAddr().String())
	timeout := srv.HeaderTimeout
	if timeout <= 0 {
		timeout = DefaultHeaderTimeout
	}
	s, sctx, err := newSession(ctx, conn, timeout, logger)
	if err != nil {
		if ctx.Err() == nil {
			logger.Warn("FastAGI connection without a valid AGI header; closed", "err", err)
		}
		_ = conn.Close()
		return
	}
	defer s.close()
	defer s.cancel(nil)

	req := newRequest(s.Variables)
	script := req.Script
	if script == "" {
		script = scriptFromRequest(req.URL)
	}
	s.logger = logger.With("channel", req.Channel, "uniqueid", req.UniqueID)
	path, query, perr := ParseScript(script)
	if perr != nil {
		s.Request = req
		srv.notFound(s, script, perr.Error())
		return
	}
	req.Path, req.Query = path, query
	s.logger = s.logger.With("path", path)
	h, pattern, rest, ok := srv.match(path)
	if !ok {
		s.Request = req
		srv.notFound(s, path, "no handler registered for this path")
		return
	}
	req.Pattern, req.Rest = pattern, rest
	s.Request = req
	s.logger.Debug("FastAGI session start", "pattern", pattern, "args", len(req.Args))

	err = srv.run(sctx, h, s)
	status := StatusSuccess
	switch {
	case err == nil:
	case s.Hungup():
		// Errors after a hang-up are expected (511 on a dead channel).
		s.logger.Info("FastAGI handler ended after hang-up", "err", err)
	default:
		status = StatusFailure
		s.logger.Error("FastAGI handler failed", "err", err)
		_ = s.Verbose("switchyard: FastAGI "+path+" failed: "+truncate(err.Error(), 200), 1)
	}
	if !s.Hungup() && ctx.Err() == nil {
		if serr := s.SetVariable(StatusVar, status); serr != nil && !s.Hungup() {
			s.logger.Warn("cannot set "+StatusVar, "err", serr)
		}
	}
	s.logger.Debug("FastAGI session end", "status", status, "hungup", s.Hungup(), "duration", time.Since(start))
}

// run calls the handler, turning a panic into an error.
func (srv *Server) run(ctx context.Context, h Handler, s *Session) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.logger.Error("FastAGI handler panicked", "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return h.ServeAGI(ctx, s)
}

// notFound tells Asterisk (and the operator watching its console) that no
// handler exists, sets SWITCHYARD_AGI_STATUS=NOTFOUND and lets the dialplan
// continue.
func (srv *Server) notFound(s *Session, path, reason string) {
	s.logger.Warn("FastAGI request for unknown path", "path", path, "reason", reason, "request", s.Request.URL)
	msg := fmt.Sprintf("switchyard: no FastAGI handler for %q (%s)", truncate(path, 100), reason)
	if err := s.Verbose(msg, 1); err != nil {
		s.logger.Debug("VERBOSE failed", "err", err)
		return
	}
	if err := s.SetVariable(StatusVar, StatusNotFound); err != nil {
		s.logger.Debug("SET VARIABLE failed", "err", err)
	}
}

func (srv *Server) isClosing() bool {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return srv.closing
}

// Shutdown stops accepting connections and waits for live sessions to end.
// When ctx expires first, the remaining sessions are stopped hard (context
// cancelled, connection closed) and ctx's error is returned.
func (srv *Server) Shutdown(ctx context.Context) error {
	srv.mu.Lock()
	srv.closing = true
	for l := range srv.listeners {
		_ = l.Close()
	}
	n := len(srv.live)
	srv.mu.Unlock()
	if n > 0 {
		srv.logger.Info("FastAGI shutting down; waiting for live sessions", "sessions", n)
	}

	done := make(chan struct{})
	go func() {
		srv.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	srv.mu.Lock()
	kills := make([]func(), 0, len(srv.live))
	for lc := range srv.live {
		kills = append(kills, lc.kill)
	}
	srv.mu.Unlock()
	srv.logger.Warn("FastAGI shutdown timed out; closing live sessions", "sessions", len(kills))
	for _, k := range kills {
		k()
	}
	return fmt.Errorf("fastagi: shutdown: %w", ctx.Err())
}

// LiveSessions reports the number of connections being served.
func (srv *Server) LiveSessions() int {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	return len(srv.live)
}
