package acd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

// Options configure an ACD.
type Options struct {
	// Manager is the running ARI manager (required for calls; the state
	// and configuration methods work without it).
	Manager *ari.Manager
	// Config loads agents and queues at Start (nil: start empty).
	Config Config
	// Journal receives after-the-fact records (nil: discard).
	Journal Journal
	// Notifier receives CRM / popup events (nil: none).
	Notifier Notifier
	// Trunk is the dialstring for external numbers, e.g. "PJSIP/%s@trunk"
	// (see Agent.Dialstring).
	Trunk  string
	Now    func() time.Time
	Logger *slog.Logger
	// OnBridged, if set, is called on the customer's goroutine when a
	// customer has entered the agent's bridge: enqueued is when Enqueue
	// started, bridged when the ChannelEnteredBridge event arrived;
	// bridges are the IDs of the bridges used on that path (for
	// measurements such as the benchmark's round-trip count).
	OnBridged func(callID string, bridges []string, enqueued, bridged time.Time)
	// SessionLogin bounds how long Login waits for a persistent agent's
	// line to answer (default 45s).
	SessionLogin time.Duration
	// OnAgentFree, if set, is called whenever an agent becomes free to
	// take a call (available after login, unpause, the end of a call or
	// of its wrap-up, a campaign reservation's release, or its SIP
	// endpoint coming online) with the names of the queues the agent is a
	// member of (in the queues' order of no importance; never empty). It
	// runs on the ACD's background goroutine, in order with the journal
	// and the notifier, never under the ACD's lock: it must not block for
	// long (wire it to supervisor.Supervisor.Wake). A queue caller may
	// have taken the agent by the time it runs.
	OnAgentFree func(accountID int64, queues []string)
}

type key struct{ acct, id int64 }

type nameKey struct {
	acct int64
	name string
}

// ACD is the automatic call distributor: live agent and queue state,
// queue waits and agent selection, persistent agent sessions.
type ACD struct {
	o   Options
	log *slog.Logger

	mu          sync.Mutex
	agents      map[key]*agent
	queues      map[key]*queue
	queueByName map[nameKey]*queue
	endpoints   map[string]bool // PJSIP resource → online
	started     bool
	draining    bool // no new offers, logins or callers
	closed      bool

	// monitors: supervisors listening / whispering / barging (monitor.go).
	monitors map[string]*monitor

	subMu sync.Mutex
	subs  map[*subscriber]struct{}

	// after runs journal writes and notifications in order on its own
	// goroutine: nothing on the call path waits for them.
	afterMu   sync.Mutex
	afterQ    []func()
	afterSig  chan struct{}
	afterDone chan struct{}
	afterStop chan struct{}
	sessions  sync.WaitGroup
}

var _ flows.QueueRunner = (*ACD)(nil)

// New builds an ACD; Start loads its configuration and watches endpoints.
func New(o Options) *ACD {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SessionLogin <= 0 {
		o.SessionLogin = 45 * time.Second
	}
	a := &ACD{
		o: o, log: o.Logger,
		agents: map[key]*agent{}, queues: map[key]*queue{}, queueByName: map[nameKey]*queue{},
		endpoints: map[string]bool{}, subs: map[*subscriber]struct{}{},
		afterSig: make(chan struct{}, 1), afterDone: make(chan struct{}), afterStop: make(chan struct{}),
	}
	go a.runAfter()
	return a
}

// Start loads agents and queues from Config and starts watching PJSIP
// endpoint registration (when a Manager is set). Call it once.
func (a *ACD) Start(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("acd: already started")
	}
	a.started = true
	a.mu.Unlock()
	if a.o.Config != nil {
		qs, err := a.o.Config.Queues(ctx)
		if err != nil {
			return fmt.Errorf("acd: load queues: %w", err)
		}
		ags, err := a.o.Config.Agents(ctx)
		if err != nil {
			return fmt.Errorf("acd: load agents: %w", err)
		}
		for _, ag := range ags {
			if err := a.PutAgent(ag); err != nil {
				a.log.Warn("skipping invalid agent", "agent", ag.ID, "account", ag.AccountID, "error", err)
			}
		}
		for _, q := range qs {
			if err := a.PutQueue(q); err != nil {
				a.log.Warn("skipping invalid queue", "queue", q.ID, "account", q.AccountID, "error", err)
			}
		}
	}
	if a.o.Manager != nil {
		a.o.Manager.Router().Listen("EndpointStateChange", a.endpointEvent)
		// ARI forgets subscriptions with the websocket: every connect
		// subscribes again and re-reads registration state. Before the
		// events stream is up (the daemon starts without Asterisk) that
		// connect makes the first subscription.
		a.o.Manager.OnConnected(a.resubscribeAsync)
		if st := a.o.Manager.Stream(); st == nil || st.State().Connected {
			if err := a.Resubscribe(ctx); err != nil {
				a.log.Warn("PJSIP endpoint state not watched yet; retried on the next ARI connect", "error", err)
			}
		}
	}
	return nil
}

// Resubscribe subscribes the application to PJSIP endpoint events and
// re-reads every endpoint's state. ARI forgets application subscriptions
// when the websocket drops: Start has it run after every connect.
func (a *ACD) Resubscribe(ctx context.Context) error {
	if a.o.Manager == nil {
		return nil
	}
	c := a.o.Manager.Client()
	if err := c.Subscribe(ctx, "endpoint:PJSIP"); err != nil {
		return fmt.Errorf("acd: subscribe to PJSIP endpoint events: %w", err)
	}
	eps, err := c.Endpoints(ctx, "PJSIP")
	if err != nil {
		return fmt.Errorf("acd: list PJSIP endpoints: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, ep := range eps {
		a.setEndpointLocked(ep.Resource, ep.State)
	}
	return nil
}

// resubscribeAsync runs on every ARI connect (on the stream's goroutine,
// which it must not block).
func (a *ACD) resubscribeAsync() {
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := a.Resubscribe(ctx); err != nil {
			a.log.Warn("agent registration state not watched", "error", err)
		}
	}()
}

// endpointEvent runs on the event dispatcher: it must not block.
func (a *ACD) endpointEvent(ev ariv6.Event) {
	e, ok := ev.(*ariv6.EndpointStateChange)
	if !ok || !strings.EqualFold(e.Endpoint.Technology, "PJSIP") {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.setEndpointLocked(e.Endpoint.Resource, e.Endpoint.State)
}

func (a *ACD) setEndpointLocked(resource, state string) {
	online := strings.EqualFold(state, "online")
	if old, ok := a.endpoints[resource]; ok && old == online {
		return
	}
	a.endpoints[resource] = online
	for _, ag := range a.agents {
		if ag.cfg.LoginType.SIP() && ag.cfg.Extension == resource {
			a.publishAgentLocked(ag)
			a.kickAgentLocked(ag)
		}
	}
}

// Drain starts the shutdown without waiting: no new logins, no caller is
// offered to an agent any more (callers waiting leave with QUEUE_TIMEOUT
// and their flows go on), idle persistent agents' lines hang up now and
// busy ones when their call ends. Close finishes the shutdown.
func (a *ACD) Drain() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.draining {
		return
	}
	a.draining = true
	for _, ag := range a.agents {
		if ag.sess == nil {
			continue
		}
		switch ag.state {
		case StateRinging, StateOnCall:
			ag.pendingLogout = true
		case StateWrapUp:
			ag.pendingLogout = true
			a.finishWrapLocked(ag, "")
		default:
			ag.sess.stop()
			a.setStateLocked(ag, StateLoggedOut, "")
		}
	}
	for _, q := range a.queues {
		for _, w := range q.waiting {
			w.signal()
		}
	}
}

// Close logs persistent sessions out, stops timers and flushes the
// journal and notifications.
func (a *ACD) Close() {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.closed = true
	for _, ag := range a.agents {
		if ag.wrapTimer != nil {
			ag.wrapTimer.Stop()
		}
		if ag.sess != nil {
			ag.sess.stop()
		}
	}
	for _, q := range a.queues {
		for _, w := range q.waiting {
			w.signal()
		}
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.sessions.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		a.log.Warn("persistent agent sessions did not end in time")
	}
	close(a.afterStop)
	<-a.afterDone
	a.subMu.Lock()
	for s := range a.subs {
		s.close()
		delete(a.subs, s)
	}
	a.subMu.Unlock()
}

// after queues fn to run on the background goroutine (journal,
// notifier), in order.
func (a *ACD) after(fn func()) {
	a.afterMu.Lock()
	a.afterQ = append(a.afterQ, fn)
	a.afterMu.Unlock()
	select {
	case a.afterSig <- struct{}{}:
	default:
	}
}

func (a *ACD) runAfter() {
	defer close(a.afterDone)
	for {
		stopping := false
		select {
		case <-a.afterSig:
		case <-a.afterStop:
			stopping = true
		}
		for {
			a.afterMu.Lock()
			q := a.afterQ
			a.afterQ = nil
			a.afterMu.Unlock()
			if len(q) == 0 {
				break
			}
			for _, fn := range q {
				func() {
					defer func() {
						if r := recover(); r != nil {
							a.log.Error("acd journal/notifier panicked", "panic", r)
						}
					}()
					fn()
				}()
			}
		}
		if stopping {
			return
		}
	}
}

func (a *ACD) journal(fn func(j Journal)) {
	if a.o.Journal == nil {
		return
	}
	j := a.o.Journal
	a.after(func() { fn(j) })
}

// journalRecording reports a recording to a Journal that indexes them.
func (a *ACD) journalRecording(r Recording) {
	rj, ok := a.o.Journal.(RecordingJournal)
	if !ok {
		return
	}
	a.after(func() { rj.Recording(r) })
}

func (a *ACD) notify(ev Event) {
	if a.o.Notifier == nil {
		return
	}
	n := a.o.Notifier
	a.after(func() { n.Notify(ev) })
}

// PutAgent adds or replaces an agent's configuration (validated); the
// agent's live state is kept.
func (a *ACD) PutAgent(ag acdconfig.Agent) error {
	if err := ag.Validate(); err != nil {
		return err
	}
	if ag.ID == 0 || ag.AccountID == 0 {
		return ErrInvalid.New("id", "agent id and account_id are required")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := key{ag.AccountID, ag.ID}
	cur := a.agents[k]
	if cur == nil {
		now := a.o.Now()
		cur = &agent{state: StateLoggedOut, since: now}
		a.agents[k] = cur
	}
	cur.cfg = ag
	cur.removed = false
	a.publishAgentLocked(cur)
	return nil
}

// RemoveAgent logs the agent out (at once, or when its current call
// ends) and forgets it; queues keep its ID among their members.
func (a *ACD) RemoveAgent(accountID, agentID int64) error {
	if err := a.Logout(context.Background(), accountID, agentID); err != nil && !errors.Is(err, ErrState) {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	k := key{accountID, agentID}
	ag := a.agents[k]
	if ag == nil {
		return ErrNotFound.New("", "agent %d not found", agentID)
	}
	ag.removed = true
	if ag.state == StateLoggedOut {
		delete(a.agents, k)
	}
	return nil
}

// PutQueue adds or replaces a queue's configuration (defaults filled,
// validated); waiting callers stay.
func (a *ACD) PutQueue(q acdconfig.Queue) error {
	q.Defaults()
	if err := q.Validate(); err != nil {
		return err
	}
	if q.ID == 0 || q.AccountID == 0 {
		return ErrInvalid.New("id", "queue id and account_id are required")
	}
	q.Members = slices.Clone(q.Members)
	a.mu.Lock()
	defer a.mu.Unlock()
	k := key{q.AccountID, q.ID}
	nk := nameKey{q.AccountID, q.Name}
	if other := a.queueByName[nk]; other != nil && other.cfg.ID != q.ID {
		return ErrInvalid.New("name", "name %q is used by queue %d", q.Name, other.cfg.ID)
	}
	cur := a.queues[k]
	if cur == nil {
		cur = &queue{}
		a.queues[k] = cur
	} else if cur.cfg.Name != q.Name {
		delete(a.queueByName, nameKey{q.AccountID, cur.cfg.Name})
	}
	cur.cfg = q
	a.queueByName[nk] = cur
	a.publishQueueLocked(cur)
	a.kickQueueLocked(cur)
	return nil
}

// RemoveQueue forgets a queue; callers waiting in it leave at once with
// QUEUE_INVALID.
func (a *ACD) RemoveQueue(accountID, queueID int64) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := key{accountID, queueID}
	q := a.queues[k]
	if q == nil {
		return ErrNotFound.New("", "queue %d not found", queueID)
	}
	delete(a.queues, k)
	delete(a.queueByName, nameKey{accountID, q.cfg.Name})
	q.removed = true
	for _, w := range q.waiting {
		w.signal()
	}
	return nil
}

// flush waits until every journal write and notification queued so far
// has been delivered.
func (a *ACD) flush() {
	done := make(chan struct{})
	a.after(func() { close(done) })
	select {
	case <-done:
	case <-a.afterDone:
	}
}
