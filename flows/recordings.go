package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// Recording kinds the engine makes (the recording types of the call
// report's recording format; the store's kinds of the same names).
const (
	RecordingCall          = "call"            // the whole call (flow setting record_call)
	RecordingRecord        = "record"          // the record widget
	RecordingPlayAndRecord = "play_and_record" // the play_and_record widget
)

// DefaultRecordingFormat is the format of the engine's recordings unless a
// widget asks for another (the recording file names end in .gsm).
const DefaultRecordingFormat = "gsm"

// Recording is one finished recording of a call, reported through
// Engine.Recordings at the end of the journey.
type Recording struct {
	AccountID int64
	AttemptID string
	CallID    string // the ARI channel id of the call
	Kind      string // RecordingCall, RecordingRecord, RecordingPlayAndRecord
	Name      string // the ARI stored recording name (no extension)
	Format    string // its format, the file name's extension
	StartedAt time.Time
	Duration  time.Duration
}

// FileName is the recording's download file name: Name.Format.
func (r Recording) FileName() string { return r.Name + "." + r.Format }

// RecordingSaver indexes finished recordings for the reports (the store's
// AddRecording through flows/flowstore).
type RecordingSaver interface {
	AddRecording(ctx context.Context, r Recording) error
}

// ReportFields are the call report's filter fields a flow learns (the
// report's Queue, SMS and Email filters). Empty fields are not written.
type ReportFields struct {
	Queue     string // the last queue the call went through (queue widget)
	SMSNumber string // where an SMS went: $flow.key.sms_number
	Email     string // where an email went: $flow.key.email
	// RecordingURI is $call.recordingUri when the flow ended ("": none);
	// it sets the report's Recorded / Recording URI.
	RecordingURI string
}

// IsZero reports whether no field is set.
func (f ReportFields) IsZero() bool { return f == ReportFields{} }

// ReportFieldsSaver writes an attempt's report fields (the store's
// SetAttemptReportFields through flows/flowstore).
type ReportFieldsSaver interface {
	SetReportFields(ctx context.Context, accountID int64, attemptID string, f ReportFields) error
}

// CallRecorder records a whole call from the flow's start while its
// widgets play and gather (flow setting record_call). SnoopRecorder is the
// ARI implementation.
type CallRecorder interface {
	// StartCallRecording starts recording the call under name (no
	// extension) in format. A name that already exists is an error
	// matching ErrRecordingExists.
	StartCallRecording(ctx context.Context, call *ari.Call, name, format string) (ActiveRecording, error)
}

// ActiveRecording is a whole-call recording in progress.
type ActiveRecording interface {
	// Stop ends the recording (if the call has not already ended it) and
	// waits until Asterisk stored it; it returns the recording's length.
	Stop(ctx context.Context) (time.Duration, error)
}

// ErrRecordingExists is returned when a recording name is taken.
var ErrRecordingExists = errors.New("a recording with this name already exists")

// maxNameTries bounds the +1 ms retries of a taken recording name.
const maxNameTries = 5

// nameTaken reports whether an ARI record error means "the name exists":
// with ifExists=fail Asterisk answers 409 Conflict for a stored or live
// recording of that name (checked on Asterisk 22 by
// TestRecordingsOnAsterisk). 409 also means "channel not in Stasis or
// bridged"; retrying those costs at most maxNameTries requests.
func nameTaken(err error) bool {
	if errors.Is(err, ErrRecordingExists) {
		return true
	}
	var ae *ari.Error
	return errors.As(err, &ae) && ae.Status == http.StatusConflict && !errors.Is(err, ari.ErrHangup)
}

// Recording file names of the call report's recording format (without the
// extension, which is the recording's format). The only definition: the ACD
// (dialer/acd) and the reports API (api/reportsapi) use these.

// CallRecordingName is call_<account_id>_<flow_id>_<CLI>_<DNIS>_<start ms>.
func CallRecordingName(accountID, flowID int64, cli, dnis string, start time.Time) string {
	return fmt.Sprintf("call_%d_%d_%s_%s_%d", accountID, flowID, namePart(cli), namePart(dnis), start.UnixMilli())
}

// PlayAndRecordRecordingName is
// _play_and_record_<account_ID>_<flow_ID>_<cli>_<dnis>_<moduleName>_<start ms>
// (the leading underscore is part of the format).
func PlayAndRecordRecordingName(accountID, flowID int64, cli, dnis, module string, start time.Time) string {
	return fmt.Sprintf("_play_and_record_%d_%d_%s_%s_%s_%d", accountID, flowID, namePart(cli), namePart(dnis), namePart(module), start.UnixMilli())
}

// RecordRecordingName is record_<account_ID>_<flow_id>_<CLI>_<DNIS>_<start ms>.
func RecordRecordingName(accountID, flowID int64, cli, dnis string, start time.Time) string {
	return fmt.Sprintf("record_%d_%d_%s_%s_%d", accountID, flowID, namePart(cli), namePart(dnis), start.UnixMilli())
}

// AgentRecordingName is
// record_agent_<accountID>_<agentID>_<cli>_<dnis>_<WidgetID>_<call start ms>.
func AgentRecordingName(accountID, agentID int64, cli, dnis, widgetID string, start time.Time) string {
	return fmt.Sprintf("record_agent_%d_%d_%s_%s_%s_%d", accountID, agentID, namePart(cli), namePart(dnis), namePart(widgetID), start.UnixMilli())
}

// QueueRecordingName is
// record_queue_<account_ID>_<flow_ID>_<cli>_<dnis>_<queue_ID>_<start ms>.
func QueueRecordingName(accountID, flowID int64, cli, dnis string, queueID int64, start time.Time) string {
	return fmt.Sprintf("record_queue_%d_%d_%s_%s_%d_%d", accountID, flowID, namePart(cli), namePart(dnis), queueID, start.UnixMilli())
}

// namePart keeps a name part to characters safe in a file name and in an
// ARI recording name ("unknown" when empty).
func namePart(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '+', r == '-', r == '.':
			return r
		}
		return '-'
	}, s)
}

// recordingName names a recording of kind started at start, moving start
// on by 1 ms while the name was already used on this call (two recordings
// started in the same millisecond). It returns the name and the start the
// name encodes.
func (r *run) recordingName(kind, module string, start time.Time) (string, time.Time) {
	start = start.Truncate(time.Millisecond)
	if r.usedNames == nil {
		r.usedNames = map[string]bool{}
	}
	for {
		var name string
		cli, dnis := r.callValue("cli"), r.callValue("dnis")
		switch kind {
		case RecordingCall:
			name = CallRecordingName(r.fv.AccountID, r.fv.FlowID, cli, dnis, start)
		case RecordingPlayAndRecord:
			name = PlayAndRecordRecordingName(r.fv.AccountID, r.fv.FlowID, cli, dnis, module, start)
		default:
			name = RecordRecordingName(r.fv.AccountID, r.fv.FlowID, cli, dnis, start)
		}
		if !r.usedNames[name] {
			r.usedNames[name] = true
			return name, start
		}
		start = start.Add(time.Millisecond)
	}
}

// addRecording queues a finished recording for the end of the journey.
func (r *run) addRecording(rec Recording) {
	rec.AccountID, rec.AttemptID, rec.CallID = r.fv.AccountID, r.call.AttemptID, r.call.ID
	r.mu.Lock()
	r.recordings = append(r.recordings, rec)
	r.mu.Unlock()
}

// startCallRecording starts the whole-call recording (flow setting
// record_call) and sets $call.flow.recordingUri and $call.recordingUri.
func (r *run) startCallRecording(ctx context.Context) {
	s := r.flow.Settings
	if s == nil || !s.RecordCall {
		return
	}
	if r.e.CallRecorder == nil {
		r.e.log().Warn("flow records calls but the engine has no call recorder", "flow", r.fv.FlowID)
		r.journey.Notes = append(r.journey.Notes, "record_call: no call recorder configured")
		return
	}
	start := r.e.now()
	var (
		name string
		rec  ActiveRecording
		err  error
	)
	for try := 0; ; try++ {
		name, start = r.recordingName(RecordingCall, "", start)
		rec, err = r.e.CallRecorder.StartCallRecording(ctx, r.call, name, DefaultRecordingFormat)
		if err == nil || !nameTaken(err) || try+1 >= maxNameTries {
			break
		}
		start = start.Add(time.Millisecond)
	}
	if err != nil {
		r.e.log().Warn("start call recording", "call", r.call.ID, "name", name, "error", err)
		r.journey.Notes = append(r.journey.Notes, "record_call: "+err.Error())
		return
	}
	r.callRec = &callRecording{active: rec, name: name, start: start}
	uri := "recording:" + name
	r.callVars["flow.recordingUri"] = uri
	r.callVars["recordingUri"] = uri
}

type callRecording struct {
	active ActiveRecording
	name   string
	start  time.Time
}

// stopCallRecording ends the whole-call recording and queues it.
func (r *run) stopCallRecording(ctx context.Context) {
	cr := r.callRec
	if cr == nil {
		return
	}
	r.callRec = nil
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	d, err := cr.active.Stop(sctx)
	cancel()
	if err != nil {
		r.e.log().Warn("stop call recording", "call", r.call.ID, "name", cr.name, "error", err)
		r.journey.Notes = append(r.journey.Notes, "record_call: "+err.Error())
		return
	}
	r.addRecording(Recording{Kind: RecordingCall, Name: cr.name, Format: DefaultRecordingFormat, StartedAt: cr.start, Duration: d})
}

// reportFields collects the report fields the flow learnt: the last queue
// widget's queue, and the flow variables sms_number and email (declared
// by the flow; set by set_variable, a webhook's extract, a CRM, or the
// call-list record) as they are when the flow ends.
func (r *run) reportFields() ReportFields {
	return ReportFields{Queue: r.queueName, SMSNumber: strings.TrimSpace(r.flowVars["sms_number"]), Email: strings.TrimSpace(r.flowVars["email"]),
		RecordingURI: r.callVars["recordingUri"]}
}

// saveReports writes the journey's recordings and report fields, once, at
// the end of the journey. Errors are logged: they never fail the call.
func (r *run) saveReports(ctx context.Context) {
	id := r.call.AttemptID
	r.mu.Lock()
	recs := append([]Recording(nil), r.recordings...)
	r.mu.Unlock()
	if id == "" {
		if len(recs) > 0 {
			r.e.log().Warn("recordings of a call without an attempt are not indexed", "call", r.call.ID, "recordings", len(recs))
		}
		return
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), defaultJourneyTimeout)
	defer cancel()
	if r.e.Recordings != nil {
		for _, rec := range recs {
			if err := r.e.Recordings.AddRecording(sctx, rec); err != nil {
				r.e.log().Warn("index recording", "attempt", id, "name", rec.Name, "error", err)
			}
		}
	}
	if f := r.reportFields(); r.e.Reports != nil && !f.IsZero() {
		if err := r.e.Reports.SetReportFields(sctx, r.fv.AccountID, id, f); err != nil {
			r.e.log().Warn("save report fields", "attempt", id, "error", err)
		}
	}
}
