//go:build faults

// Fault tests (go test -tags faults ./cmd/app -run TestFault; make
// test-faults): the whole daemon in-process dials 100 records of a campaign
// to Local test customers on a real Asterisk that answer and hang up after
// a few seconds, while a fault is injected. An independent observer on ARI
// (its own websocket subscribed to every channel) counts what was really
// dialed: no number may be dialed twice, none may be lost. Each test runs
// its own private Asterisk (asterisktest.StartPrivate), so neither the
// fault nor other tests' load on the shared instance disturbs the other.
package app_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// faultRecords is how many records each fault test dials.
const faultRecords = 100

// faultCampaign is one campaign of a fault test.
type faultCampaign struct {
	a       *app.App
	acc     store.Account
	key     string
	reqID   string
	id      int64
	numbers []string
}

// startFaultCampaign imports n (at most 100) records whose numbers are
// unique customers of the shipped test trunk that answer and hang up after
// hangupAfter (1-9) seconds (+1 NXX 555 010N: a different area code per
// record, so the observer counts each record's dials), and starts a
// one-attempt multicast campaign on them through the API, on the default
// (test) trunk.
func startFaultCampaign(t *testing.T, a *app.App, n, simultaneous, hangupAfter int) *faultCampaign {
	t.Helper()
	ctx := context.Background()
	st := a.Store()
	acc, err := st.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	flow := outboundFlow(t, a, key)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	fc := &faultCampaign{a: a, acc: acc, key: key}
	// Channel IDs derive from account, record and attempt; tests on the
	// shared Asterisk all start at record 1 of account 1. A throwaway
	// list of random length moves this test's record IDs out of their way.
	var pad []store.ImportRecord
	for i := range 1000 + int(b[0])<<6 + int(b[1]&63) {
		pad = append(pad, store.ImportRecord{Row: int64(i + 1), Numbers: []string{"pad"}, Status: store.RecordPending})
	}
	if _, err := st.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: flow, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(pad)); err != nil {
		t.Fatal(err)
	}
	var recs []store.ImportRecord
	for i := range n {
		num := fmt.Sprintf("+1%03d555010%d", 200+i, hangupAfter)
		fc.numbers = append(fc.numbers, num)
		recs = append(recs, store.ImportRecord{Row: int64(i + 1), ClientIdentifier: num, Numbers: []string{num}, Status: store.RecordPending,
			Variables: map[string]string{"$flow.key.customer_name": "C", "$flow.key.amount": "12"}})
	}
	req, err := st.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: flow, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	fc.reqID = req.ID
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"name": "faults", "mode": "multicast", "recipients": []string{req.ID}, "caller_id": "+15551230000",
		"simultaneous_calls": simultaneous, "dial_attempts": 1,
		"dial_timeout_ms": 15000, "flow_id": flow,
	})
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %s", code, body)
	}
	var camp struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &camp); err != nil || camp.ID == 0 {
		t.Fatalf("campaign: %s", body)
	}
	fc.id = camp.ID
	if code, body := apiCall(t, a, key, http.MethodPost, fmt.Sprintf("/api/v1/campaigns/%d/start", camp.ID), nil); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	return fc
}

// dialedSoFar counts the campaign's numbers the observer saw dialed.
func (fc *faultCampaign) dialedSoFar(obs *asterisktest.Observer) int {
	d := obs.Dialed()
	n := 0
	for _, num := range fc.numbers {
		if d[num] > 0 {
			n++
		}
	}
	return n
}

// waitFinished waits until the campaign is Finished (store reads may fail
// while a fault lasts).
func (fc *faultCampaign) waitFinished(t *testing.T, d time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		c, err := fc.a.Store().GetCampaign(context.Background(), fc.acc.ID, fc.id)
		if err == nil && c.Status == "Finished" {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

// faultCounts is what a fault test measures.
type faultCounts struct {
	Twice        int // numbers the observer saw dialed more than once
	NeverDialed  int // numbers the observer never saw dialed
	NotComplete  int // records not final when the campaign should be done
	FailedUndial int // records closed FAILED whose number was never dialed
	// LostInTransit: of FailedUndial, originates whose request went out
	// whole but whose answer was lost with a cut link: counted as placed
	// (never dialed twice), though the cut may have dropped the request
	// before Asterisk (the documented limit of a cut).
	LostInTransit int
	Answered      int // attempts recorded answered (status not FAILED, answered_at set)
	ByStatus      map[string]int64
}

func (fc *faultCampaign) count(t *testing.T, obs *asterisktest.Observer) faultCounts {
	t.Helper()
	ctx := context.Background()
	d, created := obs.Dialed(), obs.Created()
	var c faultCounts
	for _, num := range fc.numbers {
		if created[num] > d[num] {
			t.Logf("%s: %d channels created, %d reached the customer (originates refused half way)", num, created[num], d[num])
		}
		switch n := d[num]; {
		case n > 1:
			c.Twice++
			t.Logf("dialed %d times: %s", n, num)
		case n == 0:
			c.NeverDialed++
		}
	}
	n, err := fc.a.Store().CountCampaignRecords(ctx, fc.acc.ID, []string{fc.reqID})
	if err != nil {
		t.Fatal(err)
	}
	c.NotComplete = int(n.Remaining())
	c.ByStatus = map[string]int64{}
	for k, v := range n.ByStatus {
		c.ByStatus[k] = v
	}
	page, err := fc.a.Store().ListAttempts(ctx, store.AttemptFilter{AccountID: fc.acc.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range page.Attempts {
		if at.Status == "FAILED" && d[at.DNIS] == 0 {
			c.FailedUndial++
			if strings.HasPrefix(at.FinishReason, ari.ReasonOriginateLost) {
				c.LostInTransit++
			}
		}
		if d[at.DNIS] == 0 {
			t.Logf("never dialed: %s attempt %d %s (%s)", at.DNIS, at.AttemptNumber, at.Status, at.FinishReason)
		}
		if at.AnsweredAt != nil && at.Status != "FAILED" {
			c.Answered++
		}
	}
	t.Logf("observer: %d/%d numbers dialed, %d twice, %d never; records: %d not final, by status %v; attempts: %d answered, %d FAILED without a dial",
		len(fc.numbers)-c.NeverDialed, len(fc.numbers), c.Twice, c.NeverDialed, c.NotComplete, c.ByStatus, c.Answered, c.FailedUndial)
	return c
}

// TestFaultPostgresOutage: the store (a private PostgreSQL cluster) is
// stopped for 8 s while calls are in progress and ending. Outcome writes
// are retried; no record's lease lapses, so no number is dialed twice and
// every record ends final.
func TestFaultPostgresOutage(t *testing.T) {
	info := asterisktest.StartPrivate(t).Info
	pg := storetest.StartPrivatePostgres(t)
	obs := asterisktest.Observe(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.DatabaseURL = pg.URL
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	fc := startFaultCampaign(t, a, faultRecords, 25, 4)

	testkit.Eventually(t, 60*time.Second, func() bool { return fc.dialedSoFar(obs) >= faultRecords/3 }, "a third of the records dialed")
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL stopped with %d/%d numbers dialed", fc.dialedSoFar(obs), faultRecords)
	time.Sleep(8 * time.Second)
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL back with %d/%d numbers dialed", fc.dialedSoFar(obs), faultRecords)

	finished := fc.waitFinished(t, 5*time.Minute)
	c := fc.count(t, obs)
	if !finished {
		t.Errorf("campaign not Finished within 5 minutes of the outage")
	}
	if c.Twice != 0 || c.NeverDialed != 0 || c.NotComplete != 0 || c.FailedUndial != 0 {
		t.Errorf("PostgreSQL outage: %d numbers dialed twice, %d never dialed, %d records not final, %d closed FAILED without a dial; want 0 each",
			c.Twice, c.NeverDialed, c.NotComplete, c.FailedUndial)
	}
}

// TestFaultAsteriskRestart: a private Asterisk runs `core restart now`
// mid-campaign. Originates refused while it shuts down or starts (503
// "Shutdown in progress", connection refused, 404 before the application
// or dialplan is back) are calls not placed: their records wait and are
// dialed once Asterisk is back. None is closed FAILED without a dial, none
// is lost, none is dialed twice.
func TestFaultAsteriskRestart(t *testing.T) {
	ast := asterisktest.StartPrivate(t)
	obs := asterisktest.Observe(t, ast.Info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = ast.URL, ast.User, ast.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	fc := startFaultCampaign(t, a, faultRecords, 25, 4)

	testkit.Eventually(t, 60*time.Second, func() bool { return fc.dialedSoFar(obs) >= faultRecords/3 }, "a third of the records dialed")
	t.Logf("core restart now with %d/%d numbers dialed", fc.dialedSoFar(obs), faultRecords)
	ast.RestartNow(t)
	if err := ast.WaitReady(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return obs.Connects() >= 2 && obs.Connected() }, "observer reconnected")
	t.Logf("Asterisk back with %d/%d numbers dialed", fc.dialedSoFar(obs), faultRecords)

	finished := fc.waitFinished(t, 5*time.Minute)
	c := fc.count(t, obs)
	if !finished {
		t.Errorf("campaign not Finished within 5 minutes of the restart")
	}
	if c.Twice != 0 || c.NeverDialed != 0 || c.NotComplete != 0 || c.FailedUndial != 0 {
		t.Errorf("Asterisk restart: %d numbers dialed twice, %d never dialed, %d records not final, %d closed FAILED without a dial; want 0 each",
			c.Twice, c.NeverDialed, c.NotComplete, c.FailedUndial)
	}
}

// TestFaultWebsocketCut: the connection to ARI (events websocket and REST
// connections, through a proxy) is cut twice mid-campaign and refused for
// 3 s each time. Originates lost in flight are settled from Asterisk (see
// ari/placement.go): every number dialed exactly once, every record final.
func TestFaultWebsocketCut(t *testing.T) {
	info := asterisktest.StartPrivate(t).Info
	obs := asterisktest.Observe(t, info) // directly on Asterisk, not cut
	px := asterisktest.StartCutProxy(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = px.URL, px.User, px.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	fc := startFaultCampaign(t, a, faultRecords, 25, 4)

	for i, at := range []int{faultRecords / 4, faultRecords * 3 / 5} {
		testkit.Eventually(t, 90*time.Second, func() bool { return fc.dialedSoFar(obs) >= at }, "%s", fmt.Sprintf("%d records dialed", at))
		n := px.Cut(3 * time.Second)
		t.Logf("cut %d: %d connections closed with %d/%d numbers dialed", i+1, n, fc.dialedSoFar(obs), faultRecords)
	}

	finished := fc.waitFinished(t, 5*time.Minute)
	c := fc.count(t, obs)
	if !finished {
		t.Errorf("campaign not Finished within 5 minutes of the cuts")
	}
	// A request the cut dropped after it was written whole is settled
	// from Asterisk once the link is back (the channel, or its placement
	// mark): not placed ones are dialed again, placed ones never. None is
	// left "lost in transit".
	if c.Twice != 0 || c.NeverDialed != 0 || c.NotComplete != 0 || c.FailedUndial != 0 || c.LostInTransit != 0 {
		t.Errorf("websocket cut: %d numbers dialed twice, %d never dialed, %d records not final, %d closed FAILED without a dial (%d of them lost in transit); want 0 each",
			c.Twice, c.NeverDialed, c.NotComplete, c.FailedUndial, c.LostInTransit)
	}
}
