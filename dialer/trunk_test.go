package dialer

import (
	"context"
	"testing"
)

func TestParseTrunks(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want string // String() of the result; "" with ok=false: an error
		ok   bool
	}{
		{"test=Local/{number}@test-trunk", "test=Local/{number}@test-trunk", true},
		{" carrier = PJSIP/{number}@carrier , test=Local/{number}@test-trunk,", "carrier=PJSIP/{number}@carrier,test=Local/{number}@test-trunk", true},
		{"", "", true},
		{"x", "", false},                                     // no template
		{"=PJSIP/{number}@c", "", false},                     // no name
		{"a b=PJSIP/{number}@c", "", false},                  // bad name
		{"c=PJSIP/carrier", "", false},                       // no {number}
		{"c=PJSIP/{number}@c&PJSIP/agent1", "", false},       // a second endpoint
		{"c={number}", "", false},                            // no technology
		{"c=PJSIP/{number}@c,c=PJSIP/{number}@d", "", false}, // twice
		{"c=PJSIP/{number}{number}@c", "", false},
	} {
		got, err := ParseTrunks(tc.spec)
		if (err == nil) != tc.ok {
			t.Errorf("ParseTrunks(%q) error %v, want ok=%v", tc.spec, err, tc.ok)
			continue
		}
		if tc.ok && got.String() != tc.want {
			t.Errorf("ParseTrunks(%q) = %q, want %q", tc.spec, got.String(), tc.want)
		}
	}
}

func TestValidDialNumber(t *testing.T) {
	for n, want := range map[string]bool{
		"+12025550100": true, "12025550100": true, "911": true,
		"": false, "+": false, "++1": false, "1@agents": false, "agent1": false, "1/2": false,
		"1&PJSIP/agent1": false, "+1 202": false, "123456789012345678901234567890123": false,
	} {
		if got := ValidDialNumber(n); got != want {
			t.Errorf("ValidDialNumber(%q) = %v, want %v", n, got, want)
		}
	}
}

// TestGuardNumbers: a number that is not + and digits never reaches the
// placer (a tenant's list cannot put "1@other-endpoint" into a dial string).
func TestGuardNumbers(t *testing.T) {
	var placed []string
	p := GuardNumbers(PlacerFunc(func(_ context.Context, r PlaceRequest) (Result, error) {
		placed = append(placed, r.Number)
		return Result{Status: "ANSWERED", Answered: true}, nil
	}))
	for _, tc := range []struct{ number, want string }{
		{"+12025550100", "ANSWERED"}, {"1@agent-endpoint", StatusNoNumber}, {"1&PJSIP/agent1", StatusNoNumber},
	} {
		res, err := p.Place(context.Background(), PlaceRequest{Number: tc.number})
		if err != nil || res.Status != tc.want {
			t.Errorf("Place(%q) = %+v %v, want %s", tc.number, res, err, tc.want)
		}
	}
	if len(placed) != 1 || placed[0] != "+12025550100" {
		t.Errorf("placed %v, want only the valid number", placed)
	}
}

// TestGuardNumbersKeepsAvailability: the number guard must not hide that
// Asterisk is unavailable, or the runner would dial into a restart.
func TestGuardNumbersKeepsAvailability(t *testing.T) {
	for _, up := range []bool{true, false} {
		g := GuardNumbers(&availPlacer{up: up})
		a, ok := g.(Availability)
		if !ok {
			t.Fatal("guarded placer does not report availability")
		}
		if a.Available() != up {
			t.Errorf("Available() = %v, want %v", a.Available(), up)
		}
	}
	if a, ok := GuardNumbers(new(PlacerFunc)).(Availability); !ok || !a.Available() {
		t.Error("a placer without availability must count as available")
	}
}
