package acdstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// startAttempt records an open attempt of the account.
func startAttempt(t *testing.T, st *store.Store, acct int64) store.Attempt {
	t.Helper()
	a, err := st.StartAttempt(context.Background(), store.AttemptStart{AccountID: acct, Direction: store.DirectionInbound,
		CLI: "+4930555000", DNIS: "+4940111222", ChannelID: uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestJournalRecordings(t *testing.T) { forEachDriver(t, testJournalRecordings) }

// testJournalRecordings: the ACD's recordings land in the recordings index
// of their attempt under their record_queue_/record_agent_ names; rows that
// cannot be indexed are dropped without holding the others up.
func testJournalRecordings(t *testing.T, st *store.Store) {
	ctx := context.Background()
	acct, err := st.CreateAccount(ctx, "rec")
	if err != nil {
		t.Fatal(err)
	}
	att := startAttempt(t, st, acct.ID)
	start := time.Date(2026, 11, 21, 9, 0, 0, 123e6, time.UTC)
	qname := flows.QueueRecordingName(acct.ID, 7, "+4930555000", "+4940111222", 10, start)
	aname := flows.AgentRecordingName(acct.ID, 3, "+4930555000", "+4940111222", "q1", start)
	j := NewJournal(st, JournalOptions{FlushEvery: time.Millisecond})
	j.Recording(acd.Recording{AccountID: acct.ID, AttemptID: att.ID, CallID: "chan-1", Kind: acd.RecordingKindQueue,
		Name: qname, Format: "gsm", QueueID: 10, AgentID: 3, StartedAt: start, Duration: 2500 * time.Millisecond})
	j.Recording(acd.Recording{AccountID: acct.ID, AttemptID: uuid.NewString(), Kind: acd.RecordingKindQueue,
		Name: "record_queue_x", Format: "gsm", StartedAt: start}) // no such attempt: dropped
	j.Recording(acd.Recording{AccountID: acct.ID, Kind: acd.RecordingKindAgent, Name: "record_agent_y", Format: "gsm",
		StartedAt: start}) // unrecorded call: dropped at once
	j.Recording(acd.Recording{AccountID: acct.ID, AttemptID: att.ID, CallID: "chan-1", Kind: acd.RecordingKindAgent,
		Name: aname, Format: "gsm", QueueID: 10, AgentID: 3, StartedAt: start, Duration: 2 * time.Second})
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := j.Stats(); s.Written != 2 || s.Dropped != 2 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
	rs, err := st.ListAttemptRecordings(ctx, acct.ID, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 {
		t.Fatalf("recordings %+v", rs)
	}
	want := map[string]struct {
		name string
		ms   int64
	}{store.RecordingQueue: {qname, 2500}, store.RecordingAgent: {aname, 2000}}
	for _, r := range rs {
		w := want[r.Kind]
		if r.Name != w.name || r.FileName != w.name+".gsm" || r.Format != "gsm" || r.DurationMS != w.ms ||
			!r.StartedAt.Equal(start) || r.CallID != att.CallID || r.AttemptID != att.ID {
			t.Fatalf("recording %+v, want name %s duration %dms", r, w.name, w.ms)
		}
		delete(want, r.Kind)
	}
	if len(want) != 0 {
		t.Fatalf("missing kinds %v", want)
	}
}

// recFakeWriter is a fakeWriter that also indexes recordings.
type recFakeWriter struct {
	fakeWriter
	add func(ctx context.Context, r store.Recording) error
}

func (f *recFakeWriter) AddRecording(ctx context.Context, r store.Recording) (store.Recording, error) {
	return r, f.add(ctx, r)
}

// TestJournalRecordingRetries: a transient failure is retried from the
// row that failed (no row twice, none lost, order kept); a writer without
// AddRecording drops recordings.
func TestJournalRecordingRetries(t *testing.T) {
	var mu sync.Mutex
	var got []string
	fails := map[string]int{"r3": 2}
	w := &recFakeWriter{add: func(_ context.Context, r store.Recording) error {
		mu.Lock()
		defer mu.Unlock()
		if fails[r.Name] > 0 {
			fails[r.Name]--
			return errors.New("connection reset")
		}
		if r.Name == "bad" {
			return fmt.Errorf("name: %w", store.ErrInvalid)
		}
		got = append(got, r.Name)
		return nil
	}}
	j := NewJournal(w, JournalOptions{FlushEvery: time.Hour, BatchSize: 1000, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	for _, n := range []string{"r1", "r2", "bad", "r3", "r4"} {
		j.Recording(acd.Recording{AccountID: 1, AttemptID: "a", Kind: acd.RecordingKindQueue, Name: n, Format: "gsm"})
	}
	if s := j.Stats(); s.Pending != 5 {
		t.Fatalf("buffered %+v", s)
	}
	if err := j.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := j.Stats(); s.Written != 4 || s.Dropped != 1 || fmt.Sprint(got) != "[r1 r2 r3 r4]" {
		t.Fatalf("stats %+v written %v", s, got)
	}

	plain := NewJournal(&fakeWriter{}, JournalOptions{})
	plain.Recording(acd.Recording{AccountID: 1, AttemptID: "a", Kind: acd.RecordingKindQueue, Name: "r", Format: "gsm"})
	if err := plain.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := plain.Stats(); s.Dropped != 1 || s.Written != 0 {
		t.Fatalf("writer without AddRecording: %+v", s)
	}
}

// storeRecorder writes the call manager's attempts to the store (as the
// daemon's recorder does).
type storeRecorder struct{ s *store.Store }

func (r storeRecorder) AttemptStarted(ctx context.Context, a ari.Attempt) error {
	_, err := r.s.StartAttempt(ctx, store.AttemptStart{AccountID: a.AccountID, CallID: a.CallID, AttemptID: a.AttemptID,
		Direction: store.DirectionOutbound, CLI: a.CLI, DNIS: a.DNIS, ChannelID: a.ChannelID, AsteriskNode: a.Node, StartedAt: a.StartedAt})
	return err
}

func (r storeRecorder) AttemptFinished(ctx context.Context, id string, e ari.AttemptEnd) error {
	status := e.Status
	if status == "" {
		status = ari.StatusFailed
	}
	_, err := r.s.FinishAttempt(ctx, id, store.AttemptEnd{EndedAt: e.EndedAt, Status: status, HangupCause: e.HangupCause,
		HangupCauseText: e.CauseText, RemoteHangup: e.RemoteHangup, FinishReason: e.FinishReason})
	return err
}

func (r storeRecorder) OpenAttempts(ctx context.Context, node string) ([]ari.OpenAttempt, error) {
	as, err := r.s.ListOpenAttempts(ctx, node)
	if err != nil {
		return nil, err
	}
	out := make([]ari.OpenAttempt, len(as))
	for i, a := range as {
		out[i] = ari.OpenAttempt{AttemptID: a.ID, ChannelID: a.ChannelID}
	}
	return out, nil
}

// TestQueueRecordingIndexed: on the real Asterisk, an answered call of a
// recording queue (and a recording agent) yields recordings-index rows of
// the customer's attempt with the record_queue_/record_agent_ names, and the
// files exist.
func TestQueueRecordingIndexed(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, options(t, store.DriverSQLite))
	acct, err := st.CreateAccount(ctx, "acd-rec")
	if err != nil {
		t.Fatal(err)
	}
	m := aritest.StartManager(t, storeRecorder{st}, aritest.Options{Prefix: "syacdrec"})
	j := NewJournal(st, JournalOptions{FlushEvery: 10 * time.Millisecond, Logger: aritest.Logger(t)})
	a := acd.New(acd.Options{Manager: m, Journal: j, Trunk: "Local/%s@agents-sim", Logger: aritest.Logger(t),
		OnBridged: func(callID string, _ []string, _, _ time.Time) {
			time.AfterFunc(1500*time.Millisecond, func() { _ = m.Client().Hangup(context.Background(), callID, "") })
		}})
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	closed := false
	closeAll := func() {
		if !closed {
			closed = true
			a.Close()
			if err := j.Close(ctx); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(closeAll)
	if err := a.PutAgent(acdconfig.Agent{ID: 3, AccountID: acct.ID, Name: "rec", LoginType: acdconfig.LoginMobile, Number: "1000003", Record: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.PutQueue(acdconfig.Queue{ID: 10, AccountID: acct.ID, Name: "sales", Members: []int64{3}, Record: true}); err != nil {
		t.Fatal(err)
	}
	if err := a.Login(ctx, acct.ID, 3); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		res flows.QueueResult
		err error
	}
	ch := make(chan outcome, 1)
	attemptID := uuid.NewString()
	_, err = m.Originate(ctx, ari.OriginateParams{
		Endpoint: "Local/answer-silent@customers", CallerID: "+4930555000",
		Attempt: &ari.Attempt{AttemptID: attemptID, AccountID: acct.ID, CLI: "+4930555000", DNIS: "+4940111222"},
		Handler: func(ctx context.Context, c *ari.Call) error {
			res, err := a.Enqueue(ctx, c, flows.QueueRequest{AccountID: acct.ID, FlowID: 7, Queue: "sales", WidgetID: "q1",
				CLI: "+4930555000", DNIS: "+4940111222"})
			ch <- outcome{res, err}
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var o outcome
	select {
	case o = <-ch:
	case <-time.After(30 * time.Second):
		t.Fatal("no queue outcome")
	}
	if o.res.Status != acd.QueueAnswer {
		t.Fatalf("queue outcome %+v %v", o.res, o.err)
	}
	qn := strings.TrimPrefix(o.res.CallVars["queue.recordingUri"], "recording:")
	an := strings.TrimPrefix(o.res.CallVars["agent.recordingUri"], "recording:")
	prefixQ := fmt.Sprintf("record_queue_%d_7_+4930555000_+4940111222_10_", acct.ID)
	prefixA := fmt.Sprintf("record_agent_%d_3_+4930555000_+4940111222_q1_", acct.ID)
	if !strings.HasPrefix(qn, prefixQ) || !strings.HasPrefix(an, prefixA) {
		t.Fatalf("recording names %q %q", qn, an)
	}
	closeAll() // flushes the ACD and the journal
	rs, err := st.ListAttemptRecordings(ctx, acct.ID, attemptID)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]store.Recording{}
	for _, r := range rs {
		byKind[r.Kind] = r
	}
	q, ag := byKind[store.RecordingQueue], byKind[store.RecordingAgent]
	if len(rs) != 2 || q.Name != qn || q.FileName != qn+".gsm" || ag.Name != an || ag.FileName != an+".gsm" {
		t.Fatalf("recordings index %+v, want %s and %s", rs, qn, an)
	}
	for _, r := range rs {
		if r.Format != "gsm" || r.DurationMS < 1000 || r.DurationMS > 10000 {
			t.Fatalf("recording %+v: want gsm, about 1.5 s", r)
		}
		if !strings.HasSuffix(r.Name, fmt.Sprint(r.StartedAt.UnixMilli())) {
			t.Fatalf("recording %s started at %v (ms %d): the name's start differs", r.Name, r.StartedAt, r.StartedAt.UnixMilli())
		}
	}
	// The files exist in Asterisk under those names.
	client := m.Client()
	deadline := time.Now().Add(5 * time.Second)
	for _, name := range []string{qn, an} {
		for {
			recs, err := client.StoredRecordings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, r := range recs {
				found = found || (r.Name == name && r.Format == "gsm")
			}
			if found {
				_ = client.DeleteStoredRecording(ctx, name)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("recording %s not stored in Asterisk", name)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}
