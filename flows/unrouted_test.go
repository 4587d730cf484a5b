package flows

import (
	"context"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
)

type resolverFuncs struct {
	did func(ctx context.Context, did string) (FlowVersion, error)
}

func (r resolverFuncs) FlowForDID(ctx context.Context, did string) (FlowVersion, error) {
	return r.did(ctx, did)
}
func (r resolverFuncs) FlowByID(context.Context, int64) (FlowVersion, error) {
	return FlowVersion{}, ErrNoFlow
}

// TestRouteRecordsUnroutedCall: a DID of an account whose flow is not
// published gets an attempt in that account (so the call report shows it)
// and a handler that refuses it with status noroute and the reason; a DID
// of nobody still gets no attempt.
func TestRouteRecordsUnroutedCall(t *testing.T) {
	e := &Engine{}
	route := e.Route(resolverFuncs{did: func(_ context.Context, did string) (FlowVersion, error) {
		if did == "+4930888" {
			return FlowVersion{}, &UnroutedError{AccountID: 7, FlowID: 12, Reason: "DID +4930888: flow 12 is not published"}
		}
		return FlowVersion{}, ErrNoFlow
	}})
	ev := &ariv6.StasisStart{Args: []string{KindInbound, "+4930888"}, Channel: ariv6.ChannelData{ID: "ch", Caller: &ariv6.CallerID{Number: "+4930555"}}}
	r := route(context.Background(), ev)
	if r.Attempt == nil || r.Attempt.AccountID != 7 || r.Attempt.FlowID == nil || *r.Attempt.FlowID != 12 || r.Attempt.DNIS != "+4930888" || !r.Attempt.Inbound || r.Handler == nil {
		t.Fatalf("route %+v", r)
	}
	c := &ari.Call{ID: "ch"}
	if err := r.Handler(context.Background(), c); err == nil || err.Error() != "DID +4930888: flow 12 is not published" {
		t.Errorf("handler error %v", err)
	}
	if c.Status() != ari.StatusNoRoute {
		t.Errorf("status %q", c.Status())
	}
	ev.Args[1] = "+4930999"
	if r := route(context.Background(), ev); r.Attempt != nil || r.Handler != nil {
		t.Errorf("unmapped DID: %+v", r)
	}
}
