// Package acd is Switchyard's automatic call distributor: agents on SIP
// phones or external numbers, ARI-native queues (the caller waits in a
// bridge with music on hold; Switchyard picks the agent and bridges), agent
// state and supervisor statistics, CRM and popup events.
//
// The configuration (agents, queues, CRM/popup hooks, the agent-UI embed)
// is package acdconfig's, which the store persists as it is. This file is
// the live side's model shared by the engine, the store adapter
// (acdstore), the HTTP API (api/agentsapi) and the event notifier
// (acdhooks): states, statistics, events and journal records. Live state
// is kept in memory; the store is written after the fact (never on the
// answer → bridge path).
package acd

import (
	"context"
	"regexp"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
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

// Queue outcomes, the exact strings users see in the queue reports.
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
	// ErrInvalid: a validation error (HTTP 422), the configuration's
	// (acdconfig.ErrInvalid: the same sentinel).
	ErrInvalid = acdconfig.ErrInvalid
	// ErrNotFound: no such agent or queue in this account (HTTP 404).
	ErrNotFound = switchyard.Sentinel(switchyard.CodeNotFound, 0, "not found")
	// ErrState: the agent's state does not allow the action (HTTP 409),
	// e.g. pausing an agent who is logged out.
	ErrState = switchyard.Sentinel(switchyard.CodeConflict, 0, "agent state does not allow this")
	// ErrUnreachable: a persistent agent's line did not answer at login
	// (HTTP 409).
	ErrUnreachable = switchyard.Sentinel(switchyard.CodeConflict, 0, "the agent's line did not answer")
)

var reasonRe = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// ValidReason checks a pause reason or disposition code.
func ValidReason(code string) error {
	if !reasonRe.MatchString(code) {
		return ErrInvalid.New("code", "code %q: 1-40 letters, digits, _ . -", code)
	}
	return nil
}

// AgentStatus is one agent's live row on the supervisor dashboard (the
// "Supervisor Agent Dashboard").
type AgentStatus struct {
	AgentID    int64               `json:"agent_id"`
	AccountID  int64               `json:"account_id"`
	Name       string              `json:"name"`
	LoginType  acdconfig.LoginType `json:"login_type"`
	State      State               `json:"state"`
	Since      time.Time           `json:"since"`                 // when State began
	Reason     string              `json:"reason,omitempty"`      // pause reason
	Registered *bool               `json:"registered,omitempty"`  // SIP endpoint registration (nil: not SIP)
	CallID     string              `json:"call_id,omitempty"`     // current call (ringing/on call/wrap-up)
	Queue      string              `json:"queue,omitempty"`       // queue of the current call
	Customer   string              `json:"customer,omitempty"`    // customer number of the current call
	CustomerID string              `json:"customer_id,omitempty"` // the customer id a caller-ID widget found for it
	// FlowKeys are the current call's $flow.key.* values when it joined
	// the queue (the agent desk shows them).
	FlowKeys   map[string]string `json:"flow_keys,omitempty"`
	Offered    int               `json:"calls_offered"`          // calls rung to the agent
	Answered   int               `json:"calls_answered"`         // calls the agent answered
	Abandoned  int               `json:"calls_abandoned"`        // caller hung up while the agent rang
	Missed     int               `json:"calls_missed"`           // agent did not answer / rejected
	AvgHandle  float64           `json:"avg_handle_time_secs"`   // talk + wrap-up per answered call
	AvgCall    float64           `json:"avg_call_time_secs"`     // talk per answered call
	LastCallAt time.Time         `json:"last_call_end,omitzero"` // for longest-idle
	// Monitored: a supervisor is on the agent's call ("listen", "whisper",
	// or "barge": a 3-way call).
	Monitored MonitorMode `json:"monitored,omitempty"`
	// Monitoring: this agent's line is a supervisor's phone on another
	// agent's call (that agent's id): busy, no queue call is offered.
	Monitoring int64 `json:"monitoring,omitempty"`
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
	// ServiceLevel is the percentage of the queue's finished callers
	// (answered, abandoned, timed out) answered within
	// ServiceLevelTarget; absent before the first.
	ServiceLevel *float64 `json:"service_level_pct,omitempty"`
	// AnsweredInSL counts the callers answered within ServiceLevelTarget.
	AnsweredInSL int `json:"answered_in_sl"`
}

// ServiceLevelTarget is the wait within which an answered caller counts
// toward a queue's service level (the usual 80/20's 20 seconds).
const ServiceLevelTarget = 20 * time.Second

// Update is one change pushed to supervisor subscribers (the SSE stream).
type Update struct {
	Kind  string       `json:"kind"` // "agent" or "queue"
	Agent *AgentStatus `json:"agent,omitempty"`
	Queue *QueueStatus `json:"queue,omitempty"`
}

// Event is what the ACD tells the account's CRM / popup webhooks.
type Event struct {
	Kind      acdconfig.EventKind
	AccountID int64
	FlowID    int64  // flow the caller runs (0: none)
	CallID    string // the customer's call (CallSid)
	AttemptID string
	AgentID   int64
	// AgentNumber is the agent's number or extension (the "From" field of
	// the agent-first dialing API).
	AgentNumber string
	// Customer is the customer's number (the "DialWhomNumber" field of
	// the agent-first dialing API).
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
	Name      string // recording's file name without extension
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
	Agents(ctx context.Context) ([]acdconfig.Agent, error)
	Queues(ctx context.Context) ([]acdconfig.Queue, error)
}

// Notifiers fans every event out to each notifier, in order.
type Notifiers []Notifier

// Notify passes ev to every notifier.
func (ns Notifiers) Notify(ev Event) {
	for _, n := range ns {
		n.Notify(ev)
	}
}
