package ari

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
	"github.com/google/uuid"
)

// Attempt describes the store record of one call attempt.
type Attempt struct {
	AttemptID string
	CallID    string
	AccountID int64
	Number    int // attempt number, from 1
	ChannelID string
	Node      string
	Inbound   bool
	CLI       string
	DNIS      string
	FlowID    *int64
	RequestID string
	StartedAt time.Time
}

// AttemptEnd is how an attempt finished.
type AttemptEnd struct {
	EndedAt      time.Time
	AnsweredAt   time.Time // zero if never answered
	Status       string
	HangupCause  int
	CauseText    string
	RemoteHangup bool
	FinishReason string
	DTMF         string
	// IfAnswered, when set, replaces Status if the record already has an
	// answer time (a reconciled call cut by a crash or outage after its
	// answer is recorded answered, not failed).
	IfAnswered string
}

// OpenAttempt is a store record not yet finished.
type OpenAttempt struct {
	AttemptID string
	ChannelID string
}

// Recorder stores call attempts; the store adapter implements it.
type Recorder interface {
	AttemptStarted(ctx context.Context, a Attempt) error
	AttemptFinished(ctx context.Context, attemptID string, end AttemptEnd) error
	OpenAttempts(ctx context.Context, node string) ([]OpenAttempt, error)
}

// Handler runs a call. It returns when Switchyard is done with the call;
// the Manager then hangs the channel up if it is still up, waits for the
// hangup and records the attempt.
type Handler func(ctx context.Context, c *Call) error

// Route is the decision for a channel that entered the application on its
// own (inbound, AMD, AGI-to-Stasis): which handler runs it and which record
// it gets. A nil Handler hangs the call up; a nil Attempt leaves it
// unrecorded (no tenant owns it).
type Route struct {
	Handler Handler
	Attempt *Attempt
}

// ManagerHooks observe the manager; all optional.
type ManagerHooks struct {
	LiveCalls func(delta int)
	Event     func(eventType string)
	Reconnect func()
	// Connected runs after every connect of the events stream (the first
	// one included), on the stream's goroutine: it must not block (start a
	// goroutine for ARI requests such as event subscriptions).
	Connected func()
}

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	Client   *Client
	Recorder Recorder
	// Node names this Switchyard instance in records (for reconciliation
	// after a restart); default the Asterisk entity ID is not used because
	// one Switchyard may outlive an Asterisk restart.
	Node string
	// Route decides what runs an unsolicited StasisStart. Default: hang up.
	Route  func(ctx context.Context, ev *ariv6.StasisStart) Route
	Hooks  ManagerHooks
	Logger *slog.Logger
	// HangupGrace bounds the wait for a channel to go after the handler
	// returned and Switchyard hung it up (default 5s).
	HangupGrace time.Duration
	// SweepEvery is how often, while connected, the manager re-checks its
	// calls and open records against Asterisk (default 1 minute), so no
	// record stays open for long even if a store write failed.
	SweepEvery time.Duration
}

// Manager owns the ARI connection and every live call: one goroutine per
// call with its own context, records written at start and finish, and
// reconciliation with Asterisk's channel list after every (re)connect.
type Manager struct {
	cfg    ManagerConfig
	client *Client
	router *Router
	stream *Stream
	log    *slog.Logger

	ctx    context.Context // parent of call contexts; set by Run
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	calls    map[string]*Call // by channel ID, only while their goroutine runs
	created  map[string]bool  // channel IDs (calls and legs) known to exist on Asterisk
	draining bool
	ready    chan struct{} // closed once Run has set ctx
	// connectedAt: last connect of the events stream; refusedAt: last
	// originate refused as unavailable (see Available).
	connectedAt time.Time
	refusedAt   time.Time
	// run: the Asterisk run seen at the last connect (zero if unknown);
	// marks: placement marks of originates in flight (placement.go).
	run   asteriskRun
	marks *placementMarks
	// onConnected: what components registered to run on every connect.
	onConnected []func()
}

// ErrDraining is returned by Originate while shutting down.
var ErrDraining = errors.New("ari: shutting down, not taking new calls")

// ErrNotConnected is returned by Originate while the events stream is down
// (the call's events could not be received).
var ErrNotConnected = errors.New("ari: not connected to Asterisk")

// NewManager builds a manager; Run connects it.
func NewManager(cfg ManagerConfig) *Manager {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.HangupGrace <= 0 {
		cfg.HangupGrace = 5 * time.Second
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = time.Minute
	}
	m := &Manager{
		cfg: cfg, client: cfg.Client, router: NewRouter(), log: cfg.Logger,
		calls: map[string]*Call{}, created: map[string]bool{},
		ready: make(chan struct{}),
		marks: newPlacementMarks(cfg.Node, cfg.Client.App()),
	}
	m.router.Unrouted = m.unrouted
	m.stream = NewStream(cfg.Client, m.router, StreamHooks{
		Event:     cfg.Hooks.Event,
		Connected: m.connected,
	}, cfg.Logger.With("part", "stream"))
	return m
}

// OnConnected registers fn to run after every connect of the events
// stream from now on, after Hooks.Connected and under the same rules: on
// the stream's goroutine, so it must not block. Components that keep ARI
// state which does not survive the websocket (event subscriptions)
// register here themselves.
func (m *Manager) OnConnected(fn func()) {
	m.mu.Lock()
	m.onConnected = append(m.onConnected, fn)
	m.mu.Unlock()
}

// Router is the event router (for listeners such as endpoint watchers).
func (m *Manager) Router() *Router { return m.router }

// Stream is the events connection.
func (m *Manager) Stream() *Stream { return m.stream }

// Client is the REST client.
func (m *Manager) Client() *Client { return m.client }

// Node is the instance name written into records.
func (m *Manager) Node() string { return m.cfg.Node }

// Recorder is the attempt recorder (for records of legs a handler dials
// on its own, such as agent-first customers).
func (m *Manager) Recorder() Recorder { return m.cfg.Recorder }

// Live reports the number of calls being handled.
func (m *Manager) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.calls)
}

// Run keeps the events stream up until ctx ends, then hangs up what is
// still live (after Drain, nothing normally is) and waits for every call
// goroutine to record its attempt.
func (m *Manager) Run(ctx context.Context) error {
	m.ctx, m.cancel = context.WithCancel(context.WithoutCancel(ctx))
	close(m.ready)
	go m.sweep(ctx)
	err := m.stream.Run(ctx)
	m.cancel() // call contexts end: handlers return, records are written
	m.wg.Wait()
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	m.marks.clear(cctx, m.client)
	m.client.unsubscribeAll(cctx)
	cancel()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// sweep reconciles periodically while connected.
func (m *Manager) sweep(ctx context.Context) {
	t := time.NewTicker(m.cfg.SweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !m.stream.State().Connected {
			continue
		}
		if err := m.reconcile(ctx, false); err != nil && ctx.Err() == nil {
			m.log.Warn("periodic reconcile failed", "error", err)
		}
	}
}

// Drain stops taking new calls and waits for live ones to finish until ctx
// ends; then it hangs up the rest, which finish with reason "shutdown".
func (m *Manager) Drain(ctx context.Context) {
	m.mu.Lock()
	m.draining = true
	m.mu.Unlock()
	done := make(chan struct{})
	go func() { m.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	m.mu.Lock()
	live := make([]*Call, 0, len(m.calls))
	for _, c := range m.calls {
		live = append(live, c)
	}
	m.mu.Unlock()
	m.log.Warn("shutdown timeout: hanging up live calls", "calls", len(live))
	// Ending the call contexts makes every handler return; each call is
	// then hung up and recorded with reason "shutdown".
	m.cancel()
	<-done
}

func (m *Manager) trackLeg(id string) {
	m.mu.Lock()
	m.created[id] = false
	m.mu.Unlock()
}

func (m *Manager) legCreated(id string) {
	m.mu.Lock()
	if _, ok := m.created[id]; ok {
		m.created[id] = true
	}
	m.mu.Unlock()
}

func (m *Manager) untrackLeg(id string) {
	m.mu.Lock()
	delete(m.created, id)
	m.mu.Unlock()
}

// OriginateParams describe an outbound call.
type OriginateParams struct {
	Endpoint  string // PJSIP/trunk/+4930…, Local/x@customers, …
	CallerID  string
	Timeout   time.Duration // ring timeout (default 30s)
	Variables map[string]string
	Args      []string // Stasis arguments after "outbound"
	// Context/Extension send the channel into the dialplan instead of the
	// application (e.g. the amd context, which enters Stasis itself).
	Context, Extension string
	Attempt            *Attempt // record to write; nil = unrecorded
	Handler            Handler  // runs once answered
	// Failed is called instead of Handler when the call ends unanswered.
	Failed func(c *Call)
}

// connected runs after every (re)connect of the events stream, on the
// stream's goroutine, before events of the new connection are dispatched.
func (m *Manager) connected(ctx context.Context, reconnect bool) {
	run, err := m.currentRun(ctx)
	if err == nil {
		err = m.marks.probe(ctx, m.client)
	}
	if err != nil {
		run = asteriskRun{}
		m.log.Warn("placement marks unavailable; originates in doubt will count as placed", "error", err)
	}
	m.mu.Lock()
	m.connectedAt, m.refusedAt = time.Now(), time.Time{}
	m.run = run
	m.mu.Unlock()
	if reconnect && m.cfg.Hooks.Reconnect != nil {
		m.cfg.Hooks.Reconnect()
	}
	if m.cfg.Hooks.Connected != nil {
		m.cfg.Hooks.Connected()
	}
	m.mu.Lock()
	fns := slices.Clone(m.onConnected)
	m.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
	if err := m.Reconcile(ctx); err != nil {
		m.log.Error("reconcile after connect failed", "error", err)
	}
}

// Reconcile compares Switchyard's calls with Asterisk's live channels:
// calls whose channel is gone get ChannelGone (their goroutine finishes and
// records them), live calls get Resync (waits re-check what they wait for),
// channels sitting in the application that nobody handles are attached as
// if their StasisStart had just arrived, and open records whose channel is
// gone are finished.
func (m *Manager) Reconcile(ctx context.Context) error {
	return m.reconcile(ctx, true)
}

// reconcile does the work of Reconcile. attach (re-attaching channels that
// sit in the application untracked) is only safe on the stream's reading
// goroutine, where no StasisStart can be dispatched concurrently.
//
// Order matters, so that a call starting meanwhile is never taken for a
// stale one: open records are read first, then what this process tracks,
// then Asterisk's channels. A record opened after the first read is not
// looked at; a call tracked before the channel list is read and absent
// from it is really gone.
func (m *Manager) reconcile(ctx context.Context, attach bool) error {
	open, err := m.openAttempts(ctx)
	if err != nil {
		return err
	}
	created, tracked := m.snapshotTracked()
	chs, err := m.client.Channels(ctx)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	live := make(map[string]ariv6.ChannelData, len(chs))
	for _, ch := range chs {
		live[ch.ID] = ch
	}
	gone, resync := m.settleTracked(created, live, attach)
	openByChannel, finished, err := m.finishStaleRecords(ctx, open, tracked, live)
	if err != nil {
		return err
	}
	attached := 0
	if attach {
		var ended int
		if attached, ended, err = m.reattach(ctx, live, tracked, openByChannel); err != nil {
			return err
		}
		finished += ended
	}
	if len(gone)+finished+attached > 0 {
		m.log.Info("reconciled with Asterisk", "live_channels", len(chs), "gone", len(gone),
			"resynced", len(resync), "stale_records_finished", finished, "reattached", attached)
	}
	return nil
}

// openAttempts lists this node's open call records.
func (m *Manager) openAttempts(ctx context.Context) ([]OpenAttempt, error) {
	if m.cfg.Recorder == nil {
		return nil, nil
	}
	open, err := m.cfg.Recorder.OpenAttempts(ctx, m.cfg.Node)
	if err != nil {
		return nil, fmt.Errorf("list open attempts: %w", err)
	}
	return open, nil
}

// snapshotTracked copies the channel IDs known to exist on Asterisk
// (created: false while the originate is in flight) and every ID this
// process tracks (calls and legs).
func (m *Manager) snapshotTracked() (created, tracked map[string]bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	created = make(map[string]bool, len(m.created))
	tracked = make(map[string]bool, len(m.created)+len(m.calls))
	for id, ok := range m.created {
		created[id] = ok
		tracked[id] = true
	}
	for id := range m.calls {
		tracked[id] = true
	}
	return created, tracked
}

// settleTracked tells each created call what became of its channel while
// the link was down: ChannelGone if it has ended, Resync if it is up (only
// when attach: on the stream's goroutine).
func (m *Manager) settleTracked(created map[string]bool, live map[string]ariv6.ChannelData, attach bool) (gone, resync []string) {
	for id, ok := range created {
		if !ok {
			continue // originate still in flight
		}
		if _, up := live[id]; up {
			resync = append(resync, id)
		} else {
			gone = append(gone, id)
		}
	}
	for _, id := range gone {
		m.router.Dispatch(&ChannelGone{EventData: ariv6.EventData{Type: typeChannelGone, Application: m.client.app}, ChannelID: id})
	}
	if attach {
		for _, id := range resync {
			m.router.Dispatch(&Resync{EventData: ariv6.EventData{Type: typeResync, Application: m.client.app, Timestamp: ariv6.DateTime(time.Now())},
				ChannelID: id, Channel: live[id]})
		}
	}
	return gone, resync
}

// finishStaleRecords closes open records nobody tracks whose channel is
// gone (Switchyard was not connected when it ended); it returns the open
// untracked records whose channel is still up, by channel.
func (m *Manager) finishStaleRecords(ctx context.Context, open []OpenAttempt, tracked map[string]bool, live map[string]ariv6.ChannelData) (map[string]string, int, error) {
	openByChannel := map[string]string{}
	finished := 0
	for _, o := range open {
		if tracked[o.ChannelID] {
			continue
		}
		if _, up := live[o.ChannelID]; up {
			openByChannel[o.ChannelID] = o.AttemptID
			continue
		}
		end := AttemptEnd{EndedAt: time.Now(), Status: StatusFailed, IfAnswered: StatusAnswered, FinishReason: "reconciled: channel gone while Switchyard was not connected"}
		if err := m.cfg.Recorder.AttemptFinished(ctx, o.AttemptID, end); err != nil {
			return nil, finished, fmt.Errorf("finish stale attempt %s: %w", o.AttemptID, err)
		}
		finished++
	}
	return openByChannel, finished, nil
}

// reattach handles channels sitting in our application that nobody
// drives: one whose record is open from a previous process is hung up and
// its record closed (a flow is never resumed half way); any other is
// attached as if its StasisStart had just arrived.
func (m *Manager) reattach(ctx context.Context, live map[string]ariv6.ChannelData, tracked map[string]bool, openByChannel map[string]string) (attached, finished int, err error) {
	for id, ch := range live {
		if tracked[id] || ch.Dialplan == nil || !strings.EqualFold(ch.Dialplan.AppName, "Stasis") {
			continue
		}
		args := strings.Split(ch.Dialplan.AppData, ",")
		if len(args) == 0 || args[0] != m.client.app {
			continue
		}
		if att, ok := openByChannel[id]; ok {
			if err := m.client.Hangup(ctx, id, ""); err != nil && !errors.Is(err, ErrNotFound) {
				m.log.Warn("hang up orphaned channel", "channel", id, "error", err)
			}
			end := AttemptEnd{EndedAt: time.Now(), Status: StatusFailed, IfAnswered: StatusAnswered, FinishReason: "reconciled: Switchyard restarted during the call; hung up"}
			if err := m.cfg.Recorder.AttemptFinished(ctx, att, end); err != nil {
				return attached, finished, fmt.Errorf("finish orphaned attempt %s: %w", att, err)
			}
			finished++
			continue
		}
		m.router.Dispatch(&ariv6.StasisStart{
			EventData: ariv6.EventData{Type: ariv6.Events.StasisStart, Application: m.client.app, Timestamp: ariv6.DateTime(time.Now())},
			Args:      args[1:], Channel: ch,
		})
		attached++
	}
	return attached, finished, nil
}

// unrouted handles events no call took: a StasisStart of a channel we do not
// know is a new call.
func (m *Manager) unrouted(ev ariv6.Event) {
	ss, ok := ev.(*ariv6.StasisStart)
	if !ok {
		return
	}
	id := ss.Channel.ID
	if len(ss.Args) > 0 && (ss.Args[0] == "leg" || ss.Args[0] == "snoop" || ss.Args[0] == "outbound") {
		// A leg or snoop channel whose owner is gone (e.g. after a
		// restart), or an outbound call nobody follows (an originate
		// given up as not placed that Asterisk carried out late):
		// nothing will drive it.
		go func() { _ = m.client.Hangup(context.Background(), id, "") }()
		return
	}
	m.mu.Lock()
	draining := m.draining
	m.mu.Unlock()
	if draining {
		go func() { _ = m.client.Hangup(context.Background(), id, "congestion") }()
		return
	}
	c := newCall(m, id) // routes the channel before the next event is read
	c.Inbound = true
	c.observe(ss)
	c.mb.Put(ss) // also visible to the handler
	m.mu.Lock()
	m.calls[id] = c
	m.created[id] = true
	m.mu.Unlock()
	m.start(c, func(ctx context.Context) error {
		var r Route
		if m.cfg.Route != nil {
			r = m.cfg.Route(ctx, ss)
		}
		if r.Attempt != nil {
			a := *r.Attempt
			a.ChannelID, a.Node, a.Inbound = id, m.cfg.Node, true
			if a.AttemptID == "" {
				a.AttemptID = uuid.NewString()
			}
			if a.CallID == "" {
				a.CallID = uuid.NewString()
			}
			if a.StartedAt.IsZero() {
				a.StartedAt = time.Time(ss.Timestamp)
			}
			if err := m.cfg.Recorder.AttemptStarted(ctx, a); err != nil {
				return fmt.Errorf("record inbound attempt: %w", err)
			}
			c.AttemptID = a.AttemptID
		}
		if r.Handler == nil {
			return nil
		}
		return r.Handler(ctx, c)
	})
}

// start runs a call's goroutine: the body, then hangup, the wait for the
// channel to go, and the record.
func (m *Manager) start(c *Call, body func(ctx context.Context) error) {
	m.wg.Add(1)
	if m.cfg.Hooks.LiveCalls != nil {
		m.cfg.Hooks.LiveCalls(1)
	}
	go func() {
		defer m.wg.Done()
		ctx, cancel := context.WithCancel(m.ctx)
		defer cancel()
		err := m.runBody(ctx, c, body)
		m.finish(c, err)
		c.release()
		close(c.done)
	}()
}

func (m *Manager) runBody(ctx context.Context, c *Call, body func(ctx context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
			m.log.Error("call handler panicked", "channel", c.ID, "panic", r)
		}
	}()
	return body(ctx)
}

// finish hangs the channel up if needed, waits for it to go, records the
// attempt and releases the call's routes.
func (m *Manager) finish(c *Call, herr error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*m.cfg.HangupGrace+5*time.Second)
	defer cancel()
	shutdown := m.ctx.Err() != nil
	if herr != nil && !errors.Is(herr, ErrHangup) && !errors.Is(herr, context.Canceled) {
		m.log.Warn("call handler failed", "channel", c.ID, "attempt", c.AttemptID, "error", herr)
		if c.reason == "" {
			c.reason = "error: " + herr.Error()
		}
	}
	for _, l := range c.legs {
		if !l.gone {
			_ = m.client.Hangup(ctx, l.ID, "")
		}
	}
	if !c.hungUp && c.weHungUp {
		// The handler asked for the hangup (with its cause) and returned
		// before the channel went: wait for it rather than hang up again,
		// which would replace the cause with 16.
		_ = c.WaitHangup(ctx, 2*time.Second)
	}
	if !c.hungUp {
		if shutdown && c.reason == "" {
			c.reason = "shutdown"
		}
		// Retry through a short loss of the link to Asterisk: a channel
		// left up would outlive its record.
		for try := 0; ; try++ {
			err := c.Hangup(ctx, "")
			if err == nil {
				break
			}
			if try == 0 {
				m.log.Warn("hangup at end of call failed; retrying", "channel", c.ID, "error", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(250 * time.Millisecond):
				continue
			}
			break
		}
		if err := c.WaitHangup(ctx, m.cfg.HangupGrace); err != nil {
			// The events for it may be lost with the connection; ask.
			if _, gerr := m.client.Channel(ctx, c.ID); errors.Is(gerr, ErrNotFound) {
				c.markGone(0, "", "hangup")
			} else {
				m.log.Warn("channel did not go after hangup", "channel", c.ID, "error", err)
				c.markGone(0, "", "hangup requested; channel state unknown")
			}
		}
	}
	// Drain what is already queued (ChannelDestroyed carries the cause).
	if !c.destroyed {
		// StasisEnd came first; ChannelDestroyed (with the cause) follows
		// within milliseconds.
		_, _ = c.consume(ctx, 500*time.Millisecond, false, func(ariv6.Event) bool { return c.destroyed })
	}
	for _, r := range c.routes {
		if r.kind == KindBridge {
			_ = m.client.DestroyBridge(ctx, r.id)
		}
	}
	// The channels are gone: the line is free (a dialer may place its
	// next call while this one's record is written).
	c.release()
	// The record is written while the call is still tracked, so a
	// concurrent reconciliation never finishes it first.
	if c.AttemptID != "" {
		status := c.status
		if status == "" {
			status = DefaultStatus(c)
		}
		reason := c.reason
		if reason == "" {
			reason = "hangup"
		}
		cause, causeText := c.cause, c.causeText
		if cause == 0 && c.weHungUp && !c.remote {
			// We ended the call and Asterisk's cause never reached us
			// (the channel went with the link, or its ChannelDestroyed
			// was late): record the cause we asked for.
			cause = CauseForReason(c.hangupReason)
		}
		if causeText == "" {
			causeText = CauseText(cause)
		}
		end := AttemptEnd{
			EndedAt: time.Now(), AnsweredAt: c.answeredAt, Status: status, HangupCause: cause,
			CauseText: causeText, RemoteHangup: c.remote, FinishReason: reason, DTMF: c.dtmfAll.String(),
		}
		// Retried through a store outage: the record, and the dialer's
		// outcome that waits for the call's end, must not be lost.
		if err := m.retryWrite(m.ctx, "finish", c.AttemptID, func(ctx context.Context) error {
			return m.cfg.Recorder.AttemptFinished(ctx, c.AttemptID, end)
		}); err != nil {
			m.log.Error("record attempt end", "attempt", c.AttemptID, "error", err)
		}
	}
	c.unrouteAll()
	m.mu.Lock()
	delete(m.calls, c.ID)
	delete(m.created, c.ID)
	for id := range c.legs {
		delete(m.created, id)
	}
	m.mu.Unlock()
	if m.cfg.Hooks.LiveCalls != nil {
		m.cfg.Hooks.LiveCalls(-1)
	}
}
