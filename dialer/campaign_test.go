package dialer

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTransition(t *testing.T) {
	all := []string{StatusCreated, StatusRunning, StatusPaused, StatusFinished, StatusCancelled}
	acts := []string{ActionStart, ActionPause, ActionResume, ActionCancel, ActionFinish}
	want := map[[2]string]string{
		{StatusCreated, ActionStart}:   StatusRunning,
		{StatusRunning, ActionPause}:   StatusPaused,
		{StatusRunning, ActionCancel}:  StatusCancelled,
		{StatusRunning, ActionFinish}:  StatusFinished,
		{StatusPaused, ActionResume}:   StatusRunning,
		{StatusPaused, ActionCancel}:   StatusCancelled,
		{StatusFinished, ActionStart}:  StatusRunning, // reusable
		{StatusCancelled, ActionStart}: StatusRunning, // can be restarted
	}
	for _, from := range all {
		for _, a := range acts {
			got, err := Transition(from, a)
			exp, ok := want[[2]string{from, a}]
			if ok {
				if err != nil || got != exp {
					t.Errorf("%s --%s--> %q, %v; want %s", from, a, got, err, exp)
				}
				continue
			}
			if !errors.Is(err, ErrTransition) || got != "" {
				t.Errorf("%s --%s--> %q, %v; want ErrTransition", from, a, got, err)
			}
		}
	}
	if _, err := Transition("Bogus", ActionStart); !errors.Is(err, ErrTransition) {
		t.Errorf("unknown status: %v", err)
	}
	if _, err := Transition(StatusCreated, "explode"); !errors.Is(err, ErrTransition) || !strings.Contains(err.Error(), "explode") {
		t.Errorf("unknown action: %v", err)
	}
}

func TestEditableDeletable(t *testing.T) {
	for _, tc := range []struct {
		s             string
		edit, del, on bool
	}{
		{StatusCreated, true, true, false},
		{StatusRunning, false, false, true},
		{StatusPaused, false, false, false},
		{StatusFinished, true, true, false},
		{StatusCancelled, false, true, false},
	} {
		if Editable(tc.s) != tc.edit || Deletable(tc.s) != tc.del || Active(tc.s) != tc.on {
			t.Errorf("%s: editable %v deletable %v active %v", tc.s, Editable(tc.s), Deletable(tc.s), Active(tc.s))
		}
	}
}

func validCampaign() Campaign {
	return Campaign{
		AccountID: 1, Name: "promo", Recipients: []string{"req-1"},
		EndpointTemplate: "PJSIP/{number}@trunk", SimultaneousCalls: 5, DialAttempts: 3,
	}
}

func TestCampaignValidate(t *testing.T) {
	c := validCampaign()
	c.Normalize()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Type != TypeTelephone || c.Mode != ModeMulticast || c.Status != StatusCreated {
		t.Errorf("defaults: %+v", c)
	}
	for _, tc := range []struct {
		name, want string
		mut        func(*Campaign)
	}{
		{"type", "type", func(c *Campaign) { c.Type = "fax" }},
		{"mode", "mode", func(c *Campaign) { c.Mode = "predictive?" }},
		{"name", "name", func(c *Campaign) { c.Name = "" }},
		{"account", "account", func(c *Campaign) { c.AccountID = 0 }},
		{"accountcode space", "accountcode", func(c *Campaign) { c.Accountcode = "ACME 1" }},
		{"accountcode long", "accountcode", func(c *Campaign) { c.Accountcode = strings.Repeat("a", MaxAccountcode+1) }},
		{"accountcode non-ASCII", "accountcode", func(c *Campaign) { c.Accountcode = "café" }},
		{"no recipients", "recipients", func(c *Campaign) { c.Recipients = nil }},
		{"dup recipients", "twice", func(c *Campaign) { c.Recipients = []string{"a", "a"} }},
		{"empty recipient", "empty", func(c *Campaign) { c.Recipients = []string{" "} }},
		{"endpoint", "endpoint_template", func(c *Campaign) { c.EndpointTemplate = "PJSIP/trunk" }},
		{"simultaneous 0", "simultaneous_calls", func(c *Campaign) { c.SimultaneousCalls = 0 }},
		{"simultaneous big", "simultaneous_calls", func(c *Campaign) { c.SimultaneousCalls = MaxSimultaneousCalls + 1 }},
		{"attempts", "dial_attempts", func(c *Campaign) { c.DialAttempts = 11 }},
		{"timeout", "dial_timeout_ms", func(c *Campaign) { c.DialTimeoutMS = -1 }},
		{"queue", "queue", func(c *Campaign) { c.OnlyWhenFreeMembers = true }},
		{"queue progressive", "queue", func(c *Campaign) { c.Mode = ModeProgressive }},
		{"multiplier", "multiplier", func(c *Campaign) { c.Multiplier = -1 }},
		{"retry", "retry_interval_sec", func(c *Campaign) { c.RetryIntervalSec = -5 }},
		{"window", "calling window", func(c *Campaign) { c.CallingWindow = Window{StartMinute: 600, EndMinute: 600} }},
		{"window range", "calling window", func(c *Campaign) { c.CallingWindow = Window{StartMinute: 0, EndMinute: 2000} }},
		{"cps", "calls_per_second", func(c *Campaign) { c.CallsPerSecond = -1 }},
		{"status", "status", func(c *Campaign) { c.Status = "Sleeping" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validCampaign()
			c.Normalize()
			tc.mut(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want ErrInvalid mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCampaignHelpers(t *testing.T) {
	c := validCampaign()
	if c.DialTimeout() != DefaultDialTimeout {
		t.Errorf("default timeout %v", c.DialTimeout())
	}
	c.DialTimeoutMS = 1500
	if c.DialTimeout() != 1500*time.Millisecond {
		t.Errorf("timeout %v", c.DialTimeout())
	}
	if got := c.Endpoint("+15550100"); got != "PJSIP/+15550100@trunk" {
		t.Errorf("endpoint %q", got)
	}
	if c.EffectiveMultiplier(0) != 1 || c.EffectiveMultiplier(3) != 3 {
		t.Errorf("global multiplier: %v %v", c.EffectiveMultiplier(0), c.EffectiveMultiplier(3))
	}
	c.Multiplier = 2
	if c.EffectiveMultiplier(3) != 2 {
		t.Errorf("override: %v", c.EffectiveMultiplier(3))
	}
	p := validCampaign()
	p.OnlyWhenFreeMembers = true
	p.Queue = "sales"
	p.Normalize()
	if p.Mode != ModeProgressive {
		t.Errorf("only-when-free default mode %q", p.Mode)
	}
}

func TestWindow(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	kol, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	day := Window{StartMinute: 9 * 60, EndMinute: 21 * 60}
	night := Window{StartMinute: 22 * 60, EndMinute: 6 * 60}
	for _, tc := range []struct {
		name string
		w    Window
		at   time.Time
		loc  *time.Location
		want bool
	}{
		{"zero allows all", Window{}, time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC), ny, true},
		{"start inclusive", day, time.Date(2026, 1, 1, 9, 0, 0, 0, ny), ny, true},
		{"end exclusive", day, time.Date(2026, 1, 1, 21, 0, 0, 0, ny), ny, false},
		{"before", day, time.Date(2026, 1, 1, 8, 59, 0, 0, ny), ny, false},
		// 14:00 UTC is 09:00 EST in winter, 10:00 EDT in summer.
		{"EST", day, time.Date(2026, 1, 15, 13, 30, 0, 0, time.UTC), ny, false},
		{"EDT", day, time.Date(2026, 7, 15, 13, 30, 0, 0, time.UTC), ny, true},
		// DST change day in the US: 2026-03-08, 02:00 → 03:00 local.
		{"DST day morning", day, time.Date(2026, 3, 8, 13, 0, 0, 0, time.UTC), ny, true},
		{"other zone", day, time.Date(2026, 1, 15, 13, 30, 0, 0, time.UTC), kol, true}, // 19:00 IST
		{"wrap late", night, time.Date(2026, 1, 1, 23, 0, 0, 0, time.UTC), time.UTC, true},
		{"wrap early", night, time.Date(2026, 1, 1, 5, 59, 0, 0, time.UTC), time.UTC, true},
		{"wrap out", night, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC, false},
		{"nil loc is UTC", day, time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), nil, true},
	} {
		if got := tc.w.Allows(tc.at, tc.loc); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", tc.name, got, tc.want)
		}
	}
}
