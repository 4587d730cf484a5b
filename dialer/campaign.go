package dialer

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// Campaign types: a telephone or an SMS campaign.
const (
	TypeTelephone = "telephone"
	TypeSMS       = "sms"
)

// Campaign modes (issue 5): how many calls the pacer places.
const (
	// ModeMulticast dials each record at its start time, concurrency capped
	// by SimultaneousCalls.
	ModeMulticast = "multicast"
	// ModeProgressive places one call per free agent of the queue.
	ModeProgressive = "progressive"
	// ModeMultiplied places free agents × multiplier calls.
	ModeMultiplied = "multiplied"
	// ModePredictive adapts the dial level to live staffing, the answer
	// rate and handle times, capped by the abandon-rate limit (see
	// Predictor).
	ModePredictive = "predictive"
)

// What to do with a call AMD classifies as an answering machine.
const (
	// MachineHangup hangs up (status AMD_MACHINE, counted as an answered
	// call that found no agent: abandoned, for agent-paced campaigns).
	MachineHangup = "hangup"
	// MachineFlow runs MachineFlowID (a leave-a-message flow).
	MachineFlow = "flow"
)

// DefaultAbandonCapPct is the default abandon-rate cap (3 % of
// live-answered calls, the usual regulatory limit).
const DefaultAbandonCapPct = 3.0

// SourceFlow marks a flow's dialing campaign (see Campaign.Source).
const SourceFlow = "flow"

// Campaign statuses, the exact strings users see in reports and the API.
const (
	StatusCreated   = "Created"
	StatusRunning   = "Running"
	StatusPaused    = "Paused"
	StatusFinished  = "Finished"
	StatusCancelled = "Cancelled"
)

// Lifecycle actions.
const (
	ActionStart  = "start"  // Created/Finished/Cancelled → Running (reuse, restart)
	ActionPause  = "pause"  // Running → Paused
	ActionResume = "resume" // Paused → Running
	ActionCancel = "cancel" // Running/Paused → Cancelled
	ActionFinish = "finish" // Running → Finished (all calls done; the dialer, not a user)
)

// ErrTransition is returned for a lifecycle action the current status does
// not allow.
var ErrTransition = errors.New("dialer: campaign status does not allow this")

// ErrInvalid: a campaign validation error (HTTP 422). Errors made from it
// with New name the field and say, for the client, what is wrong.
var ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid campaign")

var transitions = map[string]map[string]string{
	StatusCreated:   {ActionStart: StatusRunning},
	StatusRunning:   {ActionPause: StatusPaused, ActionCancel: StatusCancelled, ActionFinish: StatusFinished},
	StatusPaused:    {ActionResume: StatusRunning, ActionCancel: StatusCancelled},
	StatusFinished:  {ActionStart: StatusRunning},
	StatusCancelled: {ActionStart: StatusRunning},
}

// Transition returns the status after action, or an error wrapping
// ErrTransition (unknown status or action included).
func Transition(from, action string) (string, error) {
	acts, ok := transitions[from]
	if !ok {
		return "", fmt.Errorf("%w: unknown status %q", ErrTransition, from)
	}
	to, ok := acts[action]
	if !ok {
		return "", fmt.Errorf("%w: cannot %s a campaign that is %s", ErrTransition, action, from)
	}
	return to, nil
}

// Editable reports whether a campaign in this status may be edited: only
// while it is Created or Finished.
func Editable(status string) bool { return status == StatusCreated || status == StatusFinished }

// Deletable reports whether a campaign may be removed: never while it is
// executing (Running or Paused).
func Deletable(status string) bool { return status != StatusRunning && status != StatusPaused }

// Active reports whether the pacer should be dialing for the campaign.
func Active(status string) bool { return status == StatusRunning }

// Window is a daily calling-hour window in each record's local time zone
// (minutes after local midnight, Start inclusive, End exclusive). The zero
// Window means "any time". End < Start wraps past midnight.
type Window struct {
	StartMinute int `json:"start_minute"`
	EndMinute   int `json:"end_minute"`
}

// IsZero reports an unrestricted window.
func (w Window) IsZero() bool { return w.StartMinute == 0 && w.EndMinute == 0 }

// Validate checks the minute bounds.
func (w Window) Validate() error {
	if w.StartMinute < 0 || w.StartMinute >= 1440 || w.EndMinute < 0 || w.EndMinute > 1440 {
		return ErrInvalid.New("calling_window", "calling window minutes must be in 0…1440 (got %d–%d)", w.StartMinute, w.EndMinute)
	}
	if !w.IsZero() && w.StartMinute == w.EndMinute {
		return ErrInvalid.New("calling_window", "calling window is empty (start = end = %d)", w.StartMinute)
	}
	return nil
}

// Allows reports whether t, seen in loc, falls inside the window.
func (w Window) Allows(t time.Time, loc *time.Location) bool {
	if w.IsZero() {
		return true
	}
	if loc == nil {
		loc = time.UTC
	}
	lt := t.In(loc)
	m := lt.Hour()*60 + lt.Minute()
	if w.StartMinute < w.EndMinute {
		return m >= w.StartMinute && m < w.EndMinute
	}
	return m >= w.StartMinute || m < w.EndMinute
}

// Campaign is a dialing campaign: the settings a user gives it, and its
// status.
type Campaign struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Type      string `json:"type"`
	Mode      string `json:"mode"`
	Name      string `json:"name"`
	// Accountcode is the campaign's accountcode: the billing code its
	// calls carry (the channel's accountcode, so the call records show
	// it) and the key the ADS reports select campaigns by. Empty: none.
	Accountcode string `json:"accountcode" gorm:"column:accountcode"`
	// Recipients are call-list request ids.
	Recipients []string `json:"recipients" gorm:"type:text;serializer:json"`
	CallerID   string   `json:"caller_id,omitempty"`
	// Trunk names the operator-configured trunk the campaign dials
	// through (Trunks; empty: the default trunk).
	Trunk string `json:"trunk"`
	// EndpointTemplate is the resolved route: an Asterisk endpoint with
	// "{number}" where the dialed number goes, e.g. "PJSIP/{number}@trunk1".
	// Operator-side only (the supervisor sets it from Trunk); never read
	// from or shown to a tenant.
	EndpointTemplate string `json:"-"`
	// Source is "flow" for a flow's hidden dialing campaign: it dials
	// every request of FlowID not reserved for hand-made campaigns, and
	// never finishes.
	Source            string `json:"source,omitempty"`
	SimultaneousCalls int    `json:"simultaneous_calls"`
	DialAttempts      int    `json:"dial_attempts"`
	// DialTimeoutMS is the ring timeout; 0 means the default.
	DialTimeoutMS int `json:"dial_timeout_ms,omitempty"`
	// OnlyWhenFreeMembers: "Only dial out when there are free members in the
	// queue" — the pacer watches Queue.
	OnlyWhenFreeMembers bool   `json:"only_when_free_members"`
	Queue               string `json:"queue,omitempty"`
	DialToExtension     string `json:"dial_to_extension,omitempty"`
	// Multiplier overrides the global multiplier when > 0.
	Multiplier float64 `json:"multiplier,omitempty"`
	// RetryIntervalSec is the wait before a failed record is dialed again.
	RetryIntervalSec int    `json:"retry_interval_sec"`
	CallingWindow    Window `json:"calling_window" gorm:"embedded;embeddedPrefix:window_"`
	// CallsPerSecond caps originates per second on the trunk; 0 = no cap.
	CallsPerSecond float64 `json:"calls_per_second,omitempty"`
	FlowID         string  `json:"flow_id,omitempty"`
	// AbandonCapPct is the predictive abandon-rate cap in percent of
	// live-answered calls (0: DefaultAbandonCapPct). Over it, in the
	// rolling 24 h or 30 d window, the campaign paces as progressive.
	AbandonCapPct float64 `json:"abandon_cap_pct,omitempty"`
	// SafeHarborSound is the media played to an answered customer for whom
	// no agent is free within AbandonAfter (agent-paced campaigns), e.g.
	// "sound:safe-harbor"; the call then hangs up and counts as abandoned.
	// Empty: the customer is handed to the flow anyway (still counted
	// abandoned if no agent takes them within AbandonAfter).
	SafeHarborSound string `json:"safe_harbor_sound,omitempty"`
	// AMD runs answering-machine detection in the dialplan before the call
	// reaches Switchyard.
	AMD bool `json:"amd,omitempty"`
	// MachineAction is what a MACHINE result does: MachineHangup (default)
	// or MachineFlow.
	MachineAction string `json:"machine_action,omitempty"`
	// MachineFlowID is the leave-a-message flow for MachineFlow.
	MachineFlowID string `json:"machine_flow_id,omitempty"`
	// Agent-first campaigns: LeadWebhook names a configured webhook of the
	// account asked for each next customer of an agent (a GET with the
	// Connect applet's parameters, see LeadParams); with it set
	// the leads come from the webhook instead of the call list
	// (Recipients may be empty). The answer is a plain-text number or
	// JSON read at LeadNumberPath (default "number"). LogWebhook names the
	// webhook called after each customer call with the Passthru applet's
	// parameters (CallLogParams).
	LeadWebhook    string `json:"lead_webhook,omitempty"`
	LeadNumberPath string `json:"lead_number_path,omitempty"`
	LogWebhook     string `json:"log_webhook,omitempty"`
	// SMSText is an sms campaign's message: sent to each record's number
	// instead of a call, with the record's variables in it ($flow.key.name
	// or ${flow.key.name}: the recipients list's columns; $call.dnis: the
	// number it goes to). Empty for a telephone campaign.
	SMSText string `json:"sms_text,omitempty" gorm:"column:sms_text"`
	Status  string `json:"status"`
}

// AbandonCap is the abandon-rate cap as a fraction (0.03 = 3 %).
func (c *Campaign) AbandonCap() float64 {
	if c.AbandonCapPct <= 0 {
		return DefaultAbandonCapPct / 100
	}
	return c.AbandonCapPct / 100
}

// Limits on campaign fields.
const (
	MaxSimultaneousCalls = 1000
	MaxDialAttempts      = 10
	MaxDialTimeoutMS     = 300000
	MaxMultiplier        = 50
	MaxRecipients        = 100
	MaxCallsPerSecond    = 1000
)

// DefaultDialTimeout is used when DialTimeoutMS is 0.
const DefaultDialTimeout = 30 * time.Second

// DialTimeout is the ring timeout of one attempt.
//
// Predictive calls ring at least MinPredictiveRing.
func (c *Campaign) DialTimeout() time.Duration {
	d := DefaultDialTimeout
	if c.DialTimeoutMS > 0 {
		d = time.Duration(c.DialTimeoutMS) * time.Millisecond
	}
	if c.Mode == ModePredictive {
		d = max(d, MinPredictiveRing)
	}
	return d
}

// RetryInterval is the wait before a retry.
func (c *Campaign) RetryInterval() time.Duration {
	return time.Duration(c.RetryIntervalSec) * time.Second
}

// EffectiveMultiplier is the campaign's multiplier, or the global one (the
// ADS dialer's ads_multiplier, default 1) when the campaign sets none.
func (c *Campaign) EffectiveMultiplier(global float64) float64 {
	if c.Multiplier > 0 {
		return c.Multiplier
	}
	if global > 0 {
		return global
	}
	return 1
}

// Endpoint renders the endpoint template for a number.
func (c *Campaign) Endpoint(number string) string {
	return strings.ReplaceAll(c.EndpointTemplate, "{number}", number)
}

// MaxAccountcode is the longest accountcode (campaigns and recipients
// lists alike).
const MaxAccountcode = 64

// ValidAccountcode: empty, or up to MaxAccountcode printable ASCII
// characters without spaces (what a channel's accountcode may hold).
func ValidAccountcode(a string) bool {
	return len(a) <= MaxAccountcode && !strings.ContainsFunc(a, func(r rune) bool { return r <= ' ' || r > '~' })
}

// Normalize fills defaults (type telephone, mode multicast, status
// Created, one attempt, DefaultFlowSimultaneousCalls simultaneous calls: the
// campaign's Simultaneous calls may be left blank).
func (c *Campaign) Normalize() {
	c.Name = strings.TrimSpace(c.Name)
	c.Accountcode = strings.TrimSpace(c.Accountcode)
	if c.Type == "" {
		c.Type = TypeTelephone
	}
	if c.Mode == "" {
		c.Mode = ModeMulticast
		if c.OnlyWhenFreeMembers {
			c.Mode = ModeProgressive
		}
	}
	if c.Status == "" {
		c.Status = StatusCreated
	}
	if c.DialAttempts == 0 {
		c.DialAttempts = 1
	}
	if c.SimultaneousCalls == 0 {
		c.SimultaneousCalls = DefaultFlowSimultaneousCalls
	}
}

// validateLeadHooks checks lead_webhook, lead_number_path and log_webhook.
func (c *Campaign) validateLeadHooks() error {
	bad := func(field, f string, args ...any) error { return ErrInvalid.New(field, f, args...) }
	for _, f := range []struct{ name, v string }{{"lead_webhook", c.LeadWebhook}, {"log_webhook", c.LogWebhook}} {
		if f.v == "" {
			continue
		}
		if c.Mode != ModeAgentFirst {
			return bad(f.name, "%s is only for mode agent_first", f.name)
		}
		if !validWebhookName(f.v) {
			return bad(f.name, "%s %q must be a webhook name: 1-64 letters, digits, '_', '-' or '.'", f.name, f.v)
		}
	}
	if c.LeadNumberPath != "" {
		if c.LeadWebhook == "" {
			return bad("lead_number_path", "lead_number_path is set but lead_webhook is not")
		}
		if !ValidLeadPath(c.LeadNumberPath) {
			return bad("lead_number_path", "lead_number_path %q must be dot-separated keys or indexes (letters, digits, _ and -)", c.LeadNumberPath)
		}
	}
	return nil
}

// validWebhookName: the store's webhook names.
func validWebhookName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// LeadsFromWebhook reports whether the campaign's leads come from its lead
// webhook rather than from the call list.
func (c *Campaign) LeadsFromWebhook() bool { return c.Mode == ModeAgentFirst && c.LeadWebhook != "" }

// Validate checks every field; the error names the field.
func (c *Campaign) Validate() error {
	bad := func(field, f string, args ...any) error { return ErrInvalid.New(field, f, args...) }
	switch c.Type {
	case TypeTelephone, TypeSMS:
	default:
		return bad("type", "type %q (want telephone or sms)", c.Type)
	}
	switch c.Mode {
	case ModeMulticast, ModeProgressive, ModeMultiplied, ModePredictive, ModeAgentFirst:
	default:
		return bad("mode", "mode %q (want multicast, progressive, multiplied, predictive or agent_first)", c.Mode)
	}
	if err := c.validateSMS(); err != nil {
		return err
	}
	if c.Name == "" || len(c.Name) > 255 {
		return bad("name", "name must be 1…255 bytes")
	}
	if c.AccountID <= 0 {
		return bad("campaign", "account is required")
	}
	if !ValidAccountcode(c.Accountcode) {
		return bad("accountcode", "accountcode: at most %d printable ASCII characters without spaces", MaxAccountcode)
	}
	if err := c.validateLeadHooks(); err != nil {
		return err
	}
	if c.Source == SourceFlow {
		if c.FlowID == "" || len(c.Recipients) > 0 || c.Mode != ModeMulticast {
			return bad("campaign", "a flow's dialing settings need the flow, no recipients and mode multicast")
		}
	} else if c.Source != "" {
		return bad("source", "source %q", c.Source)
	} else if (len(c.Recipients) == 0 && c.LeadWebhook == "") || len(c.Recipients) > MaxRecipients {
		return bad("recipients", "recipients: 1…%d call-list request ids required (got %d)", MaxRecipients, len(c.Recipients))
	}
	seen := map[string]bool{}
	for _, r := range c.Recipients {
		if strings.TrimSpace(r) == "" {
			return bad("recipients", "recipients: empty request id")
		}
		if seen[r] {
			return bad("recipients", "recipients: request %q listed twice", r)
		}
		seen[r] = true
	}
	if len(c.CallerID) > 128 {
		return bad("caller_id", "caller_id longer than 128 bytes")
	}
	if c.Trunk != "" && !ValidTrunkName(c.Trunk) {
		return bad("trunk", "trunk %q must be a trunk name: 1-64 letters, digits, '_', '-' or '.'", c.Trunk)
	}
	if c.Type == TypeSMS && c.Trunk != "" {
		return bad("trunk", "an sms campaign sends through the SMS gateway: it names no trunk")
	}
	if c.Type == TypeTelephone && c.EndpointTemplate != "" {
		if err := CheckTemplate(c.EndpointTemplate); err != nil {
			return bad("endpoint_template", "endpoint_template: %v", err)
		}
	}
	if c.SimultaneousCalls < 1 || c.SimultaneousCalls > MaxSimultaneousCalls {
		return bad("simultaneous_calls", "simultaneous_calls %d (1…%d)", c.SimultaneousCalls, MaxSimultaneousCalls)
	}
	if c.DialAttempts < 1 || c.DialAttempts > MaxDialAttempts {
		return bad("dial_attempts", "dial_attempts %d (1…%d)", c.DialAttempts, MaxDialAttempts)
	}
	if c.DialTimeoutMS < 0 || c.DialTimeoutMS > MaxDialTimeoutMS {
		return bad("dial_timeout_ms", "dial_timeout_ms %d (0…%d)", c.DialTimeoutMS, MaxDialTimeoutMS)
	}
	needQueue := AgentPaced(c) || c.Mode == ModeAgentFirst
	if needQueue && strings.TrimSpace(c.Queue) == "" {
		return bad("queue", "queue is required when dialing by free queue members")
	}
	if c.Multiplier < 0 || c.Multiplier > MaxMultiplier {
		return bad("multiplier", "multiplier %v (0 = global default, up to %d)", c.Multiplier, MaxMultiplier)
	}
	if c.RetryIntervalSec < 0 || c.RetryIntervalSec > 7*24*3600 {
		return bad("retry_interval_sec", "retry_interval_sec %d (0…604800)", c.RetryIntervalSec)
	}
	if err := c.CallingWindow.Validate(); err != nil {
		return err
	}
	if c.CallsPerSecond < 0 || c.CallsPerSecond > MaxCallsPerSecond {
		return bad("calls_per_second", "calls_per_second %v (0 = no cap, up to %d)", c.CallsPerSecond, MaxCallsPerSecond)
	}
	if c.AbandonCapPct < 0 || c.AbandonCapPct > 100 {
		return bad("abandon_cap_pct", "abandon_cap_pct %v (0 = default %v, up to 100)", c.AbandonCapPct, DefaultAbandonCapPct)
	}
	if len(c.SafeHarborSound) > 255 || strings.ContainsAny(c.SafeHarborSound, "\x00\n\r") {
		return bad("safe_harbor_sound", "safe_harbor_sound must be at most 255 bytes on one line")
	}
	if c.SafeHarborSound != "" && !strings.Contains(c.SafeHarborSound, ":") {
		return bad("safe_harbor_sound", "safe_harbor_sound %q must be a media URI such as sound:name", c.SafeHarborSound)
	}
	switch c.MachineAction {
	case "", MachineHangup:
		if c.MachineFlowID != "" {
			return bad("machine_flow_id", "machine_flow_id is set but machine_action is not %q", MachineFlow)
		}
	case MachineFlow:
		if !c.AMD {
			return bad("machine_action", "machine_action %q needs amd", MachineFlow)
		}
		if strings.TrimSpace(c.MachineFlowID) == "" {
			return bad("machine_flow_id", "machine_flow_id is required for machine_action %q", MachineFlow)
		}
	default:
		return bad("machine_action", "machine_action %q (want hangup or flow)", c.MachineAction)
	}
	if len(c.MachineFlowID) > 64 {
		return bad("machine_flow_id", "machine_flow_id longer than 64 bytes")
	}
	if _, ok := transitions[c.Status]; !ok {
		return bad("status", "status %q", c.Status)
	}
	return nil
}
