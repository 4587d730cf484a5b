package ariplacer

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/store"
)

type recIndex struct {
	mu   sync.Mutex
	recs []AgentRecording
}

func (x *recIndex) AgentRecording(_ context.Context, r AgentRecording) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.recs = append(x.recs, r)
	return nil
}

// TestAgentFirstRecordedCallLogOnAsterisk: an agent whose calls are recorded
// takes an agent-first session; the customer's conversation (answer-hangup-2
// talks 2 s) is recorded from the bridge as an agent recording with its
// record_agent_... file name, indexed with the customer's attempt, stored on
// Asterisk, and the call log names it: RecordingUrl (the recording's download
// URL) and RecordingAvailableBy. A busy customer's call log has neither.
func TestAgentFirstRecordedCallLogOnAsterisk(t *testing.T) {
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, acc := acmeStore(t, ctx)
	dc := leadsCampaign(acc.ID)
	dc.ID, dc.Status = 0, dialer.StatusCreated
	sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
	if err != nil {
		t.Fatal(err)
	}
	if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
		t.Fatal(err)
	}
	dc = sc.Campaign
	ls := newLeadServer(t, number("answer-hangup-2"), number("busy"))
	agents := &oneAgent{agent: dialer.Reservation{AgentID: "7", Endpoint: "Local/1000001@agents-sim", Number: "1000001", Record: true}}
	idx := &recIndex{}
	r := &dialer.Runner{
		Campaign: dc, Records: &dialerstore.Records{Store: s, Campaign: dc, Owner: "node-1", NodePrefix: "node-"},
		Reserver: agents, Sessions: &Sessions{Manager: m, Recordings: idx}, Leads: ls.source(),
		RecordingURL: func(name string) string { return "https://sy.example/recordings/" + name + "?expires=1&signature=s" },
		Screen:       dialerstore.Screen(s), Status: dialerstore.Status(s, acc.ID, dc.ID), Finished: dialerstore.Finished(s, acc.ID, dc.ID),
		Interval: 50 * time.Millisecond,
	}
	if err := r.Run(ctx); err != nil {
		t.Fatal(err)
	}
	_, calls := ls.got()
	if len(calls) != 2 {
		t.Fatalf("%d call logs, want 2", len(calls))
	}
	idx.mu.Lock()
	recs := append([]AgentRecording(nil), idx.recs...)
	idx.mu.Unlock()
	if len(recs) != 1 {
		t.Fatalf("indexed recordings %+v, want 1 (the answered customer's)", recs)
	}
	ar := recs[0]
	prefix := "record_agent_" + strconv.FormatInt(acc.ID, 10) + "_7_07314853246_answer-hangup-2_" + strconv.FormatInt(dc.ID, 10) + "_"
	if !strings.HasPrefix(ar.Name, prefix) || ar.Format != "gsm" || ar.AgentID != 7 || ar.AccountID != acc.ID ||
		ar.Duration < time.Second || ar.Duration > 5*time.Second {
		t.Errorf("recording %+v (want name %s…)", ar, prefix)
	}
	if a, ok := rec.Started(ar.AttemptID); !ok || a.DNIS != "answer-hangup-2" {
		t.Errorf("recording attempt %s is not the customer's", ar.AttemptID)
	}
	c0, c1 := calls[0], calls[1]
	if c0.Get("RecordingUrl") != "https://sy.example/recordings/"+ar.Name+"?expires=1&signature=s" || c0.Get("RecordingAvailableBy") == "" {
		t.Errorf("answered call log %v", c0)
	}
	if _, err := time.Parse("Mon, 02 Jan 2006 15:04:05", c0.Get("RecordingAvailableBy")); err != nil {
		t.Errorf("RecordingAvailableBy %q: %v", c0.Get("RecordingAvailableBy"), err)
	}
	if c1.Has("RecordingUrl") || c1.Has("RecordingAvailableBy") {
		t.Errorf("busy call log %v", c1)
	}
	stored, err := m.Client().StoredRecordings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, sr := range stored {
		if sr.Name == ar.Name {
			found = true
		}
	}
	if !found {
		t.Errorf("recording %s not stored on Asterisk", ar.Name)
	}
	_ = m.Client().DeleteStoredRecording(context.Background(), ar.Name)
}
