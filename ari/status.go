package ari

import (
	"errors"
)

// Call statuses for calls that did not reach a flow (seed 003, "States
// when the outbound destination was not reached"). Flow, queue and dial
// widgets set the IVR_*, QUEUE_* and IN_* statuses themselves.
const (
	StatusAnswered    = "ANSWERED"
	StatusBusy        = "BUSY"
	StatusNoAnswer    = "NOANSWER"
	StatusCancel      = "CANCEL"
	StatusCongestion  = "CONGESTION"
	StatusChanUnavail = "chanunavail"
	StatusNoRoute     = "noroute"
	StatusFailed      = "FAILED"
)

// Q.850 cause codes Asterisk reports (include/asterisk/causes.h).
const (
	CauseUnallocated       = 1
	CauseNoRouteTransit    = 2
	CauseNoRouteDest       = 3
	CauseNormalClearing    = 16
	CauseUserBusy          = 17
	CauseNoUserResponse    = 18
	CauseNoAnswer          = 19
	CauseSubscriberAbsent  = 20
	CauseCallRejected      = 21
	CauseNumberChanged     = 22
	CauseDestOutOfOrder    = 27
	CauseInvalidNumber     = 28
	CauseNormalUnspecified = 31
	CauseCongestion        = 34 // AST_CAUSE_NORMAL_CIRCUIT_CONGESTION
	CauseNetworkOutOfOrder = 38
	CauseTempFailure       = 41
	CauseSwitchCongestion  = 42
	CauseChanNotImpl       = 66
)

// StatusFromCause maps the hangup cause of a call that was never answered to
// its seed status, the way app_dial maps causes to DIALSTATUS.
func StatusFromCause(cause int, cancelledByUs bool) string {
	if cancelledByUs {
		return StatusCancel
	}
	switch cause {
	case CauseUserBusy, CauseCallRejected:
		return StatusBusy
	case CauseNoUserResponse, CauseNoAnswer:
		return StatusNoAnswer
	case CauseCongestion, CauseSwitchCongestion, CauseNetworkOutOfOrder, CauseTempFailure:
		return StatusCongestion
	case CauseUnallocated, CauseNoRouteTransit, CauseNoRouteDest, CauseInvalidNumber, CauseNumberChanged:
		return StatusNoRoute
	case CauseSubscriberAbsent, CauseDestOutOfOrder, CauseChanNotImpl:
		return StatusChanUnavail
	case CauseNormalClearing, CauseNormalUnspecified, 0:
		// A far end that hangs up while ringing looks like no answer.
		return StatusNoAnswer
	}
	return StatusFailed
}

// DefaultStatus is the status of a call whose handler set none.
func DefaultStatus(c *Call) string {
	if !c.answeredAt.IsZero() || c.started {
		return StatusAnswered
	}
	return StatusFromCause(c.cause, c.weHungUp && !c.remote)
}

// StatusForOriginateError maps a refused originate to a status: an unknown
// endpoint or technology is no route; anything else failed.
func StatusForOriginateError(err error) string {
	var ae *Error
	if errors.As(err, &ae) && (ae.Status == 400 || ae.Status == 404) {
		return StatusNoRoute
	}
	return StatusFailed
}
