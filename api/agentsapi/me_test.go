package agentsapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/store"
)

type fakeChannels struct{ calls []string }

func (f *fakeChannels) Hangup(_ context.Context, id, reason string) error {
	f.calls = append(f.calls, "hangup "+id)
	return nil
}
func (f *fakeChannels) StartMOH(_ context.Context, id, class string) error {
	f.calls = append(f.calls, "moh "+id)
	return nil
}
func (f *fakeChannels) StopMOH(_ context.Context, id string) error {
	f.calls = append(f.calls, "unmoh "+id)
	return nil
}

// agentKey makes a console user of the account with the role and an API
// key bound to them.
func (e *env) agentKey(email, role string) (int64, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.st.CreateUser(ctx, store.NewUser{AccountID: e.acct, Email: email, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	_, key, err := e.st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: e.acct, Name: email, Role: role, UserID: u.ID})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID, key
}

// TestMeAgent: a user of role agent linked to an agent works on that
// agent only (login with a chosen login type re-provisions the endpoint,
// pause, disposition, phone setup, hang up, hold); a user without an
// agent gets 404; the supervisor routes stay closed to the agent.
func TestMeAgent(t *testing.T) {
	ch := &fakeChannels{}
	e := newEnv(t, func(d *Deps) {
		d.Channels = ch
		d.Phone = Phone{WebRTCURL: "ws://127.0.0.1:8088/ws", SIPHost: "127.0.0.1:5060"}
	})
	uid, key := e.agentKey("alice@example.com", "agent")
	_, stranger := e.agentKey("bob@example.com", "agent")

	code, body := e.do(e.key, http.MethodPost, "/api/v1/agents", js(map[string]any{"name": "Alice", "login_type": "softphone",
		"extension": "desk-7001", "user_id": uid, "auto_pause_missed": true}))
	if code != http.StatusCreated || body["user_id"] != float64(uid) || body["auto_pause_missed"] != true {
		t.Fatalf("create linked agent: %d %v", code, body)
	}
	id := int64(body["id"].(float64))
	if code, body := e.do(e.key, http.MethodPost, "/api/v1/agents", js(map[string]any{"name": "Other", "login_type": "softphone",
		"extension": "desk-7002"})); code != http.StatusCreated {
		t.Fatalf("create other agent: %d %v", code, body)
	}
	// PUT without user_id keeps the link.
	if code, body := e.do(e.key, http.MethodPut, fmt.Sprintf("/api/v1/agents/%d", id), js(map[string]any{"name": "Alice A",
		"login_type": "softphone", "extension": "desk-7001"})); code != http.StatusOK || body["user_id"] != float64(uid) {
		t.Fatalf("update keeps the link: %d %v", code, body)
	}
	e.prov.take()

	code, body = e.do(key, http.MethodGet, "/api/v1/me/agent", "")
	if code != http.StatusOK || body["agent"].(map[string]any)["id"] != float64(id) || body["agent"].(map[string]any)["sip_password"] != nil {
		t.Fatalf("me: %d %v", code, body)
	}
	if got := fmt.Sprint(body["login_types"]); got != "[browser softphone deskphone]" {
		t.Fatalf("login types %s", got)
	}
	if code, _ := e.do(stranger, http.MethodGet, "/api/v1/me/agent", ""); code != http.StatusNotFound {
		t.Fatalf("user without agent: %d", code)
	}
	if code, _ := e.do(key, http.MethodGet, "/api/v1/supervisor/agents", ""); code != http.StatusForbidden {
		t.Fatalf("agent on the supervisor list: %d", code)
	}
	if code, _ := e.do(key, http.MethodPost, fmt.Sprintf("/api/v1/agents/%d/login", id), ""); code != http.StatusForbidden {
		t.Fatalf("agent on the supervisors' login route: %d", code)
	}

	// Login as the browser phone: the login type is stored, the endpoint
	// re-provisioned (WebRTC), then the ACD logs the agent in.
	if code, body := e.do(key, http.MethodPost, "/api/v1/me/agent/login", `{"login_type":"mobile"}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("login as mobile: %d %v", code, body)
	}
	if code, body := e.do(key, http.MethodPost, "/api/v1/me/agent/login", `{"login_type":"browser"}`); code != http.StatusOK {
		t.Fatalf("login browser: %d %v", code, body)
	}
	if a, _ := e.acd.pushed(id); a.LoginType != "browser" {
		t.Fatalf("pushed %+v", a)
	}
	if calls := e.prov.take(); len(calls) != 1 || !strings.HasPrefix(calls[0], "ensure desk-7001 ") {
		t.Fatalf("provisioner: %v", calls)
	}
	code, body = e.do(key, http.MethodGet, "/api/v1/me/agent/phone", "")
	if code != http.StatusOK || body["webrtc_url"] != "ws://127.0.0.1:8088/ws" || body["user"] != "desk-7001" || body["password"] == "" {
		t.Fatalf("phone: %d %v", code, body)
	}
	for _, c := range []struct{ path, body string }{
		{"pause", `{"reason":"lunch"}`}, {"unpause", ""}, {"disposition", `{"code":"sale"}`}, {"logout", ""},
	} {
		if code, body := e.do(key, http.MethodPost, "/api/v1/me/agent/"+c.path, c.body); code != http.StatusOK {
			t.Fatalf("%s: %d %v", c.path, code, body)
		}
	}
	e.acd.mu.Lock()
	acts := strings.Join(e.acd.actions, ",")
	e.acd.mu.Unlock()
	want := fmt.Sprintf("login %[1]d %[2]d ,pause %[1]d %[2]d lunch,unpause %[1]d %[2]d ,disposition %[1]d %[2]d sale,logout %[1]d %[2]d ", e.acct, id)
	if acts != want {
		t.Fatalf("actions\n got %s\nwant %s", acts, want)
	}
	if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/pause", `{"reason":""}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("pause without reason: %d", code)
	}

	// A new softphone password, shown once.
	code, body = e.do(key, http.MethodPost, "/api/v1/me/agent/phone/password", "")
	if code != http.StatusOK || body["password"] == "" || body["host"] != "127.0.0.1:5060" || body["user"] != "desk-7001" {
		t.Fatalf("new password: %d %v", code, body)
	}

	// Hang up and hold act on the customer's channel of the call in
	// progress; without one they are refused.
	if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/hangup", ""); code != http.StatusConflict {
		t.Fatalf("hang up without a call: %d", code)
	}
	e.acd.statuses = func(acct int64, _ acd.State) []acd.AgentStatus {
		return []acd.AgentStatus{{AgentID: id, AccountID: acct, State: acd.StateOnCall, CallID: "cust-1"}}
	}
	if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/hold", `{"hold":true}`); code != http.StatusOK {
		t.Fatalf("hold: %d", code)
	}
	if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/hangup", ""); code != http.StatusNoContent {
		t.Fatalf("hang up: %d", code)
	}
	if got := strings.Join(ch.calls, ","); got != "moh cust-1,hangup cust-1" {
		t.Fatalf("channels: %s", got)
	}
	if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/transfer", `{"queue":""}`); code != http.StatusUnprocessableEntity {
		t.Fatalf("transfer without queue: %d", code)
	}
	if code, body := e.do(key, http.MethodPost, "/api/v1/me/agent/transfer", `{"queue":"billing"}`); code != http.StatusOK {
		t.Fatalf("transfer: %d %v", code, body)
	}
	e.acd.mu.Lock()
	last := e.acd.actions[len(e.acd.actions)-1]
	e.acd.mu.Unlock()
	if last != fmt.Sprintf("transfer %d %d billing", e.acct, id) {
		t.Fatalf("last action %q", last)
	}
	for _, body := range []string{`{}`, `{"queue":"billing","agent_id":7}`, `{"agent_id":-3}`} {
		if code, _ := e.do(key, http.MethodPost, "/api/v1/me/agent/transfer", body); code != http.StatusUnprocessableEntity {
			t.Errorf("transfer %s: %d, want 422", body, code)
		}
	}
	if code, body := e.do(key, http.MethodPost, "/api/v1/me/agent/transfer", `{"agent_id":7}`); code != http.StatusOK {
		t.Fatalf("transfer to agent 7: %d %v", code, body)
	}
	e.acd.mu.Lock()
	last = e.acd.actions[len(e.acd.actions)-1]
	e.acd.mu.Unlock()
	if last != fmt.Sprintf("transfer %d %d 7", e.acct, id) {
		t.Fatalf("last action %q", last)
	}
	if code, body := e.do(key, http.MethodGet, "/api/v1/me/agent/transfer", ""); code != http.StatusOK || body["queues"] == nil || body["agents"] == nil {
		t.Fatalf("transfer targets: %d %v", code, body)
	}
	if code, body := e.do(key, http.MethodGet, "/api/v1/me/agent/calls", ""); code != http.StatusOK || body["calls"] == nil {
		t.Fatalf("calls: %d %v", code, body)
	}
}
