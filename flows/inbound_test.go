package flows

import (
	"context"
	"errors"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
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

type directory struct {
	blacklisted map[string]bool
	assigned    map[string]bool
	accounts    map[int64]bool
}

func (d directory) IsBlacklistedNumber(_ context.Context, _ int64, n string) (bool, error) {
	return d.blacklisted[n], nil
}
func (d directory) DIDUnassigned(_ context.Context, did string) (bool, error) {
	return !d.assigned[did], nil
}
func (d directory) AccountExists(_ context.Context, id int64) error {
	if !d.accounts[id] {
		return errors.New("account not found")
	}
	return nil
}

// An inbound call runs its DID's flow unless the caller is on the
// account's blacklist (refused with status BLACKLISTED, before any flow
// runs); a call to a DID no account owns is refused with status noroute
// and recorded in the operator's account; without that account it only
// hears the no-service announcement, unrecorded.
func TestInboundRouter(t *testing.T) {
	ctx := context.Background()
	flow := FlowVersion{AccountID: 7, FlowID: 12, Version: 1, Flow: &Flow{}}
	r := &InboundRouter{Engine: &Engine{},
		Flows: resolverFuncs{did: func(_ context.Context, did string) (FlowVersion, error) {
			if did == "+4930100" {
				return flow, nil
			}
			return FlowVersion{}, ErrNoFlow
		}},
		Directory:            directory{blacklisted: map[string]bool{"+4930666": true}, assigned: map[string]bool{"+4930100": true}, accounts: map[int64]bool{1: true}},
		UnassignedDIDAccount: 1,
	}
	call := func(did, cli string) *ariv6.StasisStart {
		return &ariv6.StasisStart{Args: []string{KindInbound, did}, Channel: ariv6.ChannelData{ID: "ch", Caller: &ariv6.CallerID{Number: cli}}}
	}
	if rt := r.Route(ctx, call("+4930100", "+4930555")); rt.Attempt == nil || rt.Attempt.AccountID != 7 || rt.Handler == nil {
		t.Fatalf("flow route %+v", rt)
	}
	rt := r.Route(ctx, call("+4930100", "+4930666"))
	if rt.Attempt == nil || rt.Attempt.AccountID != 7 || rt.Handler == nil {
		t.Fatalf("blacklisted route %+v", rt)
	}
	rt = r.Route(ctx, call("+4930999", "+4930555"))
	if rt.Attempt == nil || rt.Attempt.AccountID != 1 || rt.Attempt.DNIS != "+4930999" || rt.Handler == nil {
		t.Fatalf("unassigned DID route %+v", rt)
	}
	c := &ari.Call{ID: "ch"}
	if err := rt.Handler(ctx, c); err == nil || err.Error() != "DID +4930999 is not assigned to any account" || c.Status() != ari.StatusNoRoute {
		t.Errorf("unassigned DID handler: %v, status %q", err, c.Status())
	}
	r.UnassignedDIDAccount = 2 // does not exist
	if rt := r.Route(ctx, call("+4930999", "+4930555")); rt.Attempt != nil || rt.Handler == nil {
		t.Errorf("unrecorded route %+v", rt)
	}
}
