package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFlowEditorModel runs the console's own tests (Vitest, `npm test` in
// web/), among them the flow editor's round trip: every flow in
// testdata/flows opens in the editor's model and saves back with the same
// meaning (the same JSON after normalisation) and a position for each
// node; moving and laying out the nodes changes only their positions.
func TestFlowEditorModel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs node")
	}
	npx, err := exec.LookPath("npx")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("npx is missing: Node.js 20.19+ is needed to build and test the console")
		}
		t.Skip("no Node.js")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "vitest")); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("web/node_modules lacks vitest: make console runs npm ci")
		}
		t.Skip("web/node_modules not installed (make console)")
	}
	cmd := exec.Command(npx, "vitest", "run", "--reporter=verbose", "--color=false")
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "CI=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("vitest: %v\n%s", err, out)
	}
	// Every example flow was opened and saved back.
	files, err := filepath.Glob(filepath.Join("..", "testdata", "flows", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example flows: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if !regexp.MustCompile(`✓[^\n]*round trip over testdata/flows > ` + regexp.QuoteMeta(name)).Match(out) {
			t.Errorf("no passing round trip of %s in:\n%s", name, out)
		}
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("%s", strings.TrimSpace(string(out)))
	}
}
