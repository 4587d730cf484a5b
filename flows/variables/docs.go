package variables

import (
	"fmt"
	"strings"
)

// Doc documents one system variable: what it holds and when it is
// set. Always is true for a variable every call has from its first
// widget; otherwise When says which path fills it (until then it is an
// unset variable: a widget using it fails with INVALID_FLOW_VAR).
type Doc struct {
	Name        string `json:"name"` // with "$", e.g. "$call.cli"
	Description string `json:"description"`
	Always      bool   `json:"always"`
	When        string `json:"when,omitempty"`
}

// Unsupported is a Phonon flow system variable ($call.cost, ...) that
// Switchyard does not provide: a flow that references it fails validation
// with Reason.
type Unsupported struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// System is the published list of system variables
// (docs/flow-variables.md, GET /api/v1/flows/variables/system).
type System struct {
	Sys         []Doc         `json:"sys"`
	Call        []Doc         `json:"call"`
	Syskey      []Doc         `json:"syskey"`
	Builtin     []Doc         `json:"builtin_flow_keys"`
	Event       []Doc         `json:"event"`
	Unsupported []Unsupported `json:"unsupported"`
}

func always(name, desc string) Doc { return Doc{Name: name, Description: desc, Always: true} }
func when(name, desc, w string) Doc {
	return Doc{Name: name, Description: desc, When: w}
}

const (
	whenAgent     = "after a queue or agent widget connected an agent"
	whenAnswered  = "once the call is answered"
	whenHungUp    = "once the call has ended (hangup handlers, call-end webhooks)"
	whenDTMF      = "once a digit was received"
	whenWebhook   = "after a webhook widget ran"
	whenFlowRec   = "when the flow records the whole call (record_call)"
	whenIVRRec    = "after a record widget"
	whenPRRec     = "after a play-and-record widget"
	whenAnyRec    = "after any recording of the call (record_call, record, play and record, or an agent or queue recording)"
	whenQueueRec  = "after a queue with recording enabled connected an agent"
	whenAgentRec  = "after an agent with recording enabled was connected"
	whenDialerRec = "after an agent with recording enabled was connected in an outbound (dialer) flow"
	whenDNIS      = "when the dialled number is known (inbound DID, outbound destination)"
	whenSetFlow   = "when a flow assigns it, or the dialer/queue sets it"
)

var callDocs = []Doc{
	always("$call.cdr", "the call attempt id (the CDR id of the call report)"),
	always("$call.start", "when the flow started, 2006-01-02 15:04:05"),
	when("$call.end", "when the call ended", whenHungUp),
	always("$call.dtmf", "every digit received so far"),
	always("$call.state", "dialing, connected, Processing, Failed or Hangup"),
	when("$call.connect", "when the call was answered", whenAnswered),
	always("$call.isIncoming", "true for inbound calls"),
	always("$call.cli", "the caller's number (inbound) or the caller id sent (outbound); empty when withheld"),
	when("$call.cli.number", "the caller's number without country code", "when the caller id is not withheld"),
	when("$call.cli.countrycode", "the caller's country code", "when the caller id is an international (E.164) number"),
	when("$call.cli.type", "international, national or unknown", "when the caller id is not withheld"),
	when("$call.cli.areacode", "the caller's area code (phone-number tables per country)", "when the caller id is an E.164 number with a geographic area code"),
	when("$call.cli.numberWithoutArea", "the caller's number without country and area code", "when the caller id is not withheld"),
	when("$call.dnis", "the number called", whenDNIS),
	when("$call.dnis.number", "the number called without country code", whenDNIS),
	when("$call.dnis.countrycode", "the country code of the number called", "when the number called is an E.164 number"),
	when("$call.dnis.type", "international, national or unknown", whenDNIS),
	when("$call.dnis.areacode", "the area code of the number called (every country)", "when the number called is an E.164 number with a geographic area code"),
	when("$call.dnis.numberWithoutArea", "the number called without country and area code", whenDNIS),
	always("$call.remoteHangup", "true when the other side hung up"),
	always("$call.isdn", "the ISDN hangup cause (0 while the call is up)"),
	always("$call.recorded", "Yes when the call has a recording, else No"),
	when("$call.recordingUri", "the download URL (signed, expiring) of the call's recording (the whole call's with record_call)", whenAnyRec),
	when("$call.lastdtmfreceived", "the last digit received", whenDTMF),
	always("$call.attemptnumber", "the try number of the call (1 for inbound and first tries)"),
	when("$call.lastWebhookStatus", "true when the last webhook succeeded", whenWebhook),
	always("$call.duration", "seconds since answer (0 before)"),
	when("$call.agent.connect", "Yes when an agent got connected, No when the queue ended without", "after a queue widget"),
	when("$call.agent.dnis", "the agent's number (or SIP extension)", whenAgent),
	when("$call.agent.dnis.number", "the agent's number without country code", whenAgent),
	when("$call.agent.dnis.countrycode", "the agent's country code", whenAgent),
	when("$call.agent.cli", "the caller id shown to the agent (the customer's number)", whenAgent),
	when("$call.agent.cli.countrycode", "its country code", whenAgent),
	when("$call.agent.cli.number", "it without country code", whenAgent),
	when("$call.agent.cli.numberWithoutArea", "it without country and area code", whenAgent),
	when("$call.agent.cli.areaCode", "its area code", whenAgent),
	when("$call.agent.recordingUri", "the download URL (signed, expiring) of the agent leg's recording", whenAgentRec),
	when("$call.flow.recordingUri", "the download URL (signed, expiring) of the whole flow's recording", whenFlowRec),
	when("$call.play_and_record.recordingUri", "the download URL (signed, expiring) of the play-and-record widget's recording", whenPRRec),
	when("$call.agent_dialer.recordingUri", "the download URL (signed, expiring) of the agent leg's recording in a dialer flow", whenDialerRec),
	when("$call.ivr_recording.recordingUri", "the download URL (signed, expiring) of the record widget's recording", whenIVRRec),
	when("$call.queue.recordingUri", "the download URL (signed, expiring) of the queue's recording", whenQueueRec),
}

var syskeyDocs = []Doc{
	when("$flow.syskey.rescheduledCall", "set to yes to reschedule an outbound call", whenSetFlow),
	when("$flow.syskey.reschedule_agent_call", "set to yes to reschedule the agent side in a dialer flow", whenSetFlow),
	when("$flow.syskey.reschedule_customer_call", "set to yes to reschedule the customer side in a dialer flow", whenSetFlow),
	when("$flow.syskey.agentID", "the id of the agent who got connected", whenAgent),
	when("$flow.syskey.agent.attempt_number", "how many agent offers the call took until one answered", whenAgent),
	when("$flow.syskey.agent.type", "dynamic or direct dial", whenAgent),
	when("$flow.syskey.loginType", "mobile phone, desk phone, landline or softphone", whenAgent),
}

var sysDocs = []Doc{
	always("$sys.datetime", "now, 2006-01-02 15:04:05 in the account's time zone"),
	always("$sys.date", "today, 2006-01-02"),
	always("$sys.time", "now, 15:04:05"),
}

var builtinDocs = []Doc{
	when("$flow.key.response_status", "the webhook's outcome", whenWebhook),
	when("$flow.key.response_status_code", "the webhook's HTTP status code", whenWebhook),
	when("$flow.key.response_status_type", "the webhook's status class", whenWebhook),
	when("$flow.key.response_duration", "the webhook's duration", whenWebhook),
	when("$flow.key.response_raw", "the webhook's response body", whenWebhook),
	when("$flow.key.response_error", "the webhook's error", whenWebhook),
	when("$flow.key.error_reason", "why the last widget failed", "after a widget failed"),
	when("$flow.key.crm_id", "the customer id the caller-ID/CRM widget found", "after a caller-ID (CRM) widget"),
	when("$flow.key.crm_result", "the CRM answer", "after a caller-ID (CRM) widget"),
	when("$flow.key.crm_destination", "where the CRM routed the call", "after a caller-ID (CRM) widget"),
	when("$flow.key.crm_reason", "why the CRM lookup failed", "after a caller-ID (CRM) widget failed"),
	when("$flow.key.dial_status", "the dial widget's outcome", "after a dial widget"),
	when("$flow.key.menu_choice", "the menu option chosen", "after a menu widget"),
}

// eventDocs are the $event.* variables of the agent and CRM event webhooks
// (dialer/acd/acdhooks).
var eventDocs = []Doc{
	always("$event.type", "agent_allocated or agent_connected"),
	always("$event.call_id", "the customer's call id"),
	always("$event.attempt_id", "the call attempt id (empty for inbound calls)"),
	always("$event.account_id", "the account id"),
	always("$event.flow_id", "the flow the caller runs (0: none)"),
	always("$event.agent_id", "the agent's id"),
	always("$event.agent_number", "the agent's number or SIP extension"),
	always("$event.customer", "the customer's number"),
	always("$event.customer_id", "the customer id a caller-ID (CRM) widget found before the queue (empty if none)"),
	always("$event.call_from", "the calling party's number"),
	always("$event.call_to", "the number called"),
	always("$event.direction", "incoming or outbound-dial"),
	always("$event.queue", "the queue name (empty for a direct agent call)"),
	always("$event.status", "busy or free (the agent)"),
	always("$event.created", "when the call was created"),
	always("$event.time", "when the event fired"),
	always("$event.timestamp", "when the event fired, Unix milliseconds"),
}

// Published returns the published system-variable lists.
func Published() System {
	sv := System{Sys: sysDocs, Call: callDocs, Syskey: syskeyDocs, Builtin: builtinDocs, Event: eventDocs}
	for _, n := range sortedKeys(unsupportedCallVars) {
		sv.Unsupported = append(sv.Unsupported, Unsupported{Name: "$call." + n, Reason: unsupportedCallVars[n]})
	}
	return sv
}

// Markdown renders the lists as docs/flow-variables.md.
func Markdown() string {
	sv := Published()
	var b strings.Builder
	b.WriteString("# Flow variables\n\n")
	b.WriteString("Generated from `flows/variables/docs.go` (`go test ./flows/variables -run TestMarkdown -update` rewrites it);\n")
	b.WriteString("the same lists are served at `GET /api/v1/flows/variables/system`.\n\n")
	b.WriteString("A variable marked *always* has a value on every call from the flow's first widget. The others\n")
	b.WriteString("are set by the path named in *when*; before that they are unset, and a widget that uses an\n")
	b.WriteString("unset variable fails with `INVALID_FLOW_VAR` (the journey step records which one).\n")
	section := func(title string, list []Doc) {
		fmt.Fprintf(&b, "\n## %s\n\n| Variable | Holds | Set |\n|---|---|---|\n", title)
		for _, d := range list {
			set := "always"
			if !d.Always {
				set = d.When
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", d.Name, d.Description, set)
		}
	}
	section("System time ($sys.*)", sv.Sys)
	section("Call ($call.*)", sv.Call)
	section("System keys ($flow.syskey.*)", sv.Syskey)
	section("Set by widgets ($flow.key.*, no declaration needed)", sv.Builtin)
	section("Agent and CRM event webhooks ($event.*)", sv.Event)
	b.WriteString("\n## Not provided\n\nReferencing these fails flow validation.\n\n| Variable | Why |\n|---|---|\n")
	for _, u := range sv.Unsupported {
		fmt.Fprintf(&b, "| `%s` | %s |\n", u.Name, u.Reason)
	}
	return b.String()
}
