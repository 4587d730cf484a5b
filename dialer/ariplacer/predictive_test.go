package ariplacer

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// TestPredictiveCampaignOnAsterisk runs a predictive campaign on the real
// Asterisk and SQLite with two simulated agents: answered customers take
// a free agent (the fake ACD), a customer answering when both agents are
// busy gets the safe-harbor message and counts as abandoned; the tally is
// stored per hour and the campaign finishes.
func TestPredictiveCampaignOnAsterisk(t *testing.T) {
	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, acc := acmeStore(t, ctx)
	// Six customers answer and stay 2…7 s, one is busy, one congested.
	var recs []store.ImportRecord
	for i, n := range []string{"answer-hangup-2", "answer-hangup-3", "busy", "answer-hangup-4", "answer-hangup-5", "congestion", "answer-hangup-6", "answer-hangup-7"} {
		recs = append(recs, store.ImportRecord{Row: int64(i + 1), Numbers: []string{n}, Status: store.RecordPending})
	}
	req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		t.Fatal(err)
	}
	dc := dialer.Campaign{AccountID: acc.ID, Name: "pred", Mode: dialer.ModePredictive, Queue: "sales", Recipients: []string{req.ID},
		EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 6, DialAttempts: 1, FlowID: "main", SafeHarborSound: "sound:beep"}
	dc.Normalize()
	if err := dc.Validate(); err != nil {
		t.Fatal(err)
	}
	sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
		t.Fatal(err)
	}
	dc = sc.Campaign
	// The fake ACD: two agents; the flow "queue" takes a free one for the
	// customer's call (Free counts down), or reports QUEUE_TIMEOUT.
	var busy atomic.Int64
	agents := dialer.AgentStateFunc(func(context.Context, int64, string) (dialer.Staffing, error) {
		b := int(busy.Load())
		return dialer.Staffing{LoggedIn: 2, Free: 2 - b, Busy: b, AvgHandle: 3 * time.Second}, nil
	})
	conns := &Connections{}
	p := &Placer{Manager: m, Agents: agents, Connections: conns,
		RunFlow: func(ctx context.Context, call *ari.Call, r dialer.PlaceRequest, flowID string) (*flows.Journey, error) {
			if n := busy.Add(1); n > 2 {
				busy.Add(-1)
				call.SetStatus("QUEUE_TIMEOUT")
				return &flows.Journey{}, nil
			}
			defer busy.Add(-1)
			conns.Connected(call.ID, time.Now())
			call.SetStatus("QUEUE_ANSWER")
			return &flows.Journey{}, call.WaitHangup(ctx, 10*time.Second)
		}}
	r := &dialer.Runner{
		Campaign: dc, Records: &dialerstore.Records{Store: s, Campaign: dc, Owner: "node-1"},
		Placer: p, Agents: agents,
		Screen: dialerstore.Screen(s), Status: dialerstore.Status(s, acc.ID, dc.ID), Finished: dialerstore.Finished(s, acc.ID, dc.ID),
		Interval: 100 * time.Millisecond,
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetCampaign(ctx, acc.ID, dc.ID)
	counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
	if err != nil || got.Status != dialer.StatusFinished || counts.Remaining() != 0 {
		t.Fatalf("campaign %s, %+v %v", got.Status, counts, err)
	}
	bs := counts.ByStatus
	answered := bs["QUEUE_ANSWER"] + bs[StatusAbandoned] + bs["QUEUE_TIMEOUT"]
	if bs["BUSY"] != 1 || bs["CONGESTION"] != 1 || answered != 6 {
		t.Errorf("statuses %v", bs)
	}
	p2 := r.Progress()
	hs, err := s.CampaignAbandonHours(ctx, dc.ID, time.Now().Add(-time.Hour))
	if err != nil || len(hs) != 1 || hs[0].Answered != 6 || hs[0].Abandoned != bs[StatusAbandoned]+bs["QUEUE_TIMEOUT"] ||
		p2.Abandoned != hs[0].Abandoned || p2.Abandon.Day.Answered != 6 {
		t.Errorf("abandon tally %+v %v, progress %+v %+v", hs, err, p2, p2.Abandon)
	}
	t.Logf("statuses %v, dialed %d, abandoned %d of %d answered", bs, p2.Dialed, p2.Abandoned, p2.Answered)
}
