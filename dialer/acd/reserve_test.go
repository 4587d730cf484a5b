package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/internal/testkit"
)

// freeCalls records Options.OnAgentFree calls.
type freeCalls struct {
	mu    sync.Mutex
	calls []string // "acct:[q1 q2]"
}

func (f *freeCalls) hook(acct int64, qs []string) {
	f.mu.Lock()
	f.calls = append(f.calls, fmt.Sprintf("%d:%v", acct, qs))
	f.mu.Unlock()
}

// wait waits until n calls are recorded (they run in the background).
func (f *freeCalls) wait(t *testing.T, a *ACD, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.flush()
		f.mu.Lock()
		got := len(f.calls)
		f.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d OnAgentFree calls, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *freeCalls) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// expect checks the calls made so far (and forgets them).
func (f *freeCalls) expect(t *testing.T, a *ACD, want ...string) {
	t.Helper()
	a.flush()
	if got := f.take(); !slices.Equal(got, want) {
		t.Fatalf("OnAgentFree calls %q, want %q", got, want)
	}
}

// TestReserve: agent-first reservations by strategy until none is free,
// the reserved agent's state, release through wrap-up, errors.
func TestReserve(t *testing.T) {
	clk := testkit.NewFakeClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	j := &memJournal{}
	a := New(Options{Now: clk.Now, Journal: j, Trunk: "PJSIP/%s@trunk"})
	defer a.Close()
	ctx := context.Background()
	for _, ag := range []acdconfig.Agent{
		testAgent(1, "mobile"),
		{ID: 2, AccountID: 1, Name: "sip", LoginType: acdconfig.LoginSoftphone, Extension: "7002", WrapUp: 50 * time.Millisecond},
		testAgent(3, "logged out"),
		testAgent(4, "paused"),
	} {
		if err := a.PutAgent(ag); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PutQueue(acdconfig.Queue{ID: 10, AccountID: 1, Name: "sales", Members: []int64{1, 2, 3, 4}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Reserve(ctx, 1, "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown queue: %v", err)
	}
	if _, _, err := a.Reserve(ctx, 2, "sales"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("queue of another account: %v", err)
	}
	if _, ok, err := a.Reserve(ctx, 1, "sales"); ok || err != nil {
		t.Fatalf("nobody logged in: ok %v err %v", ok, err)
	}
	// Agent 2 logs in first: longest idle.
	for _, id := range []int64{2, 1, 4} {
		if err := a.Login(ctx, 1, id); err != nil {
			t.Fatal(err)
		}
		clk.Add(time.Second)
	}
	if err := a.Pause(ctx, 1, 4, "lunch"); err != nil {
		t.Fatal(err)
	}
	r, ok, err := a.Reserve(ctx, 1, "sales")
	if err != nil || !ok {
		t.Fatalf("reserve: ok %v err %v", ok, err)
	}
	if want := (dialer.Reservation{AgentID: "2", Endpoint: "PJSIP/7002", Number: "7002"}); r != want {
		t.Fatalf("reservation %+v, want %+v", r, want)
	}
	r1, ok, err := a.Reserve(ctx, 1, "sales")
	if err != nil || !ok {
		t.Fatalf("second reserve: ok %v err %v", ok, err)
	}
	if want := (dialer.Reservation{AgentID: "1", Endpoint: "PJSIP/+49301000001@trunk", Number: "+49301000001"}); r1 != want {
		t.Fatalf("reservation %+v, want %+v", r1, want)
	}
	if _, ok, err := a.Reserve(ctx, 1, "sales"); ok || err != nil {
		t.Fatalf("all busy: ok %v err %v", ok, err)
	}
	st, _ := a.Agent(1, 2)
	if st.State != StateOnCall || st.Queue != "sales" || st.Offered != 0 || st.Answered != 0 {
		t.Fatalf("reserved agent row %+v", st)
	}
	s, _ := a.Staffing(1, "sales")
	if s.LoggedIn != 3 || s.Free != 0 || s.Busy != 2 {
		t.Fatalf("staffing while reserved %+v", s)
	}
	// A queue caller cannot claim a reserved agent.
	q := a.queueByName[nameKey{1, "sales"}]
	w := &waiter{callID: "c1", q: q, wake: make(chan struct{}, 1)}
	a.mu.Lock()
	q.waiting = append(q.waiting, w)
	offers := a.claimLocked(w)
	a.mu.Unlock()
	if offers != nil {
		t.Fatalf("queue caller offered to a reserved agent: %+v", offers[0].ag.cfg)
	}

	// Release without wrap-up: available at once.
	clk.Add(time.Minute)
	a.Release(ctx, 1, r1)
	st, _ = a.Agent(1, 1)
	if st.State != StateAvailable || !st.LastCallAt.Equal(clk.Now()) {
		t.Fatalf("released agent 1: %+v", st)
	}
	// The waiting caller now gets agent 1; nobody is left to reserve, and
	// while a caller waits unserved, Reserve leaves agents to the queue.
	a.mu.Lock()
	offers = a.claimLocked(w)
	a.mu.Unlock()
	if len(offers) != 1 || offers[0].ag.cfg.ID != 1 {
		t.Fatalf("caller after release: %+v", offers)
	}
	a.mu.Lock()
	a.releaseLocked(offers[0].ag, offers[0], "")
	w.dialing = false
	a.mu.Unlock()
	if _, ok, err := a.Reserve(ctx, 1, "sales"); err != nil {
		t.Fatalf("a.Reserve(ctx, 1, 'sales'): %v", err)
	} else if ok {
		t.Fatal("reserved an agent while a queue caller waits for one")
	}
	a.mu.Lock()
	q.removeLocked(w)
	a.mu.Unlock()

	// Release with wrap-up (agent 2: 50ms), a pending pause honoured.
	if err := a.Pause(ctx, 1, 2, "coffee"); err != nil {
		t.Fatal(err)
	}
	a.Release(ctx, 1, r)
	if st, err := a.Agent(1, 2); err != nil {
		t.Fatalf("a.Agent(1, 2): %v", err)
	} else if st.State != StateWrapUp {
		t.Fatalf("agent 2 after release: %+v", st)
	}
	a.Release(ctx, 1, r) // twice: no effect
	a.Release(ctx, 1, dialer.Reservation{AgentID: "x"})
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, _ := a.Agent(1, 2)
		if st.State == StatePaused && st.Reason == "coffee" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent 2 after wrap-up: %+v", st)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Logout during a reservation: logged out on release.
	r1, ok, _ = a.Reserve(ctx, 1, "sales")
	if !ok || r1.AgentID != "1" {
		t.Fatalf("reserve again: %+v %v", r1, ok)
	}
	if err := a.Logout(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	if st, err := a.Agent(1, 1); err != nil {
		t.Fatalf("a.Agent(1, 1): %v", err)
	} else if st.State != StateOnCall {
		t.Fatalf("logout during reservation: %+v", st)
	}
	a.Release(ctx, 1, r1)
	if st, err := a.Agent(1, 1); err != nil {
		t.Fatalf("a.Agent(1, 1): %v", err)
	} else if st.State != StateLoggedOut {
		t.Fatalf("released after logout: %+v", st)
	}
	a.flush()
	calls, _, evs := j.snapshot()
	if len(calls) != 0 {
		t.Fatalf("reservations wrote agent call records: %+v", calls)
	}
	var to []State
	for _, e := range evs {
		if e.AgentID == 1 {
			to = append(to, e.To)
		}
	}
	// (ringing: the queue caller's offer above)
	want := []State{StateAvailable, StateOnCall, StateAvailable, StateRinging, StateAvailable, StateOnCall, StateLoggedOut}
	if !slices.Equal(to, want) {
		t.Fatalf("agent 1 events %v, want %v", to, want)
	}

	a.Drain()
	if err := a.Login(ctx, 1, 3); !errors.Is(err, ErrState) {
		t.Fatalf("login while draining: %v", err)
	}
	if _, ok, err := a.Reserve(ctx, 1, "sales"); ok || err != nil {
		t.Fatalf("reserve while draining: %v %v", ok, err)
	}
}

// TestReserveStrategies: round-robin and fewest-calls pick as for queue
// callers; ring-all reserves one agent at a time.
func TestReserveStrategies(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		strategy acdconfig.Strategy
		want     []string
	}{
		{acdconfig.StrategyLongestIdle, []string{"3", "1", "2"}},
		{acdconfig.StrategyRoundRobin, []string{"1", "2", "3"}},
		{acdconfig.StrategyFewestCalls, []string{"2", "3", "1"}},
		{acdconfig.StrategyRingAll, []string{"1", "2", "3"}},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			clk := testkit.NewFakeClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
			a := New(Options{Now: clk.Now, Trunk: "PJSIP/%s@trunk"})
			defer a.Close()
			for id := int64(1); id <= 3; id++ {
				if err := a.PutAgent(testAgent(id, "a")); err != nil {
					t.Fatal(err)
				}
			}
			if err := a.PutQueue(acdconfig.Queue{ID: 10, AccountID: 1, Name: "sales", Strategy: tc.strategy, Members: []int64{1, 2, 3}}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []int64{3, 1, 2} {
				if err := a.Login(ctx, 1, id); err != nil {
					t.Fatal(err)
				}
				clk.Add(time.Second)
			}
			// Agent 1 answered two calls today, agent 3 one.
			a.mu.Lock()
			for id, n := range map[int64]int{1: 2, 3: 1} {
				ag := a.agents[key{1, id}]
				ag.day, ag.dayAnswered = clk.Now().Format(time.DateOnly), n
			}
			a.mu.Unlock()
			var got []string
			for {
				r, ok, err := a.Reserve(ctx, 1, "sales")
				if err != nil {
					t.Fatal(err)
				}
				if !ok {
					break
				}
				got = append(got, r.AgentID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("reserved %v, want %v", got, tc.want)
			}
		})
	}
}

// TestOnAgentFree: the hook fires (off the ACD's lock, never blocking the
// caller) each time an agent becomes free, with the agent's queues.
func TestOnAgentFree(t *testing.T) {
	clk := testkit.NewFakeClock(time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC))
	f := &freeCalls{}
	var a *ACD
	block := make(chan struct{})
	a = New(Options{Now: clk.Now, OnAgentFree: func(acct int64, qs []string) {
		// Not under the ACD's lock: reading the ACD here must not
		// deadlock.
		if _, err := a.Agent(acct, 1); err != nil {
			t.Errorf("hook: %v", err)
		}
		if acct == 2 {
			<-block // a slow hook
		}
		f.hook(acct, qs)
	}})
	defer a.Close()
	ctx := context.Background()
	ag1 := testAgent(1, "one")
	ag1.WrapUp = 300 * time.Millisecond
	for _, ag := range []acdconfig.Agent{ag1, testAgent(2, "two"), testAgent(3, "no queue"),
		{ID: 1, AccountID: 2, Name: "other", LoginType: acdconfig.LoginSoftphone, Extension: "7009"}} {
		if err := a.PutAgent(ag); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []acdconfig.Queue{
		{ID: 10, AccountID: 1, Name: "sales", Members: []int64{1, 2}},
		{ID: 11, AccountID: 1, Name: "support", Members: []int64{1}},
		{ID: 12, AccountID: 2, Name: "sales", Members: []int64{1}},
	} {
		if err := a.PutQueue(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Login(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	f.expect(t, a, "1:[sales support]")
	if err := a.Login(ctx, 1, 3); err != nil { // member of no queue
		t.Fatal(err)
	}
	if err := a.Pause(ctx, 1, 1, "x"); err != nil {
		t.Fatal(err)
	}
	f.expect(t, a)
	if err := a.Unpause(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	f.expect(t, a, "1:[sales support]")
	// A reservation released: free after the wrap-up, not before.
	r, ok, err := a.Reserve(ctx, 1, "support")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	a.Release(ctx, 1, r)
	f.expect(t, a)
	f.wait(t, a, 1)
	f.expect(t, a, "1:[sales support]")
	// A SIP agent becomes free when its endpoint comes online; a slow hook
	// does not hold up the ACD.
	if err := a.Login(ctx, 2, 1); err != nil {
		t.Fatal(err)
	}
	a.mu.Lock()
	a.setEndpointLocked("7009", "offline")
	a.mu.Unlock()
	start := time.Now()
	a.mu.Lock()
	a.setEndpointLocked("7009", "online")
	a.mu.Unlock()
	if err := a.Login(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("state changes waited %v for a blocked hook", d)
	}
	close(block)
	f.wait(t, a, 3)
	f.expect(t, a, "2:[sales]", "2:[sales]", "1:[sales]")
}

// TestReserveWithQueueCallers (real Asterisk): a reserved agent is not
// offered queue callers (they time out), is offered the next caller once
// released, and OnAgentFree fires at login, release and call end.
func TestReserveWithQueueCallers(t *testing.T) {
	f := &freeCalls{}
	h := newHarness(t, func(o *Options) { o.OnAgentFree = f.hook })
	h.hangupAfterBridged(500 * time.Millisecond)
	h.agent(1, "1000001", false, 0)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	h.login(1)
	f.wait(t, h.a, 1)
	f.expect(t, h.a, "1:[sales]")
	ctx := context.Background()
	r, ok, err := h.a.Reserve(ctx, 1, "sales")
	if err != nil || !ok || r.Endpoint != "Local/1000001@agents-sim" {
		t.Fatalf("reserve: %+v %v %v", r, ok, err)
	}
	_, ch := h.customer("answer-silent", "sales", 2*time.Second)
	o := wait(t, ch, 10*time.Second)
	expectStatus(t, o, QueueTimeout, 1)
	if st := h.state(1); st.State != StateOnCall || st.Offered != 0 {
		t.Fatalf("reserved agent after a queue caller: %+v", st)
	}
	calls, _, evs := h.journal()
	if len(calls) != 0 || evs[len(evs)-1].To != StateOnCall {
		t.Fatalf("the reserved agent was offered a caller: calls %+v, events %+v", calls, evs)
	}
	// The next caller waits; the release hands the agent to it.
	_, ch = h.customer("answer-silent", "sales", 20*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for h.a.Queues(1)[0].Waiting != 1 {
		if time.Now().After(deadline) {
			t.Fatal("second caller not waiting")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok, err := h.a.Reserve(ctx, 1, "sales"); err != nil {
		t.Fatalf("h.a.Reserve(ctx, 1, 'sales'): %v", err)
	} else if ok {
		t.Fatal("reserved twice")
	}
	h.a.Release(ctx, 1, r)
	o = wait(t, ch, 15*time.Second)
	expectStatus(t, o, QueueAnswer, 0)
	if agentOf(t, o) != 1 {
		t.Fatalf("answered by %v", o.res.Outputs["agent_id"])
	}
	h.waitState(1, StateAvailable, 5*time.Second)
	// Free after the release (the caller took the agent) and after the
	// call.
	f.wait(t, h.a, 2)
	f.expect(t, h.a, "1:[sales]", "1:[sales]")
	calls, _, _ = h.journal()
	if len(calls) != 1 || calls[0].Outcome != "answered" {
		t.Fatalf("agent calls %+v", calls)
	}
}
