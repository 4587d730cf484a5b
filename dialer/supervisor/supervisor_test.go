package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

type fixture struct {
	t    *testing.T
	st   *store.Store
	acct int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{DataDir: t.TempDir()})
	a, err := st.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, st: st, acct: a.ID}
}

// campaign stores a campaign over n fresh records, moved to status by
// lifecycle actions.
func (f *fixture) campaign(n int, mod func(*dialer.Campaign), actions ...string) dialer.Campaign {
	f.t.Helper()
	ctx := context.Background()
	var recs []store.ImportRecord
	for i := 1; i <= n; i++ {
		recs = append(recs, store.ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+1555%07d", i)}, Status: store.RecordPending})
	}
	req, err := f.st.ImportCallList(ctx, store.CallListImport{AccountID: f.acct, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		f.t.Fatal(err)
	}
	c := dialer.Campaign{AccountID: f.acct, Name: "c", Recipients: []string{req.ID}, EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 2}
	if mod != nil {
		mod(&c)
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		f.t.Fatal(err)
	}
	sc, err := f.st.CreateCampaign(ctx, store.Campaign{Campaign: c})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, a := range actions {
		f.act(sc.ID, a)
	}
	return sc.Campaign
}

func (f *fixture) act(id int64, action string) {
	f.t.Helper()
	if _, err := f.st.TransitionCampaign(context.Background(), f.acct, id, func(from string) (string, error) {
		return dialer.Transition(from, action)
	}); err != nil {
		f.t.Fatalf("%s campaign %d: %v", action, id, err)
	}
}

func (f *fixture) status(id int64) string {
	f.t.Helper()
	c, err := f.st.GetCampaign(context.Background(), f.acct, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c.Status
}

func (f *fixture) counts(c dialer.Campaign) store.CampaignRecordCounts {
	f.t.Helper()
	n, err := f.st.CountCampaignRecords(context.Background(), f.acct, c.Recipients)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) supervisor(p dialer.Placer) *Supervisor {
	s := &Supervisor{Store: f.st, Node: "node1", Placer: p, Interval: 20 * time.Millisecond}
	f.t.Cleanup(func() {
		s.Stop()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Wait(ctx); err != nil {
			f.t.Error(err)
		}
	})
	return s
}

func answered(_ context.Context, _ dialer.PlaceRequest) (dialer.Result, error) {
	return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
}

// TestResumesRunningCampaignsAtBoot: a campaign left Running (a restart)
// gets a runner at Start, dials every record and ends Finished; a Created
// campaign is left alone.
func TestResumesRunningCampaignsAtBoot(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(5, nil, dialer.ActionStart)
	idle := f.campaign(2, nil)
	var placed atomic.Int64
	s := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		placed.Add(1)
		if r.Campaign.ID != c.ID || r.Endpoint != "Local/"+r.Number+"@customers" {
			t.Errorf("placed %+v", r)
		}
		return answered(ctx, r)
	}))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := s.Owner(); !strings.HasPrefix(o, "node1-") || len(o) <= len("node1-") {
		t.Errorf("owner %q", o)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return f.status(c.ID) == dialer.StatusFinished }, "campaign Finished")
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 0 }, "runner released")
	if n := f.counts(c); n.Complete != 5 || n.Remaining() != 0 || n.ByStatus["IVR_FINISHED"] != 5 || n.Attempts != 5 {
		t.Errorf("counts %+v", n)
	}
	if placed.Load() != 5 {
		t.Errorf("placed %d calls, want 5", placed.Load())
	}
	if got := f.status(idle.ID); got != dialer.StatusCreated {
		t.Errorf("created campaign became %s", got)
	}
	if n := f.counts(idle); n.Attempts != 0 {
		t.Errorf("created campaign was dialed: %+v", n)
	}
}

// gate is a placer whose calls last until released.
type gate struct {
	mu      sync.Mutex
	placed  int
	release chan struct{}
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) Place(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
	g.mu.Lock()
	g.placed++
	release := g.release
	g.mu.Unlock()
	<-release // the call lasts until released, whatever ctx does (like ariplacer)
	return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
}

func (g *gate) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.placed
}

// TestPauseResumeCancelRestart: pausing stops dialing and releases the
// runner once the call in progress ended; resuming starts a runner again;
// cancelling stops it with records left; restarting finishes the campaign.
func TestPauseResumeCancelRestart(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(4, func(c *dialer.Campaign) { c.SimultaneousCalls = 1 })
	g := newGate()
	s := f.supervisor(g)
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Running() != 0 {
		t.Fatal("runner for a Created campaign")
	}
	f.act(c.ID, dialer.ActionStart)
	if err := s.Notify(ctx, f.acct, c.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return g.count() == 1 }, "first call")
	if p, ok := s.Progress(f.acct, c.ID); !ok || p.Dialed != 1 || p.Active != 1 {
		t.Errorf("progress %+v %v", p, ok)
	}
	if _, ok := s.Progress(f.acct+1, c.ID); ok {
		t.Error("progress visible to another account")
	}

	f.act(c.ID, dialer.ActionPause)
	if err := s.Notify(ctx, f.acct, c.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // several steps: the call in progress keeps the runner
	if s.Running() != 1 {
		t.Fatalf("runner released with a call in progress")
	}
	// Let calls end: no new call starts while paused.
	g.mu.Lock()
	close(g.release)
	g.release = make(chan struct{})
	g.mu.Unlock()
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 0 }, "paused runner released")
	if g.count() != 1 {
		t.Fatalf("%d calls placed while paused", g.count())
	}
	if n := f.counts(c); n.Complete != 1 || n.Pending != 3 {
		t.Errorf("after pause: %+v", n)
	}

	f.act(c.ID, dialer.ActionResume)
	if err := s.Notify(ctx, f.acct, c.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return g.count() == 2 }, "second call")
	f.act(c.ID, dialer.ActionCancel)
	if err := s.Notify(ctx, f.acct, c.ID); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	close(g.release)
	g.release = make(chan struct{})
	g.mu.Unlock()
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 0 }, "cancelled runner released")
	if n := f.counts(c); n.Complete != 2 || n.Pending != 2 || g.count() != 2 {
		t.Errorf("after cancel: %+v, %d placed", n, g.count())
	}

	// Restart (a cancelled campaign can be restarted): it finishes.
	g.mu.Lock()
	close(g.release)
	g.mu.Unlock()
	f.act(c.ID, dialer.ActionStart)
	if err := s.Notify(ctx, f.acct, c.ID); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return f.status(c.ID) == dialer.StatusFinished }, "campaign Finished")
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 0 }, "runner released")
	if n := f.counts(c); n.Complete != 4 || n.Remaining() != 0 || g.count() != 4 {
		t.Errorf("after restart: %+v, %d placed", n, g.count())
	}
}

// TestStopWaitsForCallsInProgress: Stop claims nothing more; Wait returns
// only after the call in progress ended and its outcome is recorded.
func TestStopWaitsForCallsInProgress(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(3, func(c *dialer.Campaign) { c.SimultaneousCalls = 1 }, dialer.ActionStart)
	g := newGate()
	s := f.supervisor(g)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return g.count() == 1 }, "first call")
	s.Stop()
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := s.Wait(short); err == nil {
		t.Fatal("Wait returned while a call was in progress")
	}
	g.mu.Lock()
	close(g.release)
	g.mu.Unlock()
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := s.Wait(wctx); err != nil {
		t.Fatal(err)
	}
	if n := f.counts(c); n.Complete != 1 || n.Pending != 2 || n.InProcess != 0 || g.count() != 1 {
		t.Errorf("after stop: %+v, %d placed", n, g.count())
	}
	if got := f.status(c.ID); got != dialer.StatusRunning {
		t.Errorf("status %s after shutdown, want Running (resumed at next boot)", got)
	}
	if err := s.Notify(context.Background(), f.acct, c.ID); err != ErrNotStarted {
		t.Errorf("Notify after Stop: %v", err)
	}
}

// TestNoQueuesPlacesNoAgentPacedCalls: until agent queues exist, a
// progressive campaign places nothing (and stays Running).
func TestNoQueuesPlacesNoAgentPacedCalls(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(2, func(c *dialer.Campaign) { c.Mode, c.Queue = dialer.ModeProgressive, "sales" }, dialer.ActionStart)
	var placed atomic.Int64
	s := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		placed.Add(1)
		return answered(ctx, r)
	}))
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 1 }, "runner")
	time.Sleep(150 * time.Millisecond)
	if placed.Load() != 0 || f.status(c.ID) != dialer.StatusRunning {
		t.Errorf("placed %d, status %s", placed.Load(), f.status(c.ID))
	}
	if p, ok := s.Progress(f.acct, c.ID); !ok || p.DialLevel != 0 {
		t.Errorf("progress %+v %v", p, ok)
	}
	st, err := (&NoQueues{}).Staffing(context.Background(), 1, "q")
	n := st.Free + st.LoggedIn
	if n != 0 || err != nil {
		t.Errorf("NoQueues = %d, %v", n, err)
	}
}

func TestStartNeedsStoreAndPlacer(t *testing.T) {
	if err := (&Supervisor{}).Start(context.Background()); err == nil {
		t.Error("Start without Store and Placer succeeded")
	}
}

// TestWakeOnFreeAgent: with an hour-long pacing interval, a progressive
// campaign places its call as soon as the ACD reports a free agent of its
// queue through Wake; a wake for another queue does nothing.
func TestWakeOnFreeAgent(t *testing.T) {
	f := newFixture(t)
	f.campaign(1, func(c *dialer.Campaign) { c.Mode, c.Queue = dialer.ModeProgressive, "sales" }, dialer.ActionStart)
	var free, placed atomic.Int64
	s := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		placed.Add(1)
		free.Store(0)
		return answered(ctx, r)
	}))
	s.Interval = time.Hour
	s.Agents = dialer.AgentStateFunc(func(context.Context, int64, string) (dialer.Staffing, error) {
		n := int(free.Load())
		return dialer.Staffing{LoggedIn: 1, Free: n, Busy: 1 - n}, nil
	})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 1 }, "runner")
	time.Sleep(100 * time.Millisecond) // the first step: no free agent
	free.Store(1)
	s.Wake(f.acct, "support")
	time.Sleep(100 * time.Millisecond)
	if placed.Load() != 0 {
		t.Fatal("a wake for another queue placed a call")
	}
	s.Wake(f.acct, "sales")
	testkit.Eventually(t, 10*time.Second, func() bool { return placed.Load() == 1 }, "the call after the wake")
}

// TestRunnerRegionIsTheAccountCountry: a runner's default country is the
// account's own when it set one, else the server default (also when the
// lookup fails).
func TestRunnerRegionIsTheAccountCountry(t *testing.T) {
	for _, tc := range []struct {
		name    string
		country string
		err     error
		want    string
	}{
		{"account country", "IN", nil, "IN"},
		{"no account country", "", nil, "US"},
		{"lookup fails", "", errors.New("db down"), "US"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Supervisor{DefaultRegion: "US", Logger: slog.New(slog.DiscardHandler),
				AccountCountry: func(_ context.Context, acc int64) (string, error) {
					if acc != 7 {
						t.Errorf("account %d", acc)
					}
					return tc.country, tc.err
				}}
			if got := s.region(7); got != tc.want {
				t.Errorf("region = %q, want %q", got, tc.want)
			}
		})
	}
	if got := (&Supervisor{DefaultRegion: "DE"}).region(7); got != "DE" {
		t.Errorf("without AccountCountry: %q", got)
	}
}

// TestRunnerLocationIsTheAccountTimeZone: the calling window of records
// with no zone of their own is read in the account's time zone, else the
// server default (also when the lookup fails).
func TestRunnerLocationIsTheAccountTimeZone(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		loc  *time.Location
		err  error
		want *time.Location
	}{
		{"account zone", kolkata, nil, kolkata},
		{"lookup fails", nil, errors.New("db down"), berlin},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Supervisor{Location: berlin, Logger: slog.New(slog.DiscardHandler),
				AccountLocation: func(_ context.Context, acc int64) (*time.Location, error) {
					if acc != 7 {
						t.Errorf("account %d", acc)
					}
					return tc.loc, tc.err
				}}
			if got := s.location(7); got != tc.want {
				t.Errorf("location = %v, want %v", got, tc.want)
			}
		})
	}
	if got := (&Supervisor{Location: berlin}).location(7); got != berlin {
		t.Errorf("without AccountLocation: %v", got)
	}
}
