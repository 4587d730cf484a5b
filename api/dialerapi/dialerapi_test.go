package dialerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/campaigns"
	"github.com/switchyard/switchyard/store"
)

// fakeLive records notifications and serves a fixed live view.
type fakeLive struct {
	mu       sync.Mutex
	notified []int64
	live     map[int64]dialer.Progress
}

func (f *fakeLive) Notify(_ context.Context, _, id int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notified = append(f.notified, id)
	return nil
}

func (f *fakeLive) Progress(_, id int64) (dialer.Progress, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.live[id]
	return p, ok
}

type env struct {
	t     testing.TB
	srv   *api.Server
	st    *store.Store
	live  *fakeLive
	key   string
	other string
	acct  int64
	acct2 int64
	req   string // a call-list request of acct
	flow  int64  // a published flow of acct
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	fx := apistoretest.NewFixture(t)
	st, srv, acct := fx.Store, fx.Server, fx.Account
	live := &fakeLive{live: map[int64]dialer.Progress{}}
	Register(srv.API(), Deps{Campaigns: campaigns.New(campaigns.Config{Store: st, Live: live, DefaultTrunk: "test",
		Trunks: dialer.Trunks{"test": "Local/{number}@test-trunk", "carrier": "PJSIP/{number}@carrier"}})})
	req, err := st.ImportCallList(ctx, store.CallListImport{AccountID: acct, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI},
		store.ImportRecords([]store.ImportRecord{
			{Row: 1, Numbers: []string{"+15550000001"}, Status: store.RecordPending},
			{Row: 2, Numbers: []string{"+15550000002"}, Status: store.RecordPending},
			{Row: 3, Numbers: []string{"+15550000003"}, Status: store.RecordPending},
		}))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := st.CreateFlow(ctx, acct, store.NewFlow{Name: "reminder", Type: "outbound", Draft: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, acct, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateQueue(ctx, store.Queue{Queue: acdconfig.Queue{AccountID: acct, Name: "sales", Strategy: "ringall", RingTimeout: time.Second, Timeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	return &env{t: t, srv: srv, st: st, live: live, key: fx.Key, other: fx.OtherKey, acct: acct, acct2: fx.Other, req: req.ID, flow: f.ID}
}

func (e *env) do(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

func (e *env) body(mod func(m map[string]any)) string {
	m := map[string]any{
		"name": "March reminders", "recipients": []string{e.req}, "caller_id": "+15551230000",
		"trunk": "carrier", "simultaneous_calls": 5, "dial_attempts": 2,
		"retry_interval_sec": 60, "flow_id": e.flow,
	}
	if mod != nil {
		mod(m)
	}
	b, _ := json.Marshal(m)
	return string(b)
}

func errField(out map[string]any) (string, string) {
	eb, _ := out["error"].(map[string]any)
	f, _ := eb["field"].(string)
	m, _ := eb["message"].(string)
	return f, m
}

func TestCampaignCRUD(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(nil))
	if code != 201 || out["status"] != "Created" || out["mode"] != "multicast" || out["type"] != "telephone" ||
		out["name"] != "March reminders" || out["account_id"] != float64(e.acct) || out["simultaneous_calls"] != float64(5) {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	base := fmt.Sprintf("/api/v1/campaigns/%d", id)

	code, out = e.do(e.key, "GET", base, "")
	// flow_id is an integer like every other id.
	if code != 200 || out["name"] != "March reminders" || out["flow_id"] != float64(e.flow) {
		t.Fatalf("get: %d %v", code, out)
	}
	code, out = e.do(e.key, "GET", "/api/v1/campaigns", "")
	if code != 200 || len(out["campaigns"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	code, out = e.do(e.key, "GET", "/api/v1/campaigns?status=Running", "")
	if code != 200 || len(out["campaigns"].([]any)) != 0 {
		t.Fatalf("list running: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/campaigns?status=running", ""); code != 422 {
		t.Fatalf("list bad status: %d %v", code, out)
	}
	// Searchable by started/ended: a campaign that never started matches
	// no started_* bound; a bad time is 422 on its parameter.
	if code, out = e.do(e.key, "GET", "/api/v1/campaigns?started_from=2000-01-01T00:00:00Z", ""); code != 200 || len(out["campaigns"].([]any)) != 0 {
		t.Fatalf("list started_from: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/campaigns?ended_to=yesterday", ""); code != 422 {
		t.Fatalf("list bad ended_to: %d %v", code, out)
	} else if f, _ := errField(out); f != "ended_to" {
		t.Fatalf("bad ended_to field %q", f)
	}
	code, out = e.do(e.key, "PUT", base, e.body(func(m map[string]any) { m["name"] = "April"; m["simultaneous_calls"] = 9 }))
	if code != 200 || out["name"] != "April" || out["simultaneous_calls"] != float64(9) || out["status"] != "Created" {
		t.Fatalf("update: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "DELETE", base, ""); code != 204 {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = e.do(e.key, "GET", base, ""); code != 404 {
		t.Fatalf("get deleted: %d", code)
	}
}

func TestCampaignValidation(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name  string
		mod   func(m map[string]any)
		raw   string
		field string
		msg   string
	}{
		{name: "no name", mod: func(m map[string]any) { m["name"] = " " }, field: "name", msg: "name must be"},
		{name: "bad mode", mod: func(m map[string]any) { m["mode"] = "preview" }, field: "mode", msg: "predictive"},
		{name: "predictive without queue", mod: func(m map[string]any) { m["mode"] = "predictive" }, field: "queue", msg: "queue is required"},
		{name: "abandon cap over 100", mod: func(m map[string]any) { m["abandon_cap_pct"] = 101 }, field: "abandon_cap_pct", msg: "up to 100"},
		{name: "safe harbor not media", mod: func(m map[string]any) { m["safe_harbor_sound"] = "beep" }, field: "safe_harbor_sound", msg: "sound:name"},
		{name: "machine flow without amd", mod: func(m map[string]any) { m["machine_action"], m["machine_flow_id"] = "flow", "3" }, field: "machine_action", msg: "needs amd"},
		{name: "machine action unknown", mod: func(m map[string]any) { m["amd"], m["machine_action"] = true, "voicemail" }, field: "machine_action", msg: "hangup or flow"},
		{name: "no recipients", mod: func(m map[string]any) { m["recipients"] = []string{} }, field: "recipients", msg: "1…100"},
		{name: "unknown request", mod: func(m map[string]any) { m["recipients"] = []string{"0190aaaa-0000-7000-8000-000000000000"} }, field: "recipients", msg: "not found in the account"},
		{name: "unknown trunk", mod: func(m map[string]any) { m["trunk"] = "agents" }, field: "trunk", msg: "not configured (configured: carrier, test)"},
		{name: "negative simultaneous", mod: func(m map[string]any) { m["simultaneous_calls"] = -1 }, field: "simultaneous_calls", msg: "1…1000"},
		{name: "too many attempts", mod: func(m map[string]any) { m["dial_attempts"] = 11 }, field: "dial_attempts", msg: "1…10"},
		{name: "progressive without queue", mod: func(m map[string]any) { m["mode"] = "progressive" }, field: "queue", msg: "queue is required"},
		{name: "bad window", mod: func(m map[string]any) { m["calling_window"] = map[string]int{"start_minute": 60, "end_minute": 60} }, field: "calling_window", msg: "empty"},
		{name: "negative cps", mod: func(m map[string]any) { m["calls_per_second"] = -1 }, field: "calls_per_second", msg: "no cap"},
		{name: "flow not a number", mod: func(m map[string]any) { m["flow_id"] = "abc" }, field: "flow_id", msg: "not a flow id"},
		{name: "flow id a boolean", mod: func(m map[string]any) { m["flow_id"] = true }, field: "flow_id", msg: "integer flow ids"},
		{name: "flow id a fraction", mod: func(m map[string]any) { m["flow_id"] = 1.5 }, field: "flow_id", msg: "integer flow ids"},
		{name: "unknown flow", mod: func(m map[string]any) { m["flow_id"] = "999999" }, field: "flow_id", msg: "does not exist"},
		{name: "unknown field", mod: func(m map[string]any) { m["simultaneous"] = 3 }, field: "simultaneous", msg: "unknown field"},
		{name: "wrong type", mod: func(m map[string]any) { m["dial_attempts"] = "two" }, field: "dial_attempts", msg: "got a string"},
		{name: "not json", raw: "{", field: "body", msg: "the campaign: the JSON ends too early"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.raw
			if body == "" {
				body = e.body(tc.mod)
			}
			code, out := e.do(e.key, "POST", "/api/v1/campaigns", body)
			f, m := errField(out)
			if code != 422 || f != tc.field || !strings.Contains(m, tc.msg) {
				t.Errorf("%d field %q message %q; want 422 %q containing %q", code, f, m, tc.field, tc.msg)
			}
		})
	}
	// An unpublished flow is refused.
	f, err := e.st.CreateFlow(context.Background(), e.acct, store.NewFlow{Name: "draft", Type: "outbound", Draft: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["flow_id"] = fmt.Sprint(f.ID) }))
	if fld, m := errField(out); code != 422 || fld != "flow_id" || !strings.Contains(m, "not published") {
		t.Errorf("unpublished flow: %d %v", code, out)
	}
	if code, _ := e.do(e.key, "GET", "/api/v1/campaigns/abc", ""); code != 422 {
		t.Errorf("bad id: %d", code)
	}
}

// TestCampaignRefsCheckedAtCreate: what a campaign refers to is checked
// when it is created or edited, each with its own code: the queue exists
// in the account, flow_id and machine_flow_id are published flows of the
// account of an outbound type.
func TestCampaignRefsCheckedAtCreate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	draft, err := e.st.CreateFlow(ctx, e.acct, store.NewFlow{Name: "draft", Type: "outbound_dialer", Draft: doc})
	if err != nil {
		t.Fatal(err)
	}
	inbound, err := e.st.CreateFlow(ctx, e.acct, store.NewFlow{Name: "ivr", Type: "inbound", Draft: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PublishFlow(ctx, e.acct, inbound.ID); err != nil {
		t.Fatal(err)
	}
	// Another account's queue and flow are not this account's.
	otherFlow, err := e.st.CreateFlow(ctx, e.acct2, store.NewFlow{Name: "theirs", Type: "outbound_dialer", Draft: doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.PublishFlow(ctx, e.acct2, otherFlow.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateQueue(ctx, store.Queue{Queue: acdconfig.Queue{AccountID: e.acct2, Name: "theirs", Strategy: "ringall", RingTimeout: time.Second, Timeout: time.Second}}); err != nil {
		t.Fatal(err)
	}
	machine := func(id int64) func(m map[string]any) {
		return func(m map[string]any) {
			m["amd"], m["machine_action"], m["machine_flow_id"] = true, "flow", fmt.Sprint(id)
		}
	}
	for _, tc := range []struct {
		name, code, field string
		mod               func(m map[string]any)
	}{
		{"unknown queue", "queue_not_found", "queue", func(m map[string]any) { m["mode"], m["queue"] = "progressive", "salse" }},
		{"another account's queue", "queue_not_found", "queue", func(m map[string]any) { m["mode"], m["queue"] = "progressive", "theirs" }},
		{"inbound flow", "flow_type_mismatch", "flow_id", func(m map[string]any) { m["flow_id"] = fmt.Sprint(inbound.ID) }},
		{"unpublished flow", "flow_not_published", "flow_id", func(m map[string]any) { m["flow_id"] = fmt.Sprint(draft.ID) }},
		{"another account's flow", "flow_not_found", "flow_id", func(m map[string]any) { m["flow_id"] = fmt.Sprint(otherFlow.ID) }},
		{"unknown machine flow", "flow_not_found", "machine_flow_id", machine(999999)},
		{"unpublished machine flow", "flow_not_published", "machine_flow_id", machine(draft.ID)},
		{"inbound machine flow", "flow_type_mismatch", "machine_flow_id", machine(inbound.ID)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(tc.mod))
			eb, _ := out["error"].(map[string]any)
			if code != 422 || eb["code"] != tc.code || eb["field"] != tc.field {
				t.Errorf("create: %d %v; want 422 %s on %s", code, out, tc.code, tc.field)
			}
		})
	}
	// The same checks on an edit.
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["mode"], m["queue"] = "progressive", "sales" }))
	if code != 201 {
		t.Fatalf("create with the account's queue: %d %v", code, out)
	}
	code, out = e.do(e.key, "PUT", fmt.Sprintf("/api/v1/campaigns/%v", out["id"]), e.body(func(m map[string]any) { m["flow_id"] = fmt.Sprint(draft.ID) }))
	if eb, _ := out["error"].(map[string]any); code != 422 || eb["code"] != "flow_not_published" {
		t.Errorf("edit to an unpublished flow: %d %v", code, out)
	}
	// A published machine flow is accepted.
	code, out = e.do(e.key, "POST", "/api/v1/campaigns", e.body(machine(e.flow)))
	if code != 201 {
		t.Errorf("published machine flow: %d %v", code, out)
	}
}

func TestCampaignLifecycle(t *testing.T) {
	e := newEnv(t)
	_, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(nil))
	id := int64(out["id"].(float64))
	base := fmt.Sprintf("/api/v1/campaigns/%d", id)

	steps := []struct {
		action string
		code   int
		status string // after, or the status named in the 409 message
	}{
		{"pause", 409, "Created"},
		{"resume", 409, "Created"},
		{"cancel", 409, "Created"},
		{"start", 200, "Running"},
		{"start", 409, "Running"},
		{"pause", 200, "Paused"},
		{"pause", 409, "Paused"},
		{"resume", 200, "Running"},
		{"cancel", 200, "Cancelled"},
		{"resume", 409, "Cancelled"},
		{"start", 200, "Running"},
	}
	notified := 0
	for _, s := range steps {
		code, out := e.do(e.key, "POST", base+"/"+s.action, "")
		if code != s.code {
			t.Fatalf("%s: %d %v, want %d", s.action, code, out, s.code)
		}
		if code == 200 {
			notified++
			if out["status"] != s.status {
				t.Fatalf("%s: status %v, want %s", s.action, out["status"], s.status)
			}
			continue
		}
		if _, m := errField(out); !strings.Contains(m, "it is "+s.status) || !strings.Contains(m, "cannot "+s.action) {
			t.Errorf("%s: message %q does not name status %s", s.action, m, s.status)
		}
	}
	e.live.mu.Lock()
	if len(e.live.notified) != notified {
		t.Errorf("supervisor notified %d times, want %d", len(e.live.notified), notified)
	}
	e.live.mu.Unlock()

	// Running: neither editable nor removable.
	code, out := e.do(e.key, "PUT", base, e.body(nil))
	if _, m := errField(out); code != 409 || !strings.Contains(m, "is Running") {
		t.Errorf("edit running: %d %v", code, out)
	}
	code, out = e.do(e.key, "DELETE", base, "")
	if _, m := errField(out); code != 409 || !strings.Contains(m, "is Running") {
		t.Errorf("delete running: %d %v", code, out)
	}
	code, _ = e.do(e.key, "POST", base+"/pause", "")
	code2, out := e.do(e.key, "PUT", base, e.body(nil))
	if _, m := errField(out); code != 200 || code2 != 409 || !strings.Contains(m, "is Paused") {
		t.Errorf("edit paused: %d %v", code2, out)
	}
	// Cancelled: not editable (only Created/Finished are), but removable.
	e.do(e.key, "POST", base+"/cancel", "")
	code, out = e.do(e.key, "PUT", base, e.body(nil))
	if _, m := errField(out); code != 409 || !strings.Contains(m, "is Cancelled") {
		t.Errorf("edit cancelled: %d %v", code, out)
	}
	if code, _ := e.do(e.key, "POST", "/api/v1/campaigns/999999/start", ""); code != 404 {
		t.Errorf("start unknown: %d", code)
	}
}

func TestCampaignProgress(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(nil))
	id := int64(out["id"].(float64))
	path := fmt.Sprintf("/api/v1/campaigns/%d/progress", id)

	code, out := e.do(e.key, "GET", path, "")
	if code != 200 || out["remaining"] != float64(3) || out["pending"] != float64(3) || out["dialed"] != float64(0) ||
		out["status"] != "Created" || out["live"] != nil || out["dial_level"] != nil {
		t.Fatalf("fresh: %d %v", code, out)
	}
	// Two attempts through the store: one answered, one busy (final).
	rs, err := e.st.ClaimCampaignRecords(ctx, store.Claim{AccountID: e.acct, RequestIDs: []string{e.req}, Owner: "n1",
		Now: time.Now(), Lease: time.Minute, Limit: 2, MaxAttempts: 5})
	if err != nil || len(rs) != 2 {
		t.Fatalf("claim: %v %v", rs, err)
	}
	for i, st := range []string{"IVR_FINISHED", "BUSY"} {
		if err := e.st.FinishCampaignAttempt(ctx, store.AttemptOutcome{AccountID: e.acct, RecordID: rs[i].ID, Owner: "n1", Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	e.live.mu.Lock()
	e.live.live[id] = dialer.Progress{Dialed: 2, Answered: 1, Active: 0, DialLevel: 5}
	e.live.mu.Unlock()
	code, out = e.do(e.key, "GET", path, "")
	bs, _ := out["by_status"].(map[string]any)
	live, _ := out["live"].(map[string]any)
	if code != 200 || out["dialed"] != float64(2) || out["answered"] != float64(1) || out["remaining"] != float64(1) ||
		out["complete"] != float64(2) || bs["BUSY"] != float64(1) || bs["IVR_FINISHED"] != float64(1) ||
		out["dial_level"] != float64(5) || live["dialed"] != float64(2) {
		t.Fatalf("progress: %d %v", code, out)
	}
}

// TestTenantIsolation: another account sees none of the campaign.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	_, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(nil))
	id := int64(out["id"].(float64))
	base := fmt.Sprintf("/api/v1/campaigns/%d", id)
	for _, r := range []struct{ method, path, body string }{
		{"GET", base, ""},
		{"PUT", base, e.body(func(m map[string]any) { m["recipients"] = []string{"x"}; m["flow_id"] = "" })},
		{"DELETE", base, ""},
		{"POST", base + "/start", ""},
		{"POST", base + "/pause", ""},
		{"POST", base + "/resume", ""},
		{"POST", base + "/cancel", ""},
		{"GET", base + "/progress", ""},
	} {
		if code, out := e.do(e.other, r.method, r.path, r.body); code != 404 {
			t.Errorf("other account %s %s: %d %v", r.method, r.path, code, out)
		}
	}
	if code, out := e.do(e.other, "GET", "/api/v1/campaigns", ""); code != 200 || len(out["campaigns"].([]any)) != 0 {
		t.Errorf("other account list: %d %v", code, out)
	}
	// Another account can use neither this account's call lists nor its flows.
	if code, out := e.do(e.other, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["flow_id"] = "" })); code != 422 {
		t.Errorf("other account with foreign recipients: %d %v", code, out)
	}
	if code, out := e.do(e.other, "POST", "/api/v1/campaigns", e.body(nil)); code != 422 {
		t.Errorf("other account with foreign flow: %d %v", code, out)
	}
	if code, out := e.do(e.key, "GET", base, ""); code != 200 || out["status"] != "Created" {
		t.Errorf("owner after the other account's attempts: %d %v", code, out)
	}
	if code, _ := e.do("", "GET", "/api/v1/campaigns", ""); code != 401 {
		t.Errorf("no key: %d", code)
	}
}

// TestRoutesDocumented: every route this package serves is in openapi.yaml.
func TestRoutesDocumented(t *testing.T) {
	e := newEnv(t)
	doc := api.DocumentedPaths()
	n := 0
	for _, r := range e.srv.Echo().Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/campaigns") {
			continue
		}
		n++
		if p := api.SpecPath(r.Path); !doc[p] {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, p)
		}
	}
	if n != 10 {
		t.Errorf("%d campaign routes, want 10", n)
	}
}

// FuzzCreateCampaign: any body is a campaign (201) or a clear client
// error (422 naming a field, 413), never a server error.
func FuzzCreateCampaign(f *testing.F) {
	e := newEnv(f)
	f.Add(e.body(nil))
	f.Add(`{"name":"x","recipients":["a","a"],"trunk":"test","simultaneous_calls":1}`)
	f.Add(`{"name":"x","calling_window":{"start_minute":-1}}`)
	f.Add(`{"multiplier":1e400}`)
	f.Add(`[]`)
	f.Add(`{"name":"x"} {"name":"y"}`)
	f.Add(`null`)
	f.Fuzz(func(t *testing.T, body string) {
		e.t = t
		code, out := e.do(e.key, "POST", "/api/v1/campaigns", body)
		switch code {
		case 201:
		case 422:
			if f, _ := errField(out); f == "" {
				t.Errorf("422 without a field: %v", out)
			}
		case 413:
		default:
			t.Errorf("%d %v", code, out)
		}
	})
}

// TestPredictiveProgressAndRescheduledOnCancel: a predictive campaign's
// progress reports the 24 h / 30 d abandon rates from the store; a cancel
// ends its rescheduled records as RESCHEDULED.
func TestPredictiveProgressAndRescheduledOnCancel(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) {
		m["mode"], m["queue"], m["abandon_cap_pct"], m["safe_harbor_sound"], m["amd"] = "predictive", "sales", 2, "sound:safe", true
	}))
	if code != 201 || out["mode"] != "predictive" || out["abandon_cap_pct"] != float64(2) || out["safe_harbor_sound"] != "sound:safe" || out["amd"] != true {
		t.Fatalf("create predictive: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if code, _ := e.do(e.key, "POST", fmt.Sprintf("/api/v1/campaigns/%d/start", id), ""); code != 200 {
		t.Fatalf("start: %d", code)
	}
	rs, err := e.st.ClaimCampaignRecords(ctx, store.Claim{AccountID: e.acct, RequestIDs: []string{e.req}, Owner: "n1",
		Now: time.Now(), Lease: time.Minute, Limit: 3, MaxAttempts: 5})
	if err != nil || len(rs) != 3 {
		t.Fatalf("claim: %v %v", rs, err)
	}
	outs := []store.AttemptOutcome{
		{Status: "QUEUE_ANSWER", Live: true},
		{Status: "ABANDONED", Live: true, Abandoned: true},
		{Status: "QUEUE_ANSWER", Live: true, Retry: true, Rescheduled: true, NextAttemptAt: time.Now().Add(time.Hour)},
	}
	for i, o := range outs {
		o.AccountID, o.RecordID, o.Owner, o.CampaignID = e.acct, rs[i].ID, "n1", id
		if err := e.st.FinishCampaignAttempt(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d/progress", id)
	code, out = e.do(e.key, "GET", path, "")
	ab, _ := out["abandon"].(map[string]any)
	day, _ := ab["day"].(map[string]any)
	month, _ := ab["month"].(map[string]any)
	if code != 200 || out["abandoned"] != float64(1) || out["answered"] != float64(2) || ab["cap_pct"] != float64(2) ||
		day["answered"] != float64(3) || day["rate_pct"] != float64(33.33) || month["abandoned"] != float64(1) {
		t.Fatalf("progress: %d %v", code, out)
	}
	if code, _ := e.do(e.key, "POST", fmt.Sprintf("/api/v1/campaigns/%d/cancel", id), ""); code != 200 {
		t.Fatalf("cancel: %d", code)
	}
	_, out = e.do(e.key, "GET", path, "")
	bs, _ := out["by_status"].(map[string]any)
	if bs["RESCHEDULED"] != float64(1) || out["remaining"] != float64(0) {
		t.Fatalf("after cancel: %v", out)
	}
}

// TestCampaignSimultaneousCallsBlank: Simultaneous calls may be left blank
// (the default, 10, applies); with "only dial out when there are free
// members in the queue" the pacer ignores it anyway.
func TestCampaignSimultaneousCallsBlank(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { delete(m, "simultaneous_calls") }))
	if code != 201 || out["simultaneous_calls"] != float64(10) {
		t.Fatalf("create without simultaneous_calls: %d %v, want 201 with the default 10", code, out)
	}
}
