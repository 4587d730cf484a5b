package ariplacer

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

type flowsByID map[int64]flows.FlowVersion

func (f flowsByID) FlowByID(_ context.Context, id int64) (flows.FlowVersion, error) {
	if fv, ok := f[id]; ok {
		return fv, nil
	}
	return flows.FlowVersion{}, flows.ErrNoFlow
}

type runnerFunc func(ctx context.Context, c *ari.Call, fv flows.FlowVersion, vars map[string]string) (*flows.Journey, error)

func (f runnerFunc) RunOutbound(ctx context.Context, c *ari.Call, fv flows.FlowVersion, vars map[string]string) (*flows.Journey, error) {
	return f(ctx, c, fv, vars)
}

// An answered campaign call runs the campaign's flow with the record's
// variables and the call's own ($call.cli the campaign's caller ID,
// $call.dnis the number dialled, $call.attemptnumber); a flow of another
// account, one that is not published or a flow id that is not a number
// runs nothing; a campaign without a flow runs nothing and is no error.
func TestCampaignFlows(t *testing.T) {
	ctx := context.Background()
	var ran flows.FlowVersion
	var vars map[string]string
	cf := CampaignFlows{
		Flows: flowsByID{12: {AccountID: 7, FlowID: 12}, 13: {AccountID: 8, FlowID: 13}},
		Engine: runnerFunc(func(_ context.Context, _ *ari.Call, fv flows.FlowVersion, v map[string]string) (*flows.Journey, error) {
			ran, vars = fv, v
			return &flows.Journey{}, nil
		}),
	}
	r := dialer.PlaceRequest{Campaign: &dialer.Campaign{ID: 3, AccountID: 7, CallerID: "+4930111"}, Number: "+4930222",
		Record: dialer.Record{Attempt: 2, Variables: map[string]string{"$flow.key.name": "Ada"}}}
	if j, err := cf.Run(ctx, nil, r, "12"); err != nil || j == nil || ran.FlowID != 12 {
		t.Fatalf("run: %v %v %+v", j, err, ran)
	}
	want := map[string]string{"$flow.key.name": "Ada", "$call.cli": "+4930111", "$call.dnis": "+4930222", "$call.attemptnumber": "2"}
	if !maps.Equal(vars, want) {
		t.Errorf("vars %v", vars)
	}
	for _, id := range []string{"13", "14", "x", "-1"} {
		if _, err := cf.Run(ctx, nil, r, id); err == nil {
			t.Errorf("flow %q ran", id)
		}
	}
	if j, err := cf.Run(ctx, nil, r, ""); j != nil || err != nil {
		t.Errorf("no flow: %v %v", j, err)
	}
}

// While Asterisk is not connected a campaign call waits instead of failing
// (which would spend one of the record's attempts); on shutdown it gives
// up with the error.
func TestWhenConnected(t *testing.T) {
	tries := 0
	w := WhenConnected{Placer: dialer.PlacerFunc(func(context.Context, dialer.PlaceRequest) (dialer.Result, error) {
		if tries++; tries < 3 {
			return dialer.Result{}, ari.ErrNotConnected
		}
		return dialer.Result{Status: "ANSWER", Answered: true}, nil
	})}
	if !w.Available() {
		t.Error("a placer without availability is available")
	}
	if res, err := w.Place(context.Background(), dialer.PlaceRequest{}); err != nil || !res.Answered || tries != 3 {
		t.Fatalf("place: %+v %v after %d tries", res, err, tries)
	}
	tries = -100
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := w.Place(ctx, dialer.PlaceRequest{}); !errors.Is(err, ari.ErrNotConnected) {
		t.Errorf("shutdown: %v", err)
	}
}

// The ACD's agent-connected events time the call's answer → agent delay;
// other events do not.
func TestConnectionsFromACD(t *testing.T) {
	var c Connections
	at := time.Unix(1700000000, 0)
	var got []acdconfig.EventKind
	n := acd.Notifiers{&c, acd.NotifierFunc(func(ev acd.Event) { got = append(got, ev.Kind) })}
	n.Notify(acd.Event{Kind: acdconfig.EventAgentConnected, CallID: "call-1", At: at})
	n.Notify(acd.Event{Kind: acdconfig.EventKind("call_ended"), CallID: "call-2", At: at})
	if t1, ok := c.At("call-1"); !ok || !t1.Equal(at) {
		t.Errorf("call-1 connected %v %v", t1, ok)
	}
	if _, ok := c.At("call-2"); ok {
		t.Error("call-2 counted as connected")
	}
	if len(got) != 2 {
		t.Errorf("fan-out passed %v", got)
	}
}
