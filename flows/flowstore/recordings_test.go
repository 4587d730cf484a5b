package flowstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

type queueFunc func(ctx context.Context, call *ari.Call, req flows.QueueRequest) (flows.QueueResult, error)

func (f queueFunc) Enqueue(ctx context.Context, call *ari.Call, req flows.QueueRequest) (flows.QueueResult, error) {
	return f(ctx, call, req)
}

// TestRecordingsAndReportFieldsReachTheStore: an inbound call (real
// Asterisk, store on SQLite) runs a flow that records the whole call and has
// a record widget, goes through a queue and learns an SMS number and an
// email: the recordings are indexed on the attempt under the call_/record_
// names Asterisk stored, and the call report shows the queue, SMS number and
// email.
func TestRecordingsAndReportFieldsReachTheStore(t *testing.T) {
	info := asterisktest.Require(t)
	st := openStore(t)
	ctx := context.Background()
	acct, _ := st.CreateAccount(ctx, "a")
	doc := `{"format":1,"name":"rec","type":"inbound","start":"q","variables":["email","sms_number"],"settings":{"record_call":true},"nodes":[
	 {"id":"q","type":"queue","params":{"queue":"sales"},"exits":["r","r"]},
	 {"id":"r","type":"record","params":{"max_duration":1,"max_silence":0,"beep":false},"exits":["s","s"]},
	 {"id":"s","type":"set_variable","params":{"assign":[{"name":"sms_number","value":"+4915100000001"},{"name":"email","value":"ops@example.com"}]},"exits":["bye"]},
	 {"id":"bye","type":"hangup"}]}`
	f, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "rec", Type: flows.TypeInbound, Draft: json.RawMessage(doc)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, acct.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	did := "+4930" + fmt.Sprint(time.Now().UnixNano()%1000000)
	if _, err := st.SetDIDRoute(ctx, acct.ID, did, f.ID); err != nil {
		t.Fatal(err)
	}
	ad := &Adapter{S: st, Features: flows.Features{Queues: true}}
	app := "syfr-" + uuid.NewString()[:8]
	client, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e := &flows.Engine{UserVars: ad, Webhooks: ad, Journeys: ad, Policy: ad.Policy, Recordings: ad, Reports: ad,
		Queue: queueFunc(func(ctx context.Context, c *ari.Call, req flows.QueueRequest) (flows.QueueResult, error) {
			return flows.QueueResult{Line: 1, Status: "QUEUE_TIMEOUT"}, c.Wait(ctx, 300*time.Millisecond)
		})}
	e.Logger = aritest.Logger(t)
	m := ari.NewManager(ari.ManagerConfig{Client: client, Recorder: recorder{st}, Node: app, Route: e.Route(ad), Logger: aritest.Logger(t)})
	e.CallRecorder = &flows.SnoopRecorder{Router: m.Router()}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for !m.Stream().State().Connected {
		if time.Now().After(deadline) {
			t.Fatal("not connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := client.Originate(ctx, ari.OriginateRequest{Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "human", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": app}}); err != nil {
		t.Fatal(err)
	}
	// The journey is saved before the recordings and report fields: wait
	// for the report row to carry the fields.
	var row store.CallReportRow
	deadline = time.Now().Add(60 * time.Second)
	for {
		p, err := st.CallReport(ctx, store.CallReportFilter{AccountID: acct.ID})
		if err == nil && len(p.Rows) == 1 && p.Rows[0].Email != "" {
			row = p.Rows[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no report row with fields: %+v %v", p, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if row.Queue != "sales" || row.SMSNumber != "+4915100000001" || row.Email != "ops@example.com" {
		t.Errorf("report fields queue %q sms %q email %q", row.Queue, row.SMSNumber, row.Email)
	}
	// The filters find it.
	for _, fl := range []store.CallReportFilter{{Queue: "sales"}, {SMS: "+4915100000001"}, {Email: "ops@example.com"}} {
		fl.AccountID = acct.ID
		if p, err := st.CallReport(ctx, fl); err != nil || len(p.Rows) != 1 {
			t.Errorf("filter %+v: %d rows, %v", fl, len(p.Rows), err)
		}
	}
	var recs []store.Recording
	for deadline = time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		recs, err = st.ListAttemptRecordings(ctx, acct.ID, row.AttemptID)
		if err == nil && len(recs) == 2 || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || len(recs) != 2 {
		t.Fatalf("recordings %+v %v", recs, err)
	}
	t.Cleanup(func() {
		for _, r := range recs {
			_ = client.DeleteStoredRecording(context.Background(), r.Name)
		}
	})
	kinds := map[string]store.Recording{}
	for _, r := range recs {
		kinds[r.Kind] = r
	}
	for kind, name := range map[string]func(acct, flow int64, cli, dnis string, at time.Time) string{
		store.RecordingCall: flows.CallRecordingName, store.RecordingRecord: flows.RecordRecordingName,
	} {
		r, ok := kinds[kind]
		if !ok {
			t.Errorf("no %s recording in %+v", kind, recs)
			continue
		}
		want := name(acct.ID, f.ID, row.CLI, row.DNIS, r.StartedAt)
		if r.Name != want || r.FileName != r.Name+".gsm" || r.Format != "gsm" || r.CallID != row.CallID || r.DurationMS < 500 {
			t.Errorf("%s recording %+v (want name %s, call %s)", kind, r, want, row.CallID)
		}
		// Asterisk stored it under that name.
		body, _, err := client.StoredRecordingFile(ctx, r.Name)
		if err != nil {
			t.Errorf("stored %s: %v", r.Name, err)
			continue
		}
		n, _ := io.Copy(io.Discard, body)
		body.Close()
		if n < 800 {
			t.Errorf("stored %s: %d bytes", r.Name, n)
		}
	}
	if !strings.HasPrefix(kinds[store.RecordingCall].Name, "call_") || kinds[store.RecordingCall].DurationMS < kinds[store.RecordingRecord].DurationMS {
		t.Errorf("whole call shorter than its record widget: %+v", recs)
	}
}

// TestAdapterRecordingsAndReportFields: the adapter's mapping to the store
// (no Asterisk): file name, duration, call id; another account's attempt
// and a bad kind are refused.
func TestAdapterRecordingsAndReportFields(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	acct, _ := st.CreateAccount(ctx, "a")
	other, _ := st.CreateAccount(ctx, "b")
	at, err := st.StartAttempt(ctx, store.AttemptStart{AccountID: acct.ID, Direction: store.DirectionInbound, CLI: "+912265014928", DNIS: "+918980833222", ChannelID: "ch-1"})
	if err != nil {
		t.Fatal(err)
	}
	ad := &Adapter{S: st}
	start := time.UnixMilli(1619073131837).UTC()
	name := flows.RecordRecordingName(acct.ID, 99, at.CLI, at.DNIS, start)
	rec := flows.Recording{AccountID: acct.ID, AttemptID: at.ID, CallID: "ch-1", Kind: flows.RecordingRecord, Name: name, Format: "gsm", StartedAt: start, Duration: 2500 * time.Millisecond}
	if err := ad.AddRecording(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rs, err := st.ListAttemptRecordings(ctx, acct.ID, at.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("recordings %+v %v", rs, err)
	}
	got := rs[0]
	if got.FileName != fmt.Sprintf("record_%d_99_+912265014928_+918980833222_1619073131837.gsm", acct.ID) || got.Name != name || got.Kind != store.RecordingRecord ||
		got.DurationMS != 2500 || !got.StartedAt.Equal(start) || got.CallID != at.CallID {
		t.Errorf("stored %+v", got)
	}
	bad := rec
	bad.AccountID = other.ID
	if err := ad.AddRecording(ctx, bad); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account's attempt: %v", err)
	}
	bad = rec
	bad.Kind = "voicemail"
	if err := ad.AddRecording(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad kind: %v", err)
	}
	if err := ad.SetReportFields(ctx, acct.ID, at.ID, flows.ReportFields{Queue: "sales", Email: "ops@example.com"}); err != nil {
		t.Fatal(err)
	}
	if err := ad.SetReportFields(ctx, other.ID, at.ID, flows.ReportFields{Queue: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("other account: %v", err)
	}
	p, err := st.CallReport(ctx, store.CallReportFilter{AccountID: acct.ID, Queue: "sales"})
	if err != nil || len(p.Rows) != 1 || p.Rows[0].Email != "ops@example.com" || p.Rows[0].SMSNumber != "" {
		t.Errorf("report %+v %v", p, err)
	}
}
