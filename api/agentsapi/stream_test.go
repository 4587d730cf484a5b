package agentsapi

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/internal/testkit"
)

// sseEvent is one parsed Server-Sent Event (or a comment line).
type sseEvent struct {
	event, data, comment string
}

// readEvents parses the stream into ch until it ends.
func readEvents(body *bufio.Reader, ch chan<- sseEvent) {
	defer close(ch)
	var cur sseEvent
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if cur != (sseEvent{}) {
				ch <- cur
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, ":"):
			cur.comment = strings.TrimSpace(line[1:])
		case strings.HasPrefix(line, "event: "):
			cur.event = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			cur.data = line[len("data: "):]
		}
	}
}

func next(t *testing.T, ch <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return sseEvent{}
}

type streamFixture struct {
	e        *env
	ts       *httptest.Server
	updates  chan acd.Update
	unsubbed atomic.Int32
	subAcct  atomic.Int64
}

func newStream(t *testing.T, heartbeat time.Duration) *streamFixture {
	return newStreamWith(t, func(d *Deps) { d.Heartbeat = heartbeat })
}

func newStreamWith(t *testing.T, mod func(*Deps)) *streamFixture {
	f := &streamFixture{updates: make(chan acd.Update, 4)}
	f.e = newEnv(t, mod)
	f.e.acd.statuses = func(acct int64, _ acd.State) []acd.AgentStatus {
		return []acd.AgentStatus{{AgentID: 1, AccountID: acct, Name: "Alice", State: acd.StateAvailable},
			{AgentID: 2, AccountID: acct, Name: "Bob", State: acd.StateLoggedOut}}
	}
	f.e.acd.queueSt = func(acct int64) []acd.QueueStatus {
		return []acd.QueueStatus{{QueueID: 7, AccountID: acct, Name: "sales"}}
	}
	f.e.acd.subscribe = func(acct int64) (<-chan acd.Update, func()) {
		f.subAcct.Store(acct)
		return f.updates, func() { f.unsubbed.Add(1) }
	}
	f.ts = httptest.NewServer(f.e.srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}

func (f *streamFixture) open(t *testing.T, ctx context.Context) (*http.Response, <-chan sseEvent) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "GET", f.ts.URL+"/api/v1/supervisor/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.e.key)
	resp, err := f.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("stream: %d %v", resp.StatusCode, resp.Header)
	}
	ch := make(chan sseEvent, 16)
	go readEvents(bufio.NewReader(resp.Body), ch)
	return resp, ch
}

// TestStreamSnapshotUpdatesDisconnect: the snapshot, then updates as they
// come, and the handler ends (unsubscribing) when the client goes.
func TestStreamSnapshotUpdatesDisconnect(t *testing.T) {
	f := newStream(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, ch := f.open(t, ctx)
	defer resp.Body.Close()

	want := []sseEvent{
		{event: "agent", data: `"agent_id":1`},
		{event: "agent", data: `"agent_id":2`},
		{event: "queue", data: `"queue_id":7`},
		{event: "ready", data: `{}`},
	}
	for _, w := range want {
		ev := next(t, ch)
		if ev.event != w.event || !strings.Contains(ev.data, w.data) {
			t.Fatalf("snapshot: got %+v, want %+v", ev, w)
		}
	}
	if f.subAcct.Load() != f.e.acct {
		t.Fatalf("subscribed to account %d", f.subAcct.Load())
	}
	acct := f.e.acct
	snap := f.e.acd.Agents(acct, "")
	// The engine's subscription replays the current state: not sent twice.
	f.updates <- acd.Update{Kind: "agent", Agent: &snap[0]}
	// Another account's row is never forwarded.
	f.updates <- acd.Update{Kind: "agent", Agent: &acd.AgentStatus{AgentID: 9, AccountID: f.e.acct2, Name: "Mallory"}}
	f.updates <- acd.Update{Kind: "agent", Agent: &acd.AgentStatus{AgentID: 1, AccountID: acct, Name: "Alice", State: acd.StateRinging, Customer: "+1555"}}
	if ev := next(t, ch); ev.event != "agent" || !strings.Contains(ev.data, `"state":"ringing"`) || !strings.Contains(ev.data, `"customer":"+1555"`) {
		t.Fatalf("agent update: %+v", ev)
	}
	f.updates <- acd.Update{Kind: "queue", Queue: &acd.QueueStatus{QueueID: 7, AccountID: acct, Name: "sales", Waiting: 2}}
	if ev := next(t, ch); ev.event != "queue" || !strings.Contains(ev.data, `"waiting":2`) {
		t.Fatalf("queue update: %+v", ev)
	}
	if f.unsubbed.Load() != 0 {
		t.Fatal("unsubscribed while streaming")
	}
	cancel() // the client goes away
	testkit.Eventually(t, 5*time.Second, func() bool { return f.unsubbed.Load() == 1 }, "the handler to unsubscribe")
}

// TestStreamHeartbeatAndShutdown: comment lines keep the stream alive;
// closing Deps.Done (server shutdown) ends it, as does the ACD closing the
// subscription.
func TestStreamHeartbeatAndShutdown(t *testing.T) {
	f := newStream(t, 20*time.Millisecond)
	resp, ch := f.open(t, context.Background())
	defer resp.Body.Close()
	for range 4 {
		next(t, ch) // snapshot
	}
	if ev := next(t, ch); ev.comment != "ping" || ev.event != "" {
		t.Fatalf("heartbeat: %+v", ev)
	}
	close(f.e.done)
	testkit.Eventually(t, 5*time.Second, func() bool { return f.unsubbed.Load() == 1 }, "the handler to end")
	for ev := range ch { // the stream ends: the channel closes
		if ev.event != "" {
			t.Fatalf("event after shutdown: %+v", ev)
		}
	}

	// The ACD closing the subscription ends the stream too.
	g := newStream(t, time.Hour)
	resp2, ch2 := g.open(t, context.Background())
	defer resp2.Body.Close()
	for range 4 {
		next(t, ch2)
	}
	close(g.updates)
	for range ch2 {
	}
	if g.unsubbed.Load() != 1 {
		t.Fatal("not unsubscribed")
	}
}

// TestRoutesDocumented: every route this package registers is in
// openapi.yaml.
func TestRoutesDocumented(t *testing.T) {
	e := newEnv(t)
	inSpec := api.DocumentedPaths()
	n := 0
	for _, r := range e.srv.Echo().Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Path == "/api/v1/whoami" || strings.HasSuffix(r.Path, "/*") {
			continue
		}
		n++
		if p := api.SpecPath(r.Path); !inSpec[p] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, p)
		}
	}
	if n != 47 {
		t.Fatalf("%d routes registered, want 47", n)
	}
}

// TestStreamBatches: changes within the batch window are written together,
// only the latest row of each agent (one row that changed three times is
// sent once, in its last state); with batch_ms=0 every change is sent; a
// bad batch_ms is refused.
func TestStreamBatches(t *testing.T) {
	f := newStreamWith(t, func(d *Deps) { d.Heartbeat, d.StreamBatch = time.Hour, 300*time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, ch := f.open(t, ctx)
	defer resp.Body.Close()
	for range 4 {
		next(t, ch) // snapshot
	}
	acct := f.e.acct
	start := time.Now()
	for _, s := range []acd.State{acd.StateRinging, acd.StateOnCall, acd.StateWrapUp} {
		f.updates <- acd.Update{Kind: "agent", Agent: &acd.AgentStatus{AgentID: 1, AccountID: acct, Name: "Alice", State: s}}
	}
	f.updates <- acd.Update{Kind: "agent", Agent: &acd.AgentStatus{AgentID: 2, AccountID: acct, Name: "Bob", State: acd.StatePaused}}
	a, b := next(t, ch), next(t, ch)
	if !strings.Contains(a.data, `"agent_id":1`) || !strings.Contains(a.data, `"state":"wrap_up"`) || !strings.Contains(b.data, `"agent_id":2`) {
		t.Fatalf("batch: %+v then %+v", a, b)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("the batch came after %v; want about the 300 ms window", d)
	}
	select {
	case ev := <-ch:
		t.Fatalf("more than the latest rows: %+v", ev)
	case <-time.After(500 * time.Millisecond):
	}

	// Unbatched: each change on its own.
	g := newStream(t, time.Hour)
	req, _ := http.NewRequestWithContext(ctx, "GET", g.ts.URL+"/api/v1/supervisor/stream?batch_ms=0", nil)
	req.Header.Set("Authorization", "Bearer "+g.e.key)
	resp2, err := g.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	ch2 := make(chan sseEvent, 16)
	go readEvents(bufio.NewReader(resp2.Body), ch2)
	for range 4 {
		next(t, ch2)
	}
	for _, s := range []acd.State{acd.StateRinging, acd.StateOnCall} {
		g.updates <- acd.Update{Kind: "agent", Agent: &acd.AgentStatus{AgentID: 1, AccountID: g.e.acct, Name: "Alice", State: s}}
		if ev := next(t, ch2); !strings.Contains(ev.data, `"state":"`+string(s)+`"`) {
			t.Fatalf("unbatched %s: %+v", s, ev)
		}
	}

	for _, q := range []string{"-1", "5001", "x"} {
		code, body := g.e.raw(g.e.key, "GET", "/api/v1/supervisor/stream?batch_ms="+q, "")
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, "batch_ms") {
			t.Errorf("batch_ms=%s: %d %s", q, code, body)
		}
	}
}
