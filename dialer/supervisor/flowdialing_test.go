package supervisor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestFlowDialingCampaign: a flow's dialing campaign dials every request of
// the flow through the named trunk as lists arrive (Poke), never finishes,
// leaves a request reserved for hand-made campaigns alone, and a second
// life of the node (a restart) goes on with lists imported meanwhile.
func TestFlowDialingCampaign(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	imp := func(flow string, numbers ...string) store.CallListRequest {
		t.Helper()
		var recs []store.ImportRecord
		for i, n := range numbers {
			recs = append(recs, store.ImportRecord{Row: int64(i + 1), Numbers: []string{n}, Status: store.RecordPending})
		}
		req, err := f.st.ImportCallList(ctx, store.CallListImport{AccountID: f.acct, FlowID: flow, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	var mu sync.Mutex
	placed := map[string]int{}
	placer := dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		mu.Lock()
		placed[r.Endpoint]++
		mu.Unlock()
		return answered(ctx, r)
	})
	count := func(number string) int {
		mu.Lock()
		defer mu.Unlock()
		return placed["PJSIP/"+number+"@carrier"]
	}
	newSup := func() *Supervisor {
		s := f.supervisor(placer)
		s.Trunks = dialer.Trunks{"test": "Local/{number}@test-trunk", "carrier": "PJSIP/{number}@carrier"}
		s.DefaultTrunk = "test"
		return s
	}

	d := dialer.DefaultFlowDialing("carrier")
	sc, err := f.st.PutFlowCampaign(ctx, store.Campaign{Campaign: d.Campaign(f.acct, "7")}, true)
	if err != nil {
		t.Fatal(err)
	}
	reserved := imp("7", "+12025550199")
	if _, err := f.st.CreateCampaign(ctx, store.Campaign{Campaign: dialer.Campaign{AccountID: f.acct, Type: "telephone", Mode: "multicast", Name: "by hand",
		Recipients: []string{reserved.ID}, Trunk: "test", SimultaneousCalls: 1, DialAttempts: 1, Status: dialer.StatusCreated}}); err != nil {
		t.Fatal(err)
	}
	s1 := newSup()
	if err := s1.Start(ctx); err != nil {
		t.Fatal(err)
	}
	first := imp("7", "+12025550101", "+12025550102")
	other := imp("8", "+12025550103")
	if err := s1.Poke(ctx, f.acct, sc.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return count("+12025550101") == 1 && count("+12025550102") == 1 }, "first list dialed")
	testkit.Eventually(t, 10*time.Second, func() bool {
		r, err := f.st.GetCallListRequest(ctx, f.acct, first.ID)
		return err == nil && r.Status == store.RequestCompleted
	}, "first list Completed")
	s1.Stop()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := s1.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if st := f.status(sc.ID); st != dialer.StatusRunning {
		t.Errorf("flow campaign is %s after its lists were dialed, want Running (it never finishes)", st)
	}

	// Restart: a list imported while the node was down is dialed.
	imp("7", "+12025550104")
	s2 := newSup()
	if err := s2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return count("+12025550104") == 1 }, "second list dialed after the restart")
	time.Sleep(100 * time.Millisecond) // a few more pacing steps
	for _, n := range []string{"+12025550101", "+12025550102", "+12025550104"} {
		if c := count(n); c != 1 {
			t.Errorf("%s dialed %d times", n, c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(placed) != 3 {
		t.Errorf("placed %v: want only flow 7's unreserved numbers, through the carrier trunk", placed)
	}
	for _, r := range []store.CallListRequest{other, reserved} {
		recs, err := f.st.ListCallListRecords(ctx, f.acct, r.ID, 0, 10)
		if err != nil || len(recs) != 1 || recs[0].Attempts != 0 {
			t.Errorf("request %s (another flow / reserved) was touched: %+v %v", r.ID, recs, err)
		}
	}
}

// TestUnknownTrunkGetsNoRunner: a campaign naming a trunk the operator
// does not configure is not dialed at all.
func TestUnknownTrunkGetsNoRunner(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(1, func(c *dialer.Campaign) { c.EndpointTemplate, c.Trunk = "", "gone" }, dialer.ActionStart)
	s := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		t.Errorf("placed %+v", r)
		return answered(ctx, r)
	}))
	s.Trunks, s.DefaultTrunk = dialer.Trunks{"test": "Local/{number}@test-trunk"}, "test"
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if s.Running() != 0 {
		t.Errorf("a runner started for campaign %d with an unconfigured trunk", c.ID)
	}
}

// TestFlowDialingSettingsChange: new dialing settings of a running flow
// reach its runner (here on a resync, as on a node that did not take the
// PUT): the next calls go out through the new trunk.
func TestFlowDialingSettingsChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var mu sync.Mutex
	var endpoints []string
	s := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		mu.Lock()
		endpoints = append(endpoints, r.Endpoint)
		mu.Unlock()
		return answered(ctx, r)
	}))
	s.Trunks, s.DefaultTrunk = dialer.Trunks{"test": "Local/{number}@test-trunk", "carrier": "PJSIP/{number}@carrier"}, "test"
	d := dialer.DefaultFlowDialing("test")
	sc, err := f.st.PutFlowCampaign(ctx, store.Campaign{Campaign: d.Campaign(f.acct, "7")}, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	imp := func(n string) {
		t.Helper()
		if _, err := f.st.ImportCallList(ctx, store.CallListImport{AccountID: f.acct, FlowID: "7", FlowType: "outbound", Source: store.SourceAPI},
			store.ImportRecords([]store.ImportRecord{{Row: 1, Numbers: []string{n}, Status: store.RecordPending}})); err != nil {
			t.Fatal(err)
		}
	}
	got := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), endpoints...)
	}
	imp("+12025550101")
	testkit.Eventually(t, 10*time.Second, func() bool { return len(got()) == 1 }, "first call")
	time.Sleep(10 * time.Millisecond) // updated_at moves on
	d.Trunk = "carrier"
	if _, err := f.st.PutFlowCampaign(ctx, store.Campaign{Campaign: d.Campaign(f.acct, "7")}, false); err != nil {
		t.Fatal(err)
	}
	s.Resync(ctx)
	testkit.Eventually(t, 10*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		r, ok := s.runs[sc.ID]
		return ok && !r.stopping && r.runner.Campaign.Trunk == "carrier"
	}, "runner restarted")
	imp("+12025550102")
	testkit.Eventually(t, 10*time.Second, func() bool { return len(got()) == 2 }, "second call")
	if e := got(); e[0] != "Local/+12025550101@test-trunk" || e[1] != "PJSIP/+12025550102@carrier" {
		t.Errorf("endpoints %v: want the second call through the new trunk", e)
	}
}
