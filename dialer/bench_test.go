package dialer

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkPacingLatency measures agent becomes free → next originate
// issued: the ACD wakes the runner (Runner.Wake, wired through
// supervisor.Wake), which reads the staffing, claims a record and calls
// the placer. Reports p50/p99 in µs.
func BenchmarkPacingLatency(b *testing.B) {
	var free atomic.Int64
	dialed := make(chan time.Time, 1)
	recs := &endlessRecords{}
	r := &Runner{
		Campaign: Campaign{ID: 1, AccountID: 1, Mode: ModeProgressive, Queue: "q", SimultaneousCalls: 10, DialAttempts: 1, EndpointTemplate: "Local/{number}@c"},
		Records:  recs,
		Agents: AgentStateFunc(func(context.Context, int64, string) (Staffing, error) {
			return Staffing{LoggedIn: 1, Free: int(free.Load())}, nil
		}),
		Placer: PlacerFunc(func(_ context.Context, pr PlaceRequest) (Result, error) {
			return Result{Status: "NOANSWER"}, nil
		}),
		OnDial: func(PlaceRequest) {
			free.Store(0) // the agent is taken
			dialed <- time.Now()
		},
		Interval: time.Hour, // only Wake steps
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = r.Run(ctx) }()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		free.Store(1)
		t0 := time.Now()
		r.Wake()
		t1 := <-dialed
		lat = append(lat, t1.Sub(t0))
	}
	cancel()
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
	}
}

// endlessRecords hands out a new record at every claim.
type endlessRecords struct{ next atomic.Int64 }

func (e *endlessRecords) Claim(_ context.Context, _ time.Time, limit int) ([]Record, error) {
	out := make([]Record, limit)
	for i := range out {
		out[i] = Record{ID: e.next.Add(1), AccountID: 1, Attempt: 1, Numbers: []string{"+15550001"}}
	}
	return out, nil
}
func (e *endlessRecords) Renew(context.Context, []int64, time.Time) error { return nil }
func (e *endlessRecords) Finish(context.Context, Outcome) error           { return nil }
func (e *endlessRecords) Remaining(context.Context) (int64, error)        { return 1, nil }
