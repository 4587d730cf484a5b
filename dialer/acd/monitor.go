package acd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
)

// MonitorMode is how a supervisor joins an agent's call.
type MonitorMode string

// Monitor modes.
const (
	// MonitorListen: the supervisor hears the agent and the customer;
	// nobody hears the supervisor (a snoop channel, spy=both).
	MonitorListen MonitorMode = "listen"
	// MonitorWhisper: the supervisor hears both and speaks to the agent
	// only (a snoop channel, spy=both, whisper=out: the supervisor's
	// audio goes out to the agent's phone, not into the bridge).
	MonitorWhisper MonitorMode = "whisper"
	// MonitorBarge: the supervisor joins the conversation's bridge: all
	// three hear each other (the agent's row shows "3-way").
	MonitorBarge MonitorMode = "barge"
)

// ValidMonitorMode reports whether m is a known mode.
func ValidMonitorMode(m MonitorMode) bool {
	return m == MonitorListen || m == MonitorWhisper || m == MonitorBarge
}

// ErrNotOnCall: the agent to monitor is not talking to a customer (409).
var ErrNotOnCall = ErrState

// MonitorRequest asks to join an agent's current call.
type MonitorRequest struct {
	AccountID int64
	AgentID   int64 // the agent whose call is joined
	Mode      MonitorMode
	// PhoneAgentID is the agent (of the same account) whose line is the
	// supervisor's phone: Switchyard calls it and, once answered,
	// connects it to the call.
	PhoneAgentID int64
	// By names the supervisor (for the audit and the agent's row).
	By string
	// OnStart, if set, is called with the monitor before the supervisor's
	// phone is dialed (its audit record); an error abandons the monitor
	// (OnEnd is not called) and StartMonitor returns it.
	OnStart func(Monitor) error
	// OnEnd, if set, is called once the monitor has ended (on its own
	// goroutine), with EndedAt set.
	OnEnd func(Monitor)
}

// Monitor is one supervisor's listen / whisper / barge on an agent's
// call.
type Monitor struct {
	ID           string      `json:"id"`
	AccountID    int64       `json:"account_id"`
	AgentID      int64       `json:"agent_id"`
	PhoneAgentID int64       `json:"phone_agent_id"`
	Mode         MonitorMode `json:"mode"`
	By           string      `json:"by"`
	CallID       string      `json:"call_id"`
	// Channel is the supervisor's phone channel (once dialed).
	Channel   string    `json:"channel,omitempty"`
	Connected bool      `json:"connected"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	// EndReason: "supervisor_hangup", "call_ended", "stopped", "no_answer", "failed".
	EndReason string `json:"end_reason,omitempty"`
}

// monitor is a Monitor in progress (guarded by ACD.mu).
type monitor struct {
	m    Monitor
	stop chan struct{}
	// changed is signalled when the agent's conversation may have
	// changed (joined its bridge, ended) and when the monitor is stopped.
	changed chan struct{}
	once    bool
	onE     func(Monitor)
}

// signal wakes the monitor's goroutine (at most one wake-up pending).
func (m *monitor) signal() {
	select {
	case m.changed <- struct{}{}:
	default:
	}
}

// signalMonitorsLocked wakes the monitors of the agent's calls: its
// conversation joined its bridge, ended or changed.
func (a *ACD) signalMonitorsLocked(ag *agent) {
	for _, m := range a.monitors {
		if m.m.AccountID == ag.cfg.AccountID && m.m.AgentID == ag.cfg.ID {
			m.signal()
		}
	}
}

// conversation reports the agent's current conversation: the customer's
// call, the agent's channel and the bridge they talk in.
func (o *offer) conversation() (callID, agentChan, bridgeID string, ok bool) {
	if o == nil || o.ended || o.convBridge == "" || o.agentChan == "" {
		return "", "", "", false
	}
	return o.rec.CallID, o.agentChan, o.convBridge, true
}

// StartMonitor calls the supervisor's phone and, once answered, connects
// it to the agent's current call in the requested mode. It returns as
// soon as the phone is being called; the monitor ends when the phone
// hangs up, the agent's call ends or StopMonitor is called.
func (a *ACD) StartMonitor(ctx context.Context, r MonitorRequest) (Monitor, error) {
	if !ValidMonitorMode(r.Mode) {
		return Monitor{}, ErrInvalid.New("mode", "mode %q: one of listen, whisper, barge", r.Mode)
	}
	if a.o.Manager == nil {
		return Monitor{}, errors.New("acd: no ARI manager")
	}
	a.mu.Lock()
	ag, err := a.agentLocked(r.AccountID, r.AgentID)
	if err != nil {
		a.mu.Unlock()
		return Monitor{}, err
	}
	ph, err := a.agentLocked(r.AccountID, r.PhoneAgentID)
	if err != nil {
		a.mu.Unlock()
		return Monitor{}, ErrNotFound.New("phone_agent_id", "phone agent %d not found", r.PhoneAgentID)
	}
	if ph == ag {
		a.mu.Unlock()
		return Monitor{}, ErrInvalid.New("phone_agent_id", "the supervisor's phone cannot be the monitored agent's")
	}
	// The supervisor's phone is an agent line: not while it has a call
	// (offered, on it, in wrap-up) or monitors another.
	if ph.cur != nil || ph.monitoring != nil {
		a.mu.Unlock()
		return Monitor{}, ErrState.New("phone_agent_id", "the supervisor's phone (agent %d) is busy", r.PhoneAgentID)
	}
	// On a call: answered (the bridge may still be joining: runMonitor
	// waits for it once the supervisor's phone answered).
	if ag.state != StateOnCall || ag.cur == nil || ag.cur.ended {
		a.mu.Unlock()
		return Monitor{}, ErrNotOnCall.New("", "agent %d is not on a call", r.AgentID)
	}
	callID := ag.cur.rec.CallID
	mon := &monitor{m: Monitor{ID: "sy-mon-" + uuid.NewString(), AccountID: r.AccountID, AgentID: r.AgentID,
		PhoneAgentID: r.PhoneAgentID, Mode: r.Mode, By: r.By, CallID: callID, StartedAt: a.o.Now()},
		stop: make(chan struct{}), changed: make(chan struct{}, 1), onE: r.OnEnd}
	if a.monitors == nil {
		a.monitors = map[string]*monitor{}
	}
	a.monitors[mon.m.ID] = mon
	// The phone is busy for the monitor's duration: no queue call (nor
	// agent-first reservation) is offered to it.
	ph.monitoring = mon
	a.publishAgentLocked(ag)
	a.publishAgentLocked(ph)
	phoneCfg := ph.cfg
	started := mon.m
	a.mu.Unlock()

	if r.OnStart != nil {
		if err := r.OnStart(started); err != nil {
			a.mu.Lock()
			mon.onE = nil // it never started
			a.mu.Unlock()
			a.endMonitor(mon, "failed")
			return Monitor{}, fmt.Errorf("acd: start monitor %s: %w", started.ID, err)
		}
	}

	c, err := a.o.Manager.Originate(ctx, ari.OriginateParams{
		Endpoint: a.dialstring(phoneCfg), CallerID: "Monitor", Timeout: 30 * time.Second,
		Args: []string{"acd-monitor", fmt.Sprint(r.AccountID), fmt.Sprint(r.AgentID)},
		Handler: func(ctx context.Context, c *ari.Call) error {
			return a.runMonitor(ctx, mon, c)
		},
		Failed: func(*ari.Call) { a.endMonitor(mon, "no_answer") },
	})
	if err != nil {
		a.endMonitor(mon, "failed")
		return Monitor{}, fmt.Errorf("acd: call the supervisor's phone %s: %w", a.dialstring(phoneCfg), err)
	}
	a.mu.Lock()
	mon.m.Channel = c.ID
	out := mon.m
	a.mu.Unlock()
	return out, nil
}

// StopMonitor ends a monitor of the account.
func (a *ACD) StopMonitor(accountID int64, id string) error {
	a.mu.Lock()
	mon := a.monitors[id]
	if mon == nil || mon.m.AccountID != accountID {
		a.mu.Unlock()
		return ErrNotFound.New("", "monitor %s not found", id)
	}
	select {
	case <-mon.stop:
	default:
		close(mon.stop)
	}
	mon.signal()
	a.mu.Unlock()
	return nil
}

// Monitors lists the account's monitors in progress.
func (a *ACD) Monitors(accountID int64) []Monitor {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := []Monitor{}
	for _, m := range a.monitors {
		if m.m.AccountID == accountID {
			out = append(out, m.m)
		}
	}
	return out
}

// monitoredLocked is how the agent's call is joined now ("" none; barge
// wins over whisper over listen).
func (a *ACD) monitoredLocked(ag *agent) MonitorMode {
	var best MonitorMode
	rank := func(m MonitorMode) int {
		switch m {
		case MonitorListen:
			return 1
		case MonitorWhisper:
			return 2
		case MonitorBarge:
			return 3
		}
		return 0
	}
	for _, m := range a.monitors {
		if m.m.AccountID == ag.cfg.AccountID && m.m.AgentID == ag.cfg.ID && rank(m.m.Mode) > rank(best) {
			best = m.m.Mode
		}
	}
	return best
}

func (a *ACD) endMonitor(mon *monitor, reason string) {
	a.mu.Lock()
	if mon.once {
		a.mu.Unlock()
		return
	}
	mon.once = true
	mon.m.EndedAt, mon.m.EndReason = a.o.Now(), reason
	delete(a.monitors, mon.m.ID)
	if ag := a.agents[key{mon.m.AccountID, mon.m.AgentID}]; ag != nil {
		a.publishAgentLocked(ag)
	}
	// The supervisor's phone takes queue calls again.
	if ph := a.agents[key{mon.m.AccountID, mon.m.PhoneAgentID}]; ph != nil && ph.monitoring == mon {
		ph.monitoring = nil
		a.publishAgentLocked(ph)
		a.kickAgentLocked(ph)
	}
	m, fn := mon.m, mon.onE
	a.mu.Unlock()
	a.log.Info("supervisor monitor ended", "monitor", m.ID, "agent", m.AgentID, "mode", m.Mode, "by", m.By, "reason", reason)
	if fn != nil {
		fn(m)
	}
}

// runMonitor is the supervisor phone's goroutine once it answered.
func (a *ACD) runMonitor(ctx context.Context, mon *monitor, c *ari.Call) (err error) {
	reason := "supervisor_hangup"
	defer func() {
		if err != nil && reason == "supervisor_hangup" && !c.HungUp() {
			reason = "failed"
		}
		_ = c.Hangup(context.WithoutCancel(ctx), "")
		a.endMonitor(mon, reason)
	}()
	var (
		ag                            *agent
		callID, agentChan, convBridge string
		ok                            bool
	)
	// The conversation's bridge (an agent just answered is joining it):
	// woken by the ACD when the agent's conversation changes.
	deadline := time.Now().Add(5 * time.Second)
	for {
		a.mu.Lock()
		ag = a.agents[key{mon.m.AccountID, mon.m.AgentID}]
		if ag != nil {
			callID, agentChan, convBridge, ok = ag.cur.conversation()
		}
		stillOn := ag != nil && ag.cur != nil && !ag.cur.ended && ag.cur.rec.CallID == mon.m.CallID
		a.mu.Unlock()
		if ok && callID == mon.m.CallID {
			break
		}
		if !stillOn {
			reason = "call_ended"
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			reason = "call_ended"
			return nil
		}
		if done, why, err := mon.wait(ctx, c, left); done {
			reason = cmp.Or(why, reason)
			return err
		}
	}
	client := c.Client()
	wctx := context.WithoutCancel(ctx)
	switch mon.m.Mode {
	case MonitorBarge:
		if err := client.AddToBridge(ctx, convBridge, "", c.ID); err != nil {
			return fmt.Errorf("barge: add the supervisor to bridge %s: %w", convBridge, err)
		}
		defer func() { _ = client.RemoveFromBridge(wctx, convBridge, c.ID) }()
	default:
		whisper := ""
		if mon.m.Mode == MonitorWhisper {
			whisper = "out"
		}
		snoopID := "sy-snoop-" + uuid.NewString()
		mb := ari.NewMailbox()
		router := a.o.Manager.Router()
		router.Register(ari.KindChannel, snoopID, mb)
		defer router.Unregister(ari.KindChannel, snoopID)
		if err := client.Snoop(ctx, agentChan, snoopID, "both", whisper, "snoop,"+agentChan); err != nil {
			return fmt.Errorf("snoop on agent channel %s: %w", agentChan, err)
		}
		defer func() { _ = client.Hangup(wctx, snoopID, "") }()
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		for {
			ev, err := mb.Next(sctx)
			if err != nil {
				cancel()
				return fmt.Errorf("snoop channel %s did not start: %w", snoopID, err)
			}
			if _, ok := ev.(*ariv6.StasisStart); ok {
				break
			}
		}
		cancel()
		b, err := c.CreateBridge(ctx, "mixing")
		if err != nil {
			return err
		}
		defer func() { _ = b.Destroy(wctx) }()
		if err := b.Add(ctx, c.ID, snoopID); err != nil {
			return err
		}
	}
	a.mu.Lock()
	mon.m.Connected = true
	if ag != nil {
		a.publishAgentLocked(ag)
	}
	a.mu.Unlock()
	a.log.Info("supervisor monitor connected", "monitor", mon.m.ID, "agent", mon.m.AgentID, "mode", mon.m.Mode, "by", mon.m.By)
	// Until the supervisor hangs up, is stopped, or the agent's call ends.
	for {
		if done, why, err := mon.wait(ctx, c, 0); done {
			reason = cmp.Or(why, reason)
			return err
		}
		a.mu.Lock()
		cur, _, _, ok := ag.cur.conversation()
		a.mu.Unlock()
		if !ok || cur != mon.m.CallID {
			reason = "call_ended"
			return nil
		}
	}
}

// wait handles the supervisor phone's events until the monitor is
// signalled (done false: look at the agent's call again), the phone hangs
// up, the monitor is stopped, timeout passes (0: none; the agent's call is
// taken as ended) or ctx ends. done reports that the monitor ends, with
// its reason ("" keeps the caller's) and error.
func (m *monitor) wait(ctx context.Context, c *ari.Call, timeout time.Duration) (done bool, reason string, err error) {
	err = c.WaitWake(ctx, m.changed, timeout)
	select {
	case <-m.stop:
		return true, "stopped", nil
	default:
	}
	switch {
	case err == nil:
		return false, "", nil
	case errors.Is(err, ari.ErrHangup):
		return true, "supervisor_hangup", nil
	case errors.Is(err, ari.ErrTimeout):
		return true, "call_ended", nil
	}
	return true, "", err
}
