package acd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// session is a persistent agent's line: up from login to logout, waiting
// in its own bridge (music on hold while idle); each customer is added to
// that bridge. Fields other than the channels are guarded by ACD.mu.
type session struct {
	call     *ari.Call
	bridgeID string
	ready    bool          // waiting in the bridge
	readyCh  chan struct{} // closed once ready
	done     chan struct{} // closed when the session has ended
	wake     chan struct{} // wakes the session's goroutine
	hangup   bool          // logout requested
	moh      bool          // restart music on hold (the customer left)
	conv     *offer        // the customer connected now
}

func newSession() *session {
	return &session{readyCh: make(chan struct{}), done: make(chan struct{}), wake: make(chan struct{}, 1)}
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// stop asks the session to hang up (under ACD.mu).
func (s *session) stop() {
	s.hangup = true
	s.signal()
}

// agentMOH is the class the idle agent hears.
const agentMOH = "default"

// startSession calls the agent's line into the application and waits
// until it answered and sits in its bridge.
func (a *ACD) startSession(ctx context.Context, ag *agent, cfg acdconfig.Agent, s *session) error {
	a.sessions.Add(1)
	c, err := a.o.Manager.Originate(ctx, ari.OriginateParams{
		Endpoint: a.dialstring(cfg), CallerID: cfg.CLI, Timeout: 30 * time.Second,
		Args: []string{"acd-agent", fmt.Sprint(cfg.AccountID), fmt.Sprint(cfg.ID)},
		Handler: func(ctx context.Context, c *ari.Call) error {
			return a.runSession(ctx, ag, s, c)
		},
	})
	if err != nil {
		a.sessions.Done()
		a.sessionGone(ag, s)
		if errors.Is(err, ari.ErrNotConnected) || errors.Is(err, ari.ErrDraining) || ctx.Err() != nil {
			return fmt.Errorf("acd: call agent %d's line: %w", cfg.ID, err)
		}
		// Asterisk refused the call (no such endpoint or trunk, a bad
		// number): retrying the login cannot help until the agent's
		// number or the server's agent endpoint is fixed.
		a.log.Warn("agent line refused by Asterisk", "agent", cfg.ID, "dial", a.dialstring(cfg), "error", err)
		return &switchyard.Error{Code: ErrUnreachable.Code, Err: fmt.Errorf("%w: agent %d: %v", ErrUnreachable, cfg.ID, err),
			Message: fmt.Sprintf("Asterisk refused the call to agent %d's line %s; check the agent's number and the server's agent endpoint (SWITCHYARD_AGENT_ENDPOINT)", cfg.ID, a.dialstring(cfg))}
	}
	go func() { <-c.Done(); a.sessionGone(ag, s); a.sessions.Done() }()
	t := time.NewTimer(a.o.SessionLogin)
	defer t.Stop()
	select {
	case <-s.readyCh:
		return nil
	case <-s.done:
	case <-c.Done():
	case <-ctx.Done():
	case <-t.C:
	}
	a.mu.Lock()
	s.stop()
	a.mu.Unlock()
	if err := a.o.Manager.Client().Hangup(context.WithoutCancel(ctx), c.ID, ""); err != nil && !errors.Is(err, ari.ErrNotFound) {
		a.log.Warn("hang up agent line after failed login", "agent", cfg.ID, "error", err)
	}
	a.sessionGone(ag, s)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return ErrUnreachable.New("", "agent %d's line did not answer (%s)", cfg.ID, a.dialstring(cfg))
}

// runSession is the agent line's goroutine.
func (a *ACD) runSession(ctx context.Context, ag *agent, s *session, c *ari.Call) error {
	defer a.sessionGone(ag, s)
	b, err := c.CreateBridge(ctx, "mixing")
	if err != nil {
		return err
	}
	defer func() { _ = b.Destroy(context.WithoutCancel(ctx)) }()
	if err := b.Add(ctx, c.ID); err != nil {
		return err
	}
	if err := b.StartMOH(ctx, agentMOH); err != nil {
		return fmt.Errorf("agent music on hold: %w", err)
	}
	a.mu.Lock()
	if s.hangup || a.closed {
		a.mu.Unlock()
		return nil
	}
	s.call, s.bridgeID, s.ready = c, b.ID, true
	close(s.readyCh)
	ag.idleSince = a.o.Now()
	a.setStateLocked(ag, StateAvailable, "")
	a.kickAgentLocked(ag)
	a.mu.Unlock()
	for {
		a.mu.Lock()
		hang, moh := s.hangup, s.moh
		s.moh = false
		a.mu.Unlock()
		if hang {
			return nil // the manager hangs the line up
		}
		if moh {
			if err := c.Client().StartBridgeMOH(ctx, b.ID, agentMOH); err != nil && !c.HungUp() {
				a.log.Warn("restart agent music on hold", "agent", ag.cfg.ID, "error", err)
			}
		}
		if err := c.WaitWake(ctx, s.wake, 0); err != nil {
			if errors.Is(err, ari.ErrHangup) || ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}

// sessionGone ends a persistent session (the line hung up, logout, or
// the line never answered): the agent is logged out and a customer
// connected now is released.
func (a *ACD) sessionGone(ag *agent, s *session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if ag.sess != s {
		return
	}
	ag.sess = nil
	s.hangup = true
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	if ag.state != StateLoggedOut {
		a.setStateLocked(ag, StateLoggedOut, "")
	}
	if o := s.conv; o != nil {
		s.conv = nil
		o.closeConvLocked()
		if o.rec.AnsweredAt.IsZero() {
			a.releaseLocked(ag, o, "missed")
		} else {
			a.endCallLocked(ag, o, true)
		}
	}
	ag.pendingLogout, ag.pendingPause = false, ""
	if ag.cur != nil { // in wrap-up
		a.finishWrapLocked(ag, "")
	}
}
