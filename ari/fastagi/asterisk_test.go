package fastagi_test

// Round trips through a real Asterisk 22: ARI originates a Local channel into
// the shipped context `agi-test`, whose dialplan runs AGI(${AGI_URL}) against
// a fastagi.Server on a random loopback port.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari/fastagi"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/internal/testkit"
)

type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// ariClient is the bit of ARI REST the tests need.
type ariClient struct {
	info asterisktest.Info
	http *http.Client
}

func (a *ariClient) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	return a.info.Do(t, method, path, body)
}

// originate starts Local/answer-silent@customers (a customer that answers
// and stays silent) with its ;1 half running context agi-test, which calls
// AGI(${AGI_URL}). id becomes the channel id and agi_uniqueid.
func (a *ariClient) originate(t *testing.T, id, agiURL string) {
	t.Helper()
	code, body := a.do(t, http.MethodPost, "/channels", map[string]any{
		"endpoint":  "Local/answer-silent@customers",
		"context":   "agi-test",
		"extension": "s",
		"priority":  1,
		"channelId": id,
		"timeout":   10,
		"variables": map[string]string{"AGI_URL": agiURL},
	})
	if code != http.StatusOK {
		t.Fatalf("originate: HTTP %d: %s", code, body)
	}
	t.Cleanup(func() { a.do(t, http.MethodDelete, "/channels/"+id, nil) })
}

// variable reads a channel variable; ok is false when the channel is gone.
func (a *ariClient) variable(t *testing.T, id, name string) (value string, ok bool) {
	t.Helper()
	code, body := a.do(t, http.MethodGet, "/channels/"+id+"/variable?variable="+url.QueryEscape(name), nil)
	switch code {
	case http.StatusOK:
		var v struct{ Value string }
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("variable %s: %v: %s", name, err, body)
		}
		return v.Value, true
	case http.StatusNotFound:
		// Channel gone, or variable not set yet.
		c, _ := a.do(t, http.MethodGet, "/channels/"+id, nil)
		return "", c == http.StatusOK
	default:
		t.Fatalf("variable %s: HTTP %d: %s", name, code, body)
		return "", false
	}
}

func (a *ariClient) waitGone(t *testing.T, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if c, _ := a.do(t, http.MethodGet, "/channels/"+id, nil); c == http.StatusNotFound {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("channel %s still up after %v", id, within)
}

var seq atomic.Int64

func channelID(name string) string {
	return fmt.Sprintf("fastagi-test-%d-%d-%s", os.Getpid(), seq.Add(1), name)
}

// startAGI serves a fastagi.Server on a random loopback port.
func startAGI(t *testing.T, setup func(*fastagi.Server)) (*fastagi.Server, *logBuf) {
	t.Helper()
	logs := &logBuf{}
	srv := fastagi.New("127.0.0.1:0", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if setup != nil {
		setup(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), l) }()
	testkit.Eventually(t, 10*time.Second, func() bool { return srv.Addr() != "" }, "FastAGI listening")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != nil && !errors.Is(err, fastagi.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("FastAGI log:\n%s", logs.String())
		}
	})
	return srv, logs
}

func setupAsterisk(t *testing.T) *ariClient {
	t.Helper()
	info := asterisktest.Require(t)
	return &ariClient{info: info, http: &http.Client{Timeout: 10 * time.Second}}
}

// TestAsteriskHello: the built-in hello handler, reached by its path from a
// real dialplan, answers, sets SWITCHYARD_AGI=ok (visible over ARI while
// hello-world plays) and ends with SUCCESS.
func TestAsteriskHello(t *testing.T) {
	t.Parallel()
	a := setupAsterisk(t)
	srv, logs := startAGI(t, nil)
	id := channelID("hello")
	a.originate(t, id, "agi://"+l(srv)+"/hello")

	// SET VARIABLE comes before the ~1.3 s hello-world playback; poll for it.
	deadline := time.Now().Add(10 * time.Second)
	var seen bool
	for time.Now().Before(deadline) {
		v, up := a.variable(t, id, fastagi.HelloVar)
		if v == "ok" {
			seen = true
			break
		}
		if !up && strings.Contains(logs.String(), "uniqueid="+id) {
			break // channel already gone
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !seen {
		t.Fatalf("%s=ok never visible on %s", fastagi.HelloVar, id)
	}
	// agi-test hangs up after AGI returns.
	a.waitGone(t, id, 10*time.Second)
	waitLog(t, logs, "FastAGI session end", "uniqueid="+id, "path=hello", "status=SUCCESS", "hungup=false")
}

// TestAsteriskRequestAndVariables: a prefix route gets the request path
// remainder, query, args and channel data from real Asterisk, and a quoted
// value with spaces and quotes survives SET VARIABLE.
func TestAsteriskRequestAndVariables(t *testing.T) {
	t.Parallel()
	a := setupAsterisk(t)
	type seen struct {
		req    fastagi.Request
		agiURL string
		err    error
	}
	got := make(chan seen, 1)
	release := make(chan struct{})
	const value = `flow 42 "main" \ ok`
	srv, _ := startAGI(t, func(srv *fastagi.Server) {
		srv.HandleFunc("flow/", func(ctx context.Context, s *fastagi.Session) error {
			var r seen
			r.req = s.Request
			if r.err = s.Answer(); r.err == nil {
				if r.err = s.SetVariable("SWITCHYARD_FLOW", value); r.err == nil {
					r.agiURL, r.err = s.Get("AGI_URL")
				}
			}
			got <- r
			select { // hold the channel in AGI while the test looks at it
			case <-release:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
			return r.err
		})
	})
	id := channelID("flow")
	agiURL := "agi://" + l(srv) + "/flow/42?lang=de"
	a.originate(t, id, agiURL)

	var r seen
	select {
	case r = <-got:
	case <-time.After(15 * time.Second):
		t.Fatal("FastAGI handler never ran")
	}
	if r.err != nil {
		t.Fatalf("AGI commands: %v", r.err)
	}
	req := r.req
	checks := map[string][2]string{
		"Path":      {req.Path, "flow/42"},
		"Pattern":   {req.Pattern, "flow/"},
		"Rest":      {req.Rest, "42"},
		"lang":      {req.Query.Get("lang"), "de"},
		"Script":    {req.Script, "flow/42?lang=de"},
		"URL":       {req.URL, agiURL},
		"UniqueID":  {req.UniqueID, id},
		"Context":   {req.Context, "agi-test"},
		"Extension": {req.Extension, "s"},
		"Priority":  {req.Priority, "2"},
		"AGI_URL":   {r.agiURL, agiURL},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if !strings.HasPrefix(req.Channel, "Local/answer-silent@customers-") || !strings.HasPrefix(req.Version, "22.") {
		t.Errorf("channel %q, version %q", req.Channel, req.Version)
	}
	if v, _ := a.variable(t, id, "SWITCHYARD_FLOW"); v != value {
		t.Errorf("SWITCHYARD_FLOW over ARI = %q, want %q", v, value)
	}
	close(release)
	a.waitGone(t, id, 10*time.Second)
}

// TestAsteriskHangupCancelsContext: hanging the channel up over ARI reaches
// the handler as a cancelled context with cause ErrHangup.
func TestAsteriskHangupCancelsContext(t *testing.T) {
	t.Parallel()
	a := setupAsterisk(t)
	started := make(chan struct{})
	cause := make(chan error, 1)
	srv, _ := startAGI(t, func(srv *fastagi.Server) {
		srv.HandleFunc("wait", func(ctx context.Context, s *fastagi.Session) error {
			if err := s.Answer(); err != nil {
				return err
			}
			close(started)
			select {
			case <-ctx.Done():
				cause <- context.Cause(ctx)
			case <-time.After(20 * time.Second):
				cause <- errors.New("no hang-up seen")
			}
			return nil
		})
	})
	id := channelID("hangup")
	a.originate(t, id, "agi://"+l(srv)+"/wait")
	select {
	case <-started:
	case <-time.After(15 * time.Second):
		t.Fatal("FastAGI handler never ran")
	}
	if code, body := a.do(t, http.MethodDelete, "/channels/"+id, nil); code != http.StatusNoContent {
		t.Fatalf("hangup: HTTP %d: %s", code, body)
	}
	if err := <-cause; !errors.Is(err, fastagi.ErrHangup) {
		t.Fatalf("handler context cause = %v, want ErrHangup", err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return srv.LiveSessions() == 0 }, "session to end")
}

// TestAsteriskUnknownPath: an unregistered path is logged and answered
// without a handler; Asterisk carries on with its dialplan.
func TestAsteriskUnknownPath(t *testing.T) {
	t.Parallel()
	a := setupAsterisk(t)
	srv, logs := startAGI(t, nil)
	id := channelID("unknown")
	a.originate(t, id, "agi://"+l(srv)+"/no/such/path")
	a.waitGone(t, id, 15*time.Second)
	waitLog(t, logs, "FastAGI request for unknown path", "uniqueid="+id, "path=no/such/path")
	if strings.Contains(logs.String(), "SET VARIABLE failed") || strings.Contains(logs.String(), "VERBOSE failed") {
		t.Fatalf("Asterisk rejected the NOTFOUND commands:\n%s", logs)
	}
}

func l(srv *fastagi.Server) string { return srv.Addr() }

func waitLog(t *testing.T, logs *logBuf, parts ...string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() bool {
		for _, line := range strings.Split(logs.String(), "\n") {
			all := true
			for _, p := range parts {
				if !strings.Contains(line, p) {
					all = false
					break
				}
			}
			if all {
				return true
			}
		}
		return false
	}, "%s", fmt.Sprintf("log line with %q", parts))
}
