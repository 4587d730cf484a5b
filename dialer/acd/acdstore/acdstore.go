// Package acdstore adapts the store to the ACD: agents, queues, CRM/popup
// hooks and the agent-UI embed in domain terms (acd.Config, Hooks,
// AgentUI), and acd.Journal as a buffered background writer.
package acdstore

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/store"
)

func ms(d time.Duration) int64   { return d.Milliseconds() }
func dur(ms int64) time.Duration { return time.Duration(ms) * time.Millisecond }

// AgentToStore converts a domain agent to its stored form.
func AgentToStore(a acd.Agent) store.Agent {
	return store.Agent{
		ID: a.ID, AccountID: a.AccountID, Name: a.Name, LoginType: string(a.LoginType), Extension: a.Extension,
		SIPPassword: a.SIPPassword, Number: a.Number, CLI: a.CLI, WrapUpMS: ms(a.WrapUp), Record: a.Record,
		Persistent: a.Persistent, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
}

// AgentFromStore converts a stored agent (with its SIP password) to the
// domain type.
func AgentFromStore(s store.Agent) acd.Agent {
	return acd.Agent{
		ID: s.ID, AccountID: s.AccountID, Name: s.Name, LoginType: acd.LoginType(s.LoginType), Extension: s.Extension,
		SIPPassword: s.SIPPassword, Number: s.Number, CLI: s.CLI, WrapUp: dur(s.WrapUpMS), Record: s.Record,
		Persistent: s.Persistent, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// QueueToStore converts a domain queue to its stored form.
func QueueToStore(q acd.Queue) store.Queue {
	return store.Queue{
		ID: q.ID, AccountID: q.AccountID, Name: q.Name, Strategy: string(q.Strategy), Members: append([]int64{}, q.Members...),
		RingTimeoutMS: ms(q.RingTimeout), TimeoutMS: ms(q.Timeout), MaxLen: q.MaxLen, JoinWhenEmpty: q.JoinWhenEmpty,
		MOHClass: q.MOHClass, Announce: q.Announce, AnnounceEveryMS: ms(q.AnnounceEvery), AnnouncePosition: q.AnnouncePosition,
		Record: q.Record, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

// QueueFromStore converts a stored queue to the domain type.
func QueueFromStore(s store.Queue) acd.Queue {
	return acd.Queue{
		ID: s.ID, AccountID: s.AccountID, Name: s.Name, Strategy: acd.Strategy(s.Strategy), Members: append([]int64{}, s.Members...),
		RingTimeout: dur(s.RingTimeoutMS), Timeout: dur(s.TimeoutMS), MaxLen: s.MaxLen, JoinWhenEmpty: s.JoinWhenEmpty,
		MOHClass: s.MOHClass, Announce: s.Announce, AnnounceEvery: dur(s.AnnounceEveryMS), AnnouncePosition: s.AnnouncePosition,
		Record: s.Record, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// HookToStore converts a domain hook setup to its stored form.
func HookToStore(h acd.Hook) store.ACDHook {
	ev := make([]string, len(h.Events))
	for i, e := range h.Events {
		ev[i] = string(e)
	}
	return store.ACDHook{ID: h.ID, AccountID: h.AccountID, Kind: string(h.Kind), Webhook: h.Webhook, Events: ev,
		AllFlows: h.AllFlows, FlowIDs: append([]int64{}, h.FlowIDs...)}
}

// HookFromStore converts a stored hook setup to the domain type.
func HookFromStore(s store.ACDHook) acd.Hook {
	ev := make([]acd.EventKind, len(s.Events))
	for i, e := range s.Events {
		ev[i] = acd.EventKind(e)
	}
	return acd.Hook{ID: s.ID, AccountID: s.AccountID, Kind: acd.HookKind(s.Kind), Webhook: s.Webhook, Events: ev,
		AllFlows: s.AllFlows, FlowIDs: append([]int64{}, s.FlowIDs...)}
}

// UIToStore converts the agent-UI settings to their stored form.
func UIToStore(u acd.AgentUI) store.AgentUI {
	return store.AgentUI{AccountID: u.AccountID, Enabled: u.Enabled, URL: u.URL, Width: u.Width, Height: u.Height}
}

// UIFromStore converts stored agent-UI settings to the domain type.
func UIFromStore(s store.AgentUI) acd.AgentUI {
	return acd.AgentUI{AccountID: s.AccountID, Enabled: s.Enabled, URL: s.URL, Width: s.Width, Height: s.Height}
}

// Reader is the part of the store the configuration side reads
// (*store.Store implements it).
type Reader interface {
	ListAllAgents(ctx context.Context) ([]store.Agent, error)
	ListAllQueues(ctx context.Context) ([]store.Queue, error)
	ListHooks(ctx context.Context, accountID int64, kind string) ([]store.ACDHook, error)
	GetAgentUI(ctx context.Context, accountID int64) (store.AgentUI, error)
}

// Config implements acd.Config (every account's agents and queues, loaded
// at start) and gives the notifier the accounts' hook setups.
type Config struct {
	Store Reader
}

var _ acd.Config = Config{}

// Agents returns every account's agents, with their SIP passwords (the
// provisioner needs them).
func (c Config) Agents(ctx context.Context) ([]acd.Agent, error) {
	as, err := c.Store.ListAllAgents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acd.Agent, len(as))
	for i, a := range as {
		out[i] = AgentFromStore(a)
	}
	return out, nil
}

// Queues returns every account's queues with their members.
func (c Config) Queues(ctx context.Context) ([]acd.Queue, error) {
	qs, err := c.Store.ListAllQueues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acd.Queue, len(qs))
	for i, q := range qs {
		out[i] = QueueFromStore(q)
	}
	return out, nil
}

// Hooks returns the account's CRM and popup setups.
func (c Config) Hooks(ctx context.Context, accountID int64) ([]acd.Hook, error) {
	hs, err := c.Store.ListHooks(ctx, accountID, "")
	if err != nil {
		return nil, err
	}
	out := make([]acd.Hook, len(hs))
	for i, h := range hs {
		out[i] = HookFromStore(h)
	}
	return out, nil
}

// AgentUI returns the account's agent-UI embed settings.
func (c Config) AgentUI(ctx context.Context, accountID int64) (acd.AgentUI, error) {
	u, err := c.Store.GetAgentUI(ctx, accountID)
	if err != nil {
		return acd.AgentUI{}, err
	}
	return UIFromStore(u), nil
}
