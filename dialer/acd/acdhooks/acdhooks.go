// Package acdhooks delivers the ACD's CRM and popup events (acd.Event) to
// the webhooks an account configured for them (acdconfig.Hook): the CRM Setup
// events (agent_allocated, agent_connected) and the progressive dialer's
// agent popup (Dial, Answered, Terminal).
//
// Notify never blocks the call path: events go into an unbounded queue per
// (account, call) and are delivered in the background, in order per call
// (Dial before Answered before Terminal), with a bounded number of
// concurrent deliveries per account. Each webhook is sent through
// webhooks.Invoke, i.e. the same interpolation, HTTP client and account
// webhooks.Policy (HTTPS only unless allowed, no loopback/private targets)
// as the flow webhook widget.
//
// # CRM events
//
// The configured webhook's method, URL, credentials, headers, query and
// body are interpolated with these variables:
//
//	$event.type          agent_allocated | agent_connected
//	$event.call_id       the customer's call ID (CallSid)
//	$event.attempt_id    the call attempt ID ("" for inbound calls)
//	$event.account_id    the account ID
//	$event.flow_id       the flow the caller runs (0: none)
//	$event.agent_id      the agent's ID
//	$event.agent_number  the agent's number or SIP extension
//	$event.customer      the customer's number
//	$event.customer_id   the customer id a caller-ID (CRM) widget found ("" if none)
//	$event.call_from     the calling party's number
//	$event.call_to       the number called (DID or campaign caller ID)
//	$event.direction     incoming | outbound-dial
//	$event.queue         the queue name ("" for a direct agent call)
//	$event.status        busy | free (the agent)
//	$event.created       when the call was created, 2006-01-02 15:04:05
//	$event.time          when the event fired, 2006-01-02 15:04:05
//	$event.timestamp     when the event fired, Unix milliseconds
//	$call.cli, $call.dnis  as in flows: the caller's number, the number called
//	$sys.datetime, $sys.date, $sys.time  the current time
//
// Values are inserted as they are, as in the flow webhook widget: put them
// in the webhook's query parameters or body (encoded for you) rather than
// inline in its URL, where a "+" of a number would read as a space.
// ${event.type} (braces) works as in flows. A reference to any other
// $event.* name, or to $flow.key.* / $user.key.* (there is no flow run),
// makes the delivery fail with INVALID_FLOW_VAR (logged).
//
// # Popup events
//
// The agent popup's parameters, exactly these names, are sent in the query
// string when the webhook's method is GET (or empty) and as a form body
// (application/x-www-form-urlencoded) for POST/PUT/PATCH; the configured
// body is not used. The URL and headers may use the $event.* variables.
//
//	CallSid         the customer's call ID
//	CallFrom        the calling party's number
//	CallTo          the number called (DID / campaign caller ID)
//	Direction       incoming | outbound-dial
//	Created         when the call was created, "Sun, 25 Jul 2021 14:56:12"
//	From            the agent's number (or SIP extension)
//	To              the number called (as CallTo)
//	CurrentTime     when the event fired, "2021-07-25 14:56:14"
//	DialWhomNumber  the customer's number
//	Status          busy (Dial, Answered) | free (Terminal)
//	Event Type      Dial | Answered | Terminal  (the popup's key, with the space)
//	EventType       the same (for clients written against the key without it)
//
// The time formats are those of the popup's payload (as above); times are in
// Config.Location (default: the server's local time zone).
//
// # Delivery
//
// Each attempt has Config.Timeout; a 5xx answer, a connection error or a
// timeout is retried Config.Retries times with exponential backoff; other
// failures (4xx, blocked target, unset variable) are not. Failures are
// logged, never returned to the ACD. Close stops accepting events and
// drains the queues for at most Config.DrainTimeout.
package acdhooks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// Source gives an account's CRM and popup hook setups (acdstore
// implements it).
type Source interface {
	Hooks(ctx context.Context, accountID int64) ([]acdconfig.Hook, error)
}

// Time formats of the popup parameters (the agent popup's payload) and
// of the $event.* time variables.
const (
	CreatedFormat     = "Mon, 02 Jan 2006 15:04:05" // popup Created
	CurrentTimeFormat = "2006-01-02 15:04:05"       // popup CurrentTime, $event.time, $event.created
)

// Config configures a Notifier. Hooks and Webhooks are required.
type Config struct {
	Hooks    Source
	Webhooks webhooks.Source
	// Policy gives an account's outbound HTTP policy (default: HTTPS
	// only, no loopback/private/link-local targets).
	Policy func(ctx context.Context, accountID int64) webhooks.Policy
	// Timeout bounds one HTTP attempt (default 10 s).
	Timeout time.Duration
	// Retries after a 5xx, connection error or timeout (default 2; -1:
	// none).
	Retries int
	// Backoff is the wait before the first retry, doubled for each
	// further one (default 1 s).
	Backoff time.Duration
	// CacheTTL is how long an account's hooks are cached (default 10 s).
	CacheTTL time.Duration
	// PerAccount bounds concurrent deliveries per account (default 4).
	PerAccount int
	// DrainTimeout bounds Close (default 10 s).
	DrainTimeout time.Duration
	// Location is the time zone of the popup and $event.* times (default
	// time.Local).
	Location *time.Location
	Now      func() time.Time
	Logger   *slog.Logger
}

// Notifier implements acd.Notifier.
type Notifier struct {
	cfg    Config
	log    *slog.Logger
	ctx    context.Context // cancelled when a drain times out
	cancel context.CancelFunc

	mu       sync.Mutex
	closed   bool
	lanes    map[laneKey]*lane
	sems     map[int64]chan struct{}
	cache    map[int64]cached
	active   sync.WaitGroup
	pending  atomic.Int64
	sent     atomic.Int64
	failed   atomic.Int64
	dropped  atomic.Int64
	inflight map[int64]*sync.Mutex // one hooks load per account at a time
}

var _ acd.Notifier = (*Notifier)(nil)

type laneKey struct {
	account int64
	call    string
}

type lane struct {
	q []acd.Event
}

type cached struct {
	hooks []acdconfig.Hook
	until time.Time
}

// New returns a running Notifier.
func New(cfg Config) (*Notifier, error) {
	if cfg.Hooks == nil || cfg.Webhooks == nil {
		return nil, errors.New("acdhooks: Config.Hooks and Config.Webhooks are required")
	}
	if cfg.Policy == nil {
		cfg.Policy = func(context.Context, int64) webhooks.Policy { return webhooks.Policy{} }
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 2
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Second
	}
	if cfg.PerAccount <= 0 {
		cfg.PerAccount = 4
	}
	if cfg.DrainTimeout <= 0 {
		cfg.DrainTimeout = 10 * time.Second
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Notifier{cfg: cfg, log: cfg.Logger, lanes: map[laneKey]*lane{}, sems: map[int64]chan struct{}{},
		cache: map[int64]cached{}, inflight: map[int64]*sync.Mutex{}}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.log = n.log.With("component", "acdhooks")
	n.ctx, n.cancel = context.WithCancel(context.Background())
	return n, nil
}

// Notify queues ev for delivery and returns at once.
func (n *Notifier) Notify(ev acd.Event) {
	if ev.At.IsZero() {
		ev.At = n.cfg.Now()
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		n.dropped.Add(1)
		n.log.Warn("event after Close dropped", "kind", ev.Kind, "account", ev.AccountID, "call", ev.CallID)
		return
	}
	k := laneKey{ev.AccountID, ev.CallID}
	n.pending.Add(1)
	if l := n.lanes[k]; l != nil {
		l.q = append(l.q, ev)
		return
	}
	l := &lane{q: []acd.Event{ev}}
	n.lanes[k] = l
	sem := n.sems[ev.AccountID]
	if sem == nil {
		sem = make(chan struct{}, n.cfg.PerAccount)
		n.sems[ev.AccountID] = sem
	}
	n.active.Add(1)
	go n.run(k, l, sem)
}

// run delivers a lane's events in order, then retires the lane.
func (n *Notifier) run(k laneKey, l *lane, sem chan struct{}) {
	defer n.active.Done()
	for {
		n.mu.Lock()
		if len(l.q) == 0 {
			delete(n.lanes, k)
			if len(n.lanes) == 0 {
				n.pruneLocked()
			}
			n.mu.Unlock()
			return
		}
		ev := l.q[0]
		l.q[0] = acd.Event{}
		l.q = l.q[1:]
		n.mu.Unlock()

		select {
		case sem <- struct{}{}:
			n.deliver(ev)
			<-sem
		case <-n.ctx.Done():
			n.dropped.Add(1)
			n.log.Warn("event not delivered: notifier closed", "kind", ev.Kind, "account", ev.AccountID, "call", ev.CallID)
		}
		n.pending.Add(-1)
	}
}

// pruneLocked forgets idle accounts' semaphores (no lane uses them).
func (n *Notifier) pruneLocked() {
	if len(n.sems) > 1024 {
		n.sems = map[int64]chan struct{}{}
	}
}

// hooks returns the account's hook setups, cached for CacheTTL.
func (n *Notifier) hooks(accountID int64) ([]acdconfig.Hook, error) {
	n.mu.Lock()
	c, ok := n.cache[accountID]
	lm := n.inflight[accountID]
	if lm == nil {
		lm = &sync.Mutex{}
		n.inflight[accountID] = lm
	}
	n.mu.Unlock()
	now := n.cfg.Now()
	if ok && now.Before(c.until) {
		return c.hooks, nil
	}
	lm.Lock()
	defer lm.Unlock()
	n.mu.Lock()
	c, ok = n.cache[accountID]
	n.mu.Unlock()
	if ok && n.cfg.Now().Before(c.until) {
		return c.hooks, nil
	}
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.Timeout)
	defer cancel()
	hs, err := n.cfg.Hooks.Hooks(ctx, accountID)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	if len(n.cache) > 4096 {
		n.cache = map[int64]cached{}
	}
	n.cache[accountID] = cached{hooks: hs, until: n.cfg.Now().Add(n.cfg.CacheTTL)}
	n.mu.Unlock()
	return hs, nil
}

// deliver sends ev to every hook of its account that wants it.
func (n *Notifier) deliver(ev acd.Event) {
	log := n.log.With("kind", ev.Kind, "account", ev.AccountID, "call", ev.CallID, "agent", ev.AgentID)
	hs, err := n.hooks(ev.AccountID)
	if err != nil {
		n.failed.Add(1)
		log.Error("loading hook setups failed; event not delivered", "err", err)
		return
	}
	for i := range hs {
		h := &hs[i]
		if h.AccountID != 0 && h.AccountID != ev.AccountID || !h.Wants(ev.Kind, ev.FlowID) {
			continue
		}
		hlog := log.With("hook", h.ID, "webhook", h.Webhook)
		if err := n.send(ev, h); err != nil {
			n.failed.Add(1)
			hlog.Error("event webhook failed", "err", err)
			continue
		}
		n.sent.Add(1)
		hlog.Debug("event webhook delivered")
	}
}

// send resolves the hook's webhook and invokes it, with retries.
func (n *Notifier) send(ev acd.Event, h *acdconfig.Hook) error {
	ctx, cancel := context.WithTimeout(n.ctx, n.cfg.Timeout)
	w, err := n.cfg.Webhooks.Webhook(ctx, ev.AccountID, h.Webhook)
	cancel()
	if err != nil {
		return fmt.Errorf("webhook %q: %w", h.Webhook, err)
	}
	inv := webhooks.Invocation{Webhook: w, Vars: Vars(ev, n.cfg.Location), Timeout: n.cfg.Timeout, Now: n.cfg.Now}
	if h.Kind == acdconfig.HookPopup {
		inv.Params = PopupParams(ev, n.cfg.Location)
	}
	pol := n.cfg.Policy(n.ctx, ev.AccountID)
	backoff := n.cfg.Backoff
	var res webhooks.Result
	for attempt := 0; ; attempt++ {
		res = webhooks.Invoke(n.ctx, pol, inv)
		if res.OK {
			return nil
		}
		if attempt >= n.cfg.Retries || !retryable(res) || n.ctx.Err() != nil {
			break
		}
		n.log.Debug("event webhook attempt failed; retrying", "webhook", h.Webhook, "reason", res.Reason,
			"status", res.StatusCode, "in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-n.ctx.Done():
			t.Stop()
		}
		backoff *= 2
	}
	if res.StatusCode != 0 {
		return fmt.Errorf("%s: HTTP %d %s", res.Reason, res.StatusCode, res.Detail)
	}
	return fmt.Errorf("%s: %s", res.Reason, res.Detail)
}

func retryable(r webhooks.Result) bool {
	switch r.Reason {
	case webhooks.ReasonServerError, webhooks.ReasonConnection, webhooks.ReasonTimeout:
		return true
	}
	return false
}

// Stats are delivery counters (monitoring, tests).
type Stats struct {
	Pending int64 // queued or in delivery
	Sent    int64 // webhook calls that succeeded
	Failed  int64 // webhook calls (or hook loads) that failed for good
	Dropped int64 // events given up at Close or after it
}

// Stats returns the counters.
func (n *Notifier) Stats() Stats {
	return Stats{Pending: n.pending.Load(), Sent: n.sent.Load(), Failed: n.failed.Load(), Dropped: n.dropped.Load()}
}

// Close stops accepting events and waits for the queued ones to be
// delivered, at most DrainTimeout; then in-flight requests are cancelled
// and the rest dropped (counted, logged, and reported in the error).
func (n *Notifier) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	n.mu.Unlock()
	done := make(chan struct{})
	go func() { n.active.Wait(); close(done) }()
	t := time.NewTimer(n.cfg.DrainTimeout)
	defer t.Stop()
	select {
	case <-done:
		n.cancel()
		return nil
	case <-t.C:
	}
	left := n.pending.Load()
	n.cancel()
	<-done
	return fmt.Errorf("acdhooks: %d event(s) not delivered within the %v drain timeout", left, n.cfg.DrainTimeout)
}

// Vars are the $event.* (and $call.cli, $call.dnis) variables of an event.
func Vars(ev acd.Event, loc *time.Location) map[string]string {
	if loc == nil {
		loc = time.Local
	}
	return map[string]string{
		"event.type":         string(ev.Kind),
		"event.call_id":      ev.CallID,
		"event.attempt_id":   ev.AttemptID,
		"event.account_id":   strconv.FormatInt(ev.AccountID, 10),
		"event.flow_id":      strconv.FormatInt(ev.FlowID, 10),
		"event.agent_id":     strconv.FormatInt(ev.AgentID, 10),
		"event.agent_number": ev.AgentNumber,
		"event.customer":     ev.Customer,
		"event.customer_id":  ev.CustomerID,
		"event.call_from":    ev.CallFrom,
		"event.call_to":      ev.CallTo,
		"event.direction":    ev.Direction,
		"event.queue":        ev.Queue,
		"event.status":       status(ev),
		"event.created":      fmtTime(ev.Created, loc, CurrentTimeFormat),
		"event.time":         fmtTime(ev.At, loc, CurrentTimeFormat),
		"event.timestamp":    strconv.FormatInt(ev.At.UnixMilli(), 10),
		"call.cli":           ev.CallFrom,
		"call.dnis":          ev.CallTo,
	}
}

// PopupParams are the agent popup parameters of an event.
func PopupParams(ev acd.Event, loc *time.Location) map[string]string {
	if loc == nil {
		loc = time.Local
	}
	return map[string]string{
		"CallSid":        ev.CallID,
		"CallFrom":       ev.CallFrom,
		"CallTo":         ev.CallTo,
		"Direction":      ev.Direction,
		"Created":        fmtTime(ev.Created, loc, CreatedFormat),
		"From":           ev.AgentNumber,
		"To":             ev.CallTo,
		"CurrentTime":    fmtTime(ev.At, loc, CurrentTimeFormat),
		"DialWhomNumber": ev.Customer,
		"Status":         status(ev),
		// The popup's key has a space; EventType is kept for clients
		// written against it.
		"Event Type": string(ev.Kind),
		"EventType":  string(ev.Kind),
	}
}

func status(ev acd.Event) string {
	if ev.Busy {
		return "busy"
	}
	return "free"
}

func fmtTime(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(layout)
}
