package supervisor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/campaigns"
	"github.com/switchyard/switchyard/store"
)

// TestAutodialStore: importing a list with records to dial gives its flow
// a dialing campaign through the default trunk (the first time) and wakes
// it, so the records are dialed without anyone creating a campaign; a list
// imported before the dialer started is stored and its campaign made, to
// be dialed once it runs.
func TestAutodialStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var placed atomic.Int64
	sup := f.supervisor(dialer.PlacerFunc(func(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
		if r.Endpoint == "PJSIP/+12025550101@carrier" || r.Endpoint == "PJSIP/+12025550102@carrier" {
			placed.Add(1)
		}
		return answered(ctx, r)
	}))
	sup.Trunks = dialer.Trunks{"carrier": "PJSIP/{number}@carrier"}
	sup.DefaultTrunk = "carrier"
	s := &AutodialStore{Store: f.st, Dialer: sup, Campaigns: campaigns.New(campaigns.Config{Store: f.st, DefaultTrunk: "carrier"})}
	imp := func(number string) {
		t.Helper()
		recs := []store.ImportRecord{{Row: 1, Numbers: []string{number}, Status: store.RecordPending}}
		if _, err := s.ImportCallList(ctx, store.CallListImport{AccountID: f.acct, FlowID: "9", FlowType: "outbound", Source: store.SourceAPI},
			store.ImportRecords(recs)); err != nil {
			t.Fatal(err)
		}
	}
	imp("+12025550101") // the dialer is not started yet
	if c, err := f.st.GetFlowCampaign(ctx, f.acct, "9"); err != nil || c.Trunk != "carrier" {
		t.Fatalf("flow campaign %+v %v", c, err)
	}
	if err := sup.Start(ctx); err != nil {
		t.Fatal(err)
	}
	imp("+12025550102")
	deadline := time.Now().Add(10 * time.Second)
	for placed.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("placed %d of 2", placed.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
