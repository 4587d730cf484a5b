package dialerstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// options returns store options for a fresh database of the driver.
func options(t *testing.T, driver string) store.Options { return storetest.Options(t, driver) }

func open(t *testing.T, o store.Options) *store.Store { return storetest.Open(t, o) }

// TestCampaignRoundTrip: every field of a domain campaign survives the
// store (the stored campaign is the domain type plus timestamps), on both
// drivers.
func TestCampaignRoundTrip(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, options(t, driver))
			acc, err := s.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI},
				store.ImportRecords([]store.ImportRecord{{Row: 1, Numbers: []string{"+15550000001"}, Status: store.RecordPending}}))
			if err != nil {
				t.Fatal(err)
			}
			c := dialer.Campaign{
				AccountID: acc.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMultiplied, Name: "n",
				Recipients: []string{req.ID}, CallerID: "+1555", Trunk: "t", EndpointTemplate: "PJSIP/{number}@t", SimultaneousCalls: 4,
				DialAttempts: 3, DialTimeoutMS: 2000, OnlyWhenFreeMembers: true, Queue: "q", DialToExtension: "100",
				Multiplier: 2.5, RetryIntervalSec: 30, CallingWindow: dialer.Window{StartMinute: 60, EndMinute: 120},
				CallsPerSecond: 1.5, FlowID: "9", Status: dialer.StatusPaused,
				AbandonCapPct: 2, SafeHarborSound: "sound:x", AMD: true, MachineAction: dialer.MachineFlow, MachineFlowID: "8",
				LeadWebhook: "leads", LeadNumberPath: "data.number", LogWebhook: "log",
			}
			sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: c})
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetCampaign(ctx, acc.ID, sc.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.ID = sc.ID
			if fmt.Sprintf("%+v", got.Campaign) != fmt.Sprintf("%+v", c) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got.Campaign, c)
			}
		})
	}
}

// TestTwoNodesRunCampaign: two dialer nodes (two stores on one database,
// two runners with different lease owners) run one campaign to Finished;
// every record is dialed exactly once per attempt, failed numbers rotate
// and retry, the blacklisted and DNC numbers are never dialed.
func TestTwoNodesRunCampaign(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			o := options(t, driver)
			s1 := open(t, o)
			s2 := open(t, o)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			acc, err := s1.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			const n = 40
			var recs []store.ImportRecord
			for i := 1; i <= n; i++ {
				nums := []string{fmt.Sprintf("+1555%07d", i)}
				if i%5 == 0 { // first number busy, second answers
					nums = []string{fmt.Sprintf("+1666%07d", i), fmt.Sprintf("+1555%07d", i)}
				}
				recs = append(recs, store.ImportRecord{Row: int64(i), Numbers: nums, Status: store.RecordPending})
			}
			req, err := s1.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s1.AddListEntry(ctx, acc.ID, store.ListBlack, store.KindPhone, "+15550000001", false); err != nil {
				t.Fatal(err)
			}
			if _, err := s1.AddDNCEntries(ctx, acc.ID, "test", []store.DNCEntry{{Value: "+15550000002"}}); err != nil {
				t.Fatal(err)
			}
			dc := dialer.Campaign{
				AccountID: acc.ID, Name: "promo", Recipients: []string{req.ID}, EndpointTemplate: "Local/{number}@customers",
				SimultaneousCalls: 4, DialAttempts: 2,
			}
			dc.Normalize()
			if err := dc.Validate(); err != nil {
				t.Fatal(err)
			}
			sc, err := s1.CreateCampaign(ctx, store.Campaign{Campaign: dc})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s1.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
				t.Fatal(err)
			}
			dc = sc.Campaign
			var mu sync.Mutex
			dialed := map[string]int{}
			placer := dialer.PlacerFunc(func(ctx context.Context, p dialer.PlaceRequest) (dialer.Result, error) {
				mu.Lock()
				dialed[fmt.Sprintf("%d/%d", p.Record.ID, p.Record.Attempt)]++
				dialed[p.Number] += 0
				mu.Unlock()
				if p.Number[:5] == "+1666" {
					return dialer.Result{Status: "BUSY"}, nil
				}
				return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
			})
			var wg sync.WaitGroup
			errs := make(chan error, 2)
			runners := []*dialer.Runner{}
			for i, st := range []*store.Store{s1, s2} {
				r := &dialer.Runner{
					Campaign: dc,
					Records:  &Records{Store: st, Campaign: dc, Owner: fmt.Sprintf("node-%d", i)},
					Placer:   placer, Screen: Screen(st), Status: Status(st, acc.ID, dc.ID),
					Finished: Finished(st, acc.ID, dc.ID), Interval: 5 * time.Millisecond,
				}
				runners = append(runners, r)
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs <- r.Run(ctx)
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("run: %v", err)
				}
			}
			for k, v := range dialed {
				if v > 1 {
					t.Errorf("record/attempt %s dialed %d times", k, v)
				}
			}
			got, err := s1.GetCampaign(ctx, acc.ID, dc.ID)
			if err != nil || got.Status != dialer.StatusFinished {
				t.Fatalf("campaign after run: %+v %v", got, err)
			}
			counts, err := s1.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
			if err != nil {
				t.Fatal(err)
			}
			if counts.Complete != n || counts.ByStatus["IVR_FINISHED"] != n-2 || counts.ByStatus[dialer.StatusBlocked] != 2 {
				t.Errorf("counts %+v", counts)
			}
			// 38 first attempts dialed (2 blocked) + 8 retries of the busy first numbers.
			if want := int64(n - 2 + n/5); runners[0].Progress().Dialed+runners[1].Progress().Dialed != want {
				t.Errorf("dialed %d + %d, want %d", runners[0].Progress().Dialed, runners[1].Progress().Dialed, want)
			}
			var keys []string
			for k := range dialed {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, blocked := range []string{"+15550000001", "+15550000002"} {
				if _, ok := dialed[blocked]; ok {
					t.Errorf("screened number %s was dialed", blocked)
				}
			}
			rq, err := s1.GetCallListRequest(ctx, acc.ID, req.ID)
			if err != nil || rq.Completed != n || rq.Status != store.RequestCompleted {
				t.Errorf("request %+v %v", rq, err)
			}
		})
	}
}
