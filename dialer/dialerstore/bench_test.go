package dialerstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// BenchmarkStoreRoundTripsPerAttempt runs campaigns of 100 records (a
// multicast campaign, 10 at a time, the placer answering at once) on
// SQLite and counts the store operations (the store's Observe hook: one
// per public call, i.e. one round trip or one transaction) per dial
// attempt, including the pacing steps' status reads, lease renewals and
// the finishing count.
func BenchmarkStoreRoundTripsPerAttempt(b *testing.B) {
	var mu sync.Mutex
	ops := map[string]int{}
	counting := false
	s := storetest.Open(b, store.Options{DataDir: b.TempDir(), Observe: func(op string, _ time.Duration, _ error) {
		mu.Lock()
		if counting {
			ops[op]++
		}
		mu.Unlock()
	}})
	ctx := context.Background()
	acc, err := s.CreateAccount(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	const n = 100
	attempts := 0
	for b.Loop() {
		b.StopTimer()
		var recs []store.ImportRecord
		for i := 1; i <= n; i++ {
			recs = append(recs, store.ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+1555%07d", i)}, Status: store.RecordPending})
		}
		req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
		if err != nil {
			b.Fatal(err)
		}
		dc := dialer.Campaign{AccountID: acc.ID, Name: "bench", Recipients: []string{req.ID}, EndpointTemplate: "Local/{number}@c",
			SimultaneousCalls: 10, DialAttempts: 1}
		dc.Normalize()
		sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
		if err != nil {
			b.Fatal(err)
		}
		if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
			b.Fatal(err)
		}
		dc = sc.Campaign
		r := &dialer.Runner{
			Campaign: dc, Records: &Records{Store: s, Campaign: dc, Owner: "bench", NodePrefix: "bench-"},
			Placer: dialer.PlacerFunc(func(context.Context, dialer.PlaceRequest) (dialer.Result, error) {
				return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
			}),
			Screen: Screen(s), Status: Status(s, acc.ID, dc.ID), Finished: Finished(s, acc.ID, dc.ID),
			Interval: time.Millisecond,
		}
		mu.Lock()
		counting = true
		mu.Unlock()
		b.StartTimer()
		if err := r.Run(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		mu.Lock()
		counting = false
		mu.Unlock()
		attempts += int(r.Progress().Dialed)
		b.StartTimer()
	}
	total := 0
	for _, v := range ops {
		total += v
	}
	b.ReportMetric(float64(total)/float64(attempts), "store_ops/attempt")
	b.ReportMetric(float64(ops["ClaimCampaignRecords"]+ops["FinishCampaignAttempt"]+ops["ScreenNumber"])/float64(attempts), "claim+screen+finish/attempt")
	if testing.Verbose() {
		b.Logf("ops %v over %d attempts", ops, attempts)
	}
}
