package flows

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/variables"
)

// fillSources is the non-test Go source of the repository minus the
// variable lists themselves (flows/variables) and the package doc: a
// conditional variable must be written by name somewhere in it.
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
		if filepath.Base(filepath.Dir(p)) == "variables" || filepath.Base(filepath.Dir(p)) == "flows" && filepath.Base(p) == "doc.go" {
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

// TestEverySystemVariableIsFilled walks every published system variable
// (flows/variables): an "always" one has a value on a real inbound call
// from its first widget; a conditional one is written by name on some
// code path (else it is declared but never filled, and must be listed as
// unsupported instead).
func TestEverySystemVariableIsFilled(t *testing.T) {
	sv := variables.Published()
	docs := map[string]variables.Doc{}
	for _, list := range [][]variables.Doc{sv.Sys, sv.Call, sv.Syskey, sv.Builtin, sv.Event} {
		for _, d := range list {
			docs[d.Name] = d
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
			refs, _ := variables.Scan(n)
			if len(refs) != 1 {
				t.Errorf("%s does not scan as one variable", n)
				continue
			}
			if _, ok := lookup(refs[0]); !ok {
				t.Errorf("%s is documented as always set but is unset on an inbound call", n)
			}
			continue
		}
		if refs, _ := variables.Scan(n); len(refs) == 1 {
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
