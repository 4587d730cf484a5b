package acdhooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/acd/acdhooks"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// fakeHooks / fakeWebhooks are function-field fakes of our interfaces.
type fakeHooks struct {
	fn func(ctx context.Context, accountID int64) ([]acdconfig.Hook, error)
}

func (f fakeHooks) Hooks(ctx context.Context, id int64) ([]acdconfig.Hook, error) {
	return f.fn(ctx, id)
}

type fakeWebhooks struct {
	fn func(ctx context.Context, accountID int64, name string) (webhooks.Config, error)
}

func (f fakeWebhooks) Webhook(ctx context.Context, id int64, name string) (webhooks.Config, error) {
	return f.fn(ctx, id, name)
}

func staticHooks(hs ...acdconfig.Hook) fakeHooks {
	return fakeHooks{func(context.Context, int64) ([]acdconfig.Hook, error) { return hs, nil }}
}

func staticWebhooks(m map[string]webhooks.Config) fakeWebhooks {
	return fakeWebhooks{func(_ context.Context, _ int64, name string) (webhooks.Config, error) {
		w, ok := m[name]
		if !ok {
			return w, webhooks.ErrNotFound
		}
		return w, nil
	}}
}

var loopback = func(context.Context, int64) webhooks.Policy {
	return webhooks.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
}

type req struct {
	Method, Path, Query, Body, ContentType string
	Values                                 url.Values // query (GET) or form (POST)
	At                                     time.Time
}

type server struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []req
	handler func(r req) int // status to answer (default 200)
}

func newServer(t *testing.T, handler func(r req) int) *server {
	t.Helper()
	s := &server{handler: handler}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rq := req{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Body: string(b),
			ContentType: r.Header.Get("Content-Type"), At: time.Now()}
		if r.Method == http.MethodGet {
			rq.Values = r.URL.Query()
		} else {
			rq.Values, _ = url.ParseQuery(string(b))
		}
		status := 200
		if s.handler != nil {
			status = s.handler(rq)
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rq)
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) requests() []req {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]req(nil), s.reqs...)
}

func logger(t *testing.T) *slog.Logger {
	if os.Getenv("SWITCHYARD_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newNotifier(t *testing.T, cfg acdhooks.Config) *acdhooks.Notifier {
	t.Helper()
	if cfg.Policy == nil {
		cfg.Policy = loopback
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 10 * time.Millisecond
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	cfg.Logger = logger(t)
	n, err := acdhooks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func waitIdle(t *testing.T, n *acdhooks.Notifier) acdhooks.Stats {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.Stats().Pending != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("not idle: %+v", n.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return n.Stats()
}

var (
	created = time.Date(2021, 7, 25, 14, 56, 12, 0, time.UTC)
	fired   = time.Date(2021, 7, 25, 14, 56, 14, 0, time.UTC)
)

func event(kind acdconfig.EventKind, call string) acd.Event {
	return acd.Event{Kind: kind, AccountID: 3, FlowID: 5, CallID: call, AttemptID: "att-" + call, AgentID: 7,
		AgentNumber: "07995679243", Customer: "07709562799", CallFrom: "07709562799", CallTo: "07314853246",
		Direction: "outbound-dial", Queue: "sales", Created: created, At: fired,
		Busy: kind != acdconfig.EventPopupTerminal}
}

func TestCRMPayload(t *testing.T) {
	srv := newServer(t, nil)
	body := `{"type":"$event.type","call":"$event.call_id","attempt":"$event.attempt_id","account":"$event.account_id",` +
		`"flow":"$event.flow_id","agent":"$event.agent_id","agent_number":"$event.agent_number","customer":"$event.customer",` +
		`"from":"$event.call_from","to":"$event.call_to","direction":"$event.direction","queue":"$event.queue",` +
		`"status":"$event.status","created":"$event.created","time":"$event.time","ts":"$event.timestamp",` +
		`"cli":"$call.cli","dnis":"$call.dnis"}`
	n := newNotifier(t, acdhooks.Config{
		Hooks: staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "crm", AllFlows: true}),
		Webhooks: staticWebhooks(map[string]webhooks.Config{"crm": {Method: "POST",
			URL: srv.URL + "/crm/${event.type}", Headers: map[string]string{"X-Agent": "$event.agent_id"},
			Body: json.RawMessage(body)}}),
	})
	n.Notify(event(acdconfig.EventAgentAllocated, "c1"))
	n.Notify(event(acdconfig.EventAgentConnected, "c1"))
	n.Notify(event(acdconfig.EventPopupDial, "c1")) // not a CRM event
	st := waitIdle(t, n)
	if st.Sent != 2 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
	rs := srv.requests()
	if len(rs) != 2 {
		t.Fatalf("requests: %+v", rs)
	}
	for i, kind := range []string{"agent_allocated", "agent_connected"} {
		r := rs[i]
		if r.Method != "POST" || r.Path != "/crm/"+kind || r.ContentType != "application/json" {
			t.Errorf("request %d: %s %s %s", i, r.Method, r.Path, r.ContentType)
		}
		var got map[string]string
		if err := json.Unmarshal([]byte(r.Body), &got); err != nil {
			t.Fatalf("body %q: %v", r.Body, err)
		}
		want := map[string]string{"type": kind, "call": "c1", "attempt": "att-c1", "account": "3", "flow": "5",
			"agent": "7", "agent_number": "07995679243", "customer": "07709562799", "from": "07709562799",
			"to": "07314853246", "direction": "outbound-dial", "queue": "sales", "status": "busy",
			"created": "2021-07-25 14:56:12", "time": "2021-07-25 14:56:14",
			"ts": fmt.Sprint(fired.UnixMilli()), "cli": "07709562799", "dnis": "07314853246"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q; want %q", kind, k, got[k], v)
			}
		}
	}
}

func TestPopupPayload(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			srv := newServer(t, nil)
			n := newNotifier(t, acdhooks.Config{
				Hooks: staticHooks(acdconfig.Hook{ID: 2, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "popup", AllFlows: true}),
				Webhooks: staticWebhooks(map[string]webhooks.Config{"popup": {Method: method,
					URL: srv.URL + "/popup?tenant=$event.account_id"}}),
				Location: time.FixedZone("IST", 5*3600+1800),
			})
			for _, k := range []acdconfig.EventKind{acdconfig.EventPopupDial, acdconfig.EventPopupAnswered, acdconfig.EventPopupTerminal, acdconfig.EventAgentConnected} {
				n.Notify(event(k, "c9"))
			}
			waitIdle(t, n)
			rs := srv.requests()
			if len(rs) != 3 {
				t.Fatalf("requests: %d; want 3 (Dial, Answered, Terminal)", len(rs))
			}
			for i, kind := range []string{"Dial", "Answered", "Terminal"} {
				r := rs[i]
				if r.Method != method {
					t.Errorf("method %s", r.Method)
				}
				if method == "POST" && r.ContentType != "application/x-www-form-urlencoded" {
					t.Errorf("content type %q", r.ContentType)
				}
				status := "busy"
				if kind == "Terminal" {
					status = "free"
				}
				want := map[string]string{"CallSid": "c9", "CallFrom": "07709562799", "CallTo": "07314853246",
					"Direction": "outbound-dial", "Created": "Sun, 25 Jul 2021 20:26:12", "From": "07995679243",
					"To": "07314853246", "CurrentTime": "2021-07-25 20:26:14", "DialWhomNumber": "07709562799",
					"Status": status, "Event Type": kind, "EventType": kind}
				for k, v := range want {
					if got := r.Values.Get(k); got != v {
						t.Errorf("%s: %s = %q; want %q", kind, k, got, v)
					}
				}
				extra := 0
				if method == "GET" {
					extra = 1 // tenant
					if q, err := url.ParseQuery(r.Query); err != nil {
						t.Fatalf("url.ParseQuery(r.Query): %v", err)
					} else if q.Get("tenant") != "3" {
						t.Errorf("configured query: %s", r.Query)
					}
				}
				if len(r.Values) != len(want)+extra {
					t.Errorf("%s: %d parameters %v; want exactly the popup's %d", kind, len(r.Values), r.Values, len(want))
				}
			}
		})
	}
}

func TestFiltering(t *testing.T) {
	srv := newServer(t, nil)
	var loads atomic.Int32
	hooks := []acdconfig.Hook{
		{ID: 1, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "only-flow-5", FlowIDs: []int64{5}},
		{ID: 2, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "connected-all", AllFlows: true, Events: []acdconfig.EventKind{acdconfig.EventAgentConnected}},
		{ID: 3, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "popup-answered", FlowIDs: []int64{6}, Events: []acdconfig.EventKind{acdconfig.EventPopupAnswered}},
		{ID: 4, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "missing", AllFlows: true, Events: []acdconfig.EventKind{acdconfig.EventAgentAllocated}},
	}
	wh := map[string]webhooks.Config{}
	for _, name := range []string{"only-flow-5", "connected-all", "popup-answered"} {
		wh[name] = webhooks.Config{Method: "GET", URL: srv.URL + "/" + name + "/$event.type/$event.flow_id"}
	}
	n := newNotifier(t, acdhooks.Config{
		Hooks: fakeHooks{func(_ context.Context, id int64) ([]acdconfig.Hook, error) {
			loads.Add(1)
			if id != 3 {
				return nil, nil
			}
			return hooks, nil
		}},
		Webhooks: staticWebhooks(wh),
		CacheTTL: time.Minute,
	})
	for _, flow := range []int64{5, 6} {
		for _, k := range []acdconfig.EventKind{acdconfig.EventAgentAllocated, acdconfig.EventAgentConnected, acdconfig.EventPopupDial, acdconfig.EventPopupAnswered} {
			ev := event(k, fmt.Sprintf("f%d", flow))
			ev.FlowID = flow
			n.Notify(ev)
		}
	}
	other := event(acdconfig.EventAgentConnected, "x")
	other.AccountID = 4
	n.Notify(other)
	st := waitIdle(t, n)
	var got []string
	for _, r := range srv.requests() {
		got = append(got, r.Path)
	}
	want := map[string]bool{
		"/only-flow-5/agent_allocated/5": true, "/only-flow-5/agent_connected/5": true,
		"/connected-all/agent_connected/5": true, "/connected-all/agent_connected/6": true,
		"/popup-answered/Answered/6": true,
	}
	if len(got) != len(want) {
		t.Errorf("requests %v; want %v", got, want)
	}
	for _, p := range got {
		if !want[p] {
			t.Errorf("unexpected request %s", p)
		}
	}
	// The unknown webhook "missing" fails twice (agent_allocated of flows 5 and 6).
	if st.Failed != 2 || st.Sent != 5 {
		t.Errorf("stats %+v; want 5 sent, 2 failed", st)
	}
	if l := loads.Load(); l != 2 {
		t.Errorf("hooks loaded %d times; want 2 (accounts 3 and 4, then cached)", l)
	}
}

func TestOrderPerCall(t *testing.T) {
	srv := newServer(t, func(r req) int {
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		return 200
	})
	n := newNotifier(t, acdhooks.Config{
		Hooks:      staticHooks(acdconfig.Hook{ID: 2, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "popup", AllFlows: true}),
		Webhooks:   staticWebhooks(map[string]webhooks.Config{"popup": {Method: "GET", URL: srv.URL}}),
		PerAccount: 8,
	})
	const calls = 40
	kinds := []acdconfig.EventKind{acdconfig.EventPopupDial, acdconfig.EventPopupAnswered, acdconfig.EventPopupTerminal}
	for _, k := range kinds {
		for c := range calls {
			n.Notify(event(k, fmt.Sprintf("call-%d", c)))
		}
	}
	waitIdle(t, n)
	seen := map[string][]string{}
	for _, r := range srv.requests() {
		sid := r.Values.Get("CallSid")
		seen[sid] = append(seen[sid], r.Values.Get("EventType"))
	}
	if len(seen) != calls {
		t.Fatalf("calls seen: %d", len(seen))
	}
	for sid, evs := range seen {
		if strings.Join(evs, ",") != "Dial,Answered,Terminal" {
			t.Errorf("%s: events in order %v", sid, evs)
		}
	}
}

func TestSlowServerDoesNotBlockNotify(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(req) int { <-release; return 200 })
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	n := newNotifier(t, acdhooks.Config{
		Hooks:    staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "crm", AllFlows: true}),
		Webhooks: staticWebhooks(map[string]webhooks.Config{"crm": {URL: srv.URL}}),
		Timeout:  30 * time.Second,
	})
	start := time.Now()
	for i := range 2000 {
		n.Notify(event(acdconfig.EventAgentAllocated, fmt.Sprintf("c%d", i%50)))
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("2000 Notify calls against a stuck server took %v", d)
	}
	if p := n.Stats().Pending; p != 2000 {
		t.Errorf("pending %d; want 2000", p)
	}
	unblock()
	st := waitIdle(t, n)
	if st.Sent != 2000 {
		t.Errorf("stats %+v", st)
	}
}

func TestRetries(t *testing.T) {
	var calls atomic.Int32
	srv := newServer(t, func(r req) int {
		switch {
		case strings.HasPrefix(r.Path, "/flaky"):
			if calls.Add(1) <= 2 {
				return 503
			}
			return 200
		case strings.HasPrefix(r.Path, "/bad"):
			return 400
		}
		return 500
	})
	n := newNotifier(t, acdhooks.Config{
		Hooks: staticHooks(
			acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "flaky", AllFlows: true, Events: []acdconfig.EventKind{acdconfig.EventAgentAllocated}},
			acdconfig.Hook{ID: 2, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "bad", AllFlows: true, Events: []acdconfig.EventKind{acdconfig.EventAgentConnected}},
			acdconfig.Hook{ID: 3, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "down", AllFlows: true, Events: []acdconfig.EventKind{acdconfig.EventPopupDial}},
		),
		Webhooks: staticWebhooks(map[string]webhooks.Config{
			"flaky": {URL: srv.URL + "/flaky"}, "bad": {URL: srv.URL + "/bad"}, "down": {URL: srv.URL + "/down"}}),
		Retries: 2,
	})
	n.Notify(event(acdconfig.EventAgentAllocated, "c"))
	n.Notify(event(acdconfig.EventAgentConnected, "c"))
	n.Notify(event(acdconfig.EventPopupDial, "c"))
	st := waitIdle(t, n)
	count := map[string]int{}
	for _, r := range srv.requests() {
		count[r.Path]++
	}
	// flaky: 503, 503, 200; bad: 400 once (no retry); down: 500 three times.
	if count["/flaky"] != 3 || count["/bad"] != 1 || count["/down"] != 3 {
		t.Errorf("attempts %v", count)
	}
	if st.Sent != 1 || st.Failed != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestPolicyBlocksLoopbackByDefault(t *testing.T) {
	srv := newServer(t, nil)
	n := newNotifier(t, acdhooks.Config{
		Hooks:    staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookCRM, Webhook: "crm", AllFlows: true}),
		Webhooks: staticWebhooks(map[string]webhooks.Config{"crm": {URL: srv.URL}}),
		Policy:   func(context.Context, int64) webhooks.Policy { return webhooks.Policy{AllowHTTP: true} },
	})
	n.Notify(event(acdconfig.EventAgentAllocated, "c"))
	st := waitIdle(t, n)
	if st.Failed != 1 || len(srv.requests()) != 0 {
		t.Errorf("stats %+v, requests %d; want the loopback target refused", st, len(srv.requests()))
	}
}

func TestCloseDrains(t *testing.T) {
	srv := newServer(t, func(req) int { time.Sleep(20 * time.Millisecond); return 200 })
	n := newNotifier(t, acdhooks.Config{
		Hooks:    staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "p", AllFlows: true}),
		Webhooks: staticWebhooks(map[string]webhooks.Config{"p": {URL: srv.URL}}),
	})
	for i := range 10 {
		n.Notify(event(acdconfig.EventPopupDial, fmt.Sprint("c", i%2)))
	}
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := len(srv.requests()); got != 10 {
		t.Errorf("delivered before Close returned: %d; want 10", got)
	}
	n.Notify(event(acdconfig.EventPopupDial, "late"))
	if st := n.Stats(); st.Dropped != 1 || st.Sent != 10 {
		t.Errorf("stats %+v", st)
	}
}

func TestCloseDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := newServer(t, func(req) int { <-release; return 200 })
	defer close(release)
	n := newNotifier(t, acdhooks.Config{
		Hooks:        staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "p", AllFlows: true}),
		Webhooks:     staticWebhooks(map[string]webhooks.Config{"p": {URL: srv.URL}}),
		Timeout:      time.Minute,
		DrainTimeout: 200 * time.Millisecond,
	})
	for i := range 5 {
		n.Notify(event(acdconfig.EventPopupDial, fmt.Sprint("c", i)))
	}
	start := time.Now()
	err := n.Close()
	if err == nil || !strings.Contains(err.Error(), "5 event(s) not delivered") {
		t.Errorf("Close = %v; want 5 not delivered", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close took %v with a 200ms drain timeout", d)
	}
}

func TestNewRequires(t *testing.T) {
	if _, err := acdhooks.New(acdhooks.Config{}); err == nil {
		t.Error("New without sources: want an error")
	}
}

// BenchmarkNotify measures the call path's cost: queueing one event (the
// delivery runs in the background against a local server).
func BenchmarkNotify(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	n, err := acdhooks.New(acdhooks.Config{
		Hooks:    staticHooks(acdconfig.Hook{ID: 1, AccountID: 3, Kind: acdconfig.HookPopup, Webhook: "p", AllFlows: true}),
		Webhooks: staticWebhooks(map[string]webhooks.Config{"p": {URL: srv.URL}}),
		Policy:   loopback, DrainTimeout: time.Minute,
	})
	if err != nil {
		b.Fatal(err)
	}
	evs := make([]acd.Event, 64)
	for i := range evs {
		evs[i] = event(acdconfig.EventPopupDial, fmt.Sprint("c", i))
	}
	// Timed: Notify and the delivery of every event (Close drains), so an
	// op is one event posted to the local server, not just queued (an
	// enqueue-only loop queues millions that the drain cannot post in time).
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		n.Notify(evs[i%len(evs)])
	}
	if err := n.Close(); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
}
