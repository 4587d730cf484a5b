package dialer

import (
	"testing"
	"time"
)

func TestWant(t *testing.T) {
	for _, tc := range []struct {
		name           string
		mode           string
		onlyFree       bool
		simul          int
		mult, global   float64
		active, agents int
		want           int
	}{
		{"multicast fills", ModeMulticast, false, 5, 0, 1, 2, 99, 3},
		{"multicast full", ModeMulticast, false, 5, 0, 1, 5, 0, 0},
		{"multicast over", ModeMulticast, false, 5, 0, 1, 7, 0, 0},
		{"multicast only-free is progressive", ModeMulticast, true, 5, 0, 1, 0, 2, 2},
		{"multicast only-free ignores simultaneous calls", ModeMulticast, true, 2, 0, 1, 0, 6, 6},
		{"multicast only-free, simultaneous calls blank", ModeMulticast, true, 0, 0, 1, 1, 4, 3},
		{"progressive only-free ignores simultaneous calls", ModeProgressive, true, 2, 0, 1, 0, 6, 6},
		{"progressive = free agents", ModeProgressive, false, 10, 0, 1, 0, 3, 3},
		{"progressive minus ringing", ModeProgressive, false, 10, 0, 1, 2, 3, 1},
		{"progressive capped", ModeProgressive, false, 2, 0, 1, 0, 5, 2},
		{"progressive no agents", ModeProgressive, false, 10, 0, 1, 0, 0, 0},
		{"progressive negative agents", ModeProgressive, false, 10, 0, 1, 0, -1, 0},
		{"multiplied 2 agents x3=6 (global)", ModeMultiplied, false, 100, 0, 3, 0, 2, 6},
		{"multiplied override", ModeMultiplied, false, 100, 2, 3, 0, 2, 4},
		{"multiplied default 1", ModeMultiplied, false, 100, 0, 0, 0, 2, 2},
		{"multiplied fraction floors", ModeMultiplied, false, 100, 1.5, 1, 0, 3, 4},
		{"multiplied capped", ModeMultiplied, false, 5, 0, 3, 1, 2, 4},
	} {
		c := &Campaign{Mode: tc.mode, OnlyWhenFreeMembers: tc.onlyFree, SimultaneousCalls: tc.simul, Multiplier: tc.mult}
		if got := Want(c, tc.active, Staffing{Free: tc.agents, Busy: 3, LoggedIn: tc.agents + 3}, tc.global); got != tc.want {
			t.Errorf("%s: Want = %d, want %d", tc.name, got, tc.want)
		}
	}
	// Callers already waiting take free agents first.
	if got := Want(&Campaign{Mode: ModeProgressive, SimultaneousCalls: 10}, 0, Staffing{Free: 3, Waiting: 2}, 1); got != 1 {
		t.Errorf("progressive with 2 waiting of 3 free: %d, want 1", got)
	}
	if got := Want(&Campaign{Mode: ModeMultiplied, SimultaneousCalls: 10}, 1, Staffing{Free: 3, Waiting: 5}, 3); got != 0 {
		t.Errorf("multiplied with more waiting than free: %d, want 0", got)
	}
	if NeedsAgents(&Campaign{Mode: ModeMulticast}) || !NeedsAgents(&Campaign{Mode: ModeMulticast, OnlyWhenFreeMembers: true}) || !NeedsAgents(&Campaign{Mode: ModeMultiplied}) {
		t.Error("NeedsAgents")
	}
}

func TestNext(t *testing.T) {
	now := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	c := &Campaign{DialAttempts: 3, RetryIntervalSec: 60}
	later := now.Add(2 * time.Hour)
	for _, tc := range []struct {
		name      string
		status    string
		attempt   int
		resched   bool
		reschedAt time.Time
		retry     bool
		at        time.Time
	}{
		{"busy retries", "BUSY", 1, false, time.Time{}, true, now.Add(time.Minute)},
		{"noanswer retries", "NOANSWER", 2, false, time.Time{}, true, now.Add(time.Minute)},
		{"congestion", "CONGESTION", 1, false, time.Time{}, true, now.Add(time.Minute)},
		{"chanunavail", "chanunavail", 1, false, time.Time{}, true, now.Add(time.Minute)},
		{"noroute", "noroute", 1, false, time.Time{}, true, now.Add(time.Minute)},
		{"last attempt", "BUSY", 3, false, time.Time{}, false, time.Time{}},
		{"answered final", "IVR_FINISHED", 1, false, time.Time{}, false, time.Time{}},
		{"ivr started final", "IVR_STARTED", 1, false, time.Time{}, false, time.Time{}},
		{"cancel final", "CANCEL", 1, false, time.Time{}, false, time.Time{}},
		{"rescheduled at", "IVR_FINISHED", 3, true, later, true, later},
		{"rescheduled past uses interval", "IVR_FINISHED", 1, true, now.Add(-time.Hour), true, now.Add(time.Minute)},
		{"rescheduled no time", "IVR_FINISHED", 1, true, time.Time{}, true, now.Add(time.Minute)},
		{"rescheduled up to max", "IVR_FINISHED", 5, true, later, true, later},
		{"reschedules exhausted", "IVR_FINISHED", 6, true, later, false, time.Time{}},
	} {
		retry, at := Next(c, tc.status, tc.attempt, tc.resched, tc.reschedAt, now)
		if retry != tc.retry || !at.Equal(tc.at) {
			t.Errorf("%s: Next = %v %v, want %v %v", tc.name, retry, at, tc.retry, tc.at)
		}
	}
}
