package acd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// TestTransferToAgentMissedFallsBack: an agent transfers the caller to an
// agent who serves no queue and whose phone rings unanswered; the caller
// is then offered to the queue's members as usual (the transferring agent
// is in wrap-up, so the other member answers). The missed ring is the
// target's, the answer the member's; transfers to oneself and to a busy
// agent are refused.
func TestTransferToAgentMissedFallsBack(t *testing.T) {
	h := newHarness(t, nil)
	h.agent(1, "1000001", false, time.Minute) // answers at once
	h.agent(2, "3000002", false, 0)           // rings, never answers
	h.agent(3, "1000003", false, 0)           // answers at once
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 3}, RingTimeout: 2 * time.Second})
	h.login(1)
	c, ch := h.customer("answer-silent", "sales", 60*time.Second)
	h.waitState(1, StateOnCall, 15*time.Second)
	h.login(2, 3)
	ctx := context.Background()
	if err := h.a.TransferToAgent(ctx, 1, 1, 1); !errors.Is(err, ErrState) {
		t.Fatalf("transfer to oneself: %v", err)
	}
	if err := h.a.Pause(ctx, 1, 3, "lunch"); err != nil {
		t.Fatal(err)
	}
	if err := h.a.TransferToAgent(ctx, 1, 1, 3); !errors.Is(err, ErrState) {
		t.Fatalf("transfer to a paused agent: %v", err)
	}
	if err := h.a.Unpause(ctx, 1, 3); err != nil {
		t.Fatal(err)
	}
	if err := h.a.TransferToAgent(ctx, 1, 1, 2); err != nil {
		t.Fatalf("transfer to agent 2: %v", err)
	}
	h.waitState(1, StateWrapUp, 10*time.Second)
	h.waitState(2, StateRinging, 10*time.Second)
	st := h.waitState(3, StateOnCall, 20*time.Second)
	if st.CallID != c.ID {
		t.Fatalf("agent 3 has call %q, want the transferred caller %q", st.CallID, c.ID)
	}
	if s2 := h.state(2); s2.Missed != 1 || s2.Offered != 1 {
		t.Errorf("agent 2 after the missed transfer: %+v", s2)
	}
	if err := h.m.Client().Hangup(ctx, c.ID, ""); err != nil {
		t.Fatal(err)
	}
	o := wait(t, ch, 15*time.Second)
	if o.res.Status != QueueAnswer {
		t.Errorf("caller's outcome %s", o.res.Status)
	}
	if err := h.a.Disposition(ctx, 1, 1, "transferred"); err != nil {
		t.Fatal(err)
	}
	calls, _, _ := h.journal()
	got := map[int64]string{}
	for _, c := range calls {
		got[c.AgentID] += c.Outcome + " "
	}
	if got[1] != "answered " || got[2] != "missed " || got[3] != "answered " {
		t.Errorf("journaled agent calls: %v", got)
	}
}
