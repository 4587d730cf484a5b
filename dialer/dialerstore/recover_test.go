package dialerstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// TestRestartAdoptsClaims: records a node was dialing when it died are
// adopted by its next life and settled from their call records — the
// finished call's status is kept, the call still open is waited for, the
// claim never placed is handed back and dialed once — while another
// node's claims are left alone. Nothing is dialed twice.
func TestRestartAdoptsClaims(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			s := open(t, options(t, driver))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			acc, err := s.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords([]store.ImportRecord{
				{Row: 1, Numbers: []string{"+15550000001"}, Status: store.RecordPending},
				{Row: 2, Numbers: []string{"+15550000002"}, Status: store.RecordPending},
				{Row: 3, Numbers: []string{"+15550000003"}, Status: store.RecordPending},
				{Row: 4, Numbers: []string{"+15550000004"}, Status: store.RecordPending},
			}))
			if err != nil {
				t.Fatal(err)
			}
			dc := dialer.Campaign{AccountID: acc.ID, Name: "c", Recipients: []string{req.ID}, EndpointTemplate: "Local/{number}@c",
				SimultaneousCalls: 4, DialAttempts: 2, RetryIntervalSec: 3600}
			dc.Normalize()
			sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
			if err != nil {
				t.Fatal(err)
			}
			if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
				t.Fatal(err)
			}
			dc = sc.Campaign
			// The dead life "node-a-1" claimed three records, another node
			// "node-b-1" the fourth.
			dead := &Records{Store: s, Campaign: dc, Owner: "node-a-1"}
			rs, err := dead.Claim(ctx, time.Now(), 3)
			if err != nil || len(rs) != 3 {
				t.Fatalf("claim %v %v", rs, err)
			}
			other := &Records{Store: s, Campaign: dc, Owner: "node-b-1"}
			if o, err := other.Claim(ctx, time.Now(), 1); err != nil || len(o) != 1 {
				t.Fatalf("other claim %v %v", o, err)
			}
			// rs[0]: placed and finished BUSY; rs[1]: placed, still open;
			// rs[2]: never placed.
			for i, r := range rs[:2] {
				id := dialer.AttemptID(acc.ID, r.ID, r.Attempt)
				if _, err := s.StartAttempt(ctx, store.AttemptStart{AccountID: acc.ID, AttemptID: id, Direction: store.DirectionOutbound,
					ChannelID: id, DNIS: r.Numbers[0], StartedAt: time.Now()}); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if _, err := s.FinishAttempt(ctx, id, store.AttemptEnd{EndedAt: time.Now(), Status: "BUSY", FinishReason: "hangup"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			var mu sync.Mutex
			placed := map[int64]int{}
			r := &dialer.Runner{
				Campaign: dc, Records: &Records{Store: s, Campaign: dc, Owner: "node-a-2", NodePrefix: "node-a-"},
				Placer: dialer.PlacerFunc(func(_ context.Context, pr dialer.PlaceRequest) (dialer.Result, error) {
					mu.Lock()
					placed[pr.Record.ID]++
					mu.Unlock()
					return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
				}),
				Interval: 20 * time.Millisecond,
			}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			// The open call ends a little later (the call manager's
			// reconciliation closes it).
			time.Sleep(100 * time.Millisecond)
			if _, err := s.FinishAttempt(ctx, dialer.AttemptID(acc.ID, rs[1].ID, rs[1].Attempt), store.AttemptEnd{EndedAt: time.Now(), Status: "FAILED",
				FinishReason: "reconciled"}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				if err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				r.Wait()
				c, _ := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
				if c.InProcess == 1 && c.Pending == 2 || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			mu.Lock()
			defer mu.Unlock()
			// Only the never-placed record was dialed (its first attempt,
			// handed back uncounted); the two placed ones retry later
			// (BUSY and FAILED with one attempt left, next in an hour).
			if len(placed) != 1 || placed[rs[2].ID] != 1 {
				t.Errorf("placed %v, want only record %d once", placed, rs[2].ID)
			}
			all, err := s.ListCallListRecords(ctx, acc.ID, req.ID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range all {
				switch x.ID {
				case rs[0].ID, rs[1].ID:
					if x.Status != store.RecordPending || x.Attempts != 1 {
						t.Errorf("placed orphan %d: %s after %d attempts", x.ID, x.Status, x.Attempts)
					}
				case rs[2].ID:
					if x.Status != store.RecordComplete || x.Attempts != 1 {
						t.Errorf("unplaced orphan %d: %s after %d attempts", x.ID, x.Status, x.Attempts)
					}
				default:
					if x.Status != store.RecordInProcess {
						t.Errorf("the other node's record %d: %s", x.ID, x.Status)
					}
				}
			}
		})
	}
}
