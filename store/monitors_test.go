package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
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

// TestCloseNodeMonitors: a node starting closes its own open monitor rows
// (and those written before rows had a node), never another node's nor
// rows already ended.
func TestCloseNodeMonitors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.CreateAccount(ctx, "mon-node")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
		ended := t0.Add(time.Minute)
		for i, m := range []SupervisorMonitor{
			{ID: "mine", Node: "node-a"},
			{ID: "other", Node: "node-b"},
			{ID: "legacy"},
			{ID: "done", Node: "node-a", EndedAt: &ended, EndReason: "stopped"},
		} {
			m.AccountID, m.AgentID, m.PhoneAgentID, m.Mode, m.By, m.CallID, m.StartedAt = a.ID, 1, 2, "listen", "sup", "c", t0
			if err := s.AddSupervisorMonitor(ctx, m); err != nil {
				t.Fatalf("add %d: %v", i, err)
			}
		}
		at := t0.Add(time.Hour)
		n, err := s.CloseNodeMonitors(ctx, "node-a", at)
		if err != nil || n != 2 {
			t.Fatalf("close: %d %v; want 2 rows", n, err)
		}
		rows, err := s.ListSupervisorMonitors(ctx, JournalFilter{AccountID: a.ID})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]SupervisorMonitor{}
		for _, r := range rows {
			got[r.ID] = r
		}
		for _, id := range []string{"mine", "legacy"} {
			if r := got[id]; r.EndedAt == nil || !r.EndedAt.Equal(at) || r.EndReason != MonitorEndRestart {
				t.Errorf("%s: %+v; want ended at %v, reason restart", id, r, at)
			}
		}
		if r := got["other"]; r.EndedAt != nil || r.Node != "node-b" {
			t.Errorf("another node's open row: %+v; want untouched", r)
		}
		if r := got["done"]; r.EndedAt == nil || !r.EndedAt.Equal(ended) || r.EndReason != "stopped" {
			t.Errorf("ended row: %+v; want untouched", r)
		}
		if n, err := s.CloseNodeMonitors(ctx, "node-a", at); err != nil || n != 0 {
			t.Errorf("again: %d %v; want 0", n, err)
		}
	})
}

// TestAgentStateBuckets: agents by state per interval over the day from
// the agent state journal: the state each agent was in when the range
// began (its last change before it), then its changes, time-weighted per
// interval; the current interval is averaged over its elapsed part;
// another account's agents are not counted.
func TestAgentStateBuckets(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustAccount(t, s, "asb-a")
		b := mustAccount(t, s, "asb-b")
		var ids []int64
		for i, acct := range []int64{a.ID, a.ID, a.ID, b.ID} {
			ag, err := s.CreateAgent(ctx, Agent{Agent: acdconfig.Agent{AccountID: acct, Name: fmt.Sprint("asb", i), LoginType: "sip", Extension: fmt.Sprint("asb-", i)}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ag.ID)
		}
		day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		ev := func(acct, agent int64, at time.Duration, to string) AgentEvent {
			return AgentEvent{AccountID: acct, AgentID: agent, At: day.Add(at), ToState: to}
		}
		if err := s.InsertAgentEvents(ctx, []AgentEvent{
			// Before the day: agent 0 logged in (still available at
			// midnight), agent 1 logged in then out.
			ev(a.ID, ids[0], -2*time.Hour, "available"),
			ev(a.ID, ids[1], -3*time.Hour, "available"), ev(a.ID, ids[1], -time.Hour, "logged_out"),
			// Agent 0: on a call 00:05-00:20, wrap-up 00:20-00:25.
			ev(a.ID, ids[0], 5*time.Minute, "on_call"), ev(a.ID, ids[0], 20*time.Minute, "wrap_up"),
			ev(a.ID, ids[0], 25*time.Minute, "available"),
			// Agent 2 logs in at 00:15, pauses at 00:30.
			ev(a.ID, ids[2], 15*time.Minute, "available"), ev(a.ID, ids[2], 30*time.Minute, "paused"),
			// Another account's agent.
			ev(b.ID, ids[3], -time.Hour, "on_call"),
		}); err != nil {
			t.Fatal(err)
		}
		got, err := s.AgentStateBuckets(ctx, a.ID, day, day.Add(40*time.Minute), 15*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		want := []AgentStateBucket{
			// 00:00-00:15: agent 0 available 5 min, on call 10.
			{Start: day, Available: 0.33, OnCall: 0.67},
			// 00:15-00:30: agent 0 on call 5, wrap-up 5, available 5;
			// agent 2 available 15.
			{Start: day.Add(15 * time.Minute), Available: 1.33, OnCall: 0.33, WrapUp: 0.33},
			// 00:30-00:40 (elapsed part): agent 0 available, agent 2 paused.
			{Start: day.Add(30 * time.Minute), Available: 1, Paused: 1},
		}
		if len(got) != len(want) {
			t.Fatalf("buckets: %+v", got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("bucket %d: %+v; want %+v", i, got[i], want[i])
			}
		}
		if _, err := s.AgentStateBuckets(ctx, a.ID, day, day, time.Minute); !errors.Is(err, ErrInvalid) {
			t.Errorf("empty range: %v; want ErrInvalid", err)
		}
	})
}
