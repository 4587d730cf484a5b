package agentsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/acd/provision"
	"github.com/switchyard/switchyard/store"
)

// The engine and the provisioner implement the interfaces.
var (
	_ ACD         = (*acd.ACD)(nil)
	_ Provisioner = (*provision.Provisioner)(nil)
)

// fakeACD is a function-field ACD that records configuration pushes and
// actions. Unset functions have simple defaults.
type fakeACD struct {
	mu       sync.Mutex
	agents   map[int64]acdconfig.Agent // by id, as pushed
	queues   map[int64]acdconfig.Queue
	removedA []int64
	removedQ []int64
	actions  []string

	act       func(name string, acct, id int64, arg string) error
	statuses  func(acct int64, state acd.State) []acd.AgentStatus
	queueSt   func(acct int64) []acd.QueueStatus
	subscribe func(acct int64) (<-chan acd.Update, func())
}

func newFakeACD() *fakeACD {
	return &fakeACD{agents: map[int64]acdconfig.Agent{}, queues: map[int64]acdconfig.Queue{}}
}

func (f *fakeACD) PutAgent(ag acdconfig.Agent) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents[ag.ID] = ag
	return nil
}

func (f *fakeACD) RemoveAgent(acct, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removedA = append(f.removedA, id)
	delete(f.agents, id)
	return nil
}

func (f *fakeACD) PutQueue(q acdconfig.Queue) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queues[q.ID] = q
	return nil
}

func (f *fakeACD) RemoveQueue(acct, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.removedQ = append(f.removedQ, id)
	delete(f.queues, id)
	return nil
}

func (f *fakeACD) do(name string, acct, id int64, arg string) error {
	f.mu.Lock()
	f.actions = append(f.actions, fmt.Sprintf("%s %d %d %s", name, acct, id, arg))
	fn := f.act
	f.mu.Unlock()
	if fn != nil {
		return fn(name, acct, id, arg)
	}
	return nil
}

func (f *fakeACD) Login(_ context.Context, acct, id int64) error { return f.do("login", acct, id, "") }
func (f *fakeACD) Logout(_ context.Context, acct, id int64) error {
	return f.do("logout", acct, id, "")
}
func (f *fakeACD) Pause(_ context.Context, acct, id int64, r string) error {
	return f.do("pause", acct, id, r)
}
func (f *fakeACD) Unpause(_ context.Context, acct, id int64) error {
	return f.do("unpause", acct, id, "")
}
func (f *fakeACD) Disposition(_ context.Context, acct, id int64, code string) error {
	return f.do("disposition", acct, id, code)
}

func (f *fakeACD) Transfer(_ context.Context, acct, id int64, q string) error {
	return f.do("transfer", acct, id, q)
}
func (f *fakeACD) TransferToAgent(_ context.Context, acct, id, target int64) error {
	return f.do("transfer", acct, id, strconv.FormatInt(target, 10))
}
func (f *fakeACD) Agents(acct int64, state acd.State) []acd.AgentStatus {
	if f.statuses != nil {
		return f.statuses(acct, state)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []acd.AgentStatus
	for _, a := range f.agents {
		if a.AccountID == acct && (state == "" || state == acd.StateLoggedOut) {
			out = append(out, acd.AgentStatus{AgentID: a.ID, AccountID: acct, Name: a.Name, State: acd.StateLoggedOut})
		}
	}
	return out
}

func (f *fakeACD) Agent(acct, id int64) (acd.AgentStatus, error) {
	for _, s := range f.Agents(acct, "") {
		if s.AgentID == id {
			return s, nil
		}
	}
	return acd.AgentStatus{}, fmt.Errorf("%w: agent %d", acd.ErrNotFound, id)
}

func (f *fakeACD) Queues(acct int64) []acd.QueueStatus {
	if f.queueSt != nil {
		return f.queueSt(acct)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []acd.QueueStatus
	for _, q := range f.queues {
		if q.AccountID == acct {
			out = append(out, acd.QueueStatus{QueueID: q.ID, AccountID: acct, Name: q.Name})
		}
	}
	return out
}

func (f *fakeACD) Subscribe(acct int64) (<-chan acd.Update, func()) {
	if f.subscribe != nil {
		return f.subscribe(acct)
	}
	ch := make(chan acd.Update)
	return ch, func() {}
}

func (f *fakeACD) pushed(id int64) (acdconfig.Agent, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	a, ok := f.agents[id]
	return a, ok
}

func (f *fakeACD) pushedQueue(id int64) (acdconfig.Queue, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q, ok := f.queues[id]
	return q, ok
}

// fakeProv is a function-field Provisioner recording its calls.
type fakeProv struct {
	mu     sync.Mutex
	calls  []string
	ensure func(a acdconfig.Agent) error
	remove func(ext string) error
}

func (p *fakeProv) Ensure(_ context.Context, a acdconfig.Agent) error {
	p.mu.Lock()
	p.calls = append(p.calls, "ensure "+a.Extension+" "+a.SIPPassword)
	fn := p.ensure
	p.mu.Unlock()
	if fn != nil {
		return fn(a)
	}
	return nil
}

func (p *fakeProv) Remove(_ context.Context, ext string) error {
	p.mu.Lock()
	p.calls = append(p.calls, "remove "+ext)
	fn := p.remove
	p.mu.Unlock()
	if fn != nil {
		return fn(ext)
	}
	return nil
}

func (p *fakeProv) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.calls
	p.calls = nil
	return c
}

type env struct {
	t     testing.TB
	srv   *api.Server
	st    *store.Store
	acd   *fakeACD
	prov  *fakeProv
	key   string
	other string
	acct  int64
	acct2 int64
	done  chan struct{}
}

func newEnv(t testing.TB, mod ...func(*Deps)) *env {
	t.Helper()
	fx := apistoretest.NewFixture(t)
	e := &env{t: t, srv: fx.Server, st: fx.Store, acd: newFakeACD(), prov: &fakeProv{}, key: fx.Key, other: fx.OtherKey,
		acct: fx.Account, acct2: fx.Other, done: make(chan struct{})}
	n := 0
	var mu sync.Mutex
	d := Deps{Store: fx.Store, ACD: e.acd, Provisioner: e.prov, Done: e.done, NewPassword: func() (string, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprint("pw-", n), nil
	}}
	for _, m := range mod {
		m(&d)
	}
	Register(fx.Server.API(), d)
	return e
}

func (e *env) raw(key, method, path, body string) (int, string) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (e *env) do(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	code, b := e.raw(key, method, path, body)
	var out map[string]any
	if b != "" {
		if err := json.Unmarshal([]byte(b), &out); err != nil {
			e.t.Fatalf("%s %s: body %q: %v", method, path, b, err)
		}
	}
	return code, out
}

func js(m map[string]any) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func errField(out map[string]any) (string, string) {
	eb, _ := out["error"].(map[string]any)
	f, _ := eb["field"].(string)
	m, _ := eb["message"].(string)
	return f, m
}

func id(out map[string]any) int64 {
	v, _ := out["id"].(float64)
	return int64(v)
}

func (e *env) mustAgent(key, name, ext string) int64 {
	e.t.Helper()
	code, out := e.do(key, "POST", "/api/v1/agents", js(map[string]any{"name": name, "login_type": "softphone", "extension": ext}))
	if code != 201 {
		e.t.Fatalf("create agent: %d %v", code, out)
	}
	return id(out)
}

func TestAgentCRUD(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "POST", "/api/v1/agents", js(map[string]any{"name": "Alice", "login_type": "softphone",
		"extension": "7001", "cli": "+15550000", "wrap_up_secs": 30, "record": true}))
	if code != 201 || out["sip_password"] != "pw-1" || out["extension"] != "7001" || out["wrap_up_secs"] != float64(30) ||
		out["account_id"] != float64(e.acct) || out["record"] != true {
		t.Fatalf("create: %d %v", code, out)
	}
	aid := id(out)
	if st, _ := out["status"].(map[string]any); st["state"] != "logged_out" {
		t.Fatalf("create: no live status: %v", out)
	}
	if c := e.prov.take(); fmt.Sprint(c) != "[ensure 7001 pw-1]" {
		t.Fatalf("provisioner: %v", c)
	}
	if a, ok := e.acd.pushed(aid); !ok || a.SIPPassword != "pw-1" || a.WrapUp.Seconds() != 30 || a.AccountID != e.acct {
		t.Fatalf("ACD agent: %+v %v", a, ok)
	}
	// The password is stored (Asterisk needs it) but never shown again.
	if sa, err := e.st.GetAgent(context.Background(), e.acct, aid); err != nil || sa.SIPPassword != "pw-1" {
		t.Fatalf("stored: %+v %v", sa, err)
	}
	base := fmt.Sprintf("/api/v1/agents/%d", aid)
	for _, p := range []string{base, "/api/v1/agents"} {
		code, body := e.raw(e.key, "GET", p, "")
		if code != 200 || strings.Contains(body, "sip_password") || strings.Contains(body, "pw-1") || !strings.Contains(body, "Alice") {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
	}

	// Update: the password stays and is not shown.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "Alice B", "login_type": "softphone", "extension": "7001"}))
	if code != 200 || out["name"] != "Alice B" || out["sip_password"] != nil || out["wrap_up_secs"] != float64(0) {
		t.Fatalf("update: %d %v", code, out)
	}
	if c := e.prov.take(); fmt.Sprint(c) != "[ensure 7001 pw-1]" {
		t.Fatalf("provisioner after update: %v", c)
	}
	// Regenerate: shown once.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "Alice B", "login_type": "softphone", "extension": "7001", "regenerate_password": true}))
	if code != 200 || out["sip_password"] != "pw-2" {
		t.Fatalf("regenerate: %d %v", code, out)
	}
	e.prov.take()
	// New extension: the old endpoint goes, the new one comes with the same password.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "Alice B", "login_type": "deskphone", "extension": "7002"}))
	if code != 200 || out["extension"] != "7002" || out["sip_password"] != nil {
		t.Fatalf("new extension: %d %v", code, out)
	}
	if c := e.prov.take(); fmt.Sprint(c) != "[remove 7001 ensure 7002 pw-2]" {
		t.Fatalf("provisioner after extension change: %v", c)
	}
	// To mobile: the endpoint goes, the password is cleared.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "Alice B", "login_type": "mobile", "number": "+15551234", "persistent": true}))
	if code != 200 || out["number"] != "+15551234" || out["extension"] != nil || out["persistent"] != true {
		t.Fatalf("to mobile: %d %v", code, out)
	}
	if c := e.prov.take(); fmt.Sprint(c) != "[remove 7002]" {
		t.Fatalf("provisioner after to mobile: %v", c)
	}
	if code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "A", "login_type": "mobile", "number": "+15551234", "regenerate_password": true})); code != 422 {
		t.Fatalf("regenerate for mobile: %d %v", code, out)
	}
	// Back to SIP: a new password, shown once.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "Alice B", "login_type": "softphone", "extension": "7003"}))
	if code != 200 || out["sip_password"] != "pw-3" {
		t.Fatalf("back to SIP: %d %v", code, out)
	}
	e.prov.take()

	if code, _ = e.do(e.key, "DELETE", base, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if c := e.prov.take(); fmt.Sprint(c) != "[remove 7003]" {
		t.Fatalf("provisioner after delete: %v", c)
	}
	if _, ok := e.acd.pushed(aid); ok || fmt.Sprint(e.acd.removedA) != fmt.Sprint([]int64{aid}) {
		t.Fatalf("ACD after delete: %v", e.acd.removedA)
	}
	if code, _ = e.do(e.key, "GET", base, ""); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
	if code, _ = e.do(e.key, "DELETE", base, ""); code != 404 {
		t.Fatalf("delete again: %d", code)
	}
}

func TestAgentBadInput(t *testing.T) {
	e := newEnv(t)
	e.mustAgent(e.key, "Taken", "7000")
	good := func(mod func(m map[string]any)) string {
		m := map[string]any{"name": "Alice", "login_type": "softphone", "extension": "7001"}
		if mod != nil {
			mod(m)
		}
		return js(m)
	}
	for _, tc := range []struct {
		name, body, field string
		code              int
	}{
		{"no name", good(func(m map[string]any) { delete(m, "name") }), "name", 422},
		{"control name", good(func(m map[string]any) { m["name"] = "a\x01b" }), "name", 422},
		{"long name", good(func(m map[string]any) { m["name"] = strings.Repeat("n", 101) }), "name", 422},
		{"bad login type", good(func(m map[string]any) { m["login_type"] = "pigeon" }), "login_type", 422},
		{"no extension", good(func(m map[string]any) { delete(m, "extension") }), "extension", 422},
		{"bad extension", good(func(m map[string]any) { m["extension"] = "7 0" }), "extension", 422},
		{"number on SIP", good(func(m map[string]any) { m["number"] = "+1555" }), "number", 422},
		{"mobile without number", good(func(m map[string]any) { m["login_type"] = "mobile"; delete(m, "extension") }), "number", 422},
		{"extension on mobile", good(func(m map[string]any) { m["login_type"] = "mobile"; m["number"] = "+15551234" }), "extension", 422},
		{"bad cli", good(func(m map[string]any) { m["cli"] = "abc" }), "cli", 422},
		{"negative wrap-up", good(func(m map[string]any) { m["wrap_up_secs"] = -1 }), "wrap_up_secs", 422},
		{"long wrap-up", good(func(m map[string]any) { m["wrap_up_secs"] = 3601 }), "wrap_up_secs", 422},
		{"wrap-up not a number", good(func(m map[string]any) { m["wrap_up_secs"] = "30" }), "wrap_up_secs", 422},
		{"record not a bool", good(func(m map[string]any) { m["record"] = "yes" }), "record", 422},
		{"unknown field", good(func(m map[string]any) { m["wrap_up"] = 30 }), "wrap_up", 422},
		{"regenerate on create", good(func(m map[string]any) { m["regenerate_password"] = true }), "regenerate_password", 422},
		{"not JSON", "{", "body", 422},
		{"two objects", good(nil) + "{}", "body", 422},
		{"extension in use", good(func(m map[string]any) { m["extension"] = "7000" }), "", 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/agents", tc.body)
			f, msg := errField(out)
			if code != tc.code || f != tc.field || msg == "" {
				t.Fatalf("%d field %q msg %q (want %d %q)", code, f, msg, tc.code, tc.field)
			}
		})
	}
	// The extension is unique across accounts too.
	if code, out := e.do(e.other, "POST", "/api/v1/agents", good(func(m map[string]any) { m["extension"] = "7000" })); code != 409 {
		t.Fatalf("other account, same extension: %d %v", code, out)
	}
	if code, out := e.do(e.key, "GET", "/api/v1/agents/abc", ""); code != 422 {
		t.Fatalf("bad id: %d %v", code, out)
	}
	if l, err := e.st.ListAgents(context.Background(), e.acct); err != nil {
		t.Fatalf("e.st.ListAgents(context.Background(), e.acct): %v", err)
	} else if len(l) != 1 {
		t.Fatalf("bad input stored agents: %v", l)
	}
}

func TestAgentProvisionerFailure(t *testing.T) {
	e := newEnv(t)
	e.prov.ensure = func(acdconfig.Agent) error { return errors.New("ARI: 500") }
	code, out := e.do(e.key, "POST", "/api/v1/agents", js(map[string]any{"name": "A", "login_type": "softphone", "extension": "7001"}))
	if code != 503 {
		t.Fatalf("create with failing provisioner: %d %v", code, out)
	}
	if _, msg := errField(out); !strings.Contains(msg, "not created") {
		t.Fatalf("message: %q", msg)
	}
	if l, err := e.st.ListAgents(context.Background(), e.acct); err != nil {
		t.Fatalf("e.st.ListAgents(context.Background(), e.acct): %v", err)
	} else if len(l) != 0 {
		t.Fatalf("agent kept: %v", l)
	}
	// Mobile agents need no endpoint.
	if code, out = e.do(e.key, "POST", "/api/v1/agents", js(map[string]any{"name": "M", "login_type": "mobile", "number": "+15550001"})); code != 201 {
		t.Fatalf("mobile: %d %v", code, out)
	}
	// Delete: if the endpoint cannot be removed, nothing is deleted.
	e.prov.ensure = nil
	aid := e.mustAgent(e.key, "B", "7002")
	e.prov.remove = func(string) error { return errors.New("ARI down") }
	if code, _ := e.do(e.key, "DELETE", fmt.Sprintf("/api/v1/agents/%d", aid), ""); code != 503 {
		t.Fatalf("delete with failing provisioner: %d", code)
	}
	if _, err := e.st.GetAgent(context.Background(), e.acct, aid); err != nil {
		t.Fatalf("agent deleted anyway: %v", err)
	}
	// Without a provisioner, agents are only stored.
	e2 := newEnv(t, func(d *Deps) { d.Provisioner = nil })
	e2.mustAgent(e2.key, "A", "7001")
}

func TestAgentActions(t *testing.T) {
	e := newEnv(t)
	aid := e.mustAgent(e.key, "Alice", "7001")
	bid := e.mustAgent(e.other, "Bob", "7100")
	p := func(a string) string { return fmt.Sprintf("/api/v1/agents/%d/%s", aid, a) }
	for _, tc := range []struct {
		action, body string
		want         string
	}{
		{"login", "", fmt.Sprintf("login %d %d ", e.acct, aid)},
		{"pause", `{"reason":"lunch"}`, fmt.Sprintf("pause %d %d lunch", e.acct, aid)},
		{"unpause", "", fmt.Sprintf("unpause %d %d ", e.acct, aid)},
		{"disposition", `{"code":"SALE"}`, fmt.Sprintf("disposition %d %d SALE", e.acct, aid)},
		{"logout", "", fmt.Sprintf("logout %d %d ", e.acct, aid)},
	} {
		e.acd.actions = nil
		code, out := e.do(e.key, "POST", p(tc.action), tc.body)
		if code != 200 || out["agent_id"] != float64(aid) || fmt.Sprint(e.acd.actions) != "["+tc.want+"]" {
			t.Fatalf("%s: %d %v %v", tc.action, code, out, e.acd.actions)
		}
	}
	e.acd.actions = nil
	for _, tc := range []struct {
		action, body, field string
	}{
		{"pause", `{}`, "reason"},
		{"pause", `{"reason":"out to lunch"}`, "reason"},
		{"pause", `{"reason":5}`, "reason"},
		{"pause", ``, "body"},
		{"disposition", `{"code":""}`, "code"},
		{"disposition", `{"code":"` + strings.Repeat("x", 41) + `"}`, "code"},
		{"disposition", `{"reason":"x"}`, "code"},
		{"disposition", `{"cod":"x"}`, "cod"},
	} {
		code, out := e.do(e.key, "POST", p(tc.action), tc.body)
		if f, _ := errField(out); code != 422 || f != tc.field {
			t.Fatalf("%s %s: %d %v (want field %q)", tc.action, tc.body, code, out, tc.field)
		}
	}
	if len(e.acd.actions) != 0 {
		t.Fatalf("bad input reached the ACD: %v", e.acd.actions)
	}
	// The engine's coded errors.
	for _, tc := range []struct {
		err  error
		code int
		msg  string
	}{
		{acd.ErrState.New("", "agent %d is logged out", aid), 409, fmt.Sprintf("agent %d is logged out", aid)},
		{acd.ErrNotFound.New("", "agent %d not found", aid), 404, fmt.Sprintf("agent %d not found", aid)},
		// Wrapped context is never shown: only the coded error's message.
		{fmt.Errorf("engine internals %d: %w", 42, acd.ErrState), 409, "agent state does not allow this"},
		{acd.ErrInvalid.New("code", "code %q: 1-40 letters", "x"), 422, "1-40 letters"},
		{acd.ErrUnreachable, 409, "did not answer"},
		{errors.New("boom"), 500, "internal server error"},
	} {
		e.acd.act = func(string, int64, int64, string) error { return tc.err }
		code, out := e.do(e.key, "POST", p("unpause"), "")
		if _, msg := errField(out); code != tc.code || !strings.Contains(msg, tc.msg) {
			t.Fatalf("%v: %d %v (want %d with %q)", tc.err, code, out, tc.code, tc.msg)
		}
	}
	e.acd.act = nil
	// Another account's agent, or none at all: 404 without reaching the ACD.
	e.acd.actions = nil
	for _, path := range []string{fmt.Sprintf("/api/v1/agents/%d/login", bid), "/api/v1/agents/999999/login"} {
		if code, _ := e.do(e.key, "POST", path, ""); code != 404 {
			t.Fatalf("%s: %d", path, code)
		}
	}
	if len(e.acd.actions) != 0 {
		t.Fatalf("foreign agent reached the ACD: %v", e.acd.actions)
	}
	// Without an ACD: 503.
	e2 := newEnv(t, func(d *Deps) { d.ACD = nil })
	a2 := e2.mustAgent(e2.key, "A", "7200")
	if code, out := e2.do(e2.key, "POST", fmt.Sprintf("/api/v1/agents/%d/login", a2), ""); code != 503 {
		t.Fatalf("no ACD: %d %v", code, out)
	}
	for _, path := range []string{"/api/v1/supervisor/agents", "/api/v1/supervisor/queues", "/api/v1/supervisor/stream"} {
		if code, _ := e2.do(e2.key, "GET", path, ""); code != 503 {
			t.Fatalf("no ACD %s: %d", path, code)
		}
	}
}

func TestQueues(t *testing.T) {
	e := newEnv(t)
	a1 := e.mustAgent(e.key, "A1", "7001")
	a2 := e.mustAgent(e.key, "A2", "7002")
	b1 := e.mustAgent(e.other, "B1", "7100")
	code, out := e.do(e.key, "POST", "/api/v1/queues", js(map[string]any{"name": "sales", "members": []int64{a2, a1},
		"announce": "sound:queue-periodic-announce", "announce_every_secs": 30, "announce_position": true, "max_len": 10}))
	if code != 201 || out["strategy"] != "longest-idle" || out["ring_timeout_secs"] != float64(20) || out["timeout_secs"] != float64(300) ||
		out["moh_class"] != "default" || fmt.Sprint(out["members"]) != fmt.Sprintf("[%d %d]", a2, a1) || out["max_len"] != float64(10) {
		t.Fatalf("create: %d %v", code, out)
	}
	qid := id(out)
	if q, ok := e.acd.pushedQueue(qid); !ok || q.AnnounceEvery.Seconds() != 30 || len(q.Members) != 2 || q.AccountID != e.acct {
		t.Fatalf("ACD queue: %+v", q)
	}
	base := fmt.Sprintf("/api/v1/queues/%d", qid)
	if code, out = e.do(e.key, "GET", base, ""); code != 200 || out["name"] != "sales" || out["status"] == nil {
		t.Fatalf("get: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/queues", ""); code != 200 || len(out["queues"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	good := func(mod func(m map[string]any)) string {
		m := map[string]any{"name": "support", "strategy": "round-robin", "members": []int64{a1}}
		if mod != nil {
			mod(m)
		}
		return js(m)
	}
	for _, tc := range []struct {
		name, body, field string
		code              int
	}{
		{"no name", good(func(m map[string]any) { delete(m, "name") }), "name", 422},
		{"bad name", good(func(m map[string]any) { m["name"] = "sales team" }), "name", 422},
		{"bad strategy", good(func(m map[string]any) { m["strategy"] = "random" }), "strategy", 422},
		{"ring timeout too long", good(func(m map[string]any) { m["ring_timeout_secs"] = 301 }), "ring_timeout_secs", 422},
		{"negative ring timeout", good(func(m map[string]any) { m["ring_timeout_secs"] = -1 }), "ring_timeout_secs", 422},
		{"timeout too long", good(func(m map[string]any) { m["timeout_secs"] = 86401 }), "timeout_secs", 422},
		{"max_len", good(func(m map[string]any) { m["max_len"] = -1 }), "max_len", 422},
		{"announce too often", good(func(m map[string]any) { m["announce_every_secs"] = 2 }), "announce_every_secs", 422},
		{"announce without interval", good(func(m map[string]any) { m["announce"] = "sound:x" }), "announce_every_secs", 422},
		{"duplicate member", good(func(m map[string]any) { m["members"] = []int64{a1, a1} }), "members", 422},
		{"zero member", good(func(m map[string]any) { m["members"] = []int64{0} }), "members", 422},
		{"foreign member", good(func(m map[string]any) { m["members"] = []int64{a1, b1} }), "members", 422},
		{"unknown member", good(func(m map[string]any) { m["members"] = []int64{999999} }), "members", 422},
		{"members not a list", good(func(m map[string]any) { m["members"] = "1,2" }), "members", 422},
		{"unknown field", good(func(m map[string]any) { m["ring_timeout"] = 20 }), "ring_timeout", 422},
		{"duplicate name", good(func(m map[string]any) { m["name"] = "sales" }), "", 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/queues", tc.body)
			f, msg := errField(out)
			if code != tc.code || f != tc.field || msg == "" {
				t.Fatalf("%d field %q msg %q (want %d %q)", code, f, msg, tc.code, tc.field)
			}
			if tc.name == "foreign member" && !strings.Contains(msg, fmt.Sprint(b1)) {
				t.Fatalf("message does not name the agent: %q", msg)
			}
		})
	}
	// The other account may use the name.
	if code, out = e.do(e.other, "POST", "/api/v1/queues", js(map[string]any{"name": "sales", "members": []int64{b1}})); code != 201 {
		t.Fatalf("other account same name: %d %v", code, out)
	}

	// Update.
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"name": "sales", "strategy": "ring-all", "members": []int64{a1}, "ring_timeout_secs": 15}))
	if code != 200 || out["strategy"] != "ring-all" || out["ring_timeout_secs"] != float64(15) || fmt.Sprint(out["members"]) != fmt.Sprintf("[%d]", a1) {
		t.Fatalf("update: %d %v", code, out)
	}
	if q, _ := e.acd.pushedQueue(qid); q.Strategy != acdconfig.StrategyRingAll {
		t.Fatalf("ACD after update: %+v", q)
	}
	// Members sub-resource.
	if code, out = e.do(e.key, "POST", fmt.Sprintf("%s/members/%d", base, a2), ""); code != 200 || fmt.Sprint(out["members"]) != fmt.Sprintf("[%d %d]", a1, a2) {
		t.Fatalf("add member: %d %v", code, out)
	}
	if code, out = e.do(e.key, "POST", fmt.Sprintf("%s/members/%d", base, a2), ""); code != 200 || len(out["members"].([]any)) != 2 {
		t.Fatalf("add member again: %d %v", code, out)
	}
	if code, out = e.do(e.key, "POST", fmt.Sprintf("%s/members/%d", base, b1), ""); code != 422 {
		t.Fatalf("add foreign member: %d %v", code, out)
	}
	if code, out = e.do(e.key, "DELETE", fmt.Sprintf("%s/members/%d", base, a1), ""); code != 200 || fmt.Sprint(out["members"]) != fmt.Sprintf("[%d]", a2) {
		t.Fatalf("remove member: %d %v", code, out)
	}
	if code, out = e.do(e.key, "DELETE", fmt.Sprintf("%s/members/%d", base, a1), ""); code != 404 {
		t.Fatalf("remove non-member: %d %v", code, out)
	}
	if code, out = e.do(e.key, "PUT", base+"/members", js(map[string]any{"members": []int64{a1, a2}})); code != 200 || len(out["members"].([]any)) != 2 {
		t.Fatalf("put members: %d %v", code, out)
	}
	if code, out = e.do(e.key, "PUT", base+"/members", js(map[string]any{"members": []int64{a1, a1}})); code != 422 {
		t.Fatalf("put duplicate members: %d %v", code, out)
	}
	if q, _ := e.acd.pushedQueue(qid); len(q.Members) != 2 {
		t.Fatalf("ACD members: %+v", q.Members)
	}
	// Deleting an agent removes it from the queue, in the store and the ACD.
	if code, _ := e.do(e.key, "DELETE", fmt.Sprintf("/api/v1/agents/%d", a1), ""); code != 204 {
		t.Fatalf("delete agent: %d", code)
	}
	if q, _ := e.acd.pushedQueue(qid); fmt.Sprint(q.Members) != fmt.Sprintf("[%d]", a2) {
		t.Fatalf("ACD members after agent delete: %v", q.Members)
	}
	if code, out = e.do(e.key, "GET", base, ""); fmt.Sprint(out["members"]) != fmt.Sprintf("[%d]", a2) {
		t.Fatalf("members after agent delete: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "DELETE", base, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if _, ok := e.acd.pushedQueue(qid); ok || fmt.Sprint(e.acd.removedQ) != fmt.Sprintf("[%d]", qid) {
		t.Fatalf("ACD after delete: %v", e.acd.removedQ)
	}
	if code, _ = e.do(e.key, "GET", base, ""); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.st.PutWebhook(ctx, e.acct, "crm", json.RawMessage(`{"url":"https://crm.example.com"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PutWebhook(ctx, e.acct2, "theirs", json.RawMessage(`{"url":"https://x.example.com"}`)); err != nil {
		t.Fatal(err)
	}
	fa, err := e.st.CreateFlow(ctx, e.acct, store.NewFlow{Name: "in", Type: "inbound", Draft: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	fb, err := e.st.CreateFlow(ctx, e.acct2, store.NewFlow{Name: "in", Type: "inbound", Draft: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	code, out := e.do(e.key, "POST", "/api/v1/hooks", js(map[string]any{"kind": "crm", "webhook": "crm", "events": []string{"agent_connected"}, "flow_ids": []int64{fa.ID}}))
	if code != 201 || out["kind"] != "crm" || fmt.Sprint(out["flow_ids"]) != fmt.Sprintf("[%d]", fa.ID) || fmt.Sprint(out["events"]) != "[agent_connected]" {
		t.Fatalf("create: %d %v", code, out)
	}
	hid := id(out)
	code, out = e.do(e.key, "POST", "/api/v1/hooks", js(map[string]any{"kind": "popup", "webhook": "crm", "all_flows": true}))
	if code != 201 || out["all_flows"] != true || fmt.Sprint(out["events"]) != "[]" {
		t.Fatalf("create popup: %d %v", code, out)
	}
	good := func(mod func(m map[string]any)) string {
		m := map[string]any{"kind": "crm", "webhook": "crm", "all_flows": true}
		if mod != nil {
			mod(m)
		}
		return js(m)
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"bad kind", good(func(m map[string]any) { m["kind"] = "sms" }), "kind"},
		{"no webhook", good(func(m map[string]any) { delete(m, "webhook") }), "webhook"},
		{"unknown webhook", good(func(m map[string]any) { m["webhook"] = "nope" }), "webhook"},
		{"other account's webhook", good(func(m map[string]any) { m["webhook"] = "theirs" }), "webhook"},
		{"popup event on crm", good(func(m map[string]any) { m["events"] = []string{"Dial"} }), "events"},
		{"no flows", good(func(m map[string]any) { m["all_flows"] = false }), "flow_ids"},
		{"flows and all_flows", good(func(m map[string]any) { m["flow_ids"] = []int64{fa.ID} }), "flow_ids"},
		{"other account's flow", good(func(m map[string]any) { m["all_flows"] = false; m["flow_ids"] = []int64{fa.ID, fb.ID} }), "flow_ids"},
		{"unknown field", good(func(m map[string]any) { m["flows"] = []int64{1} }), "flows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/hooks", tc.body)
			if f, msg := errField(out); code != 422 || f != tc.field || msg == "" {
				t.Fatalf("%d %v (want 422 field %q)", code, out, tc.field)
			}
		})
	}
	if _, out := e.do(e.key, "POST", "/api/v1/hooks", good(func(m map[string]any) { m["webhook"] = "nope" })); !strings.Contains(fmt.Sprint(out), `no webhook named "nope"`) {
		t.Fatalf("unknown webhook message: %v", out)
	}
	base := fmt.Sprintf("/api/v1/hooks/%d", hid)
	code, out = e.do(e.key, "PUT", base, js(map[string]any{"kind": "crm", "webhook": "crm", "all_flows": true, "events": []string{"agent_allocated", "agent_connected"}}))
	if code != 200 || out["all_flows"] != true || len(out["events"].([]any)) != 2 || len(out["flow_ids"].([]any)) != 0 {
		t.Fatalf("update: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/hooks?kind=popup", ""); code != 200 || len(out["hooks"].([]any)) != 1 {
		t.Fatalf("list popup: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/hooks", ""); code != 200 || len(out["hooks"].([]any)) != 2 {
		t.Fatalf("list: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "GET", "/api/v1/hooks?kind=sms", ""); code != 422 {
		t.Fatalf("list bad kind: %d", code)
	}
	if code, out = e.do(e.key, "GET", base, ""); code != 200 || id(out) != hid {
		t.Fatalf("get: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "DELETE", base, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = e.do(e.key, "GET", base, ""); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
}

func TestAgentUI(t *testing.T) {
	e := newEnv(t)
	if code, out := e.do(e.key, "GET", "/api/v1/agent-ui", ""); code != 200 || out["enabled"] != false || out["account_id"] != float64(e.acct) {
		t.Fatalf("default: %d %v", code, out)
	}
	for _, tc := range []struct {
		name, body, field string
	}{
		{"http", `{"enabled":true,"url":"http://ui.example.com"}`, "url"},
		{"no url", `{"enabled":true}`, "url"},
		{"credentials", `{"enabled":true,"url":"https://u:p@ui.example.com"}`, "url"},
		{"width", `{"enabled":true,"url":"https://ui.example.com","width":5000}`, "width"},
		{"height", `{"enabled":true,"url":"https://ui.example.com","height":-1}`, "width"},
		{"unknown field", `{"enabled":true,"link":"https://ui.example.com"}`, "link"},
	} {
		code, out := e.do(e.key, "PUT", "/api/v1/agent-ui", tc.body)
		if f, _ := errField(out); code != 422 || f != tc.field {
			t.Fatalf("%s: %d %v (want field %q)", tc.name, code, out, tc.field)
		}
	}
	code, out := e.do(e.key, "PUT", "/api/v1/agent-ui", `{"enabled":true,"url":"https://ui.example.com/agent","width":800,"height":600}`)
	if code != 200 || out["url"] != "https://ui.example.com/agent" || out["width"] != float64(800) {
		t.Fatalf("put: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/agent-ui", ""); out["enabled"] != true || out["height"] != float64(600) {
		t.Fatalf("get: %d %v", code, out)
	}
	if code, out = e.do(e.other, "GET", "/api/v1/agent-ui", ""); out["enabled"] != false || out["url"] != nil {
		t.Fatalf("other account sees it: %d %v", code, out)
	}
}

// TestAccountIsolation: one account can neither see nor change another's
// agents, queues and hooks.
func TestAccountIsolation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	aid := e.mustAgent(e.key, "Alice", "7001")
	_, out := e.do(e.key, "POST", "/api/v1/queues", js(map[string]any{"name": "sales", "members": []int64{aid}}))
	qid := id(out)
	if _, err := e.st.PutWebhook(ctx, e.acct, "crm", json.RawMessage(`{"url":"https://crm.example.com"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PutWebhook(ctx, e.acct2, "crm", json.RawMessage(`{"url":"https://crm.example.com"}`)); err != nil {
		t.Fatal(err)
	}
	_, out = e.do(e.key, "POST", "/api/v1/hooks", js(map[string]any{"kind": "crm", "webhook": "crm", "all_flows": true}))
	hid := id(out)
	if qid == 0 || hid == 0 {
		t.Fatal("setup failed")
	}
	agent := js(map[string]any{"name": "Mine", "login_type": "softphone", "extension": "7999"})
	queue := js(map[string]any{"name": "mine"})
	hook := js(map[string]any{"kind": "crm", "webhook": "crm", "all_flows": true})
	for _, r := range []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("/api/v1/agents/%d", aid), ""},
		{"PUT", fmt.Sprintf("/api/v1/agents/%d", aid), agent},
		{"DELETE", fmt.Sprintf("/api/v1/agents/%d", aid), ""},
		{"POST", fmt.Sprintf("/api/v1/agents/%d/login", aid), ""},
		{"POST", fmt.Sprintf("/api/v1/agents/%d/pause", aid), `{"reason":"x"}`},
		{"GET", fmt.Sprintf("/api/v1/queues/%d", qid), ""},
		{"PUT", fmt.Sprintf("/api/v1/queues/%d", qid), queue},
		{"DELETE", fmt.Sprintf("/api/v1/queues/%d", qid), ""},
		{"PUT", fmt.Sprintf("/api/v1/queues/%d/members", qid), `{"members":[]}`},
		{"POST", fmt.Sprintf("/api/v1/queues/%d/members/%d", qid, aid), ""},
		{"DELETE", fmt.Sprintf("/api/v1/queues/%d/members/%d", qid, aid), ""},
		{"GET", fmt.Sprintf("/api/v1/hooks/%d", hid), ""},
		{"PUT", fmt.Sprintf("/api/v1/hooks/%d", hid), hook},
		{"DELETE", fmt.Sprintf("/api/v1/hooks/%d", hid), ""},
	} {
		if code, out := e.do(e.other, r.method, r.path, r.body); code != 404 {
			t.Errorf("%s %s as the other account: %d %v", r.method, r.path, code, out)
		}
	}
	for _, p := range []string{"/api/v1/agents", "/api/v1/queues", "/api/v1/hooks"} {
		if code, body := e.raw(e.other, "GET", p, ""); code != 200 || strings.Contains(body, "Alice") || strings.Contains(body, "sales") || strings.Contains(body, `"id"`) {
			t.Errorf("list %s as the other account: %d %s", p, code, body)
		}
	}
	// The other account cannot put this account's agent in its queue.
	if code, out := e.do(e.other, "POST", "/api/v1/queues", js(map[string]any{"name": "q", "members": []int64{aid}})); code != 422 {
		t.Errorf("foreign member: %d %v", code, out)
	}
	// Everything is intact.
	if a, err := e.st.GetAgent(ctx, e.acct, aid); err != nil || a.Name != "Alice" || a.Extension != "7001" {
		t.Fatalf("agent: %+v %v", a, err)
	}
	if q, err := e.st.GetQueue(ctx, e.acct, qid); err != nil || len(q.Members) != 1 {
		t.Fatalf("queue: %+v %v", q, err)
	}
	if _, err := e.st.GetHook(ctx, e.acct, hid); err != nil {
		t.Fatalf("hook: %v", err)
	}
	if len(e.acd.actions) != 0 {
		t.Fatalf("the other account reached the ACD: %v", e.acd.actions)
	}
	// Unauthenticated.
	if code, _ := e.do("sy_bad", "GET", "/api/v1/agents", ""); code != 401 {
		t.Fatalf("no key: %d", code)
	}
}

func TestSupervisorLists(t *testing.T) {
	e := newEnv(t)
	a1 := e.mustAgent(e.key, "Alice Smith", "7001")
	code, out := e.do(e.key, "POST", "/api/v1/agents", js(map[string]any{"name": "Bob", "login_type": "mobile", "number": "+15559876"}))
	if code != 201 {
		t.Fatalf("%d %v", code, out)
	}
	a2 := id(out)
	e.acd.statuses = func(acct int64, state acd.State) []acd.AgentStatus {
		if acct != e.acct {
			return nil
		}
		all := []acd.AgentStatus{
			{AgentID: a1, AccountID: acct, Name: "Alice Smith", State: acd.StateAvailable},
			{AgentID: a2, AccountID: acct, Name: "Bob", State: acd.StatePaused, Reason: "lunch"},
		}
		var out []acd.AgentStatus
		for _, s := range all {
			if state == "" || s.State == state {
				out = append(out, s)
			}
		}
		return out
	}
	names := func(out map[string]any) string {
		var n []string
		for _, a := range out["agents"].([]any) {
			n = append(n, a.(map[string]any)["name"].(string))
		}
		return strings.Join(n, ",")
	}
	for _, tc := range []struct{ query, want string }{
		{"", "Alice Smith,Bob"},
		{"?state=paused", "Bob"},
		{"?state=on_call", ""},
		{"?q=smith", "Alice Smith"},
		{"?q=700", "Alice Smith"}, // extension
		{"?q=9876", "Bob"},        // number
		{"?q=bob&state=available", ""},
	} {
		code, out := e.do(e.key, "GET", "/api/v1/supervisor/agents"+tc.query, "")
		if code != 200 || names(out) != tc.want {
			t.Fatalf("%s: %d %v (want %q)", tc.query, code, out, tc.want)
		}
	}
	_, out = e.do(e.key, "GET", "/api/v1/supervisor/agents?q=alice", "")
	if row := out["agents"].([]any)[0].(map[string]any); row["extension"] != "7001" || row["state"] != "available" || row["agent_id"] != float64(a1) {
		t.Fatalf("row: %v", row)
	}
	if code, out := e.do(e.key, "GET", "/api/v1/supervisor/agents?state=busy", ""); code != 422 {
		t.Fatalf("bad state: %d %v", code, out)
	}
	if code, out := e.do(e.other, "GET", "/api/v1/supervisor/agents", ""); code != 200 || len(out["agents"].([]any)) != 0 {
		t.Fatalf("other account: %d %v", code, out)
	}
	e.acd.queueSt = func(acct int64) []acd.QueueStatus {
		return []acd.QueueStatus{{QueueID: 1, AccountID: acct, Name: "sales", Waiting: 3, Free: 1}}
	}
	code, out = e.do(e.key, "GET", "/api/v1/supervisor/queues", "")
	if q := out["queues"].([]any); code != 200 || len(q) != 1 || q[0].(map[string]any)["waiting"] != float64(3) {
		t.Fatalf("queues: %d %v", code, out)
	}
}

// TestAgentStaticEndpoint: an extension that is a static pjsip.conf
// endpoint cannot be provisioned: 409 on the extension saying what to do,
// not 503 "try again".
func TestAgentStaticEndpoint(t *testing.T) {
	e := newEnv(t)
	e.prov.ensure = func(acdconfig.Agent) error { return fmt.Errorf("provision agent1: %w", provision.ErrStatic) }
	code, out := e.do(e.key, "POST", "/api/v1/agents", js(map[string]any{"name": "A", "login_type": "softphone", "extension": "agent1"}))
	f, msg := errField(out)
	if code != 409 || f != "extension" || !strings.Contains(msg, "pjsip.conf") || strings.Contains(msg, "try again") {
		t.Fatalf("static endpoint: %d field %q msg %q", code, f, msg)
	}
}
