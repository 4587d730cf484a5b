package acd

import (
	"context"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/dialer"
)

// The ACD hands out agents to agent-first campaigns (the progressive
// dialer that calls the agent first): the dialer reserves a free member
// of the campaign's queue, calls the agent itself (dialer.SessionPlacer)
// and dials customers from the agent's call, then releases the agent.
var _ dialer.AgentReserver = (*ACD)(nil)

// Reserve picks a free member of the named queue by the queue's strategy
// and holds it for an agent-first campaign: the agent is on call (busy on
// the dashboard and in Staffing) and is offered no queue call until
// Release. ok is false when no member can be reserved now; the error is
// ErrNotFound for an unknown queue.
//
// Not reserved: persistent agents (their line is already up in the ACD's
// own bridge, so the campaign could not call them), agents not free (see
// freeLocked: logged out, paused, busy, unregistered SIP endpoint), and
// agents of a queue with a caller waiting who is not being offered to an
// agent yet (callers already waiting in the ACD's queues come first).
// Nothing is reserved while the ACD drains or is closed.
//
// Statistics: a reservation counts as neither offered nor answered and
// writes no AgentCall record — the ACD cannot tell whether the agent took
// the campaign's session or how many customers were connected (the dialer
// records those attempts). Agent state changes are journaled as usual.
func (a *ACD) Reserve(ctx context.Context, accountID int64, queueName string) (dialer.Reservation, bool, error) {
	if err := ctx.Err(); err != nil {
		return dialer.Reservation{}, false, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.queueByName[nameKey{accountID, queueName}]
	if q == nil {
		return dialer.Reservation{}, false, ErrNotFound.New("", "queue %q not found", queueName)
	}
	if a.closed || a.draining {
		return dialer.Reservation{}, false, nil
	}
	now := a.o.Now()
	today := now.Format(time.DateOnly)
	var cands []candidate
	byID := map[int64]*agent{}
	for i, id := range q.cfg.Members {
		ag := a.agents[key{accountID, id}]
		if ag == nil || ag.cfg.Persistent || !a.freeLocked(ag) || a.callerWaitsForLocked(ag) {
			continue
		}
		c := candidate{ID: id, Index: i, IdleSince: ag.idleSince}
		if ag.day == today {
			c.AnsweredToday = ag.dayAnswered
		}
		cands = append(cands, c)
		byID[id] = ag
	}
	last := -1
	if q.rrSet {
		last = q.rr
	}
	// Ring-all returns every free member in queue order: the first one
	// is reserved.
	picked := Pick(q.cfg.Strategy, cands, last, len(q.cfg.Members))
	if len(picked) == 0 {
		return dialer.Reservation{}, false, nil
	}
	c := picked[0]
	q.rr, q.rrSet = c.Index, true
	ag := byID[c.ID]
	ag.cur = &offer{
		ag: ag, q: q, reserved: true, conv: make(chan struct{}),
		req: reqInfo{queue: queueName, outbound: true, created: now},
		rec: AgentCall{AccountID: accountID, AgentID: ag.cfg.ID, QueueID: q.cfg.ID, OfferedAt: now},
	}
	a.setStateLocked(ag, StateOnCall, "")
	num := ag.cfg.Number
	if ag.cfg.LoginType.SIP() {
		num = ag.cfg.Extension
	}
	return dialer.Reservation{AgentID: strconv.FormatInt(ag.cfg.ID, 10), Endpoint: a.dialstring(ag.cfg), Number: num,
		Record: ag.cfg.Record}, true, nil
}

// callerWaitsForLocked reports whether a queue the agent serves has a
// caller waiting who is not being offered to an agent.
func (a *ACD) callerWaitsForLocked(ag *agent) bool {
	for _, q := range a.queues {
		if q.cfg.AccountID != ag.cfg.AccountID || !q.has(ag.cfg.ID) {
			continue
		}
		for _, w := range q.waiting {
			if !w.dialing {
				return true
			}
		}
	}
	return false
}

// Release ends a reservation as a call ends: the agent's wrap-up (its
// WrapUp time; a disposition given during the session skips it, one given
// during the wrap-up ends it), then available — or logged out / paused if
// that was asked during the session. Releasing an agent that holds no
// reservation (released already) does nothing.
func (a *ACD) Release(ctx context.Context, accountID int64, r dialer.Reservation) {
	id, err := strconv.ParseInt(r.AgentID, 10, 64)
	if err != nil {
		a.log.Warn("release of a reservation with a bad agent id", "agent", r.AgentID, "account", accountID)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	ag := a.agents[key{accountID, id}]
	if ag == nil || ag.cur == nil || !ag.cur.reserved || ag.cur.ended {
		a.log.Debug("release of an agent without a reservation", "agent", id, "account", accountID)
		return
	}
	o := ag.cur
	o.ended = true
	now := a.o.Now()
	o.rec.EndedAt = now
	ag.lastEnd = now
	if ag.state == StateLoggedOut || ag.pendingLogout || ag.cfg.WrapUp == 0 || o.disposed || a.closed {
		a.finishWrapLocked(ag, o.rec.Disposition)
		return
	}
	a.startWrapLocked(ag)
}
