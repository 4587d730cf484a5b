package flows

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// recordingsFlow: the whole call is recorded (record_call) while two record
// widgets, started in the same millisecond (fixed clock), and a
// play_and_record widget named "File" record the caller.
const recordingsFlow = `{"format":1,"name":"rec","type":"outbound_multicast","start":"r","variables":["u"],
 "settings":{"record_call":true},"nodes":[
 {"id":"r","type":"record","params":{"max_duration":1,"max_silence":0,"beep":false},"exits":["r2","f"]},
 {"id":"r2","type":"record","params":{"max_duration":1,"max_silence":0,"beep":true},"exits":["pr","f"]},
 {"id":"pr","type":"play_and_record","params":{"prompt":"sound:beep","name":"File","max_duration":1,"max_silence":0,"beep":false},"exits":["s","f"]},
 {"id":"s","type":"set_variable","params":{"assign":[{"name":"u","value":"$call.recordingUri|$call.flow.recordingUri|$call.ivr_recording.recordingUri|$call.play_and_record.recordingUri|$call.recorded"}]},"exits":["ok"]},
 {"id":"ok","type":"hangup"},{"id":"f","type":"hangup","params":{"cause":21}}]}`

// storedSize downloads a stored recording and returns its size.
func storedSize(t *testing.T, c *ari.Client, name string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, _, err := c.StoredRecordingFile(ctx, name)
	if err != nil {
		t.Errorf("stored recording %s: %v", name, err)
		return 0
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("read %s: %v", name, err)
	}
	return len(b)
}

// TestRecordingsOnAsterisk: the record, play_and_record and whole-call
// recordings get the call_/record_/_play_and_record_ names, Asterisk really
// stores them, they are reported to Engine.Recordings, and names stay
// unique: within a call (same millisecond: +1 ms) and against recordings
// Asterisk already has (a second call with the same numbers and clock:
// ifExists=fail, +1 ms).
func TestRecordingsOnAsterisk(t *testing.T) {
	asterisktest.Require(t)
	h := startManager(t, nil)
	client := h.m.Client()
	fixed := time.Now().Truncate(time.Millisecond)
	ms := fixed.UnixMilli()
	const cli, dnis = "+912265014928", "+918980833222"
	vars := map[string]string{"$call.cli": cli, "$call.dnis": dnis}
	var all []string
	t.Cleanup(func() {
		for _, n := range all {
			_ = client.DeleteStoredRecording(context.Background(), n)
		}
	})
	name := func(kind string, d int64) string {
		switch kind {
		case RecordingCall:
			return fmt.Sprintf("call_1_10_%s_%s_%d", cli, dnis, ms+d)
		case RecordingPlayAndRecord:
			return fmt.Sprintf("_play_and_record_1_10_%s_%s_File_%d", cli, dnis, ms+d)
		}
		return fmt.Sprintf("record_1_10_%s_%s_%d", cli, dnis, ms+d)
	}
	runs := []struct {
		call, r, r2, pr int64 // ms offsets of the names
	}{
		{0, 0, 1, 0},
		// Every first choice exists in Asterisk now.
		{1, 2, 3, 1},
	}
	for i, want := range runs {
		rep := &fakeReports{}
		e := &Engine{Recordings: rep, Reports: rep, Now: func() time.Time { return fixed },
			CallRecorder: &SnoopRecorder{Router: h.m.Router()}}
		r := h.call(t, e, recordingsFlow, "human", vars)
		if r.err != nil || r.journey.path() != "r:0 r2:0 pr:0 s:0 ok" {
			t.Fatalf("run %d: path %q err %v notes %v steps %+v", i, r.journey.path(), r.err, r.journey.Notes, r.journey.Steps)
		}
		callName, rName, r2Name, prName := name(RecordingCall, want.call), name(RecordingRecord, want.r), name(RecordingRecord, want.r2), name(RecordingPlayAndRecord, want.pr)
		all = append(all, callName, rName, r2Name, prName)
		recs, _ := rep.snapshot()
		var got []string
		for _, rec := range recs {
			got = append(got, rec.Kind+" "+rec.Name+"."+rec.Format)
			if rec.AttemptID == "" || rec.AccountID != 1 || rec.CallID == "" || rec.StartedAt.IsZero() || !strings.HasSuffix(rec.Name, fmt.Sprint(rec.StartedAt.UnixMilli())) {
				t.Errorf("run %d: recording %+v", i, rec)
			}
			if rec.Duration < 500*time.Millisecond {
				t.Errorf("run %d: %s lasted %v", i, rec.Name, rec.Duration)
			}
		}
		wantRecs := []string{"record " + rName + ".gsm", "record " + r2Name + ".gsm", "play_and_record " + prName + ".gsm", "call " + callName + ".gsm"}
		if !slices.Equal(got, wantRecs) {
			t.Errorf("run %d: recordings\n got %v\nwant %v", i, got, wantRecs)
		}
		if u, _ := r.journey.step("s").Outputs["$flow.key.u"].(string); u != strings.Join([]string{"recording:" + callName, "recording:" + callName, "recording:" + r2Name, "recording:" + prName, "Yes"}, "|") {
			t.Errorf("run %d: variables %q", i, u)
		}
		if !r.saved.Recorded || r.saved.RecordingURI != "recording:"+callName || len(r.saved.Recordings) != 4 {
			t.Errorf("run %d: saved journey recorded=%v uri=%q recordings=%v", i, r.saved.Recorded, r.saved.RecordingURI, r.saved.Recordings)
		}
		// Asterisk wrote them: about 1650 bytes per second of GSM.
		for _, n := range []string{rName, r2Name, prName} {
			if sz := storedSize(t, client, n); sz < 800 {
				t.Errorf("run %d: %s has %d bytes", i, n, sz)
			}
		}
		var callRec Recording
		for _, rec := range recs {
			if rec.Kind == RecordingCall {
				callRec = rec
			}
		}
		if sz := storedSize(t, client, callName); sz < 1650*3 || callRec.Duration < 3*time.Second {
			t.Errorf("run %d: whole call %s has %d bytes, %v (the widgets took more than 3 s)", i, callName, sz, callRec.Duration)
		}
	}
	// No snoop channel or route is left behind.
	chs, err := client.Channels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range chs {
		if strings.HasPrefix(ch.ID, "sy-snoop-") {
			t.Errorf("snoop channel %s left", ch.ID)
		}
	}
}

// TestRecordCallCallerHangsUp: the caller hangs up while the whole call is
// recorded: the recording is still stored and reported.
func TestRecordCallCallerHangsUp(t *testing.T) {
	asterisktest.Require(t)
	h := startManager(t, nil)
	client := h.m.Client()
	rep := &fakeReports{}
	timed := &timedRecorder{CallRecorder: &SnoopRecorder{Router: h.m.Router()}}
	e := &Engine{Recordings: rep, CallRecorder: timed}
	doc := `{"format":1,"name":"rec","type":"outbound_multicast","start":"w","settings":{"record_call":true},"nodes":[
	 {"id":"w","type":"gather","params":{"timeout":20,"retries":0},"exits":["ok","ok"]},{"id":"ok","type":"hangup"}]}`
	routes := h.m.Router().Routes()
	r := h.call(t, e, doc, "answer-hangup-2", nil)
	if r.err != nil || r.journey.Outcome != "caller_hangup" {
		t.Fatalf("outcome %q err %v notes %v", r.journey.Outcome, r.err, r.journey.Notes)
	}
	recs, _ := rep.snapshot()
	if len(recs) != 1 || recs[0].Kind != RecordingCall || !strings.HasPrefix(recs[0].Name, "call_1_10_") {
		t.Fatalf("recordings %+v", recs)
	}
	t.Cleanup(func() { _ = client.DeleteStoredRecording(context.Background(), recs[0].Name) })
	if sz := storedSize(t, client, recs[0].Name); sz < 1650 {
		t.Errorf("whole call has %d bytes", sz)
	}
	t.Logf("starting the whole-call recording (snoop, StasisStart, record) took %v", timed.took)
	if n := h.m.Router().Routes(); n > routes {
		t.Errorf("%d routes left, %d before the call", n, routes)
	}
}

// timedRecorder measures StartCallRecording.
type timedRecorder struct {
	CallRecorder
	took time.Duration
}

func (t *timedRecorder) StartCallRecording(ctx context.Context, call *ari.Call, name, format string) (ActiveRecording, error) {
	start := time.Now()
	defer func() { t.took = time.Since(start) }()
	return t.CallRecorder.StartCallRecording(ctx, call, name, format)
}
