package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestGroupedWritesFailAlone: concurrent per-call writes (grouped into
// shared transactions on SQLite) each commit or fail on their own: a
// duplicate attempt id among 200 concurrent starts fails alone, every
// other attempt is stored, and finishes and journeys of all of them land.
func TestGroupedWritesFailAlone(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		dup := uuid.NewString()
		if _, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, AttemptID: dup, Direction: DirectionOutbound, ChannelID: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
		const n = 200
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			ids[i] = uuid.NewString()
			if i == n/2 {
				ids[i] = dup
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, AttemptID: ids[i], Direction: DirectionOutbound,
					ChannelID: uuid.NewString(), DNIS: fmt.Sprintf("+1555%07d", i)})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i == n/2 {
				if !errors.Is(err, ErrConflict) {
					t.Errorf("duplicate attempt id: %v, want ErrConflict", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("start %d: %v", i, err)
			}
		}
		for i := range n {
			if i == n/2 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.FinishAttempt(ctx, ids[i], finish("IVR_FINISHED")); err != nil {
					errs[i] = err
					return
				}
				errs[i] = s.SaveJourney(ctx, acc.ID, ids[i], []byte(`[{"node":"n"}]`))
			}()
		}
		wg.Wait()
		for i := range n {
			if i == n/2 {
				continue
			}
			if errs[i] != nil {
				t.Fatalf("finish %d: %v", i, errs[i])
			}
			a, err := s.GetAttempt(ctx, acc.ID, ids[i])
			if err != nil || a.State != StateFinished || a.Status != "IVR_FINISHED" || a.DNIS != fmt.Sprintf("+1555%07d", i) {
				t.Fatalf("attempt %d: %+v %v", i, a, err)
			}
		}
		// A journey of an unknown attempt fails alone too.
		if err := s.SaveJourney(ctx, acc.ID, uuid.NewString(), []byte(`[]`)); !errors.Is(err, ErrNotFound) {
			t.Errorf("journey of an unknown attempt: %v, want ErrNotFound", err)
		}
	})
}

// TestPipelinedGroups: on PostgreSQL a group of per-call writes is sent as
// pipelined batches; a write among them that needs its full form (an
// answer or a journey of an unknown attempt, an end whose row changed
// behind the store's copy) fails or completes on its own, and every
// other write of the group lands.
func TestPipelinedGroups(t *testing.T) {
	s, _ := openTestStore(t, DriverPostgres)
	ctx := ctxT(t)
	acc := mustAccount(t, s, "acme")
	const n = 100
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound,
				ChannelID: uuid.NewString(), DNIS: fmt.Sprintf("+1555%07d", i)})
			ids[i], errs[i] = a.ID, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	before := s.pipedGroups.Load()
	// The row of attempt 0 is answered behind the store's copy.
	if err := s.w.Exec(`UPDATE call_attempts SET answered_at = now() WHERE id = ?`, ids[0]).Error; err != nil {
		t.Fatal(err)
	}
	unknown := make([]error, 2)
	for i := range n {
		wg.Go(func() {
			if i > 0 {
				if errs[i] = s.AnswerAttempt(ctx, ids[i], time.Time{}); errs[i] != nil {
					return
				}
			}
			if errs[i] = s.SaveJourney(ctx, acc.ID, ids[i], []byte(`[{"node":"n"}]`)); errs[i] != nil {
				return
			}
			_, errs[i] = s.FinishAttempt(ctx, ids[i], AttemptEnd{Status: "NOANSWER", IfAnswered: "IVR_FINISHED", FinishReason: "hangup"})
		})
	}
	wg.Go(func() { unknown[0] = s.AnswerAttempt(ctx, uuid.NewString(), time.Time{}) })
	wg.Go(func() { unknown[1] = s.SaveJourney(ctx, acc.ID, uuid.NewString(), []byte(`[]`)) })
	wg.Wait()
	for i, err := range unknown {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("write %d of an unknown attempt: %v, want ErrNotFound", i, err)
		}
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attempt %d: %v", i, errs[i])
		}
		a, err := s.GetAttempt(ctx, acc.ID, ids[i])
		if err != nil || a.State != StateFinished || a.Status != "IVR_FINISHED" || a.AnsweredAt == nil || a.DNIS != fmt.Sprintf("+1555%07d", i) {
			t.Fatalf("attempt %d: %+v %v", i, a, err)
		}
		if _, err := s.GetJourney(ctx, acc.ID, ids[i]); err != nil {
			t.Fatalf("journey %d: %v", i, err)
		}
	}
	if got := s.pipedGroups.Load() - before; got == 0 {
		t.Error("no group was committed pipelined")
	}
}

// TestPipelinedOutcomes: on PostgreSQL the outcomes of a request's calls
// go out in groups of one round trip (each record and its request's
// completed count in one statement), and an outcome among them that does
// not apply as sent (a lease another node holds, a request id that is not
// the record's) changes nothing in its group and is made on its own: the
// lease refused with ErrConflict, the record of the other request
// completed and counted where it belongs. Each request's completed count
// and status come out exact.
func TestPipelinedOutcomes(t *testing.T) {
	s, _ := openTestStore(t, DriverPostgres)
	ctx := ctxT(t)
	acc := mustAccount(t, s, "acme")
	records := func(n int, prefix string) []ImportRecord {
		rs := make([]ImportRecord, n)
		for i := range rs {
			rs[i] = ImportRecord{Row: int64(i + 1), Numbers: []string{fmt.Sprintf("+1%s%06d", prefix, i)}, Status: RecordPending}
		}
		return rs
	}
	reqA := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "7", FlowType: "outbound", Source: SourceAPI}, records(60, "5550"))
	reqB := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "8", FlowType: "outbound", Source: SourceAPI}, records(20, "5551"))
	now := time.Now()
	recsA, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "n1", now, 100, reqA.ID))
	if err != nil || len(recsA) != 60 {
		t.Fatalf("claim A: %d records, %v", len(recsA), err)
	}
	recsB, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "n1", now, 100, reqB.ID))
	if err != nil || len(recsB) != 20 {
		t.Fatalf("claim B: %d records, %v", len(recsB), err)
	}
	before, tripsBefore := s.pipedGroups.Load(), s.tripGroups.Load()
	type outcome struct {
		o    AttemptOutcome
		want error
	}
	var outs []outcome
	for i, r := range recsA {
		o := AttemptOutcome{AccountID: acc.ID, RecordID: r.ID, RequestID: reqA.ID, Owner: "n1", Status: "IVR_FINISHED"}
		var want error
		switch i {
		case 7:
			o.Owner, want = "n2", ErrConflict // not this node's lease
		case 11:
			o.RequestID = reqB.ID // the caller names the wrong request
		}
		outs = append(outs, outcome{o, want})
	}
	for _, r := range recsB {
		outs = append(outs, outcome{AttemptOutcome{AccountID: acc.ID, RecordID: r.ID, RequestID: reqB.ID, Owner: "n1", Status: "BUSY"}, nil})
	}
	errs := make([]error, len(outs))
	var wg sync.WaitGroup
	for i, o := range outs {
		wg.Go(func() { errs[i] = s.FinishCampaignAttempt(ctx, o.o) })
	}
	wg.Wait()
	for i, o := range outs {
		if o.want == nil && errs[i] != nil || o.want != nil && !errors.Is(errs[i], o.want) {
			t.Errorf("outcome %d (record %d): %v, want %v", i, o.o.RecordID, errs[i], o.want)
		}
	}
	check := func(id string, completed int64, status string) {
		t.Helper()
		r, err := s.GetCallListRequest(ctx, acc.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if r.Completed != completed || r.Status != status {
			t.Errorf("request %s: completed %d, status %q; want %d, %q", id, r.Completed, r.Status, completed, status)
		}
	}
	check(reqA.ID, 59, RequestInProcess)
	check(reqB.ID, 20, RequestCompleted)
	if got := s.pipedGroups.Load() - before; got == 0 {
		t.Error("no group was committed pipelined")
	}
	if got := s.tripGroups.Load() - tripsBefore; got == 0 {
		t.Error("no group was committed in one round trip")
	}
	// The refused outcome, by the lease's owner: the request completes.
	if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: recsA[7].ID, RequestID: reqA.ID, Owner: "n1", Status: "NOANSWER"}); err != nil {
		t.Fatal(err)
	}
	check(reqA.ID, 60, RequestCompleted)
}
