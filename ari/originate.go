package ari

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"
)

// Originate places an outbound call. Its events are routed before the
// channel exists (pre-assigned ID), its record is written, and a goroutine
// runs Handler once the channel answers, or records the failure. It
// returns once Asterisk accepted the originate, or once an originate whose
// answer was lost with the link has been settled as placed (placement.go).
//
// The steps: admit (running, not draining, connected) → track the call →
// record its start (never a call without its record) → send the originate
// with its placement mark → classify the outcome (placed, not placed and
// to be made again, failed) → follow the call in its own goroutine.
func (m *Manager) Originate(ctx context.Context, p OriginateParams) (*Call, error) {
	if err := m.admit(); err != nil {
		return nil, err
	}
	if p.Timeout <= 0 {
		p.Timeout = 30 * time.Second
	}
	c := m.trackOutbound(p)
	if err := m.recordStart(ctx, c, p.Attempt); err != nil {
		m.untrack(c)
		return nil, fmt.Errorf("%w: %w", ErrNotRecorded, err)
	}
	mark, slot := m.marks.take()
	defer m.marks.give(slot)
	run := m.runOfThisLink(ctx)

	err := m.client.originate(ctx, m.originateRequest(c, p, mark), nil)
	inDoubt := false
	switch {
	case err == nil:
	case unavailable(err, m.sinceConnect()) || m.shuttingDown(ctx, err):
		// Asterisk could not take the call: Available turns false for
		// a moment and the attempt is made again once it is back.
		m.mu.Lock()
		m.refusedAt = time.Now()
		m.mu.Unlock()
		m.notPlaced(ctx, c)
		return nil, fmt.Errorf("originate %s: %w: %w", p.Endpoint, ErrUnavailable, err)
	case timedOut(ctx, err):
		// No answer within the request timeout, the link still up:
		// Asterisk may still be working on it (it is busy), so the call
		// counts as placed and its events settle it.
		m.log.Warn("originate answer timed out; the call counts as placed", "channel", c.ID, "error", err)
		c.uncertain = true
	case lostInTransit(ctx, err):
		if m.settleLost(ctx, c, mark, run, err) == notPlaced {
			m.notPlaced(ctx, c)
			return nil, fmt.Errorf("originate %s: %w: request lost with the link: %w", p.Endpoint, ErrUnavailable, err)
		}
		inDoubt = true
	case duplicateChannel(err):
		// A channel with this attempt's ID exists: an earlier originate
		// of the same attempt got through after all. It is that call.
		m.log.Warn("originate refused: the attempt's channel already exists; following it", "channel", c.ID)
		c.uncertain, inDoubt = true, true
	default:
		m.untrack(c)
		m.recordOriginateFailure(ctx, c, err)
		return nil, fmt.Errorf("originate %s: %w", p.Endpoint, err)
	}

	if p.Context != "" {
		// A dialplan originate does not subscribe the application to the
		// channel; subscribe so its hangup cause reaches us.
		if err := m.client.Subscribe(ctx, "channel:"+c.ID); err != nil && !errors.Is(err, ErrNotFound) {
			m.log.Warn("subscribe to originated channel", "channel", c.ID, "error", err)
		}
	}
	m.mu.Lock()
	m.created[c.ID] = true
	m.mu.Unlock()
	if inDoubt {
		// The reconcile of the reconnect ran before this call was known
		// to exist: its missed answer or end is looked up now.
		defer m.recheck(context.WithoutCancel(ctx), c.ID)
	}
	m.start(c, func(ctx context.Context) error { return m.followOutbound(ctx, c, p) })
	return c, nil
}

// admit refuses new calls unless the manager runs, is not draining and its
// events stream is connected (the call's events could not be received).
func (m *Manager) admit() error {
	select {
	case <-m.ready:
	default:
		return fmt.Errorf("%w: manager not running", ErrNotConnected)
	}
	m.mu.Lock()
	draining := m.draining
	m.mu.Unlock()
	if draining {
		return ErrDraining
	}
	if !m.stream.State().Connected {
		return ErrNotConnected
	}
	return nil
}

// trackOutbound creates the call under its attempt's ID (one ID for record
// and channel) and tracks it before its record exists, so reconciliation
// never takes the new open record for a stale one.
func (m *Manager) trackOutbound(p OriginateParams) *Call {
	id := uuid.NewString()
	if p.Attempt != nil && p.Attempt.AttemptID != "" {
		id = p.Attempt.AttemptID
	}
	c := newCall(m, id)
	c.Args = append([]string{"outbound"}, p.Args...)
	m.mu.Lock()
	m.calls[id] = c
	m.mu.Unlock()
	return c
}

func (m *Manager) untrack(c *Call) {
	m.mu.Lock()
	delete(m.calls, c.ID)
	m.mu.Unlock()
	c.unrouteAll()
}

// recordStart writes the attempt's record (nothing for an unrecorded call).
func (m *Manager) recordStart(ctx context.Context, c *Call, at *Attempt) error {
	if at == nil {
		return nil
	}
	a := *at
	a.ChannelID, a.Node = c.ID, m.cfg.Node
	if a.AttemptID == "" {
		a.AttemptID = c.ID
	}
	if a.CallID == "" {
		a.CallID = uuid.NewString()
	}
	if a.StartedAt.IsZero() {
		a.StartedAt = time.Now()
	}
	if err := m.cfg.Recorder.AttemptStarted(ctx, a); err != nil {
		return err
	}
	c.AttemptID = a.AttemptID
	return nil
}

// originateRequest builds the request: into the application (or a
// dialplan location), with the call's placement mark among its variables —
// Asterisk sets it to the channel's ID as it creates the channel.
func (m *Manager) originateRequest(c *Call, p OriginateParams, mark string) OriginateRequest {
	vars := make(map[string]string, len(p.Variables)+1)
	for k, v := range p.Variables {
		vars[k] = v
	}
	vars["GLOBAL("+mark+")"] = c.ID
	req := OriginateRequest{
		Endpoint: p.Endpoint, CallerID: p.CallerID, Timeout: int(p.Timeout / time.Second),
		ChannelID: c.ID, Variables: vars,
	}
	if p.Context != "" {
		req.Context, req.Extension, req.Priority = p.Context, p.Extension, 1
		if req.Extension == "" {
			req.Extension = "s"
		}
	} else {
		req.App, req.AppArgs = m.client.app, strings.Join(c.Args, ",")
	}
	return req
}

// lostInTransit: the link failed after the request was written (no answer
// from Asterisk at all, and not our own cancellation): Asterisk may have
// created the channel.
func lostInTransit(ctx context.Context, err error) bool {
	var ariErr *Error
	return !errors.As(err, &ariErr) && ctx.Err() == nil
}

// timedOut: the request got no answer within the client's request timeout
// (not the caller's own deadline).
func timedOut(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// duplicateChannel: Asterisk refused the originate because a channel with
// its ID exists.
func duplicateChannel(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Status == 409 && strings.Contains(strings.ToLower(ae.Message), "unique id already exists")
}

// settleLost settles an originate whose answer was lost: once the link is
// back, the channel or its placement mark tells. Anything but notPlaced
// counts as placed (never dialed twice); a channel that has ended is then
// recorded as the lost originate (ReasonOriginateLost).
func (m *Manager) settleLost(ctx context.Context, c *Call, mark string, run asteriskRun, err error) placement {
	m.log.Warn("originate answer lost with the link; settling it once Asterisk answers", "channel", c.ID, "error", err)
	pl := m.settle(ctx, c.ID, mark, run, time.Now())
	m.log.Info("originate in doubt settled", "channel", c.ID, "placement", pl.String())
	if pl != notPlaced {
		c.uncertain = true
	}
	return pl
}

// notPlaced forgets a call Asterisk never created: its record goes, and
// the attempt is made again later under the same ID.
func (m *Manager) notPlaced(ctx context.Context, c *Call) {
	m.untrack(c)
	if c.AttemptID != "" {
		m.discard(ctx, c.AttemptID)
	}
}

// recordOriginateFailure closes the record of an originate Asterisk
// refused for the call's own reason (bad endpoint, no route...).
func (m *Manager) recordOriginateFailure(ctx context.Context, c *Call, err error) {
	if c.AttemptID == "" {
		return
	}
	end := AttemptEnd{EndedAt: time.Now(), Status: StatusForOriginateError(err), FinishReason: "originate failed: " + err.Error()}
	if rerr := m.cfg.Recorder.AttemptFinished(context.WithoutCancel(ctx), c.AttemptID, end); rerr != nil {
		m.log.Error("record failed originate", "attempt", c.AttemptID, "error", rerr)
	}
}

// followOutbound is the call's goroutine body: wait for the answer (or the
// failure), record the answer time, then run the handler.
func (m *Manager) followOutbound(ctx context.Context, c *Call, p OriginateParams) error {
	if !c.started {
		_, err := c.waitFor(ctx, p.Timeout+15*time.Second, func(ariv6.Event) bool { return c.started })
		if err == nil && c.started {
			m.recordAnswer(c, c.answeredAt)
		}
		if err != nil {
			if p.Failed != nil {
				p.Failed(c)
			}
			if errors.Is(err, ErrTimeout) {
				c.reason = "no answer or failure event within ring timeout"
				return nil
			}
			if errors.Is(err, ErrHangup) {
				return nil // unanswered: status from cause
			}
			return err
		}
	}
	if p.Handler == nil {
		return nil
	}
	return p.Handler(ctx, c)
}
