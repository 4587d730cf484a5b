package variables

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEverySystemVariableIsDocumented: each declared system variable is
// documented exactly once, with a description and, unless always set,
// when it is set; every documented one (besides the event webhooks'
// $event.*) is declared; an unsupported one fails validation. That each
// is filled on a call is the flow engine's test (flows).
func TestEverySystemVariableIsDocumented(t *testing.T) {
	sv := Published()
	docs := map[string]Doc{}
	for _, list := range [][]Doc{sv.Sys, sv.Call, sv.Syskey, sv.Builtin, sv.Event} {
		for _, d := range list {
			if _, dup := docs[d.Name]; dup {
				t.Errorf("%s documented twice", d.Name)
			}
			if d.Description == "" || (!d.Always && d.When == "") {
				t.Errorf("%s: description %q, when %q", d.Name, d.Description, d.When)
			}
			docs[d.Name] = d
		}
	}
	declared := map[string]bool{}
	for _, n := range sysVars {
		declared["$sys."+n] = true
	}
	for _, n := range callVars {
		declared["$call."+n] = true
	}
	for _, n := range syskeyVars {
		declared["$flow.syskey."+n] = true
	}
	for _, n := range builtinFlowVars {
		declared["$flow.key."+n] = true
	}
	for n := range declared {
		if _, ok := docs[n]; !ok {
			t.Errorf("%s is declared but not documented", n)
		}
	}
	for n := range docs {
		if !declared[n] && !strings.HasPrefix(n, "$event.") {
			t.Errorf("%s is documented but not declared", n)
		}
	}
	for _, u := range sv.Unsupported {
		if declared[u.Name] || u.Reason == "" {
			t.Errorf("unsupported %s is declared or has no reason", u.Name)
		}
		if _, bad := Scan(u.Name); len(bad) != 1 {
			t.Errorf("unsupported %s passes validation", u.Name)
		}
	}
}

var updateDocs = flag.Bool("update", false, "rewrite docs/flow-variables.md")

// TestMarkdown: docs/flow-variables.md is the published list.
func TestMarkdown(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "flow-variables.md")
	want := Markdown()
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("%s is out of date: go test ./flows/variables -run TestMarkdown -update", path)
	}
}
