// Package acdstore adapts the store to the ACD: the configuration the
// engine loads at start (acd.Config; the store keeps acdconfig's agents,
// queues, CRM/popup hooks and agent-UI embed as they are), and acd.Journal
// as a buffered background writer.
package acdstore

import (
	"context"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/store"
)

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
func (c Config) Agents(ctx context.Context) ([]acdconfig.Agent, error) {
	as, err := c.Store.ListAllAgents(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acdconfig.Agent, len(as))
	for i, a := range as {
		out[i] = a.Agent
	}
	return out, nil
}

// Queues returns every account's queues with their members.
func (c Config) Queues(ctx context.Context) ([]acdconfig.Queue, error) {
	qs, err := c.Store.ListAllQueues(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]acdconfig.Queue, len(qs))
	for i, q := range qs {
		out[i] = q.Queue
	}
	return out, nil
}

// Hooks returns the account's CRM and popup setups.
func (c Config) Hooks(ctx context.Context, accountID int64) ([]acdconfig.Hook, error) {
	hs, err := c.Store.ListHooks(ctx, accountID, "")
	if err != nil {
		return nil, err
	}
	out := make([]acdconfig.Hook, len(hs))
	for i, h := range hs {
		out[i] = h.Hook
	}
	return out, nil
}

// AgentUI returns the account's agent-UI embed settings.
func (c Config) AgentUI(ctx context.Context, accountID int64) (acdconfig.AgentUI, error) {
	u, err := c.Store.GetAgentUI(ctx, accountID)
	if err != nil {
		return acdconfig.AgentUI{}, err
	}
	return u.AgentUI, nil
}
