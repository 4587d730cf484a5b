package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdhooks"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestAgentsAndQueuesEndToEnd drives the ACD through the whole daemon on
// the real Asterisk with real SIP phones (baresip): agents, queues, CRM
// and popup hooks and the inbound flow are configured over the HTTP API
// only; customers are Local channels entering from-trunk with a DID.
//
//   - answered: the queue rings the agent's provisioned PJSIP endpoint,
//     the phone answers and is bridged with the caller; the attempt ends
//     QUEUE_ANSWER; the supervisor stream and counters, the CRM events and
//     the agent popup events (Dial, Answered, Terminal) follow; a
//     disposition ends the wrap-up.
//   - paused / logged out: the phone is not rung; QUEUE_TIMEOUT and
//     QUEUE_EMPTY, and the flow takes line 1.
//   - agent hangs up mid-call: the caller leaves the queue answered, its
//     flow goes on (line 0) and ends; the agent is free again.
//   - ring-all over two phones: one answers, both are free afterwards.
func TestAgentsAndQueuesEndToEnd(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.ManageEndpoints = true
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")
	e := &e2e{t: t, a: a, key: key, acct: acc.ID, chans: watchChannels(a)}
	run := uuid.NewString()[:8]

	// Webhooks to local servers: the operator grants http and loopback.
	if _, err := st.GrantHTTPPolicy(ctx, acc.ID, true, []string{"127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	crm, popup := newHookServer(t), newHookServer(t)
	e.mustOK(http.MethodPut, "/api/v1/webhooks/crm", map[string]any{
		"method": "POST", "url": crm.URL + "/crm/$event.type", "body_type": "json",
		"body": map[string]string{
			"type": "$event.type", "call": "$event.call_id", "agent": "$event.agent_id", "agent_number": "$event.agent_number",
			"customer": "$event.customer", "to": "$event.call_to", "queue": "$event.queue", "direction": "$event.direction",
			"status": "$event.status", "flow": "$event.flow_id",
		},
	})
	e.mustOK(http.MethodPut, "/api/v1/webhooks/popup", map[string]any{"method": "GET", "url": popup.URL + "/popup"})

	// Agent 1: a softphone; Switchyard provisions its PJSIP endpoint and
	// hands out the password once.
	ag1 := e.createAgent("Alice", "sy-e2e-"+run+"-1", 30)
	phone1 := sipagent.Start(t, sipagent.Options{User: ag1.Extension, Password: ag1.SIPPassword})
	e.waitRegistered(ag1.ID)

	// Queue, CRM and popup hooks, the inbound flow on a DID.
	queue := map[string]any{"name": "support", "strategy": "longest-idle", "members": []int64{ag1.ID},
		"ring_timeout_secs": 15, "timeout_secs": 120, "join_when_empty": false}
	code, body := e.call(http.MethodPost, "/api/v1/queues", queue)
	var q struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &q); code != http.StatusCreated || err != nil || q.ID == 0 {
		t.Fatalf("create queue: %d %s", code, body)
	}
	queuePath := "/api/v1/queues/" + strconv.FormatInt(q.ID, 10)
	if code, body := e.call(http.MethodPost, "/api/v1/hooks", map[string]any{"kind": "crm", "webhook": "crm",
		"events": []string{"agent_allocated", "agent_connected"}, "all_flows": true}); code != http.StatusCreated {
		t.Fatalf("crm hook: %d %s", code, body)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "agents_inbound_queue.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, body = e.call(http.MethodPost, "/api/v1/flows", doc)
	var flow struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &flow); code != http.StatusCreated || err != nil || flow.ID == 0 {
		t.Fatalf("create flow: %d %s", code, body)
	}
	e.mustOK(http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil)
	// The popup hook is for this flow only (the CRM one for all flows).
	if code, body := e.call(http.MethodPost, "/api/v1/hooks", map[string]any{"kind": "popup", "webhook": "popup",
		"flow_ids": []int64{flow.ID}}); code != http.StatusCreated {
		t.Fatalf("popup hook: %d %s", code, body)
	}
	e.did = "+4930555" + fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	e.mustOK(http.MethodPut, "/api/v1/dids/"+url.PathEscape(e.did), map[string]any{"flow_id": flow.ID})

	sse := e.watchSupervisor()
	if st := e.action(ag1.ID, "login", nil); st.State != acd.StateAvailable {
		t.Fatalf("after login: %+v", st)
	}
	sse.waitState(t, ag1.ID, acd.StateAvailable)

	ok := t.Run("answered", func(t *testing.T) {
		e.t = t
		mark := sse.mark(ag1.ID)
		customer := e.customer(1)
		start := time.Now()
		e.placeCall(customer, "answer-hangup-8") // hangs up 8 s after the daemon answered
		// The agent rings, answers (bridged with the caller), the caller
		// hangs up: wrap-up (30 s), ended early by a disposition.
		sse.waitStates(t, ag1.ID, mark, 20*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateWrapUp)
		at := e.waitAttempt(customer)
		if at.Status != acd.QueueAnswer || at.Direction != store.DirectionInbound || at.DNIS != e.did || at.AnsweredAt == nil {
			t.Fatalf("attempt: status %s direction %s dnis %q answered %v", at.Status, at.Direction, at.DNIS, at.AnsweredAt)
		}
		ringing, onCall := sse.since(ag1.ID, mark, acd.StateRinging), sse.since(ag1.ID, mark, acd.StateOnCall)
		t.Logf("answered call: daemon answered → phone ringing %v, ringing → phone answered %v; %v from dialing to the end of the attempt",
			ringing.Sub(*at.AnsweredAt).Round(time.Millisecond), onCall.Sub(ringing).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
		if !e.chans.bridgedWith(at.ChannelID, ag1.Extension) {
			t.Errorf("the caller %s was never bridged with PJSIP/%s: %v", at.ChannelID, ag1.Extension, e.chans.snapshot())
		}
		if out := phone1.Output(); !strings.Contains(out, "Call established") {
			t.Errorf("baresip did not establish the call:\n%s", out)
		}
		e.action(ag1.ID, "disposition", map[string]string{"code": "sale"})
		sse.waitStates(t, ag1.ID, mark, 10*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateWrapUp, acd.StateAvailable)

		row := e.supervisorAgent(ag1.ID)
		if row.Offered != 1 || row.Answered != 1 || row.Missed != 0 || row.Abandoned != 0 || row.State != acd.StateAvailable ||
			row.Registered == nil || !*row.Registered || row.AvgCall < 5 {
			t.Errorf("supervisor row: %+v", row)
		}
		// The after-the-fact journal: the queue call and the agent call.
		qc := e.waitQueueCall(at.ChannelID)
		if qc.Outcome != acd.QueueAnswer || qc.AgentID != ag1.ID || qc.Caller != customer || qc.FlowID != flow.ID || qc.Position != 1 {
			t.Errorf("queue call: %+v", qc)
		}
		ac := e.waitAgentCall(at.ChannelID, func(c store.AgentCall) bool { return c.WrapUpEnd != nil })
		if ac.Outcome != "answered" || ac.Disposition != "sale" || ac.AgentID != ag1.ID || ac.Customer != customer || ac.AnsweredAt == nil {
			t.Errorf("agent call: %+v", ac)
		}

		// CRM: agent_allocated then agent_connected, with the agent and
		// the customer.
		crmReqs := crm.waitFor(t, 10*time.Second, 2, func(r hookReq) bool { return r.Body["call"] == at.ChannelID })
		for i, kind := range []string{"agent_allocated", "agent_connected"} {
			r := crmReqs[i]
			want := map[string]string{"type": kind, "call": at.ChannelID, "agent": strconv.FormatInt(ag1.ID, 10),
				"agent_number": ag1.Extension, "customer": customer, "to": e.did, "queue": "support", "direction": "incoming",
				"status": "busy", "flow": strconv.FormatInt(flow.ID, 10)}
			if r.Path != "/crm/"+kind || r.Method != http.MethodPost || !mapsEqual(r.Body, want) {
				t.Errorf("CRM request %d: %s %s %v; want %v", i, r.Method, r.Path, r.Body, want)
			}
		}
		// Agent popup: Dial, Answered, Terminal, in order.
		popReqs := popup.waitFor(t, 10*time.Second, 3, func(r hookReq) bool { return r.Query.Get("CallSid") == at.ChannelID })
		for i, want := range [][2]string{{"Dial", "busy"}, {"Answered", "busy"}, {"Terminal", "free"}} {
			p := popReqs[i].Query
			if p.Get("EventType") != want[0] || p.Get("Status") != want[1] || p.Get("From") != ag1.Extension ||
				p.Get("DialWhomNumber") != customer || p.Get("CallFrom") != customer || p.Get("CallTo") != e.did ||
				p.Get("To") != e.did || p.Get("Direction") != "incoming" {
				t.Errorf("popup %d: %v; want EventType %s Status %s", i, p, want[0], want[1])
			}
			if _, err := time.ParseInLocation(acdhooks.CreatedFormat, p.Get("Created"), time.Local); err != nil {
				t.Errorf("popup %d Created %q: %v", i, p.Get("Created"), err)
			}
			if ct, err := time.ParseInLocation(acdhooks.CurrentTimeFormat, p.Get("CurrentTime"), time.Local); err != nil ||
				ct.Before(start.Add(-time.Second).Truncate(time.Second)) || ct.After(time.Now()) {
				t.Errorf("popup %d CurrentTime %q: %v", i, p.Get("CurrentTime"), err)
			}
		}
	})
	if !ok {
		return
	}

	ok = t.Run("paused and logged out", func(t *testing.T) {
		e.t = t
		// Paused: the agent counts as logged in, so the caller waits, but
		// is never offered; the queue's 4 s timeout (shorter than the
		// widget's) sends the flow to line 1.
		queue["timeout_secs"] = 4
		e.mustOK(http.MethodPut, queuePath, queue)
		if st := e.action(ag1.ID, "pause", map[string]string{"reason": "lunch"}); st.State != acd.StatePaused || st.Reason != "lunch" {
			t.Fatalf("after pause: %+v", st)
		}
		sse.waitState(t, ag1.ID, acd.StatePaused)
		mark := sse.mark(ag1.ID)
		rung := e.chans.agentLegs(ag1.Extension)
		customer := e.customer(2)
		e.placeCall(customer, "answer-silent")
		at := e.waitAttempt(customer)
		e.expectQueueOutcome(at, acd.QueueTimeout, "sorry")
		if w := at.EndedAt.Sub(*at.AnsweredAt); w < 4*time.Second || w > 15*time.Second {
			t.Errorf("paused queue: the call lasted %v; want the 4 s queue timeout", w)
		}

		// Logged out (the only member): join_when_empty is off, so
		// QUEUE_EMPTY at once.
		e.action(ag1.ID, "logout", nil)
		customer = e.customer(3)
		e.placeCall(customer, "answer-silent")
		at = e.waitAttempt(customer)
		e.expectQueueOutcome(at, acd.QueueEmpty, "sorry")

		if n := e.chans.agentLegs(ag1.Extension); n != rung {
			t.Errorf("the phone was rung while paused or logged out (%d → %d legs)", rung, n)
		}
		sse.waitStates(t, ag1.ID, mark, 5*time.Second, acd.StateLoggedOut)
		if row := e.supervisorAgent(ag1.ID); row.Offered != 1 {
			t.Errorf("calls offered while paused / logged out: %+v", row)
		}
		// Back to work: login (paused → logged out → available: unpause
		// needs a paused agent, checked on the way).
		if code, body := e.call(http.MethodPost, fmt.Sprintf("/api/v1/agents/%d/unpause", ag1.ID), nil); code != http.StatusConflict {
			t.Errorf("unpause a logged-out agent: %d %s; want 409", code, body)
		}
		e.action(ag1.ID, "login", nil)
		e.action(ag1.ID, "pause", map[string]string{"reason": "coffee"})
		if st := e.action(ag1.ID, "unpause", nil); st.State != acd.StateAvailable {
			t.Errorf("after unpause: %+v", st)
		}
		queue["timeout_secs"] = 120
		e.mustOK(http.MethodPut, queuePath, queue)
		sse.waitStates(t, ag1.ID, mark, 5*time.Second, acd.StateLoggedOut, acd.StateAvailable, acd.StatePaused, acd.StateAvailable)
	})
	if !ok {
		return
	}

	ok = t.Run("agent hangs up mid-call", func(t *testing.T) {
		e.t = t
		mark := sse.mark(ag1.ID)
		customer := e.customer(4)
		e.placeCall(customer, "answer-silent") // stays 60 s: only the agent ends the conversation
		sse.waitStates(t, ag1.ID, mark, 20*time.Second, acd.StateRinging, acd.StateOnCall)
		var callID string
		testkit.Eventually(t, 10*time.Second, func() bool {
			callID = e.chans.customerOf(ag1.Extension, customer)
			return callID != ""
		}, "caller bridged with the phone")
		// A disposition during the call skips the wrap-up.
		e.action(ag1.ID, "disposition", map[string]string{"code": "callback"})
		if err := phone1.Hangup(); err != nil {
			t.Fatal(err)
		}
		at := e.waitAttempt(customer)
		if at.ChannelID != callID {
			t.Errorf("attempt channel %s, bridged caller %s", at.ChannelID, callID)
		}
		// The flow went on at line 0 (played to the caller) and hung up.
		j := e.journey(at.ID)
		if steps := stepNodes(j); !slices.Equal(steps, []string{"queue", "after", "end"}) || j.Outcome != "hangup_widget" {
			t.Errorf("journey: steps %v outcome %s", steps, j.Outcome)
		}
		for _, s := range j.Steps { // a hangup widget ending the flow is no error either
			if s.Error != "" {
				t.Errorf("step %s failed: %s", s.Node, s.Error)
			}
		}
		if q := j.Steps[0].Outputs; q["status"] != acd.QueueAnswer || fmt.Sprint(q["agent_id"]) != strconv.FormatInt(ag1.ID, 10) ||
			j.Syskeys["agentID"] != strconv.FormatInt(ag1.ID, 10) {
			t.Errorf("queue step outputs: %v, syskeys %v", q, j.Syskeys)
		}
		// The flow hung the caller up; the queue's outcome stays the
		// attempt's status after the flow went on.
		if at.RemoteHangup || at.AnsweredAt == nil || at.Status != acd.QueueAnswer {
			t.Errorf("attempt: remote hangup %v answered %v status %s", at.RemoteHangup, at.AnsweredAt, at.Status)
		}
		if qc := e.waitQueueCall(at.ChannelID); qc.Outcome != acd.QueueAnswer || qc.AgentID != ag1.ID {
			t.Errorf("queue call: %+v", qc)
		}
		sse.waitStates(t, ag1.ID, mark, 10*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateAvailable)
		row := e.supervisorAgent(ag1.ID)
		if row.State != acd.StateAvailable || row.Offered != 2 || row.Answered != 2 || row.CallID != "" {
			t.Errorf("supervisor row after the agent hung up: %+v", row)
		}
		ac := e.waitAgentCall(at.ChannelID, func(c store.AgentCall) bool { return c.WrapUpEnd != nil })
		if ac.Outcome != "answered" || ac.Disposition != "callback" {
			t.Errorf("agent call: %+v", ac)
		}
		if qs := e.supervisorQueue(q.ID); qs.Waiting != 0 || qs.Free != 1 || qs.LoggedIn != 1 || qs.Answered != 2 || qs.TimedOut != 1 {
			t.Errorf("supervisor queue: %+v", qs)
		}
	})
	if !ok {
		return
	}

	t.Run("ring-all over two phones", func(t *testing.T) {
		e.t = t
		ag2 := e.createAgent("Bob", "sy-e2e-"+run+"-2", 0)
		sipagent.Start(t, sipagent.Options{User: ag2.Extension, Password: ag2.SIPPassword})
		e.waitRegistered(ag2.ID)
		e.action(ag2.ID, "login", nil)
		sse.waitState(t, ag2.ID, acd.StateAvailable)
		sse.waitState(t, ag1.ID, acd.StateAvailable)
		queue["strategy"], queue["members"] = "ring-all", []int64{ag1.ID, ag2.ID}
		e.mustOK(http.MethodPut, queuePath, queue)
		m1, m2 := sse.mark(ag1.ID), sse.mark(ag2.ID)
		legs := e.chans.agentLegs(ag1.Extension) + e.chans.agentLegs(ag2.Extension)
		customer := e.customer(5)
		e.placeCall(customer, "answer-hangup-5")
		at := e.waitAttempt(customer)
		if at.Status != acd.QueueAnswer {
			t.Errorf("attempt status %s", at.Status)
		}
		if n := e.chans.agentLegs(ag1.Extension) + e.chans.agentLegs(ag2.Extension); n != legs+2 {
			t.Errorf("ring-all rang %d phones; want 2", n-legs)
		}
		one, two := e.chans.bridgedWith(at.ChannelID, ag1.Extension), e.chans.bridgedWith(at.ChannelID, ag2.Extension)
		if one == two {
			t.Fatalf("bridged with Alice %v, Bob %v; want exactly one", one, two)
		}
		winner, wm := ag1.ID, m1
		if two {
			winner, wm = ag2.ID, m2
		}
		t.Logf("ring-all: agent %d answered first", winner)
		// The winner wraps up (Alice: 30 s, ended by a disposition; Bob
		// has none); the other phone rang and is free again.
		loser, lm := ag2.ID, m2
		if winner == ag1.ID {
			sse.waitStates(t, ag1.ID, wm, 20*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateWrapUp)
			e.action(ag1.ID, "disposition", map[string]string{"code": "done"})
			sse.waitStates(t, ag1.ID, wm, 10*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateWrapUp, acd.StateAvailable)
		} else {
			loser, lm = ag1.ID, m1
			sse.waitStates(t, ag2.ID, wm, 20*time.Second, acd.StateRinging, acd.StateOnCall, acd.StateAvailable)
		}
		sse.waitStates(t, loser, lm, 10*time.Second, acd.StateRinging, acd.StateAvailable)
		r1, r2 := e.supervisorAgent(ag1.ID), e.supervisorAgent(ag2.ID)
		if r1.Offered != 3 || r2.Offered != 1 || r1.Answered+r2.Answered != 3 || r1.Missed+r2.Missed != 0 {
			t.Errorf("after ring-all: Alice %+v, Bob %+v", r1, r2)
		}
		e.action(ag2.ID, "logout", nil)
	})
}

// e2e is the test's view of the daemon: API calls as the account.
type e2e struct {
	t     *testing.T
	a     *app.App
	key   string
	acct  int64
	did   string
	chans *channelLog
}

func (e *e2e) call(method, path string, body any) (int, []byte) {
	e.t.Helper()
	return apiCall(e.t, e.a, e.key, method, path, body)
}

func (e *e2e) mustOK(method, path string, body any) []byte {
	e.t.Helper()
	code, b := e.call(method, path, body)
	if code/100 != 2 {
		e.t.Fatalf("%s %s: %d %s", method, path, code, b)
	}
	return b
}

type agentCreated struct {
	ID          int64  `json:"id"`
	Extension   string `json:"extension"`
	SIPPassword string `json:"sip_password"`
}

// createAgent creates a softphone agent; its endpoint is removed (through
// the API) after the phone stopped.
func (e *e2e) createAgent(name, ext string, wrapUp int) agentCreated {
	e.t.Helper()
	code, body := e.call(http.MethodPost, "/api/v1/agents", map[string]any{
		"name": name, "login_type": "softphone", "extension": ext, "wrap_up_secs": wrapUp})
	var ag agentCreated
	if err := json.Unmarshal(body, &ag); code != http.StatusCreated || err != nil || ag.ID == 0 || ag.SIPPassword == "" || ag.Extension != ext {
		e.t.Fatalf("create agent %s: %d %s", ext, code, body)
	}
	t := e.t
	t.Cleanup(func() {
		if code, body := apiCall(t, e.a, e.key, http.MethodDelete, fmt.Sprintf("/api/v1/agents/%d", ag.ID), nil); code != http.StatusNoContent {
			t.Errorf("delete agent %s: %d %s", ext, code, body)
		}
	})
	return ag
}

func (e *e2e) supervisorAgents() []acd.AgentStatus {
	e.t.Helper()
	code, body := e.call(http.MethodGet, "/api/v1/supervisor/agents", nil)
	var out struct {
		Agents []acd.AgentStatus `json:"agents"`
	}
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil {
		e.t.Fatalf("supervisor agents: %d %s", code, body)
	}
	return out.Agents
}

func (e *e2e) supervisorAgent(id int64) acd.AgentStatus {
	e.t.Helper()
	for _, s := range e.supervisorAgents() {
		if s.AgentID == id {
			return s
		}
	}
	e.t.Fatalf("agent %d is not on the supervisor list", id)
	return acd.AgentStatus{}
}

func (e *e2e) supervisorQueue(id int64) acd.QueueStatus {
	e.t.Helper()
	code, body := e.call(http.MethodGet, "/api/v1/supervisor/queues", nil)
	var out struct {
		Queues []acd.QueueStatus `json:"queues"`
	}
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil {
		e.t.Fatalf("supervisor queues: %d %s", code, body)
	}
	for _, q := range out.Queues {
		if q.QueueID == id {
			return q
		}
	}
	e.t.Fatalf("queue %d is not on the supervisor list: %s", id, body)
	return acd.QueueStatus{}
}

// waitRegistered waits until the supervisor shows the phone registered.
func (e *e2e) waitRegistered(id int64) {
	e.t.Helper()
	testkit.Eventually(e.t, 15*time.Second, func() bool {
		r := e.supervisorAgent(id).Registered
		return r != nil && *r
	}, "%s", fmt.Sprintf("agent %d registered on the supervisor list", id))
}

// action posts an agent action and returns the agent's status.
func (e *e2e) action(id int64, name string, body any) acd.AgentStatus {
	e.t.Helper()
	code, b := e.call(http.MethodPost, fmt.Sprintf("/api/v1/agents/%d/%s", id, name), body)
	var st acd.AgentStatus
	if err := json.Unmarshal(b, &st); code != http.StatusOK || err != nil {
		e.t.Fatalf("%s agent %d: %d %s", name, id, code, b)
	}
	return st
}

// customer is the caller number of the test's n-th call.
func (e *e2e) customer(n int) string {
	return fmt.Sprintf("+4930777%s%d", e.did[len(e.did)-4:], n)
}

// placeCall makes an inbound call to the DID from customer: the far half
// of a Local channel enters from-trunk (→ Stasis, the DID's flow), the
// near half behaves as the customers extension ext once answered.
func (e *e2e) placeCall(customer, ext string) {
	e.t.Helper()
	if _, err := e.a.Calls().Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/" + e.did + "@from-trunk", Context: "customers", Extension: ext, Priority: 1,
		CallerID: customer, Timeout: 30,
		Variables: map[string]string{"SWITCHYARD_APP": e.a.Config().ARIApp},
	}); err != nil {
		e.t.Fatal(err)
	}
}

// waitAttempt waits for the customer's inbound attempt to finish.
func (e *e2e) waitAttempt(customer string) store.Attempt {
	e.t.Helper()
	var at store.Attempt
	testkit.Eventually(e.t, 45*time.Second, func() bool {
		page, err := e.a.Store().ListAttempts(context.Background(), store.AttemptFilter{AccountID: e.acct, Limit: 100})
		if err != nil {
			return false
		}
		for _, x := range page.Attempts {
			if x.CLI == customer && x.Direction == store.DirectionInbound {
				at = x
				return x.State == store.StateFinished
			}
		}
		return false
	}, "%s", "attempt of "+customer+" finished")
	return at
}

func (e *e2e) journey(attemptID string) flows.Journey {
	e.t.Helper()
	code, body := e.call(http.MethodGet, "/api/v1/calls/"+attemptID+"/journey", nil)
	// {attempt_id, account_id, steps: <the journey>, updated_at}
	var out struct {
		Journey flows.Journey `json:"steps"`
	}
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil || len(out.Journey.Steps) == 0 {
		e.t.Fatalf("journey of %s: %d %s", attemptID, code, body)
	}
	return out.Journey
}

func stepNodes(j flows.Journey) []string {
	var out []string
	for _, s := range j.Steps {
		out = append(out, s.Node)
	}
	return out
}

// expectQueueOutcome checks a call the queue did not answer: the queue
// step's status, line 1 (the "sorry" node), and the journal row.
func (e *e2e) expectQueueOutcome(at store.Attempt, status, next string) {
	e.t.Helper()
	j := e.journey(at.ID)
	if steps := stepNodes(j); len(steps) != 3 || steps[0] != "queue" || steps[1] != next ||
		j.Steps[0].Outputs["status"] != status || j.Steps[0].Exit == nil || *j.Steps[0].Exit != 1 {
		e.t.Errorf("journey of a %s call: steps %v, queue step %+v", status, steps, j.Steps[0])
	}
	if qc := e.waitQueueCall(at.ChannelID); qc.Outcome != status || qc.AgentID != 0 {
		e.t.Errorf("queue call: %+v; want %s", qc, status)
	}
	if at.Status != status {
		e.t.Errorf("attempt status %s; want the queue's %s", at.Status, status)
	}
}

func (e *e2e) waitQueueCall(callID string) store.QueueCall {
	e.t.Helper()
	var out store.QueueCall
	testkit.Eventually(e.t, 10*time.Second, func() bool {
		rows, err := e.a.Store().ListQueueCalls(context.Background(), store.JournalFilter{AccountID: e.acct})
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r.CallID == callID && r.EndedAt != nil {
				out = r
				return true
			}
		}
		return false
	}, "%s", "queue call "+callID+" journaled")
	return out
}

func (e *e2e) waitAgentCall(callID string, ok func(store.AgentCall) bool) store.AgentCall {
	e.t.Helper()
	var out store.AgentCall
	testkit.Eventually(e.t, 10*time.Second, func() bool {
		rows, err := e.a.Store().ListAgentCalls(context.Background(), store.JournalFilter{AccountID: e.acct})
		if err != nil {
			return false
		}
		for _, r := range rows {
			if r.CallID == callID && ok(r) {
				out = r
				return true
			}
		}
		return false
	}, "%s", "agent call "+callID+" journaled")
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ---- webhook receivers ----

type hookReq struct {
	Method string
	Path   string
	Query  url.Values
	Body   map[string]string
}

// hookServer is a local CRM / popup endpoint recording every request.
type hookServer struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hookReq
}

func newHookServer(t *testing.T) *hookServer {
	h := &hookServer{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rq := hookReq{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query()}
		if len(b) > 0 {
			if err := json.Unmarshal(b, &rq.Body); err != nil {
				rq.Body = map[string]string{"raw": string(b)}
			}
		}
		h.mu.Lock()
		h.reqs = append(h.reqs, rq)
		h.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(h.Close)
	return h
}

// waitFor waits until n requests match and returns them in arrival
// order; more than n is an error.
func (h *hookServer) waitFor(t *testing.T, d time.Duration, n int, match func(hookReq) bool) []hookReq {
	t.Helper()
	var got []hookReq
	collect := func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		got = got[:0]
		for _, r := range h.reqs {
			if match(r) {
				got = append(got, r)
			}
		}
	}
	deadline := time.Now().Add(d)
	for collect(); len(got) < n; collect() {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d webhook requests after %v: %+v", len(got), n, d, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Nothing more trickles in.
	time.Sleep(300 * time.Millisecond)
	collect()
	if len(got) != n {
		t.Fatalf("%d webhook requests; want %d: %+v", len(got), n, got)
	}
	return slices.Clone(got)
}

// ---- channels seen by the daemon's ARI application ----

type bridgeEntry struct{ bridge, channel, name, caller string }

// channelLog records the channels entering bridges and the channels the
// application dialed.
type channelLog struct {
	mu      sync.Mutex
	entered []bridgeEntry
	// dialed are the channels the application dialed (Dial events).
	dialed, dialedNames []string
}

func watchChannels(a *app.App) *channelLog {
	l := &channelLog{}
	a.Calls().Router().Listen("ChannelEnteredBridge", func(ev ariv6.Event) {
		if e, ok := ev.(*ariv6.ChannelEnteredBridge); ok {
			l.mu.Lock()
			l.entered = append(l.entered, bridgeEntry{e.Bridge.ID, e.Channel.ID, e.Channel.Name, e.Channel.GetCaller().GetNumber()})
			l.mu.Unlock()
		}
	})
	// (Not StasisStart: a listener of it would take unsolicited
	// StasisStarts from the manager's inbound routing, see ari.Router.)
	a.Calls().Router().Listen("Dial", func(ev ariv6.Event) {
		if e, ok := ev.(*ariv6.Dial); ok {
			l.mu.Lock()
			if !slices.Contains(l.dialed, e.Peer.ID) {
				l.dialed = append(l.dialed, e.Peer.ID)
				l.dialedNames = append(l.dialedNames, e.Peer.Name)
			}
			l.mu.Unlock()
		}
	})
	return l
}

func isLeg(name, ext string) bool { return strings.HasPrefix(name, "PJSIP/"+ext+"-") }

// agentLegs counts the calls to the phone ext the application placed.
func (l *channelLog) agentLegs(ext string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, name := range l.dialedNames {
		if isLeg(name, ext) {
			n++
		}
	}
	return n
}

// bridgedWith reports whether the caller's channel shared a bridge with
// a leg to the phone ext.
func (l *channelLog) bridgedWith(callID, ext string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.entered {
		if c.channel != callID {
			continue
		}
		for _, g := range l.entered {
			if g.bridge == c.bridge && isLeg(g.name, ext) {
				return true
			}
		}
	}
	return false
}

// customerOf returns the channel of the caller (by number) bridged with
// the phone ext, or "".
func (l *channelLog) customerOf(ext, caller string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.entered {
		if !isLeg(g.name, ext) {
			continue
		}
		for _, c := range l.entered {
			if c.bridge == g.bridge && c.caller == caller && !isLeg(c.name, ext) {
				return c.channel
			}
		}
	}
	return ""
}

func (l *channelLog) snapshot() []bridgeEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entered)
}

// ---- supervisor stream ----

// sseWatch reads the supervisor's Server-Sent Events stream.
type sseWatch struct {
	mu     sync.Mutex
	agents map[int64][]acd.AgentStatus
}

func (e *e2e) watchSupervisor() *sseWatch {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+e.a.Addr()+"/api/v1/supervisor/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		cancel()
		resp.Body.Close()
		t.Fatalf("supervisor stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	w := &sseWatch{agents: map[int64][]acd.AgentStatus{}}
	ready, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var event, data string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				data = strings.TrimPrefix(line, "data: ")
			case line == "":
				switch event {
				case "ready":
					close(ready)
				case "agent":
					var s acd.AgentStatus
					if json.Unmarshal([]byte(data), &s) == nil {
						w.mu.Lock()
						w.agents[s.AgentID] = append(w.agents[s.AgentID], s)
						w.mu.Unlock()
					}
				}
				event, data = "", ""
			}
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("supervisor stream: no ready event")
	}
	return w
}

// mark is where the agent's updates from now on start.
func (w *sseWatch) mark(id int64) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.agents[id])
}

// states are the agent's states since mark, consecutive repeats folded.
func (w *sseWatch) states(id int64, mark int) []acd.State {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []acd.State
	for _, s := range w.agents[id][mark:] {
		if len(out) == 0 || out[len(out)-1] != s.State {
			out = append(out, s.State)
		}
	}
	return out
}

// since is when the agent entered state (first time after mark).
func (w *sseWatch) since(id int64, mark int, state acd.State) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.agents[id][mark:] {
		if s.State == state {
			return s.Since
		}
	}
	return time.Time{}
}

// waitState waits until the agent's latest update on the stream is in
// state (the API answers before the stream has the change).
func (w *sseWatch) waitState(t *testing.T, id int64, state acd.State) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		u := w.agents[id]
		return len(u) > 0 && u[len(u)-1].State == state
	}, "%s", fmt.Sprintf("agent %d %s on the supervisor stream", id, state))
}

// waitStates waits until the agent went through exactly want since mark.
func (w *sseWatch) waitStates(t *testing.T, id int64, mark int, d time.Duration, want ...acd.State) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		got := w.states(id, mark)
		if len(got) >= len(want) {
			if !slices.Equal(got, want) {
				t.Fatalf("agent %d states on the supervisor stream: %v; want %v", id, got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %d states on the supervisor stream after %v: %v; want %v", id, d, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
