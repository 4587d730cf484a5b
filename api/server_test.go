package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/switchyard/switchyard/internal/testkit"
)

func newTestServer(t *testing.T, deps Deps) (*Server, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	s := New(deps, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return s, logs
}

func do(t *testing.T, s *Server, method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %q: %v", rec.Body.String(), err)
	}
	return v
}

func okCheck(name string, data map[string]any) HealthCheck {
	return HealthCheck{Name: name, Check: func(ctx context.Context) (bool, string, map[string]any) {
		return true, "", data
	}}
}

func TestHealthz(t *testing.T) {
	cases := []struct {
		name       string
		checks     []HealthCheck
		wantStatus int
		want       string
		wantDetail map[string]string // check -> substring of detail
		wantOK     map[string]bool
	}{
		{
			name:       "all ok",
			checks:     []HealthCheck{okCheck("db", map[string]any{"driver": "sqlite"}), okCheck("ari", map[string]any{"connected": true})},
			wantStatus: 200, want: "ok",
			wantOK: map[string]bool{"db": true, "ari": true},
		},
		{
			name: "ari down",
			checks: []HealthCheck{okCheck("db", nil), {Name: "ari", Check: func(ctx context.Context) (bool, string, map[string]any) {
				return false, "dial tcp 127.0.0.1:8088: connection refused", map[string]any{"reconnects": 3}
			}}},
			wantStatus: 503, want: "degraded",
			wantOK:     map[string]bool{"db": true, "ari": false},
			wantDetail: map[string]string{"ari": "connection refused"},
		},
		{
			name: "check hangs",
			checks: []HealthCheck{okCheck("ari", nil), {Name: "db", Check: func(ctx context.Context) (bool, string, map[string]any) {
				time.Sleep(2 * time.Second) // ignores ctx on purpose
				return true, "", nil
			}}},
			wantStatus: 503, want: "degraded",
			wantOK:     map[string]bool{"db": false, "ari": true},
			wantDetail: map[string]string{"db": "timed out after 100ms"},
		},
		{
			name: "check panics",
			checks: []HealthCheck{{Name: "db", Check: func(ctx context.Context) (bool, string, map[string]any) {
				panic("boom")
			}}},
			wantStatus: 503, want: "degraded",
			wantOK:     map[string]bool{"db": false},
			wantDetail: map[string]string{"db": "panicked: boom"},
		},
		{
			name:       "nil check func",
			checks:     []HealthCheck{{Name: "db"}},
			wantStatus: 503, want: "degraded",
			wantOK: map[string]bool{"db": false},
		},
		{name: "no checks", wantStatus: 200, want: "ok", wantOK: map[string]bool{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestServer(t, Deps{Version: "v1.2.3", Health: tc.checks, HealthTimeout: 100 * time.Millisecond})
			start := time.Now()
			rec := do(t, s, http.MethodGet, "/healthz", nil)
			if time.Since(start) > time.Second {
				t.Errorf("healthz took %v", time.Since(start))
			}
			if rec.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantStatus, rec.Body)
			}
			rep := decode[HealthReport](t, rec)
			if rep.Status != tc.want || rep.Version != "v1.2.3" || len(rep.Checks) != len(tc.wantOK) {
				t.Fatalf("report %+v", rep)
			}
			for name, ok := range tc.wantOK {
				if rep.Checks[name].OK != ok {
					t.Errorf("check %s ok=%v, want %v", name, rep.Checks[name].OK, ok)
				}
			}
			for name, sub := range tc.wantDetail {
				if !strings.Contains(rep.Checks[name].Detail, sub) {
					t.Errorf("check %s detail %q lacks %q", name, rep.Checks[name].Detail, sub)
				}
			}
			if rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v", rec.Header())
			}
		})
	}
	t.Run("data is passed through", func(t *testing.T) {
		s, _ := newTestServer(t, Deps{Health: []HealthCheck{okCheck("ari", map[string]any{"reconnects": 2})}})
		rec := do(t, s, http.MethodGet, "/healthz", nil)
		var raw map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &raw)
		got := raw["checks"].(map[string]any)["ari"].(map[string]any)["data"].(map[string]any)["reconnects"]
		if got != float64(2) {
			t.Fatalf("data: %s", rec.Body)
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		s, _ := newTestServer(t, Deps{Health: []HealthCheck{{Name: "db", Check: func(context.Context) (bool, string, map[string]any) {
			return false, "down", nil
		}}}})
		rec := do(t, s, http.MethodHead, "/healthz", nil)
		if rec.Code != 503 || rec.Body.Len() != 0 {
			t.Fatalf("HEAD: %d %q", rec.Code, rec.Body)
		}
	})
}

func TestMetricsExposition(t *testing.T) {
	reg := NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.LiveCalls.Set(7)
	m.ARIEvent("StasisStart")
	m.ARIEvent("StasisStart")
	m.ARIEvents.WithLabelValues("ChannelDtmfReceived").Inc()
	m.ARIReconnects.Inc()
	m.ObserveStore("calls.create", time.Now().Add(-3*time.Millisecond))

	s, _ := newTestServer(t, Deps{Registerer: reg, Gatherer: reg})
	do(t, s, http.MethodGet, "/healthz", nil) // produce an HTTP metric
	rec := do(t, s, http.MethodGet, "/metrics", nil)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	body := rec.Body.String()
	for _, want := range []string{
		"switchyard_live_calls 7",
		`switchyard_ari_events_total{type="StasisStart"} 2`,
		`switchyard_ari_events_total{type="ChannelDtmfReceived"} 1`,
		"switchyard_ari_reconnects_total 1",
		`switchyard_store_op_duration_seconds_count{op="calls.create"} 1`,
		`switchyard_http_requests_total{code="200",method="GET",route="/healthz"} 1`,
		"switchyard_http_request_duration_seconds_bucket",
		"go_goroutines",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// A second NewMetrics on the same registry reuses the collectors.
	m2, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	m2.LiveCalls.Inc()
	if v := testutil.ToFloat64(m.LiveCalls); v != 8 {
		t.Fatalf("shared gauge = %v", v)
	}
	if _, err := NewMetrics(nil); err == nil {
		t.Fatal("NewMetrics(nil) accepted")
	}
	var nilM *Metrics
	nilM.ARIEvent("x") // nil-safe helpers
	nilM.ObserveStore("x", time.Now())
	// Lint the exposition: names, help, units.
	if problems, err := testutil.GatherAndLint(reg, MetricLiveCalls, MetricARIEvents, MetricARIReconnects, MetricStoreLatency); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

func TestMetricsConflictingRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewCounter(prometheus.CounterOpts{Name: MetricLiveCalls, Help: "wrong type"}))
	if _, err := NewMetrics(reg); err == nil {
		t.Fatal("conflicting metric accepted")
	}
}

func TestAuth(t *testing.T) {
	var calls atomic.Int32
	auth := func(ctx context.Context, key string) (Principal, error) {
		calls.Add(1)
		switch key {
		case "sy_good":
			return Principal{AccountID: 42, KeyID: 7}, nil
		case "sy_dbdown":
			return Principal{}, errors.New("store: connection refused (password=hunter2)")
		default:
			return Principal{}, fmt.Errorf("key %q: %w", key, ErrUnauthorized)
		}
	}
	s, logs := newTestServer(t, Deps{Authenticate: auth})
	cases := []struct {
		name      string
		header    string
		status    int
		code      string
		wantCalls int32
	}{
		{"missing", "", 401, CodeUnauthorized, 0},
		{"basic scheme", "Basic dTpw", 401, CodeUnauthorized, 0},
		{"bearer without key", "Bearer ", 401, CodeUnauthorized, 0},
		{"key with space", "Bearer a b", 401, CodeUnauthorized, 0},
		{"key too long", "Bearer " + strings.Repeat("k", maxKeyLen+1), 401, CodeUnauthorized, 0},
		{"unknown key", "Bearer sy_wrong", 401, CodeUnauthorized, 1},
		{"store failure", "Bearer sy_dbdown", 500, CodeInternal, 1},
		{"good", "Bearer sy_good", 200, "", 1},
		{"scheme is case-insensitive", "bearer sy_good", 200, "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			calls.Store(0)
			rec := do(t, s, http.MethodGet, "/api/v1/whoami", nil, "Authorization", tc.header)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("Authenticate called %d times, want %d", got, tc.wantCalls)
			}
			if tc.status == 200 {
				p := decode[Principal](t, rec)
				// An authenticator that knows no roles gives admin.
				if p != (Principal{AccountID: 42, KeyID: 7, Role: RoleAdmin}) {
					t.Fatalf("principal %+v", p)
				}
				return
			}
			body := decode[ErrorBody](t, rec)
			if body.Error.Code != tc.code || body.Error.Message == "" {
				t.Fatalf("error body %s", rec.Body)
			}
			if strings.Contains(rec.Body.String(), "hunter2") || strings.Contains(rec.Body.String(), "sy_wrong") {
				t.Fatalf("internal detail leaked: %s", rec.Body)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") != `Bearer realm="switchyard"` {
				t.Errorf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
	if !strings.Contains(logs.String(), "hunter2") {
		t.Error("the cause of a 500 must be logged")
	}
	t.Run("no authenticator rejects", func(t *testing.T) {
		s, _ := newTestServer(t, Deps{})
		if rec := do(t, s, http.MethodGet, "/api/v1/whoami", nil, "Authorization", "Bearer x"); rec.Code != 401 {
			t.Fatalf("status %d", rec.Code)
		}
	})
	t.Run("principal reaches the request context", func(t *testing.T) {
		s, _ := newTestServer(t, Deps{Authenticate: auth})
		s.API().GET("/flows", func(c echo.Context) error {
			p, ok := PrincipalFromContext(c.Request().Context())
			if !ok {
				return errors.New("no principal in context")
			}
			return c.JSON(200, p)
		})
		rec := do(t, s, http.MethodGet, "/api/v1/flows", nil, "Authorization", "Bearer sy_good")
		if rec.Code != 200 || decode[Principal](t, rec).AccountID != 42 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	})
}

var errForeignNotFound = errors.New("store: record not found")
var errForeignDup = errors.New("store: duplicate")

func TestErrorMapping(t *testing.T) {
	s, logs := newTestServer(t, Deps{
		BodyLimit: "1K",
		ErrorMap: []ErrorMapping{
			{Target: errForeignNotFound, Code: CodeNotFound},
			{Target: errForeignDup, Code: CodeConflict, Message: "already exists"},
		},
	})
	route := func(path string, err error) {
		s.Echo().GET(path, func(c echo.Context) error { return err })
	}
	route("/wrapped-not-found", fmt.Errorf("account 7: %w", ErrNotFound))
	route("/not-found", NotFound("account %d not found", 7))
	route("/invalid", Invalid("name", "must not be empty"))
	route("/conflict", Conflict("flow %q already exists", "main"))
	route("/forbidden", Forbidden("account %d may not do that", 3))
	route("/unauthorized", fmt.Errorf("x: %w", ErrUnauthorized))
	route("/bad-request", fmt.Errorf("parse: %w", ErrBadRequest))
	route("/unavailable", &Error{Code: CodeUnavailable, Message: "Asterisk is not connected"})
	route("/custom-status", &Error{Code: "teapot", Status: http.StatusTeapot, Message: "short and stout"})
	route("/internal", errors.New("pq: password authentication failed for user secretuser"))
	route("/coded-internal", &Error{Code: CodeInternal, Message: "do not show", Err: errors.New("secret cause")})
	route("/foreign", fmt.Errorf("load: %w", errForeignNotFound))
	route("/foreign-dup", fmt.Errorf("insert: %w", errForeignDup))
	route("/echo-400", echo.NewHTTPError(http.StatusBadRequest, "bad query parameter"))
	route("/echo-500", echo.NewHTTPError(http.StatusInternalServerError, "secret echo detail"))
	route("/deadline", fmt.Errorf("query: %w", context.DeadlineExceeded))
	s.Echo().GET("/panic", func(c echo.Context) error { panic("kaboom secret") })
	s.Echo().POST("/bind", func(c echo.Context) error {
		var v struct{ Name string }
		if err := c.Bind(&v); err != nil {
			return err
		}
		return c.JSON(200, v)
	})

	cases := []struct {
		method, path string
		body         string
		status       int
		code         string
		message      string // exact, "" = don't care
		field        string
		serverError  bool
	}{
		{"GET", "/wrapped-not-found", "", 404, CodeNotFound, "not found", "", false},
		{"GET", "/not-found", "", 404, CodeNotFound, "account 7 not found", "", false},
		{"GET", "/invalid", "", 422, CodeInvalid, "must not be empty", "name", false},
		{"GET", "/conflict", "", 409, CodeConflict, `flow "main" already exists`, "", false},
		{"GET", "/forbidden", "", 403, CodeForbidden, "account 3 may not do that", "", false},
		{"GET", "/unauthorized", "", 401, CodeUnauthorized, "missing or invalid API key", "", false},
		{"GET", "/bad-request", "", 400, CodeBadRequest, "bad request", "", false},
		{"GET", "/unavailable", "", 503, CodeUnavailable, "Asterisk is not connected", "", true},
		{"GET", "/custom-status", "", 418, "teapot", "short and stout", "", false},
		{"GET", "/internal", "", 500, CodeInternal, genericInternalMessage, "", true},
		{"GET", "/coded-internal", "", 500, CodeInternal, genericInternalMessage, "", true},
		{"GET", "/foreign", "", 404, CodeNotFound, "not found", "", false},
		{"GET", "/foreign-dup", "", 409, CodeConflict, "already exists", "", false},
		{"GET", "/echo-400", "", 400, CodeBadRequest, "bad query parameter", "", false},
		{"GET", "/echo-500", "", 500, CodeInternal, genericInternalMessage, "", true},
		{"GET", "/deadline", "", 504, CodeTimeout, "the request timed out", "", true},
		{"GET", "/panic", "", 500, CodeInternal, genericInternalMessage, "", true},
		{"GET", "/no-such-route", "", 404, CodeNotFound, "", "", false},
		{"DELETE", "/healthz", "", 405, "method_not_allowed", "", "", false},
		{"POST", "/bind", `{"Name":`, 400, CodeBadRequest, "", "", false},
		{"POST", "/bind", `{"Name":"` + strings.Repeat("x", 2048) + `"}`, 413, "payload_too_large", "", "", false},
		{"POST", "/bind", `{"Name":"ok"}`, 200, "", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			rec := do(t, s, tc.method, tc.path, body, "Content-Type", "application/json", "X-Request-ID", "req-"+tc.path[1:])
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if tc.status == 200 {
				return
			}
			var raw map[string]map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &raw); err != nil || len(raw) != 1 || raw["error"] == nil {
				t.Fatalf("not an error envelope: %s", rec.Body)
			}
			e := decode[ErrorBody](t, rec).Error
			if e.Code != tc.code || (tc.message != "" && e.Message != tc.message) || e.Message == "" || e.Field != tc.field {
				t.Fatalf("got %+v, want code %q message %q field %q", e, tc.code, tc.message, tc.field)
			}
			if e.RequestID != "req-"+tc.path[1:] {
				t.Errorf("request_id %q", e.RequestID)
			}
			if _, has := raw["error"]["field"]; has != (tc.field != "") {
				t.Errorf("field presence wrong: %s", rec.Body)
			}
			if strings.Contains(rec.Body.String(), "secret") {
				t.Fatalf("internal detail leaked: %s", rec.Body)
			}
		})
	}
	l := logs.String()
	for _, want := range []string{"secretuser", "secret cause", "kaboom secret", `"stack"`} {
		if !strings.Contains(l, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestRequestIDAndLogging(t *testing.T) {
	s, logs := newTestServer(t, Deps{Authenticate: func(ctx context.Context, key string) (Principal, error) {
		return Principal{AccountID: 9, KeyID: 1}, nil
	}})
	rec := do(t, s, http.MethodGet, "/api/v1/whoami", nil, "Authorization", "Bearer k")
	id := rec.Header().Get("X-Request-ID")
	if len(id) != 32 {
		t.Fatalf("generated request id %q", id)
	}
	rec = do(t, s, http.MethodGet, "/healthz", nil, "X-Request-ID", "abc-123")
	if rec.Header().Get("X-Request-ID") != "abc-123" {
		t.Fatalf("client request id not kept: %q", rec.Header().Get("X-Request-ID"))
	}
	rec = do(t, s, http.MethodGet, "/healthz", nil, "X-Request-ID", "bad id\x01")
	if got := rec.Header().Get("X-Request-ID"); got == "bad id\x01" || len(got) != 32 {
		t.Fatalf("unsafe request id kept: %q", got)
	}
	var found bool
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "http request" && m["request_id"] == id {
			found = true
			if m["status"] != float64(200) || m["route"] != "/api/v1/whoami" || m["account_id"] != float64(9) || m["component"] != "http" {
				t.Errorf("request log %v", m)
			}
		}
	}
	if !found {
		t.Fatalf("no request log with id %s:\n%s", id, logs)
	}
}

func TestStartAndGracefulShutdown(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	inFlight := make(chan struct{})
	release := make(chan struct{})
	s.Echo().GET("/slow", func(c echo.Context) error {
		close(inFlight)
		<-release
		return c.String(200, "done")
	})
	if s.Addr() != "" {
		t.Fatal("Addr before Start")
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background(), "127.0.0.1:0"); err == nil {
		t.Fatal("second Start accepted")
	}
	base := "http://" + s.Addr()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d", resp.StatusCode)
	}

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		slow <- string(b)
	}()
	<-inFlight
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- s.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v with a request in flight", err)
	default:
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("new request accepted during shutdown")
	}
	close(release)
	if got := <-slow; got != "done" {
		t.Fatalf("in-flight request: %q", got)
	}
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownTimeout(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	inFlight := make(chan struct{})
	s.Echo().GET("/stuck", func(c echo.Context) error {
		close(inFlight)
		<-c.Request().Context().Done()
		return c.Request().Context().Err()
	})
	if err := s.Start(context.Background(), "127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go func() {
		if resp, err := http.Get("http://" + s.Addr() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-inFlight
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
}

func TestStartBadAddress(t *testing.T) {
	s, _ := newTestServer(t, Deps{})
	if err := s.Start(context.Background(), "127.0.0.1:bad"); err == nil || !strings.Contains(err.Error(), "127.0.0.1:bad") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorIs(t *testing.T) {
	if !errors.Is(NotFound("x"), ErrNotFound) || !errors.Is(Invalid("f", "x"), ErrInvalid) ||
		!errors.Is(fmt.Errorf("w: %w", Conflict("x")), ErrConflict) || errors.Is(NotFound("x"), ErrConflict) ||
		errors.Is(&Error{Code: CodeNotFound}, &Error{Code: CodeNotFound}) {
		t.Fatal("errors.Is semantics wrong")
	}
	e := &Error{Code: CodeInvalid, Field: "name", Message: "empty", Err: io.EOF}
	if e.Error() != "name: empty: EOF" || !errors.Is(e, io.EOF) {
		t.Fatalf("Error() = %q", e.Error())
	}
}
