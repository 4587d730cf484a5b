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
	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/flows/webhooks"
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

// JourneySaver stores a journey (the store's SaveJourney).
type JourneySaver interface {
	SaveJourney(ctx context.Context, accountID int64, attemptID string, steps json.RawMessage) error
}

// TTS turns the text of a "tts:" media item into playable media URIs
// (*tts.Service implements it: voice choice, SSML, the sentence cache).
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
	// FlowKeys are the call's $flow.key.* values when it joined the queue
	// (the agent desk shows them with the call); at most MaxQueueFlowKeys.
	FlowKeys map[string]string
}

// MaxQueueFlowKeys bounds the $flow.key.* values a queued call carries to
// its agent (each value at most 256 bytes).
const MaxQueueFlowKeys = 50

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
	Webhooks webhooks.Source
	Journeys JourneySaver
	TTS      TTS
	Queue    QueueRunner
	// Grammars says values for the say widget (the grammars service).
	Grammars Sayer
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
	Policy func(ctx context.Context, accountID int64) webhooks.Policy
	// Now is the clock for $sys.* and time conditions (default time.Now).
	Now func() time.Time
	// MaxSteps bounds widgets per call (loops; default 500).
	MaxSteps int
	// Live, when set, records the steps of the calls opened in it as they
	// happen (the flow editor's test call lights its journey up node by
	// node).
	Live   *LiveSteps
	Logger *slog.Logger
	// Messages sends the sms and email widgets' messages (nil: those
	// widgets fail).
	Messages MessageSender
	// Prompts gives the audio of prompt:<name> media: the account's
	// approved prompt (nil: prompt media fail to play).
	Prompts PromptResolver

	disconnects sync.WaitGroup // disconnect webhooks in flight
}

// PromptResolver gives the media URI of an account's approved prompt
// (prompts.Service); an unknown or unapproved prompt is an error, which
// fails the widget that plays it.
type PromptResolver interface {
	PromptURI(ctx context.Context, accountID int64, name string) (string, error)
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
func (r *run) netPolicy(ctx context.Context) webhooks.Policy {
	if r.policy == nil {
		p := webhooks.Policy{}
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
	policy     *webhooks.Policy  // loaded by netPolicy when a widget first needs it
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
	e.Live.Publish(call.ID, LiveEvent{Kind: "end", Outcome: r.journey.Outcome, Reason: r.journey.Reason, Status: r.status})
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
		r.e.Live.Publish(r.call.ID, LiveEvent{Kind: "enter", Node: n.ID, Type: n.Type})
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
				st.Outputs["error_reason"] = webhooks.ReasonInvalidFlowVar
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
		if r.e.Live != nil {
			done := st
			r.e.Live.Publish(r.call.ID, LiveEvent{Kind: "step", Node: n.ID, Type: n.Type, Step: &done})
		}
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
	case *sayCfg:
		return r.say(ctx, c, st)
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
	case *smsCfg:
		return r.sms(ctx, c, st)
	case *emailCfg:
		return r.email(ctx, c, st)
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

// lookup resolves a reference; ok=false when unset.
func (r *run) lookup(ctx context.Context, ref variables.Ref) (string, bool) {
	switch ref.NS {
	case variables.NSFlow:
		v, ok := r.flowVars[ref.Name]
		return v, ok
	case variables.NSSyskey:
		v, ok := r.syskeys[ref.Name]
		return v, ok
	case variables.NSUser:
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
	case variables.NSSys:
		now := r.e.now()
		switch ref.Name {
		case "datetime":
			return now.Format("2006-01-02 15:04:05"), true
		case "date":
			return now.Format("2006-01-02"), true
		case "time":
			return now.Format("15:04:05"), true
		}
	case variables.NSCall:
		v, ok := r.callVar(ref.Name)
		return r.e.exposeRecording(ref.Name, v), ok
	}
	return "", false
}

func (r *run) lookupFn(ctx context.Context) func(variables.Ref) (string, bool) {
	return func(ref variables.Ref) (string, bool) { return r.lookup(ctx, ref) }
}

// sub interpolates, leaving unset variables empty.
func (r *run) sub(s string) string {
	out, _ := variables.Interpolate(s, r.lookupFn(context.Background()))
	return out
}

func (r *run) subCtx(ctx context.Context, s string) (string, []string) {
	return variables.Interpolate(s, r.lookupFn(ctx))
}

func (r *run) assign(ctx context.Context, t variables.Ref, v string) error {
	switch t.NS {
	case variables.NSFlow:
		r.flowVars[t.Name] = v
	case variables.NSSyskey:
		r.syskeys[t.Name] = v
	case variables.NSUser:
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
			cc, national, area, without, typ := variables.SplitNumber(num)
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

// callValue is callVar without the found flag.
func (r *run) callValue(name string) string {
	v, _ := r.callVar(name)
	return v
}
