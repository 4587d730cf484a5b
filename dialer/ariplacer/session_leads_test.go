package ariplacer

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/dialer/leadhook"
	"github.com/switchyard/switchyard/flows/webhooks"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// leadServer is a lead webhook answering from a script (then 204) and a
// call-log webhook, both recording the requests' query strings.
type leadServer struct {
	mu      sync.Mutex
	answers []func(w http.ResponseWriter, r *http.Request)
	leads   []url.Values
	logs    []url.Values
	srv     *httptest.Server
}

func newLeadServer(t *testing.T, answers ...func(w http.ResponseWriter, r *http.Request)) *leadServer {
	ls := &leadServer{answers: answers}
	ls.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ls.mu.Lock()
		if r.URL.Path == "/log" {
			ls.logs = append(ls.logs, r.URL.Query())
			ls.mu.Unlock()
			return
		}
		ls.leads = append(ls.leads, r.URL.Query())
		var f func(w http.ResponseWriter, r *http.Request)
		if len(ls.answers) > 0 {
			f, ls.answers = ls.answers[0], ls.answers[1:]
		}
		ls.mu.Unlock()
		if f == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		f(w, r)
	}))
	t.Cleanup(ls.srv.Close)
	return ls
}

func number(n string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(n)) }
}

func (ls *leadServer) source() *leadhook.Source {
	return &leadhook.Source{
		Webhooks: webhookMap{"next-lead": {URL: ls.srv.URL + "/lead"}, "crm-log": {URL: ls.srv.URL + "/log"}},
		Policy: func(context.Context, int64) webhooks.Policy {
			return webhooks.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
		},
		Timeout: 700 * time.Millisecond,
	}
}

func (ls *leadServer) got() (leads, logs []url.Values) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return append([]url.Values(nil), ls.leads...), append([]url.Values(nil), ls.logs...)
}

type webhookMap map[string]webhooks.Config

func (m webhookMap) Webhook(_ context.Context, _ int64, name string) (webhooks.Config, error) {
	w, ok := m[name]
	if !ok {
		return webhooks.Config{}, webhooks.ErrNotFound
	}
	return w, nil
}

// noRecords is the record source of a campaign without a call list.
type noRecords struct{}

func (noRecords) Claim(context.Context, time.Time, int) ([]dialer.Record, error) { return nil, nil }
func (noRecords) Renew(context.Context, []int64, time.Time) error                { return nil }
func (noRecords) Finish(context.Context, dialer.Outcome) error                   { return nil }
func (noRecords) Remaining(context.Context) (int64, error)                       { return 0, nil }

func leadsCampaign(accountID int64) dialer.Campaign {
	c := dialer.Campaign{ID: 42, AccountID: accountID, Name: "af-leads", Mode: dialer.ModeAgentFirst, Queue: "sales", CallerID: "07314853246",
		EndpointTemplate: "Local/{number}@customers", SimultaneousCalls: 1, DialTimeoutMS: 5000,
		LeadWebhook: "next-lead", LogWebhook: "crm-log", Status: dialer.StatusRunning}
	c.Normalize()
	return c
}

// TestAgentFirstLeadWebhookOnAsterisk: the lead webhook returns two numbers
// then none (204): the agent (a Local channel of agents-sim) is called once,
// both customers are dialed from the agent's call — the first answers and is
// bridged with the agent, the second is busy — the call log webhook gets one
// request per customer call with the Passthru (call log) parameters, the
// third lead request (telling the previous customer) ends the session: the
// agent is hung up and released, and the campaign (persisted without a call
// list) finishes.
func TestAgentFirstLeadWebhookOnAsterisk(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, acc := acmeStore(t, ctx)
	dc := leadsCampaign(acc.ID)
	dc.ID, dc.Status = 0, dialer.StatusCreated
	if err := dc.Validate(); err != nil {
		t.Fatal(err)
	}
	sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
		t.Fatal(err)
	}
	dc = sc.Campaign
	if dc.LeadWebhook != "next-lead" || dc.LogWebhook != "crm-log" {
		t.Fatalf("stored campaign %+v", dc)
	}
	ls := newLeadServer(t, number("answer-hangup-2"), number(`busy`))
	agents := &oneAgent{agent: dialer.Reservation{AgentID: "7", Endpoint: "Local/1000001@agents-sim", Number: "1000001"}}
	var mu sync.Mutex
	var popups []string
	var logs testkit.SyncBuffer
	r := &dialer.Runner{
		Campaign: dc, Records: &dialerstore.Records{Store: s, Campaign: dc, Owner: "node-1", NodePrefix: "node-"},
		Reserver: agents, Sessions: &Sessions{Manager: m}, Leads: ls.source(),
		Popup: func(ev dialer.PopupEvent) {
			mu.Lock()
			defer mu.Unlock()
			popups = append(popups, ev.Kind+" "+ev.Customer)
		},
		Screen: dialerstore.Screen(s), Status: dialerstore.Status(s, acc.ID, dc.ID), Finished: dialerstore.Finished(s, acc.ID, dc.ID),
		Interval: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	}
	start := time.Now()
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("session of 2 customers: %v", time.Since(start))
	got, _ := s.GetCampaign(ctx, acc.ID, dc.ID)
	if got.Status != dialer.StatusFinished {
		t.Errorf("campaign %s", got.Status)
	}
	agents.mu.Lock()
	if agents.reserved != 1 || agents.taken {
		t.Errorf("agent reserved %d times, still taken %v", agents.reserved, agents.taken)
	}
	agents.mu.Unlock()
	leads, calls := ls.got()
	if len(leads) != 3 || len(calls) != 2 {
		t.Fatalf("%d lead requests, %d call logs; want 3 and 2\n%s", len(leads), len(calls), logs.String())
	}
	for i, q := range leads {
		for _, k := range []string{"CallFrom", "CallSid", "CallStatus", "CallTo", "CallType", "Created", "CurrentTime", "DialCallDuration",
			"DialWhomNumber", "Direction", "EndTime", "From", "StartTime", "To", "flow_id", "tenant_id"} {
			if _, ok := q[k]; !ok {
				t.Errorf("lead request %d lacks %s", i, k)
			}
		}
		if q.Get("From") != "1000001" || q.Get("CallFrom") != "1000001" || q.Get("To") != "07314853246" || q.Get("CallSid") != leads[0].Get("CallSid") ||
			q.Get("flow_id") != strconv.FormatInt(dc.ID, 10) || q.Get("tenant_id") != strconv.FormatInt(acc.ID, 10) {
			t.Errorf("lead request %d: %v", i, q)
		}
	}
	if leads[0].Get("DialWhomNumber") != "" || leads[1].Get("DialWhomNumber") != "answer-hangup-2" || leads[2].Get("DialWhomNumber") != "busy" {
		t.Errorf("DialWhomNumber %q %q %q", leads[0].Get("DialWhomNumber"), leads[1].Get("DialWhomNumber"), leads[2].Get("DialWhomNumber"))
	}
	c0, c1 := calls[0], calls[1]
	if c0.Get("DialCallStatus") != "completed" || c0.Get("CallType") != "completed" || c0.Get("Legs[0][Number]") != "answer-hangup-2" ||
		c0.Get("Legs[0][CauseCode]") != "NORMAL_CLEARING" || c0.Get("OutgoingPhoneNumber") != "07314853246" || c0.Get("From") != "1000001" {
		t.Errorf("first call log %v", c0)
	}
	if d, err := strconv.Atoi(c0.Get("DialCallDuration")); err != nil {
		t.Fatalf("strconv.Atoi(c0.Get('DialCallDuration')): %v", err)
	} else if d < 2 || d > 5 {
		t.Errorf("first call DialCallDuration %q (the customer talks 2 s)", c0.Get("DialCallDuration"))
	}
	if d, err := strconv.Atoi(c0.Get("Legs[0][OnCallDuration]")); err != nil {
		t.Fatalf("strconv.Atoi(c0.Get('Legs[0][OnCallDuration]')): %v", err)
	} else if d < 2 || d > 4 {
		t.Errorf("first call OnCallDuration %q (the customer talks 2 s)", c0.Get("Legs[0][OnCallDuration]"))
	}
	if c1.Get("DialCallStatus") != "busy" || c1.Get("CallType") != "call-attempt" || c1.Get("Legs[0][CauseCode]") != "USER_BUSY" ||
		c1.Get("Legs[0][OnCallDuration]") != "0" {
		t.Errorf("second call log %v", c1)
	}
	mu.Lock()
	want := "Dial answer-hangup-2,Answered answer-hangup-2,Terminal answer-hangup-2,Dial busy,Terminal busy"
	if g := strings.Join(popups, ","); g != want {
		t.Errorf("popups %s", g)
	}
	mu.Unlock()
	// The agent's record and one per customer call, all finished.
	if fin := rec.Finished(); len(fin) != 3 || len(rec.Open()) != 0 {
		t.Errorf("%d attempt records finished, %d open: want the agent's and the 2 customers', ended", len(fin), len(rec.Open()))
	} else {
		var statuses []string
		for _, e := range fin {
			statuses = append(statuses, e.Status)
		}
		slices.Sort(statuses)
		if g := strings.Join(statuses, ","); g != "BUSY,IN_ANSWER,IN_ANSWER" {
			t.Errorf("record statuses %s; want BUSY and IN_ANSWER for the customers, IN_ANSWER for the agent", g)
		}
	}
	if !strings.Contains(logs.String(), "the lead webhook has no lead") {
		t.Errorf("no end reason logged:\n%s", logs.String())
	}
}

// TestAgentFirstLeadAgentHangsUpOnAsterisk: the agent (agents-sim 5040001
// hangs up 4 s after answering) leaves during the first customer call: the
// loop stops (no further lead request), the customer is dropped, the call
// log of that call is still sent (CallType client-hangup) and the agent is
// released.
func TestAgentFirstLeadAgentHangsUpOnAsterisk(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	ls := newLeadServer(t, number("answer-silent"), number("answer-hangup-1"))
	agents := &oneAgent{agent: dialer.Reservation{AgentID: "8", Endpoint: "Local/5040001@agents-sim", Number: "5040001"}}
	var logs testkit.SyncBuffer
	r := &dialer.Runner{Campaign: leadsCampaign(1), Records: noRecords{}, Reserver: agents, Sessions: &Sessions{Manager: m},
		Leads: ls.source(), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	start := time.Now()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	took := time.Since(start)
	leads, calls := ls.got()
	if len(leads) != 1 || len(calls) != 1 {
		t.Fatalf("%d lead requests, %d call logs; want 1 and 1\n%s", len(leads), len(calls), logs.String())
	}
	if c := calls[0]; c.Get("CallType") != "client-hangup" || c.Get("DialCallStatus") != "completed" || c.Get("Legs[0][Number]") != "answer-silent" {
		t.Errorf("call log %v", c)
	}
	if took > 15*time.Second {
		t.Errorf("the session took %v after the agent hung up at 4 s (the customer stays 60 s)", took)
	}
	agents.mu.Lock()
	if agents.reserved != 1 || agents.taken {
		t.Errorf("agent reserved %d, taken %v", agents.reserved, agents.taken)
	}
	agents.mu.Unlock()
	if len(rec.Open()) != 0 {
		t.Errorf("open attempts %v", rec.Open())
	}
	if !strings.Contains(logs.String(), "the agent hung up") {
		t.Errorf("no end reason logged:\n%s", logs.String())
	}
}

// TestAgentFirstLeadWebhookErrorsOnAsterisk: a lead webhook that fails
// (500, no answer within the timeout, a body that is no number) ends the
// session cleanly: nothing is dialed, no call log, the agent is hung up
// and released, and the reason is logged.
func TestAgentFirstLeadWebhookErrorsOnAsterisk(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request)
		reason string
	}{
		{"server error", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, "SERVER_ERROR"},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, "TIMEOUT"},
		{"bad body", number("<html>sorry</html>"), "unreadable lead webhook answer"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ls := newLeadServer(t, tc.answer)
			agents := &oneAgent{agent: dialer.Reservation{AgentID: "9", Endpoint: "Local/1000002@agents-sim", Number: "1000002"}}
			var logs testkit.SyncBuffer
			dialed := 0
			r := &dialer.Runner{Campaign: leadsCampaign(1), Records: noRecords{}, Reserver: agents, Sessions: &Sessions{Manager: m},
				Leads: ls.source(), Logger: slog.New(slog.NewTextHandler(&logs, nil)), OnDial: func(dialer.PlaceRequest) { dialed++ }}
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			r.Wait()
			leads, calls := ls.got()
			if len(leads) != 1 || len(calls) != 0 || dialed != 0 {
				t.Errorf("%d lead requests, %d call logs, %d dialed", len(leads), len(calls), dialed)
			}
			agents.mu.Lock()
			if agents.reserved != 1 || agents.taken {
				t.Errorf("agent reserved %d, taken %v", agents.reserved, agents.taken)
			}
			agents.mu.Unlock()
			if fin := rec.Finished(); len(fin) != i+1 || len(rec.Open()) != 0 {
				t.Errorf("%d agent calls ended, %d open", len(fin), len(rec.Open()))
			}
			out := logs.String()
			if !strings.Contains(out, "the lead webhook failed") || !strings.Contains(out, tc.reason) {
				t.Errorf("reason %q not logged:\n%s", tc.reason, out)
			}
			// The campaign backs off: the agent is not called again at once.
			if err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
			r.Wait()
			if agents.reserved != 1 {
				t.Errorf("agent called again during the backoff")
			}
		})
	}
}
