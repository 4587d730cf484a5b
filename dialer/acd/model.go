// Package acd is Switchyard's automatic call distributor: agents on SIP
// phones or external numbers, ARI-native queues (the caller waits in a
// bridge with music on hold; Switchyard picks the agent and bridges), agent
// state and supervisor statistics, CRM and popup events.
//
// This file is the domain model shared by the engine, the store adapter
// (acdstore), the HTTP API (api/agentsapi) and the event notifier
// (acdhooks). Live state is kept in memory; the store is written after the
// fact (never on the answer → bridge path).
package acd

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
)

// State is an agent's live state.
type State string

// Agent states.
const (
	StateLoggedOut State = "logged_out"
	StateAvailable State = "available"
	StateRinging   State = "ringing"
	StateOnCall    State = "on_call"
	StateWrapUp    State = "wrap_up"
	StatePaused    State = "paused"
)

// States lists every state (for filters and validation).
var States = []State{StateLoggedOut, StateAvailable, StateRinging, StateOnCall, StateWrapUp, StatePaused}

// ValidState reports whether s is a known state.
func ValidState(s State) bool {
	for _, v := range States {
		if v == s {
			return true
		}
	}
	return false
}

// LoginType is how an agent is reached.
type LoginType string

// Login types (issue 6): softphone and desk phone are PJSIP endpoints on
// Asterisk; mobile and landline are external numbers dialed through the
// trunk.
const (
	LoginSoftphone LoginType = "softphone"
	LoginDeskPhone LoginType = "deskphone"
	LoginMobile    LoginType = "mobile"
	LoginLandline  LoginType = "landline"
)

// SIP reports whether the login type rings a PJSIP endpoint.
func (t LoginType) SIP() bool { return t == LoginSoftphone || t == LoginDeskPhone }

// Strategy picks which free agent gets the next caller.
type Strategy string

// Queue strategies.
const (
	StrategyLongestIdle Strategy = "longest-idle"
	StrategyRoundRobin  Strategy = "round-robin"
	StrategyFewestCalls Strategy = "fewest-calls"
	StrategyRingAll     Strategy = "ring-all"
)

// Queue outcomes, exactly seed 003's strings.
const (
	QueueJoin    = "QUEUE_JOIN"    // joined, gave up before being answered
	QueueAnswer  = "QUEUE_ANSWER"  // answered by an agent
	QueueTimeout = "QUEUE_TIMEOUT" // reached the queue timeout
	QueueEmpty   = "QUEUE_EMPTY"   // no agent logged in and join-when-empty is off
	QueueFull    = "QUEUE_FULL"    // max length reached
	QueueInvalid = "QUEUE_INVALID" // no such queue
)

// Errors (switchyard.Error sentinels). The errors made from them with New
// carry a message written for the API's clients.
var (
	// ErrInvalid: a validation error (HTTP 422). Its message lists every
	// problem ("name: …; extension: …"); its field is the first problem's.
	ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid input")
	// ErrNotFound: no such agent or queue in this account (HTTP 404).
	ErrNotFound = switchyard.Sentinel(switchyard.CodeNotFound, 0, "not found")
	// ErrState: the agent's state does not allow the action (HTTP 409),
	// e.g. pausing an agent who is logged out.
	ErrState = switchyard.Sentinel(switchyard.CodeConflict, 0, "agent state does not allow this")
	// ErrUnreachable: a persistent agent's line did not answer at login
	// (HTTP 409).
	ErrUnreachable = switchyard.Sentinel(switchyard.CodeConflict, 0, "the agent's line did not answer")
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
	SIPPassword string `json:"sip_password,omitempty"`
	// Number is the external number (mobile/landline), E.164.
	Number string `json:"number,omitempty"`
	// CLI is the caller ID shown to the agent when a call is offered
	// (default: the customer's number).
	CLI string `json:"cli,omitempty"`
	// WrapUp is the after-call work time before the agent is available
	// again; a disposition ends it early (0: no wrap-up).
	WrapUp time.Duration `json:"wrap_up"`
	// Record records the agent's calls (record_agent_… file names).
	Record bool `json:"record"`
	// Persistent keeps the agent's line up between calls after login (a
	// "nailed" session: the agent waits in their own bridge and each
	// customer is added to it — one ARI round trip per connect). Required
	// for mobile/landline agents in dialer campaigns; optional for SIP.
	Persistent bool      `json:"persistent"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
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
	extRe    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	e164Re   = regexp.MustCompile(`^\+?[0-9]{3,20}$`)
	nameRe   = regexp.MustCompile(`^[^\x00-\x1f]{1,100}$`)
	reasonRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)
)

// Validate checks an agent, reporting every problem at once.
func (a *Agent) Validate() error {
	var errs []string
	if !nameRe.MatchString(a.Name) {
		errs = append(errs, "name: required, 1-100 printable characters")
	}
	switch a.LoginType {
	case LoginSoftphone, LoginDeskPhone:
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
			errs = append(errs, "extension: only for softphone and deskphone agents")
		}
	default:
		errs = append(errs, fmt.Sprintf("login_type: %q is not one of softphone, deskphone, mobile, landline", a.LoginType))
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
	Members []int64 `json:"members"`
	// RingTimeout is how long one agent rings before the next is tried.
	RingTimeout time.Duration `json:"ring_timeout"`
	// Timeout is the longest a caller waits (QUEUE_TIMEOUT). The flow
	// widget's timeout, when shorter, wins.
	Timeout time.Duration `json:"timeout"`
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
	AnnounceEvery    time.Duration `json:"announce_every"`
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

// ValidReason checks a pause reason or disposition code.
func ValidReason(code string) error {
	if !reasonRe.MatchString(code) {
		return ErrInvalid.New("code", "code %q: 1-40 letters, digits, _ . -", code)
	}
	return nil
}

// AgentStatus is one agent's live row on the supervisor dashboard (seed
// 001 "Supervisor Agent Dashboard").
type AgentStatus struct {
	AgentID    int64     `json:"agent_id"`
	AccountID  int64     `json:"account_id"`
	Name       string    `json:"name"`
	LoginType  LoginType `json:"login_type"`
	State      State     `json:"state"`
	Since      time.Time `json:"since"`                  // when State began
	Reason     string    `json:"reason,omitempty"`       // pause reason
	Registered *bool     `json:"registered,omitempty"`   // SIP endpoint registration (nil: not SIP)
	CallID     string    `json:"call_id,omitempty"`      // current call (ringing/on call/wrap-up)
	Queue      string    `json:"queue,omitempty"`        // queue of the current call
	Customer   string    `json:"customer,omitempty"`     // customer number of the current call
	CustomerID string    `json:"customer_id,omitempty"`  // the customer id a caller-ID widget found for it
	Offered    int       `json:"calls_offered"`          // calls rung to the agent
	Answered   int       `json:"calls_answered"`         // calls the agent answered
	Abandoned  int       `json:"calls_abandoned"`        // caller hung up while the agent rang
	Missed     int       `json:"calls_missed"`           // agent did not answer / rejected
	AvgHandle  float64   `json:"avg_handle_time_secs"`   // talk + wrap-up per answered call
	AvgCall    float64   `json:"avg_call_time_secs"`     // talk per answered call
	LastCallAt time.Time `json:"last_call_end,omitzero"` // for longest-idle
}

// QueueStatus is a queue's live state.
type QueueStatus struct {
	QueueID   int64  `json:"queue_id"`
	AccountID int64  `json:"account_id"`
	Name      string `json:"name"`
	Waiting   int    `json:"waiting"`
	LoggedIn  int    `json:"logged_in"` // members not logged out
	Free      int    `json:"free"`      // members available now
	// Oldest is how long the longest-waiting caller has waited (seconds).
	Oldest    float64 `json:"oldest_wait_secs"`
	Joined    int     `json:"joined"`
	Answered  int     `json:"answered"`
	Abandoned int     `json:"abandoned"`
	TimedOut  int     `json:"timed_out"`
}

// Update is one change pushed to supervisor subscribers (the SSE stream).
type Update struct {
	Kind  string       `json:"kind"` // "agent" or "queue"
	Agent *AgentStatus `json:"agent,omitempty"`
	Queue *QueueStatus `json:"queue,omitempty"`
}

// EventKind names a CRM or popup event.
type EventKind string

// Event kinds. CRM events are seed 001's CRM Setup events; popup events
// are seed 004's "Event Type" values.
const (
	EventAgentAllocated EventKind = "agent_allocated" // CRM: agent chosen for the caller
	EventAgentConnected EventKind = "agent_connected" // CRM: agent bridged with the caller
	EventPopupDial      EventKind = "Dial"            // popup: agent ringing (Status busy)
	EventPopupAnswered  EventKind = "Answered"        // popup: agent on call (Status busy)
	EventPopupTerminal  EventKind = "Terminal"        // popup: finished (Status free)
)

// Event is what the ACD tells the account's CRM / popup webhooks.
type Event struct {
	Kind      EventKind
	AccountID int64
	FlowID    int64  // flow the caller runs (0: none)
	CallID    string // the customer's call (CallSid)
	AttemptID string
	AgentID   int64
	// AgentNumber is the agent's number or extension (seed 004 "From").
	AgentNumber string
	// Customer is the customer's number (seed 004 "DialWhomNumber").
	Customer string
	// CustomerID is the customer id a caller-ID (CRM) widget found
	// before the queue ("" if none).
	CustomerID string
	// CallFrom / CallTo: the caller's number and the number called (DID
	// or campaign caller ID).
	CallFrom, CallTo string
	Direction        string // "incoming" or "outbound-dial"
	Queue            string
	Created          time.Time // when the call was created
	At               time.Time // when this event fired
	Busy             bool      // agent busy (Dial, Answered) or free (Terminal)
}

// Notifier delivers events to the account's configured CRM and popup
// webhooks. Notify must not block the caller (the call path); an
// implementation queues and delivers in the background.
type Notifier interface {
	Notify(ev Event)
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(Event)

// Notify calls f.
func (f NotifierFunc) Notify(ev Event) { f(ev) }

// AgentCall is one offer of a call to an agent, written after the call
// (agent report, issue 7).
type AgentCall struct {
	AccountID   int64
	AgentID     int64
	QueueID     int64 // 0: a direct agent call
	CallID      string
	AttemptID   string
	Customer    string
	OfferedAt   time.Time
	AnsweredAt  time.Time // zero: not answered
	EndedAt     time.Time
	WrapUpEnd   time.Time
	Outcome     string // answered, missed, abandoned
	Disposition string
	Recording   string // record_agent_… name, if recorded
}

// QueueCall is one caller's stay in a queue, written after it ends
// (queue report, issue 7).
type QueueCall struct {
	AccountID int64
	QueueID   int64
	FlowID    int64
	CallID    string
	AttemptID string
	Caller    string
	JoinedAt  time.Time
	EndedAt   time.Time
	Outcome   string // QUEUE_* status
	AgentID   int64  // answering agent (0: none)
	Position  int    // position on joining (1 = first)
	Recording string // record_queue_… name, if recorded
}

// AgentEvent is one agent state change, written after the fact (audit and
// login/pause time in reports).
type AgentEvent struct {
	AccountID int64
	AgentID   int64
	At        time.Time
	From, To  State
	Reason    string
}

// Journal receives the after-the-fact records. Implementations buffer and
// write in the background; the call path never waits on them.
type Journal interface {
	AgentCall(AgentCall)
	QueueCall(QueueCall)
	AgentEvent(AgentEvent)
}

// Recording kinds (the store's recording kinds for ACD recordings).
const (
	RecordingKindQueue = "queue" // record_queue_… (Queue.Record)
	RecordingKindAgent = "agent" // record_agent_… (Agent.Record)
)

// Recording is one queue or agent recording the ACD made, reported after
// it ended (recordings index of the reports, issue 7). The file is
// Asterisk's stored recording Name with extension Format.
type Recording struct {
	AccountID int64
	AttemptID string // the customer's attempt ("" if the call is unrecorded)
	CallID    string // the customer's channel ID (as in AgentCall/QueueCall)
	Kind      string // RecordingKindQueue or RecordingKindAgent
	Name      string // seed 001 name without extension
	Format    string // "gsm"
	AgentID   int64
	QueueID   int64
	StartedAt time.Time
	// Duration is from the start of the recording until the ACD stopped
	// it (the conversation's end); the ACD does not wait for Asterisk's
	// RecordingFinished event, so this is wall-clock time, not the
	// file's exact length.
	Duration time.Duration
}

// RecordingJournal is optionally implemented by a Journal: the ACD then
// reports every queue / agent recording it made once it is stopped (a
// Journal without it still works; recordings are then only named in
// AgentCall.Recording and QueueCall.Recording).
type RecordingJournal interface {
	Recording(Recording)
}

// Config loads the ACD's configuration at start (the store adapter).
type Config interface {
	Agents(ctx context.Context) ([]Agent, error)
	Queues(ctx context.Context) ([]Queue, error)
}

// HookKind is what an account hook setup is for.
type HookKind string

// Hook kinds.
const (
	HookCRM   HookKind = "crm"   // seed 001 CRM Setup: agent_allocated, agent_connected
	HookPopup HookKind = "popup" // seed 004 popup: Dial, Answered, Terminal
)

// Hook is one CRM or popup setup of an account: which configured webhook
// (by name, see store.Webhook / flows/webhooks.Config) is invoked on which
// events, for which flows.
type Hook struct {
	ID        int64       `json:"id"`
	AccountID int64       `json:"account_id"`
	Kind      HookKind    `json:"kind"`
	Webhook   string      `json:"webhook"`
	Events    []EventKind `json:"events"`
	AllFlows  bool        `json:"all_flows"`
	FlowIDs   []int64     `json:"flow_ids"`
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

// Wants reports whether the hook fires for ev.
func (h *Hook) Wants(ev Event) bool {
	if !h.AllFlows {
		found := false
		for _, id := range h.FlowIDs {
			if id == ev.FlowID {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	isCRM := ev.Kind == EventAgentAllocated || ev.Kind == EventAgentConnected
	if (h.Kind == HookCRM) != isCRM {
		return false
	}
	if len(h.Events) == 0 {
		return true
	}
	for _, e := range h.Events {
		if e == ev.Kind {
			return true
		}
	}
	return false
}

// AgentUI is an account's agent-interface embed (seed 001 Agent UI Setup):
// a custom https web app shown in an iframe of the given size.
type AgentUI struct {
	AccountID int64  `json:"account_id"`
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

// Notifiers fans every event out to each notifier, in order.
type Notifiers []Notifier

// Notify passes ev to every notifier.
func (ns Notifiers) Notify(ev Event) {
	for _, n := range ns {
		n.Notify(ev)
	}
}
