package store

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"github.com/switchyard/switchyard/dialer"
)

func transitionTo(action string) func(string) (string, error) {
	return func(from string) (string, error) { return dialer.Transition(from, action) }
}

func testCampaign(accountID int64, reqs ...string) Campaign {
	return Campaign{Campaign: dialer.Campaign{
		AccountID: accountID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast, Name: "promo",
		Recipients: reqs, EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 3,
		DialAttempts: 2, DialTimeoutMS: 5000, Multiplier: 1.5, RetryIntervalSec: 60,
		CallingWindow: dialer.Window{StartMinute: 540, EndMinute: 1260}, CallsPerSecond: 2.5, Queue: "sales",
		Status: dialer.StatusCreated,
	}}
}

func TestCampaignCRUDAndLifecycle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI},
			[]ImportRecord{{Row: 1, Numbers: []string{"+15550001"}, Status: RecordPending}})
		otherReq := mustImport(t, s, CallListImport{AccountID: other.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI},
			[]ImportRecord{{Row: 1, Numbers: []string{"+15550002"}, Status: RecordPending}})

		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID, otherReq.ID)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("another account's list: %v", err)
		}
		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no recipients: %v", err)
		}
		bad := testCampaign(acc.ID, req.ID)
		bad.Name = ""
		if _, err := s.CreateCampaign(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no name: %v", err)
		}
		c, err := s.CreateCampaign(ctx, testCampaign(acc.ID, req.ID))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCampaign(ctx, acc.ID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := testCampaign(acc.ID, req.ID)
		want.ID, want.CreatedAt, want.UpdatedAt = c.ID, got.CreatedAt, got.UpdatedAt
		if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, want)
		}
		if _, err := s.GetCampaign(ctx, other.ID, c.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account get: %v", err)
		}
		// Edit in Created.
		got.Name, got.SimultaneousCalls = "promo 2", 7
		if upd, err := s.UpdateCampaign(ctx, got, dialer.Editable); err != nil || upd.Name != "promo 2" || upd.SimultaneousCalls != 7 || upd.Status != dialer.StatusCreated {
			t.Fatalf("update: %+v %v", upd, err)
		}
		// Start → Running: not editable, not deletable.
		run, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionStart))
		if err != nil || run.Status != dialer.StatusRunning || run.StartedAt == nil || run.EndedAt != nil {
			t.Fatalf("start: %+v %v", run, err)
		}
		if _, err := s.UpdateCampaign(ctx, got, dialer.Editable); !errors.Is(err, ErrConflict) {
			t.Errorf("edit while running: %v", err)
		}
		if err := s.DeleteCampaign(ctx, acc.ID, c.ID, dialer.Deletable); !errors.Is(err, ErrConflict) {
			t.Errorf("delete while running: %v", err)
		}
		if _, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionResume)); !errors.Is(err, ErrConflict) || !errors.Is(err, dialer.ErrTransition) {
			t.Errorf("resume running: %v", err)
		}
		p, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionPause))
		if err != nil || p.Status != dialer.StatusPaused {
			t.Fatalf("pause: %+v %v", p, err)
		}
		r2, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionResume))
		if err != nil || r2.Status != dialer.StatusRunning || !r2.StartedAt.Equal(*run.StartedAt) {
			t.Fatalf("resume keeps started_at: %+v %v", r2, err)
		}
		if list, err := s.ListCampaignsByStatus(ctx, dialer.StatusRunning); err != nil || len(list) != 1 || list[0].ID != c.ID {
			t.Errorf("running campaigns: %+v %v", list, err)
		}
		cx, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionCancel))
		if err != nil || cx.Status != dialer.StatusCancelled || cx.EndedAt == nil {
			t.Fatalf("cancel: %+v %v", cx, err)
		}
		if _, err := s.UpdateCampaign(ctx, got, dialer.Editable); !errors.Is(err, ErrConflict) {
			t.Errorf("edit cancelled: %v", err)
		}
		// Restart, finish, edit again (reusable).
		if r3, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionStart)); err != nil || r3.EndedAt != nil {
			t.Fatalf("restart: %+v %v", r3, err)
		}
		if f, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionFinish)); err != nil || f.Status != dialer.StatusFinished || f.EndedAt == nil {
			t.Fatalf("finish: %+v %v", f, err)
		}
		got.Name = "promo 3"
		if upd, err := s.UpdateCampaign(ctx, got, dialer.Editable); err != nil || upd.Name != "promo 3" || upd.Status != dialer.StatusFinished {
			t.Fatalf("edit finished: %+v %v", upd, err)
		}
		if list, err := s.ListCampaigns(ctx, acc.ID, ""); err != nil || len(list) != 1 {
			t.Errorf("list: %+v %v", list, err)
		}
		if list, err := s.ListCampaigns(ctx, acc.ID, dialer.StatusRunning); err != nil || len(list) != 0 {
			t.Errorf("list running: %+v %v", list, err)
		}
		if list, err := s.ListCampaigns(ctx, other.ID, ""); err != nil {
			t.Fatalf("s.ListCampaigns(ctx, other.ID, ''): %v", err)
		} else if len(list) != 0 {
			t.Errorf("other account sees %+v", list)
		}
		if err := s.DeleteCampaign(ctx, other.ID, c.ID, dialer.Deletable); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete other account: %v", err)
		}
		if err := s.DeleteCampaign(ctx, acc.ID, c.ID, dialer.Deletable); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetCampaign(ctx, acc.ID, c.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
		if _, err := s.TransitionCampaign(ctx, acc.ID, c.ID, transitionTo(dialer.ActionStart)); !errors.Is(err, ErrNotFound) {
			t.Errorf("transition deleted: %v", err)
		}
	})
}

func claimFor(acc int64, owner string, at time.Time, limit int, reqs ...string) Claim {
	return Claim{AccountID: acc, RequestIDs: reqs, Owner: owner, Now: at, Lease: time.Minute, Limit: limit, MaxAttempts: 2}
}

func rowsOf(rs []CallListRecord) []int64 {
	var out []int64
	for _, r := range rs {
		out = append(out, r.Row)
	}
	slices.Sort(out)
	return out
}

func TestClaimCampaignRecords(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		t0 := time.Now().UTC().Truncate(time.Second)
		future := t0.Add(time.Hour)
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, []ImportRecord{
			{Row: 1, Numbers: []string{"+15550001", "+15550002"}, Status: RecordPending},
			{Row: 2, Numbers: []string{"+15550003"}, Status: RecordPending},
			{Row: 3, Numbers: []string{"+15550004"}, Status: RecordPending, StartTime: &future},
			{Row: 4, Numbers: []string{"x"}, Status: RecordInvalid, Reason: "bad"},
		})
		otherReq := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, []ImportRecord{
			{Row: 1, Numbers: []string{"+15550009"}, Status: RecordPending},
		})
		for _, bad := range []Claim{
			{AccountID: acc.ID, RequestIDs: []string{req.ID}, Owner: "a", Now: t0, Lease: time.Minute, Limit: 0, MaxAttempts: 1},
			{AccountID: acc.ID, RequestIDs: []string{req.ID}, Owner: "", Now: t0, Lease: time.Minute, Limit: 1, MaxAttempts: 1},
			{AccountID: acc.ID, RequestIDs: []string{req.ID}, Owner: "a", Now: t0, Lease: 0, Limit: 1, MaxAttempts: 1},
			{AccountID: acc.ID, RequestIDs: []string{req.ID}, Owner: "a", Now: t0, Lease: time.Minute, Limit: 1, MaxAttempts: 0},
			{AccountID: acc.ID, RequestIDs: nil, Owner: "a", Now: t0, Lease: time.Minute, Limit: 1, MaxAttempts: 1},
		} {
			if _, err := s.ClaimCampaignRecords(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("bad claim %+v: %v", bad, err)
			}
		}

		got, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0, 10, req.ID))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rowsOf(got), []int64{1, 2}) {
			t.Fatalf("claimed rows %v, want [1 2] (3 is in the future, 4 invalid, other request not in the campaign)", rowsOf(got))
		}
		for _, r := range got {
			if r.Status != RecordInProcess || r.Attempts != 1 {
				t.Errorf("claimed %+v", r)
			}
		}
		if again, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-b", t0.Add(30*time.Second), 10, req.ID)); err != nil || len(again) != 0 {
			t.Fatalf("leased records claimed again: %v %v", rowsOf(again), err)
		}
		r1, r2 := got[0], got[1]
		if r1.Row != 1 {
			r1, r2 = r2, r1
		}
		// Only the owner may finish.
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r1.ID, Owner: "node-b", Status: "BUSY"}); !errors.Is(err, ErrConflict) {
			t.Errorf("finish by non-owner: %v", err)
		}
		// Row 1 busy → retry in 60 s; row 2 answered → final.
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r1.ID, Owner: "node-a", Status: "BUSY", Retry: true, NextAttemptAt: t0.Add(time.Minute)}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r2.ID, Owner: "node-a", Status: "IVR_FINISHED"}); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r2.ID, Owner: "node-a", Status: "IVR_FINISHED"}); !errors.Is(err, ErrConflict) {
			t.Errorf("finish twice: %v", err)
		}
		if rq, err := s.GetCallListRequest(ctx, acc.ID, req.ID); err != nil {
			t.Fatalf("s.GetCallListRequest(ctx, acc.ID, req.ID): %v", err)
		} else if rq.Completed != 1 || rq.Status != RequestInProcess {
			t.Errorf("request after one complete: completed %d status %s", rq.Completed, rq.Status)
		}
		if early, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0.Add(59*time.Second), 10, req.ID)); err != nil {
			t.Fatalf("s.ClaimCampaignRecords: %v", err)
		} else if len(early) != 0 {
			t.Errorf("retry claimed before its time: %v", rowsOf(early))
		}
		second, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0.Add(time.Minute), 10, req.ID))
		if err != nil || len(second) != 1 || second[0].ID != r1.ID || second[0].Attempts != 2 {
			t.Fatalf("second attempt: %+v %v", second, err)
		}
		// Release (e.g. paused before dialing): not counted.
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r1.ID, Owner: "node-a", Release: true}); err != nil {
			t.Fatal(err)
		}
		third, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0.Add(time.Minute), 10, req.ID))
		if err != nil || len(third) != 1 || third[0].Attempts != 2 {
			t.Fatalf("after release: %+v %v", third, err)
		}
		// node-a dies: its lease expires. node-b reclaims the record for
		// the SAME attempt (2 of 2), flagged Reclaimed: it settles that
		// attempt from its call record instead of starting a third.
		late := t0.Add(3 * time.Minute)
		got, err = s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-b", late, 10, req.ID))
		if err != nil || len(got) != 1 || got[0].ID != r1.ID || got[0].Attempts != 2 || !got[0].Reclaimed {
			t.Fatalf("expired lease on the last attempt: %+v %v", got, err)
		}
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r1.ID, Owner: "node-a", Status: "BUSY"}); !errors.Is(err, ErrConflict) {
			t.Errorf("finish after lease loss: %v", err)
		}
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r1.ID, Owner: "node-b", Status: "BUSY"}); err != nil {
			t.Fatalf("settle the reclaimed attempt: %v", err)
		}
		counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
		if err != nil {
			t.Fatal(err)
		}
		if counts.Complete != 2 || counts.Pending != 1 || counts.InProcess != 0 || counts.Attempts != 3 || counts.ByStatus["BUSY"] != 1 || counts.ByStatus["IVR_FINISHED"] != 1 || counts.Remaining() != 1 {
			t.Errorf("counts %+v", counts)
		}
		// Other request's record: lease expiry with attempts left → new attempt by another node.
		o1, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0, 10, otherReq.ID))
		if err != nil || len(o1) != 1 {
			t.Fatalf("claim other: %+v %v", o1, err)
		}
		if n, err := s.RenewLeases(ctx, "node-a", []int64{o1[0].ID}, t0.Add(2*time.Minute)); err != nil || n != 1 {
			t.Fatalf("renew: %d %v", n, err)
		}
		if n, err := s.RenewLeases(ctx, "node-b", []int64{o1[0].ID}, t0.Add(10*time.Minute)); err != nil {
			t.Fatalf("s.RenewLeases: %v", err)
		} else if n != 0 {
			t.Errorf("renewed someone else's lease")
		}
		if got, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-b", t0.Add(90*time.Second), 10, otherReq.ID)); err != nil {
			t.Fatalf("s.ClaimCampaignRecords: %v", err)
		} else if len(got) != 0 {
			t.Errorf("renewed lease stolen: %v", rowsOf(got))
		}
		stolen, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-b", t0.Add(2*time.Minute+time.Second), 10, otherReq.ID))
		if err != nil || len(stolen) != 1 || stolen[0].Attempts != 1 || !stolen[0].Reclaimed {
			t.Fatalf("expired lease reclaim: %+v %v", stolen, err)
		}
		// The future record becomes due.
		if got, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-b", future, 10, req.ID)); err != nil {
			t.Fatalf("s.ClaimCampaignRecords: %v", err)
		} else if !slices.Equal(rowsOf(got), []int64{3}) {
			t.Errorf("future record: %v", rowsOf(got))
		}
	})
}

// TestClaimCampaignRecordsRace: two stores on one database (two Switchyard
// nodes), several claimers each; every record is handed out exactly once.
func TestClaimCampaignRecordsRace(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			so := freshOptions(t, d)
			s1, _ := openStoreWith(t, so)
			s2, _ := openStoreWith(t, so, testStoreOpts{noMigrate: true})
			ctx := ctxT(t)
			acc := mustAccount(t, s1, "acme")
			const n = 300
			var recs []ImportRecord
			for i := 1; i <= n; i++ {
				recs = append(recs, ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+1555%07d", i)}, Status: RecordPending})
			}
			req := mustImport(t, s1, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, recs)
			at := time.Now()
			var mu sync.Mutex
			seen := map[int64]string{}
			var dup []string
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				st := s1
				if i%2 == 1 {
					st = s2
				}
				owner := fmt.Sprintf("node-%d", i)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						got, err := st.ClaimCampaignRecords(ctx, Claim{AccountID: acc.ID, RequestIDs: []string{req.ID}, Owner: owner, Now: at, Lease: time.Hour, Limit: 7, MaxAttempts: 1})
						if err != nil {
							errs <- err
							return
						}
						if len(got) == 0 {
							return
						}
						mu.Lock()
						for _, r := range got {
							if prev, ok := seen[r.ID]; ok {
								dup = append(dup, fmt.Sprintf("record %d: %s and %s", r.ID, prev, owner))
							}
							seen[r.ID] = owner
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if len(dup) > 0 {
				t.Fatalf("claimed twice: %v", dup)
			}
			if len(seen) != n {
				t.Fatalf("claimed %d records, want %d", len(seen), n)
			}
			owners := map[string]bool{}
			for _, o := range seen {
				owners[o] = true
			}
			t.Logf("%d records over %d claimers", n, len(owners))
		})
	}
}

// TestFinishCampaignAttemptsConcurrently: outcomes finished in parallel
// keep the request's completed count exact (no lost update), whether the
// caller names the record's request (its outcomes share a lane), does not
// (each record's lane), or some do and some do not.
func TestFinishCampaignAttemptsConcurrently(t *testing.T) {
	for _, tc := range []struct {
		name  string
		named func(i int) bool
	}{
		{"record lanes", func(int) bool { return false }},
		{"request lane", func(int) bool { return true }},
		{"mixed", func(i int) bool { return i%2 == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) { finishConcurrently(t, tc.named) })
	}
}

func finishConcurrently(t *testing.T, named func(i int) bool) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		const n = 60
		var recs []ImportRecord
		for i := 1; i <= n; i++ {
			recs = append(recs, ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+1555%07d", i)}, Status: RecordPending})
		}
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, recs)
		got, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", time.Now(), n, req.ID))
		if err != nil || len(got) != n {
			t.Fatalf("claim: %d %v", len(got), err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i, r := range got {
			o := AttemptOutcome{AccountID: acc.ID, RecordID: r.ID, Owner: "node-a", Status: "IVR_FINISHED"}
			if named(i) {
				o.RequestID = req.ID
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.FinishCampaignAttempt(ctx, o)
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		rq, err := s.GetCallListRequest(ctx, acc.ID, req.ID)
		if err != nil || rq.Completed != n || rq.Status != RequestCompleted {
			t.Fatalf("request completed %d status %s (%v), want %d %s", rq.Completed, rq.Status, err, n, RequestCompleted)
		}
	})
}

// TestSearchCampaignsByStartedEnded: campaigns are searched by when they
// started and ended.
func TestSearchCampaignsByStartedEnded(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "search")
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI},
			[]ImportRecord{{Row: 1, Numbers: []string{"+15550001"}, Status: RecordPending}})
		day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
		ptr := func(t time.Time) *time.Time { return &t }
		ids := map[string]int64{}
		for _, c := range []struct {
			name           string
			started, ended *time.Time
		}{{"never", nil, nil}, {"march1", ptr(day(1)), ptr(day(2))}, {"march5", ptr(day(5)), nil}} {
			camp := testCampaign(acc.ID, req.ID)
			camp.Name = c.name
			got, err := s.CreateCampaign(ctx, camp)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.w.Exec("UPDATE campaigns SET started_at = ?, ended_at = ? WHERE id = ?", c.started, c.ended, got.ID).Error; err != nil {
				t.Fatal(err)
			}
			ids[c.name] = got.ID
		}
		names := func(f CampaignFilter) string {
			cs, err := s.SearchCampaigns(ctx, acc.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, c := range cs {
				out = append(out, c.Name)
			}
			slices.Sort(out)
			return strings.Join(out, ",")
		}
		for _, tc := range []struct {
			f    CampaignFilter
			want string
		}{
			{CampaignFilter{}, "march1,march5,never"},
			{CampaignFilter{StartedFrom: ptr(day(1))}, "march1,march5"},
			{CampaignFilter{StartedFrom: ptr(day(2)), StartedTo: ptr(day(6))}, "march5"},
			{CampaignFilter{EndedFrom: ptr(day(1)), EndedTo: ptr(day(3))}, "march1"},
			{CampaignFilter{EndedTo: ptr(day(1))}, ""},
		} {
			if got := names(tc.f); got != tc.want {
				t.Errorf("%+v: %q, want %q", tc.f, got, tc.want)
			}
		}
	})
}

// TestCampaignColumns: the stored campaign is the dialer's campaign plus
// the store's timestamps; every field maps to a column of the campaigns
// table and every column to a field (a field added to the domain type
// without a migration fails here, on both drivers).
func TestCampaignColumns(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		checkColumns(t, s, &Campaign{}, "campaigns")
	})
}

// checkColumns fails unless the model's fields map one to one onto the
// columns of the migrated table: a renamed field (whose column name would
// change), a field added without a migration or a column left without a
// field.
func checkColumns(t *testing.T, s *Store, model any, table string) {
	t.Helper()
	sc, err := schema.Parse(model, &sync.Map{}, s.w.NamingStrategy)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, f := range sc.Fields {
		if f.DBName != "" {
			fields = append(fields, f.DBName)
		}
	}
	cts, err := s.w.Migrator().ColumnTypes(table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range cts {
		cols = append(cols, c.Name())
	}
	slices.Sort(fields)
	slices.Sort(cols)
	if !slices.Equal(fields, cols) {
		t.Errorf("%T fields %v\n%s columns %v", model, fields, table, cols)
	}
}

// TestClaimOrder: a claim takes expired leases first (oldest first), then
// retries that are due (earliest first), then first attempts without a
// start time (upload order), then first attempts whose start time has
// come (by start time); retries and first attempts not yet due wait.
func TestClaimOrder(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "order")
		t0 := time.Now().UTC().Truncate(time.Second)
		at := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
		// row → (start time, next attempt, leased until)
		setup := []struct {
			row                  int64
			start, next, leaseTo *time.Time
		}{
			{1, at(-time.Minute), nil, nil},      // first attempt, started a minute ago
			{2, nil, nil, nil},                   // first attempt, no start time
			{3, nil, at(-time.Hour), nil},        // retry due an hour ago
			{4, nil, nil, at(-2 * time.Minute)},  // lease expired two minutes ago
			{5, nil, at(time.Hour), nil},         // retry due in an hour
			{6, at(time.Hour), nil, nil},         // first attempt starting in an hour
			{7, at(-2 * time.Hour), nil, nil},    // first attempt, started two hours ago
			{8, nil, nil, nil},                   // first attempt, no start time
			{9, nil, at(-2 * time.Hour), nil},    // retry due two hours ago
			{10, nil, nil, at(-3 * time.Minute)}, // lease expired three minutes ago
		}
		var recs []ImportRecord
		for _, r := range setup {
			recs = append(recs, ImportRecord{Row: r.row, Numbers: []string{fmt.Sprintf("+1555000%04d", r.row)}, StartTime: r.start, Status: RecordPending})
		}
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, recs)
		for _, r := range setup {
			q := s.w.Model(&CallListRecord{}).Where("request_id = ? AND row_no = ?", req.ID, r.row)
			var err error
			switch {
			case r.next != nil:
				err = q.Updates(map[string]any{"next_attempt_at": norm(*r.next), "attempts": 1}).Error
			case r.leaseTo != nil:
				err = q.Updates(map[string]any{"status": RecordInProcess, "lease_owner": "gone", "lease_until": norm(*r.leaseTo), "attempts": 1}).Error
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		var order []int64
		for range 10 {
			got, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "node-a", t0, 1, req.ID))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				break
			}
			order = append(order, got[0].Row)
		}
		if want := []int64{10, 4, 9, 3, 2, 8, 7, 1}; !slices.Equal(order, want) {
			t.Errorf("claimed rows in order %v, want %v", order, want)
		}
	})
}
