package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
)

// TestAbandonTallyAndRescheduled: the abandon tally is written with the
// attempt outcome (one statement in its transaction) and read back per
// hour; a cancel closes the scheduled records whose time has not come as
// RESCHEDULED and leaves the others alone; calling-window deferrals are
// uncounted and due at the window.
func TestAbandonTallyAndRescheduled(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		future := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI}, []ImportRecord{
			{Row: 1, Numbers: []string{"+15550001"}, Status: RecordPending},
			{Row: 2, Numbers: []string{"+15550002"}, Status: RecordPending},
			{Row: 3, Numbers: []string{"+15550003"}, Status: RecordPending},
			{Row: 4, Numbers: []string{"+15550004"}, Status: RecordPending, StartTime: &future, ScheduleExtension: "1101"},
			{Row: 5, Numbers: []string{"+15550005"}, Status: RecordPending},
		})
		camp := testCampaign(acc.ID, req.ID)
		camp.Mode, camp.AbandonCapPct, camp.SafeHarborSound, camp.AMD, camp.MachineAction, camp.MachineFlowID =
			dialer.ModePredictive, 2.5, "sound:safe", true, dialer.MachineFlow, "77"
		c, err := s.CreateCampaign(ctx, camp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCampaign(ctx, acc.ID, c.ID)
		if err != nil || got.AbandonCapPct != 2.5 || got.SafeHarborSound != "sound:safe" || !got.AMD || got.MachineAction != dialer.MachineFlow || got.MachineFlowID != "77" {
			t.Fatalf("new settings round trip: %+v %v", got, err)
		}
		now := time.Now()
		rs, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "n1", now, 10, req.ID))
		if err != nil || len(rs) != 4 {
			t.Fatalf("claimed %d (%v), want 4 (the scheduled one is not due)", len(rs), err)
		}
		byRow := map[int64]int64{}
		for _, r := range rs {
			byRow[r.Row] = r.ID
		}
		fin := func(row int64, o AttemptOutcome) {
			t.Helper()
			o.AccountID, o.RecordID, o.Owner = acc.ID, byRow[row], "n1"
			if err := s.FinishCampaignAttempt(ctx, o); err != nil {
				t.Fatalf("finish row %d: %v", row, err)
			}
		}
		fin(1, AttemptOutcome{Status: "QUEUE_ANSWER", CampaignID: c.ID, Live: true})
		fin(2, AttemptOutcome{Status: "ABANDONED", CampaignID: c.ID, Live: true, Abandoned: true})
		// Rescheduled by the flow, back to agent 1102 in two days.
		fin(3, AttemptOutcome{Status: "QUEUE_ANSWER", CampaignID: c.ID, Live: true, Retry: true, NextAttemptAt: future, Rescheduled: true, CallbackTo: "1102"})
		// Outside its calling window: handed back uncounted, due later.
		fin(5, AttemptOutcome{Release: true, NextAttemptAt: now.Add(time.Hour)})
		if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: byRow[1], Owner: "n1", CallbackTo: string(make([]byte, 300))}); !errors.Is(err, ErrInvalid) {
			t.Errorf("oversized callback: %v", err)
		}
		hs, err := s.CampaignAbandonHours(ctx, c.ID, now.Add(-time.Hour))
		if err != nil || len(hs) != 1 || hs[0].Answered != 3 || hs[0].Abandoned != 1 || !hs[0].Hour.Equal(now.UTC().Truncate(time.Hour)) {
			t.Fatalf("abandon hours %+v %v", hs, err)
		}
		if hs, err := s.CampaignAbandonHours(ctx, c.ID+1, now.Add(-time.Hour)); err != nil {
			t.Fatalf("s.CampaignAbandonHours(ctx, c.ID+1, now.Add(-time.Hour)): %v", err)
		} else if len(hs) != 0 {
			t.Errorf("another campaign's tally: %+v", hs)
		}
		if rs, err := s.ClaimCampaignRecords(ctx, claimFor(acc.ID, "n1", now.Add(time.Minute), 10, req.ID)); err != nil {
			t.Fatalf("s.ClaimCampaignRecords: %v", err)
		} else if len(rs) != 0 {
			t.Fatalf("claimed %d records before their time", len(rs))
		}
		var r3, r5 CallListRecord
		s.r.Where("id = ?", byRow[3]).Take(&r3)
		s.r.Where("id = ?", byRow[5]).Take(&r5)
		if r3.ScheduleExtension != "1102" || r3.Attempts != 1 || r5.Attempts != 0 || r5.Status != RecordPending {
			t.Errorf("rescheduled %+v, deferred %+v", r3, r5)
		}
		n, err := s.CloseRescheduledRecords(ctx, acc.ID, []string{req.ID}, now, "RESCHEDULED")
		if err != nil || n != 2 {
			t.Fatalf("closed %d (%v), want 2 (flow reschedule + *Schedule*)", n, err)
		}
		counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
		if err != nil || counts.ByStatus["RESCHEDULED"] != 2 || counts.Pending != 1 || counts.ByStatus["ABANDONED"] != 1 {
			t.Errorf("counts %+v %v", counts, err)
		}
		if n, err := s.CloseRescheduledRecords(ctx, acc.ID, []string{req.ID}, now, "RESCHEDULED"); err != nil || n != 0 {
			t.Errorf("second close: %d %v", n, err)
		}
		if _, err := s.CloseRescheduledRecords(ctx, acc.ID, nil, now, "RESCHEDULED"); !errors.Is(err, ErrInvalid) {
			t.Errorf("no requests: %v", err)
		}
	})
}

func TestScreenNumber(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		for _, e := range []struct {
			list, v string
		}{{ListBlack, "+15550000001"}, {ListWhite, "+15550000002"}} {
			if _, err := s.AddListEntry(ctx, acc.ID, e.list, KindPhone, e.v, false); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddDNCEntries(ctx, acc.ID, "test", []DNCEntry{
			{Value: "+15550000002"}, {Value: "+15550000003"}, {Value: "+1666", Prefix: true}, {Value: "+16667", Prefix: true},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDNCEntries(ctx, other.ID, "test", []DNCEntry{{Value: "+15550000009"}}); err != nil {
			t.Fatal(err)
		}
		cases := []struct{ number, want string }{
			{"+15550000001", "blacklisted"},
			{"+15550000002", ""}, // whitelisted: exempt from DNC
			{"+15550000003", "DNC +15550000003"},
			{"+16660000000", "DNC +1666"},
			{"+16667000000", "DNC +16667"}, // the longest prefix
			{"+15550000004", ""},
			{"+15550000009", ""}, // another account's DNC
		}
		var batch []string
		for _, tc := range cases {
			got, err := s.ScreenNumber(ctx, acc.ID, tc.number)
			if err != nil || got != tc.want {
				t.Errorf("ScreenNumber(%s) = %q, %v; want %q", tc.number, got, err, tc.want)
			}
			batch = append(batch, tc.number)
		}
		// The claim-time batch gives the same answers, across chunks.
		for i := range screenChunk {
			batch = append(batch, fmt.Sprintf("+1777%07d", i))
		}
		got, err := s.ScreenNumbers(ctx, acc.ID, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range cases {
			if r, ok := got[tc.number]; r != tc.want || ok != (tc.want != "") {
				t.Errorf("ScreenNumbers: %s = %q (present %v), want %q", tc.number, r, ok, tc.want)
			}
		}
		if len(got) != 4 {
			t.Errorf("ScreenNumbers: %d reasons, want 4: %v", len(got), got)
		}
		if _, err := s.ScreenNumber(ctx, acc.ID, ""); err == nil {
			t.Error("empty number screened")
		}
	})
}
