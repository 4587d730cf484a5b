package ari

import (
	"errors"
)

// Call statuses for calls that did not reach a flow (the report's call
// statuses for an outbound destination that was not reached: BUSY,
// NOANSWER, CANCEL, CONGESTION, chanunavail, noroute). Flow, queue and dial
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

// CauseForReason is the Q.850 cause Asterisk sets for an ARI hangup
// reason ("" and "normal": 16; a number is itself).
func CauseForReason(reason string) int {
	switch reason {
	case "", "normal":
		return CauseNormalClearing
	case "busy":
		return CauseUserBusy
	case "congestion":
		return CauseCongestion
	case "no_answer":
		return CauseNoAnswer
	case "timeout":
		return CauseNoUserResponse
	case "rejected":
		return CauseCallRejected
	case "unallocated":
		return CauseUnallocated
	case "normal_unspecified":
		return CauseNormalUnspecified
	case "number_incomplete":
		return CauseInvalidNumber
	case "codec_mismatch":
		return 58
	case "interworking":
		return 127
	case "failure":
		return CauseNetworkOutOfOrder
	case "answered_elsewhere":
		return 26
	}
	n := 0
	for _, r := range reason {
		if r < '0' || r > '9' || n > 127 {
			return CauseNormalClearing
		}
		n = n*10 + int(r-'0')
	}
	if n <= 0 || n > 127 {
		return CauseNormalClearing
	}
	return n
}

// causeTexts are Asterisk's cause texts (ast_cause2str) for the common
// causes.
var causeTexts = map[int]string{
	1: "Unallocated (unassigned) number", 2: "No route to specified transmit network", 3: "No route to destination",
	16: "Normal Clearing", 17: "User busy", 18: "No user responding", 19: "User alerting, no answer",
	20: "Subscriber absent", 21: "Call Rejected", 22: "Number changed", 26: "Non-selected user clearing",
	27: "Destination out of order", 28: "Invalid number format (addr incomplete)", 31: "Normal, unspecified",
	34: "Circuit/channel congestion", 38: "Network out of order", 41: "Temporary failure",
	42: "Switching equipment congestion", 58: "Bearer capability not available", 66: "Channel not implemented",
	127: "Interworking, unspecified",
}

// CauseText is the text of a Q.850 cause ("" for 0 or an unknown one).
func CauseText(cause int) string { return causeTexts[cause] }

// StatusFromCause maps the hangup cause of a call that was never answered to
// its call status (BUSY, NOANSWER, ...), the way app_dial maps causes to
// DIALSTATUS.
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
