package flows

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/store"
)

// TestRecordingNamesExamples: the recording format's documented examples,
// exactly, and the same names as the reports API's helpers.
func TestRecordingNamesExamples(t *testing.T) {
	ms := func(n int64) time.Time { return time.UnixMilli(n) }
	cases := []struct{ got, want string }{
		{CallRecordingName(49, 99, "+912265014928", "+918980833222", ms(1619073131750)) + ".gsm", "call_49_99_+912265014928_+918980833222_1619073131750.gsm"},
		{PlayAndRecordRecordingName(28, 17, "912657124278", "919898333148", "File", ms(1616661206660)) + ".gsm", "_play_and_record_28_17_912657124278_919898333148_File_1616661206660.gsm"},
		{RecordRecordingName(49, 99, "+912265014928", "+918980833222", ms(1619073131837)) + ".gsm", "record_49_99_+912265014928_+918980833222_1619073131837.gsm"},
		{Recording{Name: RecordRecordingName(49, 99, "+912265014928", "+918980833222", ms(1619073131837)), Format: "gsm"}.FileName(), "record_49_99_+912265014928_+918980833222_1619073131837.gsm"},
		{AgentRecordingName(248, 36727, "+918068800109", "+919898333148", "14", ms(1617851764824)) + ".gsm", "record_agent_248_36727_+918068800109_+919898333148_14_1617851764824.gsm"},
		{QueueRecordingName(49, 2317190, "+912265014922", "+917698760555", 6, ms(1619078544823)) + ".gsm", "record_queue_49_2317190_+912265014922_+917698760555_6_1619078544823.gsm"},
		// Unsafe parts cannot escape the file name.
		{RecordRecordingName(1, 2, "../../etc", "a b", ms(1)), "record_1_2_..-..-etc_a-b_1"},
		{AgentRecordingName(1, 2, "+91 80", "x/y", "w 1", ms(1)), "record_agent_1_2_+91-80_x-y_w-1_1"},
		{CallRecordingName(1, 2, "", "", ms(1)), "call_1_2_unknown_unknown_1"},
		{PlayAndRecordRecordingName(1, 2, "1", "2", "x/y", ms(1)), "_play_and_record_1_2_1_2_x-y_1"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %s, want %s", c.got, c.want)
		}
	}
	// The kinds are the store's.
	if RecordingCall != store.RecordingCall || RecordingRecord != store.RecordingRecord || RecordingPlayAndRecord != store.RecordingPlayAndRecord {
		t.Error("recording kinds differ from the store's")
	}
}

// TestRecordingNamesUnique: recordings started in the same millisecond on
// one call get distinct names (+1 ms), each kind on its own.
func TestRecordingNamesUnique(t *testing.T) {
	at := time.UnixMilli(1619073131837).Add(400 * time.Microsecond)
	r, _ := oneNode(t, &Engine{}, `{"id":"n","type":"goto","params":{"node":"ok"}}`, nil)
	out := &ari.Call{ID: "ch"}
	out.Channel.Caller = &ariv6.CallerID{Number: "+912265014928"}
	out.Channel.Connected = &ariv6.CallerID{Number: "+918980833222"}
	r.call = out
	var got []string
	for _, k := range []string{RecordingRecord, RecordingRecord, RecordingPlayAndRecord, RecordingCall, RecordingRecord} {
		name, start := r.recordingName(k, "File", at)
		if !strings.HasSuffix(name, fmt.Sprint("_", start.UnixMilli())) {
			t.Errorf("name %s does not end with its start %d", name, start.UnixMilli())
		}
		got = append(got, name)
	}
	want := []string{
		"record_7_3_+912265014928_+918980833222_1619073131837",
		"record_7_3_+912265014928_+918980833222_1619073131838",
		"_play_and_record_7_3_+912265014928_+918980833222_File_1619073131837",
		"call_7_3_+912265014928_+918980833222_1619073131837",
		"record_7_3_+912265014928_+918980833222_1619073131839",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("names\n got %v\nwant %v", got, want)
	}
}

func TestNameTaken(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{&ari.Error{Status: http.StatusUnprocessableEntity}, false}, // unknown format
		{fmt.Errorf("record x: %w", &ari.Error{Status: http.StatusConflict}), true},
		{fmt.Errorf("wrapped: %w", ErrRecordingExists), true},
		{&ari.Error{Status: http.StatusNotFound}, false},
		{fmt.Errorf("%w: %v", ari.ErrHangup, &ari.Error{Status: http.StatusConflict}), false},
		{errors.New("boom"), false},
	} {
		if got := nameTaken(c.err); got != c.want {
			t.Errorf("nameTaken(%v) = %v", c.err, got)
		}
	}
}

func TestPlayAndRecordModuleParam(t *testing.T) {
	for _, c := range []struct {
		params, module, problem string
	}{
		{`{"prompt":"sound:beep","name":"File"}`, "File", ""},
		{`{"prompt":"sound:beep"}`, "", ""},
		{`{"prompt":"sound:beep","name":"a b"}`, "", "letters, digits"},
		{`{"prompt":"sound:beep","name":"$flow.key.x"}`, "", "may not contain variables"},
	} {
		doc := fmt.Sprintf(`{"format":1,"name":"t","type":"inbound","start":"n","nodes":[{"id":"n","type":"play_and_record","params":%s,"exits":["ok","ok"]},{"id":"ok","type":"hangup"}]}`, c.params)
		f, err := Parse([]byte(doc), Features{})
		if c.problem != "" {
			if err == nil || !strings.Contains(err.Error(), c.problem) {
				t.Errorf("%s: error %v, want %q", c.params, err, c.problem)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.params, err)
		}
		cfg := f.Node("n").cfg.(*recordCfg)
		if cfg.Module != c.module || cfg.Format != "gsm" {
			t.Errorf("%s: module %q format %q", c.params, cfg.Module, cfg.Format)
		}
	}
	if _, err := Parse([]byte(`{"format":1,"name":"t","type":"inbound","start":"n","nodes":[{"id":"n","type":"record","params":{"name":"x"},"exits":["ok","ok"]},{"id":"ok","type":"hangup"}]}`), Features{}); err == nil {
		t.Error("record widget took a module name")
	}
}

// fakeReports records what the engine reports (our own interfaces).
type fakeReports struct {
	mu     sync.Mutex
	recs   []Recording
	fields map[string]ReportFields
	fail   error
}

func (f *fakeReports) AddRecording(_ context.Context, r Recording) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recs = append(f.recs, r)
	return f.fail
}

func (f *fakeReports) SetReportFields(_ context.Context, acct int64, id string, fs ReportFields) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fields == nil {
		f.fields = map[string]ReportFields{}
	}
	f.fields[fmt.Sprint(acct, "/", id)] = fs
	return f.fail
}

func (f *fakeReports) snapshot() ([]Recording, map[string]ReportFields) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Recording(nil), f.recs...), f.fields
}

// TestSaveReports: report fields come from the flow keys sms_number and
// email and the queue widget; recordings are indexed once; store errors are only
// logged.
func TestSaveReports(t *testing.T) {
	for _, fail := range []error{nil, errors.New("db down")} {
		rep := &fakeReports{fail: fail}
		e := &Engine{Recordings: rep, Reports: rep}
		r, _ := oneNode(t, e, `{"id":"n","type":"goto","params":{"node":"ok"}}`, map[string]string{"sms_number": "+491", "email": " flow@example.com "})
		r.call = &ari.Call{ID: "ch", AttemptID: "42"}
		r.syskeys["email"] = "sys@example.com" // not a report field
		r.queueName = "sales"
		r.addRecording(Recording{Kind: RecordingRecord, Name: "record_x", Format: "gsm"})
		r.saveReports(context.Background())
		recs, fields := rep.snapshot()
		if len(recs) != 1 || recs[0].AttemptID != "42" || recs[0].CallID != "ch" || recs[0].AccountID != 7 {
			t.Errorf("recordings %+v", recs)
		}
		want := ReportFields{Queue: "sales", SMSNumber: "+491", Email: "flow@example.com"}
		if fields["7/42"] != want {
			t.Errorf("fields %+v, want %+v", fields, want)
		}
	}
	// Nothing learnt, no attempt: nothing written.
	rep := &fakeReports{}
	e := &Engine{Recordings: rep, Reports: rep}
	r, _ := oneNode(t, e, `{"id":"n","type":"goto","params":{"node":"ok"}}`, nil)
	r.call = &ari.Call{ID: "ch", AttemptID: "42"}
	r.saveReports(context.Background())
	r.call = &ari.Call{ID: "ch"}
	r.queueName = "q"
	r.addRecording(Recording{Kind: RecordingRecord, Name: "record_x", Format: "gsm"})
	r.saveReports(context.Background())
	if recs, fields := rep.snapshot(); len(recs) != 0 || len(fields) != 0 {
		t.Errorf("wrote %+v %+v", recs, fields)
	}
}

// TestRecordedFeedbackExample: the example flow's settings and module name.
func TestRecordedFeedbackExample(t *testing.T) {
	f, err := Parse(readFlow(t, "recorded_feedback.json"), Features{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Settings == nil || !f.Settings.RecordCall {
		t.Errorf("settings %+v", f.Settings)
	}
	if c := f.Node("feedback").cfg.(*recordCfg); c.Module != "File" || !c.PlayFirst || c.Format != "gsm" {
		t.Errorf("play_and_record %+v", c)
	}
}
