package ariplacer

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/store"
)

// oneAgent is an AgentReserver with a single agent.
type oneAgent struct {
	mu       sync.Mutex
	taken    bool
	reserved int
	agent    dialer.Reservation
}

func (a *oneAgent) Reserve(context.Context, int64, string) (dialer.Reservation, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.taken {
		return dialer.Reservation{}, false, nil
	}
	a.taken = true
	a.reserved++
	return a.agent, true, nil
}

func (a *oneAgent) Release(context.Context, int64, dialer.Reservation) {
	a.mu.Lock()
	a.taken = false
	a.mu.Unlock()
}

// TestAgentFirstOnAsterisk: an agent-first campaign calls the (simulated)
// agent once, then dials the three customers one after the other from the
// agent's call (answered, busy, answered), bridging the answered ones with
// the agent; popups go out at Dial / Answered / Terminal; the campaign
// finishes when no record is left, and the agent was called once.
func TestAgentFirstOnAsterisk(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, acc := acmeStore(t, ctx)
	req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords([]store.ImportRecord{
		{Row: 1, Numbers: []string{"answer-hangup-1"}, Status: store.RecordPending},
		{Row: 2, Numbers: []string{"busy"}, Status: store.RecordPending},
		{Row: 3, Numbers: []string{"answer-hangup-2"}, Status: store.RecordPending},
	}))
	if err != nil {
		t.Fatal(err)
	}
	dc := dialer.Campaign{AccountID: acc.ID, Name: "af", Mode: dialer.ModeAgentFirst, Queue: "sales", Recipients: []string{req.ID},
		EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 2, DialAttempts: 1, DialTimeoutMS: 5000}
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
	agents := &oneAgent{agent: dialer.Reservation{AgentID: "7", Endpoint: "Local/1000001@agents-sim", Number: "1000001"}}
	var mu sync.Mutex
	var popups []string
	r := &dialer.Runner{
		Campaign: dc, Records: &dialerstore.Records{Store: s, Campaign: dc, Owner: "node-1"},
		Reserver: agents, Sessions: &Sessions{Manager: m},
		Popup: func(ev dialer.PopupEvent) {
			mu.Lock()
			defer mu.Unlock()
			if ev.Agent.Number != "1000001" || ev.CampaignID != dc.ID {
				t.Errorf("popup %+v", ev)
			}
			b := "free"
			if ev.Busy {
				b = "busy"
			}
			popups = append(popups, ev.Kind+" "+ev.Customer+" "+b)
		},
		Screen: dialerstore.Screen(s), Status: dialerstore.Status(s, acc.ID, dc.ID), Finished: dialerstore.Finished(s, acc.ID, dc.ID),
		Interval: 50 * time.Millisecond,
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetCampaign(ctx, acc.ID, dc.ID)
	counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
	if err != nil || got.Status != dialer.StatusFinished {
		t.Fatalf("campaign %s, %v", got.Status, err)
	}
	if counts.ByStatus["IN_ANSWER"] != 2 || counts.ByStatus["BUSY"] != 1 || counts.Remaining() != 0 {
		t.Errorf("counts %+v", counts)
	}
	if agents.reserved != 1 {
		t.Errorf("agent reserved %d times, want one session", agents.reserved)
	}
	want := []string{
		"Dial answer-hangup-1 busy", "Answered answer-hangup-1 busy", "Terminal answer-hangup-1 free",
		"Dial busy busy", "Terminal busy free",
		"Dial answer-hangup-2 busy", "Answered answer-hangup-2 busy", "Terminal answer-hangup-2 free",
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(popups, want) {
		t.Errorf("popups\n got %q\nwant %q", popups, want)
	}
	// The agent's record and one per customer call (3).
	if fin := rec.Finished(); len(fin) != 4 || len(rec.Open()) != 0 {
		t.Errorf("%d attempt records finished, %d open; want 4 (agent + 3 customers), none open", len(fin), len(rec.Open()))
	}
}
