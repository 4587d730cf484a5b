package dialer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// fakeSession is a Session whose customers are answered by a function.
type fakeSession struct {
	done   chan struct{}
	once   sync.Once
	closed bool
	place  func(r PlaceRequest) (Result, error)
}

func newFakeSession(place func(r PlaceRequest) (Result, error)) *fakeSession {
	return &fakeSession{done: make(chan struct{}), place: place}
}
func (s *fakeSession) Done() <-chan struct{} { return s.done }
func (s *fakeSession) ID() string            { return "agent-call-1" }
func (s *fakeSession) hangup()               { s.once.Do(func() { close(s.done) }) }
func (s *fakeSession) Close()                { s.closed = true; s.hangup() }
func (s *fakeSession) Place(_ context.Context, r PlaceRequest) (Result, error) {
	select {
	case <-s.done:
		return Result{}, ErrAgentGone
	default:
	}
	return s.place(r)
}

type fakeSessions struct {
	s      *fakeSession
	opened int
}

func (f *fakeSessions) Open(context.Context, *Campaign, Reservation) (Session, error) {
	f.opened++
	if f.opened > 1 {
		return nil, errors.New("agent did not answer")
	}
	return f.s, nil
}

type fakeReserver struct {
	mu                 sync.Mutex
	taken              bool
	reserved, released int
}

func (a *fakeReserver) Reserve(context.Context, int64, string) (Reservation, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.taken {
		return Reservation{}, false, nil
	}
	a.taken = true
	a.reserved++
	return Reservation{AgentID: "7", Endpoint: "Local/1000001@agents-sim", Number: "1000001"}, true, nil
}

func (a *fakeReserver) Release(context.Context, int64, Reservation) {
	a.mu.Lock()
	a.taken = false
	a.released++
	a.mu.Unlock()
}

// fakeLeads answers leads from a list (then "no lead"), or with err.
type fakeLeads struct {
	mu      sync.Mutex
	numbers []string
	err     error
	asked   []map[string]string
	logs    []map[string]string
}

func (f *fakeLeads) NextLead(_ context.Context, _ *Campaign, p map[string]string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, p)
	if f.err != nil {
		return "", f.err
	}
	if len(f.numbers) == 0 {
		return "", nil
	}
	n := f.numbers[0]
	f.numbers = f.numbers[1:]
	return n, nil
}

func (f *fakeLeads) CallLog(_ context.Context, _ *Campaign, p map[string]string) error {
	f.mu.Lock()
	f.logs = append(f.logs, p)
	f.mu.Unlock()
	return nil
}

func leadCampaign() Campaign {
	c := Campaign{ID: 9, AccountID: 3, Name: "af", Mode: ModeAgentFirst, Queue: "sales", EndpointTemplate: "Local/{number}@customers",
		SimultaneousCalls: 1, CallerID: "0731", LeadWebhook: "lead", LogWebhook: "log", Status: StatusRunning}
	c.Normalize()
	return c
}

func TestAgentFirstLeadWebhookLoop(t *testing.T) {
	clk := clockAt(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	s := newFakeSession(func(r PlaceRequest) (Result, error) {
		clk.Set(clk.Now().Add(3 * time.Second))
		if r.Number == "busy" {
			return Result{Status: "BUSY"}, nil
		}
		r.Answer()
		clk.Set(clk.Now().Add(20 * time.Second))
		return Result{Status: "IN_ANSWER", Answered: true, AgentConnected: true}, nil
	})
	leads := &fakeLeads{numbers: []string{"answer-hangup-1", "busy"}}
	res := &fakeReserver{}
	var popups, callIDs []string
	finished := 0
	r := &Runner{Campaign: leadCampaign(), Records: newMemRecords(1), Reserver: res, Sessions: &fakeSessions{s: s}, Leads: leads,
		Clock: clk, Popup: func(ev PopupEvent) {
			popups = append(popups, ev.Kind+" "+ev.Customer)
			callIDs = append(callIDs, ev.CallID)
		},
		Finished: func(context.Context) error { finished++; return nil }}
	ctx := ctxT(t)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if finished != 1 || !r.isFinished() {
		t.Errorf("finished %d", finished)
	}
	if res.reserved != 1 || res.released != 1 || !s.closed {
		t.Errorf("reserved %d released %d closed %v", res.reserved, res.released, s.closed)
	}
	want := []string{"Dial answer-hangup-1", "Answered answer-hangup-1", "Terminal answer-hangup-1", "Dial busy", "Terminal busy"}
	if !slices.Equal(popups, want) {
		t.Errorf("popups %q", popups)
	}
	if ids := []string{"agent-call-1-1", "agent-call-1-1", "agent-call-1-1", "agent-call-1-2", "agent-call-1-2"}; !slices.Equal(callIDs, ids) {
		t.Errorf("popup call ids %q", callIDs)
	}
	if len(leads.asked) != 3 || len(leads.logs) != 2 {
		t.Fatalf("asked %d logs %d", len(leads.asked), len(leads.logs))
	}
	if a := leads.asked[1]; a["DialWhomNumber"] != "answer-hangup-1" || a["DialCallDuration"] != "23" || a["From"] != "1000001" ||
		a["CallSid"] != "agent-call-1" || a["flow_id"] != "9" || a["tenant_id"] != "3" || a["To"] != "0731" {
		t.Errorf("second lead request %v", a)
	}
	if l := leads.logs[0]; l["DialCallStatus"] != "completed" || l["DialCallDuration"] != "23" || l["Legs[0][OnCallDuration]"] != "20" ||
		l["CallType"] != "completed" {
		t.Errorf("first log %v", l)
	}
	if l := leads.logs[1]; l["DialCallStatus"] != "busy" || l["DialCallDuration"] != "3" || l["Legs[0][Number]"] != "busy" {
		t.Errorf("second log %v", l)
	}
	if p := r.Progress(); p.Dialed != 2 || p.Answered != 1 {
		t.Errorf("progress %+v", p)
	}
}

func TestAgentFirstLeadAgentHangsUp(t *testing.T) {
	var s *fakeSession
	s = newFakeSession(func(r PlaceRequest) (Result, error) {
		r.Answer()
		s.hangup() // the agent hangs up during the first customer
		return Result{Status: "IN_ANSWER", Answered: true}, ErrAgentGone
	})
	leads := &fakeLeads{numbers: []string{"1", "2", "3"}}
	res := &fakeReserver{}
	r := &Runner{Campaign: leadCampaign(), Records: newMemRecords(1), Reserver: res, Sessions: &fakeSessions{s: s}, Leads: leads,
		Clock: clockAt(time.Unix(1e9, 0))}
	if err := r.Step(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(leads.asked) != 1 || len(leads.logs) != 1 {
		t.Fatalf("asked %d logs %d", len(leads.asked), len(leads.logs))
	}
	if l := leads.logs[0]; l["CallType"] != "client-hangup" || l["DialCallStatus"] != "completed" {
		t.Errorf("log %v", l)
	}
	if res.released != 1 {
		t.Error("agent not released")
	}
	r.mu.Lock()
	drained := r.af.drained
	r.mu.Unlock()
	if drained {
		t.Error("an agent's hangup does not drain the campaign")
	}
}

func TestAgentFirstLeadWebhookError(t *testing.T) {
	clk := clockAt(time.Unix(1e9, 0))
	s := newFakeSession(func(PlaceRequest) (Result, error) { t.Error("dialed"); return Result{}, nil })
	leads := &fakeLeads{err: errors.New("SERVER_ERROR")}
	res := &fakeReserver{}
	ss := &fakeSessions{s: s}
	r := &Runner{Campaign: leadCampaign(), Records: newMemRecords(1), Reserver: res, Sessions: ss, Leads: leads, Clock: clk,
		Finished: func(context.Context) error { t.Error("finished after an error"); return nil }}
	ctx := ctxT(t)
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(leads.logs) != 0 || res.released != 1 || !s.closed {
		t.Errorf("logs %d released %d closed %v", len(leads.logs), res.released, s.closed)
	}
	// Backing off: no agent is called again at once.
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if ss.opened != 1 {
		t.Errorf("opened %d sessions during the backoff", ss.opened)
	}
	clk.Set(clk.Now().Add(LeadErrorBackoff))
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if ss.opened != 2 {
		t.Errorf("opened %d sessions after the backoff", ss.opened)
	}
}

func TestAgentFirstLeadsNeedSource(t *testing.T) {
	r := &Runner{Campaign: leadCampaign(), Records: newMemRecords(1), Reserver: &fakeReserver{}, Sessions: &fakeSessions{}}
	if err := r.Step(ctxT(t)); !errors.Is(err, ErrNoLeads) {
		t.Fatalf("got %v", err)
	}
}

func TestAgentFirstLeadBlocked(t *testing.T) {
	s := newFakeSession(func(r PlaceRequest) (Result, error) { return Result{Status: "NOANSWER"}, nil })
	leads := &fakeLeads{numbers: []string{"666", "2"}}
	r := &Runner{Campaign: leadCampaign(), Records: newMemRecords(1), Reserver: &fakeReserver{}, Sessions: &fakeSessions{s: s}, Leads: leads,
		Clock: clockAt(time.Unix(1e9, 0)),
		Screen: func(_ context.Context, _ int64, n string) (string, error) {
			if n == "666" {
				return "DNC", nil
			}
			return "", nil
		}}
	if err := r.Step(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	r.Wait()
	if len(leads.logs) != 2 || leads.logs[0]["DialCallStatus"] != "failed" || leads.logs[0]["Legs[0][CauseCode]"] != "CALL_REJECTED" ||
		leads.logs[1]["DialCallStatus"] != "no-answer" {
		t.Errorf("logs %v", leads.logs)
	}
	if p := r.Progress(); p.Dialed != 1 {
		t.Errorf("dialed %d", p.Dialed)
	}
}
