package webhooks

import (
	"encoding/json"
	"testing"
)

func TestValidateTrigger(t *testing.T) {
	for trig, ok := range map[string]bool{"": true, "disconnect": true, "widget": true, "hangup": false} {
		ps := Validate(Config{Method: "GET", URL: "https://x.example/", Trigger: trig})
		if (len(ps) == 0) != ok {
			t.Errorf("trigger %q: problems %v", trig, ps)
		}
	}
}

// TestValidate: an account webhook's problems name the field relative to
// the webhook, in field order; any known variable may be used.
func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Config
		want []string // "field: message" of each problem
	}{
		{"ok", Config{Method: "POST", URL: "https://crm.example.com/x?id=$flow.key.id", BodyType: "json", Body: json.RawMessage(`{"a":"$user.key.tok"}`)}, nil},
		{"url with a variable host", Config{URL: "$flow.key.url"}, nil},
		{"no url", Config{}, []string{"url: is required"}},
		{"ftp", Config{URL: "ftp://x"}, []string{`url: must be an http(s) URL (got "ftp://x")`}},
		{"method", Config{URL: "https://x", Method: "YEET"}, []string{`method: must be one of GET, POST, PUT, PATCH, DELETE (got "YEET")`}},
		{"body type", Config{URL: "https://x", BodyType: "xml"}, []string{`body_type: must be json, form or raw (got "xml")`}},
		{"unknown variable", Config{URL: "https://x", Headers: map[string]string{"A": "$sys.weather"}}, []string{"headers.A: unknown variable $sys.weather"}},
		{"raw body not a string", Config{URL: "https://x", BodyType: "raw", Body: json.RawMessage(`{}`)}, []string{"body: a raw body must be a string"}},
		{"form body variable", Config{URL: "https://x", BodyType: "form", Body: json.RawMessage(`{"k":"$call.nope"}`)}, []string{"body.k: unknown variable $call.nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := Validate(tc.w)
			if len(ps) != len(tc.want) {
				t.Fatalf("problems %v, want %q", ps, tc.want)
			}
			for i, p := range ps {
				if p.String() != tc.want[i] {
					t.Errorf("problem %d = %q, want %q", i, p, tc.want[i])
				}
			}
		})
	}
}
