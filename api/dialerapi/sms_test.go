package dialerapi

import (
	"fmt"
	"strings"
	"testing"
)

// TestSMSCampaignAPI: an sms campaign is created, read and edited with its
// sms_text and no trunk, flow or extension; bad sms input is a 422 on its
// field.
func TestSMSCampaignAPI(t *testing.T) {
	e := newEnv(t)
	sms := func(mod func(m map[string]any)) string {
		return e.body(func(m map[string]any) {
			m["type"], m["sms_text"] = "sms", "Hi ${flow.key.name}, your code is $flow.key.code"
			delete(m, "trunk")
			delete(m, "flow_id")
			if mod != nil {
				mod(m)
			}
		})
	}
	code, out := e.do(e.key, "POST", "/api/v1/campaigns", sms(nil))
	if code != 201 || out["type"] != "sms" || out["sms_text"] != "Hi ${flow.key.name}, your code is $flow.key.code" || out["trunk"] != "" || out["flow_id"] != nil {
		t.Fatalf("create: %d %v", code, out)
	}
	base := fmt.Sprintf("/api/v1/campaigns/%d", int64(out["id"].(float64)))
	if code, out = e.do(e.key, "GET", base, ""); code != 200 || out["sms_text"] != "Hi ${flow.key.name}, your code is $flow.key.code" {
		t.Fatalf("get: %d %v", code, out)
	}
	if code, out = e.do(e.key, "PUT", base, sms(func(m map[string]any) { m["sms_text"] = "Bye $call.dnis" })); code != 200 || out["sms_text"] != "Bye $call.dnis" {
		t.Fatalf("update: %d %v", code, out)
	}
	for _, tc := range []struct {
		name       string
		body       string
		field, msg string
	}{
		{"no text", sms(func(m map[string]any) { delete(m, "sms_text") }), "sms_text", "required"},
		{"too long", sms(func(m map[string]any) { m["sms_text"] = strings.Repeat("x", 1531) }), "sms_text", "at most 1530"},
		{"unknown variable", sms(func(m map[string]any) { m["sms_text"] = "Hi $call.cli" }), "sms_text", "cannot be used in an SMS"},
		{"not a variable", sms(func(m map[string]any) { m["sms_text"] = "Hi ${flow.key.name" }), "sms_text", "is not a variable"},
		{"trunk", sms(func(m map[string]any) { m["trunk"] = "carrier" }), "trunk", "names no trunk"},
		{"flow", sms(func(m map[string]any) { m["flow_id"] = e.flow }), "flow_id", "telephone campaigns"},
		{"telephone with text", e.body(func(m map[string]any) { m["sms_text"] = "hi" }), "sms_text", "only for sms campaigns"},
		{"text not a string", sms(func(m map[string]any) { m["sms_text"] = 5 }), "sms_text", "got a number"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := e.do(e.key, "POST", "/api/v1/campaigns", tc.body)
			f, m := errField(out)
			if code != 422 || f != tc.field || !strings.Contains(m, tc.msg) {
				t.Errorf("%d field %q message %q; want 422 %q containing %q", code, f, m, tc.field, tc.msg)
			}
		})
	}
}
