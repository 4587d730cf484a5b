package dialer

import (
	"context"
	"sync"
	"testing"
	"time"
)

// outcomeRecords wraps memRecords and keeps every outcome.
type outcomeRecords struct {
	*memRecords
	mu  sync.Mutex
	out []Outcome
}

func (o *outcomeRecords) Finish(ctx context.Context, x Outcome) error {
	o.mu.Lock()
	o.out = append(o.out, x)
	o.mu.Unlock()
	return o.memRecords.Finish(ctx, x)
}

// TestRunnerCallbacks: a *Schedule* record's extension reaches the placer;
// a flow's reschedule_agent_call comes back as a rescheduled retry to that
// agent (so a cancel ends it RESCHEDULED and the next call goes to the
// agent); a plain retry is not marked rescheduled.
func TestRunnerCallbacks(t *testing.T) {
	ctx := ctxT(t)
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	recs := &outcomeRecords{memRecords: newMemRecords(5, []string{"+15550001"}, []string{"+15550002"})}
	recs.recs[0].ScheduleExtension = "1101"
	var mu sync.Mutex
	exts := map[int64]string{}
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 2, DialAttempts: 2, RetryIntervalSec: 60, EndpointTemplate: "Local/{number}@c"},
		Records:  recs, Clock: clockAt(t0),
		Placer: PlacerFunc(func(_ context.Context, pr PlaceRequest) (Result, error) {
			mu.Lock()
			exts[pr.Record.ID] = pr.Extension
			mu.Unlock()
			if pr.Record.ID == 1 {
				return Result{Status: "IN_ANSWER", Answered: true, Rescheduled: true, RescheduleTo: "1102"}, nil
			}
			return Result{Status: "BUSY"}, nil
		}),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if exts[1] != "1101" || exts[2] != "" {
		t.Errorf("extensions %v", exts)
	}
	byID := map[int64]Outcome{}
	for _, o := range recs.out {
		byID[o.RecordID] = o
	}
	if o := byID[1]; !o.Retry || !o.Rescheduled || o.CallbackTo != "1102" || !o.NextAttemptAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("rescheduled outcome %+v", o)
	}
	if o := byID[2]; !o.Retry || o.Rescheduled || o.CallbackTo != "" {
		t.Errorf("busy retry %+v", o)
	}
}

func TestNumberLocationAndWindows(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	la, _ := time.LoadLocation("America/Los_Angeles")
	for _, tc := range []struct {
		number, region string
		want           *time.Location
	}{
		{"+4930123456", "", berlin},
		{"4930123456", "", berlin},   // E.164 without +
		{"+12125550100", "", ny},     // New York area code
		{"+13105550100", "", la},     // Los Angeles area code
		{"(212) 555-0100", "US", ny}, // national format, default region
		{"+15550001", "", nil},       // not a real area
		{"not a number", "US", nil},  // unparsable
		{"", "", nil},
	} {
		got := NumberLocation(tc.number, tc.region)
		if (got == nil) != (tc.want == nil) || (got != nil && got.String() != tc.want.String()) {
			t.Errorf("NumberLocation(%q, %q) = %v, want %v", tc.number, tc.region, got, tc.want)
		}
	}
	rec := Record{Variables: map[string]string{"$flow.key.timezone": "Asia/Kolkata"}}
	if loc := RecordLocation(rec, "+4930123456", "", nil); loc.String() != "Asia/Kolkata" {
		t.Errorf("time-zone variable: %v", loc)
	}
	rec.Variables = map[string]string{"tz": "Not/AZone"}
	if loc := RecordLocation(rec, "+4930123456", "", nil); loc.String() != "Europe/Berlin" {
		t.Errorf("bad variable falls back to the number: %v", loc)
	}
	if loc := RecordLocation(Record{}, "+15550001", "", ny); loc != ny {
		t.Errorf("fallback: %v", loc)
	}
	if loc := RecordLocation(Record{}, "+15550001", "", nil); loc != time.UTC {
		t.Errorf("default UTC: %v", loc)
	}

	w := Window{StartMinute: 9 * 60, EndMinute: 21 * 60}
	for _, tc := range []struct {
		name string
		now  time.Time
		loc  *time.Location
		want time.Time
	}{
		{"inside", time.Date(2026, 1, 15, 15, 0, 0, 0, time.UTC), ny, time.Date(2026, 1, 15, 15, 0, 0, 0, time.UTC)},
		{"before opening (EST)", time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), ny, time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC)},
		{"after closing: next day", time.Date(2026, 1, 16, 3, 0, 0, 0, time.UTC), ny, time.Date(2026, 1, 16, 14, 0, 0, 0, time.UTC)},
		{"same instant, Berlin", time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC), berlin, time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC)},
		// DST starts in New York on 2026-03-08: 09:00 EDT is 13:00 UTC.
		{"opening after spring forward", time.Date(2026, 3, 8, 6, 0, 0, 0, time.UTC), ny, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC)},
		{"opening before spring forward", time.Date(2026, 3, 7, 6, 0, 0, 0, time.UTC), ny, time.Date(2026, 3, 7, 14, 0, 0, 0, time.UTC)},
		// DST ends on 2026-11-01: 09:00 EST is 14:00 UTC again.
		{"opening after fall back", time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), ny, time.Date(2026, 11, 1, 14, 0, 0, 0, time.UTC)},
		{"21:00 EDT closes at 01:00 UTC", time.Date(2026, 7, 2, 1, 0, 0, 0, time.UTC), ny, time.Date(2026, 7, 2, 13, 0, 0, 0, time.UTC)},
	} {
		if got := w.NextOpen(tc.now, tc.loc); !got.Equal(tc.want) {
			t.Errorf("%s: NextOpen = %v, want %v", tc.name, got.UTC(), tc.want)
		}
	}
	// A window starting at 02:30 on the spring-forward day (02:00–03:00
	// does not exist in New York): it opens when the clock jumps.
	gap := Window{StartMinute: 150, EndMinute: 240}
	got := gap.NextOpen(time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), ny) // 00:00 EST
	if !gap.Allows(got, ny) || got.After(time.Date(2026, 3, 8, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("DST gap: NextOpen = %v (%v local)", got.UTC(), got.In(ny))
	}
	// Overnight window 22:00–06:00.
	night := Window{StartMinute: 22 * 60, EndMinute: 6 * 60}
	if got := night.NextOpen(time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC), time.UTC); !got.Equal(time.Date(2026, 1, 15, 22, 0, 0, 0, time.UTC)) {
		t.Errorf("overnight: %v", got)
	}
}

// TestRunnerWindowPerRecordZone: one campaign window, records in New York
// and Berlin: at 13:00 UTC the Berlin record is dialed (14:00 local), the
// New York one (08:00 local) is handed back until 09:00 EST.
func TestRunnerWindowPerRecordZone(t *testing.T) {
	ctx := ctxT(t)
	clk := clockAt(time.Date(2026, 1, 15, 13, 0, 0, 0, time.UTC))
	recs := newMemRecords(1, []string{"+12125550100"}, []string{"+4930123456"})
	var mu sync.Mutex
	var dialed []string
	r := &Runner{
		Campaign: Campaign{ID: 1, Mode: ModeMulticast, SimultaneousCalls: 5, DialAttempts: 1, EndpointTemplate: "PJSIP/{number}@t",
			CallingWindow: Window{StartMinute: 9 * 60, EndMinute: 20 * 60}},
		Records: recs, Clock: clk,
		Placer: PlacerFunc(func(_ context.Context, pr PlaceRequest) (Result, error) {
			mu.Lock()
			dialed = append(dialed, pr.Number)
			mu.Unlock()
			return Result{Status: "NOANSWER"}, nil
		}),
	}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(dialed) != 1 || dialed[0] != "+4930123456" {
		t.Fatalf("dialed %v", dialed)
	}
	if ny := recs.recs[0]; ny.state != "pending" || ny.attempts != 0 || !ny.next.Equal(time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC)) {
		t.Fatalf("New York record %+v", ny)
	}
	clk.Set(time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC))
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(dialed) != 2 || dialed[1] != "+12125550100" {
		t.Fatalf("dialed %v", dialed)
	}
}
