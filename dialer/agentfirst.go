package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ModeAgentFirst (Exotel's "progressive dialer using APIs") calls a free
// agent first; once the agent answers, customers are dialed from the
// agent's call one after the other and bridged with the agent, without
// dropping the agent, until the agent hangs up or no customer is left.
// The customers come from the campaign's call list, or, with a
// LeadWebhook, from the account's webhook: before each customer the
// webhook is asked (GET, LeadParams) for the agent's next lead, and "no
// number" (or an error) ends the session. After each customer call the
// LogWebhook, if set, gets the call log (CallLogParams).
const ModeAgentFirst = "agent_first"

// LeadErrorBackoff is how long an agent-first campaign opens no new
// session after its lead webhook failed (an agent is not called again and
// again while the webhook is down).
const LeadErrorBackoff = 30 * time.Second

// maxLeadsSkipped ends a session after this many leads in a row that were
// not dialed (blocked numbers).
const maxLeadsSkipped = 10

// agentFirstState is the runner's agent-first bookkeeping (under Runner.mu).
type agentFirstState struct {
	// drained: the lead webhook had no lead for an agent; no new session
	// opens and the campaign finishes once the open ones have ended.
	drained bool
	// backoffUntil: no new session before (lead webhook error, calling
	// window closed).
	backoffUntil time.Time
}

// ErrNoLeads: a campaign with a lead or log webhook but no LeadSource.
var ErrNoLeads = errors.New("dialer: campaign has a lead or log webhook but no lead source is configured")

// Reservation is a free agent held for an agent-first session.
type Reservation struct {
	AgentID string
	// Endpoint is the agent's dialstring (PJSIP/agent1,
	// Local/+4930…@trunk…).
	Endpoint string
	// Number is the agent's number or extension (the agent popup's "From").
	Number string
	// Record: the agent's calls are recorded (the agent's record
	// setting): each customer conversation of the session gets an agent
	// recording.
	Record bool
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

// Popup event kinds (the agent popup's "Event Type").
const (
	PopupDial     = "Dial"
	PopupAnswered = "Answered"
	PopupTerminal = "Terminal"
)

// PopupEvent is the agent popup (the Connect applet's "Create Popup"
// webhook): the agent's number (From), the customer (DialWhomNumber) and
// the agent's busy/free status.
type PopupEvent struct {
	Kind       string
	AccountID  int64
	CampaignID int64
	Agent      Reservation
	Customer   string
	RecordID   int64
	Busy       bool
	At         time.Time
	// CallID identifies the customer call when it has no record (leads
	// from the lead webhook: "<agent call id>-<n>", n from 1 per
	// session); empty for call-list records (use RecordID).
	CallID string
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
	webhook := c.LeadsFromWebhook()
	if (webhook || c.LogWebhook != "") && r.Leads == nil {
		return ErrNoLeads
	}
	r.mu.Lock()
	open := r.sessions
	r.mu.Unlock()
	opened := 0
	for ; open+opened < c.SimultaneousCalls; opened++ {
		if webhook {
			// The webhook has leads (as far as we know) and works.
			r.mu.Lock()
			hold := r.af.drained || r.Clock.Now().Before(r.af.backoffUntil)
			r.mu.Unlock()
			if hold {
				break
			}
		} else if n, err := r.Records.Remaining(ctx); err != nil || n == 0 {
			// Only while records are due: an agent is not called for
			// nothing.
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
		if webhook {
			return r.maybeFinishLeads(ctx, active)
		}
		return r.maybeFinish(ctx, active)
	}
	return nil
}

// maybeFinishLeads finishes a lead-webhook campaign once the webhook had
// no lead and no session is open.
func (r *Runner) maybeFinishLeads(ctx context.Context, active int) error {
	r.mu.Lock()
	if active > 0 || r.Finished == nil || !r.af.drained || r.finished {
		r.mu.Unlock()
		return nil
	}
	r.finished = true
	r.mu.Unlock()
	return r.Finished(ctx)
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
	popupCall := func(callID, kind string, rec Record, number string, busy bool) {
		if r.Popup != nil {
			r.Popup(PopupEvent{Kind: kind, AccountID: c.AccountID, CampaignID: c.ID, Agent: agent, Customer: number,
				RecordID: rec.ID, Busy: busy, At: r.Clock.Now(), CallID: callID})
		}
	}
	popup := func(kind string, rec Record, number string, busy bool) { popupCall("", kind, rec, number, busy) }
	lc := LeadCall{Sid: sessionID(s, c, agent, r.Clock.Now()), AccountID: c.AccountID, CampaignID: c.ID,
		AgentNumber: agent.Number, CallerID: c.CallerID, Started: r.Clock.Now(), Location: r.Location}
	log = log.With("session", lc.Sid)
	if c.LeadsFromWebhook() {
		r.leadLoop(ctx, s, lc, popupCall, log)
		return
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
			return // no number left: the session ends
		}
		rec := recs[0]
		r.mu.Lock()
		now := r.Clock.Now()
		r.active[rec.ID] = &inflight{dialedAt: now, leasedAt: now} // leased by its claim, just now
		r.mu.Unlock()
		number := ""
		var cc CustomerCall
		placer := PlacerFunc(func(ctx context.Context, pr PlaceRequest) (Result, error) {
			number = pr.Number
			cc = CustomerCall{Number: number, DialedAt: r.Clock.Now()}
			popup(PopupDial, rec, pr.Number, true)
			inner := pr.OnAnswer
			pr.OnAnswer = func() {
				if inner != nil {
					inner()
				}
				cc.AnsweredAt = r.Clock.Now()
				popup(PopupAnswered, rec, pr.Number, true)
			}
			res, err := s.Place(ctx, pr)
			cc.EndedAt, cc.Answered = r.Clock.Now(), res.Answered
			cc.RecordingURL = r.recordingURL(res.Recording)
			cc.AgentHungUp = errors.Is(err, ErrAgentGone)
			return res, err
		})
		o := r.dialWith(ctx, rec, placer)
		o.RecordID, o.RequestID = rec.ID, rec.RequestID
		if number != "" {
			popup(PopupTerminal, rec, number, false)
			if c.LogWebhook != "" {
				cc.Status = o.Status
				lc.Last = cc
				r.postCallLog(ctx, lc, log)
			}
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

// sessionID is the CallSid of a session in the lead, popup and call log
// parameters: the agent call's id when the session tells it.
func sessionID(s Session, c *Campaign, agent Reservation, now time.Time) string {
	if id, ok := s.(interface{ ID() string }); ok && id.ID() != "" {
		return id.ID()
	}
	return fmt.Sprintf("c%d-a%s-%d", c.ID, agent.AgentID, now.UnixNano())
}

// leadLoop runs a session whose leads come from the lead webhook: ask for
// the agent's next lead, dial it from the agent's call, send the call log,
// again — until the agent hangs up, the webhook has no lead or fails, or
// the campaign stops.
func (r *Runner) leadLoop(ctx context.Context, s Session, lc LeadCall, popupCall func(string, string, Record, string, bool), log *slog.Logger) {
	c := &r.Campaign
	skipped := 0
	for n := 1; ; n++ {
		callID := fmt.Sprintf("%s-%d", lc.Sid, n)
		popup := func(kind string, rec Record, number string, busy bool) { popupCall(callID, kind, rec, number, busy) }
		select {
		case <-ctx.Done():
			return
		case <-s.Done():
			log.Info("agent-first session ended: the agent hung up")
			return
		default:
		}
		if st, err := r.status(ctx); err != nil || !Active(st) {
			return
		}
		lc.Now = r.Clock.Now()
		number, err := r.Leads.NextLead(ctx, c, LeadParams(lc))
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Warn("agent-first session ended: the lead webhook failed", "webhook", c.LeadWebhook, "error", err)
			r.mu.Lock()
			r.af.backoffUntil = r.Clock.Now().Add(LeadErrorBackoff)
			r.mu.Unlock()
			return
		}
		if number == "" {
			log.Info("agent-first session ended: the lead webhook has no lead", "webhook", c.LeadWebhook)
			r.mu.Lock()
			r.af.drained = true
			r.mu.Unlock()
			return
		}
		cc, dialed := r.leadCall(ctx, s, number, popup, log)
		if !dialed && cc.Status == "" {
			return // calling window closed, or shutting down
		}
		lc.Last = cc
		if c.LogWebhook != "" {
			r.postCallLog(ctx, lc, log)
		}
		if cc.AgentHungUp {
			log.Info("agent-first session ended: the agent hung up", "customer", number)
			return
		}
		if dialed {
			skipped = 0
		} else if skipped++; skipped >= maxLeadsSkipped {
			log.Warn("agent-first session ended: too many leads in a row not dialed", "count", skipped)
			return
		}
	}
}

// leadCall dials one webhook lead from the agent's call. dialed is false
// for a number that was not dialed: blocked (Status BLOCKED, logged),
// or — Status empty — the calling window is closed (no new session
// before it opens) or the session is ending.
func (r *Runner) leadCall(ctx context.Context, s Session, number string, popup func(string, Record, string, bool), log *slog.Logger) (CustomerCall, bool) {
	c := &r.Campaign
	cc := CustomerCall{Number: number, DialedAt: r.Clock.Now()}
	rec := Record{AccountID: c.AccountID, Attempt: 1, Numbers: []string{number}}
	if r.Screen != nil {
		reason, err := r.Screen(ctx, c.AccountID, number)
		if err != nil {
			log.Warn("screen a lead", "number", number, "error", err)
			return CustomerCall{}, false
		}
		if reason != "" {
			log.Info("lead not dialed", "number", number, "reason", reason)
			cc.Status, cc.EndedAt = StatusBlocked, r.Clock.Now()
			return cc, false
		}
	}
	now := r.Clock.Now()
	if loc := r.windowLocation(rec, number); !c.CallingWindow.Allows(now, loc) {
		log.Info("agent-first session ended: the lead is outside the calling window", "number", number)
		r.mu.Lock()
		r.af.backoffUntil = c.CallingWindow.NextOpen(now, loc)
		r.mu.Unlock()
		return CustomerCall{}, false
	}
	if ctx.Err() != nil {
		return CustomerCall{}, false
	}
	r.mu.Lock()
	r.stats.Dialed++
	r.mu.Unlock()
	popup(PopupDial, rec, number, true)
	req := PlaceRequest{Campaign: c, Record: rec, Number: number, Endpoint: c.Endpoint(number)}
	req.OnAnswer = func() {
		if cc.AnsweredAt.IsZero() {
			cc.AnsweredAt = r.Clock.Now()
			popup(PopupAnswered, rec, number, true)
		}
	}
	if r.OnDial != nil {
		r.OnDial(req)
	}
	res, err := s.Place(ctx, req)
	cc.EndedAt = r.Clock.Now()
	cc.Status, cc.Answered = res.Status, res.Answered
	cc.RecordingURL = r.recordingURL(res.Recording)
	if cc.Status == "" {
		cc.Status = "FAILED"
	}
	select {
	case <-s.Done():
		cc.AgentHungUp = true
	default:
		cc.AgentHungUp = errors.Is(err, ErrAgentGone)
	}
	if res.Answered {
		r.mu.Lock()
		r.stats.Answered++
		r.mu.Unlock()
	}
	popup(PopupTerminal, rec, number, false)
	log.Info("lead call ended", "number", number, "status", cc.Status, "agent_hung_up", cc.AgentHungUp, "error", err)
	return cc, true
}

// recordingURL is the download URL of a recording ("" for none).
func (r *Runner) recordingURL(name string) string {
	if name == "" || r.RecordingURL == nil {
		return ""
	}
	return r.RecordingURL(name)
}

// postCallLog sends the call log of lc.Last (even when the campaign or the
// session is ending).
func (r *Runner) postCallLog(ctx context.Context, lc LeadCall, log *slog.Logger) {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	lc.Now = r.Clock.Now()
	if err := r.Leads.CallLog(lctx, &r.Campaign, CallLogParams(lc)); err != nil {
		log.Warn("call log webhook failed", "webhook", r.Campaign.LogWebhook, "customer", lc.Last.Number, "error", err)
	}
}

func (r *Runner) status(ctx context.Context) (string, error) {
	if r.Status == nil {
		return StatusRunning, nil
	}
	return r.Status(ctx)
}

// AgentRecording is one recorded agent-first conversation: indexed with
// the customer's attempt, whose call report then shows it recorded.
type AgentRecording struct {
	AccountID int64
	AttemptID string
	AgentID   int64
	Name      string
	Format    string
	StartedAt time.Time
	Duration  time.Duration
}
