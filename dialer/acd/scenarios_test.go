package acd

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

func agentOf(t *testing.T, o outcome) int64 {
	t.Helper()
	id, err := strconv.ParseInt(o.res.Syskeys["agentID"], 10, 64)
	if err != nil {
		t.Fatalf("no agent in %+v (err %v)", o.res, o.err)
	}
	return id
}

// serve runs one caller to the end of its conversation and returns who
// answered.
func (h *harness) serve(t *testing.T, queue string) int64 {
	t.Helper()
	_, ch := h.customer("answer-silent", queue, 0)
	o := wait(t, ch, 30*time.Second)
	expectStatus(t, o, QueueAnswer, 0)
	return agentOf(t, o)
}

func (h *harness) waitAll(t *testing.T, s State, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		h.waitState(id, s, 10*time.Second)
	}
}

// TestStrategies: each strategy on real (per-call, Local channel) agents.
func TestStrategies(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(300 * time.Millisecond)
	h.agent(1, "1000001", false, 0)
	h.agent(2, "1000002", false, 0)
	h.agent(3, "1000003", false, 0)
	h.login(3, 1, 2) // login order: 3 has been idle longest
	all := []int64{1, 2, 3}

	t.Run("longest-idle", func(t *testing.T) {
		h.queue(acdconfig.Queue{ID: 10, Name: "li", Strategy: acdconfig.StrategyLongestIdle, Members: all})
		var got []int64
		for range 4 {
			got = append(got, h.serve(t, "li"))
			h.waitAll(t, StateAvailable, all...)
		}
		if want := []int64{3, 1, 2, 3}; !slices.Equal(got, want) {
			t.Fatalf("served by %v, want %v", got, want)
		}
	})
	t.Run("round-robin", func(t *testing.T) {
		h.queue(acdconfig.Queue{ID: 11, Name: "rr", Strategy: acdconfig.StrategyRoundRobin, Members: []int64{2, 1, 3}})
		var got []int64
		for range 4 {
			got = append(got, h.serve(t, "rr"))
			h.waitAll(t, StateAvailable, all...)
		}
		if want := []int64{2, 1, 3, 2}; !slices.Equal(got, want) {
			t.Fatalf("served by %v, want %v", got, want)
		}
	})
	t.Run("fewest-calls", func(t *testing.T) {
		// Answered so far: 1 → 2 calls, 2 → 3, 3 → 3.
		h.queue(acdconfig.Queue{ID: 12, Name: "fc", Strategy: acdconfig.StrategyFewestCalls, Members: all})
		if got := h.serve(t, "fc"); got != 1 {
			t.Fatalf("served by %d, want 1 (fewest answered today)", got)
		}
	})
	t.Run("ring-all", func(t *testing.T) {
		h.agent(4, "3000004", false, 0) // never answers
		h.agent(5, "2000005", false, 0) // answers after 2 s
		h.login(4, 5)
		h.queue(acdconfig.Queue{ID: 13, Name: "ra", Strategy: acdconfig.StrategyRingAll, Members: []int64{4, 5}})
		before4, before5 := h.state(4), h.state(5)
		if got := h.serve(t, "ra"); got != 5 {
			t.Fatalf("served by %d, want 5", got)
		}
		h.waitAll(t, StateAvailable, 4, 5)
		a4, a5 := h.state(4), h.state(5)
		if a4.Offered != before4.Offered+1 || a5.Answered != before5.Answered+1 || a4.Missed != before4.Missed {
			t.Fatalf("ring-all stats: 4 %+v, 5 %+v", a4, a5)
		}
	})
}

// TestRingTimeoutAndAbandon: an agent who does not answer counts a missed
// offer and the caller moves on to the next agent; a caller who hangs up
// while the agent rings counts as abandoned for the agent.
func TestRingTimeoutAndAbandon(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(300 * time.Millisecond)
	h.agent(1, "3000001", false, 0) // never answers
	h.agent(2, "1000002", false, 0)
	h.login(1, 2)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 2}, RingTimeout: 2 * time.Second})
	start := time.Now()
	if got := h.serve(t, "sales"); got != 2 {
		t.Fatalf("served by %d, want 2 after agent 1 rang out", got)
	}
	if el := time.Since(start); el < 2*time.Second {
		t.Fatalf("served after %v: agent 1 did not ring first", el)
	}
	st := h.waitState(1, StateAvailable, 5*time.Second)
	if st.Offered != 1 || st.Missed != 1 || st.Answered != 0 {
		t.Fatalf("agent 1 %+v", st)
	}

	// Abandon: only the non-answering agent is logged in.
	if err := h.a.Logout(context.Background(), 1, 2); err != nil {
		t.Fatal(err)
	}
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 2}, RingTimeout: 20 * time.Second})
	_, ch := h.customer("answer-hangup-2", "sales", 0)
	deadline := time.Now().Add(3 * time.Second)
	for h.state(1).State != StateRinging {
		if time.Now().After(deadline) {
			t.Fatal("agent 1 never rang")
		}
		time.Sleep(10 * time.Millisecond)
	}
	o := wait(t, ch, 10*time.Second)
	expectStatus(t, o, QueueJoin, 1)
	st = h.waitState(1, StateAvailable, 5*time.Second)
	if st.Abandoned != 1 || st.Offered != 2 {
		t.Fatalf("agent 1 after abandon %+v", st)
	}
	calls, _, _ := h.journal()
	outs := map[string]int{}
	for _, c := range calls {
		outs[c.Outcome]++
	}
	if outs["missed"] != 1 || outs["abandoned"] != 1 || outs["answered"] != 1 {
		t.Fatalf("agent call records %v", outs)
	}
}

// TestPauseAndWrapUp: a paused agent gets no call; after a call the agent
// is in wrap-up (no calls) until the disposition.
func TestPauseAndWrapUp(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(500 * time.Millisecond)
	h.agent(1, "1000001", true, time.Minute) // persistent, long wrap-up
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}, JoinWhenEmpty: true})
	ctx := context.Background()

	if err := h.a.Pause(ctx, 1, 1, "lunch"); err != nil {
		t.Fatal(err)
	}
	_, ch := h.customer("answer-silent", "sales", 2*time.Second)
	expectStatus(t, wait(t, ch, 10*time.Second), QueueTimeout, 1)
	if st := h.state(1); st.Offered != 0 || st.State != StatePaused {
		t.Fatalf("paused agent was offered a call: %+v", st)
	}
	// Unpausing while a caller waits serves it.
	_, ch = h.customer("answer-silent", "sales", 0)
	time.Sleep(500 * time.Millisecond)
	if err := h.a.Unpause(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	o := wait(t, ch, 15*time.Second)
	expectStatus(t, o, QueueAnswer, 0)
	h.waitState(1, StateWrapUp, 5*time.Second)

	// During wrap-up the next caller waits.
	_, ch = h.customer("answer-silent", "sales", 0)
	time.Sleep(1500 * time.Millisecond)
	select {
	case o := <-ch:
		t.Fatalf("served during wrap-up: %+v", o.res)
	default:
	}
	if q := h.a.Queues(1)[0]; q.Waiting != 1 || q.Free != 0 {
		t.Fatalf("queue during wrap-up %+v", q)
	}
	if err := h.a.Disposition(ctx, 1, 1, "sale"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, wait(t, ch, 15*time.Second), QueueAnswer, 0)
	h.waitState(1, StateWrapUp, 5*time.Second)
	// A pause during wrap-up applies when it ends.
	if err := h.a.Pause(ctx, 1, 1, "break"); err != nil {
		t.Fatal(err)
	}
	if err := h.a.Disposition(ctx, 1, 1, "callback"); err != nil {
		t.Fatal(err)
	}
	st := h.waitState(1, StatePaused, 2*time.Second)
	if st.Reason != "break" || st.Answered != 2 || st.AvgHandle < st.AvgCall {
		t.Fatalf("after wrap-up %+v", st)
	}
	calls, _, _ := h.journal()
	var disp []string
	for _, c := range calls {
		disp = append(disp, c.Disposition)
		if c.WrapUpEnd.Before(c.EndedAt) || c.AnsweredAt.IsZero() {
			t.Fatalf("record %+v", c)
		}
	}
	if !slices.Equal(disp, []string{"sale", "callback"}) {
		t.Fatalf("dispositions %v", disp)
	}
	if err := h.a.Logout(ctx, 1, 1); err != nil {
		t.Fatal(err)
	}
	h.waitState(1, StateLoggedOut, 5*time.Second)
}

// TestAgentDisconnectMidCall: a persistent agent hangs up during the
// conversation: the agent is logged out, the customer's flow goes on
// (QUEUE_ANSWER, line 0) and no bridge or route is left behind.
func TestAgentDisconnectMidCall(t *testing.T) {
	h := newHarness(t, nil)
	routes0 := h.m.Router().Routes()
	h.agent(1, "5040001", true, 5*time.Second) // answers, hangs up after 4 s
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	c, ch := h.customer("answer-silent", "sales", 0)
	var o outcome
	select {
	case o = <-ch:
	case <-time.After(15 * time.Second):
		st, _ := h.a.Agent(1, 1)
		t.Fatalf("no outcome: agent %+v queues %+v journal %d bridged %v", st, h.a.Queues(1), len(h.j.calls), h.bridged)
	}
	expectStatus(t, o, QueueAnswer, 0)
	if o.err != nil || o.after != nil {
		t.Fatalf("customer's flow did not go on cleanly: %v / %v", o.err, o.after)
	}
	st := h.waitState(1, StateLoggedOut, 5*time.Second)
	if st.Answered != 1 || st.CallID != "" {
		t.Fatalf("agent %+v", st)
	}
	<-c.Done()
	deadline := time.Now().Add(5 * time.Second)
	for {
		bs, err := h.m.Client().Bridges(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) == 0 && h.m.Router().Routes() == routes0 && h.m.Live() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left behind: %d bridges, %d routes (was %d), %d live calls", len(bs), h.m.Router().Routes(), routes0, h.m.Live())
		}
		time.Sleep(50 * time.Millisecond)
	}
	calls, _, evs := h.journal()
	if len(calls) != 1 || calls[0].Outcome != "answered" || calls[0].EndedAt.IsZero() {
		t.Fatalf("agent call records %+v", calls)
	}
	if last := evs[len(evs)-1]; last.To != StateLoggedOut {
		t.Fatalf("last agent event %+v", last)
	}
	if err := h.a.Logout(context.Background(), 1, 1); !errors.Is(err, ErrState) {
		t.Fatalf("logout after disconnect: %v", err)
	}
}

// TestConcurrentCallersFIFO: 2 agents, 10 callers at once: no agent is
// ever offered two calls, every caller is served, in arrival order.
func TestConcurrentCallersFIFO(t *testing.T) {
	for _, persistent := range []bool{true, false} {
		name := "per-call"
		if persistent {
			name = "persistent"
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.hangupAfterBridged(400 * time.Millisecond)
			h.agent(1, "1000001", persistent, 0)
			h.agent(2, "1000002", persistent, 0)
			h.login(1, 2)
			h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 2}, Strategy: acdconfig.StrategyRoundRobin})
			var mu sync.Mutex
			var chans []<-chan outcome
			joined := map[string]int{}
			// Join in a known order: each caller enters the queue before
			// the next is placed.
			for i := range 10 {
				c, ch := h.customer("answer-silent", "sales", 0)
				chans = append(chans, ch)
				mu.Lock()
				joined[c.ID] = i
				mu.Unlock()
				deadline := time.Now().Add(5 * time.Second)
				for h.a.Queues(1)[0].Joined < i+1 {
					if time.Now().After(deadline) {
						t.Fatalf("caller %d never joined", i)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			for _, ch := range chans {
				expectStatus(t, wait(t, ch, 60*time.Second), QueueAnswer, 0)
			}
			h.waitAll(t, StateAvailable, 1, 2)
			calls, _, _ := h.journal()
			if len(calls) != 10 {
				t.Fatalf("%d agent calls, want 10", len(calls))
			}
			per := map[int64][]AgentCall{}
			for _, c := range calls {
				per[c.AgentID] = append(per[c.AgentID], c)
			}
			for id, cs := range per {
				sort.Slice(cs, func(i, j int) bool { return cs[i].OfferedAt.Before(cs[j].OfferedAt) })
				for i := 1; i < len(cs); i++ {
					if cs[i].OfferedAt.Before(cs[i-1].WrapUpEnd) {
						t.Fatalf("agent %d double-booked: %+v overlaps %+v", id, cs[i], cs[i-1])
					}
				}
			}
			sort.Slice(calls, func(i, j int) bool { return calls[i].OfferedAt.Before(calls[j].OfferedAt) })
			for i, c := range calls {
				if joined[c.CallID] != i {
					t.Fatalf("served out of order: caller %d was offered %d-th", joined[c.CallID], i)
				}
			}
			if st1, st2 := h.state(1), h.state(2); st1.Answered+st2.Answered != 10 || st1.Answered == 0 || st2.Answered == 0 {
				t.Fatalf("answered: %d + %d", st1.Answered, st2.Answered)
			}
		})
	}
}

// TestMissedRingAutoPauses: an agent set to pause on a missed ring is
// paused with reason missed_ring after a call rang out on them (the
// supervisor sees the reason); the caller is served by the next agent; an
// agent without the setting stays available.
func TestMissedRingAutoPauses(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(300 * time.Millisecond)
	if err := h.a.PutAgent(acdconfig.Agent{ID: 1, AccountID: 1, Name: "agent-01", LoginType: acdconfig.LoginMobile,
		Number: "3000001", AutoPauseMissed: true}); err != nil { // never answers
		t.Fatal(err)
	}
	h.agent(2, "1000002", false, 0)
	h.login(1, 2)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 2}, RingTimeout: 2 * time.Second})
	if got := h.serve(t, "sales"); got != 2 {
		t.Fatalf("served by %d, want 2 after agent 1 rang out", got)
	}
	st := h.waitState(1, StatePaused, 5*time.Second)
	if st.Reason != acdconfig.MissedRingReason || st.Missed != 1 {
		t.Fatalf("agent 1 after the missed ring: %+v", st)
	}
	// A paused agent is not rung again; unpausing makes it available.
	if err := h.a.Unpause(context.Background(), 1, 1); err != nil {
		t.Fatal(err)
	}
	if st := h.waitState(1, StateAvailable, 5*time.Second); st.Reason != "" {
		t.Fatalf("agent 1 after unpause: %+v", st)
	}
}
