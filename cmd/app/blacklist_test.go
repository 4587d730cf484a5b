package app

import (
	"context"
	"errors"
	"testing"
)

// The inbound blacklist fails closed: a caller whose number cannot be
// checked is refused, not let through.
func TestCallerRefusedFailsClosed(t *testing.T) {
	ctx := context.Background()
	down := func(context.Context, int64, string) (bool, error) { return false, errors.New("database is down") }
	listed := func(_ context.Context, _ int64, n string) (bool, error) { return n == "+15550100", nil }
	for _, tc := range []struct {
		name    string
		lookup  func(context.Context, int64, string) (bool, error)
		cli     string
		refuse  bool
		withErr bool
	}{
		{"lookup error refuses", down, "+15550100", true, true},
		{"blacklisted refused", listed, "+15550100", true, false},
		{"not blacklisted passes", listed, "+15550199", false, false},
		{"anonymous caller is not looked up", down, "", false, false},
	} {
		refuse, err := callerRefused(ctx, tc.lookup, 7, tc.cli)
		if refuse != tc.refuse || (err != nil) != tc.withErr {
			t.Errorf("%s: refuse=%v err=%v", tc.name, refuse, err)
		}
	}
}
