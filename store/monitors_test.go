package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestSupervisorMonitorAudit: a monitor's audit row is written at its
// start, ended once, listed newest first per account (never another
// account's), by agent and time.
func TestSupervisorMonitorAudit(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.CreateAccount(ctx, "mon-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateAccount(ctx, "mon-b")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		for i, m := range []SupervisorMonitor{
			{ID: "m1", AccountID: a.ID, AgentID: 1, PhoneAgentID: 2, Mode: "listen", ByUserID: 7, By: "sup@a", CallID: "c1", StartedAt: t0},
			{ID: "m2", AccountID: a.ID, AgentID: 3, PhoneAgentID: 2, Mode: "barge", ByKeyID: 9, By: "api key 9", CallID: "c2", StartedAt: t0.Add(time.Minute)},
			{ID: "m3", AccountID: b.ID, AgentID: 1, PhoneAgentID: 4, Mode: "whisper", By: "sup@b", CallID: "c3", StartedAt: t0.Add(2 * time.Minute)},
		} {
			if err := s.AddSupervisorMonitor(ctx, m); err != nil {
				t.Fatalf("add %d: %v", i, err)
			}
		}
		if err := s.AddSupervisorMonitor(ctx, SupervisorMonitor{ID: "x", AccountID: a.ID}); !errors.Is(err, ErrInvalid) {
			t.Errorf("incomplete row: %v; want ErrInvalid", err)
		}
		if err := s.EndSupervisorMonitor(ctx, a.ID, "m1", t0.Add(30*time.Second), "stopped"); err != nil {
			t.Fatal(err)
		}
		if err := s.EndSupervisorMonitor(ctx, a.ID, "m3", t0, "stopped"); !errors.Is(err, ErrNotFound) {
			t.Errorf("end another account's monitor: %v; want ErrNotFound", err)
		}
		rows, err := s.ListSupervisorMonitors(ctx, JournalFilter{AccountID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 2 || rows[0].ID != "m2" || rows[1].ID != "m1" || rows[1].EndedAt == nil ||
			!rows[1].EndedAt.Equal(t0.Add(30*time.Second)) || rows[1].EndReason != "stopped" || rows[0].EndedAt != nil ||
			rows[1].By != "sup@a" || rows[1].ByUserID != 7 || rows[0].ByKeyID != 9 {
			t.Fatalf("account a: %+v", rows)
		}
		rows, err = s.ListSupervisorMonitors(ctx, JournalFilter{AccountID: a.ID, AgentID: 3, From: t0.Add(time.Second)})
		if err != nil || len(rows) != 1 || rows[0].ID != "m2" {
			t.Fatalf("by agent and time: %+v %v", rows, err)
		}
	})
}

// TestQueueCallBuckets: queue calls counted per interval by outcome; calls
// outside the range or of another account are not.
func TestQueueCallBuckets(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.CreateAccount(ctx, "qb-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateAccount(ctx, "qb-b")
		if err != nil {
			t.Fatal(err)
		}
		day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		end := day.Add(time.Hour)
		row := func(acct int64, at time.Duration, outcome string) QueueCall {
			return QueueCall{AccountID: acct, QueueID: 1, CallID: "c", JoinedAt: day.Add(at), EndedAt: &end, Outcome: outcome}
		}
		if err := s.InsertQueueCalls(ctx, []QueueCall{
			row(a.ID, time.Minute, "QUEUE_ANSWER"), row(a.ID, 14*time.Minute, "QUEUE_JOIN"),
			row(a.ID, 15*time.Minute, "QUEUE_TIMEOUT"), row(a.ID, 16*time.Minute, "QUEUE_ANSWER"),
			row(a.ID, 31*time.Minute, "QUEUE_FULL"), row(a.ID, -time.Minute, "QUEUE_ANSWER"),
			row(b.ID, time.Minute, "QUEUE_ANSWER"),
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.QueueCallBuckets(ctx, a.ID, day, day.Add(45*time.Minute), 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := []QueueCallBucket{
			{Start: day, Joined: 2, Answered: 1, Abandoned: 1},
			{Start: day.Add(15 * time.Minute), Joined: 2, Answered: 1, TimedOut: 1},
			{Start: day.Add(30 * time.Minute), Joined: 1, Other: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("buckets: %+v", got)
		}
		for i := range want {
			if !got[i].Start.Equal(want[i].Start) || got[i].Joined != want[i].Joined || got[i].Answered != want[i].Answered ||
				got[i].Abandoned != want[i].Abandoned || got[i].TimedOut != want[i].TimedOut || got[i].Other != want[i].Other {
				t.Errorf("bucket %d: %+v; want %+v", i, got[i], want[i])
			}
		}
		if _, err := s.QueueCallBuckets(ctx, a.ID, day, day, time.Minute); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty range: %v; want ErrInvalid", err)
		}
	})
}
