package emailreports

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

type env struct {
	st      *store.Store
	acct    store.Account
	other   store.Account
	flow    store.Flow
	flow2   store.Flow
	report  store.EmailReport
	sink    *mailtest.Sink
	clock   *testkit.FakeClock
	sched   *Scheduler
	berlin  *time.Location
	attempt map[string]string // attempt id -> label
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, store.Options{DataDir: t.TempDir()})
	e := &env{st: st, attempt: map[string]string{}}
	var err error
	if e.berlin, err = time.LoadLocation("Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if e.acct, err = st.CreateAccount(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if e.other, err = st.CreateAccount(ctx, "other"); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountTimezone(ctx, e.acct.ID, "Europe/Berlin"); err != nil {
		t.Fatal(err)
	}
	if e.flow, err = st.CreateFlow(ctx, e.acct.ID, store.NewFlow{Name: "Hotline", Type: "inbound", Draft: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if e.flow2, err = st.CreateFlow(ctx, e.acct.ID, store.NewFlow{Name: "Other flow", Type: "inbound", Draft: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if e.report, err = st.PutEmailReport(ctx, store.EmailReport{AccountID: e.acct.ID, FlowID: e.flow.ID,
		To: "ops@example.com, boss@example.com", CC: "cc@example.com", BCC: "audit@example.com"}); err != nil {
		t.Fatal(err)
	}
	e.sink = mailtest.Start(t)
	e.clock = testkit.NewFakeClock(time.Time{})
	e.sched = &Scheduler{Store: st, Sender: SMTPSender{Relay: e.sink.Addr, Timeout: 10 * time.Second}, From: "Switchyard <reports@example.com>", Clock: e.clock}
	return e
}

// call records a finished attempt at the given instant.
func (e *env) call(t *testing.T, label string, acct int64, flow *int64, at time.Time) {
	t.Helper()
	ctx := context.Background()
	a, err := e.st.StartAttempt(ctx, store.AttemptStart{AccountID: acct, Direction: store.DirectionInbound, FlowID: flow, CLI: "+4915100000001", DNIS: "+4930111",
		ChannelID: "ch-" + label, StartedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.FinishAttempt(ctx, a.ID, store.AttemptEnd{Status: "IVR_FINISHED", FinishReason: "hangup", EndedAt: at.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	e.attempt[a.ID] = label
}

func (e *env) setLastDay(t *testing.T, day string) {
	t.Helper()
	r, err := e.st.GetEmailReport(context.Background(), e.acct.ID, e.flow.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := e.st.MarkEmailReportSent(context.Background(), r.ID, r.LastDay, day); !ok || err != nil {
		t.Fatal(ok, err)
	}
}

type sent struct {
	at      time.Time
	subject string
	labels  []string
	msg     mailtest.Message
	header  mail.Header
	csvName string
}

// step runs RunDue every minute from..to and returns what was sent when.
func (e *env) step(t *testing.T, from, to time.Time) []sent {
	t.Helper()
	var out []sent
	for now := from; !now.After(to); now = now.Add(time.Minute) {
		e.clock.Set(now)
		before := len(e.sink.All())
		n, err := e.sched.RunDue(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", now, err)
		}
		msgs := e.sink.All()
		if len(msgs)-before != n {
			t.Fatalf("%s: RunDue says %d sent, the sink got %d", now, n, len(msgs)-before)
		}
		for _, m := range msgs[before:] {
			out = append(out, e.parse(t, now, m))
		}
	}
	return out
}

func (e *env) parse(t *testing.T, at time.Time, m mailtest.Message) sent {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	s := sent{at: at, msg: m, header: msg.Header}
	s.subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() == "" {
			continue
		}
		s.csvName = p.FileName()
		// multipart decodes quoted-printable only; base64 is ours to undo.
		raw, _ := io.ReadAll(p)
		dec, err := io.ReadAll(base64Reader(raw))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(dec)).ReadAll()
		if err != nil {
			t.Fatalf("attachment: %v\n%s", err, dec)
		}
		if !slices.Equal(recs[0], store.CallReportColumns) {
			t.Errorf("header %v", recs[0])
		}
		for _, r := range recs[1:] {
			s.labels = append(s.labels, e.attempt[r[1]])
		}
	}
	return s
}

func TestDailyReportAcrossSpringForward(t *testing.T) {
	e := newEnv(t)
	f, f2 := e.flow.ID, e.flow2.ID
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	// Europe/Berlin springs forward on Sunday 2026-03-29 at 02:00 → 03:00:
	// that local day runs from 2026-03-28T23:00Z to 2026-03-29T22:00Z (23 h).
	e.call(t, "sat-last-second", e.acct.ID, &f, utc("2026-03-28T22:59:59Z"))
	e.call(t, "sun-first-second", e.acct.ID, &f, utc("2026-03-28T23:00:00Z"))
	e.call(t, "sun-0230-utc-0030", e.acct.ID, &f, utc("2026-03-29T00:30:00Z"))
	e.call(t, "sun-last-second", e.acct.ID, &f, utc("2026-03-29T21:59:59Z"))
	e.call(t, "mon-first-second", e.acct.ID, &f, utc("2026-03-29T22:00:00Z"))
	e.call(t, "sun-other-flow", e.acct.ID, &f2, utc("2026-03-29T10:00:00Z"))
	e.call(t, "sun-other-account", e.other.ID, nil, utc("2026-03-29T10:00:00Z"))
	e.setLastDay(t, "2026-03-27")

	got := e.step(t, utc("2026-03-28T22:00:00Z"), utc("2026-03-30T22:00:00Z"))
	if len(got) != 2 {
		t.Fatalf("sent %d reports, want 2 (Saturday's and Sunday's): %v", len(got), subjects(got))
	}
	sat, sun := got[0], got[1]
	// 00:05 CET on Sunday = 23:05Z; 00:05 CEST on Monday = 22:05Z.
	if !sat.at.Equal(utc("2026-03-28T23:05:00Z")) || !sun.at.Equal(utc("2026-03-29T22:05:00Z")) {
		t.Errorf("sent at %s and %s, want 00:05 local each", sat.at, sun.at)
	}
	if !slices.Equal(sat.labels, []string{"sat-last-second"}) {
		t.Errorf("Saturday's report: %v", sat.labels)
	}
	if !slices.Equal(sun.labels, []string{"sun-first-second", "sun-0230-utc-0030", "sun-last-second"}) {
		t.Errorf("Sunday's (23-hour) report: %v", sun.labels)
	}
	if sun.subject != "Daily call report: Hotline (2026-03-29)" || sun.csvName != "calls-flow-"+itoa(f)+"-2026-03-29.csv" {
		t.Errorf("subject %q, attachment %q", sun.subject, sun.csvName)
	}
	// To, CC in the headers; BCC only on the envelope.
	if h := sun.header; h.Get("To") != "ops@example.com, boss@example.com" || h.Get("Cc") != "cc@example.com" || h.Get("Bcc") != "" {
		t.Errorf("headers: %v", h)
	}
	if rc := sun.msg.To; !slices.Equal(rc, []string{"ops@example.com", "boss@example.com", "cc@example.com", "audit@example.com"}) || sun.msg.From != "reports@example.com" {
		t.Errorf("envelope: from %q to %v", sun.msg.From, rc)
	}
	if !strings.Contains(string(sun.msg.Data), "2026-03-29T00:00:00+01:00 to 2026-03-30T00:00:00+02:00") {
		t.Errorf("the text does not state the 23-hour local day")
	}
	// Times in the CSV are local: the first Sunday call is at 00:00:00.
	if !strings.Contains(decodeAll(t, sun.msg.Data), ",2026-03-29 00:00:00,") {
		t.Errorf("CSV times are not local")
	}
}

func TestDailyReportAcrossFallBack(t *testing.T) {
	e := newEnv(t)
	f := e.flow.ID
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	// Europe/Berlin falls back on Sunday 2026-10-25 at 03:00 → 02:00: that
	// local day runs from 2026-10-24T22:00Z to 2026-10-25T23:00Z (25 h).
	e.call(t, "sat", e.acct.ID, &f, utc("2026-10-24T21:59:59Z"))
	e.call(t, "sun-first", e.acct.ID, &f, utc("2026-10-24T22:00:00Z"))
	e.call(t, "sun-0230-cest", e.acct.ID, &f, utc("2026-10-25T00:30:00Z"))
	e.call(t, "sun-0230-cet", e.acct.ID, &f, utc("2026-10-25T01:30:00Z"))
	e.call(t, "sun-last", e.acct.ID, &f, utc("2026-10-25T22:59:59Z"))
	e.call(t, "mon", e.acct.ID, &f, utc("2026-10-25T23:00:00Z"))
	e.setLastDay(t, "2026-10-23")
	got := e.step(t, utc("2026-10-24T21:00:00Z"), utc("2026-10-26T23:30:00Z"))
	if len(got) != 3 {
		t.Fatalf("sent %d reports, want 3: %v", len(got), subjects(got))
	}
	want := []time.Time{utc("2026-10-24T22:05:00Z"), utc("2026-10-25T23:05:00Z"), utc("2026-10-26T23:05:00Z")}
	for i, s := range got {
		if !s.at.Equal(want[i]) {
			t.Errorf("report %d sent at %s, want %s", i, s.at, want[i])
		}
	}
	if !slices.Equal(got[0].labels, []string{"sat"}) {
		t.Errorf("Saturday: %v", got[0].labels)
	}
	if !slices.Equal(got[1].labels, []string{"sun-first", "sun-0230-cest", "sun-0230-cet", "sun-last"}) {
		t.Errorf("Sunday (25 hours): %v", got[1].labels)
	}
	if !slices.Equal(got[2].labels, []string{"mon"}) {
		t.Errorf("Monday: %v", got[2].labels)
	}
	// The two 02:30s of the repeated hour appear as such (local times).
	if d := decodeAll(t, got[1].msg.Data); strings.Count(d, ",2026-10-25 02:30:00,") != 2 {
		t.Errorf("the repeated hour's calls are not both at 02:30 local")
	}
}

func TestRunLoopCatchUpAndRelayFailure(t *testing.T) {
	e := newEnv(t)
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	e.setLastDay(t, "2026-03-01")
	// Down for two days: at 10:00Z on the 4th, days 2 and 3 are due.
	e.clock.Set(utc("2026-03-04T10:00:00Z"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.sched.Run(ctx) }()
	msgs := e.sink.Wait(t, 2)
	for i, day := range []string{"2026-03-02", "2026-03-03"} {
		if !strings.Contains(e.parse(t, time.Time{}, msgs[i]).subject, day) {
			t.Errorf("catch-up %d: %s", i, e.parse(t, time.Time{}, msgs[i]).subject)
		}
	}
	// The loop sleeps until the next 00:05 Berlin (23:05Z), waking at
	// least hourly to notice new schedules; nothing is sent before.
	target := utc("2026-03-04T23:05:00Z")
	for {
		var at time.Time
		select {
		case at = <-e.clock.Waits():
		case <-time.After(10 * time.Second):
			t.Fatal("the loop did not wait")
		}
		if at.After(target) {
			t.Fatalf("the loop sleeps past 00:05 local, until %s", at)
		}
		if n := len(e.sink.All()); n != 2 {
			t.Fatalf("%d messages before %s", n, at)
		}
		e.clock.Set(at)
		if at.Equal(target) {
			break
		}
	}
	if m := e.sink.Wait(t, 3); !strings.Contains(e.parse(t, time.Time{}, m[2]).subject, "2026-03-04") {
		t.Errorf("scheduled report: %s", e.parse(t, time.Time{}, m[2]).subject)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// A relay failure gives the day back: the next run sends it.
	e.sched.Sender = SMTPSender{Relay: "127.0.0.1:1", Timeout: time.Second}
	e.clock.Set(utc("2026-03-05T23:06:00Z"))
	if n, err := e.sched.RunDue(context.Background()); n != 0 || err == nil {
		t.Fatalf("with the relay down: %d %v", n, err)
	}
	e.sched.Sender = SMTPSender{Relay: e.sink.Addr}
	if n, err := e.sched.RunDue(context.Background()); n != 1 || err != nil {
		t.Fatalf("after the relay is back: %d %v", n, err)
	}
	if n, err := e.sched.RunDue(context.Background()); err != nil {
		t.Fatalf("e.sched.RunDue(context.Background()): %v", err)
	} else if n != 0 {
		t.Errorf("sent twice")
	}
}

func subjects(ss []sent) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.at.Format(time.RFC3339)+" "+s.subject)
	}
	return out
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// decodeAll returns the decoded attachment text of a raw message.
func decodeAll(t *testing.T, data []byte) string {
	t.Helper()
	i := bytes.Index(data, []byte("Content-Transfer-Encoding: base64\r\n\r\n"))
	if i < 0 {
		t.Fatal("no attachment")
	}
	rest := data[i+len("Content-Transfer-Encoding: base64\r\n\r\n"):]
	rest = rest[:bytes.Index(rest, []byte("\r\n--"))]
	b, err := io.ReadAll(base64Reader(rest))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func base64Reader(b []byte) io.Reader {
	clean := strings.NewReplacer("\r", "", "\n", "").Replace(string(b))
	return base64.NewDecoder(base64.StdEncoding, strings.NewReader(clean))
}

// TestDailyReportHonoursBlacklist: blacklisted addresses get no daily
// report; with every recipient blacklisted nothing is sent (and the day
// is done).
func TestDailyReportHonoursBlacklist(t *testing.T) {
	e := newEnv(t)
	f := e.flow.ID
	utc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	e.call(t, "call", e.acct.ID, &f, utc("2026-05-04T10:00:00Z"))
	e.setLastDay(t, "2026-05-03")
	for _, a := range []string{"Boss@example.com", "audit@example.com"} {
		if _, err := e.st.AddListEntry(context.Background(), e.acct.ID, store.ListBlack, store.KindEmail, a, false); err != nil {
			t.Fatal(err)
		}
	}
	got := e.step(t, utc("2026-05-04T22:00:00Z"), utc("2026-05-04T22:10:00Z"))
	if len(got) != 1 {
		t.Fatalf("sent %d", len(got))
	}
	if rc := got[0].msg.To; !slices.Equal(rc, []string{"ops@example.com", "cc@example.com"}) || got[0].header.Get("To") != "ops@example.com" {
		t.Errorf("envelope %v, To %q", rc, got[0].header.Get("To"))
	}
	for _, a := range []string{"ops@example.com", "cc@example.com"} {
		if _, err := e.st.AddListEntry(context.Background(), e.acct.ID, store.ListBlack, store.KindEmail, a, false); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.step(t, utc("2026-05-05T22:00:00Z"), utc("2026-05-05T22:10:00Z")); len(got) != 0 {
		t.Errorf("all blacklisted: sent %d", len(got))
	}
}
