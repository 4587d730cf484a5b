package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/fastagi"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

type tlog struct{ t testing.TB }

func (w tlog) Write(p []byte) (int, error) { w.t.Log(strings.TrimSpace(string(p))); return len(p), nil }

func logger(t testing.TB) *slog.Logger {
	if os.Getenv("SWITCHYARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	level := slog.LevelWarn
	if _, ok := t.(*testing.B); ok {
		// Load benchmarks: slow-query warnings under load are expected
		// and logging them costs the CPU being measured.
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(tlog{t}, &slog.HandlerOptions{Level: level}))
}

// boot starts a whole Switchyard in-process: port 0 HTTP and AGI, a temp
// SQLite database, a unique ARI application on the test Asterisk (or the
// ARI settings given by mod).
func boot(t testing.TB, mod func(*app.Config)) (*app.App, func()) {
	t.Helper()
	cfg := app.Default()
	cfg.HTTPAddr, cfg.AGIAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ARIApp = "syapp-" + uuid.NewString()[:8]
	cfg.NodeName = cfg.ARIApp
	cfg.ShutdownTimeout = 5 * time.Second
	if mod == nil {
		info := asterisktest.Require(t)
		cfg.ARIURL, cfg.ARIUser, cfg.ARIPassword = info.URL, info.User, info.Password
	} else {
		mod(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, "test", logger(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Error("app did not stop")
			}
			a.Close()
		})
	}
	t.Cleanup(stop)
	return a, stop
}

type health struct {
	Status string `json:"status"`
	Checks map[string]struct {
		OK     bool           `json:"ok"`
		Detail string         `json:"detail"`
		Data   map[string]any `json:"data"`
	} `json:"checks"`
}

func getHealth(t *testing.T, a *app.App) (int, health) {
	t.Helper()
	resp, err := http.Get("http://" + a.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, h
}

func TestBootHealthAuthAndCalls(t *testing.T) {
	a, stop := boot(t, nil)
	testkit.Eventually(t, 15*time.Second, func() bool {
		code, h := getHealth(t, a)
		return code == 200 && h.Status == "ok" && h.Checks["ari"].OK && h.Checks["db"].OK
	}, "healthz ok")

	// Auth with a key made the way `switchyard account create` makes it.
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		auth string
		want int
	}{{"Bearer " + key, 200}, {"Bearer " + key[:len(key)-1] + string(key[len(key)-1]^1), 401}, {"", 401}, {"Basic abc", 401}} {
		req, _ := http.NewRequest("GET", "http://"+a.Addr()+"/api/v1/whoami", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("auth %q: %d %s, want %d", tc.auth, resp.StatusCode, body, tc.want)
		}
	}

	// Calls through the whole daemon are recorded in the store.
	ids := map[string]string{}
	for _, ext := range []string{"answer-hangup-1", "busy", "congestion"} {
		c, err := a.Calls().Originate(ctx, ari.OriginateParams{
			Endpoint: "Local/" + ext + "@customers", Timeout: 10 * time.Second,
			Attempt: &ari.Attempt{AccountID: acc.ID, DNIS: ext},
			Handler: func(ctx context.Context, c *ari.Call) error { return c.WaitHangup(ctx, 30*time.Second) },
		})
		if err != nil {
			t.Fatal(err)
		}
		ids[ext] = c.AttemptID
	}
	want := map[string]string{"answer-hangup-1": ari.StatusAnswered, "busy": ari.StatusBusy, "congestion": ari.StatusCongestion}
	for ext, id := range ids {
		testkit.Eventually(t, 20*time.Second, func() bool {
			at, err := a.Store().GetAttempt(ctx, acc.ID, id)
			return err == nil && at.State == store.StateFinished
		}, "%s", ext+" finished")
		at, _ := a.Store().GetAttempt(ctx, acc.ID, id)
		if at.Status != want[ext] {
			t.Errorf("%s: status %s, want %s (cause %d)", ext, at.Status, want[ext], at.HangupCause)
		}
	}

	// Metrics expose the live-call gauge, event counters and store latency.
	resp, err := http.Get("http://" + a.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"switchyard_live_calls", `switchyard_ari_events_total{type="StasisStart"}`, "switchyard_ari_reconnects_total", "switchyard_store_op_duration_seconds_bucket"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}

	// Graceful shutdown: a live call may finish; past the timeout it is
	// hung up and recorded with reason "shutdown".
	c, err := a.Calls().Originate(ctx, ari.OriginateParams{
		Endpoint: "Local/answer-silent@customers", Timeout: 10 * time.Second, Attempt: &ari.Attempt{AccountID: acc.ID},
		Handler: func(ctx context.Context, c *ari.Call) error { return c.WaitHangup(ctx, time.Hour) },
	})
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return a.Calls().Live() == 1 }, "call answered")
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	stop()
	if d := time.Since(start); d < 4*time.Second || d > 30*time.Second {
		t.Errorf("shutdown took %v; want about the 5 s shutdown timeout", d)
	}
	s, err := store.Open(ctx, store.Options{DataDir: a.Config().DataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at, err := s.GetAttempt(ctx, acc.ID, c.AttemptID)
	if err != nil {
		t.Fatal(err)
	}
	if at.State != store.StateFinished || at.FinishReason != "shutdown" {
		t.Errorf("live call at shutdown: state %s reason %q", at.State, at.FinishReason)
	}
}

// TestAsteriskUnreachable: the service starts anyway, /healthz says why,
// and it keeps trying.
func TestAsteriskUnreachable(t *testing.T) {
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = "http://127.0.0.1:1/ari", "u", "p"
	})
	code, h := getHealth(t, a)
	if code != http.StatusServiceUnavailable || h.Status != "degraded" || h.Checks["ari"].OK || !h.Checks["db"].OK {
		t.Fatalf("healthz = %d %+v", code, h)
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		_, h := getHealth(t, a)
		return strings.Contains(h.Checks["ari"].Detail, "connect")
	}, "connect error in healthz")
}

// TestWrongCredentials: a clear error in /healthz (and the log), no crash.
func TestWrongCredentials(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, "wrong-password"
	})
	testkit.Eventually(t, 10*time.Second, func() bool {
		code, h := getHealth(t, a)
		return code == 503 && strings.Contains(h.Checks["ari"].Detail, "credentials rejected")
	}, "credentials error in healthz")
}

// TestReconcileAfterRestart: a record left open by a crashed process (its
// channel gone) is finished when the next process connects.
func TestReconcileAfterRestart(t *testing.T) {
	info := asterisktest.Require(t)
	dir := t.TempDir()
	app1 := "syapp-" + uuid.NewString()[:8]
	ctx := context.Background()
	s, err := store.Open(ctx, store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, _ := s.CreateAccount(ctx, "acme")
	stale, err := s.StartAttempt(ctx, store.AttemptStart{AccountID: acc.ID, Direction: store.DirectionOutbound,
		ChannelID: uuid.NewString(), AsteriskNode: app1, StartedAt: time.Now().Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	a, _ := boot(t, func(c *app.Config) {
		c.DataDir, c.ARIApp, c.NodeName = dir, app1, app1
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool {
		at, err := a.Store().GetAttempt(ctx, acc.ID, stale.ID)
		return err == nil && at.State == store.StateFinished
	}, "stale record finished")
	at, _ := a.Store().GetAttempt(ctx, acc.ID, stale.ID)
	if !strings.HasPrefix(at.FinishReason, "reconciled") {
		t.Errorf("finish reason %q", at.FinishReason)
	}
}

// TestFastAGIThroughDaemon: a dialplan AGI(agi://<daemon>/sytest/...) call
// reaches a handler registered on the daemon's FastAGI registry.
func TestFastAGIThroughDaemon(t *testing.T) {
	a, _ := boot(t, nil)
	got := make(chan fastagi.Request, 1)
	a.AGI().HandleFunc("sytest/", func(ctx context.Context, s *fastagi.Session) error {
		got <- s.Request
		return s.SetVariable("SWITCHYARD_TEST", "seen")
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	id := uuid.NewString()
	// The ;1 half runs context agi-test, which calls AGI(${AGI_URL}); the
	// ;2 half is a silent customer.
	_, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
		Endpoint: "Local/answer-silent@customers", Context: "agi-test", Extension: "s", Priority: 1,
		ChannelID: id, Timeout: 10,
		Variables: map[string]string{"AGI_URL": "agi://" + a.AGIAddr() + "/sytest/flow-42?x=1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Calls().Client().Hangup(ctx, id, "")
	select {
	case r := <-got:
		if r.Rest != "flow-42" || r.UniqueID != id || r.Context != "agi-test" {
			t.Errorf("request = path %q rest %q uniqueid %q context %q", r.Path, r.Rest, r.UniqueID, r.Context)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the daemon's FastAGI handler was never called")
	}
}

// apiCall sends an authenticated JSON request to the daemon.
func apiCall(t testing.TB, a *app.App, key, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case []byte:
			rd = bytes.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	req, _ := http.NewRequest(method, "http://"+a.Addr()+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// TestInboundFlowEndToEnd: a flow created, published and mapped to a DID
// through the API runs on an inbound call through the whole daemon; the
// attempt is recorded with the flow's status and its journey is served.
func TestInboundFlowEndToEnd(t *testing.T) {
	a, _ := boot(t, nil)
	ctx := context.Background()
	acc, _ := a.Store().CreateAccount(ctx, "acme")
	_, key, _ := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	flow := []byte(`{"format":1,"name":"PIN line","type":"inbound","start":"answer","variables":["pin"],
	  "nodes":[
	    {"id":"answer","type":"answer","exits":["pin","end"]},
	    {"id":"pin","type":"gather","params":{"min_digits":3,"max_digits":3,"timeout":8,"variable":"$flow.key.pin"},"exits":["thanks","end"]},
	    {"id":"thanks","type":"play","params":{"media":["sound:beep"]},"exits":["end"]},
	    {"id":"end","type":"hangup","params":{"cause":16}}]}`)
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", flow)
	if code != http.StatusCreated {
		t.Fatalf("create flow: %d %s", code, body)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &created)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+strconv.FormatInt(created.ID, 10)+"/publish", nil); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("publish: %d %s", code, body)
	}
	did := "+4930555" + strconv.Itoa(int(time.Now().UnixNano()%10000))
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/dids/"+url.PathEscape(did), map[string]any{"flow_id": created.ID}); code/100 != 2 {
		t.Fatalf("map DID: %d %s", code, body)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	// The caller: its far half enters from-trunk with the DID; its own
	// half presses 1, 2, 3.
	if _, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
		Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-dtmf-123", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp},
	}); err != nil {
		t.Fatal(err)
	}
	var at store.Attempt
	testkit.Eventually(t, 30*time.Second, func() bool {
		page, err := a.Store().ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 10})
		if err != nil || len(page.Attempts) == 0 {
			return false
		}
		at = page.Attempts[0]
		return at.State == store.StateFinished
	}, "inbound attempt finished")
	if at.Status != "IVR_FINISHED" || at.DTMF != "123" || at.DNIS != did || at.Direction != store.DirectionInbound {
		t.Errorf("attempt = status %s dtmf %q dnis %q direction %s", at.Status, at.DTMF, at.DNIS, at.Direction)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"pin"`) || !strings.Contains(string(body), "123") {
		t.Errorf("journey: %d %s", code, body)
	}
}

// TestOpenAPIMatchesRoutes: every route the daemon serves is documented in
// openapi.yaml and every documented path is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	a, _ := boot(t, func(c *app.Config) { c.ARIURL, c.ARIUser, c.ARIPassword = "http://127.0.0.1:1/ari", "u", "p" })
	doc := api.DocumentedPaths()
	served := map[string]bool{}
	for _, r := range a.HTTP().Echo().Routes() {
		if strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		p := api.SpecPath(r.Path)
		served[p] = true
		if !doc[p] {
			t.Errorf("%s %s is served but not in openapi.yaml", r.Method, p)
		}
	}
	for p := range doc {
		if !served[p] {
			t.Errorf("openapi.yaml documents %s, which the daemon does not serve", p)
		}
	}
}
