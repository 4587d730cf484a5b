package dialerapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
)

// TestTrunkNotTemplate: tenants name a trunk; a raw dial string is refused
// with a 400, and the resolved template is never shown.
func TestTrunkNotTemplate(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["endpoint_template"] = "PJSIP/agent1" }))
	if f, m := errField(out); code != 400 || f != "endpoint_template" || !strings.Contains(m, `choose a trunk by name in "trunk" (configured: carrier, test)`) {
		t.Fatalf("endpoint_template: %d %v", code, out)
	}
	code, out = e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { delete(m, "trunk") }))
	if code != 201 || out["trunk"] != "test" {
		t.Fatalf("no trunk: %d %v, want the default trunk test", code, out)
	}
	if _, shown := out["endpoint_template"]; shown {
		t.Errorf("the endpoint template is shown to the tenant: %v", out)
	}
}

func TestFlowDialing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := fmt.Sprintf("/api/v1/flows/%d/dialing", e.flow)

	code, out := e.do(e.key, "GET", base, "")
	if code != 200 || out["configured"] != false || out["mode"] != "automatic" || out["trunk"] != "test" ||
		out["simultaneous_calls"] != float64(10) || out["dial_attempts"] != float64(1) || out["flow_id"] != float64(e.flow) {
		t.Fatalf("defaults: %d %v", code, out)
	}
	// A partial PUT changes only what it names.
	code, out = e.do(e.key, "PUT", base, `{"simultaneous_calls": 3, "trunk": "carrier", "calling_window": {"start_minute": 540, "end_minute": 1260}}`)
	if code != 200 || out["configured"] != true || out["mode"] != "automatic" || out["trunk"] != "carrier" || out["simultaneous_calls"] != float64(3) ||
		out["dial_attempts"] != float64(1) || out["calling_window"].(map[string]any)["start_minute"] != float64(540) {
		t.Fatalf("put: %d %v", code, out)
	}
	sc, err := e.st.GetFlowCampaign(ctx, e.acct, fmt.Sprint(e.flow))
	if err != nil || sc.Status != "Running" || sc.Source != store.CampaignSourceFlow {
		t.Fatalf("stored: %+v %v", sc, err)
	}
	e.live.mu.Lock()
	notified := append([]int64(nil), e.live.notified...)
	e.live.mu.Unlock()
	if len(notified) != 1 || notified[0] != sc.ID {
		t.Errorf("notified %v, want [%d]", notified, sc.ID)
	}
	code, out = e.do(e.key, "PUT", base, `{"mode": "campaigns_only"}`)
	if code != 200 || out["mode"] != "campaigns_only" || out["simultaneous_calls"] != float64(3) {
		t.Fatalf("campaigns_only: %d %v", code, out)
	}
	if sc, err = e.st.GetFlowCampaign(ctx, e.acct, fmt.Sprint(e.flow)); err != nil || sc.Status != "Paused" {
		t.Fatalf("campaigns_only stored %+v %v, want Paused", sc, err)
	}
	if code, out = e.do(e.key, "GET", base, ""); code != 200 || out["mode"] != "campaigns_only" || out["trunk"] != "carrier" {
		t.Fatalf("get after put: %d %v", code, out)
	}

	// The dialing campaign is hidden from the campaign API.
	code, out = e.do(e.key, "GET", "/api/v1/campaigns", "")
	if code != 200 || len(out["campaigns"].([]any)) != 0 {
		t.Fatalf("list shows the flow's campaign: %d %v", code, out)
	}
	for _, r := range []struct{ method, path string }{
		{"GET", ""}, {"DELETE", ""}, {"POST", "/start"}, {"POST", "/pause"}, {"GET", "/progress"},
	} {
		if code, out := e.do(e.key, r.method, fmt.Sprintf("/api/v1/campaigns/%d%s", sc.ID, r.path), ""); code != 404 {
			t.Errorf("%s flow campaign%s: %d %v, want 404", r.method, r.path, code, out)
		}
	}

	// Validation.
	inbound, err := e.st.CreateFlow(ctx, e.acct, store.NewFlow{Name: "in", Type: "inbound", Draft: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key, path, body string
		code                  int
		field, msg            string
	}{
		{"bad mode", e.key, base, `{"mode": "sometimes"}`, 422, "mode", "automatic or campaigns_only"},
		{"unknown trunk", e.key, base, `{"trunk": "agents"}`, 422, "trunk", "not configured"},
		{"endpoint template", e.key, base, `{"endpoint_template": "PJSIP/{number}@agent1"}`, 400, "endpoint_template", "choose a trunk"},
		{"zero simultaneous", e.key, base, `{"simultaneous_calls": 0}`, 422, "simultaneous_calls", "1…1000"},
		{"too many attempts", e.key, base, `{"dial_attempts": 11}`, 422, "dial_attempts", "1…10"},
		{"negative retry", e.key, base, `{"retry_interval_sec": -1}`, 422, "retry_interval_sec", "0…604800"},
		{"empty window", e.key, base, `{"calling_window": {"start_minute": 60, "end_minute": 60}}`, 422, "calling_window", "empty"},
		{"long caller id", e.key, base, `{"caller_id": "` + strings.Repeat("1", 129) + `"}`, 422, "caller_id", "128"},
		{"unknown field", e.key, base, `{"simultaneous": 3}`, 422, "simultaneous", "unknown field"},
		{"wrong type", e.key, base, `{"dial_attempts": "two"}`, 422, "dial_attempts", "got a string"},
		{"inbound flow", e.key, fmt.Sprintf("/api/v1/flows/%d/dialing", inbound.ID), `{}`, 409, "", "inbound"},
		{"no such flow", e.key, "/api/v1/flows/999999/dialing", `{}`, 404, "", ""},
		{"other account's flow", e.other, base, `{}`, 404, "", ""},
		{"bad id", e.key, "/api/v1/flows/abc/dialing", `{}`, 422, "id", "positive integer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(tc.key, "PUT", tc.path, tc.body)
			f, m := errField(out)
			if code != tc.code || f != tc.field || !strings.Contains(m, tc.msg) {
				t.Errorf("%d field %q message %q; want %d %q containing %q", code, f, m, tc.code, tc.field, tc.msg)
			}
		})
	}
	if code, out := e.do(e.other, "GET", base, ""); code != 404 {
		t.Errorf("other account GET: %d %v", code, out)
	}
}

// TestCampaignOverAutoDialedRequest: a request its flow is already dialing
// cannot be listed in a hand-made campaign (409); listing a request that
// has not started reserves it.
func TestCampaignOverAutoDialedRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.st.ClaimCampaignRecords(ctx, store.Claim{AccountID: e.acct, FlowID: "1", Owner: "n1", Now: time.Now(),
		Lease: time.Minute, Limit: 1, MaxAttempts: 1}); err != nil {
		t.Fatal(err)
	}
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(nil))
	if _, m := errField(out); code != 409 || !strings.Contains(m, "already being dialed automatically") {
		t.Fatalf("campaign over an auto-dialed request: %d %v", code, out)
	}
	req, err := e.st.ImportCallList(ctx, store.CallListImport{AccountID: e.acct, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI},
		store.ImportRecords([]store.ImportRecord{{Row: 1, Numbers: []string{"+15550000009"}, Status: store.RecordPending}}))
	if err != nil {
		t.Fatal(err)
	}
	if code, out := e.do(e.key, "POST", "/api/v1/campaigns", e.body(func(m map[string]any) { m["recipients"] = []string{req.ID} })); code != 201 {
		t.Fatalf("campaign over a fresh request: %d %v", code, out)
	}
	if r, err := e.st.GetCallListRequest(ctx, e.acct, req.ID); err != nil || !r.CampaignsOnly {
		t.Fatalf("listed request not reserved: %+v %v", r, err)
	}
}
