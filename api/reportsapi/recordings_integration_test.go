package reportsapi

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// storeRecorder records the Manager's attempts in the store (as the
// daemon's recorder does).
type storeRecorder struct{ s *store.Store }

func (r storeRecorder) AttemptStarted(ctx context.Context, a ari.Attempt) error {
	dir := store.DirectionOutbound
	if a.Inbound {
		dir = store.DirectionInbound
	}
	_, err := r.s.StartAttempt(ctx, store.AttemptStart{AccountID: a.AccountID, CallID: a.CallID, AttemptID: a.AttemptID, Direction: dir,
		FlowID: a.FlowID, RequestID: a.RequestID, CLI: a.CLI, DNIS: a.DNIS, ChannelID: a.ChannelID, AsteriskNode: a.Node, StartedAt: a.StartedAt})
	return err
}

func (r storeRecorder) AttemptFinished(ctx context.Context, id string, e ari.AttemptEnd) error {
	st := e.Status
	if st == "" {
		st = ari.StatusFailed
	}
	_, err := r.s.FinishAttempt(ctx, id, store.AttemptEnd{EndedAt: e.EndedAt, Status: st, FinishReason: e.FinishReason})
	return err
}

func (r storeRecorder) OpenAttempts(context.Context, string) ([]ari.OpenAttempt, error) {
	return nil, nil
}

// TestZipOfRealAsteriskRecordings records two calls on the real Asterisk
// (ari.Call.Record on a Local channel, stored by Asterisk as ARI stored
// recordings under the call_/record_... file names), then downloads one
// recording and the zip of a filter through the API with the ARI source,
// checks the other account sees neither, and purges them through ARI after
// 30 days.
func TestZipOfRealAsteriskRecordings(t *testing.T) {
	e := newEnv(t)
	m := aritest.StartManager(t, storeRecorder{e.st}, aritest.Options{Prefix: "syreports"})
	info := asterisktest.Require(t)
	ariSrc := recordings.ARISource{Client: recordings.ARIHTTP{URL: info.URL, User: info.User, Password: info.Password}}
	ctx := context.Background()
	fid := e.flow.ID
	var recs []store.Recording
	for i, dnis := range []string{"+4915100000101", "+4915100000102"} {
		res := make(chan error, 1)
		var attemptID string
		var rr ari.RecordResult
		start := time.Now()
		name := flows.RecordRecordingName(e.fx.Account, fid, "+4930111", dnis, start)
		c, err := m.Originate(ctx, ari.OriginateParams{
			Endpoint: "Local/answer-silent@customers", Timeout: 10 * time.Second,
			Attempt: &ari.Attempt{AccountID: e.fx.Account, FlowID: &fid, CLI: "+4930111", DNIS: dnis},
			Handler: func(ctx context.Context, c *ari.Call) error {
				var err error
				defer func() { res <- err }()
				if err = c.Answer(ctx); err != nil {
					return err
				}
				rr, err = c.Record(ctx, ari.RecordOptions{Name: name, Format: "wav", MaxDuration: time.Second, IfExists: "overwrite"})
				c.SetStatus("IVR_FINISHED")
				return err
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		attemptID = c.AttemptID
		select {
		case err := <-res:
			if err != nil {
				t.Fatalf("call %d: %v", i, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the call did not finish")
		}
		<-c.Done()
		if rr.Name != name || rr.State != "done" {
			t.Fatalf("recording %+v", rr)
		}
		t.Cleanup(func() { _ = ariSrc.Delete(context.Background(), name, "wav") })
		// The attempt is written when the call is done.
		deadline := time.Now().Add(10 * time.Second)
		var r store.Recording
		for {
			r, err = e.st.AddRecording(ctx, store.Recording{AccountID: e.fx.Account, AttemptID: attemptID, Kind: store.RecordingRecord,
				Name: rr.Name, Format: "wav", FileName: rr.Name + ".wav", StartedAt: start})
			if err == nil || !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}

	// The API, reading recordings over ARI.
	e.src.Source = ariSrc
	e.now = time.Now()
	e2 := e
	code, b, h := e2.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(recs[0].ID, 10), "")
	if code != 200 || !bytes.HasPrefix(b, []byte("RIFF")) || h.Get("Content-Type") != "audio/wav" {
		t.Fatalf("download: %d %d bytes %.300s", code, len(b), b)
	}
	files := e2.zip(e.fx.Key, "flow_id="+strconv.FormatInt(fid, 10)+"&from="+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339))
	if len(files) != 2 {
		t.Fatalf("zip has %d files: %v", len(files), keys(files))
	}
	for _, r := range recs {
		f, ok := files[r.FileName]
		if !ok || len(f) < 44 || f[:4] != "RIFF" || f[8:12] != "WAVE" {
			t.Errorf("zip entry %s: %d bytes", r.FileName, len(f))
		}
	}
	// One call's recordings only.
	a, _ := e.st.GetAttempt(ctx, e.fx.Account, recs[1].AttemptID)
	if files := e2.zip(e.fx.Key, "call_id="+a.CallID); len(files) != 1 || files[recs[1].FileName] == "" {
		t.Errorf("zip of one call: %v", keys(files))
	}
	// The other account: 404 for the file, nothing in its zip.
	if code, _, _ := e2.do(e.fx.OtherKey, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(recs[0].ID, 10), ""); code != 404 {
		t.Errorf("other account downloads: %d", code)
	}
	if files := e2.zip(e.fx.OtherKey, "flow_id="+strconv.FormatInt(fid, 10)); len(files) != 0 {
		t.Errorf("other account's zip: %v", keys(files))
	}
	// Retention: 31 days later the purge deletes them from Asterisk.
	p := recordings.Purger{Store: e.st, Source: ariSrc, Now: func() time.Time { return time.Now().Add(31 * 24 * time.Hour) }}
	if n, err := p.PurgeOnce(ctx); err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	for _, r := range recs {
		if _, err := ariSrc.Open(ctx, r.Name, r.Format); !errors.Is(err, recordings.ErrGone) {
			t.Errorf("%s still stored after the purge: %v", r.Name, err)
		}
	}
	if code, _, _ := e2.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(recs[0].ID, 10), ""); code != 410 {
		t.Errorf("purged recording: %d", code)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
