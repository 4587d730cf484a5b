package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestKill9MidCampaign runs a campaign with the real daemon binary on the
// real Asterisk, kills it with SIGKILL while calls are in progress and
// restarts it: the campaign resumes and finishes, every record is final
// (none lost), and each record was originated exactly once (one attempt
// and one call record per record: none dialed twice).
func TestKill9MidCampaign(t *testing.T) {
	info := asterisktest.Require(t)
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	t0 := time.Now()
	dir := t.TempDir()
	bin := filepath.Join(dir, "switchyard")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()

	// The campaign: 12 customers (the simulated lines of the agents-sim
	// context: unique numbers), 3 at a time; 8 ring until the 4 s dial
	// timeout, 4 ring 2 s and answer (no flow: the call ends at once).
	s, err := store.Open(ctx, store.Options{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, err := s.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	var recs []store.ImportRecord
	for i := range n {
		num := fmt.Sprintf("3000%03d", i)
		if i%3 == 2 {
			num = fmt.Sprintf("2000%03d", i)
		}
		recs = append(recs, store.ImportRecord{Row: int64(i + 1), ClientIdentifier: fmt.Sprint("c", i), Numbers: []string{num}, Status: store.RecordPending})
	}
	req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	dc := dialer.Campaign{AccountID: acc.ID, Name: "kill", Mode: dialer.ModeMulticast, Recipients: []string{req.ID},
		EndpointTemplate: "Local/{number}@agents-sim", SimultaneousCalls: 3, DialAttempts: 1, DialTimeoutMS: 4000}
	dc.Normalize()
	if err := dc.Validate(); err != nil {
		t.Fatal(err)
	}
	sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
		t.Fatal(err)
	}

	var b [4]byte
	_, _ = rand.Read(b[:])
	app := "sy-kill-" + hex.EncodeToString(b[:])
	env := append(os.Environ(),
		"SWITCHYARD_DATA_DIR="+data, "SWITCHYARD_DATABASE_URL=",
		"SWITCHYARD_ARI_URL="+info.URL, "SWITCHYARD_ARI_USER="+info.User, "SWITCHYARD_ARI_PASSWORD="+info.Password,
		"SWITCHYARD_ARI_PASSWORD_FILE=", "SWITCHYARD_ARI_APP="+app, "SWITCHYARD_NODE="+app,
		"SWITCHYARD_HTTP_ADDR=127.0.0.1:0", "SWITCHYARD_AGI_ADDR=127.0.0.1:0", "SWITCHYARD_SMTP_ADDR=",
		"SWITCHYARD_LOG_LEVEL=debug")
	start := func(name string) (*exec.Cmd, *testkit.SyncBuffer) {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		out := &testkit.SyncBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %s: %v", name, err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
			if t.Failed() || os.Getenv("KILLTEST_LOG") != "" {
				t.Logf("%s output:\n%s", name, out.String())
			}
		})
		return cmd, out
	}
	counts := func() store.CampaignRecordCounts {
		c, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	waitFor := func(what string, d time.Duration, ok func() bool) {
		t.Helper()
		if !testkit.Poll(d, ok) {
			t.Fatalf("timed out waiting for %s (records %+v)", what, counts())
		}
	}

	t.Logf("built and set up in %v", time.Since(t0).Round(time.Millisecond))
	first, _ := start("first run")
	// Kill while the second batch is in progress: some records final,
	// three being dialed.
	waitFor("calls in progress after the first batch", 40*time.Second, func() bool {
		c := counts()
		return c.Complete >= 3 && c.InProcess == 3
	})
	time.Sleep(300 * time.Millisecond) // the originates are out
	before := counts()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	if before.InProcess == 0 || before.Complete == n {
		t.Fatalf("not killed mid-campaign: %+v", before)
	}
	t.Logf("killed with %d complete, %d in process, %d pending", before.Complete, before.InProcess, before.Pending)

	restarted := time.Now()
	start("second run")
	waitFor("the campaign to finish after the restart", 90*time.Second, func() bool {
		c, err := s.GetCampaign(ctx, acc.ID, sc.ID)
		return err == nil && c.Status == dialer.StatusFinished
	})
	t.Logf("finished %v after the restart", time.Since(restarted).Round(time.Millisecond))
	after := counts()
	if after.Complete != n || after.Remaining() != 0 {
		t.Errorf("records lost: %+v", after)
	}
	if after.Attempts != n {
		t.Errorf("%d attempts for %d records: a record was dialed twice (or an attempt lost)", after.Attempts, n)
	}
	// The calls in progress at the kill were settled from their call
	// records, which the restarted call manager closed as FAILED (their
	// events were lost with the process): not dialed again.
	bs := after.ByStatus
	if bs["FAILED"] != before.InProcess || bs["NOANSWER"]+bs["ANSWERED"]+bs["FAILED"] != n || bs["ABANDONED"] != 0 {
		t.Errorf("final statuses %v (%d in process at the kill)", bs, before.InProcess)
	}
	// One call record per record, under the record's deterministic
	// attempt id.
	page, err := s.ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Attempts) != n {
		t.Errorf("%d call records for %d records", len(page.Attempts), n)
	}
	rs, err := s.ListCallListRecords(ctx, acc.ID, req.ID, 0, 100)
	if err != nil || len(rs) != n {
		t.Fatalf("records %d %v", len(rs), err)
	}
	for _, r := range rs {
		a, err := s.GetAttempt(ctx, acc.ID, dialer.AttemptID(acc.ID, r.ID, 1))
		if err != nil || a.EndedAt == nil {
			t.Errorf("record %d (%s): call record %+v %v", r.ID, r.ClientIdentifier, a, err)
		}
	}
}
