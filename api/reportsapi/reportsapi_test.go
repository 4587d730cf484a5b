package reportsapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/api/flowsapi"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

type env struct {
	t        testing.TB
	fx       *apistoretest.Fixture
	st       *store.Store
	spool    string
	now      time.Time
	flow     store.Flow
	req      store.CallListRequest
	attempts map[string]store.Attempt
	// src is the server's recordings source (the spool unless a test
	// swaps it).
	src *swapSource
}

// swapSource lets a test change the recordings source after Register.
type swapSource struct{ recordings.Source }

func newEnv(t testing.TB) *env {
	t.Helper()
	fx := apistoretest.NewFixture(t)
	e := &env{t: t, fx: fx, st: fx.Store, spool: t.TempDir(), attempts: map[string]store.Attempt{}}
	e.now = time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC)
	e.src = &swapSource{recordings.SpoolSource{Dir: e.spool}}
	Register(fx.Server.API(), Deps{Store: fx.Store, Recordings: e.src, Now: func() time.Time { return e.now }})
	flowsapi.Register(fx.Server.API(), flowsapi.Deps{Store: fx.Store})
	ctx := context.Background()
	var err error
	if e.flow, err = e.st.CreateFlow(ctx, fx.Account, store.NewFlow{Name: "IVR", Type: "inbound", Draft: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if e.req, err = e.st.ImportCallList(ctx, store.CallListImport{AccountID: fx.Account, FlowID: "9", FlowName: "List", FlowType: "dialer", Source: store.SourceAPI},
		store.ImportRecords([]store.ImportRecord{{Row: 1, Numbers: []string{"+15550000001"}, Status: store.RecordPending}})); err != nil {
		t.Fatal(err)
	}
	fid := e.flow.ID
	base := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	add := func(name string, acct int64, in store.AttemptStart, minute int, f store.AttemptReportFields) {
		in.AccountID, in.ChannelID, in.StartedAt = acct, "ch-"+name, base.Add(time.Duration(minute)*time.Minute)
		a, err := e.st.StartAttempt(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.FinishAttempt(ctx, a.ID, store.AttemptEnd{Status: "IVR_FINISHED", FinishReason: "hangup", EndedAt: in.StartedAt.Add(30 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		if err := e.st.SetAttemptReportFields(ctx, acct, a.ID, f); err != nil {
			t.Fatal(err)
		}
		if err := e.st.SaveJourney(ctx, acct, a.ID, json.RawMessage(`[{"widget":"`+name+`"}]`)); err != nil {
			t.Fatal(err)
		}
		e.attempts[name] = a
	}
	add("a1", fx.Account, store.AttemptStart{Direction: store.DirectionInbound, FlowID: &fid, CLI: "+4915100000001", DNIS: "+4930111"}, 0, store.AttemptReportFields{Queue: "sales"})
	add("a2", fx.Account, store.AttemptStart{Direction: store.DirectionInbound, FlowID: &fid, CLI: "=HYPERLINK(\"http://x\")", DNIS: "+4930111"}, 60*24, store.AttemptReportFields{SMSNumber: "+4915100000009", Email: "a@example.com"})
	add("a3", fx.Account, store.AttemptStart{Direction: store.DirectionOutbound, CLI: "+4930111", DNIS: "+15550000001", RequestID: e.req.ID}, 60*24*2, store.AttemptReportFields{})
	add("b1", fx.Other, store.AttemptStart{Direction: store.DirectionInbound, CLI: "+4915100000001", DNIS: "+4930111"}, 5, store.AttemptReportFields{Queue: "sales"})
	return e
}

func (e *env) do(key, method, path, body string) (int, []byte, http.Header) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := httptest.NewRecorder()
	e.fx.Server.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes(), rec.Header()
}

func (e *env) names(b []byte) []string {
	e.t.Helper()
	var p struct {
		Rows []CallRow `json:"rows"`
		Next string    `json:"next"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		e.t.Fatalf("%v: %s", err, b)
	}
	by := map[string]string{}
	for n, a := range e.attempts {
		by[a.ID] = n
	}
	out := []string{}
	for _, r := range p.Rows {
		out = append(out, by[r.AttemptID])
		if r.JourneyURL != "/api/v1/calls/"+r.AttemptID+"/journey" {
			e.t.Errorf("journey url %q", r.JourneyURL)
		}
	}
	return out
}

func TestCallReportSearchFilters(t *testing.T) {
	e := newEnv(t)
	a := e.attempts
	cases := []struct {
		q    string
		want []string
	}{
		{"", []string{"a3", "a2", "a1"}},
		{"from=2026-03-11", []string{"a3", "a2"}},
		{"to=2026-03-10", []string{"a1"}},                                     // a date "to" is inclusive
		{"from=2026-03-11T08:00:00Z&to=2026-03-12T07:59:59Z", []string{"a2"}}, // RFC 3339
		{"flow_type=inbound", []string{"a2", "a1"}},
		{"flow_type=dialer", []string{"a3"}},
		{"flow_id=" + strconv.FormatInt(e.flow.ID, 10), []string{"a2", "a1"}},
		{"flow_id=9", []string{"a3"}},
		{"flow_name=IVR", []string{"a2", "a1"}},
		{"call_id=" + a["a2"].CallID, []string{"a2"}},
		{"request_id=" + e.req.ID, []string{"a3"}},
		{"queue=sales", []string{"a1"}},
		{"customer=" + url.QueryEscape("+15550000001"), []string{"a3"}},
		{"sms=" + url.QueryEscape("+4915100000009"), []string{"a2"}},
		{"email=A@example.com", []string{"a2"}},
		{"queue=none", []string{}},
	}
	for _, c := range cases {
		code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/calls?"+c.q, "")
		if code != 200 {
			t.Fatalf("%s: %d %s", c.q, code, b)
		}
		if got := e.names(b); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.q, got, c.want)
		}
		// The CSV download has the same rows (oldest first).
		code, b, h := e.do(e.fx.Key, "GET", "/api/v1/reports/calls.csv?"+c.q, "")
		if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
			t.Fatalf("csv %s: %d %v", c.q, code, h)
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatalf("csv %s: %v\n%s", c.q, err, b)
		}
		if !slices.Equal(recs[0], store.CallReportColumns) {
			t.Errorf("header %v", recs[0])
		}
		var got []string
		for _, r := range recs[1:] {
			for n, x := range e.attempts {
				if x.ID == r[1] {
					got = append(got, n)
				}
			}
		}
		slices.Reverse(got)
		if len(got) == 0 {
			got = []string{}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("csv %s: got %v, want %v", c.q, got, c.want)
		}
	}
	// Paging with next.
	code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/calls?limit=2", "")
	var p struct{ Next string }
	_ = json.Unmarshal(b, &p)
	if code != 200 || p.Next == "" || !slices.Equal(e.names(b), []string{"a3", "a2"}) {
		t.Fatalf("page 1: %d %s", code, b)
	}
	_, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/calls?limit=2&after="+p.Next, "")
	if got := e.names(b); !slices.Equal(got, []string{"a1"}) {
		t.Errorf("page 2: %v", got)
	}
	// Bad parameters name the field.
	for q, field := range map[string]string{"from=yesterday": "from", "limit=0": "limit", "limit=x": "limit", "to=2026-13-01": "to"} {
		code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/calls?"+q, "")
		if code != 422 || !strings.Contains(string(b), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", q, code, b)
		}
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/calls?call_id=nope", ""); code != 422 {
		t.Errorf("bad call id: %d %s", code, b)
	}
	if code, _, _ := e.do("", "GET", "/api/v1/reports/calls", ""); code != 401 {
		t.Errorf("no key: %d", code)
	}
}

func TestCallReportCSVNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	_, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/calls.csv?call_id="+e.attempts["a2"].CallID, "")
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, b)
	}
	row := map[string]string{}
	for i, c := range recs[0] {
		row[c] = recs[1][i]
	}
	if row["cli"] != `'=HYPERLINK("http://x")` {
		t.Errorf("cli cell %q", row["cli"])
	}
	// A phone number ('+' and digits only) is a number to a spreadsheet,
	// not a formula: it stays as it is.
	if row["sms_number"] != "+4915100000009" || row["customer_number"] != `'=HYPERLINK("http://x")` {
		t.Errorf("row %v", row)
	}
	if row["started_at"] != "2026-03-11 08:00:00" || row["duration_s"] != "30" || row["flow_name"] != "IVR" {
		t.Errorf("row %v", row)
	}
	// The account's time zone applies to CSV times.
	if err := e.st.SetAccountTimezone(context.Background(), e.fx.Account, "Asia/Kolkata"); err != nil {
		t.Fatal(err)
	}
	_, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/calls.csv?call_id="+e.attempts["a2"].CallID, "")
	if !strings.Contains(string(b), ",2026-03-11 13:30:00,") {
		t.Errorf("Kolkata times: %s", b)
	}
}

func TestAccountIsolation(t *testing.T) {
	e := newEnv(t)
	// Rows: the other key sees only its own attempt, whatever the filter.
	for _, q := range []string{"", "queue=sales", "call_id=" + e.attempts["a1"].CallID, "request_id=" + e.req.ID, "flow_id=" + strconv.FormatInt(e.flow.ID, 10)} {
		_, b, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/reports/calls?"+q, "")
		for _, n := range e.names(b) {
			if n != "b1" {
				t.Errorf("%s: other account sees %s", q, n)
			}
		}
		_, b, _ = e.do(e.fx.OtherKey, "GET", "/api/v1/reports/calls.csv?"+q, "")
		for n, a := range e.attempts {
			if n != "b1" && bytes.Contains(b, []byte(a.ID)) {
				t.Errorf("%s: other account's CSV has %s", q, n)
			}
		}
	}
	// Journeys.
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/calls/"+e.attempts["a1"].ID+"/journey", ""); code != 200 || !strings.Contains(string(b), `"a1"`) {
		t.Errorf("own journey: %d %s", code, b)
	}
	if code, _, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/calls/"+e.attempts["a1"].ID+"/journey", ""); code != 404 {
		t.Errorf("other account's journey: %d", code)
	}
	// Recordings: single file, list and zip.
	rec := e.recording("a1", "rec-a1", "wav", "AUDIO-A1")
	recB := e.recordingFor(e.fx.Other, "b1", "rec-b1", "wav", "AUDIO-B1")
	if code, _, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(rec.ID, 10), ""); code != 404 {
		t.Errorf("other account's recording: %d", code)
	}
	if code, _, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/reports/attempts/"+e.attempts["a1"].ID+"/recordings", ""); code != 404 {
		t.Errorf("other account's recording list: %d", code)
	}
	for _, q := range []string{"", "queue=sales"} {
		files := e.zip(e.fx.OtherKey, q)
		if len(files) != 1 || files[recB.FileName] != "AUDIO-B1" {
			t.Errorf("%s: other account's zip: %v", q, files)
		}
	}
	if files := e.zip(e.fx.OtherKey, "call_id="+e.attempts["a1"].CallID); len(files) != 0 {
		t.Errorf("other account's zip of our call: %v", files)
	}
}

func (e *env) recording(attempt, name, format, content string) store.Recording {
	return e.recordingFor(e.fx.Account, attempt, name, format, content)
}

func (e *env) recordingFor(acct int64, attempt, name, format, content string) store.Recording {
	e.t.Helper()
	a := e.attempts[attempt]
	r, err := e.st.AddRecording(context.Background(), store.Recording{AccountID: acct, AttemptID: a.ID, Kind: store.RecordingRecord, Name: name, Format: format,
		FileName: flows.RecordRecordingName(acct, 1, a.CLI, a.DNIS, a.StartedAt) + "." + format})
	if err != nil {
		e.t.Fatal(err)
	}
	if content != "" {
		if err := os.WriteFile(filepath.Join(e.spool, name+"."+format), []byte(content), 0o600); err != nil {
			e.t.Fatal(err)
		}
	}
	return r
}

func (e *env) zip(key, q string) map[string]string {
	e.t.Helper()
	code, b, h := e.do(key, "GET", "/api/v1/reports/recordings.zip?"+q, "")
	if code != 200 || h.Get("Content-Type") != "application/zip" {
		e.t.Fatalf("zip %s: %d %s", q, code, b)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			e.t.Fatal(err)
		}
		c, _ := io.ReadAll(rc)
		rc.Close()
		out[f.Name] = string(c)
	}
	return out
}

func TestRecordingDownloads(t *testing.T) {
	e := newEnv(t)
	r1 := e.recording("a1", "rec-a1", "wav", "AUDIO-A1") // started 2026-03-10 08:00
	r3 := e.recording("a3", "rec-a3", "gsm", "AUDIO-A3") // started 2026-03-12 08:00
	r3b := e.recording("a3", "rec-a3b", "gsm", "")       // file gone
	if r1.FileName != "record_"+strconv.FormatInt(e.fx.Account, 10)+"_1_+4915100000001_+4930111_1773129600000.wav" {
		t.Errorf("file name %s", r1.FileName)
	}
	code, b, h := e.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(r1.ID, 10), "")
	if code != 200 || string(b) != "AUDIO-A1" || h.Get("Content-Type") != "audio/wav" || !strings.Contains(h.Get("Content-Disposition"), r1.FileName) {
		t.Errorf("download: %d %q %v", code, b, h)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/attempts/"+e.attempts["a3"].ID+"/recordings", "")
	var list struct{ Recordings []RecordingView }
	_ = json.Unmarshal(b, &list)
	if code != 200 || len(list.Recordings) != 2 || !list.Recordings[0].Available {
		t.Errorf("list: %d %s", code, b)
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(r3b.ID, 10), ""); code != 410 {
		t.Errorf("missing file: %d %s", code, b)
	}
	// The zip of a filter: files by recording file name, missing ones listed.
	files := e.zip(e.fx.Key, "")
	if files[r1.FileName] != "AUDIO-A1" || files[r3.FileName] != "AUDIO-A3" || !strings.Contains(files["MISSING.txt"], "no longer on the media server") || len(files) != 3 {
		t.Errorf("zip: %v", files)
	}
	if files := e.zip(e.fx.Key, "request_id="+e.req.ID); len(files) != 2 || files[r3.FileName] != "AUDIO-A3" {
		t.Errorf("zip of a request: %v", files)
	}
	// 30 days after a1 started (2026-03-10 08:00) it is gone; a3 still there.
	e.now = time.Date(2026, 4, 9, 8, 0, 1, 0, time.UTC)
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(r1.ID, 10), "")
	if code != 410 || !strings.Contains(string(b), "30 days") || !strings.Contains(string(b), `"code":"gone"`) {
		t.Errorf("after 30 days: %d %s", code, b)
	}
	if code, _, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/recordings/"+strconv.FormatInt(r3.ID, 10), ""); code != 200 {
		t.Errorf("a3 within the window: %d", code)
	}
	files = e.zip(e.fx.Key, "")
	if _, ok := files[r1.FileName]; ok || !strings.Contains(files["MISSING.txt"], r1.FileName+": older than the availability window") {
		t.Errorf("zip after the window: %v", files)
	}
	// Retention purge deletes the expired file and marks it.
	p := recordings.Purger{Store: e.st, Source: recordings.SpoolSource{Dir: e.spool}, Now: func() time.Time { return e.now }}
	n, err := p.PurgeOnce(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(e.spool, "rec-a1.wav")); !os.IsNotExist(err) {
		t.Errorf("expired file still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.spool, "rec-a3.gsm")); err != nil {
		t.Errorf("file within the window purged: %v", err)
	}
	if n, err := p.PurgeOnce(context.Background()); err != nil {
		t.Fatalf("p.PurgeOnce(context.Background()): %v", err)
	} else if n != 0 {
		t.Errorf("second purge: %d", n)
	}
	if code, _, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/recordings/0", ""); code != 422 {
		t.Errorf("bad id: %d", code)
	}
}

func TestEmailReportRoutes(t *testing.T) {
	e := newEnv(t)
	path := "/api/v1/reports/email/" + strconv.FormatInt(e.flow.ID, 10)
	code, b, _ := e.do(e.fx.Key, "PUT", path, `{"to":"a@example.com, b@example.com","cc":"c@example.com","bcc":"d@example.com,e@example.com"}`)
	if code != 200 || !strings.Contains(string(b), `"to":"a@example.com, b@example.com"`) {
		t.Fatalf("put: %d %s", code, b)
	}
	for body, field := range map[string]string{
		`{"to":""}`:                          "to",
		`{"to":"a@example.com","cc":"nope"}`: "cc",
		`{"to":"a@example.com","bcc":"x@"}`:  "bcc",
		`{"to":"a@example.com","bogus":1}`:   "bogus",
	} {
		if code, b, _ := e.do(e.fx.Key, "PUT", path, body); code != 422 || !strings.Contains(string(b), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", body, code, b)
		}
	}
	if code, _, _ := e.do(e.fx.OtherKey, "PUT", path, `{"to":"a@example.com"}`); code != 404 {
		t.Errorf("other account's flow: %d", code)
	}
	if code, _, _ := e.do(e.fx.OtherKey, "GET", path, ""); code != 404 {
		t.Errorf("other account reads: %d", code)
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/email", ""); code != 200 || !strings.Contains(string(b), "d@example.com, e@example.com") {
		t.Errorf("list: %d %s", code, b)
	}
	if code, _, _ := e.do(e.fx.Key, "DELETE", path, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _, _ := e.do(e.fx.Key, "GET", path, ""); code != 404 {
		t.Errorf("after delete: %d", code)
	}
}

func TestCatalogue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/calls", "")
	if code != 403 || !strings.Contains(string(b), "not enabled for this account") {
		t.Errorf("disabled: %d %s", code, b)
	}
	for _, n := range store.CatalogueReports {
		if err := e.st.SetReportEnabled(ctx, e.fx.Account, n, true); err != nil {
			t.Fatal(err)
		}
	}
	_, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue", "")
	if strings.Count(string(b), `"enabled":true`) != 4 {
		t.Errorf("catalogue: %s", b)
	}
	_, b, _ = e.do(e.fx.OtherKey, "GET", "/api/v1/reports/catalogue", "")
	if strings.Count(string(b), `"enabled":false`) != 4 {
		t.Errorf("other catalogue: %s", b)
	}
	if code, _, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/reports/catalogue/agents/csv", ""); code != 403 {
		t.Errorf("other account, disabled: %d", code)
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/calls", ""); code != 200 || len(e.names(b)) != 3 {
		t.Errorf("calls: %d %s", code, b)
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/calls/csv", ""); code != 200 || bytes.Count(b, []byte("\r\n")) != 4 {
		t.Errorf("calls csv: %d %s", code, b)
	}
	q, err := e.st.CreateQueue(ctx, store.Queue{Queue: acdconfig.Queue{AccountID: e.fx.Account, Name: "sales", Strategy: "ringall", RingTimeout: time.Second, Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	t1 := t0.Add(20 * time.Second)
	if err := e.st.InsertQueueCalls(ctx, []store.QueueCall{{AccountID: e.fx.Account, QueueID: q.ID, JoinedAt: t0, EndedAt: &t1, Outcome: "QUEUE_ANSWER"}}); err != nil {
		t.Fatal(err)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/queues?from=2026-03-10&to=2026-03-10", "")
	if code != 200 || !strings.Contains(string(b), `"queue_name":"sales","calls":1,"answered":1`) {
		t.Errorf("queues: %d %s", code, b)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/queues/csv", "")
	if code != 200 || !strings.HasPrefix(string(b), strings.Join(QueueReportColumns, ",")+"\r\n") || !strings.Contains(string(b), ",sales,1,1,0,0,0,20.0,20.0\r\n") {
		t.Errorf("queues csv: %d %s", code, b)
	}
	for _, n := range []string{"agents", "campaigns"} {
		if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/"+n+"/csv", ""); code != 200 {
			t.Errorf("%s: %d %s", n, code, b)
		}
	}
	if code, _, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/catalogue/bogus", ""); code != 404 {
		t.Errorf("unknown report: %d", code)
	}
}

func TestADSRoutes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c, err := e.st.CreateCampaign(ctx, store.Campaign{Campaign: dialer.Campaign{AccountID: e.fx.Account, Type: "call", Mode: "progressive", Name: "=March", Status: "Created",
		Recipients: []string{e.req.ID}, SimultaneousCalls: 1, DialAttempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.TransitionCampaign(ctx, e.fx.Account, c.ID, func(string) (string, error) { return "Running", nil }); err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	q := "?start_date=" + today + "&end_date=" + today + "&campaign=" + strconv.FormatInt(c.ID, 10)
	code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/ads/statistics"+q, "")
	if code != 200 || !strings.Contains(string(b), `"by_status":[{"type":"ready","total":1,"percentage":100}]`) {
		t.Errorf("statistics: %d %s", code, b)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/ads/statistics.csv"+q, "")
	if code != 200 || !strings.Contains(string(b), ",'=March,status,ready,1,100.00\r\n") {
		t.Errorf("statistics csv: %d %s", code, b)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/ads/detailed"+q, "")
	var d struct{ Records []store.ADSDetail }
	if err := json.Unmarshal(b, &d); code != 200 || err != nil || len(d.Records) != 1 || d.Records[0].Record != "+15550000001" || d.Records[0].Time == nil {
		t.Errorf("detailed: %d %v %s", code, err, b)
	}
	code, b, _ = e.do(e.fx.Key, "GET", "/api/v1/reports/ads/detailed.csv"+q, "")
	if code != 200 || !strings.HasPrefix(string(b), "Campaign,Record,Tries,Status,Duration,Time,Tags\r\n") || !strings.Contains(string(b), ",+15550000001,0,ready,30,2026-03-12 08:00:00,\r\n") {
		t.Errorf("detailed csv: %d %s", code, b)
	}
	// Another account, same campaign id: nothing.
	if _, b, _ := e.do(e.fx.OtherKey, "GET", "/api/v1/reports/ads/detailed"+q, ""); string(b) != "{\"records\":[]}\n" {
		t.Errorf("other account: %s", b)
	}
	if code, _, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/ads/statistics?campaign=x", ""); code != 422 {
		t.Errorf("bad campaign: %d", code)
	}
	// The Accountcode parameter selects campaigns by their accountcode.
	for _, tc := range []struct {
		code string
		want int
	}{{"", 1}, {"NOPE", 0}} {
		code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/ads/statistics?accountcode="+tc.code, "")
		var st struct{ Campaigns []store.ADSStatistics }
		if err := json.Unmarshal(b, &st); code != 200 || err != nil || len(st.Campaigns) != tc.want {
			t.Errorf("accountcode %q: %d %v %s, want %d campaigns", tc.code, code, err, b, tc.want)
		}
	}
	if code, b, _ := e.do(e.fx.Key, "GET", "/api/v1/reports/ads/detailed?accountcode=a%20b", ""); code != 422 || !strings.Contains(string(b), `"field":"accountcode"`) {
		t.Errorf("bad accountcode: %d %s", code, b)
	}
}

// TestRoutesDocumented: every route this package serves is in openapi.yaml.
func TestRoutesDocumented(t *testing.T) {
	e := newEnv(t)
	doc := api.DocumentedPaths()
	n := 0
	for _, r := range e.fx.Server.Echo().Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/reports") {
			continue
		}
		n++
		if p := api.SpecPath(r.Path); !doc[p] {
			t.Errorf("%s %s is not in openapi.yaml", r.Method, p)
		}
	}
	if n != 16 {
		t.Errorf("%d report routes, want 16", n)
	}
}

// FuzzCallReportQuery: any query string gets rows (200) or a clear client
// error (422 naming a field), never a server error.
func FuzzCallReportQuery(f *testing.F) {
	e := newEnv(f)
	for _, s := range []string{"", "from=2026-03-01&to=2026-03-02", "from=x", "limit=-1", "after=abc", "call_id=z", "flow_id=%00", "email=%FF", "to=2026-02-30", "queue=" + strings.Repeat("q", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		for _, p := range []string{"/api/v1/reports/calls?", "/api/v1/reports/calls.csv?"} {
			u, err := url.Parse(p + q)
			if err != nil {
				return
			}
			req := httptest.NewRequest("GET", "/", nil)
			req.URL = u
			req.RequestURI = u.RequestURI()
			req.Header.Set("Authorization", "Bearer "+e.fx.Key)
			rec := httptest.NewRecorder()
			e.fx.Server.Handler().ServeHTTP(rec, req)
			if rec.Code != 200 && rec.Code != 422 && rec.Code != 400 {
				t.Fatalf("%s%s: %d %s", p, q, rec.Code, rec.Body.String())
			}
		}
	})
}
