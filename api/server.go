// Package api is Switchyard's HTTP surface on echo/v4: /healthz, /metrics
// and the authenticated admin API under /api/v1. Every error, echo's own
// included, is turned into a JSON response in one place (see Error).
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Defaults for Deps fields left zero.
const (
	DefaultBodyLimit     = "1M"
	DefaultHealthTimeout = 3 * time.Second
)

// Deps is what the HTTP layer consumes. The composition root fills it.
type Deps struct {
	// Version is reported by /healthz.
	Version string
	// Health checks run (concurrently) by /healthz, e.g. "db" and "ari".
	Health []HealthCheck
	// HealthTimeout bounds each check (DefaultHealthTimeout if zero).
	HealthTimeout time.Duration
	// Authenticate resolves an API key (from "Authorization: Bearer <key>")
	// to its principal. It must return an error wrapping ErrUnauthorized
	// for unknown, revoked or malformed keys; any other error is treated
	// as a server failure (500) and logged. Nil rejects every request to
	// /api/v1.
	Authenticate func(ctx context.Context, key string) (Principal, error)
	// Session resolves the value of the session cookie (SessionCookie) to
	// its principal, CSRF token included. It must return an error wrapping
	// ErrUnauthorized for an unknown or expired session; nil refuses
	// cookie authentication.
	Session func(ctx context.Context, token string) (Principal, error)
	// Registerer and Gatherer: the dedicated Prometheus registry (see
	// NewRegistry); HTTP metrics are registered with Registerer and
	// /metrics serves Gatherer. If Gatherer is nil and Registerer is a
	// Gatherer (a *prometheus.Registry), it is used; if both are nil a new
	// registry is created.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
	// BodyLimit caps request bodies, e.g. "1M" (DefaultBodyLimit if empty):
	// the JSON endpoints' limit.
	BodyLimit string
	// RouteBodyLimits overrides BodyLimit per route, keyed "METHOD
	// /path" with echo's route path ("POST /api/v1/calllists/uploads"):
	// uploads and DNC lists take larger bodies.
	RouteBodyLimits map[string]int64
	// ErrorMap maps foreign sentinel errors (e.g. store.ErrNotFound) to
	// HTTP errors.
	ErrorMap []ErrorMapping
}

// Server is the HTTP server.
type Server struct {
	deps    Deps
	logger  *slog.Logger
	e       *echo.Echo
	api     *echo.Group
	hs      *http.Server
	metrics *httpMetrics
	// bodyLimit is Deps.BodyLimit in bytes.
	bodyLimit int64
	// authLimit rate-limits authentication failures per client.
	authLimit *AuthLimiter

	mu       sync.Mutex
	ln       net.Listener
	serveErr chan error
}

// New builds the server and its routes. A nil logger discards logs. It
// panics only on programmer errors (an invalid Deps.BodyLimit or a
// Registerer that rejects the HTTP metrics).
func New(deps Deps, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "http")
	if deps.HealthTimeout <= 0 {
		deps.HealthTimeout = DefaultHealthTimeout
	}
	if deps.BodyLimit == "" {
		deps.BodyLimit = DefaultBodyLimit
	}
	if deps.Registerer == nil && deps.Gatherer == nil {
		reg := NewRegistry()
		deps.Registerer, deps.Gatherer = reg, reg
	}
	if deps.Gatherer == nil {
		if g, ok := deps.Registerer.(prometheus.Gatherer); ok {
			deps.Gatherer = g
		} else {
			panic("api: Deps.Gatherer is nil and Deps.Registerer is not a Gatherer")
		}
	}
	if deps.Registerer == nil {
		if r, ok := deps.Gatherer.(prometheus.Registerer); ok {
			deps.Registerer = r
		} else {
			panic("api: Deps.Registerer is nil and Deps.Gatherer is not a Registerer")
		}
	}
	if deps.Authenticate == nil {
		logger.Warn("no authenticator configured: every /api/v1 request will be rejected")
	}
	hm, err := newHTTPMetrics(deps.Registerer)
	if err != nil {
		panic(err)
	}

	limit, err := parseLimit(deps.BodyLimit)
	if err != nil {
		panic(err)
	}
	s := &Server{deps: deps, logger: logger, metrics: hm, bodyLimit: limit, authLimit: NewAuthLimiter(AuthFailBurst, AuthFailEvery)}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	e.Use(s.requestIDMiddleware, s.logMiddleware, s.recoverMiddleware, s.bodyLimitMiddleware, s.authLimitMiddleware)

	e.GET("/healthz", s.healthz)
	e.GET("/openapi.yaml", serveOpenAPI)
	e.HEAD("/healthz", s.healthz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(deps.Gatherer, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          deps.Registerer,
		EnableOpenMetrics: false,
	})))

	s.api = e.Group("/api/v1", s.authMiddleware)
	s.api.GET("/whoami", s.whoami)

	s.e = e
	s.hs = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s
}

// Echo exposes the router so later features can add routes.
func (s *Server) Echo() *echo.Echo { return s.e }

// API is the authenticated /api/v1 group; its handlers can read the caller
// with PrincipalFrom.
func (s *Server) API() *echo.Group { return s.api }

// Handler is the complete HTTP handler (for httptest).
func (s *Server) Handler() http.Handler { return s.e }

// Start listens on addr (port 0 picks a free port; see Addr) and serves in
// the background. It returns once the listener is bound.
func (s *Server) Start(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("http: listen on %s: %w", addr, err)
	}
	if err := s.setListener(l); err != nil {
		_ = l.Close()
		return err
	}
	go func() {
		err := s.serve(l)
		s.serveErr <- err
	}()
	return nil
}

// Serve serves on l until Shutdown; it returns nil after Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.setListener(l); err != nil {
		return err
	}
	err := s.serve(l)
	s.serveErr <- nil // Shutdown need not report it again
	return err
}

func (s *Server) setListener(l net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return errors.New("http: server already started")
	}
	s.ln = l
	s.serveErr = make(chan error, 1)
	return nil
}

func (s *Server) serve(l net.Listener) error {
	s.logger.Info("HTTP listening", "addr", l.Addr().String())
	err := s.hs.Serve(l)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("http: serve: %w", err)
}

// Addr is the bound address ("" before Start/Serve).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx expires, then closes the remaining connections and returns
// ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if err != nil {
		_ = s.hs.Close()
		err = fmt.Errorf("http: shutdown: %w", err)
	}
	s.mu.Lock()
	ch := s.serveErr
	s.mu.Unlock()
	if ch != nil {
		select {
		case serr := <-ch:
			err = errors.Join(err, serr)
		case <-time.After(time.Second):
		}
	}
	return err
}

// ---- /healthz ----

// HealthCheck is one named dependency check.
type HealthCheck struct {
	Name string
	// Check reports whether the dependency is healthy, a short detail
	// (e.g. the last error) and optional data (e.g. reconnect count).
	Check func(ctx context.Context) (ok bool, detail string, data map[string]any)
}

// HealthReport is the /healthz body.
type HealthReport struct {
	Status  string                 `json:"status"` // "ok" or "degraded"
	Version string                 `json:"version,omitempty"`
	Time    time.Time              `json:"time"`
	Checks  map[string]CheckResult `json:"checks"`
}

// CheckResult is one check in HealthReport.
type CheckResult struct {
	OK         bool           `json:"ok"`
	Detail     string         `json:"detail,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	DurationMS float64        `json:"duration_ms"`
}

func (s *Server) healthz(c echo.Context) error {
	rep := s.Health(c.Request().Context())
	status := http.StatusOK
	if rep.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
	}
	return c.JSON(status, rep)
}

// Health runs every check concurrently, each bounded by HealthTimeout.
func (s *Server) Health(ctx context.Context) HealthReport {
	rep := HealthReport{Status: "ok", Version: s.deps.Version, Time: time.Now().UTC(), Checks: map[string]CheckResult{}}
	type named struct {
		name string
		res  CheckResult
	}
	results := make(chan named, len(s.deps.Health))
	for _, hc := range s.deps.Health {
		go func() { results <- named{hc.Name, s.runCheck(ctx, hc)} }()
	}
	for range s.deps.Health {
		r := <-results
		rep.Checks[r.name] = r.res
		if !r.res.OK {
			rep.Status = "degraded"
		}
	}
	return rep
}

func (s *Server) runCheck(ctx context.Context, hc HealthCheck) CheckResult {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, s.deps.HealthTimeout)
	defer cancel()
	done := make(chan CheckResult, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				s.logger.Error("health check panicked", "check", hc.Name, "panic", r)
				done <- CheckResult{Detail: fmt.Sprintf("check panicked: %v", r)}
			}
		}()
		if hc.Check == nil {
			done <- CheckResult{Detail: "no check function"}
			return
		}
		ok, detail, data := hc.Check(ctx)
		done <- CheckResult{OK: ok, Detail: detail, Data: data}
	}()
	var res CheckResult
	select {
	case res = <-done:
	case <-ctx.Done():
		res = CheckResult{Detail: "check timed out after " + s.deps.HealthTimeout.String()}
	}
	res.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return res
}

// ---- middleware ----

const (
	ctxKeyRequestID = "switchyard.request_id"
	ctxKeyLogger    = "switchyard.logger"
	ctxKeyPrincipal = "switchyard.principal"
)

// requestIDMiddleware takes a sane X-Request-ID from the client or makes
// one, echoes it in the response and attaches a request-scoped logger.
func (s *Server) requestIDMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !validRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.Set(ctxKeyRequestID, id)
		c.Set(ctxKeyLogger, s.logger.With("request_id", id))
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// logMiddleware logs every request once, after the error mapper has
// written the response, and records HTTP metrics.
func (s *Server) logMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // the one error mapper writes the response
		}
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		method := metricMethod(req.Method)
		s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(res.Status)).Inc()
		s.metrics.duration.WithLabelValues(method, route).Observe(d.Seconds())

		level := slog.LevelInfo
		switch {
		case res.Status >= 500:
			level = slog.LevelError
		case route == "/healthz" || route == "/metrics":
			level = slog.LevelDebug
		}
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("path", req.URL.Path),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", d),
			slog.String("remote", c.RealIP()),
		}
		if p, ok := PrincipalFrom(c); ok {
			attrs = append(attrs, slog.Int64("account_id", p.AccountID))
		}
		requestLogger(c, s.logger).LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}

// metricMethod bounds the method label's cardinality.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// recoverMiddleware turns a handler panic into a 500 through the error
// mapper, logging the stack.
func (s *Server) recoverMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			buf := make([]byte, 16<<10)
			buf = buf[:runtimeStack(buf)]
			requestLogger(c, s.logger).Error("handler panicked", "panic", r, "stack", string(buf))
			err = &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Err: fmt.Errorf("panic: %v", r)}
		}()
		return next(c)
	}
}

// Logger returns the request-scoped logger (request_id attached).
func Logger(c echo.Context) *slog.Logger { return requestLogger(c, slog.New(slog.DiscardHandler)) }

func requestLogger(c echo.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := c.Get(ctxKeyLogger).(*slog.Logger); ok {
		return l
	}
	return fallback
}

func requestID(c echo.Context) string {
	id, _ := c.Get(ctxKeyRequestID).(string)
	return id
}
