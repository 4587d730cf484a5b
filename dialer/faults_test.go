package dialer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// flakyRecords fails Finish (and Renew) while down is set, like a store
// during an outage.
type flakyRecords struct {
	*memRecords
	mu       sync.Mutex
	down     bool
	failed   int
	final    bool
	renewIDs []int64
}

func (f *flakyRecords) setDown(d bool) {
	f.mu.Lock()
	f.down = d
	f.mu.Unlock()
}

func (f *flakyRecords) Finish(ctx context.Context, o Outcome) error {
	f.mu.Lock()
	down, final := f.down, f.final
	if down {
		f.failed++
	}
	f.mu.Unlock()
	if final {
		return fmt.Errorf("lease lost: %w", ErrFinal)
	}
	if down {
		return errors.New("connection refused")
	}
	return f.memRecords.Finish(ctx, o)
}

func (f *flakyRecords) Renew(ctx context.Context, ids []int64, now time.Time) error {
	f.mu.Lock()
	f.renewIDs = append(f.renewIDs, ids...)
	f.mu.Unlock()
	return f.memRecords.Renew(ctx, ids, now)
}

func (f *flakyRecords) failures() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failed
}

// An outcome write that fails during a store outage is retried until the
// store is back; meanwhile the record stays active (its lease renewed) and
// is never claimed or dialed again.
func TestRunnerOutcomeSurvivesStoreOutage(t *testing.T) {
	ctx := ctxT(t)
	recs := &flakyRecords{memRecords: newMemRecords(3, numbers(2)...)}
	recs.setDown(true)
	var mu sync.Mutex
	dialed := map[string]int{}
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 3, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: SystemClock{}, Interval: 20 * time.Millisecond,
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			mu.Lock()
			dialed[p.Number]++
			mu.Unlock()
			return Result{Status: "FAILED"}, errors.New("customer line failed") // retried status
		}),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for recs.failures() < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if recs.failures() < 6 {
		t.Fatalf("outcome writes tried %d times during the outage, want retries", recs.failures())
	}
	// Steps during the outage renew the leases (once per interval) and
	// claim nothing new.
	for range 3 {
		time.Sleep(2 * r.Interval)
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := r.Active(); got != 2 {
		t.Errorf("active during the outage = %d, want 2 (records kept until recorded)", got)
	}
	recs.mu.Lock()
	renewed := len(recs.renewIDs)
	recs.mu.Unlock()
	if renewed < 6 {
		t.Errorf("renewed %d leases during the outage, want ≥ 6", renewed)
	}
	recs.setDown(false)
	r.Wait()
	mu.Lock()
	defer mu.Unlock()
	for n, c := range dialed {
		if c != 1 {
			t.Errorf("%s dialed %d times, want 1", n, c)
		}
	}
	for _, rec := range recs.recs {
		if rec.state != "pending" || rec.attempts != 1 || rec.last != "FAILED" {
			t.Errorf("record %d: %+v, want pending for its retry after attempt 1", rec.ID, rec)
		}
	}
}

// A final error (lease lost) is not retried: the runner lets go at once.
func TestRunnerOutcomeFinalErrorNotRetried(t *testing.T) {
	ctx := ctxT(t)
	recs := &flakyRecords{memRecords: newMemRecords(1, numbers(1)...), final: true}
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: SystemClock{},
		Placer: PlacerFunc(func(context.Context, PlaceRequest) (Result, error) {
			return Result{Status: "ANSWERED", Answered: true}, nil
		}),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("a final outcome error was retried")
	}
}

// availPlacer is a placer that is unavailable until up is set, and
// refuses calls as not placed while down.
type availPlacer struct {
	mu     sync.Mutex
	up     bool
	placed int
	tried  int
}

func (p *availPlacer) Available() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.up
}

func (p *availPlacer) Place(context.Context, PlaceRequest) (Result, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tried++
	if !p.up {
		return Result{}, fmt.Errorf("originate: %w: 503 Shutdown in progress", ErrNotPlaced)
	}
	p.placed++
	return Result{Status: "ANSWERED", Answered: true}, nil
}

// Asterisk unavailable is a wait, not a failed call: a call refused as not
// placed hands its record back uncounted, and nothing is claimed while the
// placer reports itself unavailable.
func TestRunnerWaitsWhileUnavailable(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(3)...)
	p := &availPlacer{up: true}
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: &fakeClock{}, Placer: p,
	}
	// Refused mid-dial (Asterisk went away between the check and the call).
	p.up = false
	r.Placer = refuseOnce{p}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	for _, rec := range recs.recs {
		if rec.state != "pending" || rec.attempts != 0 || rec.last != "" {
			t.Errorf("record %d after a refused originate: %+v, want pending, 0 attempts", rec.ID, rec)
		}
	}
	if got := r.Progress().Dialed; got != 0 {
		t.Errorf("dialed = %d after refused originates, want 0", got)
	}
	// Unavailable: nothing is claimed.
	r.Placer = p
	claims := len(recs.claims)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(recs.claims) != claims {
		t.Errorf("claimed while the placer was unavailable")
	}
	p.mu.Lock()
	p.up = true
	p.mu.Unlock()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if got := recs.lasts(); len(got) != 3 || got[0] != "ANSWERED" || got[1] != "ANSWERED" || got[2] != "ANSWERED" {
		t.Errorf("statuses after Asterisk came back: %v", got)
	}
	if p.placed != 3 {
		t.Errorf("placed %d, want 3", p.placed)
	}
}

// refuseOnce hides Available so the runner dials and the placer refuses.
type refuseOnce struct{ p *availPlacer }

func (r refuseOnce) Place(ctx context.Context, req PlaceRequest) (Result, error) {
	return r.p.Place(ctx, req)
}

// reclaimRecords hands out reclaimed records (a dead node's expired
// leases) and knows which of their attempts were placed.
type reclaimRecords struct {
	*memRecords
	placed map[int64]Orphan // by record ID: the attempt's call record
}

func (f *reclaimRecords) Claim(ctx context.Context, now time.Time, limit int) ([]Record, error) {
	recs, err := f.memRecords.Claim(ctx, now, limit)
	for i := range recs {
		recs[i].Reclaimed = true
	}
	return recs, err
}

func (f *reclaimRecords) Orphans(context.Context, time.Time) ([]Orphan, error) { return nil, nil }

func (f *reclaimRecords) Settle(_ context.Context, o Orphan) (Orphan, error) {
	if p, ok := f.placed[o.Record.ID]; ok {
		p.Record = o.Record
		return p, nil
	}
	o.Placed, o.Ended = false, false
	return o, nil
}

// A record reclaimed for the same attempt is settled from its call record
// when that attempt was placed (never dialed again), and dialed when it was
// not.
func TestRunnerReclaimedAttempt(t *testing.T) {
	ctx := ctxT(t)
	recs := &reclaimRecords{memRecords: newMemRecords(1, numbers(2)...),
		placed: map[int64]Orphan{1: {Placed: true, Ended: true, Status: "ANSWERED", Answered: true}}}
	var mu sync.Mutex
	var dialed []string
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: SystemClock{}, Interval: 10 * time.Millisecond,
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			mu.Lock()
			dialed = append(dialed, p.Number)
			mu.Unlock()
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
	}
	r.adopted = true // no orphans of a previous life in this test
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed[0] != recs.recs[1].Numbers[0] {
		t.Errorf("dialed %v, want only the record whose attempt was never placed", dialed)
	}
	if got := recs.lasts(); got[0] != "ANSWERED" || got[1] != "IVR_FINISHED" {
		t.Errorf("statuses %v, want [ANSWERED (settled) IVR_FINISHED (dialed)]", got)
	}
}
