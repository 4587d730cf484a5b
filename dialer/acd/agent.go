package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchyard/switchyard/ari"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// agent is an agent's configuration and live state; guarded by ACD.mu.
type agent struct {
	cfg     acdconfig.Agent
	state   State
	since   time.Time
	reason  string
	removed bool

	cur           *offer // the call offered / on / in wrap-up
	pendingLogout bool
	pendingPause  string // reason; "" = none

	offered, answered, abandoned, missed int
	handleSum, callSum                   time.Duration
	handleN, callN                       int
	lastEnd, idleSince                   time.Time
	day                                  string
	dayAnswered                          int

	wrapSeq   int
	wrapTimer *time.Timer
	sess      *session

	// monitoring: the monitor this agent's line is the supervisor's
	// phone of ("" none): busy, no queue call is offered to it.
	monitoring *monitor
}

// offer is one call offered to an agent.
type offer struct {
	ag       *agent
	bridgeID string // persistent agent's bridge
	cli      string // caller ID shown to the agent
	queueRec string // queue recording name
	widgetID string
	rec      AgentCall
	q        *queue
	w        *waiter
	req      reqInfo
	talk     time.Duration
	ended    bool
	disposed bool
	// reserved: an agent-first campaign's reservation (Reserve), not a
	// queue call: no waiter, no queue statistics, no AgentCall record.
	reserved bool
	// conv is closed when the agent's side ended (persistent session
	// gone, or the agent transferred the caller) so the customer's
	// goroutine stops waiting; convClosed tells (under ACD.mu).
	conv       chan struct{}
	convClosed bool
	// legID is the agent's channel once bridged with the caller
	// (per-call agents).
	legID string

	// convBridge / agentChan: the bridge the agent talks to the customer
	// in and the agent's channel, once connected (supervisor monitors).
	convBridge, agentChan string
	inSL                  bool // answered within ServiceLevelTarget
}

type reqInfo struct {
	flowID    int64
	cli, dnis string
	outbound  bool
	created   time.Time
	queue     string
	widgetID  string
	// customerID is the id a caller-ID widget found; the call reaches the
	// agent with it.
	customerID string
	// flowKeys are the call's $flow.key.* when it joined the queue.
	flowKeys map[string]string
}

// customer is the customer's number: the caller of an inbound call, the
// number dialled for an outbound (dialer) call — whose CLI is the
// campaign's caller id, not the customer.
func (r reqInfo) customer() string {
	if r.outbound && r.dnis != "" {
		return r.dnis
	}
	return r.cli
}

func (a *ACD) agentLocked(accountID, agentID int64) (*agent, error) {
	ag := a.agents[key{accountID, agentID}]
	if ag == nil || ag.removed {
		return nil, ErrNotFound.New("", "agent %d not found", agentID)
	}
	return ag, nil
}

// setStateLocked changes the agent's state, journals the change and
// publishes it.
func (a *ACD) setStateLocked(ag *agent, to State, reason string) {
	now := a.o.Now()
	from := ag.state
	if from == to && ag.reason == reason {
		return
	}
	ag.state, ag.since, ag.reason = to, now, reason
	if to != StatePaused {
		ag.reason = ""
	}
	ev := AgentEvent{AccountID: ag.cfg.AccountID, AgentID: ag.cfg.ID, At: now, From: from, To: to, Reason: reason}
	a.journal(func(j Journal) { j.AgentEvent(ev) })
	a.publishAgentLocked(ag)
	if ag.removed && to == StateLoggedOut {
		delete(a.agents, key{ag.cfg.AccountID, ag.cfg.ID})
	}
}

// idleLocked moves an agent who finished a call (or an offer) to its
// next state: logged out, paused or available.
func (a *ACD) idleLocked(ag *agent) {
	switch {
	case ag.pendingLogout:
		ag.pendingLogout, ag.pendingPause = false, ""
		if ag.sess != nil {
			ag.sess.stop()
		}
		a.setStateLocked(ag, StateLoggedOut, "")
	case ag.pendingPause != "":
		r := ag.pendingPause
		ag.pendingPause = ""
		a.setStateLocked(ag, StatePaused, r)
	default:
		a.setStateLocked(ag, StateAvailable, "")
		a.kickAgentLocked(ag)
	}
}

// Login logs an agent in. A persistent agent's line is called first;
// Login returns once it answered and waits in its bridge (ErrUnreachable
// when it does not answer).
func (a *ACD) Login(ctx context.Context, accountID, agentID int64) error {
	a.mu.Lock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		a.mu.Unlock()
		return err
	}
	if ag.state != StateLoggedOut || ag.sess != nil {
		a.mu.Unlock()
		return ErrState.New("", "agent %d is already logged in (%s)", agentID, ag.state)
	}
	if a.closed || a.draining {
		a.mu.Unlock()
		return ErrState.New("", "the ACD is shutting down")
	}
	if !ag.cfg.Persistent {
		ag.idleSince = a.o.Now()
		a.setStateLocked(ag, StateAvailable, "")
		a.kickAgentLocked(ag)
		a.mu.Unlock()
		return nil
	}
	if a.o.Manager == nil {
		a.mu.Unlock()
		return ErrState.New("", "persistent agents need the ARI manager")
	}
	s := newSession()
	ag.sess = s
	cfg := ag.cfg
	a.mu.Unlock()
	return a.startSession(ctx, ag, cfg, s)
}

// Logout logs an agent out: at once when idle, paused or in wrap-up (the
// wrap-up ends), or when the current call ends.
func (a *ACD) Logout(ctx context.Context, accountID, agentID int64) error {
	a.mu.Lock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		a.mu.Unlock()
		return err
	}
	switch ag.state {
	case StateLoggedOut:
		a.mu.Unlock()
		return ErrState.New("", "agent %d is logged out", agentID)
	case StateRinging, StateOnCall:
		ag.pendingLogout = true
		a.mu.Unlock()
		return nil
	case StateWrapUp:
		ag.pendingLogout = true
		a.finishWrapLocked(ag, "")
	default:
		ag.pendingPause = ""
		if ag.sess != nil {
			ag.sess.stop()
		}
		a.setStateLocked(ag, StateLoggedOut, "")
	}
	s := ag.sess
	a.mu.Unlock()
	if s != nil {
		select {
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Pause pauses an agent with a reason code: at once when available or
// paused (the reason changes), after the current call and wrap-up
// otherwise. A paused agent gets no calls.
func (a *ACD) Pause(ctx context.Context, accountID, agentID int64, reason string) error {
	if err := ValidReason(reason); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		return err
	}
	switch ag.state {
	case StateLoggedOut:
		return ErrState.New("", "agent %d is logged out", agentID)
	case StateAvailable, StatePaused:
		a.setStateLocked(ag, StatePaused, reason)
	default:
		ag.pendingPause = reason
	}
	return nil
}

// Unpause makes a paused agent available (or cancels a pending pause).
func (a *ACD) Unpause(ctx context.Context, accountID, agentID int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		return err
	}
	switch {
	case ag.state == StatePaused:
		a.setStateLocked(ag, StateAvailable, "")
		a.kickAgentLocked(ag)
	case ag.pendingPause != "":
		ag.pendingPause = ""
	default:
		return ErrState.New("", "agent %d is not paused (%s)", agentID, ag.state)
	}
	return nil
}

// Disposition records a disposition code on the agent's last call and
// ends the wrap-up. During the call it is recorded and the wrap-up is
// skipped.
func (a *ACD) Disposition(ctx context.Context, accountID, agentID int64, code string) error {
	if err := ValidReason(code); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		return err
	}
	switch {
	case ag.state == StateWrapUp && ag.cur != nil:
		a.finishWrapLocked(ag, code)
	case ag.state == StateOnCall && ag.cur != nil:
		ag.cur.rec.Disposition = code
		ag.cur.disposed = true
	default:
		return ErrState.New("", "agent %d has no call to dispose (%s)", agentID, ag.state)
	}
	return nil
}

// transfer is where an agent sends the caller of its call in progress:
// another queue of the account, or one agent (ringing that agent through
// the caller's current queue; the call is recorded against that agent).
type transfer struct {
	queue   string // the queue to join ("": the current one)
	agentID int64  // the only agent to offer the call to (0: the queue's members)
}

// Transfer sends the caller of the agent's call in progress to another
// queue of the account: the agent's side ends (the agent goes to
// wrap-up, as after any call) and the caller joins the queue, keeping the
// flow's queue widget. Per-call agents' lines are hung up; a persistent
// agent's line stays up (music on hold again) and only the caller leaves
// its bridge.
func (a *ACD) Transfer(ctx context.Context, accountID, agentID int64, queueName string) error {
	return a.transfer(ctx, accountID, agentID, transfer{queue: queueName})
}

// TransferToAgent sends the caller of the agent's call in progress to
// another agent of the account, who must be logged in and available: the
// caller waits in the current queue (music) offered only to that agent;
// if the target misses the ring, the caller is offered to the queue's
// members as usual.
func (a *ACD) TransferToAgent(ctx context.Context, accountID, agentID, targetID int64) error {
	return a.transfer(ctx, accountID, agentID, transfer{agentID: targetID})
}

func (a *ACD) transfer(ctx context.Context, accountID, agentID int64, t transfer) error {
	a.mu.Lock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		a.mu.Unlock()
		return err
	}
	o := ag.cur
	if ag.state != StateOnCall || o == nil || o.w == nil || o.reserved || o.w.transferTo != nil ||
		(ag.sess == nil && o.legID == "") || (ag.sess != nil && (ag.sess.conv != o || o.convClosed)) {
		a.mu.Unlock()
		return ErrState.New("", "agent %d has no queue call to transfer (%s)", agentID, ag.state)
	}
	if t.queue != "" && a.queueByName[nameKey{accountID, t.queue}] == nil {
		a.mu.Unlock()
		return ErrNotFound.New("queue", "queue %q not found", t.queue)
	}
	if t.agentID != 0 {
		if t.agentID == agentID {
			a.mu.Unlock()
			return ErrState.New("agent_id", "a call cannot be transferred to the agent who has it")
		}
		target, err := a.agentLocked(accountID, t.agentID)
		if err != nil {
			a.mu.Unlock()
			return err
		}
		if !a.freeLocked(target) {
			a.mu.Unlock()
			return ErrState.New("agent_id", "agent %d (%s) is not available (%s)", t.agentID, target.cfg.Name, target.state)
		}
	}
	o.w.transferTo = &t
	if ag.sess != nil {
		// A persistent agent's line stays: the caller's goroutine takes
		// the caller out of the agent's bridge.
		o.closeConvLocked()
		a.mu.Unlock()
		return nil
	}
	leg := o.legID
	a.mu.Unlock()
	if a.o.Manager == nil {
		return ErrState.New("", "transfers need the ARI manager")
	}
	if err := a.o.Manager.Client().Hangup(ctx, leg, "normal"); err != nil && !errors.Is(err, ari.ErrNotFound) {
		return fmt.Errorf("transfer: hang up the agent's line: %w", err)
	}
	return nil
}

// closeConvLocked ends the conversation for the customer's goroutine
// (once).
func (o *offer) closeConvLocked() {
	if !o.convClosed {
		o.convClosed = true
		close(o.conv)
	}
}

// reserveLocked offers w's call to ag: ringing (per-call agents) or on
// call at once (persistent agents, whose line is up).
func (a *ACD) reserveLocked(ag *agent, w *waiter) *offer {
	now := a.o.Now()
	o := &offer{q: w.q, w: w, req: w.req, widgetID: w.req.widgetID, conv: make(chan struct{})}
	o.rec = AgentCall{
		AccountID: ag.cfg.AccountID, AgentID: ag.cfg.ID, QueueID: w.q.cfg.ID, CallID: w.callID,
		AttemptID: w.attemptID, Customer: w.req.customer(), OfferedAt: now,
	}
	ag.cur = o
	ag.offered++
	a.notify(a.eventLocked(acdconfig.EventAgentAllocated, ag, o, true))
	if ag.sess != nil {
		ag.sess.conv = o
		a.answeredLocked(ag, o)
	} else {
		a.setStateLocked(ag, StateRinging, "")
		a.notify(a.eventLocked(acdconfig.EventPopupDial, ag, o, true))
	}
	return o
}

func (a *ACD) answeredLocked(ag *agent, o *offer) {
	now := a.o.Now()
	o.rec.AnsweredAt = now
	ag.answered++
	today := now.Format(time.DateOnly)
	if ag.day != today {
		ag.day, ag.dayAnswered = today, 0
	}
	ag.dayAnswered++
	o.q.answered++
	if o.w != nil && now.Sub(o.w.joined) <= ServiceLevelTarget {
		o.q.answeredInSL++
		o.inSL = true
	}
	a.setStateLocked(ag, StateOnCall, "")
}

// releaseLocked ends an offer that was not answered (outcome missed,
// abandoned, or "" for a ring-all loser) or that failed to connect.
func (a *ACD) releaseLocked(ag *agent, o *offer, outcome string) {
	if ag.cur != o || o.ended {
		return
	}
	o.ended = true
	now := a.o.Now()
	switch outcome {
	case "missed":
		ag.missed++
		if ag.cfg.AutoPauseMissed && !ag.pendingLogout && ag.pendingPause == "" {
			// The supervisor sees why: the pause reason.
			ag.pendingPause = acdconfig.MissedRingReason
		}
	case "abandoned":
		ag.abandoned++
	}
	o.rec.EndedAt, o.rec.Outcome = now, outcome
	if outcome != "" {
		rec := o.rec
		a.journal(func(j Journal) { j.AgentCall(rec) })
	}
	ag.cur = nil
	if ag.sess != nil && ag.sess.conv == o {
		ag.sess.conv = nil
	}
	a.notify(a.eventLocked(acdconfig.EventPopupTerminal, ag, o, false))
	if ag.state == StateLoggedOut {
		return // persistent session ended meanwhile
	}
	a.idleLocked(ag)
}

// endCallLocked ends an answered call: wrap-up (or the next state at
// once without one). agentGone: the agent's line hung up.
func (a *ACD) endCallLocked(ag *agent, o *offer, agentGone bool) {
	if ag.cur != o || o.ended {
		return
	}
	o.ended = true
	now := a.o.Now()
	o.rec.EndedAt = now
	o.rec.Outcome = "answered"
	o.talk = now.Sub(o.rec.AnsweredAt)
	ag.lastEnd = now
	a.notify(a.eventLocked(acdconfig.EventPopupTerminal, ag, o, false))
	if ag.sess != nil && ag.sess.conv == o {
		ag.sess.conv = nil
		if !agentGone {
			ag.sess.moh = true
			ag.sess.signal()
		}
	}
	if agentGone || ag.state == StateLoggedOut || ag.pendingLogout || ag.cfg.WrapUp == 0 || o.disposed {
		a.finishWrapLocked(ag, o.rec.Disposition)
		return
	}
	a.startWrapLocked(ag)
}

// startWrapLocked puts the agent into wrap-up for its WrapUp time
// (finishWrapLocked ends it early).
func (a *ACD) startWrapLocked(ag *agent) {
	a.setStateLocked(ag, StateWrapUp, "")
	ag.wrapSeq++
	seq, k := ag.wrapSeq, key{ag.cfg.AccountID, ag.cfg.ID}
	ag.wrapTimer = time.AfterFunc(ag.cfg.WrapUp, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if cur := a.agents[k]; cur == ag && ag.wrapSeq == seq && ag.state == StateWrapUp {
			a.finishWrapLocked(ag, "")
		}
	})
}

// finishWrapLocked ends the wrap-up of the agent's last call: stats,
// journal, next state.
func (a *ACD) finishWrapLocked(ag *agent, disposition string) {
	o := ag.cur
	if o == nil {
		return
	}
	ag.wrapSeq++
	if ag.wrapTimer != nil {
		ag.wrapTimer.Stop()
		ag.wrapTimer = nil
	}
	now := a.o.Now()
	if disposition != "" {
		o.rec.Disposition = disposition
	}
	o.rec.WrapUpEnd = now
	if !o.reserved {
		handle := o.talk + now.Sub(o.rec.EndedAt)
		ag.handleSum += handle
		ag.handleN++
		ag.callSum += o.talk
		ag.callN++
		o.q.addHandle(handle)
		rec := o.rec
		a.journal(func(j Journal) { j.AgentCall(rec) })
	}
	ag.cur = nil
	ag.idleSince = now
	if ag.state == StateLoggedOut {
		a.publishAgentLocked(ag)
		return
	}
	a.idleLocked(ag)
}

// eventLocked builds a CRM / popup event.
func (a *ACD) eventLocked(kind acdconfig.EventKind, ag *agent, o *offer, busy bool) Event {
	dir := "incoming"
	if o.req.outbound {
		dir = "outbound-dial"
	}
	num := ag.cfg.Number
	if ag.cfg.LoginType.SIP() {
		num = ag.cfg.Extension
	}
	return Event{
		Kind: kind, AccountID: ag.cfg.AccountID, FlowID: o.req.flowID, CallID: o.rec.CallID, AttemptID: o.rec.AttemptID,
		AgentID: ag.cfg.ID, AgentNumber: num, Customer: o.req.customer(), CustomerID: o.req.customerID, CallFrom: o.req.cli, CallTo: o.req.dnis,
		Direction: dir, Queue: o.req.queue, Created: o.req.created, At: a.o.Now(), Busy: busy,
	}
}

// freeLocked reports whether the agent can take a call now.
func (a *ACD) freeLocked(ag *agent) bool {
	if ag.state != StateAvailable || ag.pendingLogout || ag.removed || ag.cur != nil || ag.monitoring != nil {
		return false
	}
	if ag.cfg.Persistent {
		return ag.sess != nil && ag.sess.ready && !ag.sess.hangup
	}
	if ag.cfg.LoginType.SIP() {
		if online, known := a.endpoints[ag.cfg.Extension]; known && !online {
			return false
		}
	}
	return true
}

// kickAgentLocked wakes the next caller of every queue the agent serves
// and, when the agent is free, tells Options.OnAgentFree (every path that
// makes an agent free ends here).
func (a *ACD) kickAgentLocked(ag *agent) {
	var names []string
	for _, q := range a.queues {
		if q.cfg.AccountID != ag.cfg.AccountID {
			continue
		}
		if q.has(ag.cfg.ID) {
			names = append(names, q.cfg.Name)
			a.kickQueueLocked(q)
		} else if q.targets(ag.cfg.ID) {
			a.kickQueueLocked(q) // a caller transferred to this agent
		}
	}
	slices.Sort(names)
	if fn := a.o.OnAgentFree; fn != nil && len(names) > 0 && a.freeLocked(ag) {
		acct := ag.cfg.AccountID
		a.after(func() { fn(acct, names) })
	}
}

func (a *ACD) registeredLocked(ag *agent) *bool {
	if !ag.cfg.LoginType.SIP() {
		return nil
	}
	online := a.endpoints[ag.cfg.Extension]
	return &online
}

// dialstring is what Asterisk dials to reach the agent.
func (a *ACD) dialstring(ag acdconfig.Agent) string { return ag.Dialstring(a.o.Trunk) }
