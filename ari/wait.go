package ari

import (
	"context"
	"errors"
	"fmt"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"
)

// WaitWake handles the call's events until wake fires or is closed (nil),
// the call hangs up (ErrHangup), timeout passes (ErrTimeout; 0 = no timeout
// beyond ctx) or ctx ends. It lets another goroutine (a queue picking an
// agent) wake a call that otherwise only watches its own events.
func (c *Call) WaitWake(ctx context.Context, wake <-chan struct{}, timeout time.Duration) error {
	return c.WaitWakeFunc(ctx, wake, timeout, nil)
}

// WaitWakeFunc is WaitWake that also hands every event to fn (nil: none)
// after folding it into the call's state; when fn returns true the wait
// ends with nil, as if woken.
func (c *Call) WaitWakeFunc(ctx context.Context, wake <-chan struct{}, timeout time.Duration, fn func(ariv6.Event) bool) error {
	var tc <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		tc = t.C
	}
	for {
		if c.hungUp {
			return ErrHangup
		}
		if ev, ok := c.mb.TryNext(); ok {
			c.observe(ev)
			if fn != nil && fn(ev) {
				return nil
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tc:
			return ErrTimeout
		case <-wake:
			return nil
		case <-c.mb.Ready():
		}
	}
}

// WaitEvent handles the call's events until match returns true for one
// (returned), the call hangs up (ErrHangup), timeout passes (ErrTimeout;
// 0 = no timeout beyond ctx) or ctx ends. Events of the call's legs and
// bridges reach match too.
func (c *Call) WaitEvent(ctx context.Context, timeout time.Duration, match func(ariv6.Event) bool) (ariv6.Event, error) {
	return c.waitFor(ctx, timeout, match)
}

// DialAll originates every leg at once and waits until the first answers
// (ring-all); the others are hung up. It returns the index of the winner
// and, for every request, its leg (nil when the originate itself failed),
// so the caller can tell who was rung. With no winner the error is
// ErrLegFailed (every leg failed or rang out), ErrHangup (the call hung up
// first) or the context's error; every leg is then hung up.
func (c *Call) DialAll(ctx context.Context, reqs []LegRequest) (int, []*Leg, error) {
	if c.hungUp {
		return -1, nil, ErrHangup
	}
	if len(reqs) == 0 {
		return -1, nil, errors.New("dial all: no legs")
	}
	if c.legs == nil {
		c.legs = map[string]*Leg{}
	}
	legs := make([]*Leg, len(reqs))
	longest := time.Duration(0)
	var firstErr error
	placed := 0
	for i, r := range reqs {
		if r.Timeout <= 0 {
			r.Timeout = 30 * time.Second
		}
		longest = max(longest, r.Timeout)
		l := &Leg{ID: uuid.NewString(), call: c}
		c.legs[l.ID] = l
		c.route(KindChannel, l.ID)
		c.m.trackLeg(l.ID)
		err := c.client.originate(ctx, OriginateRequest{
			Endpoint: r.Endpoint, CallerID: r.CallerID, Timeout: int(r.Timeout.Seconds()),
			ChannelID: l.ID, AppArgs: "leg," + c.ID, Variables: r.Variables, Originator: c.ID,
		}, nil)
		if err != nil {
			c.dropLeg(l)
			if firstErr == nil {
				firstErr = fmt.Errorf("dial %s: %w", r.Endpoint, err)
			}
			continue
		}
		c.m.legCreated(l.ID)
		legs[i] = l
		placed++
	}
	hangupAll := func(except int) {
		for i, l := range legs {
			if l != nil && i != except {
				_ = l.Hangup(context.WithoutCancel(ctx))
			}
		}
	}
	if placed == 0 {
		return -1, legs, firstErr
	}
	winner := -1
	_, err := c.waitFor(ctx, longest+10*time.Second, func(ariv6.Event) bool {
		gone := 0
		for i, l := range legs {
			if l == nil {
				gone++
				continue
			}
			if l.up && !l.gone {
				winner = i
				return true
			}
			if l.gone {
				gone++
			}
		}
		return gone == len(legs)
	})
	hangupAll(winner)
	if err != nil {
		if winner >= 0 {
			_ = legs[winner].Hangup(context.WithoutCancel(ctx))
		}
		return -1, legs, err
	}
	if winner < 0 {
		return -1, legs, fmt.Errorf("dial all: %w", ErrLegFailed)
	}
	return winner, legs, nil
}

// StartPlay starts playing media to the call and returns at once with the
// playback's ID; its events (PlaybackFinished) reach the call's mailbox,
// e.g. for WaitWakeFunc. End it with StopPlay, or ForgetPlay once it
// finished.
func (c *Call) StartPlay(ctx context.Context, media ...string) (string, error) {
	if c.hungUp {
		return "", ErrHangup
	}
	id := uuid.NewString()
	c.route(KindPlayback, id)
	if _, err := c.client.Play(ctx, c.ID, id, media...); err != nil {
		c.unroute(KindPlayback, id)
		return "", fmt.Errorf("play %v on %s: %w", media, c.ID, c.check(err))
	}
	return id, nil
}

// StopPlay stops a playback started by StartPlay (finished already is
// fine) and releases its route.
func (c *Call) StopPlay(ctx context.Context, id string) error {
	c.unroute(KindPlayback, id)
	if err := c.client.StopPlayback(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("stop playback %s: %w", id, err)
	}
	return nil
}

// ForgetPlay releases the route of a finished playback.
func (c *Call) ForgetPlay(id string) { c.unroute(KindPlayback, id) }
