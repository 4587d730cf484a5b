package agentsapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/store"
)

// monitorACD is the fake engine with monitors.
type monitorACD struct {
	*fakeACD
	mu      sync.Mutex
	started []acd.MonitorRequest
	err     error
}

func (m *monitorACD) StartMonitor(_ context.Context, r acd.MonitorRequest) (acd.Monitor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return acd.Monitor{}, m.err
	}
	mon := acd.Monitor{ID: "sy-mon-1", AccountID: r.AccountID, AgentID: r.AgentID, PhoneAgentID: r.PhoneAgentID, Mode: r.Mode,
		By: r.By, CallID: "call-1", StartedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
	if r.OnStart != nil {
		if err := r.OnStart(mon); err != nil {
			return acd.Monitor{}, err
		}
	}
	m.started = append(m.started, r)
	return mon, nil
}

func (m *monitorACD) StopMonitor(accountID int64, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if id != "sy-mon-1" || len(m.started) == 0 || m.started[0].AccountID != accountID {
		return acd.ErrNotFound.New("", "monitor %s not found", id)
	}
	r := m.started[0]
	go r.OnEnd(acd.Monitor{ID: id, AccountID: accountID, EndedAt: time.Date(2026, 12, 7, 9, 1, 0, 0, time.UTC), EndReason: "stopped"})
	return nil
}

func (m *monitorACD) Monitors(int64) []acd.Monitor { return []acd.Monitor{} }

// TestMonitorAPI: the input is checked (mode, phone), the engine's
// refusals map to HTTP, a started monitor is audited at once and its end
// when it ends; the audit is the account's own; without a monitoring
// engine the routes answer 503.
func TestMonitorAPI(t *testing.T) {
	m := &monitorACD{fakeACD: newFakeACD()}
	e := newEnv(t, func(d *Deps) { d.ACD, d.Node = m, "node-1" })
	path := "/api/v1/supervisor/agents/5/monitor"
	for _, c := range []struct{ body, field string }{
		{`{"mode":"spy","phone_agent_id":2}`, "mode"},
		{`{"mode":"listen"}`, "phone_agent_id"},
		{`{"mode":"listen","phone_agent_id":2,"x":1}`, "x"},
	} {
		code, body := e.raw(e.key, http.MethodPost, path, c.body)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s; want 422 on %s", c.body, code, body, c.field)
		}
	}
	m.err = acd.ErrState.New("", "agent 5 is not on a call")
	if code, body := e.raw(e.key, http.MethodPost, path, `{"mode":"listen","phone_agent_id":2}`); code != http.StatusConflict {
		t.Errorf("not on a call: %d %s; want 409", code, body)
	}
	m.err = nil
	code, body := e.raw(e.key, http.MethodPost, path, `{"mode":"whisper","phone_agent_id":2}`)
	if code != http.StatusCreated || !strings.Contains(body, `"id":"sy-mon-1"`) {
		t.Fatalf("start: %d %s", code, body)
	}
	if r := m.started[0]; r.AccountID != e.acct || r.AgentID != 5 || r.PhoneAgentID != 2 || r.Mode != acd.MonitorWhisper || r.By == "" {
		t.Errorf("request to the engine: %+v", r)
	}
	audit := func() []store.SupervisorMonitor {
		rows, err := e.st.ListSupervisorMonitors(context.Background(), store.JournalFilter{AccountID: e.acct})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	if rows := audit(); len(rows) != 1 || rows[0].Mode != "whisper" || rows[0].AgentID != 5 || rows[0].EndedAt != nil || rows[0].CallID != "call-1" || rows[0].Node != "node-1" {
		t.Fatalf("audit at the start: %+v", rows)
	}
	if code, body := e.raw(e.other, http.MethodDelete, "/api/v1/supervisor/monitors/sy-mon-1", ""); code != http.StatusNotFound {
		t.Errorf("stop from another account: %d %s; want 404", code, body)
	}
	if code, body := e.raw(e.key, http.MethodDelete, "/api/v1/supervisor/monitors/sy-mon-1", ""); code != http.StatusNoContent {
		t.Fatalf("stop: %d %s", code, body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		rows := audit()
		if len(rows) == 1 && rows[0].EndedAt != nil && rows[0].EndReason == "stopped" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audit after the end: %+v", rows)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The audit record cannot be written (the fake engine's monitor id is
	// taken): no monitor is started, the request fails.
	m.mu.Lock()
	n := len(m.started)
	m.mu.Unlock()
	if code, body := e.raw(e.key, http.MethodPost, path, `{"mode":"listen","phone_agent_id":2}`); code == http.StatusCreated || code < 400 {
		t.Errorf("start with the audit failing: %d %s; want an error", code, body)
	}
	m.mu.Lock()
	if len(m.started) != n {
		t.Errorf("a monitor started without its audit record")
	}
	m.mu.Unlock()
	code, body = e.raw(e.key, http.MethodGet, "/api/v1/supervisor/monitor-audit?agent_id=5", "")
	if code != http.StatusOK || !strings.Contains(body, `"end_reason":"stopped"`) {
		t.Errorf("audit: %d %s", code, body)
	}
	if code, body := e.raw(e.other, http.MethodGet, "/api/v1/supervisor/monitor-audit", ""); code != http.StatusOK || strings.Contains(body, "sy-mon-1") {
		t.Errorf("another account's audit: %d %s", code, body)
	}
	if code, _ := e.raw(e.key, http.MethodGet, "/api/v1/supervisor/monitor-audit?from=yesterday", ""); code != http.StatusUnprocessableEntity {
		t.Errorf("bad from: %d; want 422", code)
	}

	// An engine without monitors (or none): 503.
	plain := newEnv(t)
	if code, body := plain.raw(plain.key, http.MethodPost, path, `{"mode":"listen","phone_agent_id":2}`); code != http.StatusServiceUnavailable {
		t.Errorf("no monitoring engine: %d %s; want 503", code, body)
	}
}

// TestSupervisorDayAgentStates: GET /supervisor/day gives, beside the
// queue calls, the account's agents by state per interval from the agent
// state journal (the wallboard seeds its chart with them); another
// account's agents are not counted; step_mins is checked.
func TestSupervisorDayAgentStates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ag, err := e.st.CreateAgent(ctx, store.Agent{Agent: acdconfig.Agent{AccountID: e.acct, Name: "Ann", LoginType: "sip", Extension: "day-ann"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.st.CreateAgent(ctx, store.Agent{Agent: acdconfig.Agent{AccountID: e.acct2, Name: "Bob", LoginType: "sip", Extension: "day-bob"}})
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now().UTC().Add(-time.Hour).Truncate(time.Minute)
	if err := e.st.InsertAgentEvents(ctx, []store.AgentEvent{
		{AccountID: e.acct, AgentID: ag.ID, At: from.Add(-time.Hour), ToState: "available"},
		{AccountID: e.acct, AgentID: ag.ID, At: from.Add(30 * time.Minute), ToState: "on_call"},
		{AccountID: e.acct2, AgentID: other.ID, At: from.Add(-time.Hour), ToState: "paused"},
	}); err != nil {
		t.Fatal(err)
	}
	code, body := e.raw(e.key, http.MethodGet, "/api/v1/supervisor/day?step_mins=30&from="+url.QueryEscape(from.Format(time.RFC3339)), "")
	var out struct {
		StepMins    int                      `json:"step_mins"`
		Buckets     []store.QueueCallBucket  `json:"buckets"`
		AgentStates []store.AgentStateBucket `json:"agent_states"`
	}
	if err := json.Unmarshal([]byte(body), &out); code != http.StatusOK || err != nil {
		t.Fatalf("day: %d %s", code, body)
	}
	// Two half hours, and the one just begun (now is a little past).
	if out.StepMins != 30 || len(out.AgentStates) < 2 || len(out.AgentStates) > 3 || len(out.Buckets) != len(out.AgentStates) {
		t.Fatalf("day: %s", body)
	}
	if s := out.AgentStates[0]; !s.Start.Equal(from) || s.Available != 1 || s.OnCall != 0 || s.Paused != 0 {
		t.Errorf("first half hour: %+v; want 1 available", s)
	}
	if s := out.AgentStates[1]; s.OnCall != 1 || s.Available != 0 || s.Paused != 0 {
		t.Errorf("second half hour: %+v; want 1 on a call", s)
	}
	if code, body := e.raw(e.key, http.MethodGet, "/api/v1/supervisor/day?step_mins=0", ""); code != http.StatusUnprocessableEntity {
		t.Errorf("step_mins=0: %d %s; want 422", code, body)
	}
}
