package acd

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/internal/testkit"
)

type memJournal struct {
	mu     sync.Mutex
	calls  []AgentCall
	queues []QueueCall
	events []AgentEvent
}

func (j *memJournal) AgentCall(c AgentCall) { j.mu.Lock(); j.calls = append(j.calls, c); j.mu.Unlock() }
func (j *memJournal) QueueCall(c QueueCall) {
	j.mu.Lock()
	j.queues = append(j.queues, c)
	j.mu.Unlock()
}
func (j *memJournal) AgentEvent(e AgentEvent) {
	j.mu.Lock()
	j.events = append(j.events, e)
	j.mu.Unlock()
}

func (j *memJournal) snapshot() ([]AgentCall, []QueueCall, []AgentEvent) {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]AgentCall(nil), j.calls...), append([]QueueCall(nil), j.queues...), append([]AgentEvent(nil), j.events...)
}

func testAgent(id int64, name string) acdconfig.Agent {
	return acdconfig.Agent{ID: id, AccountID: 1, Name: name, LoginType: acdconfig.LoginMobile, Number: "+4930100000" + string(rune('0'+id%10))}
}

// Agent state without Asterisk: login, pause reasons, logout, errors,
// the supervisor rows, staffing and the journal.
func TestAgentStateMachine(t *testing.T) {
	clk := testkit.NewFakeClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	j := &memJournal{}
	a := New(Options{Now: clk.Now, Journal: j})
	ctx := context.Background()
	if err := a.PutAgent(testAgent(1, "Bob")); err != nil {
		t.Fatal(err)
	}
	if err := a.PutAgent(testAgent(2, "Alice")); err != nil {
		t.Fatal(err)
	}
	if err := a.PutAgent(acdconfig.Agent{ID: 3, AccountID: 1, Name: "bad", LoginType: "pager"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid agent: %v", err)
	}
	if err := a.PutQueue(acdconfig.Queue{ID: 10, AccountID: 1, Name: "sales", Members: []int64{1, 2}}); err != nil {
		t.Fatal(err)
	}
	if err := a.Pause(ctx, 1, 1, "lunch"); !errors.Is(err, ErrState) {
		t.Fatalf("pause logged out: %v", err)
	}
	if err := a.Login(ctx, 1, 99); !errors.Is(err, ErrNotFound) {
		t.Fatalf("login unknown: %v", err)
	}
	for _, id := range []int64{1, 2} {
		if err := a.Login(ctx, 1, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Login(ctx, 1, 1); !errors.Is(err, ErrState) {
		t.Fatalf("second login: %v", err)
	}
	clk.Add(time.Minute)
	if err := a.Pause(ctx, 1, 1, "bad reason!"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad reason: %v", err)
	}
	if err := a.Pause(ctx, 1, 1, "lunch"); err != nil {
		t.Fatal(err)
	}
	st, _ := a.Agent(1, 1)
	if st.State != StatePaused || st.Reason != "lunch" || !st.Since.Equal(clk.Now()) {
		t.Fatalf("paused row: %+v", st)
	}
	s, err := a.Staffing(1, "sales")
	if err != nil || s.LoggedIn != 2 || s.Free != 1 || s.Busy != 0 {
		t.Fatalf("staffing %+v %v", s, err)
	}
	if _, err := a.Staffing(1, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("staffing unknown queue: %v", err)
	}
	if st, err := a.Staffing(1, "sales"); err != nil {
		t.Fatalf("a.Staffing(1, 'sales'): %v", err)
	} else if st.Free != 1 {
		t.Fatalf("free agents %d", st.Free)
	}
	if got := a.Agents(1, StatePaused); len(got) != 1 || got[0].AgentID != 1 {
		t.Fatalf("filter paused: %+v", got)
	}
	if got := a.Agents(1, ""); len(got) != 2 || got[0].Name != "Alice" {
		t.Fatalf("all agents sorted by name: %+v", got)
	}
	if err := a.Unpause(ctx, 1, 2); !errors.Is(err, ErrState) {
		t.Fatalf("unpause available: %v", err)
	}
	if err := a.Unpause(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Disposition(ctx, 1, 1, "sale"); !errors.Is(err, ErrState) {
		t.Fatalf("disposition without call: %v", err)
	}
	if err := a.Logout(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := a.Logout(ctx, 1, 1); !errors.Is(err, ErrState) {
		t.Fatalf("second logout: %v", err)
	}
	if err := a.RemoveAgent(1, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Agent(1, 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("removed agent: %v", err)
	}
	qs := a.Queues(1)
	if len(qs) != 1 || qs[0].LoggedIn != 0 {
		t.Fatalf("queues %+v", qs)
	}
	if err := a.PutQueue(acdconfig.Queue{ID: 11, AccountID: 1, Name: "sales"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("duplicate queue name: %v", err)
	}
	a.Close()
	_, _, evs := j.snapshot()
	want := []State{StateAvailable, StateAvailable, StatePaused, StateAvailable, StateLoggedOut, StateLoggedOut}
	if len(evs) != len(want) {
		t.Fatalf("journal events %+v", evs)
	}
	for i, e := range evs {
		if e.To != want[i] {
			t.Fatalf("event %d: %+v, want to=%s", i, e, want[i])
		}
	}
	if evs[2].Reason != "lunch" {
		t.Fatalf("pause event reason: %+v", evs[2])
	}
}

// A slow subscriber gets the latest state of every agent, coalesced, and
// never blocks the ACD.
func TestSubscribeCoalesces(t *testing.T) {
	a := New(Options{})
	defer a.Close()
	ctx := context.Background()
	for i := int64(1); i <= 3; i++ {
		if err := a.PutAgent(testAgent(i, "agent")); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PutAgent(acdconfig.Agent{ID: 9, AccountID: 2, Name: "other", LoginType: acdconfig.LoginMobile, Number: "+15550001"}); err != nil {
		t.Fatal(err)
	}
	ch, cancel := a.Subscribe(1)
	defer cancel()
	// Nobody reads: a thousand changes must not block.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 500 {
			_ = a.Login(ctx, 1, 1)
			_ = a.Pause(ctx, 1, 1, "x")
			_ = a.Logout(ctx, 1, 1)
		}
		_ = a.Login(ctx, 1, 2)
		_ = a.Pause(ctx, 1, 2, "coffee")
		_ = a.Login(ctx, 2, 9)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("state changes blocked on a slow subscriber")
	}
	latest := map[int64]AgentStatus{}
	deadline := time.After(5 * time.Second)
	for len(latest) < 3 || latest[2].State != StatePaused || latest[1].State != StateLoggedOut {
		select {
		case u := <-ch:
			if u.Kind == "agent" {
				if u.Agent.AccountID != 1 {
					t.Fatalf("update of another account: %+v", u.Agent)
				}
				latest[u.Agent.AgentID] = *u.Agent
			}
		case <-deadline:
			t.Fatalf("latest state not delivered: %+v", latest)
		}
	}
	if latest[2].Reason != "coffee" {
		t.Fatalf("agent 2: %+v", latest[2])
	}
	cancel()
	for range ch { // closed after cancel
	}
}
