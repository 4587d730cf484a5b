package acdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// options returns store options for a fresh database of the driver.
func options(t *testing.T, driver string) store.Options { return storetest.Options(t, driver) }

// forEachDriver runs fn on a fresh migrated store of each driver.
func forEachDriver(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(d, func(t *testing.T) { fn(t, storetest.Open(t, options(t, d))) })
	}
}

func TestConfigRoundTrip(t *testing.T) { forEachDriver(t, testConfigRoundTrip) }

func testConfigRoundTrip(t *testing.T, st *store.Store) {
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := st.CreateAccount(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	in := acdconfig.Agent{AccountID: a.ID, Name: "Alice", LoginType: acdconfig.LoginSoftphone, Extension: "7001", SIPPassword: "pw",
		CLI: "+15550000", WrapUp: 15 * time.Second, Record: true, Persistent: true}
	sa, err := st.CreateAgent(ctx, store.Agent{Agent: in})
	if err != nil {
		t.Fatal(err)
	}
	mob, err := st.CreateAgent(ctx, store.Agent{Agent: acdconfig.Agent{AccountID: b.ID, Name: "Bob", LoginType: acdconfig.LoginMobile, Number: "+15551111"}})
	if err != nil {
		t.Fatal(err)
	}
	q := acdconfig.Queue{AccountID: a.ID, Name: "sales", Members: []int64{sa.ID}, Announce: "sound:x", AnnounceEvery: 30 * time.Second,
		AnnouncePosition: true, MaxLen: 3, JoinWhenEmpty: true, Record: true}
	q.Defaults()
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateQueue(ctx, store.Queue{Queue: q}); err != nil {
		t.Fatal(err)
	}

	cfg := Config{Store: st}
	agents, err := cfg.Agents(ctx)
	if err != nil || len(agents) != 2 {
		t.Fatalf("agents: %+v %v", agents, err)
	}
	got := agents[0]
	in.ID, in.CreatedAt, in.UpdatedAt = sa.ID, sa.CreatedAt, sa.UpdatedAt
	if !reflect.DeepEqual(got, in) {
		t.Fatalf("agent round trip:\n got %+v\nwant %+v", got, in)
	}
	if agents[1].ID != mob.ID || agents[1].Number != "+15551111" || agents[1].LoginType != acdconfig.LoginMobile {
		t.Fatalf("mobile agent: %+v", agents[1])
	}
	queues, err := cfg.Queues(ctx)
	if err != nil || len(queues) != 1 {
		t.Fatalf("queues: %+v %v", queues, err)
	}
	gq := queues[0]
	q.ID, q.CreatedAt, q.UpdatedAt = gq.ID, gq.CreatedAt, gq.UpdatedAt
	if !reflect.DeepEqual(gq, q) {
		t.Fatalf("queue round trip:\n got %+v\nwant %+v", gq, q)
	}

	if _, err := st.PutWebhook(ctx, a.ID, "crm", json.RawMessage(`{"url":"https://x.example"}`)); err != nil {
		t.Fatal(err)
	}
	h := acdconfig.Hook{AccountID: a.ID, Kind: acdconfig.HookPopup, Webhook: "crm", Events: []acdconfig.EventKind{acdconfig.EventPopupDial, acdconfig.EventPopupTerminal}, AllFlows: true}
	sh, err := st.PutHook(ctx, store.ACDHook{Hook: h})
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := cfg.Hooks(ctx, a.ID)
	h.ID, h.FlowIDs = sh.ID, []int64{}
	if err != nil || len(hooks) != 1 || !reflect.DeepEqual(hooks[0], h) {
		t.Fatalf("hooks: %+v %v\nwant %+v", hooks, err, h)
	}
	if hooks, err := cfg.Hooks(ctx, b.ID); err != nil {
		t.Fatalf("cfg.Hooks(ctx, b.ID): %v", err)
	} else if len(hooks) != 0 {
		t.Fatalf("b's hooks: %+v", hooks)
	}
	ui := acdconfig.AgentUI{AccountID: a.ID, Enabled: true, URL: "https://ui.example", Width: 300, Height: 200}
	if _, err := st.PutAgentUI(ctx, store.AgentUI{AgentUI: ui}); err != nil {
		t.Fatal(err)
	}
	if got, err := cfg.AgentUI(ctx, a.ID); err != nil || got != ui {
		t.Fatalf("ui: %+v %v", got, err)
	}
}

// countRows counts an account's rows of each journal table (paging past
// the store's list limit by time).
func countRows(t *testing.T, st *store.Store, acct int64) (calls, qcalls, events int) {
	t.Helper()
	ctx := context.Background()
	var from time.Time
	for {
		rows, err := st.ListAgentCalls(ctx, store.JournalFilter{AccountID: acct, From: from})
		if err != nil {
			t.Fatal(err)
		}
		calls += len(rows)
		if len(rows) < store.MaxListLimit {
			break
		}
		from = rows[len(rows)-1].OfferedAt.Add(time.Microsecond)
	}
	from = time.Time{}
	for {
		rows, err := st.ListQueueCalls(ctx, store.JournalFilter{AccountID: acct, From: from})
		if err != nil {
			t.Fatal(err)
		}
		qcalls += len(rows)
		if len(rows) < store.MaxListLimit {
			break
		}
		from = rows[len(rows)-1].JoinedAt.Add(time.Microsecond)
	}
	from = time.Time{}
	for {
		rows, err := st.ListAgentEvents(ctx, store.JournalFilter{AccountID: acct, From: from})
		if err != nil {
			t.Fatal(err)
		}
		events += len(rows)
		if len(rows) < store.MaxListLimit {
			break
		}
		from = rows[len(rows)-1].At.Add(time.Microsecond)
	}
	return
}

// TestJournalBurst: 10,000 records from concurrent callers land in the
// store, the callers never wait on the database, and Close flushes what is
// still buffered.
func TestJournalBurst(t *testing.T) { forEachDriver(t, testJournalBurst) }

func testJournalBurst(t *testing.T, st *store.Store) {
	a, err := st.CreateAccount(context.Background(), "a")
	if err != nil {
		t.Fatal(err)
	}
	j := NewJournal(st, JournalOptions{FlushEvery: time.Hour}) // only size and Close trigger writes
	t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	const workers, per = 10, 1000
	start := time.Now()
	var slowest time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range per {
				n := w*per + i
				at := t0.Add(time.Duration(n) * time.Millisecond)
				s := time.Now()
				switch n % 3 {
				case 0:
					j.AgentCall(acd.AgentCall{AccountID: a.ID, AgentID: 1, CallID: fmt.Sprint(n), OfferedAt: at, AnsweredAt: at.Add(time.Second), Outcome: "answered"})
				case 1:
					j.QueueCall(acd.QueueCall{AccountID: a.ID, QueueID: 2, CallID: fmt.Sprint(n), JoinedAt: at, Outcome: acd.QueueAnswer, Position: 1})
				default:
					j.AgentEvent(acd.AgentEvent{AccountID: a.ID, AgentID: 1, At: at, From: acd.StateAvailable, To: acd.StateRinging})
				}
				d := time.Since(s)
				mu.Lock()
				slowest = max(slowest, d)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	enqueue := time.Since(start)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	landed := time.Since(start)
	st2 := j.Stats()
	if st2.Written != workers*per || st2.Dropped != 0 || st2.Pending != 0 {
		t.Fatalf("stats: %+v", st2)
	}
	c, q, e := countRows(t, st, a.ID)
	if c+q+e != workers*per || c != 3334 || q != 3333 || e != 3333 {
		t.Fatalf("rows: %d agent calls, %d queue calls, %d events", c, q, e)
	}
	t.Logf("10k records: enqueued in %v (slowest call %v), all written after %v", enqueue, slowest, landed)
	// After Close nothing is accepted (and nothing panics).
	j.AgentEvent(acd.AgentEvent{AccountID: a.ID, AgentID: 1, At: t0, To: acd.StateAvailable})
	if j.Stats().Dropped != 1 {
		t.Fatalf("record after close: %+v", j.Stats())
	}
	if err := j.Close(ctx); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// fakeWriter is a function-field Writer.
type fakeWriter struct {
	calls  func(ctx context.Context, rows []store.AgentCall) error
	qcalls func(ctx context.Context, rows []store.QueueCall) error
	events func(ctx context.Context, rows []store.AgentEvent) error
}

func (f *fakeWriter) InsertAgentCalls(ctx context.Context, rows []store.AgentCall) error {
	if f.calls == nil {
		return nil
	}
	return f.calls(ctx, rows)
}
func (f *fakeWriter) InsertQueueCalls(ctx context.Context, rows []store.QueueCall) error {
	if f.qcalls == nil {
		return nil
	}
	return f.qcalls(ctx, rows)
}
func (f *fakeWriter) InsertAgentEvents(ctx context.Context, rows []store.AgentEvent) error {
	if f.events == nil {
		return nil
	}
	return f.events(ctx, rows)
}

// TestJournalNeverBlocks: with the database stuck, callers still return at
// once and the buffer grows; when it recovers everything is written.
func TestJournalNeverBlocks(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var got []string
	w := &fakeWriter{events: func(ctx context.Context, rows []store.AgentEvent) error {
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		defer mu.Unlock()
		for _, r := range rows {
			got = append(got, r.Reason)
		}
		return nil
	}}
	j := NewJournal(w, JournalOptions{FlushEvery: time.Millisecond, BatchSize: 10})
	start := time.Now()
	for i := range 5000 {
		j.AgentEvent(acd.AgentEvent{AccountID: 1, AgentID: 1, At: time.Now(), To: acd.StateAvailable, Reason: fmt.Sprint(i)})
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("5000 records with a stuck database took %v", d)
	}
	if s := j.Stats(); s.Pending != 5000 || s.Written != 0 {
		t.Fatalf("stats with a stuck database: %+v (want all 5000 pending)", s)
	}
	close(release)
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5000 {
		t.Fatalf("written %d of 5000", len(got))
	}
	for i, r := range got {
		if r != fmt.Sprint(i) {
			t.Fatalf("order: row %d is %s", i, r)
		}
	}
}

// TestJournalRetriesAndIsolates: transient failures are retried (nothing
// lost); rows the store refuses for good are dropped one by one, the rest
// of their batch is written.
func TestJournalRetriesAndIsolates(t *testing.T) {
	var mu sync.Mutex
	fails := 3
	var written []string
	w := &fakeWriter{qcalls: func(_ context.Context, rows []store.QueueCall) error {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			return errors.New("connection refused")
		}
		for _, r := range rows {
			if r.Outcome == "BAD" {
				return fmt.Errorf("outcome: %w", store.ErrInvalid)
			}
		}
		for _, r := range rows {
			written = append(written, r.CallID)
		}
		return nil
	}}
	j := NewJournal(w, JournalOptions{FlushEvery: time.Millisecond, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	for i := range 10 {
		o := acd.QueueAnswer
		if i == 4 {
			o = "BAD"
		}
		j.QueueCall(acd.QueueCall{AccountID: 1, QueueID: 1, CallID: fmt.Sprint(i), JoinedAt: time.Now(), Outcome: o})
	}
	deadline := time.Now().Add(10 * time.Second)
	for j.Stats().Pending > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := j.Stats()
	if s.Written != 9 || s.Dropped != 1 || fmt.Sprint(written) != "[0 1 2 3 5 6 7 8 9]" {
		t.Fatalf("stats %+v written %v", s, written)
	}
}

// TestJournalCloseDeadline: when the database never recovers, Close gives
// up at its context's end and says how many records were lost.
func TestJournalCloseDeadline(t *testing.T) {
	w := &fakeWriter{calls: func(context.Context, []store.AgentCall) error { return errors.New("database down") }}
	j := NewJournal(w, JournalOptions{FlushEvery: time.Millisecond, RetryMin: time.Millisecond})
	for range 3 {
		j.AgentCall(acd.AgentCall{AccountID: 1, AgentID: 1, OfferedAt: time.Now()})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := j.Close(ctx)
	if err == nil || j.Stats().Pending != 3 {
		t.Fatalf("close: %v %+v", err, j.Stats())
	}
	if want := "3 records not written"; !strings.Contains(err.Error(), want) {
		t.Fatalf("close error %q does not say %q", err, want)
	}
}
