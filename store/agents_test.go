package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

func sipAgent(acct int64, name, ext string) Agent {
	return Agent{Agent: acdconfig.Agent{AccountID: acct, Name: name, LoginType: "softphone", Extension: ext, SIPPassword: "secret-" + ext, WrapUp: 5 * time.Second, Record: true}}
}

func TestAgentsCRUD(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")

		ag, err := s.CreateAgent(ctx, sipAgent(a.ID, " Alice ", "7001"))
		if err != nil {
			t.Fatal(err)
		}
		if ag.ID == 0 || ag.Name != "Alice" || ag.SIPPassword != "secret-7001" || ag.CreatedAt.IsZero() {
			t.Fatalf("created: %+v", ag)
		}
		got, err := s.GetAgent(ctx, a.ID, ag.ID)
		if err != nil || got != ag {
			t.Fatalf("get: %+v %v\nwant %+v", got, err, ag)
		}
		// The extension is unique across the deployment.
		if _, err := s.CreateAgent(ctx, sipAgent(b.ID, "Bob", "7001")); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "7001") {
			t.Fatalf("duplicate extension: %v", err)
		}
		// Several non-SIP agents have no extension.
		for i, n := range []string{"+15550001", "+15550002"} {
			if _, err := s.CreateAgent(ctx, Agent{Agent: acdconfig.Agent{AccountID: b.ID, Name: fmt.Sprint("m", i), LoginType: "mobile", Number: n, Persistent: true}}); err != nil {
				t.Fatal(err)
			}
		}
		mob, err := s.ListAgents(ctx, b.ID)
		if err != nil || len(mob) != 2 || mob[0].Number != "+15550001" || !mob[0].Persistent {
			t.Fatalf("list b: %+v %v", mob, err)
		}
		all, err := s.ListAllAgents(ctx)
		if err != nil || len(all) != 3 {
			t.Fatalf("list all: %d %v", len(all), err)
		}

		// Update keeps the password when none is given.
		ag.Name, ag.SIPPassword, ag.WrapUp = "Alice B", "", 0
		up, err := s.UpdateAgent(ctx, ag)
		if err != nil || up.Name != "Alice B" || up.SIPPassword != "secret-7001" || up.WrapUp != 0 || up.UpdatedAt.Before(up.CreatedAt) {
			t.Fatalf("update: %+v %v", up, err)
		}
		ag.SIPPassword = "new"
		if up, err = s.UpdateAgent(ctx, ag); err != nil || up.SIPPassword != "new" {
			t.Fatalf("update password: %+v %v", up, err)
		}
		// Switching to mobile clears the extension's password.
		ag.LoginType, ag.Extension, ag.Number, ag.SIPPassword = "mobile", "", "+15559999", ""
		if up, err = s.UpdateAgent(ctx, ag); err != nil || up.SIPPassword != "" || up.Extension != "" {
			t.Fatalf("update to mobile: %+v %v", up, err)
		}
		// The extension is free again.
		if _, err := s.CreateAgent(ctx, sipAgent(b.ID, "Bob", "7001")); err != nil {
			t.Fatalf("reuse extension: %v", err)
		}
		// Update to an extension in use.
		ag.LoginType, ag.Extension, ag.Number = "deskphone", "7001", ""
		if _, err := s.UpdateAgent(ctx, ag); !errors.Is(err, ErrConflict) {
			t.Fatalf("update to used extension: %v", err)
		}
	})
}

func TestAgentInputErrors(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		for _, tc := range []struct {
			name string
			mod  func(*Agent)
			want string
		}{
			{"no account", func(x *Agent) { x.AccountID = 0 }, "account"},
			{"no name", func(x *Agent) { x.Name = " " }, "name"},
			{"control in name", func(x *Agent) { x.Name = "a\x01" }, "name"},
			{"no login type", func(x *Agent) { x.LoginType = "" }, "login type"},
			{"long login type", func(x *Agent) { x.LoginType = acdconfig.LoginType(strings.Repeat("x", 17)) }, "login type"},
			{"long extension", func(x *Agent) { x.Extension = strings.Repeat("1", 65) }, "extension"},
			{"long password", func(x *Agent) { x.SIPPassword = strings.Repeat("p", 129) }, "sip password"},
			{"long number", func(x *Agent) { x.Number = strings.Repeat("1", 33) }, "number"},
			{"NUL cli", func(x *Agent) { x.CLI = "1\x00" }, "cli"},
			{"negative wrap-up", func(x *Agent) { x.WrapUp = -time.Millisecond }, "wrap-up"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := sipAgent(a.ID, "x", "8001")
				tc.mod(&in)
				_, err := s.CreateAgent(ctx, in)
				if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("create: %v (want ErrInvalid naming %q)", err, tc.want)
				}
			})
		}
		if _, err := s.CreateAgent(ctx, sipAgent(999999, "x", "8002")); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
	})
}

func stdQueue(acct int64, name string, members ...int64) Queue {
	return Queue{Queue: acdconfig.Queue{AccountID: acct, Name: name, Strategy: "longest-idle", Members: members, RingTimeout: 20 * time.Second, Timeout: 5 * time.Minute,
		MOHClass: "default", Announce: "sound:queue-periodic-announce", AnnounceEvery: 30 * time.Second, AnnouncePosition: true}}
}

func TestQueuesCRUD(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		var ids []int64
		for i := range 3 {
			ag, err := s.CreateAgent(ctx, sipAgent(a.ID, fmt.Sprint("ag", i), fmt.Sprint("70", i)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, ag.ID)
		}
		bAgent, err := s.CreateAgent(ctx, sipAgent(b.ID, "bee", "7100"))
		if err != nil {
			t.Fatal(err)
		}

		q, err := s.CreateQueue(ctx, stdQueue(a.ID, "sales", ids[2], ids[0]))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetQueue(ctx, a.ID, q.ID)
		if err != nil || fmt.Sprint(got.Members) != fmt.Sprint([]int64{ids[2], ids[0]}) || got.Announce != q.Announce || got.RingTimeout != 20*time.Second {
			t.Fatalf("get: %+v %v", got, err)
		}
		if byName, err := s.GetQueueByName(ctx, a.ID, "sales"); err != nil || byName.ID != q.ID || len(byName.Members) != 2 {
			t.Fatalf("by name: %+v %v", byName, err)
		}
		// Unique name per account; another account may reuse it.
		if _, err := s.CreateQueue(ctx, stdQueue(a.ID, "sales")); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate name: %v", err)
		}
		qb, err := s.CreateQueue(ctx, stdQueue(b.ID, "sales", bAgent.ID))
		if err != nil {
			t.Fatalf("same name other account: %v", err)
		}
		// Members must be agents of the account.
		_, err = s.CreateQueue(ctx, stdQueue(a.ID, "support", ids[0], bAgent.ID, 424242))
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("agent %d, 424242 not found", bAgent.ID)) {
			t.Fatalf("foreign members: %v", err)
		}
		if _, err := s.CreateQueue(ctx, stdQueue(a.ID, "support", ids[0], ids[0])); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "twice") {
			t.Fatalf("duplicate member: %v", err)
		}
		for _, bad := range []Queue{
			{Queue: acdconfig.Queue{AccountID: a.ID, Name: "bad name!", Strategy: "x"}},
			{Queue: acdconfig.Queue{AccountID: a.ID, Name: "ok"}},
			{Queue: acdconfig.Queue{AccountID: a.ID, Name: "ok", Strategy: "x", Timeout: -time.Millisecond}},
			{Queue: acdconfig.Queue{AccountID: 0, Name: "ok", Strategy: "x"}},
		} {
			if _, err := s.CreateQueue(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Fatalf("bad queue %+v: %v", bad, err)
			}
		}

		q2, err := s.CreateQueue(ctx, stdQueue(a.ID, "support", ids[1]))
		if err != nil {
			t.Fatal(err)
		}
		qs, err := s.ListQueues(ctx, a.ID)
		if err != nil || len(qs) != 2 || len(qs[0].Members) != 2 || len(qs[1].Members) != 1 {
			t.Fatalf("list: %+v %v", qs, err)
		}
		all, err := s.ListAllQueues(ctx)
		if err != nil || len(all) != 3 || fmt.Sprint(all[1].Members) != fmt.Sprint([]int64{bAgent.ID}) {
			t.Fatalf("list all: %+v %v", all, err)
		}

		// Update replaces settings and members.
		q.Members, q.Strategy, q.MaxLen, q.Name = []int64{ids[1]}, "ring-all", 5, "sales2"
		up, err := s.UpdateQueue(ctx, q)
		if err != nil || up.Strategy != "ring-all" || up.MaxLen != 5 || up.Name != "sales2" || fmt.Sprint(up.Members) != fmt.Sprint([]int64{ids[1]}) {
			t.Fatalf("update: %+v %v", up, err)
		}
		q.Name = "support"
		if _, err := s.UpdateQueue(ctx, q); !errors.Is(err, ErrConflict) {
			t.Fatalf("rename to a used name: %v", err)
		}
		q.Name, q.Members = "sales2", []int64{bAgent.ID}
		if _, err := s.UpdateQueue(ctx, q); !errors.Is(err, ErrInvalid) {
			t.Fatalf("update with foreign member: %v", err)
		}
		q.Members = nil
		if up, err = s.UpdateQueue(ctx, q); err != nil || len(up.Members) != 0 || up.Members == nil {
			t.Fatalf("update to no members: %+v %v", up, err)
		}

		// Deleting an agent removes it from its queues.
		q.Members = []int64{ids[1], ids[0]}
		if _, err := s.UpdateQueue(ctx, q); err != nil {
			t.Fatal(err)
		}
		del, left, err := s.DeleteAgent(ctx, a.ID, ids[1])
		if err != nil || del.ID != ids[1] || fmt.Sprint(left) != fmt.Sprint([]int64{q.ID, q2.ID}) {
			t.Fatalf("delete agent: %+v %v %v", del, left, err)
		}
		if got, err := s.GetQueue(ctx, a.ID, q.ID); err != nil {
			t.Fatalf("s.GetQueue(ctx, a.ID, q.ID): %v", err)
		} else if fmt.Sprint(got.Members) != fmt.Sprint([]int64{ids[0]}) {
			t.Fatalf("members after agent delete: %v", got.Members)
		}
		if got, err := s.GetQueue(ctx, a.ID, q2.ID); err != nil {
			t.Fatalf("s.GetQueue(ctx, a.ID, q2.ID): %v", err)
		} else if len(got.Members) != 0 {
			t.Fatalf("members after agent delete: %v", got.Members)
		}
		if _, _, err := s.DeleteAgent(ctx, a.ID, ids[1]); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete again: %v", err)
		}

		if err := s.DeleteQueue(ctx, a.ID, q.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetQueue(ctx, a.ID, q.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
		if err := s.DeleteQueue(ctx, a.ID, q.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete again: %v", err)
		}
		// The other account's queue is untouched.
		if got, err := s.GetQueue(ctx, b.ID, qb.ID); err != nil || len(got.Members) != 1 {
			t.Fatalf("b queue: %+v %v", got, err)
		}
	})
}

func mustWebhook(t *testing.T, s *Store, acct int64, name string) {
	t.Helper()
	if _, err := s.PutWebhook(ctxT(t), acct, name, json.RawMessage(`{"url":"https://crm.example.com/hook"}`)); err != nil {
		t.Fatal(err)
	}
}

func mustFlow(t *testing.T, s *Store, acct int64, name string) Flow {
	t.Helper()
	f, err := s.CreateFlow(ctxT(t), acct, NewFlow{Name: name, Type: "inbound", Draft: json.RawMessage(`{"widgets":[]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestHooks(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		mustWebhook(t, s, a.ID, "crm")
		mustWebhook(t, s, b.ID, "bcrm")
		fa := mustFlow(t, s, a.ID, "in")
		fb := mustFlow(t, s, b.ID, "in")

		h, err := s.PutHook(ctx, ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "crm", Webhook: "crm", Events: []acdconfig.EventKind{"agent_allocated"}, FlowIDs: []int64{fa.ID}}})
		if err != nil || h.ID == 0 || fmt.Sprint(h.FlowIDs) != fmt.Sprint([]int64{fa.ID}) || h.Events[0] != "agent_allocated" {
			t.Fatalf("create: %+v %v", h, err)
		}
		p, err := s.PutHook(ctx, ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "popup", Webhook: "crm", AllFlows: true}})
		if err != nil || p.Events == nil || p.FlowIDs == nil || !p.AllFlows {
			t.Fatalf("create popup: %+v %v", p, err)
		}
		for _, bad := range []struct {
			h    ACDHook
			want error
			msg  string
		}{
			{ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "crm", Webhook: "bcrm", AllFlows: true}}, ErrInvalid, `no webhook named "bcrm"`},
			{ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "crm", Webhook: "crm", FlowIDs: []int64{fa.ID, fb.ID}}}, ErrInvalid, fmt.Sprintf("flow %d not found", fb.ID)},
			{ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "", Webhook: "crm"}}, ErrInvalid, "kind"},
			{ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "crm", Webhook: "a b"}}, ErrInvalid, "webhook"},
			{ACDHook{Hook: acdconfig.Hook{AccountID: a.ID, Kind: "crm", Webhook: "crm", Events: []acdconfig.EventKind{acdconfig.EventKind(strings.Repeat("e", 33))}}}, ErrInvalid, "event"},
			// Another account's hook id cannot be replaced.
			{ACDHook{Hook: acdconfig.Hook{ID: h.ID, AccountID: b.ID, Kind: "crm", Webhook: "bcrm", AllFlows: true}}, ErrNotFound, "hook"},
		} {
			if _, err := s.PutHook(ctx, bad.h); !errors.Is(err, bad.want) || !strings.Contains(err.Error(), bad.msg) {
				t.Fatalf("put %+v: %v (want %v with %q)", bad.h, err, bad.want, bad.msg)
			}
		}
		h.Events, h.AllFlows, h.FlowIDs = nil, true, nil
		up, err := s.PutHook(ctx, h)
		if err != nil || !up.AllFlows || len(up.Events) != 0 || !up.CreatedAt.Equal(h.CreatedAt) {
			t.Fatalf("update: %+v %v", up, err)
		}
		hs, err := s.ListHooks(ctx, a.ID, "")
		if err != nil || len(hs) != 2 {
			t.Fatalf("list: %+v %v", hs, err)
		}
		if hs, err = s.ListHooks(ctx, a.ID, "popup"); err != nil || len(hs) != 1 || hs[0].ID != p.ID {
			t.Fatalf("list popup: %+v %v", hs, err)
		}
		if hs, err = s.ListHooks(ctx, b.ID, ""); err != nil || len(hs) != 0 {
			t.Fatalf("b sees a's hooks: %+v %v", hs, err)
		}
		if _, err := s.GetHook(ctx, b.ID, h.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("b gets a's hook: %v", err)
		}
		if err := s.DeleteHook(ctx, b.ID, h.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("b deletes a's hook: %v", err)
		}
		if err := s.DeleteHook(ctx, a.ID, h.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetHook(ctx, a.ID, h.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get deleted: %v", err)
		}
	})
}

func TestAgentUI(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		u, err := s.GetAgentUI(ctx, a.ID)
		if err != nil || u.Enabled || u.URL != "" || u.AccountID != a.ID {
			t.Fatalf("default: %+v %v", u, err)
		}
		if _, err := s.PutAgentUI(ctx, AgentUI{AgentUI: acdconfig.AgentUI{AccountID: a.ID, Enabled: true, URL: "https://ui.example.com", Width: 800, Height: 600}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PutAgentUI(ctx, AgentUI{AgentUI: acdconfig.AgentUI{AccountID: a.ID, Enabled: true, URL: "https://ui2.example.com", Width: 400, Height: 300}}); err != nil {
			t.Fatal(err)
		}
		u, err = s.GetAgentUI(ctx, a.ID)
		if err != nil || !u.Enabled || u.URL != "https://ui2.example.com" || u.Width != 400 || u.Height != 300 {
			t.Fatalf("get: %+v %v", u, err)
		}
		if u, err := s.GetAgentUI(ctx, b.ID); err != nil {
			t.Fatalf("s.GetAgentUI(ctx, b.ID): %v", err)
		} else if u.Enabled || u.URL != "" {
			t.Fatalf("b sees a's UI: %+v", u)
		}
		if _, err := s.PutAgentUI(ctx, AgentUI{AgentUI: acdconfig.AgentUI{AccountID: a.ID, Width: -1}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("negative width: %v", err)
		}
		if _, err := s.PutAgentUI(ctx, AgentUI{AgentUI: acdconfig.AgentUI{AccountID: 0}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no account: %v", err)
		}
	})
}

// TestAgentsAccountIsolation: account B can neither read nor modify A's
// agents and queues, nor use A's agents as members.
func TestAgentsAccountIsolation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		ag, err := s.CreateAgent(ctx, sipAgent(a.ID, "Alice", "7001"))
		if err != nil {
			t.Fatal(err)
		}
		q, err := s.CreateQueue(ctx, stdQueue(a.ID, "sales", ag.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetAgent(ctx, b.ID, ag.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get: %v", err)
		}
		if l, err := s.ListAgents(ctx, b.ID); err != nil {
			t.Fatalf("s.ListAgents(ctx, b.ID): %v", err)
		} else if len(l) != 0 {
			t.Fatalf("list: %v", l)
		}
		steal := ag
		steal.AccountID, steal.Name = b.ID, "mine"
		if _, err := s.UpdateAgent(ctx, steal); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update: %v", err)
		}
		if _, _, err := s.DeleteAgent(ctx, b.ID, ag.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete: %v", err)
		}
		if _, err := s.GetQueue(ctx, b.ID, q.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get queue: %v", err)
		}
		if _, err := s.GetQueueByName(ctx, b.ID, "sales"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("get queue by name: %v", err)
		}
		if l, err := s.ListQueues(ctx, b.ID); err != nil {
			t.Fatalf("s.ListQueues(ctx, b.ID): %v", err)
		} else if len(l) != 0 {
			t.Fatalf("list queues: %v", l)
		}
		qs := q
		qs.AccountID, qs.Members = b.ID, nil
		if _, err := s.UpdateQueue(ctx, qs); !errors.Is(err, ErrNotFound) {
			t.Fatalf("update queue: %v", err)
		}
		if err := s.DeleteQueue(ctx, b.ID, q.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete queue: %v", err)
		}
		if _, err := s.CreateQueue(ctx, stdQueue(b.ID, "mine", ag.ID)); !errors.Is(err, ErrInvalid) {
			t.Fatalf("foreign member: %v", err)
		}
		// A's rows are intact.
		if got, err := s.GetAgent(ctx, a.ID, ag.ID); err != nil || got.Name != "Alice" {
			t.Fatalf("a's agent: %+v %v", got, err)
		}
		if got, err := s.GetQueue(ctx, a.ID, q.ID); err != nil || len(got.Members) != 1 {
			t.Fatalf("a's queue: %+v %v", got, err)
		}
	})
}

func TestACDJournal(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("x", 3600))
		ans, end := t0.Add(5*time.Second), t0.Add(65*time.Second)
		calls := make([]AgentCall, 1200) // more than one INSERT batch
		for i := range calls {
			calls[i] = AgentCall{AccountID: a.ID, AgentID: int64(1 + i%3), QueueID: 9, CallID: fmt.Sprint("c", i), AttemptID: "att",
				Customer: "+15550000", OfferedAt: t0.Add(time.Duration(i) * time.Second), Outcome: "missed"}
		}
		calls[0].AnsweredAt, calls[0].EndedAt, calls[0].WrapUpEnd = &ans, &end, &end
		calls[0].Outcome, calls[0].Disposition, calls[0].Recording = "answered", "SALE", "record_agent_1"
		calls = append(calls, AgentCall{AccountID: b.ID, AgentID: 7, OfferedAt: t0})
		if err := s.InsertAgentCalls(ctx, calls); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListAgentCalls(ctx, JournalFilter{AccountID: a.ID, AgentID: 1, Limit: 2})
		if err != nil || len(got) != 2 {
			t.Fatalf("list: %d %v", len(got), err)
		}
		c := got[0]
		if !c.OfferedAt.Equal(t0.Truncate(time.Microsecond)) || c.AnsweredAt == nil || !c.AnsweredAt.Equal(ans.Truncate(time.Microsecond)) ||
			c.Disposition != "SALE" || c.Recording != "record_agent_1" || c.CallID != "c0" || c.QueueID != 9 || got[1].AnsweredAt != nil {
			t.Fatalf("row: %+v", c)
		}
		all, _ := s.ListAgentCalls(ctx, JournalFilter{AccountID: a.ID, From: t0.Add(10 * time.Second), To: t0.Add(20 * time.Second)})
		if len(all) != 10 {
			t.Fatalf("time range: %d rows", len(all))
		}
		if bs, err := s.ListAgentCalls(ctx, JournalFilter{AccountID: b.ID}); err != nil {
			t.Fatalf("s.ListAgentCalls(ctx, JournalFilter{AccountID: b.ID}): %v", err)
		} else if len(bs) != 1 || bs[0].AgentID != 7 {
			t.Fatalf("b: %+v", bs)
		}

		qc := []QueueCall{
			{AccountID: a.ID, QueueID: 9, FlowID: 3, CallID: "c0", Caller: "+1555", JoinedAt: t0, EndedAt: &end, Outcome: "QUEUE_ANSWER", AgentID: 1, Position: 1, Recording: "record_queue_x"},
			{AccountID: a.ID, QueueID: 8, JoinedAt: t0.Add(time.Second), Outcome: "QUEUE_TIMEOUT", Position: 2},
		}
		if err := s.InsertQueueCalls(ctx, qc); err != nil {
			t.Fatal(err)
		}
		gq, err := s.ListQueueCalls(ctx, JournalFilter{AccountID: a.ID, QueueID: 9})
		if err != nil || len(gq) != 1 || gq[0].Outcome != "QUEUE_ANSWER" || gq[0].Position != 1 || gq[0].FlowID != 3 || gq[0].EndedAt == nil {
			t.Fatalf("queue calls: %+v %v", gq, err)
		}
		ev := []AgentEvent{
			{AccountID: a.ID, AgentID: 1, At: t0, FromState: "logged_out", ToState: "available"},
			{AccountID: a.ID, AgentID: 1, At: t0.Add(time.Minute), FromState: "available", ToState: "paused", Reason: "lunch"},
		}
		if err := s.InsertAgentEvents(ctx, ev); err != nil {
			t.Fatal(err)
		}
		ge, err := s.ListAgentEvents(ctx, JournalFilter{AccountID: a.ID, AgentID: 1})
		if err != nil || len(ge) != 2 || ge[1].Reason != "lunch" || ge[1].ToState != "paused" {
			t.Fatalf("events: %+v %v", ge, err)
		}

		// Bad rows are refused before anything is written (all or nothing).
		if err := s.InsertAgentEvents(ctx, []AgentEvent{{AccountID: a.ID, AgentID: 1, At: t0, ToState: "available"}, {AccountID: a.ID, AgentID: 1}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad event: %v", err)
		}
		if err := s.InsertQueueCalls(ctx, []QueueCall{{AccountID: 999999, QueueID: 1, JoinedAt: t0}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}
		if err := s.InsertAgentCalls(ctx, []AgentCall{{AccountID: a.ID, AgentID: 1, OfferedAt: t0, Outcome: strings.Repeat("x", 33)}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("long outcome: %v", err)
		}
		if ge, err := s.ListAgentEvents(ctx, JournalFilter{AccountID: a.ID}); err != nil {
			t.Fatalf("s.ListAgentEvents(ctx, JournalFilter{AccountID: a.ID}): %v", err)
		} else if len(ge) != 2 {
			t.Fatalf("events after refused batch: %d", len(ge))
		}
	})
}

// TestACDColumns: the stored agent, queue, hook setup and agent-UI embed
// are the ACD's configuration types (plus the store's timestamps); their
// fields map one to one onto the columns the migrations made, on both
// drivers, so a renamed field cannot silently rename a column.
func TestACDColumns(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		for _, c := range []struct {
			model any
			table string
		}{
			{&Agent{}, "agents"},
			{&Queue{}, "queues"},
			{&ACDHook{}, "acd_hooks"},
			{&AgentUI{}, "agent_ui"},
		} {
			t.Run(c.table, func(t *testing.T) { checkColumns(t, s, c.model, c.table) })
		}
	})
}

// TestACDDurationsStoredInMillis: the configuration's durations are
// written to and read from the *_ms columns as whole milliseconds.
func TestACDDurationsStoredInMillis(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := mustAccount(t, s, "millis")
		ag := sipAgent(a.ID, "Ann", "7301")
		ag.WrapUp = 2500 * time.Millisecond
		ag, err := s.CreateAgent(ctx, ag)
		if err != nil {
			t.Fatal(err)
		}
		q := stdQueue(a.ID, "millis", ag.ID)
		q.RingTimeout, q.Timeout, q.AnnounceEvery = 15*time.Second, 90*time.Second, 45*time.Second
		q, err = s.CreateQueue(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var row struct{ WrapUpMS, RingTimeoutMS, TimeoutMS, AnnounceEveryMS int64 }
		if err := s.w.Raw(`SELECT a.wrap_up_ms AS wrap_up_ms, q.ring_timeout_ms AS ring_timeout_ms, q.timeout_ms AS timeout_ms,
			q.announce_every_ms AS announce_every_ms FROM agents a, queues q WHERE a.id = ? AND q.id = ?`, ag.ID, q.ID).Scan(&row).Error; err != nil {
			t.Fatal(err)
		}
		if want := (struct{ WrapUpMS, RingTimeoutMS, TimeoutMS, AnnounceEveryMS int64 }{2500, 15000, 90000, 45000}); row != want {
			t.Errorf("stored %+v, want %+v", row, want)
		}
		gotA, err := s.GetAgent(ctx, a.ID, ag.ID)
		if err != nil {
			t.Fatal(err)
		}
		gotQ, err := s.GetQueue(ctx, a.ID, q.ID)
		if err != nil {
			t.Fatal(err)
		}
		if gotA.WrapUp != 2500*time.Millisecond || gotQ.RingTimeout != 15*time.Second || gotQ.Timeout != 90*time.Second || gotQ.AnnounceEvery != 45*time.Second {
			t.Errorf("read back wrap-up %v, ring %v, timeout %v, announce %v", gotA.WrapUp, gotQ.RingTimeout, gotQ.Timeout, gotQ.AnnounceEvery)
		}
	})
}
