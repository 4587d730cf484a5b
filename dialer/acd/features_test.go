package acd

import (
	"context"
	"strings"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// TestRecordings: queue and agent recordings with the
// record_queue_/record_agent_ names, in gsm, and their URIs in
// $call.queue.recordingUri / $call.agent.recordingUri.
func TestRecordings(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(1500 * time.Millisecond)
	if err := h.a.PutAgent(acdconfig.Agent{ID: 1, AccountID: 1, Name: "rec", LoginType: acdconfig.LoginMobile, Number: "1000001", Record: true}); err != nil {
		t.Fatal(err)
	}
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}, Record: true})
	_, ch := h.customer("answer-silent", "sales", 0)
	o := wait(t, ch, 20*time.Second)
	expectStatus(t, o, QueueAnswer, 0)
	qu, au := o.res.CallVars["queue.recordingUri"], o.res.CallVars["agent.recordingUri"]
	if !strings.HasPrefix(qu, "recording:record_queue_1_7_+4930555000_+4940111222_10_") ||
		!strings.HasPrefix(au, "recording:record_agent_1_1_+4930555000_+4940111222_q1_") {
		t.Fatalf("recording URIs %q %q", qu, au)
	}
	calls, qcs, _ := h.journal()
	if len(calls) != 1 || "recording:"+calls[0].Recording != au || len(qcs) != 1 || "recording:"+qcs[0].Recording != qu {
		t.Fatalf("records %+v %+v", calls, qcs)
	}
	client := h.m.Client()
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range []string{strings.TrimPrefix(qu, "recording:"), strings.TrimPrefix(au, "recording:")} {
		for {
			recs, err := client.StoredRecordings(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			found := ""
			for _, r := range recs {
				if r.Name == name {
					found = r.Format
				}
			}
			if found == "gsm" {
				_ = client.DeleteStoredRecording(context.Background(), name)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("recording %s not stored as gsm (format %q)", name, found)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// TestAnnouncements: a waiting caller hears its position and the periodic
// announcement every AnnounceEvery, music on hold around it.
func TestAnnouncements(t *testing.T) {
	h := newHarness(t, nil)
	h.agent(1, "1000001", false, 0)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}, JoinWhenEmpty: true, AnnounceEvery: 5 * time.Second,
		AnnouncePosition: true, Announce: "sound:queue-periodic-announce"})
	start := time.Now()
	c, ch := h.customer("answer-silent", "sales", 8*time.Second)
	o := wait(t, ch, 20*time.Second)
	expectStatus(t, o, QueueTimeout, 1)
	if el := time.Since(start); el < 8*time.Second || el > 10*time.Second {
		t.Fatalf("timed out after %v", el)
	}
	// One announcement at 5 s (the 8 s timeout comes before the next),
	// then the harness's own beep after the queue.
	plays := h.requests("POST /channels/" + c.ID + "/play")
	if len(plays) != 2 {
		t.Fatalf("plays %v", plays)
	}
	if moh := h.requests("/moh"); len(moh) < 2 { // start, stop for the announcement
		t.Fatalf("music on hold requests %v", moh)
	}

	// An agent who frees up during an announcement gets the caller at
	// once: the announcement is cut.
	h.hangupAfterBridged(300 * time.Millisecond)
	_, ch = h.customer("answer-silent", "sales", 30*time.Second)
	time.Sleep(5500 * time.Millisecond) // the announcement (about 6 s) is playing
	h.login(1)
	o = wait(t, ch, 20*time.Second)
	expectStatus(t, o, QueueAnswer, 0)
	if w := o.res.Outputs["wait_secs"].(float64); w > 8 {
		t.Fatalf("waited %.1fs: the announcement was not cut", w)
	}
	// One stop per caller: the first one's timeout (8 s) also cut its
	// announcement short.
	if stops := h.requests("DELETE /playbacks/"); len(stops) != 2 {
		t.Fatalf("playback stops %v", stops)
	}
}

// TestRegistration: SIP agents show their endpoint's registration (read
// at Start, then from EndpointStateChange); an unregistered SIP agent is
// logged in but not free.
func TestRegistration(t *testing.T) {
	h := newHarness(t, nil)
	if err := h.a.PutAgent(acdconfig.Agent{ID: 1, AccountID: 1, Name: "sip", LoginType: acdconfig.LoginSoftphone, Extension: "agent1"}); err != nil {
		t.Fatal(err)
	}
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	h.login(1)
	st := h.state(1)
	if st.Registered == nil || *st.Registered {
		t.Fatalf("agent1 is not registered on the test Asterisk: %+v", st.Registered)
	}
	if s, err := h.a.Staffing(1, "sales"); err != nil {
		t.Fatalf("h.a.Staffing(1, 'sales'): %v", err)
	} else if s.LoggedIn != 1 || s.Free != 0 {
		t.Fatalf("staffing with an unregistered phone %+v", s)
	}
	ch, cancel := h.a.Subscribe(1)
	defer cancel()
	// The event as the websocket delivers it (the decoder never skips
	// endpoint events: ari.TestEndpointStateChangeReachesListeners).
	h.m.Router().Dispatch(&ariv6.EndpointStateChange{
		EventData: ariv6.EventData{Type: "EndpointStateChange"},
		Endpoint:  ariv6.EndpointData{Technology: "PJSIP", Resource: "agent1", State: "online"},
	})
	if st := h.state(1); st.Registered == nil || !*st.Registered {
		t.Fatalf("after online event: %+v", st.Registered)
	}
	if s, err := h.a.Staffing(1, "sales"); err != nil {
		t.Fatalf("h.a.Staffing(1, 'sales'): %v", err)
	} else if s.Free != 1 {
		t.Fatalf("staffing after registration %+v", s)
	}
	deadline := time.After(3 * time.Second)
	for done := false; !done; {
		select {
		case u := <-ch:
			done = u.Kind == "agent" && u.Agent.Registered != nil && *u.Agent.Registered
		case <-deadline:
			t.Fatal("no update with the registration")
		}
	}
	if err := h.a.Resubscribe(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Re-reading the endpoints after a reconnect restores the truth.
	if st := h.state(1); st.Registered == nil || *st.Registered {
		t.Fatalf("after resubscribe: %+v", st.Registered)
	}
}

// TestLogoutDuringCall: a logout during a call takes effect when it ends
// (no wrap-up offered to a leaving agent).
func TestLogoutDuringCall(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(1500 * time.Millisecond)
	h.agent(1, "1000001", false, time.Minute)
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	_, ch := h.customer("answer-silent", "sales", 0)
	h.waitState(1, StateOnCall, 10*time.Second)
	if err := h.a.Logout(context.Background(), 1, 1); err != nil {
		t.Fatal(err)
	}
	if st := h.state(1); st.State != StateOnCall {
		t.Fatalf("logout cut the call: %+v", st)
	}
	expectStatus(t, wait(t, ch, 15*time.Second), QueueAnswer, 0)
	h.waitState(1, StateLoggedOut, 5*time.Second)
}

// TestBusyAgentRetry: an agent whose line is busy is rung again only every
// retryDelay for the same caller, not in a loop.
func TestBusyAgentRetry(t *testing.T) {
	h := newHarness(t, nil)
	h.agent(1, "4000001", false, 0) // busy at once
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	_, ch := h.customer("answer-silent", "sales", 5*time.Second)
	expectStatus(t, wait(t, ch, 15*time.Second), QueueTimeout, 1)
	st := h.waitState(1, StateAvailable, 5*time.Second)
	if st.Offered < 2 || st.Offered > 3 || st.Missed != st.Offered {
		t.Fatalf("busy agent offered %d times, missed %d (want 2-3 in 5 s)", st.Offered, st.Missed)
	}
}

// TestDrain: at shutdown idle persistent lines hang up at once, a busy
// one when its call ends; waiting callers leave; no new login.
func TestDrain(t *testing.T) {
	h := newHarness(t, nil)
	h.hangupAfterBridged(8 * time.Second)
	h.agent(1, "1000001", true, 0)
	h.agent(2, "1000002", true, 0)
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1, 2}, JoinWhenEmpty: true})
	_, busy := h.customer("answer-silent", "sales", 0)
	h.waitState(1, StateOnCall, 10*time.Second)
	_, waiting := h.customer("answer-silent", "sales", 0)
	deadline := time.Now().Add(5 * time.Second)
	for h.a.Queues(1)[0].Waiting != 1 {
		if time.Now().After(deadline) {
			t.Fatal("second caller never waited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.login(2)
	// Agent 2 takes the waiting caller; a third one waits.
	h.waitState(2, StateOnCall, 10*time.Second)
	_ = waiting
	_, third := h.customer("answer-silent", "sales", 0)
	deadline = time.Now().Add(5 * time.Second)
	for h.a.Queues(1)[0].Waiting != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("third caller never waited: %+v %+v %+v", h.a.Queues(1), h.state(1), h.state(2))
		}
		time.Sleep(10 * time.Millisecond)
	}
	h.a.Drain()
	expectStatus(t, wait(t, third, 5*time.Second), QueueTimeout, 1)
	if err := h.a.Login(context.Background(), 1, 1); err == nil {
		t.Fatal("login while draining")
	}
	if st := h.state(1); st.State != StateOnCall {
		t.Fatalf("busy agent cut: %+v", st)
	}
	expectStatus(t, wait(t, busy, 15*time.Second), QueueAnswer, 0)
	h.waitState(1, StateLoggedOut, 5*time.Second)
	h.waitState(2, StateLoggedOut, 10*time.Second)
}
