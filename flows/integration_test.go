package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/flows/webhooks"
)

func newMemRecorder() *aritest.Recorder { return aritest.NewRecorder() }

// memJourneys is a JourneySaver keeping the last journey per attempt.
type memJourneys struct {
	mu sync.Mutex
	m  map[string]json.RawMessage
}

func (j *memJourneys) SaveJourney(_ context.Context, acct int64, id string, b json.RawMessage) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.m == nil {
		j.m = map[string]json.RawMessage{}
	}
	j.m[id] = b
	return nil
}

func (j *memJourneys) get(id string) json.RawMessage {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.m[id]
}

func testLogger(t testing.TB) *slog.Logger { return aritest.Logger(t) }

type harness struct {
	m   *ari.Manager
	rec *aritest.Recorder
	j   *memJourneys
}

// startManager connects a Manager to the real Asterisk under a unique app.
func startManager(t *testing.T, route func(context.Context, *ariv6.StasisStart) ari.Route) *harness {
	t.Helper()
	h := &harness{rec: newMemRecorder(), j: &memJourneys{}}
	h.m = aritest.StartManager(t, h.rec, aritest.Options{Prefix: "syflow", Route: route})
	return h
}

type flowRun struct {
	journey *Journey
	err     error
	end     ari.AttemptEnd
	saved   Journey
}

// call runs doc on an outbound call to a test customer and waits for the
// attempt record.
func (h *harness) call(t *testing.T, e *Engine, doc, customer string, vars map[string]string) flowRun {
	t.Helper()
	f, err := Parse([]byte(doc), e.Features())
	if err != nil {
		t.Fatalf("flow: %v", err)
	}
	if e.Journeys == nil {
		e.Journeys = h.j
	}
	if e.Logger == nil {
		e.Logger = testLogger(t)
	}
	fv := FlowVersion{AccountID: 1, FlowID: 10, Version: 3, Flow: f}
	got := make(chan flowRun, 1)
	c, err := h.m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: "Local/" + customer + "@customers", Timeout: 15 * time.Second,
		Attempt: &ari.Attempt{AccountID: 1, Number: 1},
		Handler: func(ctx context.Context, c *ari.Call) error {
			j, err := e.RunOutbound(ctx, c, fv, vars)
			got <- flowRun{journey: j, err: err}
			return err
		},
		Failed: func(c *ari.Call) { got <- flowRun{err: fmt.Errorf("call failed")} },
	})
	if err != nil {
		t.Fatal(err)
	}
	var r flowRun
	select {
	case r = <-got:
	case <-time.After(90 * time.Second):
		t.Fatal("flow did not finish")
	}
	select {
	case <-c.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("call not finished")
	}
	end, ok := h.rec.End(c.AttemptID)
	if !ok {
		t.Fatal("attempt not recorded")
	}
	r.end = end
	if raw := h.j.get(c.AttemptID); raw != nil {
		if err := json.Unmarshal(raw, &r.saved); err != nil {
			t.Fatalf("saved journey: %v", err)
		}
	} else {
		t.Errorf("journey not saved for attempt %s", c.AttemptID)
	}
	return r
}

// path lists "node:exit" of the journey's steps.
func (j *Journey) path() string {
	var parts []string
	for _, s := range j.Steps {
		p := s.Node
		if s.Exit != nil {
			p += fmt.Sprintf(":%d", *s.Exit)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func (j *Journey) step(node string) *Step {
	for i := range j.Steps {
		if j.Steps[i].Node == node {
			return &j.Steps[i]
		}
	}
	return nil
}

const menuFlow = `{"format":1,"name":"menu","type":"outbound_multicast","start":"menu","variables":["acct","said"],
 "nodes":[
  {"id":"menu","type":"menu","params":{"prompt":["sound:beep"],"options":{"1":0,"2":2},"timeout":%s,"retries":%d,
    "no_input_prompt":"sound:beep","invalid_prompt":"sound:beep"},"exits":["acct","sorry","two"]},
  {"id":"acct","type":"gather","params":{"min_digits":3,"max_digits":3,"timeout":4,"variable":"$flow.key.acct"},"exits":["say","sorry"]},
  {"id":"say","type":"set_variable","params":{"assign":[{"name":"said","value":"acct=$flow.key.acct dtmf=$call.dtmf last=$call.lastdtmfreceived"}]},"exits":["readback"]},
  {"id":"readback","type":"play","params":{"media":["digits:$flow.key.acct"]},"exits":["bye"]},
  {"id":"two","type":"play","params":{"media":"sound:beep"},"exits":["bye"]},
  {"id":"sorry","type":"play","params":{"media":"sound:beep"},"exits":["bye"]},
  {"id":"bye","type":"hangup","params":{"cause":16}}]}`

func TestFlowOnAsterisk(t *testing.T) {
	h := startManager(t, nil)
	for _, tc := range []struct {
		name, customer, timeout string
		retries                 int
		path, status, outcome   string
		check                   func(t *testing.T, r flowRun)
	}{
		{
			name: "digits", customer: "answer-dtmf-1123", timeout: "6", retries: 0,
			path: "menu:0 acct:0 say:0 readback:0 bye", status: StatusIVRFinished, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				if got := r.journey.step("say").Outputs["$flow.key.said"]; got != "acct=123 dtmf=1123 last=3" {
					t.Errorf("said = %v", got)
				}
				if r.end.DTMF != "1123" {
					t.Errorf("record DTMF = %q", r.end.DTMF)
				}
			},
		},
		{
			name: "second option", customer: "answer-dtmf-2", timeout: "6", retries: 0,
			path: "menu:2 two:0 bye", status: StatusIVRFinished, outcome: "hangup_widget",
		},
		{
			name: "no input", customer: "answer-silent", timeout: "1", retries: 1,
			path: "menu:1 sorry:0 bye", status: StatusIVRFinished, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				if tries := r.journey.step("menu").Outputs["tries"].([]string); len(tries) != 2 || tries[0] != "" || tries[1] != "" {
					t.Errorf("tries = %q", tries)
				}
			},
		},
		{
			name: "wrong digit", customer: "answer-dtmf-9", timeout: "4", retries: 0,
			path: "menu:1 sorry:0 bye", status: StatusIVRFinished, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				if s := r.journey.step("menu"); s.Error != "invalid choice" {
					t.Errorf("menu error = %q", s.Error)
				}
			},
		},
		{
			name: "hang up mid flow", customer: "answer-hangup-1", timeout: "10", retries: 0,
			path: "menu", status: StatusIVRStarted, outcome: "caller_hangup",
			check: func(t *testing.T, r flowRun) {
				if !r.end.RemoteHangup {
					t.Errorf("record not remote hangup: %+v", r.end)
				}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(t, &Engine{}, fmt.Sprintf(menuFlow, tc.timeout, tc.retries), tc.customer, nil)
			if r.err != nil {
				t.Fatalf("run: %v", r.err)
			}
			if got := r.journey.path(); got != tc.path {
				t.Errorf("path %q, want %q", got, tc.path)
			}
			if r.journey.Status != tc.status || r.end.Status != tc.status {
				t.Errorf("status journey %q record %q, want %q", r.journey.Status, r.end.Status, tc.status)
			}
			if r.journey.Outcome != tc.outcome || r.saved.Outcome != tc.outcome {
				t.Errorf("outcome %q (saved %q), want %q", r.journey.Outcome, r.saved.Outcome, tc.outcome)
			}
			if len(r.saved.Steps) != len(r.journey.Steps) || r.saved.Version != 3 {
				t.Errorf("saved journey differs: %d steps v%d", len(r.saved.Steps), r.saved.Version)
			}
			if last := r.journey.Steps[len(r.journey.Steps)-1]; tc.outcome == "hangup_widget" && (last.Type != "hangup" || last.Error != "") {
				t.Errorf("last step %s (%s) error %q: a hangup widget ending the flow is no error", last.Node, last.Type, last.Error)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

func TestWidgetsOnAsterisk(t *testing.T) {
	h := startManager(t, nil)
	srv, seen := crmServer(t, map[string]string{
		"123456": `{"status":"ok","destination":"1,3"}`,
		"654321": `{"status":"ok","destination":true}`,
		"111111": `{"status":"ok","destination":"maybe"}`,
		"222222": `{"status":"fail"}`,
		"333333": `{"status":"ok","destination":"5,1"}`,
	})
	crm := func(mode, extra string) string {
		exits, gold := `"yes","no"`, ""
		if mode == CRMDestination {
			exits, gold = `"yes","no","gold"`, `,{"id":"gold","type":"play","params":{"media":"sound:beep"}}`
		}
		return `{"format":1,"name":"crm","type":"inbound","start":"id","variables":["cid"],"nodes":[
		 {"id":"id","type":"caller_id","params":{"mode":"` + mode + `","id_length":6,"audio":"sound:beep","attempts":2,"timeout":3,
		   "variable":"$flow.key.cid"` + extra + `},"exits":[` + exits + `]},
		 {"id":"yes","type":"play","params":{"media":"sound:beep"}},
		 {"id":"no","type":"play","params":{"media":"sound:beep"}}` + gold + `]}`
	}
	withURL := `,"url":"` + srv.URL + `/identify"`
	routes := withURL + `,"routes":[{"type":1,"id":"3","exit":2},{"type":5,"id":"1","exit":3}]`
	e := func() *Engine {
		return &Engine{Policy: func(context.Context, int64) webhooks.Policy { return loopback }}
	}
	for _, tc := range []struct {
		name, doc, customer string
		vars                map[string]string
		path, status        string
		outcome             string
		check               func(t *testing.T, r flowRun)
	}{
		{
			name: "hang up mid-prompt", customer: "answer-hangup-1",
			doc:  `{"format":1,"name":"p","type":"outbound_multicast","start":"p","nodes":[{"id":"p","type":"play","params":{"media":["sound:vm-nobodyavail","sound:vm-intro"]},"exits":["b"]},{"id":"b","type":"hangup"}]}`,
			path: "p", status: StatusIVRStarted, outcome: "caller_hangup",
			check: func(t *testing.T, r flowRun) {
				s := r.journey.Steps[0]
				if s.End.Sub(s.Start) > 3*time.Second || !strings.Contains(s.Error, "hung up") {
					t.Errorf("play step %v..%v error %q", s.Start, s.End, s.Error)
				}
			},
		},
		{
			name: "gather terminator and pattern retry", customer: "answer-dtmf-12#",
			doc: `{"format":1,"name":"g","type":"outbound_multicast","start":"g","variables":["x"],"nodes":[
			  {"id":"g","type":"gather","params":{"prompt":"sound:beep","min_digits":1,"max_digits":5,"terminator":"#","timeout":5,"inter_digit_timeout":2,"variable":"x"},"exits":["d","f"]},
			  {"id":"d","type":"decision","params":{"conditions":[{"left":"$flow.key.x","op":"eq","right":"12"}]},"exits":["ok","f"]},
			  {"id":"ok","type":"hangup"},{"id":"f","type":"hangup","params":{"cause":21}}]}`,
			path: "g:0 d:0 ok", status: StatusIVRFinished, outcome: "hangup_widget",
		},
		{
			name: "gather invalid then no input", customer: "answer-dtmf-9",
			doc: `{"format":1,"name":"g","type":"outbound_multicast","start":"g","nodes":[
			  {"id":"g","type":"gather","params":{"min_digits":2,"max_digits":2,"timeout":2,"inter_digit_timeout":1,"retries":1,"invalid_prompt":"sound:beep","no_input_prompt":"sound:beep"},"exits":["ok","f"]},
			  {"id":"ok","type":"hangup"},{"id":"f","type":"hangup","params":{"cause":21}}]}`,
			path: "g:1 f", status: StatusIVRFinished, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				tries := r.journey.Steps[0].Outputs["tries"].([]map[string]any)
				if len(tries) != 2 || tries[0]["digits"] != "9" || tries[0]["valid"] != false || tries[1]["digits"] != "" {
					t.Errorf("tries %v", tries)
				}
				if r.end.HangupCause != 21 {
					t.Errorf("hangup cause %d, want 21", r.end.HangupCause)
				}
			},
		},
		{
			name: "record and play_and_record", customer: "human", // sends audio frames
			doc: `{"format":1,"name":"r","type":"outbound_multicast","start":"r","variables":["rec"],"nodes":[
			  {"id":"r","type":"record","params":{"max_duration":1,"max_silence":0,"beep":true,"variable":"rec"},"exits":["back","f"]},
			  {"id":"back","type":"play","params":{"media":["$call.ivr_recording.recordingUri","$flow.key.rec"]},"exits":["pr","f"]},
			  {"id":"pr","type":"play_and_record","params":{"prompt":"sound:beep","max_duration":1,"beep":false,"format":"gsm"},"exits":["s","f"]},
			  {"id":"s","type":"set_variable","params":{"assign":[{"name":"rec","value":"$flow.key.rec|$call.play_and_record.recordingUri|$call.recorded"}]},"exits":["ok"]},
			  {"id":"ok","type":"hangup"},{"id":"f","type":"hangup","params":{"cause":21}}]}`,
			path: "r:0 back:0 pr:0 s:0 ok", status: StatusIVRFinished, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				s := r.journey.step("s")
				if s == nil {
					return
				}
				v, _ := s.Outputs["$flow.key.rec"].(string)
				parts := strings.Split(v, "|")
				if len(parts) != 3 || !strings.HasPrefix(parts[0], "recording:record_1_10_") || !strings.HasPrefix(parts[1], "recording:_play_and_record_1_10_") || !strings.Contains(parts[1], "_pr_") || parts[2] != "Yes" {
					t.Errorf("recording vars %q", v)
				}
				if d, _ := r.journey.step("r").Outputs["elapsed_s"].(float64); d < 0.5 {
					t.Errorf("recording took %v s", d)
				}
			},
		},
		{
			name: "transfer answered then agent hangs up", customer: "answer-silent",
			doc:  transferFlow("Local/answer-hangup-1@customers", 10),
			path: "t:0 after:0 end", status: StatusInAnswer, outcome: "hangup_widget",
			check: func(t *testing.T, r flowRun) {
				if s := r.journey.step("t"); s.Outputs["talk_s"].(float64) < 0.5 {
					t.Errorf("talk %v", s.Outputs)
				}
			},
		},
		{name: "transfer busy", customer: "answer-silent", doc: transferFlow("Local/busy@customers", 10), path: "t:2 busy:0 end", status: StatusInBusy, outcome: "hangup_widget"},
		{name: "transfer congestion", customer: "answer-silent", doc: transferFlow("Local/congestion@customers", 10), path: "t:4 cong:0 end", status: StatusInCongestion, outcome: "hangup_widget"},
		{name: "transfer chanunavail", customer: "answer-silent", doc: transferFlow("Local/chanunavail@customers", 10), path: "t:4 cong:0 end", status: StatusInChanUnavail, outcome: "hangup_widget"},
		{name: "transfer no answer", customer: "answer-silent", doc: transferFlow("Local/noanswer@customers", 2), path: "t:3 noans:0 end", status: StatusInNoAnswer, outcome: "hangup_widget"},
		{name: "transfer caller hangs up while ringing", customer: "answer-hangup-2", doc: transferFlow("Local/noanswer@customers", 20), path: "t", status: StatusInCancel, outcome: "caller_hangup"},
		{
			name: "caller id, no interaction", customer: "answer-dtmf-123456", doc: crm(CRMNone, ""),
			path: "id:0 yes:0", status: StatusIVRFinished, outcome: "finished",
			check: func(t *testing.T, r flowRun) {
				if r.journey.step("id").Outputs["id"] != "123456" {
					t.Errorf("id %v", r.journey.step("id").Outputs)
				}
			},
		},
		{name: "caller id, no interaction, nothing entered", customer: "answer-silent", doc: crm(CRMNone, ""), path: "id:1 no:0", status: StatusIVRFinished, outcome: "finished"},
		{name: "caller id, short id", customer: "answer-dtmf-123#", doc: crm(CRMNone, ""), path: "id:1 no:0", status: StatusIVRFinished, outcome: "finished"},
		{name: "caller id, true", customer: "answer-dtmf-654321", doc: crm(CRMBool, withURL), path: "id:0 yes:0", status: StatusIVRFinished, outcome: "finished"},
		{name: "caller id, fail status", customer: "answer-dtmf-222222", doc: crm(CRMBool, withURL), path: "id:1 no:0", status: StatusIVRFinished, outcome: "finished"},
		{
			name: "caller id, malformed answer", customer: "answer-dtmf-111111", doc: crm(CRMBool, withURL),
			path: "id:1 no:0", status: StatusIVRFinished, outcome: "finished",
			check: func(t *testing.T, r flowRun) {
				if reason, _ := r.journey.step("id").Outputs["reason"].(string); !strings.Contains(reason, `malformed CRM answer: "destination" must be true or false`) {
					t.Errorf("reason %q", reason)
				}
			},
		},
		{name: "caller id, destination routed", customer: "answer-dtmf-123456", doc: crm(CRMDestination, routes), path: "id:2 gold:0", status: StatusIVRFinished, outcome: "finished"},
		{name: "caller id, destination hangup", customer: "answer-dtmf-333333", doc: crm(CRMDestination, routes), path: "id", status: StatusIVRFinished, outcome: "hangup_widget"},
		{name: "caller id, destination without route", customer: "answer-dtmf-654321", doc: crm(CRMDestination, routes), path: "id:1 no:0", status: StatusIVRFinished, outcome: "finished"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.call(t, e(), tc.doc, tc.customer, tc.vars)
			if r.err != nil {
				t.Fatalf("run: %v", r.err)
			}
			if got := r.journey.path(); got != tc.path {
				t.Errorf("path %q, want %q (%s)", got, tc.path, mustJSON(r.journey.Steps))
			}
			if r.journey.Status != tc.status || r.end.Status != tc.status {
				t.Errorf("status journey %q record %q, want %q", r.journey.Status, r.end.Status, tc.status)
			}
			if r.journey.Outcome != tc.outcome {
				t.Errorf("outcome %q, want %q", r.journey.Outcome, tc.outcome)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
	for _, s := range seen() {
		if !strings.HasPrefix(s, "OMniLeads idContact=") {
			t.Errorf("CRM request %q", s)
		}
	}
}

func transferFlow(endpoint string, timeout int) string {
	return fmt.Sprintf(`{"format":1,"name":"t","type":"outbound_multicast","start":"t","nodes":[
	 {"id":"t","type":"transfer","params":{"endpoint":%q,"timeout":%d},"exits":["after","fail","busy","noans","cong"]},
	 {"id":"after","type":"play","params":{"media":"sound:beep"},"exits":["end"]},
	 {"id":"fail","type":"play","params":{"media":"sound:beep"},"exits":["end"]},
	 {"id":"busy","type":"play","params":{"media":"sound:beep"},"exits":["end"]},
	 {"id":"noans","type":"play","params":{"media":"sound:beep"},"exits":["end"]},
	 {"id":"cong","type":"play","params":{"media":"sound:beep"},"exits":["end"]},
	 {"id":"end","type":"hangup"}]}`, endpoint, timeout)
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
