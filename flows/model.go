package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"sort"
	"strings"

	"github.com/switchyard/switchyard/flows/variables"
)

// FormatVersion is the flow document format this package reads and writes.
const FormatVersion = 1

// Flow types (the product's four flow types: inbound, outbound multicast,
// outbound dialer, emergency notification).
const (
	TypeInbound      = "inbound"
	TypeOutbound     = "outbound_multicast"
	TypeDialer       = "outbound_dialer"
	TypeEmergency    = "emergency_notification"
	maxNodes         = 2000
	maxExitsPerNode  = 64
	maxDocumentBytes = 1 << 20
	defaultMaxSteps  = 500
	nodeIDMaxLen     = 64
)

// FlowTypes lists the valid flow types.
var FlowTypes = []string{TypeInbound, TypeOutbound, TypeDialer, TypeEmergency}

// Flow is one version of a flow graph, as users write it:
//
//	{"format": 1, "name": "Main line", "type": "inbound", "start": "hello",
//	 "variables": ["customer_name"],
//	 "nodes": [{"id": "hello", "type": "play",
//	            "params": {"media": ["sound:hello-world"]}, "exits": ["bye"]},
//	           {"id": "bye", "type": "hangup"}]}
//
// exits[i] is the node reached on line i (line 0 success, line 1 failure,
// more where the widget has more outcomes); "" or a missing line ends the
// flow (the call is hung up).
type Flow struct {
	Format    int      `json:"format"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Start     string   `json:"start"`
	Variables []string `json:"variables,omitempty"` // declared $flow.key.<name> names
	Nodes     []Node   `json:"nodes"`
	// Settings are the flow's configurator options outside the graph.
	Settings *Settings `json:"settings,omitempty"`
	// Notification is an emergency notification flow's template script
	// for the SMS and email channels (the voice channel runs the graph).
	Notification *NotificationTemplate `json:"notification,omitempty"`
	// Layout is editor-only: where the console's flow editor draws each
	// node ({"node id": {"x": …, "y": …}}). The validator checks only its
	// shape (a JSON object of points, by the strict decoding) and the
	// engine never reads it, so it cannot change what a flow does; the
	// editor drops the entries of nodes that no longer exist.
	Layout map[string]Position `json:"layout,omitempty"`

	byID    map[string]*Node
	valid   bool        // Validate passed
	prompts []PromptRef // prompt:<name> media, found by Validate
	says    []SayRef    // say widgets, found by Validate
}

// SayRef is a say widget's value, kind and grammar (Grammar "" is the
// Sample English Grammar; TTS: said by text-to-speech), for the check at
// publishing that the account's grammar says such values.
type SayRef struct {
	Node    string
	Kind    string
	Value   string // may hold variables
	Grammar string
	TTS     bool
}

// Says lists the flow's say widgets (valid after Parse/Validate).
func (f *Flow) Says() []SayRef { return f.says }

// PromptRef is a prompt:<name> media item of a node (its name without
// variables: a name built from variables is resolved when played).
type PromptRef struct {
	Node  string // node id
	Field string // e.g. params.media[0]
	Name  string
}

// Prompts lists the flow's prompt:<name> media items (valid after
// Parse/Validate): publishing checks that each names an approved prompt.
func (f *Flow) Prompts() []PromptRef { return f.prompts }

// Position is a node's place on the flow editor's canvas (Flow.Layout).
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Node is one widget instance.
type Node struct {
	ID     string                     `json:"id"`
	Type   string                     `json:"type"`
	Params map[string]json.RawMessage `json:"params,omitempty"`
	Exits  []string                   `json:"exits,omitempty"`

	cfg any // typed params, set by Validate
}

// Node returns the node with the given id (nil if none). Valid after
// Parse/Validate.
func (f *Flow) Node(id string) *Node {
	if f.byID == nil {
		f.index()
	}
	return f.byID[id]
}

func (f *Flow) index() {
	f.byID = make(map[string]*Node, len(f.Nodes))
	for i := range f.Nodes {
		if _, dup := f.byID[f.Nodes[i].ID]; !dup {
			f.byID[f.Nodes[i].ID] = &f.Nodes[i]
		}
	}
}

// Exit returns the node id on line n ("" if not connected).
func (n *Node) Exit(line int) string {
	if line < 0 || line >= len(n.Exits) {
		return ""
	}
	return n.Exits[line]
}

// Problem is one validation finding; Node is "" for flow-level fields.
type Problem struct {
	Node    string `json:"node,omitempty"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Node == "" {
		return fmt.Sprintf("%s: %s", p.Field, p.Message)
	}
	return fmt.Sprintf("node %q: %s: %s", p.Node, p.Field, p.Message)
}

// ValidationError carries every problem found in a flow.
type ValidationError struct {
	Problems []Problem `json:"problems"`
}

// ErrInvalidFlow is matched (errors.Is) by every *ValidationError.
var ErrInvalidFlow = errors.New("invalid flow")

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid flow: %d problem(s)", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("; ")
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidFlow) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidFlow }

// Features tells the validator which optional widgets this deployment
// can run.
type Features struct {
	// Queues is true once the agents-and-queues feature provides a
	// QueueRunner; until then a queue node fails validation.
	Queues bool
}

// Parse decodes a flow document strictly (unknown fields are errors) and
// validates it. The returned error is a *ValidationError listing every
// problem, or a decoding error naming the offset.
func Parse(data []byte, feat Features) (*Flow, error) {
	f, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if err := Validate(f, feat); err != nil {
		return f, err
	}
	return f, nil
}

// Decode reads a flow document without validating its graph.
func Decode(data []byte) (*Flow, error) {
	if len(data) > maxDocumentBytes {
		return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: fmt.Sprintf("flow document is %d bytes; the limit is %d", len(data), maxDocumentBytes)}}}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Flow
	if err := dec.Decode(&f); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: "not valid JSON: the document ends early"}}}
		case errors.Is(err, io.EOF):
			return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: "is empty"}}}
		case errors.As(err, &se):
			return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, err)}}}
		case errors.As(err, &te):
			field := te.Field
			if field == "" {
				return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: fmt.Sprintf("must be a JSON object, not JSON %s", te.Value)}}}
			}
			return nil, &ValidationError{Problems: []Problem{{Field: field, Message: fmt.Sprintf("must be %s, not JSON %s", te.Type, te.Value)}}}
		}
		return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: err.Error()}}}
	}
	if dec.More() {
		return nil, &ValidationError{Problems: []Problem{{Field: "document", Message: "trailing data after the flow object"}}}
	}
	return &f, nil
}

// Validate checks a flow and returns a *ValidationError with every problem.
func Validate(f *Flow, feat Features) error {
	v := &validator{f: f, feat: feat, declared: map[string]bool{}}
	f.valid, f.prompts, f.says = false, nil, nil
	v.run()
	if len(v.problems) == 0 {
		f.valid = true
		return nil
	}
	return &ValidationError{Problems: v.problems}
}

type validator struct {
	f        *Flow
	feat     Features
	declared map[string]bool
	problems []Problem
}

func (v *validator) add(node, field, format string, args ...any) {
	v.problems = append(v.problems, Problem{Node: node, Field: field, Message: fmt.Sprintf(format, args...)})
}

func validNodeID(id string) bool {
	if id == "" || len(id) > nodeIDMaxLen {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

func (v *validator) run() {
	f := v.f
	if f.Format != FormatVersion {
		v.add("", "format", "must be %d (got %d)", FormatVersion, f.Format)
	}
	if strings.TrimSpace(f.Name) == "" {
		v.add("", "name", "is required")
	}
	okType := false
	for _, t := range FlowTypes {
		okType = okType || f.Type == t
	}
	if !okType {
		v.add("", "type", "must be one of %s (got %q)", strings.Join(FlowTypes, ", "), f.Type)
	}
	for i, name := range f.Variables {
		field := fmt.Sprintf("variables[%d]", i)
		name = strings.TrimPrefix(name, "$flow.key.")
		switch {
		case !variables.ValidName(name):
			v.add("", field, "%q is not a valid variable name (letters, digits, _ and -, at most %d)", f.Variables[i], variables.MaxNameLen)
		case v.declared[name]:
			v.add("", field, "variable %q is declared twice", name)
		default:
			v.declared[name] = true
		}
	}
	v.settings()
	v.notification()
	if len(f.Nodes) == 0 {
		v.add("", "nodes", "a flow needs at least one node")
		return
	}
	if len(f.Nodes) > maxNodes {
		v.add("", "nodes", "%d nodes; the limit is %d", len(f.Nodes), maxNodes)
		return
	}
	f.index()
	seen := map[string]bool{}
	for i := range f.Nodes {
		n := &f.Nodes[i]
		if !validNodeID(n.ID) {
			v.add(n.ID, fmt.Sprintf("nodes[%d].id", i), "%q is not a valid node id (1-%d of letters, digits, _ and -)", n.ID, nodeIDMaxLen)
		}
		if seen[n.ID] {
			v.add(n.ID, fmt.Sprintf("nodes[%d].id", i), "duplicate node id")
		}
		seen[n.ID] = true
	}
	if f.Start == "" {
		v.add("", "start", "is required (the id of the first node)")
	} else if f.byID[f.Start] == nil {
		v.add("", "start", "no node has id %q", f.Start)
	}
	for i := range f.Nodes {
		v.node(&f.Nodes[i])
	}
	v.reachability()
}

func (v *validator) node(n *Node) {
	spec, ok := widgets[n.Type]
	if !ok {
		v.add(n.ID, "type", "unknown widget %q (known: %s)", n.Type, strings.Join(WidgetTypes(), ", "))
		return
	}
	if spec.feature == "queues" && !v.feat.Queues {
		v.add(n.ID, "type", "queue widget needs the agents-and-queues feature, which this deployment does not have yet")
	}
	if len(n.Exits) > maxExitsPerNode {
		v.add(n.ID, "exits", "%d exits; the limit is %d", len(n.Exits), maxExitsPerNode)
	}
	maxLine := spec.lines - 1
	for line, target := range n.Exits {
		if target == "" {
			continue
		}
		field := fmt.Sprintf("exits[%d]", line)
		if line > maxLine && !spec.extraLines {
			v.add(n.ID, field, "widget %s has no line %d (lines 0-%d)", n.Type, line, maxLine)
			continue
		}
		if v.f.byID[target] == nil {
			v.add(n.ID, field, "dangling exit: no node has id %q", target)
		}
	}
	p := &paramReader{v: v, node: n, used: map[string]bool{}}
	n.cfg = spec.check(p)
	names := make([]string, 0, len(n.Params))
	for k := range n.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !p.used[k] {
			v.add(n.ID, "params."+k, "unknown parameter for widget %s", n.Type)
		}
	}
}

// reachability reports nodes that no path from start reaches.
func (v *validator) reachability() {
	f := v.f
	if f.byID[f.Start] == nil {
		return
	}
	reached := map[string]bool{}
	stack := []string{f.Start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if reached[id] {
			continue
		}
		reached[id] = true
		n := f.byID[id]
		if n == nil {
			continue
		}
		for _, t := range successors(n) {
			if t != "" && !reached[t] {
				stack = append(stack, t)
			}
		}
	}
	for i := range f.Nodes {
		if id := f.Nodes[i].ID; !reached[id] {
			v.add(id, "id", "unreachable node: no path from start %q leads here", f.Start)
		}
	}
}

// successors are the exits plus goto targets.
func successors(n *Node) []string {
	out := append([]string(nil), n.Exits...)
	if n.Type == "goto" {
		var target string
		if raw, ok := n.Params["node"]; ok && json.Unmarshal(raw, &target) == nil {
			out = append(out, target)
		}
	}
	return out
}

// Settings are a flow's configurator options (its configurator tab).
type Settings struct {
	// EmailStatus is "Email Status": after each call-list upload the
	// per-number status goes to the account holder and to StatusRecipients
	// (only whitelisted addresses are used).
	EmailStatus      bool     `json:"email_status,omitempty"`
	StatusRecipients []string `json:"status_recipients,omitempty"`
	// RecordCall records the whole call from the flow's start
	// (call_<acct>_<flow>_<cli>_<dnis>_<start ms>.gsm) and sets
	// $call.flow.recordingUri and $call.recordingUri.
	RecordCall bool `json:"record_call,omitempty"`
}

const maxStatusRecipients = 50

func (v *validator) settings() {
	s := v.f.Settings
	if s == nil {
		return
	}
	if len(s.StatusRecipients) > maxStatusRecipients {
		v.add("", "settings.status_recipients", "at most %d addresses (got %d)", maxStatusRecipients, len(s.StatusRecipients))
	}
	for i, r := range s.StatusRecipients {
		if a, err := mail.ParseAddress(r); err != nil || a.Address != r || a.Name != "" {
			v.add("", fmt.Sprintf("settings.status_recipients[%d]", i), "%q is not a bare email address (name@example.com)", r)
		}
	}
	if len(s.StatusRecipients) > 0 && !s.EmailStatus {
		v.add("", "settings.email_status", "status_recipients are set but email_status is off: turn it on or remove them")
	}
}

// NotificationTemplate is the text an emergency notification sends by SMS
// and by email. The texts may use the flow's declared variables
// ($flow.key.x or ${flow.key.x}), filled from the parameters entered when
// the notification is sent, and $sys.date, $sys.time, $sys.datetime.
type NotificationTemplate struct {
	SMSText      string `json:"sms_text,omitempty"`
	EmailSubject string `json:"email_subject,omitempty"`
	EmailText    string `json:"email_text,omitempty"`
}

// Notification template limits.
const (
	MaxNotificationSMS     = 1600
	MaxNotificationSubject = 255
	MaxNotificationEmail   = 64 << 10
)

func (v *validator) notification() {
	t := v.f.Notification
	if t == nil {
		return
	}
	if v.f.Type != TypeEmergency {
		v.add("", "notification", "only emergency notification flows have a notification template (this is a %s flow)", v.f.Type)
		return
	}
	if t.EmailSubject != "" && strings.ContainsAny(t.EmailSubject, "\r\n") {
		v.add("", "notification.email_subject", "must be one line")
	}
	if (t.EmailSubject == "") != (t.EmailText == "") {
		v.add("", "notification", "an email needs both email_subject and email_text")
	}
	for _, f := range []struct {
		field, text string
		max         int
	}{{"notification.sms_text", t.SMSText, MaxNotificationSMS},
		{"notification.email_subject", t.EmailSubject, MaxNotificationSubject},
		{"notification.email_text", t.EmailText, MaxNotificationEmail}} {
		if len(f.text) > f.max {
			v.add("", f.field, "%d bytes; the limit is %d", len(f.text), f.max)
			continue
		}
		refs, bad := variables.Scan(f.text)
		for _, b := range bad {
			v.add("", f.field, "unknown variable %s", b.Full())
		}
		for _, r := range refs {
			switch {
			case r.NS == variables.NSSys:
			case r.NS == variables.NSFlow && v.declared[r.Name]:
			case r.NS == variables.NSFlow:
				v.add("", f.field, "undeclared variable %s (declare %q in the flow's variables)", r.Full(), r.Name)
			default:
				v.add("", f.field, "%s has no value in a message (only the flow's variables and $sys.* do)", r.Full())
			}
		}
	}
}
