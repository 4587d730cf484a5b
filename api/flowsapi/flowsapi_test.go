package flowsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/grammars"
	"github.com/switchyard/switchyard/store"
)

type env struct {
	t     *testing.T
	srv   *api.Server
	st    *store.Store
	key   string
	other string
	acct  int64
	acct2 int64
}

func newEnv(t *testing.T, mutate ...func(*Deps)) *env {
	t.Helper()
	fx := apistoretest.NewFixture(t)
	d := Deps{Store: fx.Store}
	for _, m := range mutate {
		m(&d)
	}
	Register(fx.Server.API(), d)
	return &env{t: t, srv: fx.Server, st: fx.Store, key: fx.Key, other: fx.OtherKey, acct: fx.Account, acct2: fx.Other}
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

func readExample(t *testing.T, name string) string {
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFlowsCRUDPublishAndVersions(t *testing.T) {
	e := newEnv(t)
	ivr := readExample(t, "ivr_menu.json")

	code, out := e.do(e.key, "POST", "/api/v1/flows/validate", ivr)
	if code != 200 || out["valid"] != true {
		t.Fatalf("validate: %d %v", code, out)
	}
	code, out = e.do(e.key, "POST", "/api/v1/flows/validate", readExample(t, "agent_connect.json"))
	if code != 200 || out["valid"] != false || !strings.Contains(fmt.Sprint(out["problems"]), "queue widget needs the agents-and-queues feature") {
		t.Fatalf("validate queue flow: %d %v", code, out)
	}

	code, out = e.do(e.key, "POST", "/api/v1/flows", ivr)
	if code != 201 || out["name"] != "Main line IVR" || out["published_version"] != float64(0) {
		t.Fatalf("create: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	base := fmt.Sprintf("/api/v1/flows/%d", id)

	// A document that is not a flow is refused with every problem, on
	// create and on update alike.
	notFlow := `{"format":1,"name":"x","type":"inbound","start":"a","nodes":[{"id":"a","type":"answer","bogus":1}]}`
	for _, m := range []struct{ method, path string }{{"POST", "/api/v1/flows"}, {"PUT", base}} {
		if code, out := e.do(e.key, m.method, m.path, notFlow); code != 422 || out["problems"] == nil {
			t.Errorf("%s not-a-flow: %d %v", m.method, code, out)
		}
	}

	// A draft may be invalid; publishing it is refused with every problem.
	broken := strings.Replace(ivr, `"exits": ["menu", "closed", "closed"]`, `"exits": ["nowhere", "closed", "closed"]`, 1)
	code, out = e.do(e.key, "PUT", base, broken)
	if code != 200 || len(out["problems"].([]any)) == 0 {
		t.Fatalf("update with broken draft: %d %v", code, out)
	}
	code, out = e.do(e.key, "POST", base+"/publish", "")
	if code != 422 || !strings.Contains(fmt.Sprint(out["problems"]), `dangling exit: no node has id "nowhere"`) {
		t.Fatalf("publish broken: %d %v", code, out)
	}
	if errBody := out["error"].(map[string]any); errBody["code"] != "invalid" || errBody["field"] != "nodes[hours].exits[0]" {
		t.Errorf("error envelope %v", errBody)
	}
	code, _ = e.do(e.key, "PUT", base, ivr)
	if code != 200 {
		t.Fatal(code)
	}
	code, out = e.do(e.key, "POST", base+"/publish", "")
	if code != 201 || out["version"] != float64(1) {
		t.Fatalf("publish: %d %v", code, out)
	}
	// Editing the draft does not change version 1.
	edited := strings.Replace(ivr, "Main line IVR", "Main line IVR v2", 1)
	if code, _ = e.do(e.key, "PUT", base, edited); code != 200 {
		t.Fatal(code)
	}
	code, out = e.do(e.key, "GET", base+"/versions/current", "")
	if code != 200 || out["version"] != float64(1) || !strings.Contains(fmt.Sprint(out["definition"]), "Main line IVR") || strings.Contains(fmt.Sprint(out["definition"]), "v2") {
		t.Fatalf("current version: %d %v", code, out)
	}
	e.do(e.key, "POST", base+"/publish", "")
	code, out = e.do(e.key, "GET", base+"/versions", "")
	if code != 200 || len(out["versions"].([]any)) != 2 {
		t.Fatalf("versions: %d %v", code, out)
	}
	// Other accounts see nothing.
	for _, p := range []string{base, base + "/versions", base + "/versions/1"} {
		if code, out = e.do(e.other, "GET", p, ""); code != 404 {
			t.Errorf("other account GET %s: %d %v", p, code, out)
		}
	}
	code, out = e.do(e.key, "GET", "/api/v1/flows", "")
	if code != 200 || len(out["flows"].([]any)) != 1 {
		t.Fatalf("list: %d %v", code, out)
	}
	// Bad input.
	for _, tc := range []struct{ body, field string }{
		{`{`, "document"},
		{`{"format":1,"name":"","type":"inbound","start":"a","nodes":[]}`, "name"},
		{`{"format":1,"name":"x","type":"sideways","start":"a","nodes":[]}`, "type"},
		{`{"format":1,"name":"x","type":"inbound","bogus":1}`, "document"},
	} {
		code, out = e.do(e.key, "POST", "/api/v1/flows", tc.body)
		if code != 422 || out["error"].(map[string]any)["field"] != tc.field {
			t.Errorf("create %s: %d %v", tc.body, code, out)
		}
	}
	if code, _ = e.do(e.key, "GET", "/api/v1/flows/abc", ""); code != 422 {
		t.Errorf("bad id: %d", code)
	}

	// DIDs route to inbound flows only.
	code, out = e.do(e.key, "PUT", "/api/v1/dids/+4930555001", fmt.Sprintf(`{"flow_id": %d}`, id))
	if code != 200 || out["did"] != "+4930555001" {
		t.Fatalf("put DID: %d %v", code, out)
	}
	code, out = e.do(e.key, "POST", "/api/v1/flows", readExample(t, "payment_reminder.json"))
	if code != 201 {
		t.Fatal(code, out)
	}
	out2 := int64(out["id"].(float64))
	if code, out = e.do(e.key, "PUT", "/api/v1/dids/+4930555002", fmt.Sprintf(`{"flow_id": %d}`, out2)); code != 422 || !strings.Contains(fmt.Sprint(out), "DIDs route to inbound flows") {
		t.Errorf("DID to outbound flow: %d %v", code, out)
	}
	if code, out = e.do(e.other, "POST", "/api/v1/flows", ivr); code != 201 {
		t.Fatalf("create the other account's flow: %d %v", code, out)
	}
	otherFlow := int64(out["id"].(float64))
	// A DID may only route to a published flow.
	if code, out = e.do(e.other, "PUT", "/api/v1/dids/+4930555009", fmt.Sprintf(`{"flow_id": %d}`, otherFlow)); code != 422 || out["error"].(map[string]any)["code"] != "flow_not_published" {
		t.Errorf("DID to an unpublished flow: %d %v", code, out)
	}
	if code, out = e.do(e.other, "POST", fmt.Sprintf("/api/v1/flows/%d/publish", otherFlow), ""); code/100 != 2 {
		t.Fatalf("publish the other account's flow: %d %v", code, out)
	}
	if code, out = e.do(e.other, "PUT", "/api/v1/dids/+4930555001", fmt.Sprintf(`{"flow_id": %d}`, otherFlow)); code != 409 {
		t.Errorf("DID of another account: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/dids", ""); code != 200 || len(out["dids"].([]any)) != 1 {
		t.Errorf("list DIDs: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "DELETE", "/api/v1/dids/+4930555001", ""); code != 204 {
		t.Errorf("delete DID: %d", code)
	}
	if code, _ = e.do(e.key, "DELETE", base, ""); code != 204 {
		t.Errorf("delete flow: %d", code)
	}
	if code, _ = e.do(e.key, "GET", base, ""); code != 404 {
		t.Errorf("deleted flow: %d", code)
	}
}

func TestWebhooksVariablesPolicyJourney(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "PUT", "/api/v1/webhooks/crm", `{"method":"POST","url":"https://crm.example.com/x?id=$flow.key.id","body_type":"json","body":{"a":"$user.key.tok"}}`)
	if code != 200 || out["name"] != "crm" {
		t.Fatalf("put webhook: %d %v", code, out)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"url":"ftp://x"}`, "url"},
		{`{"url":"https://x","method":"YEET"}`, "method"},
		{`{"url":"https://x","body_type":"xml"}`, "body_type"},
		{`{"url":"https://x","headers":{"A":"$sys.weather"}}`, "headers.A"},
		{`{"url":"https://x","colour":"red"}`, "colour"},
	} {
		code, out = e.do(e.key, "PUT", "/api/v1/webhooks/bad", tc.body)
		if code != 422 || out["error"].(map[string]any)["field"] != tc.field {
			t.Errorf("%s: %d %v", tc.body, code, out)
		}
	}
	if code, out = e.do(e.key, "GET", "/api/v1/webhooks", ""); code != 200 || len(out["webhooks"].([]any)) != 1 {
		t.Errorf("list webhooks: %d %v", code, out)
	}
	if code, _ = e.do(e.other, "GET", "/api/v1/webhooks/crm", ""); code != 404 {
		t.Errorf("other account webhook: %d", code)
	}
	if code, _ = e.do(e.key, "DELETE", "/api/v1/webhooks/crm", ""); code != 204 {
		t.Errorf("delete webhook: %d", code)
	}

	if code, out = e.do(e.key, "PUT", "/api/v1/variables/tok", `{"value":"s3cret"}`); code != 200 {
		t.Fatalf("put var: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/variables/$user.key.tok", ""); code != 200 || out["value"] != "s3cret" {
		t.Errorf("get var: %d %v", code, out)
	}
	if code, _ = e.do(e.other, "GET", "/api/v1/variables/tok", ""); code != 404 {
		t.Errorf("other account var: %d", code)
	}
	if code, out = e.do(e.key, "PUT", "/api/v1/variables/tok", `{}`); code != 422 || out["error"].(map[string]any)["field"] != "value" {
		t.Errorf("missing value: %d %v", code, out)
	}
	if code, out = e.do(e.key, "GET", "/api/v1/variables", ""); code != 200 || len(out["variables"].([]any)) != 1 {
		t.Errorf("list vars: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "DELETE", "/api/v1/variables/tok", ""); code != 204 {
		t.Errorf("delete var: %d", code)
	}

	if code, out = e.do(e.key, "GET", "/api/v1/http-policy", ""); code != 200 || out["allow_http"] != false {
		t.Errorf("default policy: %d %v", code, out)
	}
	// Widening is the operator's: the account gets 403 policy_operator_only.
	for _, body := range []string{
		`{"allow_http":true}`,
		`{"allow_networks":["127.0.0.1/32"]}`,
		`{"allow_networks":["10.0.0.0/8"]}`,
		`{"allow_networks":["169.254.169.254/32"]}`,
		`{"allow_networks":["fe80::/10"]}`,
	} {
		code, out = e.do(e.key, "PUT", "/api/v1/http-policy", body)
		if code != 403 || out["error"].(map[string]any)["code"] != "policy_operator_only" {
			t.Errorf("widen %s: %d %v", body, code, out)
		}
	}
	if _, err := e.st.GrantHTTPPolicy(context.Background(), e.acct, true, []string{"10.1.0.0/16"}); err != nil {
		t.Fatal(err)
	}
	if code, out = e.do(e.key, "PUT", "/api/v1/http-policy", `{"allow_http":true,"allow_networks":["10.1.2.0/24"]}`); code != 200 || fmt.Sprint(out["allow_networks"]) != "[10.1.2.0/24]" ||
		fmt.Sprint(out["granted_networks"]) != "[10.1.0.0/16]" || out["granted_http"] != true {
		t.Errorf("put policy within the grant: %d %v", code, out)
	}
	if code, _ = e.do(e.key, "PUT", "/api/v1/http-policy", `{"allow_networks":["10.0.0.0/8"]}`); code != 403 {
		t.Errorf("wider than the grant: %d", code)
	}
	if code, out = e.do(e.other, "GET", "/api/v1/http-policy", ""); code != 200 || fmt.Sprint(out["allow_networks"]) != "[]" || out["granted_http"] != false {
		t.Errorf("another account's policy: %d %v", code, out)
	}
	if code, out = e.do(e.key, "PUT", "/api/v1/http-policy", `{"allow_networks":["nope"]}`); code != 422 || out["error"].(map[string]any)["field"] != "allow_networks" {
		t.Errorf("bad policy: %d %v", code, out)
	}

	if code, _ = e.do(e.key, "GET", "/api/v1/calls/00000000-0000-0000-0000-000000000000/journey", ""); code != 404 {
		t.Errorf("unknown journey: %d", code)
	}
	if code, _ = e.do("nokey", "GET", "/api/v1/flows", ""); code != 401 {
		t.Errorf("no key: %d", code)
	}
}

// TestJourneyEndpoint stores a journey for a real attempt and reads it back.
func TestJourneyEndpoint(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, err := e.st.StartAttempt(ctx, store.AttemptStart{AccountID: e.acct, Direction: store.DirectionInbound, CLI: "+1", DNIS: "+2", ChannelID: "chan-1"})
	if err != nil {
		t.Fatal(err)
	}
	j := flows.Journey{FlowID: 1, Version: 1, Status: flows.StatusIVRFinished, Outcome: "finished", Steps: []flows.Step{{Node: "a", Type: "answer"}}}
	b, _ := json.Marshal(j)
	if err := e.st.SaveJourney(ctx, e.acct, a.ID, b); err != nil {
		t.Fatal(err)
	}
	code, out := e.do(e.key, "GET", "/api/v1/calls/"+a.ID+"/journey", "")
	if code != 200 || !strings.Contains(fmt.Sprint(out["steps"]), "IVR_FINISHED") {
		t.Fatalf("journey: %d %v", code, out)
	}
	if code, _ = e.do(e.other, "GET", "/api/v1/calls/"+a.ID+"/journey", ""); code != 404 {
		t.Errorf("other account journey: %d", code)
	}
}

// TestOpenAPIDocumentsRoutes: every route Register adds is in openapi.yaml.
func TestOpenAPIDocumentsRoutes(t *testing.T) {
	e := newEnv(t)
	spec, err := os.ReadFile(filepath.Join("..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pathRe := regexp.MustCompile(`(?m)^  (/[^:]*):\s*$`)
	inSpec := map[string]bool{}
	for _, m := range pathRe.FindAllStringSubmatch(string(spec), -1) {
		inSpec[m[1]] = true
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	base := api.New(api.Deps{}, nil)
	builtin := map[string]bool{}
	for _, r := range base.Echo().Routes() {
		builtin[r.Method+" "+r.Path] = true
	}
	n := 0
	for _, r := range e.srv.Echo().Routes() {
		if builtin[r.Method+" "+r.Path] || strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		n++
		p := param.ReplaceAllString(r.Path, "{$1}")
		if !inSpec[p] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, p)
		}
		method := strings.ToLower(r.Method)
		block := specBlock(string(spec), p)
		if !strings.Contains(block, "    "+method+":") {
			t.Errorf("openapi.yaml %s lacks %s", p, method)
		}
	}
	if n < 20 {
		t.Errorf("only %d flow routes registered", n)
	}
}

// specBlock returns the text of one path item in the spec.
func specBlock(spec, path string) string {
	i := strings.Index(spec, "\n  "+path+":\n")
	if i < 0 {
		return ""
	}
	rest := spec[i+len(path)+4:]
	if j := regexp.MustCompile(`\n  /`).FindStringIndex(rest); j != nil {
		rest = rest[:j[0]]
	}
	return rest
}

// TestSystemVariablesPublished: the system variable lists are served with
// when each is set, and the refused Phonon variable names ($call.cost, ...)
// with their reason.
func TestSystemVariablesPublished(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "GET", "/api/v1/flows/variables/system", "")
	if code != 200 {
		t.Fatalf("%d %v", code, out)
	}
	find := func(list, name string) map[string]any {
		items, _ := out[list].([]any)
		for _, it := range items {
			if m, _ := it.(map[string]any); m["name"] == name {
				return m
			}
		}
		return nil
	}
	if m := find("call", "$call.state"); m == nil || m["always"] != true || !strings.Contains(m["description"].(string), "dialing") {
		t.Errorf("$call.state: %v", m)
	}
	if m := find("call", "$call.agent.cli"); m == nil || m["always"] != false || m["when"] == "" {
		t.Errorf("$call.agent.cli: %v", m)
	}
	if m := find("event", "$event.type"); m == nil {
		t.Errorf("$event.type missing")
	}
	if m := find("unsupported", "$call.cost"); m == nil || m["reason"] == "" {
		t.Errorf("$call.cost: %v", m)
	}
	if code, _ := e.do("", "GET", "/api/v1/flows/variables/system", ""); code != 401 {
		t.Errorf("without key: %d", code)
	}
}

// TestValidatePublishWarnAboutBlockedWebhooks: a webhook the account's
// HTTP policy would block (plain http, a private address) is reported by
// validate and publish, not only when a call reaches the widget.
func TestValidatePublishWarnAboutBlockedWebhooks(t *testing.T) {
	e := newEnv(t)
	if code, out := e.do(e.key, "PUT", "/api/v1/webhooks/internal", `{"method":"GET","url":"https://10.0.0.5/hook"}`); code != 200 {
		t.Fatalf("webhook: %d %v", code, out)
	}
	doc := `{"format":1,"name":"hooks","type":"inbound","start":"a","variables":["host"],"nodes":[
	  {"id":"a","type":"webhook","params":{"method":"GET","url":"http://crm.example.com/x"},"exits":["b","b"]},
	  {"id":"b","type":"webhook","params":{"webhook":"internal"},"exits":["c","c"]},
	  {"id":"c","type":"webhook","params":{"method":"GET","url":"https://$flow.key.host/x"},"exits":["d","d"]},
	  {"id":"d","type":"webhook","params":{"method":"GET","url":"https://93.184.216.34/ok"},"exits":["z","z"]},
	  {"id":"z","type":"hangup"}]}`
	messages := func(out map[string]any) map[string]string {
		got := map[string]string{}
		ws, _ := out["warnings"].([]any)
		for _, w := range ws {
			m, _ := w.(map[string]any)
			got[fmt.Sprint(m["node"])] = fmt.Sprint(m["message"])
		}
		return got
	}
	check := func(what string, code int, out map[string]any, wantCode int) {
		t.Helper()
		got := messages(out)
		if code != wantCode || len(got) != 2 || !strings.Contains(got["a"], "http://") || !strings.Contains(got["b"], "10.0.0.5") {
			t.Errorf("%s: %d warnings %v (%v)", what, code, got, out)
		}
	}
	code, out := e.do(e.key, "POST", "/api/v1/flows/validate", doc)
	if out["valid"] != true {
		t.Fatalf("validate: %d %v", code, out)
	}
	check("validate", code, out, 200)
	code, out = e.do(e.key, "POST", "/api/v1/flows", doc)
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	code, out = e.do(e.key, "POST", fmt.Sprintf("/api/v1/flows/%v/publish", out["id"]), "")
	check("publish", code, out, 201)
	// Allowed by the policy (the operator grants, the account opts in): no warnings.
	if _, err := e.st.GrantHTTPPolicy(context.Background(), e.acct, true, []string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if code, out := e.do(e.key, "PUT", "/api/v1/http-policy", `{"allow_http":true,"allow_networks":["10.0.0.0/8"]}`); code != 200 {
		t.Fatalf("policy: %d %v", code, out)
	}
	if code, out = e.do(e.key, "POST", "/api/v1/flows/validate", doc); code != 200 || len(messages(out)) != 0 {
		t.Errorf("after allowing: %d %v", code, out)
	}
}

// TestJourneyRecordingLink: the journey's recording_uri is shown as the
// recording's download URL; journeys without one are unchanged.
func TestJourneyRecordingLink(t *testing.T) {
	url := func(name string) string { return "http://sy/recordings/" + name + "?signature=s" }
	in := json.RawMessage(`{"flow_id":1,"recorded":true,"recording_uri":"recording:call_1_2_x","recordings":["call_1_2_x.gsm"]}`)
	var got map[string]any
	if err := json.Unmarshal(journeyLinks(in, url), &got); err != nil {
		t.Fatal(err)
	}
	if got["recording_uri"] != "http://sy/recordings/call_1_2_x?signature=s" || got["recorded"] != true {
		t.Errorf("journey %v", got)
	}
	plain := json.RawMessage(`{"flow_id":1,"recorded":false}`)
	if out := journeyLinks(plain, url); string(out) != string(plain) {
		t.Errorf("journey without a recording changed: %s", out)
	}
	if out := journeyLinks(in, nil); string(out) != string(in) {
		t.Errorf("no links configured: %s", out)
	}
}

// TestPublishChecksSay: publishing refuses a say widget whose grammar
// cannot say its fixed value (not a date) or that names an unknown
// grammar, with the node and field; a value from variables publishes when
// the grammar says values of its kind.
func TestPublishChecksSay(t *testing.T) {
	e := newEnv(t, func(d *Deps) {
		d.Sayer = &grammars.Service{Store: d.Store.(*store.Store)}
	})
	flow := func(params string) string {
		return `{"format":1,"name":"say","type":"inbound","start":"s","variables":["due"],"nodes":[
		  {"id":"s","type":"say","params":` + params + `,"exits":["z","z"]},
		  {"id":"z","type":"hangup"}]}`
	}
	for _, c := range []struct {
		name, params string
		code         int
		field, msg   string
	}{
		{"not a date", `{"type":"date","value":"2026-13-45"}`, 422, "params.value", "2026-13-45"},
		{"unknown grammar", `{"type":"number","value":"$flow.key.due","grammar":"nope"}`, 422, "params.grammar", "unknown grammar"},
		{"fixed date", `{"type":"date","value":"2026-03-15"}`, 201, "", ""},
		{"date from a variable", `{"type":"date","value":"$flow.key.due"}`, 201, "", ""},
		{"text-to-speech", `{"type":"time","value":"21:30","tts":true}`, 201, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/flows", flow(c.params))
			if code != 201 {
				t.Fatalf("create: %d %v", code, out)
			}
			code, out = e.do(e.key, "POST", fmt.Sprintf("/api/v1/flows/%v/publish", out["id"]), "")
			if code != c.code {
				t.Fatalf("publish: %d %v; want %d", code, out, c.code)
			}
			if c.code == 201 {
				return
			}
			b, err := json.Marshal(out)
			if err != nil {
				t.Fatal(err)
			}
			if s := string(b); !strings.Contains(s, `"node":"s"`) || !strings.Contains(s, c.field) || !strings.Contains(s, c.msg) {
				t.Errorf("problems %s; want node s, %s, %q", s, c.field, c.msg)
			}
		})
	}
}
