package dialer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func (m *memRecords) states() (states []string, attempts []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		states, attempts = append(states, r.state), append(attempts, r.attempts)
	}
	return states, attempts
}

func aheadRunner(recs Records, p Placer, clock Clock, lines, ahead int) *Runner {
	return &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: lines, DialAttempts: 1, EndpointTemplate: "Local/{number}@customers"},
		Records:  recs, Placer: p, Clock: clock, ClaimAhead: ahead,
	}
}

// waitActive waits until the runner has n calls holding records.
func waitActive(t *testing.T, r *Runner, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for r.Active() != n {
		if time.Now().After(deadline) {
			t.Fatalf("active %d, want %d", r.Active(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestClaimAhead: a runner claims its lines' records and ClaimAhead more
// in one claim; a freed line takes a record claimed ahead without a claim;
// the buffer is filled again once it is down to half; every record is
// dialed once and the campaign finishes.
func TestClaimAhead(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(10)...)
	g := newGatePlacer()
	clock := clockAt(time.Unix(1e9, 0))
	finished := 0
	r := aheadRunner(recs, g, clock, 2, 4)
	r.Finished = func(context.Context) error { finished++; return nil }
	step := func() {
		t.Helper()
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	<-g.started
	<-g.started
	if got := recs.claims; !slices.Equal(got, []int{6}) {
		t.Fatalf("claims %v, want one of 2 lines + 4 ahead", got)
	}
	if r.Ready() != 4 {
		t.Fatalf("ready %d, want 4", r.Ready())
	}
	// A line frees: its next record was claimed ahead (no claim); 3 left
	// ready is more than half, so none is claimed either.
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	waitActive(t, r, 1)
	step()
	<-g.started
	if len(recs.claims) != 1 || r.Ready() != 3 {
		t.Fatalf("claims %v ready %d, want no new claim and 3 ready", recs.claims, r.Ready())
	}
	// Down to 2 (half): the step fills the buffer again.
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	waitActive(t, r, 1)
	step()
	<-g.started
	if !slices.Equal(recs.claims, []int{6, 2}) || r.Ready() != 4 {
		t.Fatalf("claims %v ready %d, want a refill of 2 and 4 ready", recs.claims, r.Ready())
	}
	// The rest of the list.
	for dialed := 4; dialed < 10; dialed++ {
		g.release <- Result{Status: "IVR_FINISHED", Answered: true}
		waitActive(t, r, 1)
		clock.Add(2 * time.Second) // past the drained pause of a short claim
		step()
		<-g.started
	}
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	r.Wait()
	clock.Add(2 * time.Second)
	step()
	if len(g.calls) != 10 || g.peak != 2 {
		t.Errorf("calls %v peak %d, want the 10 numbers, 2 at a time", g.calls, g.peak)
	}
	if finished != 1 {
		t.Errorf("Finished called %d times, want 1", finished)
	}
	states, attempts := recs.states()
	for i := range states {
		if states[i] != "done" || attempts[i] != 1 {
			t.Errorf("record %d: %s after %d attempts, want done after 1", i+1, states[i], attempts[i])
		}
	}
}

// TestClaimAheadHandedBack: the records claimed ahead go back, their
// attempt not counted, when the campaign is paused and when the runner
// stops; the calls in progress are not disturbed.
func TestClaimAheadHandedBack(t *testing.T) {
	for _, how := range []string{"pause", "stop"} {
		t.Run(how, func(t *testing.T) {
			recs := newMemRecords(1, numbers(8)...)
			g := newGatePlacer()
			clock := clockAt(time.Unix(1e9, 0))
			r := aheadRunner(recs, g, clock, 2, 4)
			var mu sync.Mutex
			status := StatusRunning
			r.Status = func(context.Context) (string, error) {
				mu.Lock()
				defer mu.Unlock()
				return status, nil
			}
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			<-g.started
			<-g.started
			for r.Ready() != 4 {
				time.Sleep(time.Millisecond)
			}
			switch how {
			case "pause":
				mu.Lock()
				status = StatusPaused
				mu.Unlock()
				clock.Add(2 * time.Second) // the status is read again
				r.Wake()
				for r.Ready() != 0 {
					time.Sleep(time.Millisecond)
				}
			case "stop":
				cancel()
			}
			// The 4 records claimed ahead (3…6) are pending again with
			// no attempt.
			deadline := time.Now().Add(5 * time.Second)
			for {
				states, attempts := recs.states()
				pending := 0
				for i := 2; i < 6; i++ {
					if states[i] == "pending" && attempts[i] == 0 {
						pending++
					}
				}
				if pending == 4 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after %s: states %v attempts %v, want records 3…6 pending with no attempt", how, states, attempts)
				}
				time.Sleep(time.Millisecond)
			}
			if how == "pause" {
				g.release <- Result{Status: "IVR_FINISHED", Answered: true}
				g.release <- Result{Status: "IVR_FINISHED", Answered: true}
				cancel()
			}
			<-done
			if len(g.calls) != 2 {
				t.Errorf("dialed %v, want only the 2 calls placed before", g.calls)
			}
		})
	}
}

// TestClaimAheadLeasesRenewed: records claimed ahead have their leases
// renewed with the calls'.
func TestClaimAheadLeasesRenewed(t *testing.T) {
	ctx := ctxT(t)
	recs := &renewRecords{memRecords: newMemRecords(1, numbers(6)...)}
	g := newGatePlacer()
	clock := clockAt(time.Unix(1e9, 0))
	r := aheadRunner(recs, g, clock, 2, 4)
	r.RenewAfter = 30 * time.Second
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-g.started
	<-g.started
	clock.Add(31 * time.Second)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	recs.mu.Lock()
	renewed := recs.renewed
	recs.mu.Unlock()
	if len(renewed) != 1 || !slices.Equal(renewed[0], []int64{1, 2, 3, 4, 5, 6}) {
		t.Errorf("renewed %v, want the 2 calls' and the 4 ready records' leases", renewed)
	}
	g.release <- Result{Status: "IVR_FINISHED"}
	g.release <- Result{Status: "IVR_FINISHED"}
	r.Wait()
}

// TestClaimAheadScreenedAgainWhenStale: a record claimed ahead longer than
// readyScreenFor is screened again at its dial (a number blacklisted
// meanwhile is not dialed); a fresh one keeps its claim's screening.
func TestClaimAheadScreenedAgainWhenStale(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(3)...)
	g := newGatePlacer()
	clock := clockAt(time.Unix(1e9, 0))
	r := aheadRunner(recs, g, clock, 1, 2)
	var mu sync.Mutex
	blocked := map[string]bool{}
	var screenedAtDial []string
	r.ScreenAll = func(_ context.Context, _ int64, nums []string) (map[string]string, error) {
		return map[string]string{}, nil
	}
	r.Screen = func(_ context.Context, _ int64, n string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		screenedAtDial = append(screenedAtDial, n)
		if blocked[n] {
			return "blacklist", nil
		}
		return "", nil
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	first := <-g.started
	mu.Lock()
	for _, n := range numbers(3)[1:] {
		blocked[n[0]] = true
	}
	mu.Unlock()
	// Record 2 is taken 1 s after its claim: its claim's screening stands.
	clock.Add(time.Second)
	g.release <- Result{Status: "IVR_FINISHED"}
	waitActive(t, r, 0)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	second := <-g.started
	// Record 3 is taken after readyScreenFor: screened again, blocked.
	clock.Add(readyScreenFor + time.Second)
	g.release <- Result{Status: "IVR_FINISHED"}
	waitActive(t, r, 0)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if first != numbers(3)[0][0] || second != numbers(3)[1][0] || len(g.calls) != 2 {
		t.Errorf("dialed %v", g.calls)
	}
	if got := recs.lasts(); got[2] != StatusBlocked {
		t.Errorf("statuses %v, want the stale record BLOCKED", got)
	}
	if !slices.Equal(screenedAtDial, []string{numbers(3)[2][0]}) {
		t.Errorf("screened at dial %v, want only the stale record", screenedAtDial)
	}
}

// TestClaimAheadDrained: once a claim comes back short, the runner does
// not claim again within an interval (the end of a list would make a
// claim per ended call), unless it is woken (an import).
func TestClaimAheadDrained(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(1)...)
	g := newGatePlacer()
	clock := clockAt(time.Unix(1e9, 0))
	r := aheadRunner(recs, g, clock, 4, 4)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-g.started
	for range 3 {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(recs.claims) != 1 {
		t.Fatalf("claims %v, want none after the short one within the interval", recs.claims)
	}
	r.Wake()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * time.Second)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if len(recs.claims) != 3 {
		t.Fatalf("claims %v, want one after the wake and one after the interval", recs.claims)
	}
	g.release <- Result{Status: "IVR_FINISHED"}
	r.Wait()
}

func TestClaimAheadFor(t *testing.T) {
	for _, tc := range []struct{ lines, want int }{{0, 0}, {1, 0}, {4, 1}, {200, 50}, {800, 64}} {
		if got := ClaimAheadFor(tc.lines); got != tc.want {
			t.Errorf("ClaimAheadFor(%d) = %d, want %d", tc.lines, got, tc.want)
		}
	}
}
