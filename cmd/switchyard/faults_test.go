//go:build faults

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestFaultKill9: the daemon binary dials 100 records of a campaign (Local
// customers that answer and hang up after 4 s, the flow playing to them),
// is killed with SIGKILL while calls are up, and restarted. The observer on
// ARI counts the dials: none dialed twice, none lost, and the answered
// calls cut by the kill are recorded answered, not FAILED.
func TestFaultKill9(t *testing.T) {
	info := asterisktest.StartPrivate(t).Info
	obs := asterisktest.Observe(t, info)
	dir := t.TempDir()
	bin := filepath.Join(dir, "switchyard")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	s, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, err := s.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := s.CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}

	var b [4]byte
	_, _ = rand.Read(b[:])
	app := "sy-kill9-" + hex.EncodeToString(b[:])
	// The daemon is restarted on the same address after kill -9: a port
	// outside the ephemeral range, so no outgoing connection takes it
	// while the daemon is down.
	port, err := testkit.StablePort("tcp")
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	base := "http://" + addr
	env := append(os.Environ(),
		"SWITCHYARD_DATA_DIR="+data, "SWITCHYARD_DATABASE_URL=",
		"SWITCHYARD_ARI_URL="+info.URL, "SWITCHYARD_ARI_USER="+info.User, "SWITCHYARD_ARI_PASSWORD="+info.Password,
		"SWITCHYARD_ARI_PASSWORD_FILE=", "SWITCHYARD_ARI_APP="+app, "SWITCHYARD_NODE="+app,
		"SWITCHYARD_HTTP_ADDR="+addr, "SWITCHYARD_AGI_ADDR=127.0.0.1:0", "SWITCHYARD_SMTP_ADDR=",
		"SWITCHYARD_LOG_LEVEL=info")
	start := func(name string) *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		out := &testkit.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				done := make(chan struct{})
				go func() { _ = cmd.Wait(); close(done) }()
				select {
				case <-done:
				case <-time.After(30 * time.Second):
					_ = cmd.Process.Kill()
					<-done
				}
			}
			if t.Failed() || os.Getenv("KILLTEST_LOG") != "" {
				t.Logf("%s output:\n%s", name, lastLines(out.String(), 60))
			}
		})
		deadline := time.Now().Add(30 * time.Second)
		for {
			resp, err := http.Get(base + "/healthz")
			if err == nil {
				_ = resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return cmd
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: /healthz not OK after 30 s: %v\n%s", name, err, lastLines(out.String(), 30))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	call := func(method, path string, body any) (int, []byte) {
		t.Helper()
		var rd io.Reader
		switch v := body.(type) {
		case nil:
		case []byte:
			rd = bytes.NewReader(v)
		default:
			j, _ := json.Marshal(v)
			rd = bytes.NewReader(j)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, out
	}

	first := start("first run")
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, body := call(http.MethodPost, "/api/v1/flows", doc)
	var flow struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &flow) != nil {
		t.Fatalf("create flow: %d %s", code, body)
	}
	flowID := fmt.Sprint(flow.ID)
	if code, body := call(http.MethodPost, "/api/v1/flows/"+flowID+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish: %d %s", code, body)
	}
	// Record IDs away from other tests' on the shared Asterisk (channel
	// IDs derive from account, record and attempt).
	var pad []store.ImportRecord
	for i := range 1000 + int(b[0])<<6 {
		pad = append(pad, store.ImportRecord{Row: int64(i + 1), Numbers: []string{"pad"}, Status: store.RecordPending})
	}
	if _, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: flowID, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(pad)); err != nil {
		t.Fatal(err)
	}
	const n = 100
	var numbers []string
	var recs []store.ImportRecord
	for i := range n {
		num := fmt.Sprintf("+1%03d5550104", 200+i) // test trunk: answers, hangs up after 4 s
		numbers = append(numbers, num)
		recs = append(recs, store.ImportRecord{Row: int64(i + 1), ClientIdentifier: num, Numbers: []string{num}, Status: store.RecordPending,
			Variables: map[string]string{"$flow.key.customer_name": "C", "$flow.key.amount": "12"}})
	}
	req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: flowID, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	code, body = call(http.MethodPost, "/api/v1/campaigns", map[string]any{
		"name": "kill9", "mode": "multicast", "recipients": []string{req.ID}, "caller_id": "+15551230000",
		"simultaneous_calls": 25, "dial_attempts": 1,
		"dial_timeout_ms": 15000, "flow_id": flowID,
	})
	var camp struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &camp) != nil {
		t.Fatalf("create campaign: %d %s", code, body)
	}
	if code, body := call(http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/start", camp.ID), nil); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	dialed := func() (d map[string]int, k int) {
		d = obs.Dialed()
		for _, num := range numbers {
			if d[num] > 0 {
				k++
			}
		}
		return d, k
	}
	deadline := time.Now().Add(90 * time.Second)
	for _, k := dialed(); k < n/3; _, k = dialed() {
		if time.Now().After(deadline) {
			t.Fatalf("only %d numbers dialed after 90 s", k)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // calls answered and in their flow
	_, k := dialed()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	t.Logf("killed with %d/%d numbers dialed", k, n)

	start("second run")
	deadline = time.Now().Add(5 * time.Minute)
	for {
		c, err := s.GetCampaign(ctx, acc.ID, camp.ID)
		if err == nil && c.Status == "Finished" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("campaign not Finished 5 minutes after the restart")
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	d, _ := dialed()
	twice, never := 0, 0
	for _, num := range numbers {
		switch {
		case d[num] > 1:
			twice++
			t.Logf("dialed %d times: %s", d[num], num)
		case d[num] == 0:
			never++
		}
	}
	counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	cutAnswered, cutFailed := 0, 0
	for _, a := range page.Attempts {
		if !strings.HasPrefix(a.FinishReason, "reconciled") {
			continue
		}
		// Cut by the kill: all these customers answer at once.
		if a.Status == "FAILED" {
			cutFailed++
			t.Logf("cut call recorded FAILED: %s (%s, answered at %v)", a.DNIS, a.FinishReason, a.AnsweredAt)
		} else {
			cutAnswered++
		}
	}
	t.Logf("observer: %d twice, %d never; records %+v; calls cut by the kill: %d recorded answered, %d FAILED",
		twice, never, counts, cutAnswered, cutFailed)
	if twice != 0 || never != 0 || counts.Remaining() != 0 {
		t.Errorf("kill -9: %d numbers dialed twice, %d never dialed, %d records not final; want 0 each", twice, never, counts.Remaining())
	}
	if cutFailed != 0 || cutAnswered == 0 {
		t.Errorf("kill -9: %d answered calls cut by the kill recorded FAILED (want 0), %d recorded answered (want > 0)", cutFailed, cutAnswered)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
