// Package acdconfig is the ACD's configuration, as the operator sets it
// and the store keeps it: agents (login type, extension or number,
// wrap-up), queues (strategy, timeouts, members), the accounts' CRM and
// popup hook setups and the agent-UI embed, each with its Validate.
//
// It imports only the standard library and the root package, so the store
// persists these types as they are (store.Agent embeds Agent, …) and the
// engine (dialer/acd), its store adapter (acdstore), the HTTP API
// (api/agentsapi) and the event notifier (acdhooks) all speak them. The
// gorm tags name the columns where the field name does not (durations are
// stored in milliseconds: the store's "millis" serializer).
package acdconfig

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// ErrInvalid is a validation error (HTTP 422). Its message lists every
// problem ("name: …; extension: …"); its field is the first problem's.
// (acd.ErrInvalid is the same sentinel.)
var ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid input")

// LoginType is how an agent is reached.
type LoginType string

// MissedRingReason is the pause reason of an agent the ACD paused because
// a call rang them and was not answered (Agent.AutoPauseMissed).
const MissedRingReason = "missed_ring"

// Login types: softphone and desk phone are PJSIP endpoints on
// Asterisk; mobile and landline are external numbers dialed through the
// trunk.
const (
	LoginSoftphone LoginType = "softphone"
	LoginDeskPhone LoginType = "deskphone"
	LoginMobile    LoginType = "mobile"
	LoginLandline  LoginType = "landline"
	// LoginBrowser is the agent desk's WebRTC phone: a PJSIP endpoint
	// reached over WebSocket with DTLS-SRTP media.
	LoginBrowser LoginType = "browser"
)

// SIP reports whether the login type rings a PJSIP endpoint.
func (t LoginType) SIP() bool {
	return t == LoginSoftphone || t == LoginDeskPhone || t == LoginBrowser
}

// Strategy picks which free agent gets the next caller.
type Strategy string

// Queue strategies.
const (
	StrategyLongestIdle Strategy = "longest-idle"
	StrategyRoundRobin  Strategy = "round-robin"
	StrategyFewestCalls Strategy = "fewest-calls"
	StrategyRingAll     Strategy = "ring-all"
)

// invalid is the ErrInvalid of a validation that found problems, each
// "field: what is wrong": the client is told all of them, and the field of
// the first.
func invalid(problems []string) error {
	field, _, _ := strings.Cut(problems[0], ":")
	return ErrInvalid.New(field, "%s", strings.Join(problems, "; "))
}

// Agent is an agent's configuration. SIP agents ring Endpoint (the PJSIP
// endpoint Switchyard manages, "PJSIP/<Extension>"); mobile and landline
// agents ring Number through the trunk.
type Agent struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	Name      string    `json:"name"`
	LoginType LoginType `json:"login_type"`
	// Extension is the PJSIP endpoint / auth user name for SIP login types
	// (Switchyard creates it on Asterisk). Unique across the deployment.
	Extension string `json:"extension,omitempty"`
	// SIPPassword is the endpoint's password (SIP login types); never
	// returned by the API after creation.
	SIPPassword string `json:"sip_password,omitempty" gorm:"column:sip_password"`
	// Number is the external number (mobile/landline), E.164.
	Number string `json:"number,omitempty"`
	// CLI is the caller ID shown to the agent when a call is offered
	// (default: the customer's number).
	CLI string `json:"cli,omitempty"`
	// WrapUp is the after-call work time before the agent is available
	// again; a disposition ends it early (0: no wrap-up).
	WrapUp time.Duration `json:"wrap_up" gorm:"column:wrap_up_ms;serializer:millis"`
	// Record records the agent's calls (record_agent_… file names).
	Record bool `json:"record"`
	// Persistent keeps the agent's line up between calls after login (a
	// "nailed" session: the agent waits in their own bridge and each
	// customer is added to it — one ARI round trip per connect). Required
	// for mobile/landline agents in dialer campaigns; optional for SIP.
	Persistent bool `json:"persistent"`
	// UserID is the console user (role agent) who works as this agent in
	// the agent desk (nil: none); one agent per user.
	UserID *int64 `json:"user_id,omitempty" gorm:"column:user_id"`
	// AutoPauseMissed pauses the agent (reason MissedRingReason) when a
	// call rang the agent and was not answered.
	AutoPauseMissed bool      `json:"auto_pause_missed" gorm:"column:auto_pause_missed"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// Dialstring returns what Asterisk dials to reach the agent: PJSIP/<ext>
// for SIP agents, or trunk formatted with the number ("PJSIP/%s@trunk").
func (a *Agent) Dialstring(trunk string) string {
	if a.LoginType.SIP() {
		return "PJSIP/" + a.Extension
	}
	if strings.Contains(trunk, "%s") {
		return fmt.Sprintf(trunk, a.Number)
	}
	return trunk + "/" + a.Number
}

var (
	extRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	e164Re = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	nameRe = regexp.MustCompile(`^[^\x00-\x1f]{1,100}$`)
)

// Validate checks an agent, reporting every problem at once.
func (a *Agent) Validate() error {
	var errs []string
	if !nameRe.MatchString(a.Name) {
		errs = append(errs, "name: required, 1-100 printable characters")
	}
	switch a.LoginType {
	case LoginSoftphone, LoginDeskPhone, LoginBrowser:
		if !extRe.MatchString(a.Extension) {
			errs = append(errs, "extension: required for "+string(a.LoginType)+" agents: letters, digits, _ . - (max 64)")
		}
		if a.Number != "" {
			errs = append(errs, "number: only for mobile and landline agents")
		}
	case LoginMobile, LoginLandline:
		if !e164Re.MatchString(a.Number) {
			errs = append(errs, "number: required for "+string(a.LoginType)+" agents: digits with optional leading +")
		}
		if a.Extension != "" {
			errs = append(errs, "extension: only for softphone, deskphone and browser agents")
		}
	default:
		errs = append(errs, fmt.Sprintf("login_type: %q is not one of softphone, deskphone, browser, mobile, landline", a.LoginType))
	}
	if a.CLI != "" && !e164Re.MatchString(a.CLI) {
		errs = append(errs, "cli: digits with optional leading +")
	}
	if a.WrapUp < 0 || a.WrapUp > time.Hour {
		errs = append(errs, "wrap_up: 0 to 3600 seconds")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// Queue is a queue's configuration.
type Queue struct {
	ID        int64    `json:"id"`
	AccountID int64    `json:"account_id"`
	Name      string   `json:"name"` // unique per account; what flows and campaigns name
	Strategy  Strategy `json:"strategy"`
	// Members are the agent IDs that take this queue's calls.
	Members []int64 `json:"members" gorm:"-"` // stored in queue_members
	// RingTimeout is how long one agent rings before the next is tried.
	RingTimeout time.Duration `json:"ring_timeout" gorm:"column:ring_timeout_ms;serializer:millis"`
	// Timeout is the longest a caller waits (QUEUE_TIMEOUT). The flow
	// widget's timeout, when shorter, wins.
	Timeout time.Duration `json:"timeout" gorm:"column:timeout_ms;serializer:millis"`
	// MaxLen caps waiting callers (QUEUE_FULL); 0 = unlimited.
	MaxLen int `json:"max_len"`
	// JoinWhenEmpty lets callers wait when no member is logged in;
	// otherwise they get QUEUE_EMPTY at once.
	JoinWhenEmpty bool   `json:"join_when_empty"`
	MOHClass      string `json:"moh_class"` // default "default"
	// Announce is played to waiting callers every AnnounceEvery (media URI
	// such as "sound:queue-periodic-announce"); AnnouncePosition also
	// says their position.
	Announce         string        `json:"announce,omitempty"`
	AnnounceEvery    time.Duration `json:"announce_every" gorm:"column:announce_every_ms;serializer:millis"`
	AnnouncePosition bool          `json:"announce_position"`
	// Record records answered queue calls (record_queue_… file names).
	Record    bool      `json:"record"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

var queueNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Defaults fills zero fields with their defaults.
func (q *Queue) Defaults() {
	if q.Strategy == "" {
		q.Strategy = StrategyLongestIdle
	}
	if q.RingTimeout == 0 {
		q.RingTimeout = 20 * time.Second
	}
	if q.Timeout == 0 {
		q.Timeout = 5 * time.Minute
	}
	if q.MOHClass == "" {
		q.MOHClass = "default"
	}
}

// Validate checks a queue (after Defaults), reporting every problem at once.
func (q *Queue) Validate() error {
	var errs []string
	if !queueNameRe.MatchString(q.Name) {
		errs = append(errs, "name: required: letters, digits, _ . - (max 64)")
	}
	switch q.Strategy {
	case StrategyLongestIdle, StrategyRoundRobin, StrategyFewestCalls, StrategyRingAll:
	default:
		errs = append(errs, fmt.Sprintf("strategy: %q is not one of longest-idle, round-robin, fewest-calls, ring-all", q.Strategy))
	}
	if q.RingTimeout < time.Second || q.RingTimeout > 5*time.Minute {
		errs = append(errs, "ring_timeout: 1 to 300 seconds")
	}
	if q.Timeout < time.Second || q.Timeout > 24*time.Hour {
		errs = append(errs, "timeout: 1 second to 24 hours")
	}
	if q.MaxLen < 0 {
		errs = append(errs, "max_len: 0 (unlimited) or more")
	}
	if q.AnnounceEvery < 0 || (q.AnnounceEvery > 0 && q.AnnounceEvery < 5*time.Second) {
		errs = append(errs, "announce_every: 0 (off) or at least 5 seconds")
	}
	if (q.Announce != "" || q.AnnouncePosition) && q.AnnounceEvery == 0 {
		errs = append(errs, "announce_every: required when announce or announce_position is set")
	}
	seen := map[int64]bool{}
	for _, m := range q.Members {
		if seen[m] {
			errs = append(errs, fmt.Sprintf("members: agent %d listed twice", m))
		}
		seen[m] = true
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// EventKind names a CRM or popup event.
type EventKind string

// Event kinds. CRM events are the CRM Setup's events; popup events are
// the agent popup's "Event Type" values.
const (
	EventAgentAllocated EventKind = "agent_allocated" // CRM: agent chosen for the caller
	EventAgentConnected EventKind = "agent_connected" // CRM: agent bridged with the caller
	EventPopupDial      EventKind = "Dial"            // popup: agent ringing (Status busy)
	EventPopupAnswered  EventKind = "Answered"        // popup: agent on call (Status busy)
	EventPopupTerminal  EventKind = "Terminal"        // popup: finished (Status free)
)

// HookKind is what an account hook setup is for.
type HookKind string

// Hook kinds.
const (
	HookCRM   HookKind = "crm"   // CRM Setup: agent_allocated, agent_connected
	HookPopup HookKind = "popup" // agent popup: Dial, Answered, Terminal
)

// Hook is one CRM or popup setup of an account: which configured webhook
// (by name, see store.Webhook / flows/webhooks.Config) is invoked on which
// events, for which flows.
type Hook struct {
	ID        int64       `json:"id"`
	AccountID int64       `json:"account_id"`
	Kind      HookKind    `json:"kind"`
	Webhook   string      `json:"webhook"`
	Events    []EventKind `json:"events" gorm:"type:text;serializer:json"`
	AllFlows  bool        `json:"all_flows"`
	FlowIDs   []int64     `json:"flow_ids" gorm:"type:text;serializer:json"`
}

// Validate checks a hook setup (Events empty = every event of its kind).
func (h *Hook) Validate() error {
	var errs []string
	var allowed map[EventKind]bool
	switch h.Kind {
	case HookCRM:
		allowed = map[EventKind]bool{EventAgentAllocated: true, EventAgentConnected: true}
	case HookPopup:
		allowed = map[EventKind]bool{EventPopupDial: true, EventPopupAnswered: true, EventPopupTerminal: true}
	default:
		errs = append(errs, fmt.Sprintf("kind: %q is not crm or popup", h.Kind))
	}
	if strings.TrimSpace(h.Webhook) == "" {
		errs = append(errs, "webhook: the name of a configured webhook is required")
	}
	for _, e := range h.Events {
		if allowed != nil && !allowed[e] {
			errs = append(errs, fmt.Sprintf("events: %q is not an event of %s hooks", e, h.Kind))
		}
	}
	if !h.AllFlows && len(h.FlowIDs) == 0 {
		errs = append(errs, "flow_ids: select at least one flow, or set all_flows")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// Wants reports whether the hook fires for an event of that kind on a
// call running flowID.
func (h *Hook) Wants(kind EventKind, flowID int64) bool {
	if !h.AllFlows {
		found := false
		for _, id := range h.FlowIDs {
			if id == flowID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	isCRM := kind == EventAgentAllocated || kind == EventAgentConnected
	if (h.Kind == HookCRM) != isCRM {
		return false
	}
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == kind {
			return true
		}
	}
	return false
}

// AgentUI is an account's agent-interface embed (the Agent UI Setup):
// a custom https web app shown in an iframe of the given size.
type AgentUI struct {
	AccountID int64  `json:"account_id" gorm:"primaryKey"`
	Enabled   bool   `json:"enabled"`
	URL       string `json:"url,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
}

// Validate checks the embed settings: https only.
func (u *AgentUI) Validate() error {
	var errs []string
	if u.Enabled || u.URL != "" {
		pu, err := url.Parse(u.URL)
		switch {
		case err != nil || pu.Host == "":
			errs = append(errs, "url: a complete https:// URL is required")
		case pu.Scheme != "https":
			errs = append(errs, "url: only https web apps are supported")
		case pu.User != nil:
			errs = append(errs, "url: must not carry credentials")
		}
	}
	if u.Width < 0 || u.Width > 4000 || u.Height < 0 || u.Height > 4000 {
		errs = append(errs, "width/height: 0 to 4000 pixels")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}
