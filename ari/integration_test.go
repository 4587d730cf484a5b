package ari_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

func newMemRecorder() *aritest.Recorder { return aritest.NewRecorder() }

// startManager connects a Manager to the test Asterisk under a unique
// application name.
func startManager(t testing.TB, rec ari.Recorder, route func(context.Context, *ariv6.StasisStart) ari.Route) (*ari.Manager, string) {
	t.Helper()
	m := aritest.StartManager(t, rec, aritest.Options{Route: route})
	return m, m.Client().App()
}

func waitIdle(t testing.TB, m *ari.Manager, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for m.Live() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d calls still live after %v", m.Live(), d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func customer(ext string) string { return "Local/" + ext + "@customers" }

// TestCallPrimitives drives one answered call through gather, play,
// record, variables and hangup on the real Asterisk.
func TestCallPrimitives(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	type result struct {
		gather ari.GatherResult
		play   ari.PlayResult
		record ari.RecordResult
		v      string
		err    error
	}
	res := make(chan result, 1)
	ctx := context.Background()
	c, err := m.Originate(ctx, ari.OriginateParams{
		Endpoint: customer("answer-dtmf-123"), Timeout: 10 * time.Second,
		Attempt: &ari.Attempt{AccountID: 1},
		Handler: func(ctx context.Context, c *ari.Call) error {
			var r result
			defer func() { res <- r }()
			if r.err = c.Answer(ctx); r.err != nil {
				return r.err
			}
			r.gather, r.err = c.Gather(ctx, ari.GatherOptions{Min: 3, Max: 3, FirstDigit: 8 * time.Second, InterDigit: 2 * time.Second})
			if r.err != nil {
				return r.err
			}
			if r.play, r.err = c.Play(ctx, ari.PlayOptions{}, "sound:beep"); r.err != nil {
				return r.err
			}
			if r.err = c.SetVar(ctx, "SY_TEST", "hello"); r.err != nil {
				return r.err
			}
			if r.v, r.err = c.GetVar(ctx, "SY_TEST"); r.err != nil {
				return r.err
			}
			r.record, r.err = c.Record(ctx, ari.RecordOptions{Format: "wav", MaxDuration: 2 * time.Second, IfExists: "overwrite"})
			c.SetStatus("IVR_FINISHED")
			return r.err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var r result
	select {
	case r = <-res:
	case <-time.After(30 * time.Second):
		t.Fatal("handler did not finish")
	}
	if r.err != nil {
		t.Fatalf("handler: %v", r.err)
	}
	if r.gather.Digits != "123" || r.gather.Reason != ari.GatherMax || !r.gather.Valid {
		t.Errorf("gather = %+v, want 123 by max digits", r.gather)
	}
	if r.play.State != "done" && r.play.State != "completed" {
		t.Errorf("play state = %q", r.play.State)
	}
	if r.v != "hello" {
		t.Errorf("variable = %q", r.v)
	}
	// A Local-channel customer sends no audio frames, so Asterisk reports
	// duration 0; the stored file is the proof.
	if r.record.State != "done" {
		t.Errorf("record = %+v", r.record)
	}
	stored, err := m.Client().StoredRecordings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range stored {
		found = found || s.Name == r.record.Name
	}
	if !found {
		t.Errorf("recording %s not among stored recordings", r.record.Name)
	}
	_ = m.Client().DeleteStoredRecording(ctx, r.record.Name)
	waitIdle(t, m, 10*time.Second)
	end, ok := rec.End(c.AttemptID)
	if !ok {
		t.Fatal("attempt not finished")
	}
	if end.Status != "IVR_FINISHED" || end.DTMF != "123" || end.AnsweredAt.IsZero() || end.RemoteHangup {
		t.Errorf("end = %+v", end)
	}
}

// TestOutcomes checks the status and cause recorded for each kind of
// customer the test dialplan simulates.
func TestOutcomes(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	tests := []struct {
		ext        string
		timeout    time.Duration
		wantStatus string
		remote     bool
	}{
		{"busy", 10 * time.Second, ari.StatusBusy, true},
		{"congestion", 10 * time.Second, ari.StatusCongestion, true},
		{"noanswer", 2 * time.Second, ari.StatusNoAnswer, true},
		{"answer-hangup-1", 10 * time.Second, ari.StatusAnswered, true},
	}
	for _, tt := range tests {
		t.Run(tt.ext, func(t *testing.T) {
			c, err := m.Originate(context.Background(), ari.OriginateParams{
				Endpoint: customer(tt.ext), Timeout: tt.timeout, Attempt: &ari.Attempt{AccountID: 1},
				Handler: func(ctx context.Context, c *ari.Call) error { return c.WaitHangup(ctx, 20*time.Second) },
			})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				if end, ok := rec.End(c.AttemptID); ok {
					if end.Status != tt.wantStatus || end.RemoteHangup != tt.remote {
						t.Errorf("end = %+v, want status %s remote %v", end, tt.wantStatus, tt.remote)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatal("no record")
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// TestInboundAndBridge sends a call into the inbound context (as a trunk
// would), answers it in Stasis, dials a second leg, bridges both and checks
// audio path set-up events.
func TestInboundAndBridge(t *testing.T) {
	rec := newMemRecorder()
	type result struct {
		did string
		err error
	}
	res := make(chan result, 1)
	route := func(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
		return ari.Route{
			Attempt: &ari.Attempt{AccountID: 7, DNIS: ev.Args[len(ev.Args)-1]},
			Handler: func(ctx context.Context, c *ari.Call) error {
				r := result{did: c.Args[len(c.Args)-1]}
				defer func() { res <- r }()
				if r.err = c.Answer(ctx); r.err != nil {
					return r.err
				}
				br, err := c.CreateBridge(ctx, "mixing")
				if err != nil {
					r.err = err
					return err
				}
				leg, err := c.Dial(ctx, ari.LegRequest{Endpoint: customer("answer-silent"), Timeout: 10 * time.Second})
				if err != nil {
					r.err = err
					return err
				}
				if err := br.Add(ctx, c.ID, leg.ID); err != nil {
					r.err = err
					return err
				}
				if err := c.Wait(ctx, 500*time.Millisecond); err != nil {
					r.err = err
					return err
				}
				r.err = leg.Hangup(ctx)
				c.SetStatus("IN_ANSWER")
				return r.err
			},
		}
	}
	m, _ := startManager(t, rec, route)
	// The caller: a Local channel whose far half runs the inbound context,
	// which enters Stasis(<app>,inbound,<DID>).
	_, err := m.Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/+4930123456@from-trunk", Context: "customers", Extension: "answer-silent", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": m.Client().App()},
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-res:
		if r.err != nil {
			t.Fatalf("handler: %v", r.err)
		}
		if r.did != "+4930123456" {
			t.Errorf("DID = %q", r.did)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("inbound call never reached the handler")
	}
	waitIdle(t, m, 10*time.Second)
	if open := rec.Open(); len(open) > 0 {
		t.Fatalf("open records: %v", open)
	}
}

// loadRun originates n calls with at most conc live at once to a customer
// that answers, holds for hold seconds and hangs up. Each handler counts
// the StasisStart and StasisEnd that reached its mailbox. mid, if set, runs
// once half the calls have been originated.
type loadResult struct {
	originated, started, ended, failed int
	peak                               int
	elapsed                            time.Duration
}

func loadRun(t testing.TB, m *ari.Manager, n, conc int, ext string, mid func()) loadResult {
	t.Helper()
	var (
		mu  sync.Mutex
		res loadResult
		wg  sync.WaitGroup
	)
	sem := make(chan struct{}, conc)
	start := time.Now()
	stopPeak := make(chan struct{})
	go func() {
		tk := time.NewTicker(20 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stopPeak:
				return
			case <-tk.C:
				mu.Lock()
				res.peak = max(res.peak, m.Live())
				mu.Unlock()
			}
		}
	}()
	for i := range n {
		if i == n/2 && mid != nil {
			mid()
		}
		sem <- struct{}{}
		wg.Add(1)
		var c *ari.Call
		var err error
		for try := 0; ; try++ {
			c, err = m.Originate(context.Background(), ari.OriginateParams{
				Endpoint: customer(ext), Timeout: 30 * time.Second, Attempt: &ari.Attempt{AccountID: 1},
				Handler: func(ctx context.Context, c *ari.Call) error {
					for {
						ev, err := c.Next(ctx, 60*time.Second)
						if err != nil {
							return err
						}
						if _, ok := ev.(*ariv6.StasisEnd); ok {
							mu.Lock()
							res.ended++
							mu.Unlock()
							return nil
						}
						if _, ok := ev.(*ari.ChannelGone); ok {
							return nil // missed while disconnected: accounted by reconciliation
						}
					}
				},
			})
			if errors.Is(err, ari.ErrNotConnected) && try < 200 {
				time.Sleep(50 * time.Millisecond) // a dialer waits for the link too
				continue
			}
			break
		}
		if errors.Is(err, ari.ErrUnavailable) {
			// Not placed (an originate lost with the link that Asterisk
			// never received): its record is discarded and a dialer
			// dials it again; the caller counts it from the recorder.
			<-sem
			wg.Done()
			continue
		}
		if err != nil {
			mu.Lock()
			res.failed++
			mu.Unlock()
			t.Errorf("originate %d: %v", i, err)
			<-sem
			wg.Done()
			continue
		}
		res.originated++
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			<-c.Done()
			if c.Started() {
				mu.Lock()
				res.started++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopPeak)
	res.elapsed = time.Since(start)
	return res
}

// TestLoadNoEventLost: 2,000 calls at 500 concurrent through the real
// Asterisk; every call's StasisStart and StasisEnd must reach its mailbox.
func TestLoadNoEventLost(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	const n, conc = 2000, 500
	r := loadRun(t, m, n, conc, "answer-hangup-4", nil)
	t.Logf("calls=%d started=%d ended=%d peak=%d elapsed=%v", r.originated, r.started, r.ended, r.peak, r.elapsed)
	if r.originated != n || r.started != n || r.ended != n {
		t.Fatalf("lost events: originated %d, StasisStart %d, StasisEnd %d of %d", r.originated, r.started, r.ended, n)
	}
	if r.peak < conc {
		t.Errorf("peak concurrency %d < %d", r.peak, conc)
	}
	waitIdle(t, m, 30*time.Second)
	if open := rec.Open(); len(open) > 0 {
		t.Fatalf("%d records left open", len(open))
	}
	if got := len(rec.Finished()); got != n {
		t.Fatalf("%d records finished, want %d", got, n)
	}
}

// TestWebsocketCutMidLoad cuts the link to Asterisk twice for 3 s (longer
// than the calls' 2 s hold) while 600 calls run, and sends inbound calls
// during each outage. Afterwards every call is accounted for: finished by
// its own events or by reconciliation, inbound ones re-attached, no record
// open and none finished twice.
func TestWebsocketCutMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	info := asterisktest.Require(t)
	proxy := asterisktest.StartCutProxy(t, info)
	rec := newMemRecorder()
	var inboundMu sync.Mutex
	inbound := map[string]bool{}
	route := func(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
		inboundMu.Lock()
		inbound[ev.Args[len(ev.Args)-1]] = true
		inboundMu.Unlock()
		return ari.Route{Attempt: &ari.Attempt{AccountID: 2}, Handler: func(ctx context.Context, c *ari.Call) error {
			if err := c.Answer(ctx); err != nil {
				return err
			}
			return c.Wait(ctx, 500*time.Millisecond)
		}}
	}
	m := aritest.StartManager(t, rec, aritest.Options{URL: proxy.URL, Route: route})
	// Inbound callers reach Asterisk directly (the trunk side is not cut).
	direct, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: "unused"})
	if err != nil {
		t.Fatal(err)
	}
	const n, conc = 600, 300
	var dids []string
	outageDone := make(chan struct{})
	cut := func() {
		go func() {
			defer close(outageDone)
			for round := range 2 {
				proxy.Cut(3 * time.Second)
				for k := range 3 {
					did := fmt.Sprintf("+49301%d%d", round, k)
					dids = append(dids, did)
					_, err := direct.Originate(context.Background(), ari.OriginateRequest{
						Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-silent", Priority: 1,
						Variables: map[string]string{"SWITCHYARD_APP": m.Client().App()},
					})
					if err != nil {
						t.Errorf("inbound originate: %v", err)
					}
				}
				time.Sleep(4 * time.Second)
			}
		}()
	}
	r := loadRun(t, m, n, conc, "answer-hangup-2", cut)
	<-outageDone
	st := m.Stream().State()
	t.Logf("calls=%d answered=%d ended-by-event=%d peak=%d elapsed=%v reconnects=%d", r.originated, r.started, r.ended, r.peak, r.elapsed, st.Reconnects)
	if st.Reconnects < 2 {
		t.Fatalf("reconnects = %d, want ≥ 2", st.Reconnects)
	}
	if r.ended == r.originated {
		t.Errorf("no call ended during an outage: the reconciliation path was not exercised")
	}
	waitIdle(t, m, 60*time.Second)
	// An originate lost with the link whose channel never appeared was not
	// placed: its record is discarded (the dialer dials it again), not left
	// open and not FAILED.
	t.Logf("discarded (not placed): %d", len(rec.Discarded()))
	if open := rec.Open(); len(open) > 0 {
		t.Fatalf("%d records left open", len(open))
	}
	if n := rec.Twice(); n > 0 {
		t.Errorf("%d attempts finished twice", n)
	}
	reconciled := 0
	finished := rec.Finished()
	for _, e := range finished {
		if strings.HasPrefix(e.FinishReason, "reconciled") {
			reconciled++
		}
	}
	got := len(finished)
	t.Logf("records finished=%d, by reconciliation=%d", got, reconciled)
	// Every outbound attempt is either finished or was not placed (its
	// record discarded: a dialer dials it again).
	dropped := len(rec.Discarded())
	if got != n-dropped+len(dids) {
		t.Errorf("finished %d records, want %d outbound (%d not placed) + %d inbound", got, n-dropped, dropped, len(dids))
	}
	inboundMu.Lock()
	defer inboundMu.Unlock()
	for _, d := range dids {
		if !inbound[d] {
			t.Errorf("inbound call to %s that arrived during the outage was never attached", d)
		}
	}
}

// TestSweepFinishesStaleRecords: a record left open (its write at the end
// failed, or a crashed process left it) whose channel is gone is finished by
// the periodic sweep, without any reconnect.
func TestSweepFinishesStaleRecords(t *testing.T) {
	rec := newMemRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{SweepEvery: 200 * time.Millisecond})
	app := m.Client().App()
	ctx := context.Background()
	// Opened after the connect-time reconciliation: only the sweep can
	// find it.
	stale := uuid.NewString()
	_ = rec.AttemptStarted(ctx, ari.Attempt{AttemptID: stale, ChannelID: uuid.NewString(), Node: app, AccountID: 1})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if e, ok := rec.End(stale); ok {
			if !strings.HasPrefix(e.FinishReason, "reconciled") || e.Status != ari.StatusFailed {
				t.Errorf("end = %+v", e)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("stale record still open")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
