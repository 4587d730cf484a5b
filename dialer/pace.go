package dialer

import (
	"context"
	"math"
	"time"
)

// Clock is the pacer's time source (injectable in tests).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time                         { return time.Now() }
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AgentState reports live agent state for a queue.
type AgentState interface {
	FreeAgents(ctx context.Context, queue string) (int, error)
}

// AgentStateFunc adapts a function to AgentState (the test fake and a
// simple adapter for the queue component).
type AgentStateFunc func(ctx context.Context, queue string) (int, error)

func (f AgentStateFunc) FreeAgents(ctx context.Context, queue string) (int, error) {
	return f(ctx, queue)
}

// Want is the number of new calls a campaign may start now.
//
//   - multicast: fill up to SimultaneousCalls;
//   - progressive: one call per free agent (never more), and never above
//     SimultaneousCalls;
//   - multiplied: floor(free agents × multiplier) (seed: 2 × 3 = 6), capped
//     by SimultaneousCalls.
//
// For the agent-paced modes the target is the number of calls that should
// be in progress, so calls already ringing count against it. A multicast
// campaign with OnlyWhenFreeMembers set behaves as progressive (seed: "this
// will be the limit").
func Want(c *Campaign, active, freeAgents int, globalMultiplier float64) int {
	target := c.SimultaneousCalls
	mode := c.Mode
	if mode == ModeMulticast && c.OnlyWhenFreeMembers {
		mode = ModeProgressive
	}
	switch mode {
	case ModeProgressive:
		target = min(target, max(freeAgents, 0))
	case ModeMultiplied:
		n := math.Floor(float64(max(freeAgents, 0))*c.EffectiveMultiplier(globalMultiplier) + 1e-9)
		target = min(target, int(n))
	}
	if n := target - active; n > 0 {
		return n
	}
	return 0
}

// NeedsAgents reports whether Want depends on the live agent count.
func NeedsAgents(c *Campaign) bool {
	return c.Mode == ModeProgressive || c.Mode == ModeMultiplied || c.OnlyWhenFreeMembers
}

// Retryable reports whether a final call status is a failed outcome that
// earns another attempt (seed 003's "states when the outbound destination
// was not reached", except CANCEL, which we caused).
func Retryable(status string) bool {
	switch status {
	case "BUSY", "NOANSWER", "CONGESTION", "chanunavail", "noroute", "FAILED":
		return true
	}
	return false
}

// MaxReschedules is how many attempts a campaign may add to DialAttempts
// through reschedules ($flow.syskey.rescheduledCall = yes).
const MaxReschedules = 3

// MaxAttempts is the most attempts a record of the campaign can get:
// failed outcomes retry up to DialAttempts, reschedules up to
// MaxReschedules more. The store claims no record beyond it.
func MaxAttempts(c *Campaign) int { return c.DialAttempts + MaxReschedules }

// Next decides what happens to a record after an attempt: retry (with the
// time of the next attempt) or final. attempt is the 1-based attempt just
// made; rescheduled is $flow.syskey.rescheduledCall = yes (or the other
// reschedule syskeys), rescheduleAt its time (zero: after the retry
// interval).
func Next(c *Campaign, status string, attempt int, rescheduled bool, rescheduleAt, now time.Time) (retry bool, at time.Time) {
	if rescheduled && attempt < MaxAttempts(c) {
		if rescheduleAt.IsZero() || rescheduleAt.Before(now) {
			rescheduleAt = now.Add(c.RetryInterval())
		}
		return true, rescheduleAt
	}
	if Retryable(status) && attempt < c.DialAttempts {
		return true, now.Add(c.RetryInterval())
	}
	return false, time.Time{}
}
