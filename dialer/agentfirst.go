package dialer

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ModeAgentFirst (seed 004, "progressive dialer using APIs") calls a free
// agent first; once the agent answers, the campaign's customers are
// dialed from the agent's call one after the other and bridged with the
// agent, without dropping the agent, until the agent hangs up or no record
// is left. (Fetching each next number from the account's webhook instead
// of the call list is the agent leg's flow: a connect loop in the flow
// engine.)
const ModeAgentFirst = "agent_first"

// Reservation is a free agent held for an agent-first session.
type Reservation struct {
	AgentID string
	// Endpoint is the agent's dialstring (PJSIP/agent1,
	// Local/+4930…@trunk…).
	Endpoint string
	// Number is the agent's number or extension (seed 004 popup "From").
	Number string
}

// AgentReserver hands out free agents of a queue (the ACD implements it):
// Reserve marks one agent busy for the campaign (ok false: none free),
// Release gives it back when the session is over.
type AgentReserver interface {
	Reserve(ctx context.Context, accountID int64, queue string) (r Reservation, ok bool, err error)
	Release(ctx context.Context, accountID int64, r Reservation)
}

// Session is an answered agent leg of an agent-first campaign.
type Session interface {
	// Place dials a customer from the agent's call and bridges them; it
	// returns when the customer's call has ended (the agent stays).
	Placer
	// Done is closed when the agent's call has ended.
	Done() <-chan struct{}
	// Close hangs up the agent.
	Close()
}

// SessionPlacer calls an agent and returns the session once the agent
// answered (an error when the agent did not).
type SessionPlacer interface {
	Open(ctx context.Context, c *Campaign, agent Reservation) (Session, error)
}

// Popup event kinds (seed 004 "Event Type").
const (
	PopupDial     = "Dial"
	PopupAnswered = "Answered"
	PopupTerminal = "Terminal"
)

// PopupEvent is seed 004's agent popup: the agent's number (From), the
// customer (DialWhomNumber) and the agent's busy/free status.
type PopupEvent struct {
	Kind       string
	AccountID  int64
	CampaignID int64
	Agent      Reservation
	Customer   string
	RecordID   int64
	Busy       bool
	At         time.Time
}

// ErrNoSessions: an agent-first campaign without a session placer or
// agent reserver.
var ErrNoSessions = errors.New("dialer: agent-first campaign needs an agent reserver and a session placer")

// stepAgentFirst opens sessions for free agents, up to SimultaneousCalls.
func (r *Runner) stepAgentFirst(ctx context.Context) error {
	if r.Reserver == nil || r.Sessions == nil {
		return ErrNoSessions
	}
	c := &r.Campaign
	r.mu.Lock()
	open := r.sessions
	r.mu.Unlock()
	opened := 0
	for ; open+opened < c.SimultaneousCalls; opened++ {
		// Only while records are due: an agent is not called for nothing.
		if n, err := r.Records.Remaining(ctx); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("dialer: remaining: %w", err)
			}
			break
		}
		agent, ok, err := r.Reserver.Reserve(ctx, c.AccountID, c.Queue)
		if err != nil {
			return fmt.Errorf("dialer: reserve an agent of %q: %w", c.Queue, err)
		}
		if !ok {
			break
		}
		r.mu.Lock()
		r.sessions++
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.session(ctx, agent)
			r.mu.Lock()
			r.sessions--
			r.mu.Unlock()
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}()
	}
	r.mu.Lock()
	r.stats.DialLevel = open + opened
	active := len(r.active) + r.sessions
	r.mu.Unlock()
	if open+opened == 0 {
		return r.maybeFinish(ctx, active)
	}
	return nil
}

// session runs one agent's session: call the agent, then dial records
// from the agent's call until the agent hangs up, the campaign stops or no
// record is due.
func (r *Runner) session(ctx context.Context, agent Reservation) {
	c := &r.Campaign
	log := r.Logger.With("agent", agent.AgentID)
	defer r.Reserver.Release(context.WithoutCancel(ctx), c.AccountID, agent)
	s, err := r.Sessions.Open(ctx, c, agent)
	if err != nil {
		log.Info("agent did not take the session", "error", err)
		return
	}
	defer s.Close()
	popup := func(kind string, rec Record, number string, busy bool) {
		if r.Popup != nil {
			r.Popup(PopupEvent{Kind: kind, AccountID: c.AccountID, CampaignID: c.ID, Agent: agent, Customer: number,
				RecordID: rec.ID, Busy: busy, At: r.Clock.Now()})
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
			return
		default:
		}
		if st, err := r.status(ctx); err != nil || !Active(st) {
			return
		}
		recs, err := r.Records.Claim(ctx, r.Clock.Now(), 1)
		if err != nil {
			log.Warn("claim for the agent", "error", err)
			return
		}
		if len(recs) == 0 {
			return // no number: the session ends (seed 004)
		}
		rec := recs[0]
		r.mu.Lock()
		r.active[rec.ID] = &inflight{dialedAt: r.Clock.Now()}
		r.mu.Unlock()
		number := ""
		placer := PlacerFunc(func(ctx context.Context, pr PlaceRequest) (Result, error) {
			number = pr.Number
			popup(PopupDial, rec, pr.Number, true)
			inner := pr.OnAnswer
			pr.OnAnswer = func() {
				if inner != nil {
					inner()
				}
				popup(PopupAnswered, rec, pr.Number, true)
			}
			return s.Place(ctx, pr)
		})
		o := r.dialWith(ctx, rec, placer)
		o.RecordID = rec.ID
		if number != "" {
			popup(PopupTerminal, rec, number, false)
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if err := r.Records.Finish(fctx, o); err != nil {
			log.Error("record attempt outcome", "record", rec.ID, "status", o.Status, "error", err)
		}
		cancel()
		r.mu.Lock()
		delete(r.active, rec.ID)
		r.mu.Unlock()
	}
}

func (r *Runner) status(ctx context.Context) (string, error) {
	if r.Status == nil {
		return StatusRunning, nil
	}
	return r.Status(ctx)
}
