package dialer

// Flow dialing modes: how a flow's call lists are dialed.
const (
	// DialAutomatic: every request of the flow (trigger API, upload,
	// email, CLI) is dialed at its records' start times by the flow's
	// dialing campaign (Running).
	DialAutomatic = "automatic"
	// DialCampaignsOnly: the flow's requests are dialed only by hand-made
	// campaigns that list them (the flow's dialing campaign is Paused).
	DialCampaignsOnly = "campaigns_only"
)

// FlowDialing is an outbound flow's dialing settings. They are stored as
// the flow's hidden dialing campaign (Source SourceFlow), so the campaign
// pacer dials the flow's requests: there is no second pacer.
type FlowDialing struct {
	Mode              string  `json:"mode"`
	Trunk             string  `json:"trunk"`
	CallerID          string  `json:"caller_id"`
	SimultaneousCalls int     `json:"simultaneous_calls"`
	DialAttempts      int     `json:"dial_attempts"`
	RetryIntervalSec  int     `json:"retry_interval_sec"`
	DialTimeoutMS     int     `json:"dial_timeout_ms"`
	CallingWindow     Window  `json:"calling_window"`
	CallsPerSecond    float64 `json:"calls_per_second"`
}

// Defaults of a flow that never had its dialing settings written.
const (
	DefaultFlowSimultaneousCalls = 10
	DefaultFlowRetryIntervalSec  = 300
)

// DefaultFlowDialing is the settings of a flow nobody configured:
// automatic, through trunk, 10 calls at a time, one attempt.
func DefaultFlowDialing(trunk string) FlowDialing {
	return FlowDialing{Mode: DialAutomatic, Trunk: trunk, SimultaneousCalls: DefaultFlowSimultaneousCalls,
		DialAttempts: 1, RetryIntervalSec: DefaultFlowRetryIntervalSec}
}

// Campaign is the flow's dialing campaign holding these settings.
func (d FlowDialing) Campaign(accountID int64, flowID string) Campaign {
	status := StatusRunning
	if d.Mode == DialCampaignsOnly {
		status = StatusPaused
	}
	return Campaign{
		AccountID: accountID, Type: TypeTelephone, Mode: ModeMulticast, Name: "flow " + flowID + " dialing",
		Source: SourceFlow, FlowID: flowID, Trunk: d.Trunk, CallerID: d.CallerID,
		SimultaneousCalls: d.SimultaneousCalls, DialAttempts: d.DialAttempts, RetryIntervalSec: d.RetryIntervalSec,
		DialTimeoutMS: d.DialTimeoutMS, CallingWindow: d.CallingWindow, CallsPerSecond: d.CallsPerSecond, Status: status,
	}
}

// FlowDialingOf reads the settings back from a flow's dialing campaign.
func FlowDialingOf(c Campaign) FlowDialing {
	mode := DialAutomatic
	if c.Status != StatusRunning {
		mode = DialCampaignsOnly
	}
	return FlowDialing{Mode: mode, Trunk: c.Trunk, CallerID: c.CallerID, SimultaneousCalls: c.SimultaneousCalls,
		DialAttempts: c.DialAttempts, RetryIntervalSec: c.RetryIntervalSec, DialTimeoutMS: c.DialTimeoutMS,
		CallingWindow: c.CallingWindow, CallsPerSecond: c.CallsPerSecond}
}

// Validate checks the settings; the error names the field.
func (d FlowDialing) Validate() error {
	switch d.Mode {
	case DialAutomatic, DialCampaignsOnly:
	default:
		return ErrInvalid.New("mode", "mode %q (want automatic or campaigns_only)", d.Mode)
	}
	c := d.Campaign(1, "1")
	return c.Validate()
}
