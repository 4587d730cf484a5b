package ariplacer

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

func campaign() *dialer.Campaign {
	return &dialer.Campaign{ID: 42, AccountID: 1, Mode: dialer.ModeMulticast, EndpointTemplate: "Local/{number}@customers",
		SimultaneousCalls: 5, DialAttempts: 2, DialTimeoutMS: 3000}
}

// TestPlaceStatuses: each simulated customer's outcome maps to its call
// status, and the Manager writes the attempt record.
func TestPlaceStatuses(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	c := campaign()
	p := &Placer{Manager: m, Answered: func(ctx context.Context, call *ari.Call, r dialer.PlaceRequest) (bool, time.Time, error) {
		call.SetStatus("IVR_FINISHED")
		return r.Number == "answer-hangup-1", time.Time{}, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	t.Run("group", func(t *testing.T) {
		for i, tc := range []struct {
			ext, status       string
			answered, resched bool
		}{
			{"busy", "BUSY", false, false},
			{"congestion", "CONGESTION", false, false},
			{"noanswer", "NOANSWER", false, false},
			{"answer-hangup-1", "IVR_FINISHED", true, true},
			{"answer-silent", "IVR_FINISHED", true, false},
		} {
			t.Run(tc.ext, func(t *testing.T) {
				t.Parallel()
				// One record each: the attempt (and channel) id is derived from
				// the record and attempt number.
				r := dialer.PlaceRequest{Campaign: c, Record: dialer.Record{ID: int64(7 + i), AccountID: 1, Attempt: 2}, Number: tc.ext, Endpoint: c.Endpoint(tc.ext)}
				res, err := p.Place(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != tc.status || res.Answered != tc.answered || res.Rescheduled != tc.resched {
					t.Errorf("%s: %+v, want status %s answered %v rescheduled %v", tc.ext, res, tc.status, tc.answered, tc.resched)
				}
			})
		}
	})
	func() {
		fin := rec.Finished()
		if len(fin) != 5 || rec.Twice() != 0 || len(rec.Open()) != 0 {
			t.Errorf("attempt records: %d finished, %d twice, open %v", len(fin), rec.Twice(), rec.Open())
		}
		for id := range fin {
			if a, ok := rec.Started(id); !ok || a.Number != 2 || a.AccountID != 1 {
				t.Errorf("attempt %s: %+v", id, a)
			}
		}
	}()
}

// TestCampaignOnAsterisk runs a campaign end to end on the real Asterisk
// and SQLite: number rotation (first number busy, the second answers),
// retries of failed outcomes, progressive pacing by a fake agent state,
// and the campaign reaching Finished.
func TestCampaignOnAsterisk(t *testing.T) { campaignOnAsterisk(t, dialer.ModeProgressive, 0, 2) }

// TestMultipliedCampaignOnAsterisk: the same campaign multiplied, one
// agent × 2: never more than two calls ringing.
func TestMultipliedCampaignOnAsterisk(t *testing.T) {
	campaignOnAsterisk(t, dialer.ModeMultiplied, 2, 1)
}

func campaignOnAsterisk(t *testing.T, mode string, mult float64, agents int) {
	maxPeak := int(float64(agents) * max(mult, 1))
	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	s, acc := acmeStore(t, ctx)
	req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords([]store.ImportRecord{
		{Row: 1, Numbers: []string{"busy", "answer-hangup-1"}, Status: store.RecordPending},
		{Row: 2, Numbers: []string{"answer-silent"}, Status: store.RecordPending},
		{Row: 3, Numbers: []string{"congestion"}, Status: store.RecordPending},
	}))
	if err != nil {
		t.Fatal(err)
	}
	dc := dialer.Campaign{AccountID: acc.ID, Name: "promo", Mode: mode, Multiplier: mult, Queue: "sales", Recipients: []string{req.ID},
		EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 5, DialAttempts: 2, DialTimeoutMS: 3000}
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
	var mu sync.Mutex
	var placed []string
	// peak counts calls ringing or holding an agent. A call whose agent
	// is free again may still be hanging up while the pacer dials the
	// next one; it no longer counts against free agents × multiplier.
	peak := 0
	live := map[int64]bool{}
	release := func(id int64) {
		mu.Lock()
		delete(live, id)
		mu.Unlock()
	}
	// Two agents: an answered call holds one (as the ACD reports it).
	var busy atomic.Int64
	p := &Placer{Manager: m, Answered: func(ctx context.Context, call *ari.Call, r dialer.PlaceRequest) (bool, time.Time, error) {
		busy.Add(1)
		defer busy.Add(-1)
		defer release(r.Record.ID)
		call.SetStatus("IVR_FINISHED")
		return false, time.Time{}, call.WaitHangup(ctx, 5*time.Second) // the customer hangs up
	}}
	r := &dialer.Runner{
		Campaign: dc, Records: &dialerstore.Records{Store: s, Campaign: dc, Owner: "node-1"},
		Placer: dialer.PlacerFunc(func(ctx context.Context, pr dialer.PlaceRequest) (dialer.Result, error) {
			mu.Lock()
			placed = append(placed, pr.Number)
			live[pr.Record.ID] = true
			peak = max(peak, len(live))
			mu.Unlock()
			defer release(pr.Record.ID)
			// The line is free for the pacer once the placer says so
			// (the channel gone), while the attempt is still recorded.
			inner := pr.OnLineFree
			pr.OnLineFree = func() {
				release(pr.Record.ID)
				if inner != nil {
					inner()
				}
			}
			return p.Place(ctx, pr)
		}),
		// The agents: an answered call holds one.
		Agents: dialer.AgentStateFunc(func(context.Context, int64, string) (dialer.Staffing, error) {
			b := int(busy.Load())
			return dialer.Staffing{LoggedIn: agents, Free: max(agents-b, 0), Busy: min(b, agents)}, nil
		}),
		Screen: dialerstore.Screen(s), Status: dialerstore.Status(s, acc.ID, dc.ID), Finished: dialerstore.Finished(s, acc.ID, dc.ID),
		Interval: 50 * time.Millisecond,
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if peak > maxPeak {
		t.Errorf("%s: peak %d concurrent calls, at most %d allowed", mode, peak, maxPeak)
	}
	slices.Sort(placed)
	if want := []string{"answer-hangup-1", "answer-silent", "busy", "congestion", "congestion"}; !slices.Equal(placed, want) {
		t.Errorf("placed %v, want %v", placed, want)
	}
	got, _ := s.GetCampaign(ctx, acc.ID, dc.ID)
	counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
	if err != nil || got.Status != dialer.StatusFinished {
		t.Fatalf("campaign %s, %v", got.Status, err)
	}
	if counts.ByStatus["IVR_FINISHED"] != 2 || counts.ByStatus["CONGESTION"] != 1 || counts.Remaining() != 0 {
		t.Errorf("counts %+v", counts)
	}
}

// acmeStore opens a migrated SQLite store (closed when the test ends) with
// one account, "acme".
func acmeStore(t *testing.T, ctx context.Context) (*store.Store, store.Account) {
	t.Helper()
	s := storetest.Open(t, store.Options{DataDir: t.TempDir()})
	acc, err := s.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	return s, acc
}
