package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// Call statuses the flow engine sets (the ADS call statuses for an IVR,
// queue or other-extension destination).
const (
	StatusIVRStarted      = "IVR_STARTED"
	StatusIVRFinished     = "IVR_FINISHED"
	StatusInAnswer        = "IN_ANSWER"
	StatusInBusy          = "IN_BUSY"
	StatusInNoAnswer      = "IN_NOANSWER"
	StatusInCancel        = "IN_CANCEL"
	StatusInCongestion    = "IN_CONGESTION"
	StatusInChanUnavail   = "IN_CHANUNAVAIL"
	defaultJourneyTimeout = 5 * time.Second
)

// UserVarStore keeps account-wide $user.key.* values (latest wins).
type UserVarStore interface {
	GetUserVar(ctx context.Context, accountID int64, name string) (value string, ok bool, err error)
	SetUserVar(ctx context.Context, accountID int64, name, value string) error
}

// WebhookSource finds an account's configured webhook by name.
type WebhookSource interface {
	Webhook(ctx context.Context, accountID int64, name string) (WebhookConfig, error)
}

// ErrWebhookNotFound is what a WebhookSource returns for an unknown name.
var ErrWebhookNotFound = errors.New("webhook not found")

// JourneySaver stores a journey (the store's SaveJourney).
type JourneySaver interface {
	SaveJourney(ctx context.Context, accountID int64, attemptID string, steps json.RawMessage) error
}

// TTS turns text into playable media URIs; a later issue implements it.
type TTS interface {
	Synthesize(ctx context.Context, accountID int64, text string) ([]string, error)
}

// QueueRunner puts a call in a queue (the ACD, dialer/acd). It runs on
// the call's goroutine and returns when the caller left the queue: answered
// and the conversation over, timed out, refused, or hung up.
type QueueRunner interface {
	Enqueue(ctx context.Context, call *ari.Call, req QueueRequest) (QueueResult, error)
}

// QueueRequest is what the queue widget hands the ACD.
type QueueRequest struct {
	AccountID int64
	FlowID    int64
	Queue     string // queue name (interpolated)
	Timeout   time.Duration
	WidgetID  string // the queue node's id (recording names)
	CLI, DNIS string // the caller's number and the number called
	Outbound  bool   // a dialer/multicast call (popup Direction outbound-dial)
	// CustomerID is the customer id a caller-ID (CRM) widget found
	// ($flow.key.crm_id, "" if none): the agent's index to the customer.
	CustomerID string
}

// QueueResult is the outcome. Line 0 = answered by an agent, 1 = not.
// Status is the ADS QUEUE_* call status; CallVars fill $call.* (agent.*,
// agent.recordingUri, …) and Syskeys $flow.syskey.* (agentID, agent.type).
type QueueResult struct {
	Line     int
	Status   string
	Outputs  map[string]any
	CallVars map[string]string
	Syskeys  map[string]string
}

// Engine runs flows on calls. Zero-valued optional fields disable what
// they provide (a flow needing one fails at that widget with a reason).
type Engine struct {
	UserVars UserVarStore
	Webhooks WebhookSource
	Journeys JourneySaver
	TTS      TTS
	Queue    QueueRunner
	// Recordings indexes the call's finished recordings (record,
	// play_and_record, the whole call) at the end of the journey.
	Recordings RecordingSaver
	// Reports writes the attempt's report fields (queue, SMS number,
	// email) at the end of the journey.
	Reports ReportFieldsSaver
	// CallRecorder records whole calls of flows with the record_call
	// setting (SnoopRecorder).
	CallRecorder CallRecorder
	// RecordingLinks, when set, makes the recording variables
	// ($call.recordingUri, $call.agent_dialer.recordingUri, … as read by
	// widgets, webhooks and templates) authenticated, expiring download
	// URLs; a play widget given such a URL plays the recording. Nil: they
	// read recording:<name>.
	RecordingLinks RecordingLinks
	// Policy gives an account's outbound HTTP policy (default: HTTPS
	// only, no loopback/private/link-local targets).
	Policy func(ctx context.Context, accountID int64) NetPolicy
	// Now is the clock for $sys.* and time conditions (default time.Now).
	Now func() time.Time
	// MaxSteps bounds widgets per call (loops; default 500).
	MaxSteps int
	Logger   *slog.Logger

	disconnects sync.WaitGroup // disconnect webhooks in flight
}

// RecordingLinks makes and reads recording download URLs (see
// api/reportsapi/recordings.Links).
type RecordingLinks interface {
	// URL is the download URL of the recording named name.
	URL(name string) string
	// Name is the recording a URL made by URL names (ok false for any
	// other URL).
	Name(link string) (name string, ok bool)
}

// recordingPrefix starts a recording's internal URI (recording:<name>,
// also an ARI media URI).
const recordingPrefix = "recording:"

// exposeRecording turns the value of a recording variable into its
// download URL (other variables and values are returned as they are).
func (e *Engine) exposeRecording(name, v string) string {
	if e.RecordingLinks == nil || !strings.HasSuffix(name, "recordingUri") || !strings.HasPrefix(v, recordingPrefix) {
		return v
	}
	return e.RecordingLinks.URL(strings.TrimPrefix(v, recordingPrefix))
}

// Features tells the validator what this engine can run.
func (e *Engine) Features() Features { return Features{Queues: e.Queue != nil} }

// FlowVersion is the exact flow version a call runs.
type FlowVersion struct {
	AccountID int64
	FlowID    int64
	Version   int
	Flow      *Flow
}

// Step is one executed widget in a journey.
type Step struct {
	Node    string         `json:"node"`
	Type    string         `json:"type"`
	Start   time.Time      `json:"start"`
	End     time.Time      `json:"end"`
	Inputs  map[string]any `json:"inputs,omitempty"`
	Outputs map[string]any `json:"outputs,omitempty"`
	Exit    *int           `json:"exit,omitempty"`
	Next    string         `json:"next,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// Journey is the call report's per-attempt "View JSON".
type Journey struct {
	AttemptID string    `json:"attempt_id,omitempty"`
	FlowID    int64     `json:"flow_id"`
	Version   int       `json:"flow_version"`
	Start     time.Time `json:"start"`
	End       time.Time `json:"end"`
	Status    string    `json:"status"`
	Outcome   string    `json:"outcome"` // finished, widget_failed, caller_hangup, hangup_widget, error, max_steps
	// Reason says why a widget_failed flow ended: the widget and its error.
	Reason string `json:"reason,omitempty"`
	Steps  []Step `json:"steps"`
	// Syskeys are the $flow.syskey.* values when the flow ended (the
	// dialer reads rescheduledCall, reschedule_agent_call,
	// reschedule_customer_call and agentID).
	Syskeys map[string]string `json:"syskeys,omitempty"`
	// Recorded and RecordingURI are $call.recorded and $call.recordingUri
	// when the flow ended (the call report's Recorded / Recording URI).
	Recorded     bool   `json:"recorded,omitempty"`
	RecordingURI string `json:"recording_uri,omitempty"`
	// Recordings are the names of the recordings the flow made.
	Recordings []string `json:"recordings,omitempty"`
	// Notes are problems that did not stop the flow (e.g. the whole-call
	// recording could not start).
	Notes []string `json:"notes,omitempty"`
}

// netPolicy is the account's outbound HTTP policy, read once per run and
// only by a run that makes an HTTP request (most calls never do).
func (r *run) netPolicy(ctx context.Context) NetPolicy {
	if r.policy == nil {
		p := NetPolicy{}
		if r.e.Policy != nil {
			p = r.e.Policy(ctx, r.fv.AccountID)
		}
		r.policy = &p
	}
	return *r.policy
}

// run is one flow execution.
type run struct {
	// failReason is set when the widget just run failed with no line to
	// continue on (the journey's widget_failed reason).
	failReason string
	e          *Engine
	call       *ari.Call
	fv         FlowVersion
	flow       *Flow
	flowVars   map[string]string
	syskeys    map[string]string
	callVars   map[string]string // overrides/extra $call.* values
	userVars   map[string]string // cache of values read or written
	policy     *NetPolicy        // loaded by netPolicy when a widget first needs it
	journey    Journey
	status     string
	// transferred: a transfer or queue widget set an IN_* / QUEUE_* status, which then stays
	// the call's status.
	transferred bool
	// recordings made so far (indexed at the end of the journey), the
	// names used on this call, the whole-call recording in progress and
	// the last queue the call went through.
	recordings []Recording
	usedNames  map[string]bool
	callRec    *callRecording
	queueName  string
	mu         sync.Mutex
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Run executes the flow version on the call, from the flow's start node,
// until the flow ends or the caller hangs up. vars preset variables: keys
// "$flow.key.x" (or bare "x"), "$flow.syskey.x", or "$call.x" to supply
// call facts the channel does not carry (cli, dnis, attemptnumber for the
// dialer). The journey is saved (if a JourneySaver is set and the call has
// an attempt) and returned. A caller hangup is not an error.
func (e *Engine) Run(ctx context.Context, call *ari.Call, fv FlowVersion, vars map[string]string) (*Journey, error) {
	if fv.Flow == nil {
		return nil, errors.New("flows: run: no flow")
	}
	if !fv.Flow.valid {
		// Validating here would mutate a flow other calls may share.
		return nil, fmt.Errorf("flows: run flow %d v%d: the flow was not validated (use Parse or Validate first): %w", fv.FlowID, fv.Version, ErrInvalidFlow)
	}
	r := &run{
		e: e, call: call, fv: fv, flow: fv.Flow,
		flowVars: map[string]string{}, syskeys: map[string]string{}, callVars: map[string]string{}, userVars: map[string]string{},
		usedNames: map[string]bool{},
	}
	for k, v := range vars {
		switch {
		case strings.HasPrefix(k, "$call."):
			r.callVars[strings.TrimPrefix(k, "$call.")] = v
		case strings.HasPrefix(k, "$flow.syskey."):
			r.syskeys[strings.TrimPrefix(k, "$flow.syskey.")] = v
		default:
			r.flowVars[strings.TrimPrefix(k, "$flow.key.")] = v
		}
	}
	r.journey = Journey{AttemptID: call.AttemptID, FlowID: fv.FlowID, Version: fv.Version, Start: e.now(), Steps: []Step{}}
	r.setStatus(StatusIVRStarted)
	r.startCallRecording(ctx)
	err := r.loop(ctx)
	r.stopCallRecording(ctx)
	r.journey.End = e.now()
	r.journey.Status = r.status
	r.journey.Syskeys = maps.Clone(r.syskeys)
	r.journey.RecordingURI = r.callVars["recordingUri"]
	r.journey.Recorded = r.journey.RecordingURI != ""
	for _, rec := range r.recordings {
		r.journey.Recordings = append(r.journey.Recordings, rec.FileName())
	}
	if call.Status() != r.status {
		call.SetStatus(r.status)
	}
	if e.Journeys != nil && call.AttemptID != "" {
		b, merr := json.Marshal(r.journey)
		if merr == nil {
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultJourneyTimeout)
			merr = e.Journeys.SaveJourney(sctx, fv.AccountID, call.AttemptID, b)
			cancel()
		}
		if merr != nil {
			e.log().Warn("save journey", "attempt", call.AttemptID, "error", merr)
		}
	}
	r.saveReports(ctx)
	r.callDisconnectWebhooks(ctx)
	j := r.journey
	return &j, err
}

func (r *run) setStatus(s string) {
	// A transfer's IN_* and a queue's QUEUE_* outcome stay the call's
	// status when the flow goes on after them.
	if strings.HasPrefix(s, "IN_") || strings.HasPrefix(s, "QUEUE_") {
		r.transferred = true
	}
	r.status = s
	r.call.SetStatus(s)
}

// errUnsetVar is a widget failing on an unset variable (its step gets
// error_reason INVALID_FLOW_VAR).
var errUnsetVar = errors.New("unset variable")

// errFlowHangup ends the flow at a hangup widget.
var errFlowHangup = errors.New("hangup widget")

func (r *run) loop(ctx context.Context) error {
	max := r.e.MaxSteps
	if max <= 0 {
		max = defaultMaxSteps
	}
	cur := r.flow.Start
	for steps := 0; ; steps++ {
		if cur == "" && r.failReason != "" {
			// The last widget failed and its failure line leads nowhere.
			r.journey.Outcome, r.journey.Reason = "widget_failed", r.failReason
			if !r.transferred {
				r.setStatus(StatusIVRFinished)
			}
			return nil
		}
		if cur == "" {
			r.journey.Outcome = "finished"
			if !r.transferred {
				r.setStatus(StatusIVRFinished)
			}
			return nil
		}
		if steps >= max {
			r.journey.Outcome = "max_steps"
			return fmt.Errorf("flows: flow %d ran %d widgets without ending (loop?)", r.fv.FlowID, max)
		}
		if err := ctx.Err(); err != nil {
			r.journey.Outcome = "cancelled"
			return err
		}
		n := r.flow.Node(cur)
		if n == nil {
			r.journey.Outcome = "error"
			return fmt.Errorf("flows: node %q not found", cur)
		}
		st := Step{Node: n.ID, Type: n.Type, Start: r.e.now(), Inputs: map[string]any{}, Outputs: map[string]any{}}
		res := r.exec(ctx, n, &st)
		st.End = r.e.now()
		next := ""
		if res.gotoNode != "" {
			next = res.gotoNode
		} else if res.line >= 0 {
			l := res.line
			st.Exit = &l
			next = n.Exit(l)
		}
		st.Next = next
		// A hangup widget ending the flow is its normal end, not an error
		// (the journey's outcome says hangup_widget).
		r.failReason = ""
		if res.err != nil && !errors.Is(res.err, errFlowHangup) {
			st.Error = res.err.Error()
			if errors.Is(res.err, errUnsetVar) {
				st.Outputs["error_reason"] = ReasonInvalidFlowVar
			}
			if next == "" {
				r.failReason = fmt.Sprintf("node %q (%s): %s", n.ID, n.Type, st.Error)
			}
		}
		if len(st.Inputs) == 0 {
			st.Inputs = nil
		}
		if len(st.Outputs) == 0 {
			st.Outputs = nil
		}
		r.mu.Lock()
		r.journey.Steps = append(r.journey.Steps, st)
		r.mu.Unlock()
		switch {
		case errors.Is(res.err, ari.ErrHangup):
			r.journey.Outcome = "caller_hangup"
			return nil
		case errors.Is(res.err, errFlowHangup):
			r.journey.Outcome = "hangup_widget"
			if !r.transferred {
				r.setStatus(StatusIVRFinished)
			}
			return nil
		case res.err != nil && res.line < 0 && res.gotoNode == "":
			r.journey.Outcome = "error"
			return fmt.Errorf("flows: node %q (%s): %w", n.ID, n.Type, res.err)
		}
		if r.call.HungUp() {
			r.journey.Outcome = "caller_hangup"
			return nil
		}
		cur = next
	}
}

// result of one widget: an exit line (or -1), a goto target, an error.
// An error with a line is recorded and the flow continues on the line.
type result struct {
	line     int
	gotoNode string
	err      error
}

func line(n int) result               { return result{line: n} }
func fail(err error) result           { return result{line: 1, err: err} }
func stop(err error) result           { return result{line: -1, err: err} }
func lineErr(n int, err error) result { return result{line: n, err: err} }

// hangupOr maps a call error to stop (hangup) or a failure line.
func hangupOr(err error) result {
	if errors.Is(err, ari.ErrHangup) || errors.Is(err, context.Canceled) {
		return stop(err)
	}
	return fail(err)
}

func (r *run) exec(ctx context.Context, n *Node, st *Step) result {
	switch c := n.cfg.(type) {
	case nil:
		switch n.Type {
		case "answer":
			if err := r.call.Answer(ctx); err != nil {
				return hangupOr(err)
			}
			return line(0)
		}
	case *playCfg:
		return r.play(ctx, c, st)
	case *recordCfg:
		return r.record(ctx, n, c, st)
	case *gatherCfg:
		return r.gather(ctx, c, st)
	case *menuCfg:
		return r.menu(ctx, c, st)
	case *decisionCfg:
		return r.decision(c, st)
	case *timeCfg:
		return r.timeCondition(n, c, st)
	case *setCfg:
		return r.set(ctx, c, st)
	case *webhookCfg:
		return r.webhook(ctx, c, st)
	case *callerIDCfg:
		return r.callerID(ctx, n, c, st)
	case *transferCfg:
		return r.transfer(ctx, n, c, st)
	case *queueCfg:
		if r.e.Queue == nil {
			return stop(errors.New("queue widget needs the agents-and-queues feature"))
		}
		return r.queue(ctx, n, c, st)
	case *gotoCfg:
		return result{line: -1, gotoNode: c.Node}
	case *hangupCfg:
		st.Inputs["cause"] = c.Cause
		if err := r.call.Hangup(ctx, strconv.Itoa(c.Cause)); err != nil {
			return stop(err)
		}
		return stop(errFlowHangup)
	}
	return stop(fmt.Errorf("widget %s has no runner", n.Type))
}

// ---- variables ----------------------------------------------------------

// lookup resolves a reference; ok=false when unset.
func (r *run) lookup(ctx context.Context, ref Ref) (string, bool) {
	switch ref.NS {
	case NSFlow:
		v, ok := r.flowVars[ref.Name]
		return v, ok
	case NSSyskey:
		v, ok := r.syskeys[ref.Name]
		return v, ok
	case NSUser:
		if v, ok := r.userVars[ref.Name]; ok {
			return v, true
		}
		if r.e.UserVars == nil {
			return "", false
		}
		v, ok, err := r.e.UserVars.GetUserVar(ctx, r.fv.AccountID, ref.Name)
		if err != nil || !ok {
			return "", false
		}
		r.userVars[ref.Name] = v
		return v, true
	case NSSys:
		now := r.e.now()
		switch ref.Name {
		case "datetime":
			return now.Format("2006-01-02 15:04:05"), true
		case "date":
			return now.Format("2006-01-02"), true
		case "time":
			return now.Format("15:04:05"), true
		}
	case NSCall:
		v, ok := r.callVar(ref.Name)
		return r.e.exposeRecording(ref.Name, v), ok
	}
	return "", false
}

func (r *run) lookupFn(ctx context.Context) func(Ref) (string, bool) {
	return func(ref Ref) (string, bool) { return r.lookup(ctx, ref) }
}

// sub interpolates, leaving unset variables empty.
func (r *run) sub(s string) string {
	out, _ := Interpolate(s, r.lookupFn(context.Background()))
	return out
}

func (r *run) subCtx(ctx context.Context, s string) (string, []string) {
	return Interpolate(s, r.lookupFn(ctx))
}

func (r *run) assign(ctx context.Context, t Ref, v string) error {
	switch t.NS {
	case NSFlow:
		r.flowVars[t.Name] = v
	case NSSyskey:
		r.syskeys[t.Name] = v
	case NSUser:
		r.userVars[t.Name] = v
		if r.e.UserVars != nil {
			if err := r.e.UserVars.SetUserVar(ctx, r.fv.AccountID, t.Name, v); err != nil {
				return fmt.Errorf("save %s: %w", t.Full(), err)
			}
		}
	}
	return nil
}

func fmtTime(t time.Time) (string, bool) {
	if t.IsZero() {
		return "", false
	}
	return t.Format("2006-01-02 15:04:05"), true
}

func (r *run) callVar(name string) (string, bool) {
	if v, ok := r.callVars[name]; ok {
		return v, true
	}
	c := r.call
	switch name {
	case "cdr":
		if c.AttemptID != "" {
			return c.AttemptID, true
		}
		return c.ID, true
	case "start":
		return fmtTime(r.journey.Start)
	case "connect":
		return fmtTime(c.AnsweredAt())
	case "end":
		if c.HungUp() {
			return fmtTime(r.e.now())
		}
		return "", false
	case "duration":
		if a := c.AnsweredAt(); !a.IsZero() {
			return strconv.Itoa(int(r.e.now().Sub(a).Seconds())), true
		}
		return "0", true
	case "dtmf":
		return c.DTMF(), true
	case "lastdtmfreceived":
		d := c.DTMF()
		if d == "" {
			return "", false
		}
		return d[len(d)-1:], true
	case "state":
		return callState(c.Inbound, !c.AnsweredAt().IsZero(), c.HungUp()), true
	case "isIncoming":
		return strconv.FormatBool(c.Inbound), true
	case "remoteHangup":
		return strconv.FormatBool(c.RemoteHangup()), true
	case "isdn":
		cause, _ := c.Cause()
		return strconv.Itoa(cause), true
	case "recorded":
		if r.callVars["recordingUri"] != "" {
			return "Yes", true
		}
		return "No", true
	case "attemptnumber":
		return "1", true
	case "cli":
		// A withheld caller id is an empty $call.cli, not an unset one:
		// webhooks and messages using it still run.
		return r.number(name), true
	case "dnis":
		v := r.number(name)
		return v, v != ""
	}
	for _, base := range []string{"cli", "dnis"} {
		if strings.HasPrefix(name, base+".") {
			num := r.number(base)
			if num == "" {
				return "", false
			}
			cc, national, area, without, typ := splitNumber(num)
			var v string
			switch strings.TrimPrefix(name, base+".") {
			case "number":
				v = national
			case "countrycode":
				v = cc
			case "areacode":
				v = area
			case "numberWithoutArea":
				v = without
			case "type":
				v = typ
			}
			return v, v != ""
		}
	}
	return "", false
}

// adoptAgentRecording makes an agent or queue recording the call's
// recording ($call.recordingUri, $call.recorded Yes, the call report's
// recorded) when the flow recorded nothing else.
func (r *run) adoptAgentRecording() {
	if r.callVars["recordingUri"] != "" {
		return
	}
	for _, k := range []string{"agent.recordingUri", "queue.recordingUri"} {
		if u := r.callVars[k]; u != "" {
			r.callVars["recordingUri"] = u
			return
		}
	}
}

// callState is $call.state: dialing (an outbound call not yet answered),
// connected (answered), Processing (an inbound call the flow handles
// before answering), Failed (an outbound call that ended unanswered) and
// Hangup (a call that ended after it was up, or an inbound call that
// ended).
func callState(inbound, answered, hungUp bool) string {
	switch {
	case hungUp && !inbound && !answered:
		return "Failed"
	case hungUp:
		return "Hangup"
	case answered:
		return "connected"
	case !inbound:
		return "dialing"
	}
	return "Processing"
}

// number is the call's CLI or DNIS: for inbound calls the caller and the
// dialled DID; for outbound the caller ID we sent and the dialled number
// (given by the dialer in vars as $call.cli / $call.dnis).
func (r *run) number(which string) string {
	c := r.call
	if which == "cli" {
		// Inbound: the caller. Outbound: the caller ID we sent. A
		// withheld number (none, or Asterisk's "anonymous") is empty.
		n := c.Channel.GetCaller().GetNumber()
		if strings.EqualFold(n, "anonymous") || strings.EqualFold(n, "restricted") || strings.EqualFold(n, "unknown") {
			return ""
		}
		return n
	}
	if c.Inbound {
		if len(c.Args) >= 2 && (c.Args[0] == KindInbound) {
			return c.Args[1]
		}
		return c.Channel.GetDialplan().GetExten()
	}
	return c.Channel.GetConnected().GetNumber()
}

// ---- media ----------------------------------------------------------------

// resolveMedia interpolates media items and maps them to ARI media URIs.
func (r *run) resolveMedia(ctx context.Context, items []string) ([]string, error) {
	var out []string
	for _, m := range items {
		s, missing := r.subCtx(ctx, m)
		if len(missing) > 0 {
			return nil, fmt.Errorf("media %q: %w %s", m, errUnsetVar, strings.Join(missing, ", "))
		}
		if r.e.RecordingLinks != nil && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "/")) {
			// A recording variable's download URL plays the recording.
			if name, ok := r.e.RecordingLinks.Name(s); ok {
				s = recordingPrefix + name
			}
		}
		kind, rest, ok := strings.Cut(s, ":")
		if !ok || !mediaKinds[kind] || rest == "" {
			return nil, fmt.Errorf("media %q is %q, which is not sound:, prompt:, recording:, digits:, number: or tts: media", m, s)
		}
		switch kind {
		case "tts":
			if r.e.TTS == nil {
				return nil, errors.New("text-to-speech is not configured")
			}
			uris, err := r.e.TTS.Synthesize(ctx, r.fv.AccountID, rest)
			if err != nil {
				return nil, fmt.Errorf("text-to-speech: %w", err)
			}
			out = append(out, uris...)
		case "prompt":
			out = append(out, "recording:"+rest)
		default:
			out = append(out, s)
		}
	}
	return out, nil
}

func (r *run) play(ctx context.Context, c *playCfg, st *Step) result {
	media, err := r.resolveMedia(ctx, c.Media)
	st.Inputs["media"] = media
	if err != nil {
		return fail(err)
	}
	res, err := r.call.Play(ctx, ari.PlayOptions{StopOnDTMF: c.BargeIn}, media...)
	st.Outputs["interrupted"] = res.Interrupted
	if err != nil {
		return hangupOr(err)
	}
	return line(0)
}

func (r *run) record(ctx context.Context, n *Node, c *recordCfg, st *Step) result {
	if len(c.Prompt) > 0 {
		media, err := r.resolveMedia(ctx, c.Prompt)
		st.Inputs["prompt"] = media
		if err != nil {
			return fail(err)
		}
		if _, err := r.call.Play(ctx, ari.PlayOptions{}, media...); err != nil {
			return hangupOr(err)
		}
	}
	kind, module := RecordingRecord, ""
	if c.PlayFirst {
		kind, module = RecordingPlayAndRecord, c.Module
		if module == "" {
			module = n.ID
		}
	}
	// The name carries the start in ms. Unique: a name already used on
	// this call moves on by 1 ms; Asterisk refuses an existing name
	// (ifExists=fail, e.g. another call of the same numbers in the same
	// millisecond) and we retry with +1 ms.
	var (
		name     string
		res      ari.RecordResult
		err      error
		recStart time.Time
	)
	start := r.e.now()
	for try := 0; ; try++ {
		name, start = r.recordingName(kind, module, start)
		recStart = time.Now()
		res, err = r.call.Record(ctx, ari.RecordOptions{
			Name: name, Format: c.Format, MaxDuration: c.MaxDuration, MaxSilence: c.MaxSilence,
			IfExists: "fail", Beep: c.Beep, TerminateOn: c.Terminator,
		})
		if err == nil || !nameTaken(err) || try+1 >= maxNameTries {
			break
		}
		start = start.Add(time.Millisecond)
	}
	elapsed := time.Since(recStart)
	st.Outputs["recording"] = res.Name
	st.Outputs["duration_s"] = res.Duration.Seconds()
	st.Outputs["elapsed_s"] = elapsed.Seconds()
	st.Outputs["caller_hung_up"] = res.HungUp
	if err != nil {
		return hangupOr(err)
	}
	d := res.Duration
	if d <= 0 || d > elapsed+time.Second {
		d = elapsed // ARI reports whole seconds
	}
	r.addRecording(Recording{Kind: kind, Name: name, Format: c.Format, StartedAt: start, Duration: d})
	uri := "recording:" + res.Name
	key := "ivr_recording.recordingUri"
	if c.PlayFirst {
		key = "play_and_record.recordingUri"
	}
	r.callVars[key] = uri
	if r.callRec == nil {
		// With record_call, $call.recordingUri stays the whole call's.
		r.callVars["recordingUri"] = uri
	}
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, uri); err != nil {
			return fail(err)
		}
	}
	if res.HungUp {
		return stop(ari.ErrHangup)
	}
	return line(0)
}

func (r *run) playPrompt(ctx context.Context, items []string) error {
	if len(items) == 0 {
		return nil
	}
	media, err := r.resolveMedia(ctx, items)
	if err != nil {
		return err
	}
	_, err = r.call.Play(ctx, ari.PlayOptions{StopOnDTMF: true}, media...)
	return err
}

func (r *run) gather(ctx context.Context, c *gatherCfg, st *Step) result {
	prompt, err := r.resolveMedia(ctx, c.Prompt)
	if err != nil {
		return fail(err)
	}
	var tries []map[string]any
	defer func() { st.Outputs["tries"] = tries }()
	var digits string
	ok, err := r.collect(ctx, collectLoop{
		opts: ari.GatherOptions{
			Min: c.Min, Max: c.Max, Terminators: c.Terminator,
			FirstDigit: c.FirstDigit, InterDigit: c.InterDigit, Overall: c.Overall, Prompt: prompt,
		},
		retries: c.Retries, noInput: c.NoInput, invalid: c.Invalid,
	}, func(g ari.GatherResult) bool {
		valid := g.Valid && (c.Pattern == nil || c.Pattern.MatchString(g.Digits))
		tries = append(tries, map[string]any{"digits": g.Digits, "reason": g.Reason, "valid": valid})
		digits = g.Digits
		return valid
	})
	if err != nil {
		return hangupOr(err)
	}
	if !ok {
		return fail(errors.New("no valid input"))
	}
	st.Outputs["digits"] = digits
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, digits); err != nil {
			return fail(err)
		}
	}
	return line(0)
}

func (r *run) menu(ctx context.Context, c *menuCfg, st *Step) result {
	prompt, err := r.resolveMedia(ctx, c.Prompt)
	if err != nil {
		return fail(err)
	}
	var tries []string
	defer func() { st.Outputs["tries"] = tries }()
	var choice string
	ok, err := r.collect(ctx, collectLoop{
		opts:    ari.GatherOptions{Min: 1, Max: 1, FirstDigit: c.Timeout, InterDigit: c.Timeout, Prompt: prompt},
		retries: c.Retries, noInput: c.NoInput, invalid: c.Invalid,
	}, func(g ari.GatherResult) bool {
		tries = append(tries, g.Digits)
		_, known := c.Options[g.Digits]
		choice = g.Digits
		return known
	})
	if err != nil {
		return hangupOr(err)
	}
	if !ok {
		if len(tries) > 0 && tries[len(tries)-1] == "" {
			return fail(errors.New("no input"))
		}
		return fail(errors.New("invalid choice"))
	}
	st.Outputs["choice"] = choice
	r.flowVars["menu_choice"] = choice
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, choice); err != nil {
			return fail(err)
		}
	}
	return line(c.Options[choice])
}

// collectLoop is how gather and menu ask for digits: up to 1+retries
// tries with the prompt; between tries the no-input prompt (nothing was
// pressed) or the invalid prompt plays.
type collectLoop struct {
	opts             ari.GatherOptions
	retries          int
	noInput, invalid []string
}

// collect runs the tries until accept takes one (true); false when every
// try was refused. An error is the caller hanging up or a prompt failing.
func (r *run) collect(ctx context.Context, l collectLoop, accept func(ari.GatherResult) bool) (bool, error) {
	for attempt := 0; attempt <= l.retries; attempt++ {
		g, err := r.call.Gather(ctx, l.opts)
		if err != nil {
			return false, err
		}
		if accept(g) {
			return true, nil
		}
		if attempt == l.retries {
			break
		}
		r.call.FlushDTMF()
		again := l.invalid
		if g.Digits == "" {
			again = l.noInput
		}
		if err := r.playPrompt(ctx, again); err != nil {
			return false, err
		}
	}
	return false, nil
}

// ---- logic widgets -------------------------------------------------------

// evalCondition evaluates one condition with values already substituted.
func evalCondition(op, left, right string, c *condition) bool {
	switch op {
	case "eq":
		return left == right
	case "ne":
		return left != right
	case "lt", "gt":
		lf, err1 := strconv.ParseFloat(strings.TrimSpace(left), 64)
		rf, err2 := strconv.ParseFloat(strings.TrimSpace(right), 64)
		if err1 == nil && err2 == nil {
			if op == "lt" {
				return lf < rf
			}
			return lf > rf
		}
		if op == "lt" {
			return left < right
		}
		return left > right
	case "contains":
		return strings.Contains(left, right)
	case "regex":
		return c != nil && c.re != nil && c.re.MatchString(left)
	case "empty":
		return strings.TrimSpace(left) == ""
	case "not_empty":
		return strings.TrimSpace(left) != ""
	}
	return false
}

func (r *run) decision(c *decisionCfg, st *Step) result {
	var evals []map[string]any
	match := !c.Any
	for i := range c.Conditions {
		cd := &c.Conditions[i]
		left := r.sub(cd.Left)
		right := cd.Right
		if cd.Op != "regex" {
			right = r.sub(cd.Right)
		}
		ok := evalCondition(cd.Op, left, right, cd)
		evals = append(evals, map[string]any{"left": left, "op": cd.Op, "right": right, "result": ok})
		if c.Any && ok {
			match = true
		}
		if !c.Any && !ok {
			match = false
		}
	}
	st.Outputs["conditions"] = evals
	st.Outputs["result"] = match
	if match {
		return line(0)
	}
	return line(1)
}

// timeLine evaluates a time condition at t: 0 open, 1 closed, 2 holiday.
func timeLine(c *timeCfg, t time.Time) int {
	t = t.In(c.Loc)
	if c.Holidays[t.Format("2006-01-02")] {
		return 2
	}
	m := t.Hour()*60 + t.Minute()
	for _, rg := range c.Ranges {
		if rg.days[t.Weekday()] && m >= rg.from && m < rg.to {
			return 0
		}
	}
	return 1
}

func (r *run) timeCondition(n *Node, c *timeCfg, st *Step) result {
	now := r.e.now()
	l := timeLine(c, now)
	st.Inputs["time"] = now.In(c.Loc).Format(time.RFC3339)
	st.Outputs["result"] = []string{"open", "closed", "holiday"}[l]
	if l == 2 && n.Exit(2) == "" {
		l = 1
	}
	return line(l)
}

func (r *run) set(ctx context.Context, c *setCfg, st *Step) result {
	for _, a := range c.Assign {
		v, missing := r.subCtx(ctx, a.Value)
		if len(missing) > 0 {
			st.Outputs["unset"] = missing
		}
		st.Outputs[a.target.Full()] = v
		if err := r.assign(ctx, a.target, v); err != nil {
			return lineErr(0, err)
		}
	}
	return line(0)
}

// ---- webhook ----------------------------------------------------------------

// setResponseVars writes the webhook response variables
// ($flow.key.response_status, _status_code, _status_type, _duration, _raw,
// _error).
func (r *run) setResponseVars(res HTTPResult) {
	fv := r.flowVars
	fv["response_status_code"] = strconv.Itoa(res.StatusCode)
	fv["response_duration"] = strconv.FormatFloat(res.Duration.Seconds(), 'f', 2, 64)
	if len(res.Raw) == 0 {
		fv["response_raw"] = "null"
	} else {
		fv["response_raw"] = string(res.Raw)
	}
	if res.OK {
		fv["response_status"] = "SUCCESS"
		fv["response_error"] = "false"
		delete(fv, "response_status_type")
		delete(fv, "error_reason")
		r.callVars["lastWebhookStatus"] = "true"
		return
	}
	fv["response_status"] = "FAILED"
	fv["response_status_type"] = StatusType(res.StatusCode)
	fv["response_error"] = "true"
	fv["error_reason"] = res.Reason
	r.callVars["lastWebhookStatus"] = "false"
}

func (r *run) webhookFail(st *Step, res HTTPResult) result {
	if res.Reason == "" {
		res.Reason = ReasonServerError
	}
	res.OK = false
	r.setResponseVars(res)
	st.Outputs["error_reason"] = res.Reason
	if res.Detail != "" {
		st.Outputs["detail"] = res.Detail
	}
	return line(1)
}

func (r *run) webhook(ctx context.Context, c *webhookCfg, st *Step) result {
	w := c.Inline
	if c.Configured != "" {
		st.Inputs["webhook"] = c.Configured
		if r.e.Webhooks == nil {
			return r.webhookFail(st, HTTPResult{Reason: ReasonWebhookNotConfig, Detail: "no webhook store configured"})
		}
		base, err := r.e.Webhooks.Webhook(ctx, r.fv.AccountID, c.Configured)
		if err != nil {
			return r.webhookFail(st, HTTPResult{Reason: ReasonUnknownWebhook, Detail: err.Error()})
		}
		w = mergeWebhook(base, c.Inline)
	}
	req, missing, err := prepare(w, r.lookupFn(ctx))
	if len(missing) > 0 {
		st.Outputs["unset"] = missing
		return r.webhookFail(st, HTTPResult{Reason: ReasonInvalidFlowVar, Detail: "unset variable(s): " + strings.Join(missing, ", ")})
	}
	if err != nil {
		return r.webhookFail(st, HTTPResult{Reason: ReasonInvalidFlowVar, Detail: err.Error()})
	}
	st.Inputs["method"], st.Inputs["url"] = req.Method, req.URL
	res := doHTTP(ctx, r.netPolicy(ctx), c.Timeout, "Switchyard", req)
	st.Outputs["status_code"] = res.StatusCode
	st.Outputs["duration_s"] = res.Duration.Seconds()
	if !res.OK {
		return r.webhookFail(st, res)
	}
	if len(c.Extract) > 0 {
		var doc any
		if err := json.Unmarshal(res.Raw, &doc); err != nil {
			res.Reason, res.Detail = ReasonInvalidResponse, "response is not JSON: "+err.Error()
			return r.webhookFail(st, res)
		}
		vals := map[Ref]string{}
		for _, ex := range c.Extract {
			v, ok := lookupPath(doc, ex.Path)
			if !ok {
				res.Reason, res.Detail = ReasonPathNotFound, fmt.Sprintf("path %s selects nothing in the response", ex.Raw)
				return r.webhookFail(st, res)
			}
			vals[ex.Target] = jsonText(v)
		}
		for t, v := range vals {
			if err := r.assign(ctx, t, v); err != nil {
				return fail(err)
			}
			st.Outputs[t.Full()] = v
		}
	}
	r.setResponseVars(res)
	return line(0)
}

// jsonText renders an extracted JSON value: strings raw, the rest as JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// mergeWebhook applies a widget's overrides to a configured webhook: a
// widget body replaces the configured one outright (when both have one,
// only the widget's is sent); headers and query are merged, the widget's
// winning.
func mergeWebhook(base, w WebhookConfig) WebhookConfig {
	out := base
	if w.Method != "" {
		out.Method = w.Method
	}
	if w.URL != "" {
		out.URL = w.URL
	}
	if w.Username != "" || w.Password != "" {
		out.Username, out.Password = w.Username, w.Password
	}
	out.Headers = mergeMap(base.Headers, w.Headers)
	out.Query = mergeMap(base.Query, w.Query)
	if len(w.Body) > 0 {
		out.Body = w.Body
		out.BodyType = w.BodyType
	} else if w.BodyType != "" {
		out.BodyType = w.BodyType
	}
	return out
}

func mergeMap(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// ---- transfer ----------------------------------------------------------------

// transferStatus maps a failed leg to its IN_* call status and exit line.
func transferStatus(l *ari.Leg, err error) (string, int) {
	if errors.Is(err, ari.ErrHangup) {
		return StatusInCancel, -1
	}
	if l == nil || !errors.Is(err, ari.ErrLegFailed) {
		if errors.Is(err, ari.ErrTimeout) {
			return StatusInNoAnswer, TransferNoAnswer
		}
		return StatusInChanUnavail, TransferCongestion
	}
	// Dial events also carry progress (RINGING, PROGRESS): only a final
	// dial status wins over the hangup cause.
	st := strings.ToUpper(l.DialStatus())
	switch st {
	case "BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL", "CANCEL":
	default:
		cause, _ := l.Cause()
		st = ari.StatusFromCause(cause, false)
	}
	switch strings.ToUpper(st) {
	case "BUSY":
		return StatusInBusy, TransferBusy
	case "NOANSWER":
		return StatusInNoAnswer, TransferNoAnswer
	case "CONGESTION":
		return StatusInCongestion, TransferCongestion
	case "CANCEL":
		return StatusInCancel, -1
	}
	return StatusInChanUnavail, TransferCongestion
}

func (r *run) transfer(ctx context.Context, n *Node, c *transferCfg, st *Step) result {
	ep, missing := r.subCtx(ctx, c.Endpoint)
	cid, missing2 := r.subCtx(ctx, c.CallerID)
	st.Inputs["endpoint"] = ep
	if m := append(missing, missing2...); len(m) > 0 {
		r.setStatus(StatusInChanUnavail)
		return lineErr(TransferFailed, fmt.Errorf("unset variable(s) %s", strings.Join(m, ", ")))
	}
	if err := r.call.Answer(ctx); err != nil {
		return hangupOr(err)
	}
	leg, err := r.call.Dial(ctx, ari.LegRequest{Endpoint: ep, CallerID: cid, Timeout: c.Timeout})
	if err != nil {
		status, l := transferStatus(leg, err)
		r.setStatus(status)
		r.flowVars["dial_status"] = status
		st.Outputs["status"] = status
		if leg != nil {
			cause, text := leg.Cause()
			st.Outputs["cause"], st.Outputs["cause_text"] = cause, text
			if ds := leg.DialStatus(); ds != "" {
				st.Outputs["dialstatus"] = ds
			}
		}
		if l < 0 {
			return stop(ari.ErrHangup)
		}
		if n.Exit(l) == "" {
			l = TransferFailed
		}
		return lineErr(l, err)
	}
	r.setStatus(StatusInAnswer)
	r.flowVars["dial_status"] = StatusInAnswer
	st.Outputs["status"] = StatusInAnswer
	b, err := r.call.CreateBridge(ctx, "mixing")
	if err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return hangupOr(err)
	}
	defer func() { _ = b.Destroy(context.WithoutCancel(ctx)) }()
	if err := b.Add(ctx, r.call.ID, leg.ID); err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return hangupOr(err)
	}
	start := time.Now()
	for !r.call.HungUp() && !leg.Gone() {
		if _, err := r.call.Next(ctx, 0); err != nil {
			_ = leg.Hangup(context.WithoutCancel(ctx))
			return stop(err)
		}
	}
	st.Outputs["talk_s"] = time.Since(start).Seconds()
	if r.call.HungUp() {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return stop(ari.ErrHangup)
	}
	_ = b.Remove(ctx, r.call.ID)
	return line(TransferAnswered)
}

func (r *run) queue(ctx context.Context, n *Node, c *queueCfg, st *Step) result {
	q, missing := r.subCtx(ctx, c.Queue)
	st.Inputs["queue"] = q
	if len(missing) > 0 {
		r.setStatus("QUEUE_INVALID")
		st.Outputs["status"] = "QUEUE_INVALID"
		return lineErr(1, fmt.Errorf("unset variable(s) %s", strings.Join(missing, ", ")))
	}
	r.queueName = q
	req := QueueRequest{
		AccountID: r.fv.AccountID, FlowID: r.fv.FlowID, Queue: q, Timeout: c.Timeout, WidgetID: n.ID,
		CLI: r.callValue("cli"), DNIS: r.callValue("dnis"), Outbound: !r.call.Inbound,
		CustomerID: r.flowVars["crm_id"],
	}
	res, err := r.e.Queue.Enqueue(ctx, r.call, req)
	for k, v := range res.Outputs {
		st.Outputs[k] = v
	}
	for k, v := range res.CallVars {
		r.callVars[k] = v
	}
	r.adoptAgentRecording()
	for k, v := range res.Syskeys {
		r.syskeys[k] = v
	}
	if res.Status != "" {
		r.setStatus(res.Status)
		st.Outputs["status"] = res.Status
	}
	if err != nil {
		return hangupOr(err)
	}
	if res.Line != 0 && n.Exit(res.Line) == "" {
		res.Line = 1
	}
	return line(res.Line)
}

// callValue is callVar without the found flag.
func (r *run) callValue(name string) string {
	v, _ := r.callVar(name)
	return v
}
