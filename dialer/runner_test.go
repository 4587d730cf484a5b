package dialer

import (
	"context"
	"errors"
	"fmt"
	"github.com/switchyard/switchyard/internal/testkit"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock whose timers never fire: the runner
// steps only when woken.
type fakeClock struct{ testkit.FakeClock }

func (c *fakeClock) After(time.Duration) <-chan time.Time { return nil }

func clockAt(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.Set(t)
	return c
}

type memRec struct {
	Record
	state    string // pending, leased, done
	next     time.Time
	attempts int
	last     string
}

// memRecords is an in-memory Records with the store's claim rules.
type memRecords struct {
	mu      sync.Mutex
	max     int
	recs    []*memRec
	claims  []int // limits asked
	renewed int
}

func newMemRecords(max int, numbers ...[]string) *memRecords {
	m := &memRecords{max: max}
	for i, n := range numbers {
		m.recs = append(m.recs, &memRec{Record: Record{ID: int64(i + 1), AccountID: 1, Numbers: n}, state: "pending"})
	}
	return m
}

func (m *memRecords) Claim(_ context.Context, now time.Time, limit int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims = append(m.claims, limit)
	var out []Record
	for _, r := range m.recs {
		if len(out) == limit {
			break
		}
		if r.state == "pending" && !r.next.After(now) && r.attempts < m.max {
			r.state = "leased"
			r.attempts++
			rec := r.Record
			rec.Attempt = r.attempts
			out = append(out, rec)
		}
	}
	return out, nil
}

func (m *memRecords) Renew(context.Context, []int64, time.Time) error {
	m.mu.Lock()
	m.renewed++
	m.mu.Unlock()
	return nil
}

func (m *memRecords) Finish(_ context.Context, o Outcome) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.recs {
		if r.ID != o.RecordID {
			continue
		}
		if r.state != "leased" {
			return errors.New("not leased")
		}
		switch {
		case o.Release:
			r.state = "pending"
			r.attempts--
			if !o.NextAttemptAt.IsZero() {
				r.next = o.NextAttemptAt
			}
		case o.Retry:
			r.state, r.next, r.last = "pending", o.NextAttemptAt, o.Status
		default:
			r.state, r.last = "done", o.Status
		}
		return nil
	}
	return errors.New("no such record")
}

func (m *memRecords) Remaining(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for _, r := range m.recs {
		if r.state != "done" {
			n++
		}
	}
	return n, nil
}

func (m *memRecords) lasts() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for _, r := range m.recs {
		out = append(out, r.last)
	}
	return out
}

// gatePlacer blocks every call until released, recording numbers and the
// peak concurrency.
type gatePlacer struct {
	mu      sync.Mutex
	calls   []string
	cur     int
	peak    int
	release chan Result
	started chan string
}

func newGatePlacer() *gatePlacer {
	return &gatePlacer{release: make(chan Result), started: make(chan string, 100)}
}

func (g *gatePlacer) Place(ctx context.Context, r PlaceRequest) (Result, error) {
	g.mu.Lock()
	g.calls = append(g.calls, r.Number)
	g.cur++
	g.peak = max(g.peak, g.cur)
	g.mu.Unlock()
	g.started <- r.Number
	defer func() {
		g.mu.Lock()
		g.cur--
		g.mu.Unlock()
	}()
	select {
	case res := <-g.release:
		return res, nil
	case <-ctx.Done():
		return Result{Status: "CANCEL"}, ctx.Err()
	}
}

func numbers(n int) [][]string {
	var out [][]string
	for i := range n {
		out = append(out, []string{"+1555000" + string(rune('0'+i))})
	}
	return out
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRunnerMulticastConcurrency(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(5)...)
	g := newGatePlacer()
	finished := 0
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 3, DialAttempts: 1, EndpointTemplate: "Local/{number}@customers"},
		Records:  recs, Placer: g, Clock: clockAt(time.Unix(1e9, 0)),
		Finished: func(context.Context) error { finished++; return nil },
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		<-g.started
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Active() != 3 || r.Progress().Dialed != 3 {
		t.Fatalf("active %d progress %+v, want 3 calls", r.Active(), r.Progress())
	}
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	for r.Active() != 2 {
		time.Sleep(time.Millisecond)
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-g.started
	for range 3 {
		g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	}
	r.Wait()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-g.started
	g.release <- Result{Status: "IVR_FINISHED", Answered: true}
	r.Wait()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if g.peak != 3 || len(g.calls) != 5 {
		t.Errorf("peak %d calls %v", g.peak, g.calls)
	}
	if finished != 1 {
		t.Errorf("Finished called %d times, want 1", finished)
	}
	p := r.Progress()
	if p.Dialed != 5 || p.Answered != 5 || p.Active != 0 {
		t.Errorf("progress %+v", p)
	}
	if !slices.Equal(recs.lasts(), []string{"IVR_FINISHED", "IVR_FINISHED", "IVR_FINISHED", "IVR_FINISHED", "IVR_FINISHED"}) {
		t.Errorf("statuses %v", recs.lasts())
	}
}

// renewRecords records which records each renewal wrote.
type renewRecords struct {
	*memRecords
	mu      sync.Mutex
	renewed [][]int64
}

func (r *renewRecords) Renew(ctx context.Context, ids []int64, now time.Time) error {
	r.mu.Lock()
	r.renewed = append(r.renewed, slices.Sorted(slices.Values(ids)))
	r.mu.Unlock()
	return r.memRecords.Renew(ctx, ids, now)
}

// TestRunnerRenewsLeasesHeldLong: a call in progress has its lease
// renewed once it has held it RenewAfter (by default one interval), and
// then again every RenewAfter; shorter calls are never written again.
func TestRunnerRenewsLeasesHeldLong(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	for _, tc := range []struct {
		name       string
		renewAfter time.Duration
		// at: seconds after the first claim when a step runs; dial: how
		// many more records are claimed at that step.
		steps []struct{ at, dial int }
		want  [][]int64
	}{
		{"default: every interval", 0,
			[]struct{ at, dial int }{{0, 2}, {1, 0}, {2, 1}, {3, 0}},
			[][]int64{{1, 2}, {1, 2}, {1, 2, 3}}},
		{"renew after 30 s", 30 * time.Second,
			[]struct{ at, dial int }{{0, 2}, {1, 0}, {20, 1}, {29, 0}, {30, 0}, {45, 0}, {50, 0}, {60, 0}},
			[][]int64{{1, 2}, {3}, {1, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			recs := &renewRecords{memRecords: newMemRecords(1, numbers(5)...)}
			g := newGatePlacer()
			clock := clockAt(t0)
			r := &Runner{
				Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 0, DialAttempts: 1, EndpointTemplate: "Local/{number}@customers"},
				Records:  recs, Placer: g, Clock: clock, Interval: time.Second, RenewAfter: tc.renewAfter,
			}
			lines := 0
			for _, st := range tc.steps {
				clock.Set(t0.Add(time.Duration(st.at) * time.Second))
				lines += st.dial
				r.Campaign.SimultaneousCalls = lines
				if err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				for range st.dial {
					<-g.started
				}
			}
			for range lines {
				g.release <- Result{Status: "IVR_FINISHED", Answered: true}
			}
			r.Wait()
			recs.mu.Lock()
			defer recs.mu.Unlock()
			if fmt.Sprint(recs.renewed) != fmt.Sprint(tc.want) {
				t.Errorf("renewals %v, want %v", recs.renewed, tc.want)
			}
		})
	}
}

func TestRunnerAgentPaced(t *testing.T) {
	for _, tc := range []struct {
		name         string
		mode         string
		mult, global float64
		free, simul  int
		want         int
	}{
		{"progressive", ModeProgressive, 0, 1, 2, 10, 2},
		{"multiplied 2 agents x3", ModeMultiplied, 0, 3, 2, 10, 6},
		{"multiplied override capped", ModeMultiplied, 4, 3, 2, 5, 5},
		{"no free agents", ModeProgressive, 0, 1, 0, 10, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			recs := newMemRecords(1, numbers(9)...)
			g := newGatePlacer()
			var queues []string
			r := &Runner{
				Campaign: Campaign{ID: 1, AccountID: 7, Mode: tc.mode, Queue: "sales", Multiplier: tc.mult, SimultaneousCalls: tc.simul, DialAttempts: 1, EndpointTemplate: "Local/{number}@customers"},
				Records:  recs, Placer: g, Clock: clockAt(time.Unix(1e9, 0)), GlobalMultiplier: tc.global,
				Agents: AgentStateFunc(func(_ context.Context, acct int64, q string) (Staffing, error) {
					queues = append(queues, fmt.Sprintf("%d %s", acct, q))
					return Staffing{LoggedIn: tc.free + 1, Free: tc.free, Busy: 1}, nil
				}),
			}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			for range tc.want {
				<-g.started
			}
			if r.Active() != tc.want || r.Progress().DialLevel != tc.want {
				t.Errorf("active %d level %d, want %d", r.Active(), r.Progress().DialLevel, tc.want)
			}
			// Same agents, calls still ringing: nothing more.
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			if r.Active() != tc.want {
				t.Errorf("second step: active %d", r.Active())
			}
			for range tc.want {
				g.release <- Result{Status: "NOANSWER"}
			}
			r.Wait()
			if len(queues) != 2 || queues[0] != "7 sales" {
				t.Errorf("queried queues %v", queues)
			}
		})
	}
	t.Run("agent state error", func(t *testing.T) {
		r := &Runner{
			Campaign: Campaign{Mode: ModeProgressive, Queue: "q", SimultaneousCalls: 1, DialAttempts: 1},
			Records:  newMemRecords(1, numbers(1)...), Placer: newGatePlacer(), Clock: &fakeClock{},
			Agents: AgentStateFunc(func(context.Context, int64, string) (Staffing, error) { return Staffing{}, errors.New("queue down") }),
		}
		if err := r.Step(ctxT(t)); err == nil || r.Active() != 0 {
			t.Fatalf("step with agent-state error: %v, active %d", err, r.Active())
		}
		r.Agents = nil
		if err := r.Step(ctxT(t)); err == nil {
			t.Fatal("progressive without agent state must fail")
		}
	})
}

func TestRunnerRotationAndRetry(t *testing.T) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clockAt(t0)
	recs := newMemRecords(MaxAttempts(&Campaign{DialAttempts: 3}), []string{"busy", "answer"}, []string{"noanswer"})
	results := map[string]Result{
		"busy": {Status: "BUSY"}, "answer": {Status: "IVR_FINISHED", Answered: true}, "noanswer": {Status: "NOANSWER"},
	}
	var mu sync.Mutex
	var dialed []string
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 5, DialAttempts: 3, RetryIntervalSec: 60, EndpointTemplate: "Local/{number}@customers"},
		Records:  recs, Clock: clk,
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			mu.Lock()
			dialed = append(dialed, p.Endpoint)
			mu.Unlock()
			return results[p.Number], nil
		}),
	}
	step := func(at time.Duration) {
		t.Helper()
		clk.Set(t0.Add(at))
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		r.Wait()
	}
	step(0)                 // attempt 1: busy, noanswer
	step(30 * time.Second)  // nothing due
	step(60 * time.Second)  // attempt 2: answer (rotated), noanswer
	step(120 * time.Second) // attempt 3: noanswer again — last
	step(600 * time.Second) // nothing left
	slices.Sort(dialed)
	want := []string{
		"Local/answer@customers", "Local/busy@customers",
		"Local/noanswer@customers", "Local/noanswer@customers", "Local/noanswer@customers",
	}
	if !slices.Equal(dialed, want) {
		t.Errorf("dialed %v\nwant %v", dialed, want)
	}
	if got := recs.lasts(); !slices.Equal(got, []string{"IVR_FINISHED", "NOANSWER"}) {
		t.Errorf("final statuses %v", got)
	}
	if rem, err := recs.Remaining(ctx); err != nil {
		t.Fatalf("recs.Remaining(ctx): %v", err)
	} else if rem != 0 {
		t.Errorf("remaining %d", rem)
	}
}

func TestRunnerReschedule(t *testing.T) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clockAt(t0)
	recs := newMemRecords(MaxAttempts(&Campaign{DialAttempts: 1}), []string{"a"})
	n := 0
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, RetryIntervalSec: 10, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: clk,
		Placer: PlacerFunc(func(context.Context, PlaceRequest) (Result, error) {
			n++
			if n == 1 {
				return Result{Status: "IVR_FINISHED", Answered: true, Rescheduled: true, RescheduleAt: t0.Add(time.Hour)}, nil
			}
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
	}
	for _, at := range []time.Duration{0, 59 * time.Minute, time.Hour, 2 * time.Hour} {
		clk.Set(t0.Add(at))
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		r.Wait()
	}
	if n != 2 || recs.recs[0].attempts != 2 || recs.recs[0].state != "done" {
		t.Errorf("calls %d record %+v", n, recs.recs[0])
	}
}

func TestRunnerScreenAndNoNumber(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, []string{"+15550001"}, []string{"+15550002"}, nil, []string{"+15550003"})
	var placed []string
	var mu sync.Mutex
	screenErr := true
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: &fakeClock{},
		Screen: func(_ context.Context, acc int64, number string) (string, error) {
			if number == "+15550003" && screenErr {
				return "", errors.New("db down")
			}
			if number == "+15550002" {
				return "blacklisted", nil
			}
			return "", nil
		},
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			mu.Lock()
			placed = append(placed, p.Number)
			mu.Unlock()
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if got := recs.lasts(); !slices.Equal(got, []string{"IVR_FINISHED", StatusBlocked, StatusNoNumber, ""}) {
		t.Errorf("statuses %v", got)
	}
	if recs.recs[3].state != "pending" || recs.recs[3].attempts != 0 {
		t.Errorf("screen error must release the claim uncounted: %+v", recs.recs[3])
	}
	screenErr = false
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if !slices.Equal(placed, []string{"+15550001", "+15550003"}) {
		t.Errorf("placed %v", placed)
	}
}

// TestRunnerScreenAllAtClaim: a step screens its claimed records in one
// batch; per-record screening runs only when the batch failed.
func TestRunnerScreenAllAtClaim(t *testing.T) {
	for _, batchFails := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch fails %v", batchFails), func(t *testing.T) {
			ctx := ctxT(t)
			recs := newMemRecords(1, []string{"+15550001"}, []string{"+15550002"}, []string{"+15550003"})
			var mu sync.Mutex
			var batches [][]string
			single := 0
			r := &Runner{
				Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
				Records:  recs, Clock: &fakeClock{},
				ScreenAll: func(_ context.Context, acc int64, numbers []string) (map[string]string, error) {
					mu.Lock()
					defer mu.Unlock()
					batches = append(batches, slices.Sorted(slices.Values(numbers)))
					if batchFails {
						return nil, errors.New("db down")
					}
					return map[string]string{"+15550002": "DNC +1555"}, nil
				},
				Screen: func(_ context.Context, acc int64, number string) (string, error) {
					mu.Lock()
					defer mu.Unlock()
					single++
					if number == "+15550002" {
						return "DNC +1555", nil
					}
					return "", nil
				},
				Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
					return Result{Status: "IVR_FINISHED", Answered: true}, nil
				}),
			}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			r.Wait()
			if got := recs.lasts(); !slices.Equal(got, []string{"IVR_FINISHED", StatusBlocked, "IVR_FINISHED"}) {
				t.Errorf("statuses %v", got)
			}
			if len(batches) != 1 || !slices.Equal(batches[0], []string{"+15550001", "+15550002", "+15550003"}) {
				t.Errorf("batches %v, want one with the three numbers", batches)
			}
			if want := map[bool]int{false: 0, true: 3}[batchFails]; single != want {
				t.Errorf("%d numbers screened one by one, want %d", single, want)
			}
		})
	}
}

func TestRunnerPauseCancel(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(4)...)
	g := newGatePlacer()
	status := StatusRunning
	var smu sync.Mutex
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Placer: g, Clock: &fakeClock{},
		Status: func(context.Context) (string, error) {
			smu.Lock()
			defer smu.Unlock()
			return status, nil
		},
		Finished: func(context.Context) error { t.Error("finished while records remain"); return nil },
	}
	set := func(s string) { smu.Lock(); status = s; smu.Unlock() }
	step := func() {
		t.Helper()
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	step()
	<-g.started
	set(StatusPaused)
	g.release <- Result{Status: "IVR_FINISHED"}
	r.Wait()
	step()
	step()
	if len(g.calls) != 1 {
		t.Fatalf("dialed while paused: %v", g.calls)
	}
	set(StatusRunning) // resume
	step()
	<-g.started
	g.release <- Result{Status: "IVR_FINISHED"}
	r.Wait()
	set(StatusCancelled)
	step()
	if len(g.calls) != 2 {
		t.Fatalf("dialed after cancel: %v", g.calls)
	}
	set(StatusRunning) // restart
	step()
	<-g.started
	g.release <- Result{Status: "IVR_FINISHED"}
	r.Wait()
	if len(g.calls) != 3 {
		t.Fatalf("restart: %v", g.calls)
	}
	r.Status = func(context.Context) (string, error) { return "", errors.New("db down") }
	if err := r.Step(ctx); err == nil {
		t.Fatal("status error must fail the step")
	}
}

func TestRunnerCallsPerSecond(t *testing.T) {
	ctx := ctxT(t)
	t0 := time.Unix(1e9, 0)
	clk := clockAt(t0)
	recs := newMemRecords(1, numbers(10)...)
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, CallsPerSecond: 2, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: clk,
		Placer: PlacerFunc(func(context.Context, PlaceRequest) (Result, error) { return Result{Status: "BUSY"}, nil }),
	}
	var got []int
	for _, at := range []time.Duration{0, 0, 250 * time.Millisecond, 500 * time.Millisecond, 1500 * time.Millisecond, 10 * time.Second} {
		clk.Set(t0.Add(at))
		before := r.Progress().Dialed
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		r.Wait()
		got = append(got, int(r.Progress().Dialed-before))
	}
	// burst 2, then 2/s: +0.5 s → 1, +1 s → 2, long idle refills only to the burst.
	if want := []int{2, 0, 0, 1, 2, 2}; !slices.Equal(got, want) {
		t.Errorf("calls per step %v, want %v", got, want)
	}
}

func TestRunnerCallingWindow(t *testing.T) {
	ctx := ctxT(t)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	clk := clockAt(time.Date(2026, 1, 15, 13, 30, 0, 0, time.UTC)) // 08:30 EST
	recs := newMemRecords(1, numbers(1)...)
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, EndpointTemplate: "Local/{number}@c", CallingWindow: Window{StartMinute: 540, EndMinute: 1260}},
		Records:  recs, Clock: clk, Location: ny,
		Placer: PlacerFunc(func(context.Context, PlaceRequest) (Result, error) { return Result{Status: "IVR_FINISHED"}, nil }),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if r.Progress().Dialed != 0 {
		t.Fatalf("dialed outside the window: %+v claims %v", r.Progress(), recs.claims)
	}
	// Handed back uncounted, due when the window opens (09:00 EST).
	if rec := recs.recs[0]; rec.state != "pending" || rec.attempts != 0 || !rec.next.Equal(time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("record after the closed window: %+v", rec)
	}
	clk.Set(time.Date(2026, 1, 15, 13, 59, 0, 0, time.UTC))
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if r.Progress().Dialed != 0 {
		t.Fatal("dialed before the window opened")
	}
	clk.Set(time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC)) // 09:00 EST
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if r.Progress().Dialed != 1 {
		t.Fatalf("not dialed inside the window: %+v", r.Progress())
	}
}

// TestRunnerRun drives the loop with the real clock until the campaign
// finishes (the placer answers at once, so this takes milliseconds).
func TestRunnerRun(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(2, []string{"busy", "ok"}, []string{"ok"}, []string{"ok"})
	done := make(chan struct{})
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 2, DialAttempts: 2, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Interval: 5 * time.Millisecond,
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			if p.Number == "busy" {
				return Result{Status: "BUSY"}, nil
			}
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
		Finished: func(context.Context) error { close(done); return nil },
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("Run returned before Finished")
	}
	if got := recs.lasts(); !slices.Equal(got, []string{"IVR_FINISHED", "IVR_FINISHED", "IVR_FINISHED"}) {
		t.Errorf("statuses %v", got)
	}
	if p := r.Progress(); p.Dialed != 4 || p.Answered != 3 {
		t.Errorf("progress %+v", p)
	}
}

// TestRunnerRunStops: Run returns when the campaign is cancelled or was
// finished by another node.
func TestRunnerRunStops(t *testing.T) {
	for _, st := range []string{StatusCancelled, StatusFinished} {
		r := &Runner{
			Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
			Records:  newMemRecords(1, numbers(1)...), Placer: newGatePlacer(), Interval: time.Millisecond,
			Status: func(context.Context) (string, error) { return st, nil },
		}
		if err := r.Run(ctxT(t)); err != nil || r.Progress().Dialed != 0 {
			t.Errorf("%s: Run = %v, progress %+v", st, err, r.Progress())
		}
	}
}

// TestRunnerEndedCallsShareAStep: calls that end together are paced by one
// step, which reuses the campaign status read less than an interval ago:
// 30 calls in waves of 10 take a handful of claims and status reads, not
// one per call.
func TestRunnerEndedCallsShareAStep(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(30)...)
	var mu sync.Mutex
	statusReads := 0
	gate := make(chan struct{})
	var placed sync.WaitGroup
	placed.Add(10)
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Interval: time.Minute,
		Status: func(context.Context) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			statusReads++
			return StatusRunning, nil
		},
		Finished: func(context.Context) error { return nil },
		Placer: PlacerFunc(func(ctx context.Context, p PlaceRequest) (Result, error) {
			mu.Lock()
			first := p.Record.ID <= 10
			mu.Unlock()
			if first {
				// The first wave ends all at once.
				placed.Done()
				select {
				case <-gate:
				case <-ctx.Done():
				}
			}
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	placed.Wait()
	close(gate)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("campaign did not finish")
	}
	recs.mu.Lock()
	claims := len(recs.claims)
	recs.mu.Unlock()
	if got := recs.lasts(); len(got) != 30 || slices.Contains(got, "") {
		t.Fatalf("statuses %v", got)
	}
	t.Logf("%d claims, %d status reads", claims, statusReads)
	// Without the coalescing each of the 30 ended calls ran a step with
	// its own claim and status read.
	if claims > 12 || statusReads > 3 {
		t.Errorf("%d claims and %d status reads for 30 calls ending in waves", claims, statusReads)
	}
}

// blockingFinish holds every outcome write until release is closed.
type blockingFinish struct {
	*memRecords
	release chan struct{}
}

func (b blockingFinish) Finish(ctx context.Context, o Outcome) error {
	<-b.release
	return b.memRecords.Finish(ctx, o)
}

// TestRunnerLineFreeWhileOutcomeWritten: a call that ended frees its line
// at once; the next record is dialed while the outcome is still being
// written, and the campaign finishes only once every outcome is written.
func TestRunnerLineFreeWhileOutcomeWritten(t *testing.T) {
	ctx := ctxT(t)
	mem := newMemRecords(1, numbers(2)...)
	recs := blockingFinish{mem, make(chan struct{})}
	placed := make(chan string, 2)
	var finished atomic.Bool
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 1, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Interval: time.Minute,
		Finished: func(context.Context) error { finished.Store(true); return nil },
		Placer: PlacerFunc(func(_ context.Context, p PlaceRequest) (Result, error) {
			placed <- p.Number
			return Result{Status: "IVR_FINISHED", Answered: true}, nil
		}),
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for i := range 2 {
		select {
		case <-placed:
		case <-time.After(10 * time.Second):
			t.Fatalf("call %d not placed while the first outcome is being written", i+1)
		}
	}
	if finished.Load() {
		t.Fatal("campaign finished before its outcomes were written")
	}
	close(recs.release)
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("campaign did not finish after the outcomes were written")
	}
	if got := mem.lasts(); !slices.Equal(got, []string{"IVR_FINISHED", "IVR_FINISHED"}) || !finished.Load() {
		t.Errorf("statuses %v, finished %v", got, finished.Load())
	}
}
