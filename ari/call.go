package ari

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"
)

// Errors returned by call operations.
var (
	// ErrHangup: the call's channel hung up (or left Stasis) before or
	// during the operation.
	ErrHangup = errors.New("ari: call hung up")
	// ErrTimeout: the awaited event did not come in time.
	ErrTimeout = errors.New("ari: timed out waiting for event")
)

// Call is one channel in the Stasis application, driven by one goroutine.
// Its methods must only be used from that goroutine (the handler's).
type Call struct {
	ID        string   // Asterisk channel ID
	AttemptID string   // store record for this attempt ("" if unrecorded)
	Args      []string // Stasis arguments
	Inbound   bool
	Channel   ariv6.ChannelData // as of StasisStart

	client *Client
	router *Router
	mb     *Mailbox
	m      *Manager

	answeredAt time.Time
	started    bool // StasisStart seen
	hungUp     bool
	destroyed  bool // ChannelDestroyed seen (cause final)
	cause      int
	causeText  string
	remote     bool // hangup not requested by us
	weHungUp   bool
	// hangupReason is the reason of our hangup request (the cause the
	// record falls back to when Asterisk's own never arrived).
	hangupReason string
	reason       string // finish reason for the record
	status       string // outcome status set by the handler
	dtmfAll      strings.Builder
	pending      []byte // digits not yet consumed by Gather
	routes       []routeKey
	legs         map[string]*Leg
	done         chan struct{} // closed when the call is finished and recorded
	released     chan struct{} // closed when its channels are gone (before the record)
	releaseOnce  sync.Once
	uncertain    bool // originate request failed in transit
}

func newCall(m *Manager, id string) *Call {
	c := &Call{ID: id, client: m.client, router: m.router, mb: NewMailbox(), m: m, done: make(chan struct{}), released: make(chan struct{})}
	c.route(KindChannel, id)
	return c
}

// route sends events for (kind, id) to this call's mailbox until the call ends.
func (c *Call) route(kind, id string) {
	c.router.Register(kind, id, c.mb)
	c.routes = append(c.routes, routeKey{kind, id})
}

func (c *Call) unroute(kind, id string) {
	c.router.Unregister(kind, id)
	for i, r := range c.routes {
		if r.kind == kind && r.id == id {
			c.routes = append(c.routes[:i], c.routes[i+1:]...)
			break
		}
	}
}

func (c *Call) unrouteAll() {
	for _, r := range c.routes {
		c.router.Unregister(r.kind, r.id)
	}
	c.routes = nil
}

// Done is closed once the call has ended and its attempt is recorded. It
// may be used from any goroutine.
func (c *Call) Done() <-chan struct{} { return c.done }

// Released is closed once the call's channels are gone (its line on the
// trunk is free): when the events that end them reach the call (its
// handler may still be finishing), or at the latest before its attempt is
// recorded; Done follows. It may be
// used from any goroutine.
func (c *Call) Released() <-chan struct{} { return c.released }

func (c *Call) release() { c.releaseOnce.Do(func() { close(c.released) }) }

// Started reports whether the channel's StasisStart reached the call (it
// was answered and entered the application). From another goroutine it is
// only valid after Done.
func (c *Call) Started() bool { return c.started }

// Client gives handlers direct REST access for operations not wrapped here.
func (c *Call) Client() *Client { return c.client }

// HungUp reports whether the channel has hung up.
func (c *Call) HungUp() bool { return c.hungUp }

// Cause is the Q.850 hangup cause (0 while up).
func (c *Call) Cause() (int, string) { return c.cause, c.causeText }

// RemoteHangup reports whether the far end hung up (not Switchyard).
func (c *Call) RemoteHangup() bool { return c.hungUp && c.remote }

// AnsweredAt is when the call was answered (zero if never).
func (c *Call) AnsweredAt() time.Time { return c.answeredAt }

// DTMF returns every digit received on the call so far.
func (c *Call) DTMF() string { return c.dtmfAll.String() }

// SetStatus records the call's outcome status (e.g. IVR_FINISHED).
func (c *Call) SetStatus(s string) { c.status = s }

// Status returns the outcome status set so far.
func (c *Call) Status() string { return c.status }

// observe folds an event into the call's state.
func (c *Call) observe(ev ariv6.Event) {
	switch e := ev.(type) {
	case *ariv6.StasisStart:
		if e.Channel.ID == c.ID {
			c.started = true
			c.Channel = e.Channel
			c.Args = e.Args
			if e.Channel.State == "Up" && c.answeredAt.IsZero() {
				c.answeredAt = time.Time(e.Timestamp)
			}
		} else if l := c.legs[e.Channel.ID]; l != nil {
			l.up = true
			l.answeredAt = time.Time(e.Timestamp)
		}
	case *ariv6.ChannelStateChange:
		if e.Channel.ID == c.ID && e.Channel.State == "Up" && c.answeredAt.IsZero() {
			c.answeredAt = time.Time(e.Timestamp)
		}
	case *ariv6.ChannelDtmfReceived:
		if e.Channel.ID == c.ID && e.Digit != "" {
			c.dtmfAll.WriteString(e.Digit)
			c.pending = append(c.pending, e.Digit[0])
		}
	case *ariv6.ChannelHangupRequest:
		// A soft request is Stasis letting go of the channel, not the
		// hangup itself; a hard one is the hangup, whose cause the
		// following ChannelDestroyed confirms.
		if e.Soft {
			break
		}
		if e.Channel.ID == c.ID {
			c.markGone(0, "", "hangup")
			if e.Cause != 0 && !c.destroyed {
				c.cause = e.Cause
			}
		} else if l := c.legs[e.Channel.ID]; l != nil && e.Cause != 0 && l.cause == 0 {
			l.cause = e.Cause
		}
	case *ariv6.StasisEnd:
		if e.Channel.ID == c.ID {
			c.markGone(0, "", "hangup")
		} else if l := c.legs[e.Channel.ID]; l != nil {
			l.gone = true
		}
	case *ariv6.ChannelDestroyed:
		if e.Channel.ID == c.ID {
			c.destroyed = true
			c.markGone(e.Cause, e.CauseTxt, "hangup")
		} else if l := c.legs[e.Channel.ID]; l != nil {
			l.gone = true
			if e.Cause != 0 {
				l.cause, l.causeText = e.Cause, e.CauseTxt
			}
		}
	case *ariv6.Dial:
		if l := c.legs[e.Peer.ID]; l != nil && e.Dialstatus != "" {
			l.dialStatus = e.Dialstatus
		}
	case *Resync:
		// Answered while the events link was down: the StasisStart was
		// missed, but the channel is up in the application.
		if e.ChannelID == c.ID && !c.started && e.Channel.State == "Up" {
			c.started = true
			c.Channel = e.Channel
			if c.answeredAt.IsZero() {
				c.answeredAt = time.Time(e.Timestamp)
			}
		} else if l := c.legs[e.ChannelID]; l != nil && !l.up && e.Channel.State == "Up" {
			l.up = true
			l.answeredAt = time.Time(e.Timestamp)
		}
	case *ChannelGone:
		if e.ChannelID == c.ID && c.uncertain && !c.started {
			// The originate request reached Asterisk (a request that was
			// never written is "not placed" at once), but its answer was
			// lost with the link and the channel had ended before the
			// reconnect: it may have rung the customer, so it counts as
			// placed — never dialed twice for this attempt.
			c.markGone(0, "", ReasonOriginateLost)
			c.status = StatusFailed
		} else if e.ChannelID == c.ID {
			c.markGone(0, "", "reconciled: channel gone while ARI was disconnected")
		} else if l := c.legs[e.ChannelID]; l != nil {
			l.gone = true
		}
	}
	c.releaseIfGone()
}

// releaseIfGone releases the call's line once its channel is gone (as the
// Manager counts it: hung up, destroyed or out of the application) and
// none of its legs is still up: a dialer may place its next call while
// this one's flow finishes (its journey saved) and its attempt is
// recorded.
func (c *Call) releaseIfGone() {
	if !c.hungUp {
		return
	}
	for _, l := range c.legs {
		if !l.gone {
			return
		}
	}
	c.release()
}

// ReasonOriginateLost is the finish reason of an originate whose request
// went out but whose answer was lost with the link, its channel ended
// before the reconnect: counted as placed, never dialed twice.
const ReasonOriginateLost = "originate answer lost with the link to Asterisk; the channel ended before the reconnect"

func (c *Call) markGone(cause int, text, reason string) {
	if !c.hungUp {
		c.hungUp = true
		if !c.weHungUp {
			c.remote = true
		}
	}
	if cause != 0 {
		c.cause, c.causeText = cause, text
	}
	if c.reason == "" || (reason != "hangup" && c.reason == "hangup") {
		c.reason = reason
	}
}

// Next waits for the call's next event, up to timeout (0 = no timeout
// beyond ctx), after folding it into the call's state.
func (c *Call) Next(ctx context.Context, timeout time.Duration) (ariv6.Event, error) {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	for {
		if ev, ok := c.mb.TryNext(); ok {
			c.observe(ev)
			return ev, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tc:
			return nil, ErrTimeout
		case <-c.mb.Ready():
		}
	}
}

// consume folds events into the call's state until match returns true,
// the call hangs up (ErrHangup, when stopOnHangup), timeout passes
// (ErrTimeout; 0 = no timeout beyond ctx) or ctx ends.
func (c *Call) consume(ctx context.Context, timeout time.Duration, stopOnHangup bool, match func(ariv6.Event) bool) (ariv6.Event, error) {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	for {
		if stopOnHangup && c.hungUp {
			return nil, ErrHangup
		}
		if ev, ok := c.mb.TryNext(); ok {
			c.observe(ev)
			if match(ev) {
				return ev, nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tc:
			return nil, ErrTimeout
		case <-c.mb.Ready():
		}
	}
}

// waitFor consumes events until match returns true, the call hangs up
// (ErrHangup), timeout passes (ErrTimeout) or ctx ends.
func (c *Call) waitFor(ctx context.Context, timeout time.Duration, match func(ariv6.Event) bool) (ariv6.Event, error) {
	return c.consume(ctx, timeout, true, match)
}

// Wait lets d pass while handling events; it ends early with ErrHangup.
func (c *Call) Wait(ctx context.Context, d time.Duration) error {
	_, err := c.waitFor(ctx, d, func(ariv6.Event) bool { return false })
	if errors.Is(err, ErrTimeout) {
		return nil
	}
	return err
}

// WaitHangup waits for the channel to hang up; it returns nil on hangup,
// ErrTimeout when timeout passes first.
func (c *Call) WaitHangup(ctx context.Context, timeout time.Duration) error {
	_, err := c.waitFor(ctx, timeout, func(ariv6.Event) bool { return false })
	if errors.Is(err, ErrHangup) {
		return nil
	}
	return err
}

func (c *Call) check(err error) error {
	if err == nil {
		return nil
	}
	if c.hungUp {
		return fmt.Errorf("%w: %v", ErrHangup, err)
	}
	// A 404 for our own channel means it is gone even if its events are
	// still in flight.
	if errors.Is(err, ErrNotFound) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if _, gerr := c.client.Channel(ctx, c.ID); errors.Is(gerr, ErrNotFound) {
			c.markGone(0, "", "hangup")
			return fmt.Errorf("%w: %v", ErrHangup, err)
		}
	}
	return err
}

// Answer answers the channel.
func (c *Call) Answer(ctx context.Context) error {
	if c.hungUp {
		return ErrHangup
	}
	if err := c.check(c.client.Answer(ctx, c.ID)); err != nil {
		return fmt.Errorf("answer %s: %w", c.ID, err)
	}
	if c.answeredAt.IsZero() {
		c.answeredAt = time.Now()
	}
	return nil
}

// Hangup hangs the channel up (reason as for Client.Hangup). Hanging up a
// channel that is already gone is not an error.
func (c *Call) Hangup(ctx context.Context, reason string) error {
	if c.hungUp {
		return nil
	}
	c.weHungUp = true
	c.hangupReason = reason
	err := c.client.Hangup(ctx, c.ID, reason)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("hangup %s: %w", c.ID, err)
	}
	return nil
}

// SetVar sets a channel variable.
func (c *Call) SetVar(ctx context.Context, name, value string) error {
	return c.check(c.client.SetVar(ctx, c.ID, name, value))
}

// GetVar reads a channel variable or dialplan function.
func (c *Call) GetVar(ctx context.Context, name string) (string, error) {
	v, err := c.client.GetVar(ctx, c.ID, name)
	return v, c.check(err)
}

// PlayOptions control Play.
type PlayOptions struct {
	// StopOnDTMF ends the playback at the first digit (barge-in); the digit
	// stays pending for the next Gather.
	StopOnDTMF bool
	// Timeout is a safety limit (default 10 minutes).
	Timeout time.Duration
}

// PlayResult tells how a playback ended.
type PlayResult struct {
	Interrupted bool // stopped by a digit
	State       string
}

// Play plays media (ARI media URIs, e.g. "sound:hello-world") and waits
// for PlaybackFinished.
func (c *Call) Play(ctx context.Context, opts PlayOptions, media ...string) (PlayResult, error) {
	if c.hungUp {
		return PlayResult{}, ErrHangup
	}
	if len(media) == 0 {
		return PlayResult{}, errors.New("play: no media")
	}
	if opts.StopOnDTMF && len(c.pending) > 0 {
		return PlayResult{Interrupted: true}, nil // typed ahead: skip the prompt
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	id := uuid.NewString()
	c.route(KindPlayback, id)
	defer c.unroute(KindPlayback, id)
	if _, err := c.client.Play(ctx, c.ID, id, media...); err != nil {
		return PlayResult{}, fmt.Errorf("play %v on %s: %w", media, c.ID, c.check(err))
	}
	var res PlayResult
	_, err := c.waitFor(ctx, opts.Timeout, func(ev ariv6.Event) bool {
		switch e := ev.(type) {
		case *ariv6.PlaybackFinished:
			if e.Playback.ID == id {
				res.State = e.Playback.State
				return true
			}
		case *ariv6.ChannelDtmfReceived:
			if opts.StopOnDTMF && e.Channel.ID == c.ID && !res.Interrupted {
				res.Interrupted = true
				if err := c.client.StopPlayback(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
					c.m.log.Warn("stop playback", "playback", id, "error", err)
				}
				return true
			}
		case *Resync:
			// Missed events while disconnected: a playback ARI no longer
			// knows has finished.
			if _, err := c.client.Playback(ctx, id); errors.Is(err, ErrNotFound) {
				res.State = "done"
				return true
			}
		}
		return false
	})
	if errors.Is(err, ErrTimeout) {
		_ = c.client.StopPlayback(ctx, id)
		return res, fmt.Errorf("play %v: %w", media, err)
	}
	if err == nil && res.State == "failed" {
		// A hangup makes a playback fail; so does missing media. Look at
		// the events already queued, then at the channel, to tell which.
		c.drainQueued()
		if !c.hungUp {
			if _, gerr := c.client.Channel(ctx, c.ID); errors.Is(gerr, ErrNotFound) {
				c.markGone(0, "", "hangup")
			}
		}
		if c.hungUp {
			return res, ErrHangup
		}
		return res, fmt.Errorf("play %v: playback failed (missing or unreadable media)", media)
	}
	return res, err
}

// drainQueued folds every event already in the mailbox into the call's
// state without waiting.
func (c *Call) drainQueued() {
	for {
		ev, ok := c.mb.TryNext()
		if !ok {
			return
		}
		c.observe(ev)
	}
}

// RecordOptions control Record.
type RecordOptions = RecordRequest

// RecordResult tells how a recording ended.
type RecordResult struct {
	Name     string
	Format   string
	Duration time.Duration
	State    string // done, failed, canceled
	Cause    string // failure cause
	HungUp   bool   // the caller hung up during the recording
}

// Record records the channel and waits for RecordingFinished or
// RecordingFailed. A hangup during recording still returns the finished
// recording (with HungUp set) and no error.
func (c *Call) Record(ctx context.Context, opts RecordOptions) (RecordResult, error) {
	if c.hungUp {
		return RecordResult{}, ErrHangup
	}
	if opts.Name == "" {
		opts.Name = "sy-" + uuid.NewString()
	}
	if opts.Format == "" {
		opts.Format = "wav"
	}
	c.route(KindRecording, opts.Name)
	defer c.unroute(KindRecording, opts.Name)
	if _, err := c.client.Record(ctx, c.ID, opts); err != nil {
		return RecordResult{}, fmt.Errorf("record %s: %w", c.ID, c.check(err))
	}
	res := RecordResult{Name: opts.Name, Format: opts.Format}
	limit := 10 * time.Minute
	if opts.MaxDuration > 0 {
		limit = opts.MaxDuration + 30*time.Second
	}
	done := func(ev ariv6.Event) bool {
		switch e := ev.(type) {
		case *ariv6.RecordingFinished:
			if e.Recording.Name == opts.Name {
				res.State, res.Duration = e.Recording.State, time.Duration(e.Recording.Duration)
				return true
			}
		case *ariv6.RecordingFailed:
			if e.Recording.Name == opts.Name {
				res.State, res.Cause = "failed", e.Recording.Cause
				return true
			}
		case *Resync:
			if _, err := c.client.LiveRecording(ctx, opts.Name); errors.Is(err, ErrNotFound) {
				res.State = "done"
				return true
			}
		}
		return false
	}
	_, err := c.waitFor(ctx, limit, done)
	if errors.Is(err, ErrHangup) {
		// Asterisk finishes the file when the channel goes; collect it.
		res.HungUp = true
		if _, err := c.consume(ctx, 5*time.Second, false, done); errors.Is(err, ErrTimeout) {
			res.State = "done"
		} else if err != nil {
			return res, err
		}
		return res, nil
	}
	if errors.Is(err, ErrTimeout) {
		_ = c.client.StopRecording(ctx, opts.Name)
	}
	if err == nil && res.State == "failed" {
		return res, fmt.Errorf("record %s: failed: %s", opts.Name, res.Cause)
	}
	return res, err
}

// GatherOptions control Gather.
type GatherOptions struct {
	Min, Max    int           // digit counts (Max 0 = no limit: end by terminator or timeout)
	Terminators string        // e.g. "#"; the terminator is not part of Digits
	FirstDigit  time.Duration // wait for the first digit (default 5s)
	InterDigit  time.Duration // wait between digits (default 3s)
	Overall     time.Duration // cap on the whole gather (0 = none)
	Prompt      []string      // media played first, interrupted by the first digit
}

// Gather end reasons.
const (
	GatherMax        = "max_digits"
	GatherTerminator = "terminator"
	GatherTimeout    = "timeout"     // no digit at all
	GatherInterDigit = "inter_digit" // stopped after some digits
	GatherOverall    = "overall_timeout"
)

// GatherResult is what Gather collected.
type GatherResult struct {
	Digits     string
	Terminator string
	Reason     string
	Valid      bool // at least Min digits
}

// Gather collects DTMF digits, including ones typed ahead during earlier
// prompts.
func (c *Call) Gather(ctx context.Context, o GatherOptions) (GatherResult, error) {
	if o.FirstDigit <= 0 {
		o.FirstDigit = 5 * time.Second
	}
	if o.InterDigit <= 0 {
		o.InterDigit = 3 * time.Second
	}
	var res GatherResult
	if len(o.Prompt) > 0 {
		if _, err := c.Play(ctx, PlayOptions{StopOnDTMF: true}, o.Prompt...); err != nil {
			return res, err
		}
	}
	var overall <-chan time.Time
	if o.Overall > 0 {
		t := time.NewTimer(o.Overall)
		defer t.Stop()
		overall = t.C
	}
	var digits []byte
	finish := func(reason string) (GatherResult, error) {
		res.Digits, res.Reason = string(digits), reason
		res.Valid = len(digits) >= o.Min && (o.Max == 0 || len(digits) <= o.Max) && len(digits) > 0
		return res, nil
	}
	wait := time.NewTimer(o.FirstDigit)
	defer wait.Stop()
	for {
		// Consume pending digits first.
		for len(c.pending) > 0 {
			d := c.pending[0]
			c.pending = c.pending[1:]
			if strings.IndexByte(o.Terminators, d) >= 0 {
				res.Terminator = string(d)
				return finish(GatherTerminator)
			}
			digits = append(digits, d)
			if o.Max > 0 && len(digits) >= o.Max {
				return finish(GatherMax)
			}
			wait.Reset(o.InterDigit)
		}
		if c.hungUp {
			res.Digits = string(digits)
			return res, ErrHangup
		}
		if ev, ok := c.mb.TryNext(); ok {
			c.observe(ev)
			continue
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-overall:
			return finish(GatherOverall)
		case <-wait.C:
			if len(digits) == 0 {
				return finish(GatherTimeout)
			}
			return finish(GatherInterDigit)
		case <-c.mb.Ready():
		}
	}
}

// FlushDTMF discards digits typed ahead.
func (c *Call) FlushDTMF() { c.pending = c.pending[:0] }

// Bridge is a bridge owned by a call; its events reach the call's mailbox.
type Bridge struct {
	ID   string
	call *Call
}

// CreateBridge creates a bridge (typ "mixing", "holding", "mixing,dtmf_events", …).
func (c *Call) CreateBridge(ctx context.Context, typ string) (*Bridge, error) {
	id := uuid.NewString()
	c.route(KindBridge, id)
	if _, err := c.client.CreateBridge(ctx, id, typ, ""); err != nil {
		c.unroute(KindBridge, id)
		return nil, fmt.Errorf("create %s bridge: %w", typ, err)
	}
	return &Bridge{ID: id, call: c}, nil
}

// Add adds channels to the bridge and waits until they have entered it.
func (b *Bridge) Add(ctx context.Context, channelIDs ...string) error {
	if err := b.call.client.AddToBridge(ctx, b.ID, "", channelIDs...); err != nil {
		return fmt.Errorf("add %v to bridge %s: %w", channelIDs, b.ID, b.call.check(err))
	}
	want := map[string]bool{}
	for _, id := range channelIDs {
		want[id] = true
	}
	_, err := b.call.waitFor(ctx, 10*time.Second, func(ev ariv6.Event) bool {
		if e, ok := ev.(*ariv6.ChannelEnteredBridge); ok && e.Bridge.ID == b.ID {
			delete(want, e.Channel.ID)
		}
		return len(want) == 0
	})
	return err
}

// Remove takes channels out of the bridge.
func (b *Bridge) Remove(ctx context.Context, channelIDs ...string) error {
	err := b.call.client.RemoveFromBridge(ctx, b.ID, channelIDs...)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("remove %v from bridge %s: %w", channelIDs, b.ID, err)
	}
	return nil
}

// StartMOH plays music on hold into the bridge.
func (b *Bridge) StartMOH(ctx context.Context, class string) error {
	return b.call.client.StartBridgeMOH(ctx, b.ID, class)
}

// StopMOH stops music on hold.
func (b *Bridge) StopMOH(ctx context.Context) error {
	return b.call.client.StopBridgeMOH(ctx, b.ID)
}

// Destroy destroys the bridge (channels in it stay up).
func (b *Bridge) Destroy(ctx context.Context) error {
	b.call.unroute(KindBridge, b.ID)
	err := b.call.client.DestroyBridge(ctx, b.ID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("destroy bridge %s: %w", b.ID, err)
	}
	return nil
}

// Leg is a second channel dialed by a call (a transfer target, an agent, a
// customer), whose events reach the owning call's mailbox.
type Leg struct {
	ID         string
	call       *Call
	up         bool
	gone       bool
	cause      int
	causeText  string
	dialStatus string
	answeredAt time.Time
}

// LegRequest describes a leg to dial.
type LegRequest struct {
	// ID is the leg's channel ID (default: a new UUID); set it to record
	// the leg under a known ID before it is dialed.
	ID        string
	Endpoint  string // e.g. PJSIP/agent1, Local/answer-silent@customers
	CallerID  string
	Timeout   time.Duration // ring timeout (default 30s)
	Variables map[string]string
}

// Dial errors: the leg ended before answering.
var ErrLegFailed = errors.New("ari: leg not answered")

// Dial originates a leg into the application and waits until it answers
// (enters Stasis), fails, or the call itself hangs up.
func (c *Call) Dial(ctx context.Context, r LegRequest) (*Leg, error) {
	if c.hungUp {
		return nil, ErrHangup
	}
	if r.Timeout <= 0 {
		r.Timeout = 30 * time.Second
	}
	id := r.ID
	if id == "" {
		id = uuid.NewString()
	}
	l := &Leg{ID: id, call: c}
	if c.legs == nil {
		c.legs = map[string]*Leg{}
	}
	c.legs[l.ID] = l
	c.route(KindChannel, l.ID)
	c.m.trackLeg(l.ID)
	err := c.client.originate(ctx, OriginateRequest{
		Endpoint: r.Endpoint, CallerID: r.CallerID, Timeout: int(r.Timeout.Seconds()),
		ChannelID: l.ID, AppArgs: "leg," + c.ID, Variables: r.Variables, Originator: c.ID,
	}, nil)
	if err != nil {
		c.dropLeg(l)
		return nil, fmt.Errorf("dial %s: %w", r.Endpoint, err)
	}
	c.m.legCreated(l.ID)
	_, err = c.waitFor(ctx, r.Timeout+10*time.Second, func(ev ariv6.Event) bool { return l.up || l.gone })
	if err != nil {
		if !l.gone {
			_ = c.client.Hangup(context.WithoutCancel(ctx), l.ID, "")
		}
		if errors.Is(err, ErrHangup) {
			return l, err // caller cancelled: IN_CANCEL
		}
		return l, fmt.Errorf("dial %s: %w", r.Endpoint, err)
	}
	if l.gone {
		return l, fmt.Errorf("dial %s: %w (cause %d %s)", r.Endpoint, ErrLegFailed, l.cause, l.causeText)
	}
	return l, nil
}

func (c *Call) dropLeg(l *Leg) {
	c.unroute(KindChannel, l.ID)
	delete(c.legs, l.ID)
	c.m.untrackLeg(l.ID)
}

// Up reports whether the leg answered and has not hung up.
func (l *Leg) Up() bool { return l.up && !l.gone }

// Gone reports whether the leg has hung up.
func (l *Leg) Gone() bool { return l.gone }

// Cause is the leg's hangup cause.
func (l *Leg) Cause() (int, string) { return l.cause, l.causeText }

// AnsweredAt is when the leg answered (zero if it did not).
func (l *Leg) AnsweredAt() time.Time { return l.answeredAt }

// DialStatus is the last Dial event status seen for the leg (ANSWER, BUSY,
// NOANSWER, CANCEL, CONGESTION, CHANUNAVAIL), if any.
func (l *Leg) DialStatus() string { return l.dialStatus }

// Hangup hangs the leg up.
func (l *Leg) Hangup(ctx context.Context) error {
	defer l.call.dropLeg(l)
	if l.gone {
		return nil
	}
	err := l.call.client.Hangup(ctx, l.ID, "")
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("hangup leg %s: %w", l.ID, err)
	}
	return nil
}
