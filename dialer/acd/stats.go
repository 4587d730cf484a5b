package acd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/dialer"
)

// statusLocked is the agent's live row.
func (a *ACD) statusLocked(ag *agent) AgentStatus {
	s := AgentStatus{
		AgentID: ag.cfg.ID, AccountID: ag.cfg.AccountID, Name: ag.cfg.Name, LoginType: ag.cfg.LoginType,
		State: ag.state, Since: ag.since, Reason: ag.reason, Registered: a.registeredLocked(ag),
		Offered: ag.offered, Answered: ag.answered, Abandoned: ag.abandoned, Missed: ag.missed,
		LastCallAt: ag.lastEnd, Monitored: a.monitoredLocked(ag),
	}
	if ag.monitoring != nil {
		s.Monitoring = ag.monitoring.m.AgentID
	}
	if ag.handleN > 0 {
		s.AvgHandle = (ag.handleSum / time.Duration(ag.handleN)).Seconds()
	}
	if ag.callN > 0 {
		s.AvgCall = (ag.callSum / time.Duration(ag.callN)).Seconds()
	}
	if o := ag.cur; o != nil {
		s.CallID, s.Queue, s.Customer, s.CustomerID = o.rec.CallID, o.req.queue, o.req.customer(), o.req.customerID
		s.FlowKeys = o.req.flowKeys
	}
	return s
}

func (a *ACD) queueStatusLocked(q *queue) QueueStatus {
	s := QueueStatus{
		QueueID: q.cfg.ID, AccountID: q.cfg.AccountID, Name: q.cfg.Name, Waiting: len(q.waiting),
		Joined: q.joined, Answered: q.answered, Abandoned: q.abandoned, TimedOut: q.timedOut,
		AnsweredInSL: q.answeredInSL,
	}
	if n := q.answered + q.abandoned + q.timedOut; n > 0 {
		sl := 100 * float64(q.answeredInSL) / float64(n)
		s.ServiceLevel = &sl
	}
	for _, id := range q.cfg.Members {
		ag := a.agents[key{q.cfg.AccountID, id}]
		if ag == nil || ag.state == StateLoggedOut {
			continue
		}
		s.LoggedIn++
		if a.freeLocked(ag) {
			s.Free++
		}
	}
	if len(q.waiting) > 0 {
		s.Oldest = a.o.Now().Sub(q.waiting[0].joined).Seconds()
	}
	return s
}

// Agents lists an account's agents, filtered by state ("" = all), sorted
// by name.
func (a *ACD) Agents(accountID int64, state State) []AgentStatus {
	a.mu.Lock()
	out := []AgentStatus{}
	for k, ag := range a.agents {
		if k.acct != accountID || ag.removed || (state != "" && ag.state != state) {
			continue
		}
		out = append(out, a.statusLocked(ag))
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y AgentStatus) int {
		if c := strings.Compare(x.Name, y.Name); c != 0 {
			return c
		}
		return int(x.AgentID - y.AgentID)
	})
	return out
}

// Agent returns one agent's live row.
func (a *ACD) Agent(accountID, agentID int64) (AgentStatus, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ag, err := a.agentLocked(accountID, agentID)
	if err != nil {
		return AgentStatus{}, err
	}
	return a.statusLocked(ag), nil
}

// Queues lists an account's queues with their live state, sorted by name.
func (a *ACD) Queues(accountID int64) []QueueStatus {
	a.mu.Lock()
	out := []QueueStatus{}
	for k, q := range a.queues {
		if k.acct == accountID {
			out = append(out, a.queueStatusLocked(q))
		}
	}
	a.mu.Unlock()
	slices.SortFunc(out, func(x, y QueueStatus) int { return strings.Compare(x.Name, y.Name) })
	return out
}

// Staffing reports the named queue's live staffing for the dialer's
// pacer. Busy counts members ringing, on a call or in wrap-up, and lines
// that are a supervisor's phone on a monitor; AvgHandle
// is the mean talk + wrap-up time of the queue's recent answered calls.
func (a *ACD) Staffing(accountID int64, queueName string) (dialer.Staffing, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.queueByName[nameKey{accountID, queueName}]
	if q == nil {
		return dialer.Staffing{}, ErrNotFound.New("", "queue %q not found", queueName)
	}
	s := dialer.Staffing{Waiting: len(q.waiting), AvgHandle: q.avgHandle()}
	for _, id := range q.cfg.Members {
		ag := a.agents[key{accountID, id}]
		if ag == nil || ag.state == StateLoggedOut {
			continue
		}
		s.LoggedIn++
		if a.freeLocked(ag) {
			s.Free++
		}
		switch {
		case ag.state == StateRinging, ag.state == StateOnCall, ag.state == StateWrapUp, ag.monitoring != nil:
			s.Busy++
		}
	}
	return s, nil
}

// subscriber receives updates, coalesced per agent / queue: a slow reader
// misses intermediate states, never the latest one.
type subscriber struct {
	account int64
	mu      sync.Mutex
	pending map[string]Update
	order   []string
	sig     chan struct{}
	done    chan struct{}
	once    sync.Once
	out     chan Update
}

func (s *subscriber) push(k string, u Update) {
	s.mu.Lock()
	if _, ok := s.pending[k]; !ok {
		s.order = append(s.order, k)
	}
	s.pending[k] = u
	s.mu.Unlock()
	select {
	case s.sig <- struct{}{}:
	default:
	}
}

func (s *subscriber) close() { s.once.Do(func() { close(s.done) }) }

func (s *subscriber) run() {
	defer close(s.out)
	for {
		select {
		case <-s.done:
			return
		case <-s.sig:
		}
		for {
			s.mu.Lock()
			if len(s.order) == 0 {
				s.mu.Unlock()
				break
			}
			k := s.order[0]
			s.order = s.order[1:]
			u := s.pending[k]
			delete(s.pending, k)
			s.mu.Unlock()
			select {
			case s.out <- u:
			case <-s.done:
				return
			}
		}
	}
}

// Subscribe streams the account's agent and queue updates (accountID 0:
// every account). It starts with the current state of every agent and
// queue. Updates are coalesced per agent and queue for a slow reader;
// the ACD never waits for one. cancel ends the subscription and closes
// the channel.
func (a *ACD) Subscribe(accountID int64) (<-chan Update, func()) {
	s := &subscriber{
		account: accountID, pending: map[string]Update{}, sig: make(chan struct{}, 1),
		done: make(chan struct{}), out: make(chan Update),
	}
	a.mu.Lock()
	for k, ag := range a.agents {
		if (accountID == 0 || k.acct == accountID) && !ag.removed {
			st := a.statusLocked(ag)
			s.push(agentKey(ag), Update{Kind: "agent", Agent: &st})
		}
	}
	for k, q := range a.queues {
		if accountID == 0 || k.acct == accountID {
			qs := a.queueStatusLocked(q)
			s.push(queueKey(q), Update{Kind: "queue", Queue: &qs})
		}
	}
	a.subMu.Lock()
	a.subs[s] = struct{}{}
	a.subMu.Unlock()
	a.mu.Unlock()
	go s.run()
	return s.out, func() {
		a.subMu.Lock()
		delete(a.subs, s)
		a.subMu.Unlock()
		s.close()
	}
}

func agentKey(ag *agent) string { return fmt.Sprintf("a%d/%d", ag.cfg.AccountID, ag.cfg.ID) }
func queueKey(q *queue) string  { return fmt.Sprintf("q%d/%d", q.cfg.AccountID, q.cfg.ID) }

func (a *ACD) publishAgentLocked(ag *agent) {
	// Every change of an agent is a moment its monitors look again.
	a.signalMonitorsLocked(ag)
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if len(a.subs) == 0 {
		return
	}
	st := a.statusLocked(ag)
	u := Update{Kind: "agent", Agent: &st}
	k := agentKey(ag)
	for s := range a.subs {
		if s.account == 0 || s.account == ag.cfg.AccountID {
			s.push(k, u)
		}
	}
	// Queue rows show logged-in / free members.
	for _, q := range a.queues {
		if q.cfg.AccountID == ag.cfg.AccountID && q.has(ag.cfg.ID) {
			a.publishQueueSubsLocked(q)
		}
	}
}

func (a *ACD) publishQueueLocked(q *queue) {
	a.subMu.Lock()
	defer a.subMu.Unlock()
	a.publishQueueSubsLocked(q)
}

// publishQueueSubsLocked needs a.mu and a.subMu.
func (a *ACD) publishQueueSubsLocked(q *queue) {
	if len(a.subs) == 0 {
		return
	}
	qs := a.queueStatusLocked(q)
	u := Update{Kind: "queue", Queue: &qs}
	k := queueKey(q)
	for s := range a.subs {
		if s.account == 0 || s.account == q.cfg.AccountID {
			s.push(k, u)
		}
	}
}

// Pacing is the ACD's live queue staffing as the dialer's pacer reads it
// (dialer.AgentState).
func (a *ACD) Pacing() dialer.AgentState {
	return dialer.AgentStateFunc(func(_ context.Context, accountID int64, queue string) (dialer.Staffing, error) {
		return a.Staffing(accountID, queue)
	})
}
