package flows

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
)

// fillSources is the non-test Go source of the repository minus the
// variable lists themselves: a conditional variable must be written by
// name somewhere in it.
func fillSources(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir("..", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		if base := filepath.Base(p); filepath.Base(filepath.Dir(p)) == "flows" && (base == "vars.go" || base == "vardocs.go" || base == "doc.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b.Write(src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEverySystemVariableIsDocumentedAndFilled walks every declared system
// variable: each is documented exactly once; an "always" one has a value
// on a real inbound call from its first widget; a conditional one says
// when, and some code path writes it by name (else it is declared but
// never filled, and must be listed as unsupported instead).
func TestEverySystemVariableIsDocumentedAndFilled(t *testing.T) {
	sv := Variables()
	docs := map[string]VarDoc{}
	for _, list := range [][]VarDoc{sv.Sys, sv.Call, sv.Syskey, sv.Builtin, sv.Event} {
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
	for _, n := range SysVars {
		declared["$sys."+n] = true
	}
	for _, n := range CallVars {
		declared["$call."+n] = true
	}
	for _, n := range SyskeyVars {
		declared["$flow.syskey."+n] = true
	}
	for _, n := range BuiltinFlowVars {
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
		if _, bad := ScanRefs(u.Name); len(bad) != 1 {
			t.Errorf("unsupported %s passes validation", u.Name)
		}
	}

	// A real inbound call as the flow sees it at its first widget.
	e := &Engine{Now: time.Now}
	r, _ := oneNode(t, e, `{"id":"n","type":"goto","params":{"node":"ok"}}`, nil)
	c := &ari.Call{ID: "ch1", AttemptID: "att-1", Inbound: true, Args: []string{"inbound", "+442079460000"}}
	c.Channel.Caller = &ariv6.CallerID{Number: "+12125550199"}
	r.call = c
	r.journey.Start = time.Now()
	r.callVars["attemptnumber"] = "1"
	lookup := r.lookupFn(context.Background())

	src := fillSources(t)
	for n, d := range docs {
		ns, name, _ := strings.Cut(strings.TrimPrefix(n, "$"), ".")
		if strings.HasPrefix(n, "$flow.") {
			ns, name = n[1:strings.LastIndex(n[:len("$flow.syskey.")], ".")], strings.TrimPrefix(strings.TrimPrefix(n, "$flow.syskey."), "$flow.key.")
		}
		if ns == "event" {
			if !strings.Contains(src, `"event.`+name+`"`) && !strings.Contains(src, `"`+name+`"`) {
				t.Errorf("%s: no code sets it", n)
			}
			continue
		}
		if d.Always {
			refs, _ := ScanRefs(n)
			if len(refs) != 1 {
				t.Errorf("%s does not scan as one variable", n)
				continue
			}
			if _, ok := lookup(refs[0]); !ok {
				t.Errorf("%s is documented as always set but is unset on an inbound call", n)
			}
			continue
		}
		if refs, _ := ScanRefs(n); len(refs) == 1 {
			if _, ok := lookup(refs[0]); ok {
				continue // filled on this call already
			}
		}
		leaf := name
		if i := strings.LastIndex(name, "."); i >= 0 && ns != "call" {
			leaf = name[i+1:]
		}
		if !strings.Contains(src, `"`+name+`"`) && !strings.Contains(src, `"`+leaf+`"`) && !strings.Contains(src, `"`+n+`"`) {
			t.Errorf("%s (%s) is declared but no code fills it", n, d.When)
		}
	}
}

var updateDocs = flag.Bool("update", false, "rewrite docs/flow-variables.md")

// TestVariablesDoc: docs/flow-variables.md is the published list.
func TestVariablesDoc(t *testing.T) {
	path := filepath.Join("..", "docs", "flow-variables.md")
	want := VariablesMarkdown()
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
		t.Errorf("%s is out of date: go test ./flows -run TestVariablesDoc -update", path)
	}
}
