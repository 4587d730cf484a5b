package dialerapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAgentFirstLeadWebhooks: an agent-first campaign takes its leads from
// a configured webhook of the account (no call list needed) and sends its
// call logs to another; unknown webhooks, misplaced settings and bad
// paths are refused naming the field; the settings round-trip.
func TestAgentFirstLeadWebhooks(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	for _, n := range []string{"next-lead", "crm-log"} {
		if _, err := e.st.PutWebhook(ctx, e.acct, n, json.RawMessage(`{"url":"https://crm.example.com/x"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.PutWebhook(ctx, e.acct2, "theirs", json.RawMessage(`{"url":"https://x.example.com"}`)); err != nil {
		t.Fatal(err)
	}
	agentFirst := func(m map[string]any) {
		m["mode"], m["queue"], m["lead_webhook"], m["log_webhook"], m["lead_number_path"] = "agent_first", "sales", "next-lead", "crm-log", "data.number"
		delete(m, "recipients")
		delete(m, "flow_id")
	}
	code, out := e.do(e.key, http.MethodPost, "/api/v1/campaigns", e.body(agentFirst))
	if code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	}
	if out["lead_webhook"] != "next-lead" || out["log_webhook"] != "crm-log" || out["lead_number_path"] != "data.number" {
		t.Errorf("created %v", out)
	}
	if r, _ := out["recipients"].([]any); r == nil || len(r) != 0 {
		t.Errorf("recipients %v, want []", out["recipients"])
	}
	id := int64(out["id"].(float64))
	code, out = e.do(e.key, http.MethodGet, "/api/v1/campaigns/"+jsonID(id), "")
	if code != http.StatusOK || out["lead_webhook"] != "next-lead" {
		t.Errorf("get: %d %v", code, out)
	}
	cases := []struct {
		name  string
		mod   func(m map[string]any)
		field string
		msg   string
	}{
		{"unknown lead webhook", func(m map[string]any) { agentFirst(m); m["lead_webhook"] = "nope" }, "lead_webhook", "not configured"},
		{"other account's webhook", func(m map[string]any) { agentFirst(m); m["log_webhook"] = "theirs" }, "log_webhook", "not configured"},
		{"not agent_first", func(m map[string]any) { m["lead_webhook"] = "next-lead" }, "lead_webhook", "only for mode agent_first"},
		{"bad path", func(m map[string]any) { agentFirst(m); m["lead_number_path"] = "a..b" }, "lead_number_path", "dot-separated"},
		{"no leads", func(m map[string]any) { agentFirst(m); delete(m, "lead_webhook"); delete(m, "lead_number_path") }, "recipients", "required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, http.MethodPost, "/api/v1/campaigns", e.body(tc.mod))
			f, m := errField(out)
			if code != http.StatusUnprocessableEntity || f != tc.field || !strings.Contains(m, tc.msg) {
				t.Fatalf("%d field %q message %q; want %q / %q", code, f, m, tc.field, tc.msg)
			}
		})
	}
}

func jsonID(id int64) string { b, _ := json.Marshal(id); return string(b) }
