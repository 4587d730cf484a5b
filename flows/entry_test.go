package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/fastagi"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// fakeResolver is a function-field FlowResolver.
type fakeResolver struct {
	did func(ctx context.Context, did string) (FlowVersion, error)
	id  func(ctx context.Context, id int64) (FlowVersion, error)
}

func (f fakeResolver) FlowForDID(ctx context.Context, did string) (FlowVersion, error) {
	return f.did(ctx, did)
}
func (f fakeResolver) FlowByID(ctx context.Context, id int64) (FlowVersion, error) {
	return f.id(ctx, id)
}

// fakeTTS is a function-field TTS.
type fakeTTS struct {
	synth func(ctx context.Context, acct int64, text string) ([]string, error)
}

func (f fakeTTS) Synthesize(ctx context.Context, acct int64, text string) ([]string, error) {
	return f.synth(ctx, acct, text)
}

// waitAttempt waits for a finished attempt whose start record matches.
func (h *harness) waitAttempt(t *testing.T, match func(ari.Attempt) bool) (ari.Attempt, ari.AttemptEnd) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		for id, end := range h.rec.Finished() {
			if a, ok := h.rec.Started(id); ok && match(a) {
				return a, end
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("attempt not finished")
	return ari.Attempt{}, ari.AttemptEnd{}
}

func (h *harness) savedJourney(t *testing.T, attemptID string) Journey {
	t.Helper()
	var j Journey
	raw := h.j.get(attemptID)
	if raw == nil {
		t.Fatalf("no journey saved for %s", attemptID)
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	return j
}

// TestInboundIVRExample runs testdata/flows/ivr_menu.json on an inbound
// call routed by its DID, during opening hours (injected clock).
func TestInboundIVRExample(t *testing.T) {
	f, err := Parse(readFlow(t, "ivr_menu.json"), Features{})
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	monday10 := time.Date(2026, 11, 23, 10, 0, 0, 0, berlin)
	var lookups sync.Map
	res := fakeResolver{did: func(_ context.Context, did string) (FlowVersion, error) {
		lookups.Store(did, true)
		if did != "+4930555001" {
			return FlowVersion{}, ErrNoFlow
		}
		return FlowVersion{AccountID: 4, FlowID: 77, Version: 2, Flow: f}, nil
	}}
	e := &Engine{Now: func() time.Time { return monday10 }}
	h := startManager(t, e.Route(res))
	e.Journeys = h.j
	e.Logger = testLogger(t)
	// The caller presses 1 (menu), then 1234# (account).
	_, err = h.m.Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/+4930555001@from-trunk", Context: "customers", Extension: "answer-dtmf-11234#", Priority: 1,
		CallerID:  "+12125550100",
		Variables: map[string]string{"SWITCHYARD_APP": h.m.Client().App()},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, end := h.waitAttempt(t, func(a ari.Attempt) bool { return a.DNIS == "+4930555001" })
	if a.AccountID != 4 || a.FlowID == nil || *a.FlowID != 77 || !a.Inbound {
		t.Errorf("attempt %+v", a)
	}
	if end.Status != StatusIVRFinished {
		t.Errorf("status %q", end.Status)
	}
	j := h.savedJourney(t, a.AttemptID)
	if got := j.path(); got != "answer:0 hours:0 menu:0 account:0 readback:0 goodbye:0 end" {
		t.Errorf("path %q: %s", got, mustJSON(j.Steps))
	}
	if s := j.step("readback"); s == nil || fmt.Sprint(s.Inputs["media"]) != "[sound:you-entered digits:1234]" {
		t.Errorf("readback %v", s)
	}
	if j.Version != 2 || j.FlowID != 77 {
		t.Errorf("journey version %d flow %d", j.Version, j.FlowID)
	}
	// An unmapped DID is hung up without a flow.
	_, err = h.m.Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/+4930555999@from-trunk", Context: "customers", Extension: "answer-silent", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": h.m.Client().App()},
	})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, ok := lookups.Load("+4930555999"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("unmapped DID never looked up")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPaymentReminderExample runs testdata/flows/payment_reminder.json as
// the dialer would: outbound, with the call-list record's variables.
func TestPaymentReminderExample(t *testing.T) {
	var mu sync.Mutex
	var got map[string]any
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		_ = json.Unmarshal(b, &got)
		auth = r.Header.Get("Authorization") + " " + r.URL.Path
		mu.Unlock()
		_, _ = io.WriteString(w, `{"accepted":"yes"}`)
	}))
	defer srv.Close()
	doc := strings.Replace(string(readFlow(t, "payment_reminder.json")), "https://crm.example.com", srv.URL, 1)
	users := fakeUserVars{
		get: func(_ context.Context, acct int64, n string) (string, bool, error) {
			return "tok-" + n, n == "crm_token", nil
		},
		set: func(context.Context, int64, string, string) error { return nil },
	}
	e := &Engine{UserVars: users, Policy: func(context.Context, int64) webhooks.Policy { return loopback }}
	h := startManager(t, nil)
	r := h.call(t, e, doc, "answer-dtmf-1", map[string]string{
		"$flow.key.customer_name": `Ann "the payer"`, "amount": "250", "due_date": "2026-12-01", "policy_number": "P-9",
	})
	if r.err != nil {
		t.Fatal(r.err)
	}
	if p := r.journey.path(); p != "check_amount:0 intro:0 confirm:0 notify:0 thanks:0 end" {
		t.Fatalf("path %q: %s", p, mustJSON(r.journey.Steps))
	}
	mu.Lock()
	defer mu.Unlock()
	if got["customer"] != `Ann "the payer"` || got["confirmed"] != "1" || got["policy"] != "P-9" || got["cdr"] == "" || got["called_at"] == "" {
		t.Errorf("webhook body %v", got)
	}
	if auth != "Bearer tok-crm_token /reminders/P-9" {
		t.Errorf("auth/path %q", auth)
	}
	if v := r.journey.step("notify").Outputs["$flow.key.confirmed"]; v != "yes" {
		t.Errorf("extracted %v", v)
	}
	// Without the amount the flow skips the call content.
	r = h.call(t, e, doc, "answer-silent", map[string]string{"customer_name": "B"})
	if p := r.journey.path(); p != "check_amount:1 end" || r.end.Status != StatusIVRFinished {
		t.Errorf("path %q status %q", p, r.end.Status)
	}
}

func TestTTSAndLoopGuard(t *testing.T) {
	h := startManager(t, nil)
	var texts []string
	e := &Engine{TTS: fakeTTS{synth: func(_ context.Context, acct int64, text string) ([]string, error) {
		texts = append(texts, fmt.Sprintf("%d:%s", acct, text))
		return []string{"sound:beep"}, nil
	}}, MaxSteps: 5}
	doc := `{"format":1,"name":"tts","type":"outbound_multicast","start":"say","variables":["name"],"nodes":[
	 {"id":"say","type":"play","params":{"media":"tts:Hello $flow.key.name"},"exits":["loop"]},
	 {"id":"loop","type":"goto","params":{"node":"say"}}]}`
	r := h.call(t, e, doc, "answer-silent", map[string]string{"name": "Ann"})
	if r.err == nil || !strings.Contains(r.err.Error(), "ran 5 widgets without ending") {
		t.Errorf("err %v", r.err)
	}
	if len(texts) != 3 || texts[0] != "1:Hello Ann" {
		t.Errorf("tts texts %q", texts)
	}
	if r.journey.Outcome != "max_steps" || r.end.Status != StatusIVRStarted {
		t.Errorf("outcome %q status %q", r.journey.Outcome, r.end.Status)
	}
	// Without TTS the play fails on line 1.
	doc2 := `{"format":1,"name":"tts","type":"outbound_multicast","start":"say","nodes":[
	 {"id":"say","type":"play","params":{"media":"tts:Hello"},"exits":["","bye"]},{"id":"bye","type":"hangup"}]}`
	r = h.call(t, &Engine{}, doc2, "answer-silent", nil)
	if p := r.journey.path(); p != "say:1 bye" || !strings.Contains(r.journey.Steps[0].Error, "text-to-speech is not configured") {
		t.Errorf("path %q %s", p, mustJSON(r.journey.Steps))
	}
}

// TestFastAGIEntry runs a flow from a dialplan AGI(agi://…/flow/<id>).
func TestFastAGIEntry(t *testing.T) {
	f, err := Parse([]byte(fmt.Sprintf(menuFlow, "6", 0)), Features{})
	if err != nil {
		t.Fatal(err)
	}
	res := fakeResolver{id: func(_ context.Context, id int64) (FlowVersion, error) {
		if id != 42 {
			return FlowVersion{}, ErrNoFlow
		}
		return FlowVersion{AccountID: 9, FlowID: 42, Version: 1, Flow: f}, nil
	}}
	e := &Engine{Logger: testLogger(t)}
	h := startManager(t, e.Route(res))
	e.Journeys = h.j
	srv := fastagi.New("127.0.0.1:0", testLogger(t))
	srv.Handle("flow/", e.AGIHandler(h.m.Client().App(), res))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ctx, l) }()
	_, err = h.m.Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/s@agi-test", Context: "customers", Extension: "answer-dtmf-2", Priority: 1,
		Variables: map[string]string{"AGI_URL": "agi://" + l.Addr().String() + "/flow/42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, end := h.waitAttempt(t, func(a ari.Attempt) bool { return a.FlowID != nil && *a.FlowID == 42 })
	if end.Status != StatusIVRFinished || a.AccountID != 9 {
		t.Errorf("attempt %+v end %+v", a, end)
	}
	j := h.savedJourney(t, a.AttemptID)
	if p := j.path(); p != "menu:2 two:0 bye" {
		t.Errorf("path %q", p)
	}
}
