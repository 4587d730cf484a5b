package flows

import (
	"strings"
	"testing"
)

func TestNotificationTemplate(t *testing.T) {
	const head = `{"format":1,"name":"Fire","type":"%s","start":"a","variables":["site"],
		"nodes":[{"id":"a","type":"hangup"}]`
	for _, tc := range []struct {
		name, typ, tmpl, want string
	}{
		{"ok", TypeEmergency, `{"sms_text":"Leave ${flow.key.site} at $sys.time","email_subject":"Fire at $flow.key.site","email_text":"Go"}`, ""},
		{"sms only", TypeEmergency, `{"sms_text":"Leave"}`, ""},
		{"undeclared", TypeEmergency, `{"sms_text":"Leave ${flow.key.floor}"}`, "undeclared variable $flow.key.floor"},
		{"call variable", TypeEmergency, `{"sms_text":"From $call.cli"}`, "has no value in a message"},
		{"subject without text", TypeEmergency, `{"email_subject":"Fire"}`, "needs both"},
		{"two-line subject", TypeEmergency, `{"email_subject":"a\nb","email_text":"x"}`, "one line"},
		{"too long", TypeEmergency, `{"sms_text":"` + strings.Repeat("x", MaxNotificationSMS+1) + `"}`, "the limit is 1600"},
		{"not emergency", TypeOutbound, `{"sms_text":"x"}`, "only emergency notification flows"},
		{"unknown field", TypeEmergency, `{"sms":"x"}`, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := strings.Replace(head, "%s", tc.typ, 1) + `,"notification":` + tc.tmpl + `}`
			_, err := Parse([]byte(doc), Features{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid template refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v; want one containing %q", err, tc.want)
			}
		})
	}
}
