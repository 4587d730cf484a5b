package calllistapi

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClientUploadAndSummary(t *testing.T) {
	e := newEnv(t)
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	dir := t.TempDir()
	file := filepath.Join(dir, "mixed.csv")
	if err := os.WriteFile(file, fixture(t, "mixed.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: ts.URL, APIKey: e.key}
	var bar bytes.Buffer
	up, err := c.Upload(context.Background(), "42", file, "", ProgressBar(&bar, "mixed.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar.String(), "100%") {
		t.Errorf("progress bar: %q", bar.String())
	}
	var out bytes.Buffer
	n, err := c.WriteSummary(context.Background(), &out, up)
	if err != nil || n != 0 {
		t.Fatalf("%d %v", n, err)
	}
	s := out.String()
	for _, want := range []string{"7 records loaded, 3 added, 4 invalid", "row 5 : INVALID: empty row", "row 6 +919876543211: INVALID: extra columns", "extra columns", "row 8", "starttime"} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
	// Errors come back with the server's message.
	if _, err := c.Upload(context.Background(), "99", file, "", nil); err == nil || !strings.Contains(err.Error(), `flow "99" not found`) {
		t.Errorf("unknown flow: %v", err)
	}
	bad := &Client{BaseURL: ts.URL, APIKey: "sy_nope"}
	if _, err := bad.Upload(context.Background(), "42", file, "", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad key: %v", err)
	}
}
