package accounts

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDiffJSON(t *testing.T) {
	render := func(ls []DiffLine) string {
		var b strings.Builder
		for _, l := range ls {
			b.WriteString(l.Op + l.Text + "\n")
		}
		return b.String()
	}
	tests := []struct {
		name, old, cur, want string
	}{
		{"nothing live: all added", ``, `{"a":1}`, "+{\n+  \"a\": 1\n+}\n"},
		{"one value changed", `{"a":1,"b":2}`, `{"a":1,"b":3}`, " {\n   \"a\": 1,\n-  \"b\": 2\n+  \"b\": 3\n }\n"},
		{"formatting only: no change", `{"a":  1}`, "{\n\"a\":1}", " {\n   \"a\": 1\n }\n"},
		{"line added", `{"a":1}`, `{"a":1,"b":2}`, " {\n-  \"a\": 1\n+  \"a\": 1,\n+  \"b\": 2\n }\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := render(DiffJSON(json.RawMessage(tt.old), json.RawMessage(tt.cur))); got != tt.want {
				t.Errorf("diff:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestWithoutLayout: the operator's review leaves out the flow editor's
// node positions: moving nodes is no change to review.
func TestWithoutLayout(t *testing.T) {
	old := json.RawMessage(`{"name":"x","nodes":[],"layout":{"a":{"x":1,"y":2}}}`)
	cur := json.RawMessage(`{"name":"x","nodes":[],"layout":{"a":{"x":90,"y":2}}}`)
	for _, l := range DiffJSON(withoutLayout(old), withoutLayout(cur)) {
		if l.Op != " " || strings.Contains(l.Text, "layout") {
			t.Fatalf("a moved node is a change: %+v", l)
		}
	}
	if plain := json.RawMessage(`{"name":"layout"}`); string(withoutLayout(plain)) != string(plain) {
		t.Errorf("a document without a layout changed: %s", withoutLayout(plain))
	}
}
