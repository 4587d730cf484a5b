package dialer

import (
	"context"
	"math"
	"strings"
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

// Staffing is a queue's live agent picture, as the ACD sees it.
type Staffing struct {
	// LoggedIn: members not logged out.
	LoggedIn int `json:"logged_in"`
	// Free: members available for a call right now.
	Free int `json:"free"`
	// Busy: members ringing, on a call or in wrap-up.
	Busy int `json:"busy"`
	// Waiting: callers queued for an agent.
	Waiting int `json:"waiting"`
	// AvgHandle is the mean talk + wrap-up time of the queue's calls
	// (0: unknown).
	AvgHandle time.Duration `json:"avg_handle"`
}

// AgentState reports live agent state for a queue of an account.
type AgentState interface {
	Staffing(ctx context.Context, accountID int64, queue string) (Staffing, error)
}

// AgentStateFunc adapts a function to AgentState (the test fake and a
// simple adapter for the queue component).
type AgentStateFunc func(ctx context.Context, accountID int64, queue string) (Staffing, error)

// Staffing calls f.
func (f AgentStateFunc) Staffing(ctx context.Context, accountID int64, queue string) (Staffing, error) {
	return f(ctx, accountID, queue)
}

// Want is the number of new calls a campaign may start now (predictive
// campaigns use Predictor.Want instead).
//
//   - multicast: fill up to SimultaneousCalls (active = all calls in
//     progress);
//   - progressive: one call per free agent, never more: Free − callers
//     already waiting − calls still ringing (active = ringing calls);
//   - multiplied: floor(Free × multiplier) (2 free agents × 3 = 6) −
//     waiting − ringing.
//
// Both agent-paced modes are capped by SimultaneousCalls. A multicast
// campaign with OnlyWhenFreeMembers set behaves as progressive ("Only dial
// out when there are free members in the queue": calls start until all the
// agents are occupied) and its Simultaneous calls setting is ignored. An answered call connected to an agent makes that
// agent Busy, so it is no longer in Free: the caller passes only the calls
// not yet answered as active for the agent-paced modes.
func Want(c *Campaign, active int, st Staffing, globalMultiplier float64) int {
	target := c.SimultaneousCalls
	free := max(st.Free-max(st.Waiting, 0), 0)
	switch effectiveMode(c) {
	case ModeProgressive, ModePredictive:
		if c.OnlyWhenFreeMembers {
			target = free // Simultaneous calls is ignored with this option
		} else {
			target = min(target, free)
		}
	case ModeMultiplied:
		n := math.Floor(float64(free)*c.EffectiveMultiplier(globalMultiplier) + 1e-9)
		target = min(target, int(n))
	}
	if n := target - active; n > 0 {
		return n
	}
	return 0
}

// effectiveMode is the pacing mode: a multicast campaign that only dials
// with free members paces as progressive.
func effectiveMode(c *Campaign) string {
	if c.Mode == ModeMulticast && c.OnlyWhenFreeMembers {
		return ModeProgressive
	}
	return c.Mode
}

// AgentPaced reports whether answered calls are meant for agents (so an
// answered call that gets none within AbandonAfter is abandoned).
func AgentPaced(c *Campaign) bool {
	switch effectiveMode(c) {
	case ModeProgressive, ModeMultiplied, ModePredictive:
		return true
	}
	return false
}

// NeedsAgents reports whether Want depends on the live agent count.
func NeedsAgents(c *Campaign) bool { return AgentPaced(c) }

// Retryable reports whether a final call status is a failed outcome that
// earns another attempt (the call statuses for an outbound destination
// that was not reached, except CANCEL, which we caused).
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
	if c.IsSMS() {
		// An SMS is sent again only when it failed: never one the gateway
		// accepted, nor a blocked number.
		if status == SMSFailed && attempt < c.DialAttempts {
			return true, now.Add(c.RetryInterval())
		}
		return false, time.Time{}
	}
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

// Reschedule syskeys: a flow sets $flow.syskey.<name> = yes.
const (
	SyskeyRescheduledCall  = "rescheduledCall"
	SyskeyRescheduleAgent  = "reschedule_agent_call"
	SyskeyRescheduleCustom = "reschedule_customer_call"
	SyskeyAgentID          = "agentID"
)

// RescheduleFromSyskeys reads a finished flow's $flow.syskey.* values:
// rescheduledCall or reschedule_customer_call = yes reschedules the call
// (redialed after the retry interval, any agent); reschedule_agent_call =
// yes reschedules it back to the agent who handled it (agentID).
func RescheduleFromSyskeys(sk map[string]string) (rescheduled bool, agent string) {
	yes := func(k string) bool {
		switch strings.ToLower(strings.TrimSpace(sk[k])) {
		case "yes", "y", "true", "1":
			return true
		}
		return false
	}
	if yes(SyskeyRescheduleAgent) {
		return true, strings.TrimSpace(sk[SyskeyAgentID])
	}
	return yes(SyskeyRescheduledCall) || yes(SyskeyRescheduleCustom), ""
}
