package supervisor

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
)

// TestResyncAdoptsRunningCampaign: a campaign started without a
// notification to this node (through another node's API) gets a runner
// from the resync job — run by robfig/cron every second here — and a
// campaign paused behind the supervisor's back is released by the sweep
// once its call has ended.
func TestResyncAdoptsRunningCampaign(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(3, func(c *dialer.Campaign) { c.SimultaneousCalls = 1 })
	g := newGate()
	s := f.supervisor(g)
	s.ResyncSchedule = "@every 1s"
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.act(c.ID, dialer.ActionStart) // no Notify
	start := time.Now()
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 1 }, "runner adopted by the resync job")
	t.Logf("adopted after %v", time.Since(start))
	testkit.Eventually(t, 10*time.Second, func() bool { return g.count() == 1 }, "first call")

	f.act(c.ID, dialer.ActionPause) // no Notify either
	s.Resync(context.Background())  // sees it Paused: marks it for the sweep
	time.Sleep(50 * time.Millisecond)
	if s.Running() != 1 {
		t.Fatal("runner released with a call in progress")
	}
	g.mu.Lock()
	close(g.release)
	g.release = make(chan struct{})
	g.mu.Unlock()
	testkit.Eventually(t, 10*time.Second, func() bool { return s.Running() == 0 }, "paused runner released by the sweep")
	if g.count() != 1 {
		t.Errorf("%d calls while paused", g.count())
	}
}

// TestResyncDirect: Resync can run without the scheduler (disabled with
// "-"), and a bad schedule is refused at Start.
func TestResyncDirect(t *testing.T) {
	f := newFixture(t)
	c := f.campaign(1, nil)
	s := f.supervisor(newGate())
	s.ResyncSchedule, s.SweepSchedule = "-", "-"
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.act(c.ID, dialer.ActionStart)
	time.Sleep(50 * time.Millisecond)
	if s.Running() != 0 {
		t.Fatal("runner without a resync")
	}
	s.Resync(context.Background())
	if s.Running() != 1 {
		t.Fatal("Resync did not adopt the running campaign")
	}
	bad := f.supervisor(newGate())
	bad.SweepSchedule = "every second"
	if err := bad.Start(context.Background()); err == nil {
		t.Error("Start with a bad schedule succeeded")
	}
}
