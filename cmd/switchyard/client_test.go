package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestClientUploadAndSummary: the CLI's client against the whole daemon —
// the progress bar reaches 100 %, the summary lists every invalid row with
// its reason, and the server's error messages come back as they are.
func TestClientUploadAndSummary(t *testing.T) {
	a := daemon(t)
	key, flow, _ := account(t, a)
	file := writeFile(t, "upload_01122026100000.csv", []byte(listCSV))
	c := &Client{BaseURL: "http://" + a.Addr(), APIKey: key}
	var bar bytes.Buffer
	up, err := c.Upload(context.Background(), flow, file, "", ProgressBar(&bar, "list.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bar.String(), "100%") {
		t.Errorf("progress bar: %q", bar.String())
	}
	var out bytes.Buffer
	n, err := c.WriteSummary(context.Background(), &out, up)
	if err != nil || n != 0 {
		t.Fatalf("summary: %d rejected files, %v", n, err)
	}
	for _, want := range []string{"5 records loaded, 2 added, 3 invalid", "row 3 12: INVALID:", "row 5 +919876543210: INVALID: duplicate", "row 6 : INVALID: empty row"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := c.Upload(context.Background(), "999999", file, "", nil); err == nil || !strings.Contains(err.Error(), `not found`) {
		t.Errorf("unknown flow: %v, want the server's not-found message", err)
	}
	bad := &Client{BaseURL: "http://" + a.Addr(), APIKey: "sy_nope"}
	if _, err := bad.Upload(context.Background(), flow, file, "", nil); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("bad key: %v, want 401", err)
	}
}
