package dialer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// LeadSource serves agent-first campaigns whose leads come from the
// account's webhooks (the progressive dialer using APIs): NextLead asks
// the campaign's LeadWebhook for the next customer of an agent (the
// Connect applet's "DialWhom → Primary Url" GET), CallLog sends the
// campaign's LogWebhook after each customer call (the Passthru applet).
// params are those applets' query parameters (LeadParams, CallLogParams);
// the adapter sends them as the query string of a GET (dialer/leadhook
// does it through flows/webhooks.Invoke, under the account's policy).
type LeadSource interface {
	// NextLead returns the number to dial, or "" when the webhook has no
	// lead for the agent (204, empty body, JSON null/""): the session
	// ends. An error (transport, non-2xx, unreadable answer) ends the
	// session too, and is logged.
	NextLead(ctx context.Context, c *Campaign, params map[string]string) (string, error)
	// CallLog reports one customer call.
	CallLog(ctx context.Context, c *Campaign, params map[string]string) error
}

// ErrLeadAnswer wraps every unreadable lead-webhook answer.
var ErrLeadAnswer = errors.New("dialer: unreadable lead webhook answer")

// ErrAgentGone is returned (wrapped) by a Session's Place when the agent
// hung up during the customer call; the Result still describes the
// customer's call.
var ErrAgentGone = errors.New("dialer: the agent hung up")

// DefaultLeadNumberPath is where a JSON answer's number is read when the
// campaign sets no LeadNumberPath.
const DefaultLeadNumberPath = "number"

// MaxLeadNumber is the longest number a lead webhook may return.
const MaxLeadNumber = 64

// Time formats of the lead and call log parameters: "Created" ("Sun, 25
// Jul 2021 14:56:12") and the others ("2021-07-25 14:56:14").
const (
	seedCreatedLayout = "Mon, 02 Jan 2006 15:04:05"
	seedTimeLayout    = "2006-01-02 15:04:05"
)

// LeadCall is the agent's session as the lead webhook sees it (the
// Connect applet's call): Sid identifies the agent's call, AgentNumber is
// From/CallFrom, CallerID the virtual number (To/CallTo), Started the
// session's start. Last is the previous customer call of the session
// (zero before the first).
type LeadCall struct {
	Sid         string
	AccountID   int64
	CampaignID  int64
	AgentNumber string
	CallerID    string
	Started     time.Time
	Now         time.Time
	Location    *time.Location
	Last        CustomerCall
}

// CustomerCall is one customer call of a session, as the call log reports
// it.
type CustomerCall struct {
	Number string
	// Status is the ADS call status of the call (IN_ANSWER, BUSY,
	// NOANSWER, CANCEL, CONGESTION, chanunavail, ...).
	Status   string
	Answered bool
	// AgentHungUp: the agent ended the session during this call.
	AgentHungUp bool
	DialedAt    time.Time
	AnsweredAt  time.Time
	EndedAt     time.Time
	// RecordingURL is the download URL of the conversation's recording
	// (empty: not recorded); it can be downloaded from EndedAt on.
	RecordingURL string
}

func seedTime(t time.Time, loc *time.Location, layout string) string {
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(layout)
}

func secs(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return strconv.FormatInt(int64(d.Round(time.Second)/time.Second), 10)
}

// LeadParams are the Connect applet's parameters of a lead request:
// CallFrom, CallSid, CallStatus, CallTo, CallType, Created, CurrentTime,
// DialCallDuration, DialWhomNumber, Direction, EndTime, From, StartTime,
// To, flow_id (the campaign) and tenant_id (the account). DialWhomNumber
// and DialCallDuration describe the session's previous customer call
// (empty and 0 before the first), EndTime is the epoch while the call is
// in progress (in the account's time zone: "1970-01-01 05:30:00" in
// India).
func LeadParams(l LeadCall) map[string]string {
	dur := "0"
	if !l.Last.DialedAt.IsZero() {
		dur = secs(l.Last.EndedAt.Sub(l.Last.DialedAt))
	}
	return map[string]string{
		"CallFrom":         l.AgentNumber,
		"CallSid":          l.Sid,
		"CallStatus":       "in-progress",
		"CallTo":           l.CallerID,
		"CallType":         "call-attempt",
		"Created":          seedTime(l.Started, l.Location, seedCreatedLayout),
		"CurrentTime":      seedTime(l.Now, l.Location, seedTimeLayout),
		"DialCallDuration": dur,
		"DialWhomNumber":   l.Last.Number,
		"Direction":        "incoming",
		"EndTime":          seedTime(time.Unix(0, 0), l.Location, seedTimeLayout),
		"From":             l.AgentNumber,
		"StartTime":        seedTime(l.Started, l.Location, seedTimeLayout),
		"To":               l.CallerID,
		"flow_id":          strconv.FormatInt(l.CampaignID, 10),
		"tenant_id":        strconv.FormatInt(l.AccountID, 10),
	}
}

// DialCallStatus maps a customer call to the Passthru DialCallStatus:
// completed, busy, no-answer, canceled or failed.
func DialCallStatus(cc CustomerCall) string {
	if cc.Answered {
		return "completed"
	}
	switch strings.ToUpper(cc.Status) {
	case "BUSY":
		return "busy"
	case "NOANSWER":
		return "no-answer"
	case "CANCEL":
		return "canceled"
	}
	return "failed"
}

// legCause is the Passthru Legs[0][CauseCode] / Legs[0][Cause] of a call.
func legCause(cc CustomerCall) (string, string) {
	if cc.Answered {
		return "NORMAL_CLEARING", "16"
	}
	switch strings.ToUpper(cc.Status) {
	case "BUSY":
		return "USER_BUSY", "17"
	case "NOANSWER", "CANCEL":
		return "RING_TIMEOUT", "1003" // as a canceled call's Passthru log has it
	case "CONGESTION":
		return "NORMAL_CIRCUIT_CONGESTION", "34"
	case "CHANUNAVAIL":
		return "SUBSCRIBER_ABSENT", "20"
	case "NOROUTE":
		return "NO_ROUTE_DESTINATION", "3"
	case StatusBlocked:
		return "CALL_REJECTED", "21"
	}
	return "UNSPECIFIED", "127"
}

// CallLogParams are the Passthru applet's parameters after the customer
// call l.Last: CallFrom, CallSid, CallTo, CallType (completed when the
// customer answered, client-hangup when the agent hung up, else
// call-attempt), Created, CurrentTime, DialCallDuration (dial to end, s),
// DialCallStatus, DialWhomNumber, Direction, EndTime, From,
// Legs[0][Number], Legs[0][Type] (single), Legs[0][OnCallDuration]
// (answer to end, s), Legs[0][CauseCode], Legs[0][Cause],
// OutgoingPhoneNumber, StartTime, To, flow_id, tenant_id; and for a
// recorded conversation (the agent's calls are recorded) RecordingUrl (a
// signed, expiring download URL) and RecordingAvailableBy (when it can be
// downloaded: the call's end, in the Created format).
func CallLogParams(l LeadCall) map[string]string {
	cc := l.Last
	p := LeadParams(l)
	delete(p, "CallStatus")
	callType := "call-attempt"
	switch {
	case cc.AgentHungUp:
		callType = "client-hangup"
	case cc.Answered:
		callType = "completed"
	}
	onCall := "0"
	if cc.Answered && !cc.AnsweredAt.IsZero() {
		onCall = secs(cc.EndedAt.Sub(cc.AnsweredAt))
	}
	code, cause := legCause(cc)
	p["CallType"] = callType
	p["DialCallStatus"] = DialCallStatus(cc)
	p["EndTime"] = seedTime(cc.EndedAt, l.Location, seedTimeLayout)
	p["Legs[0][Number]"] = cc.Number
	p["Legs[0][Type]"] = "single"
	p["Legs[0][OnCallDuration]"] = onCall
	p["Legs[0][CauseCode]"] = code
	p["Legs[0][Cause]"] = cause
	p["OutgoingPhoneNumber"] = l.CallerID
	if cc.RecordingURL != "" {
		p["RecordingUrl"] = cc.RecordingURL
		p["RecordingAvailableBy"] = seedTime(cc.EndedAt, l.Location, seedCreatedLayout)
	}
	return p
}

// ParseLeadAnswer reads the number out of a lead webhook's answer: a 204,
// an empty body, JSON null or "" mean no lead (""); a JSON object is read
// at path (dot-separated keys, numeric segments index arrays; default
// "number", e.g. "destination.numbers.0"), whose value must be a string or
// a number; any other body is the number as plain text. A number is
// 1…MaxLeadNumber bytes of letters, digits and + - _ . * # (it is put into
// the campaign's endpoint template, so nothing else is accepted).
func ParseLeadAnswer(status int, body []byte, path string) (string, error) {
	if status == 204 {
		return "", nil
	}
	if status < 200 || status > 299 {
		return "", fmt.Errorf("%w: HTTP status %d", ErrLeadAnswer, status)
	}
	b := bytes.TrimSpace(body)
	if len(b) == 0 {
		return "", nil
	}
	if path == "" {
		path = DefaultLeadNumberPath
	}
	var number string
	switch b[0] {
	case '{', '[', '"':
		var v any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return "", fmt.Errorf("%w: invalid JSON: %v", ErrLeadAnswer, err)
		}
		if d.More() {
			return "", fmt.Errorf("%w: trailing data after the JSON value", ErrLeadAnswer)
		}
		if s, ok := v.(string); ok {
			number = s
			break
		}
		got, err := jsonPath(v, path)
		if err != nil {
			return "", err
		}
		switch x := got.(type) {
		case nil:
			return "", nil
		case string:
			number = x
		case json.Number:
			number = x.String()
		default:
			return "", fmt.Errorf("%w: %q is not a string or a number", ErrLeadAnswer, path)
		}
	default:
		if bytes.Equal(b, []byte("null")) {
			return "", nil
		}
		number = string(b)
	}
	number = strings.TrimSpace(number)
	if number == "" {
		return "", nil
	}
	if err := checkLeadNumber(number); err != nil {
		return "", err
	}
	return number, nil
}

func jsonPath(v any, path string) (any, error) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			n, ok := x[seg]
			if !ok {
				return nil, fmt.Errorf("%w: no %q in the JSON answer (path %q)", ErrLeadAnswer, seg, path)
			}
			v = n
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 {
				return nil, fmt.Errorf("%w: %q indexes an array (path %q)", ErrLeadAnswer, seg, path)
			}
			if i >= len(x) {
				return nil, nil // an empty list: no lead
			}
			v = x[i]
		default:
			return nil, fmt.Errorf("%w: path %q goes through a scalar at %q", ErrLeadAnswer, path, seg)
		}
	}
	return v, nil
}

func checkLeadNumber(n string) error {
	if len(n) > MaxLeadNumber {
		return fmt.Errorf("%w: number longer than %d bytes", ErrLeadAnswer, MaxLeadNumber)
	}
	for _, r := range n {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case strings.ContainsRune("+-_.*#", r):
		default:
			return fmt.Errorf("%w: number %q contains %q", ErrLeadAnswer, n, r)
		}
	}
	return nil
}

// ValidLeadPath reports whether p is a usable LeadNumberPath: dot-separated
// non-empty segments of letters, digits, _ and -.
func ValidLeadPath(p string) bool {
	if p == "" || len(p) > 128 {
		return false
	}
	for _, seg := range strings.Split(p, ".") {
		if seg == "" {
			return false
		}
		for _, r := range seg {
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
				return false
			}
		}
	}
	return true
}
