package messaging_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/messaging/kannel"
	"github.com/switchyard/switchyard/messaging/kannel/kanneltest"
	"github.com/switchyard/switchyard/reports/emailreports"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// fixture is a service on a real store, a real Kannel and a real SMTP
// sink, with the delivery-report endpoint served over HTTP.
type fixture struct {
	svc     *messaging.Service
	st      *store.Store
	kannel  *kanneltest.Gateway
	sink    *mailtest.Sink
	account int64
	reports *httptest.Server

	mu      sync.Mutex
	changed []messaging.Message
	ch      chan struct{}
}

func newFixture(t *testing.T, driver string) *fixture {
	t.Helper()
	f := &fixture{ch: make(chan struct{}, 16)}
	f.st = storetest.Open(t, storetest.Options(t, driver))
	a, err := f.st.CreateAccount(context.Background(), "msg-"+driver)
	if err != nil {
		t.Fatal(err)
	}
	f.account = a.ID
	f.kannel = kanneltest.Start(t)
	f.sink = mailtest.Start(t)
	mux := http.NewServeMux()
	f.reports = httptest.NewServer(mux)
	t.Cleanup(f.reports.Close)
	f.svc = messaging.New(messaging.Config{Store: f.st,
		SMS:       &kannel.Client{URL: f.kannel.SendSMSURL, Username: f.kannel.Username, Password: f.kannel.Password},
		ReportURL: f.reports.URL + messaging.ReportPath,
		Mail:      emailreports.SMTPSender{Relay: f.sink.Addr}, From: "Switchyard <noreply@switchyard.test>",
		RetryWait: 50 * time.Millisecond})
	mux.Handle(messaging.ReportPath, f.svc.ReportHandler())
	f.svc.OnStatus(func(m messaging.Message) {
		f.mu.Lock()
		f.changed = append(f.changed, m)
		f.mu.Unlock()
		select {
		case f.ch <- struct{}{}:
		default:
		}
	})
	return f
}

// waitStatus waits until the message has the status.
func (f *fixture) waitStatus(t *testing.T, id int64, status string) messaging.Message {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		ms, err := f.svc.Messages(context.Background(), f.account, []int64{id})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 1 && ms[0].Status == status {
			return ms[0]
		}
		select {
		case <-f.ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatalf("message %d: status %+v; want %s\n%s", id, ms, status, f.kannel.Logs())
		}
	}
}

// TestSMSThroughKannel: an SMS goes through a real Kannel to the fake
// SMSC with the exact text and number; Kannel's delivery report comes
// back, makes the message "delivered" and runs the OnStatus hook; a
// blacklisted or DNC number is "blocked" and never reaches the SMSC.
func TestSMSThroughKannel(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			f := newFixture(t, driver)
			ctx := context.Background()
			if _, err := f.st.AddListEntry(ctx, f.account, store.ListBlack, store.KindPhone, "+12025550199", false); err != nil {
				t.Fatal(err)
			}
			if _, err := f.st.AddDNCEntries(ctx, f.account, "test", []store.DNCEntry{{Value: "+1202555077", Prefix: true}}); err != nil {
				t.Fatal(err)
			}
			text := "Hello Ann, your payment of $12 is due on 2026-12-31."
			m, err := f.svc.SendSMS(ctx, messaging.SMS{AccountID: f.account, To: "+1 (202) 555-0102", Text: text,
				Source: messaging.Source{Kind: messaging.SourceFlow, ID: 9, Ref: "attempt-1"}})
			if err != nil {
				t.Fatal(err)
			}
			if m.Status != messaging.StatusSent && m.Status != messaging.StatusDelivered {
				t.Fatalf("after sending: %+v", m)
			}
			if m.To != "+12025550102" || m.Body != text || m.Source != (messaging.Source{Kind: "flow", ID: 9, Ref: "attempt-1"}) {
				t.Errorf("recorded %+v", m)
			}
			got := f.kannel.Wait(t, 1)
			if got[0].To != "+12025550102" || got[0].Text != text {
				t.Errorf("fakesmsc got %+v; want %q to +12025550102", got[0], text)
			}
			d := f.waitStatus(t, m.ID, messaging.StatusDelivered)
			if d.Reason != "" {
				t.Errorf("delivered with reason %q", d.Reason)
			}
			f.mu.Lock()
			hooked := len(f.changed) > 0 && f.changed[len(f.changed)-1].ID == m.ID
			f.mu.Unlock()
			if !hooked {
				t.Error("OnStatus was not called for the delivery report")
			}

			uni := "नमस्ते, ₹100 बाकी"
			u, err := f.svc.SendSMS(ctx, messaging.SMS{AccountID: f.account, To: "+919876543210", Text: uni})
			if err != nil || u.Status == messaging.StatusFailed {
				t.Fatalf("UCS-2 SMS: %+v %v", u, err)
			}
			if got := f.kannel.Wait(t, 2); got[1].Text != uni || got[1].To != "+919876543210" {
				t.Errorf("fakesmsc got %+v; want %q", got[1], uni)
			}

			for _, tc := range []struct{ to, reason string }{{"+12025550199", "blacklisted"}, {"+12025550771", "DNC"}} {
				b, err := f.svc.SendSMS(ctx, messaging.SMS{AccountID: f.account, To: tc.to, Text: "never sent"})
				if err != nil {
					t.Fatal(err)
				}
				if b.Status != messaging.StatusBlocked || !strings.HasPrefix(b.Reason, tc.reason) {
					t.Errorf("%s: %+v; want blocked, %s", tc.to, b, tc.reason)
				}
			}
			time.Sleep(300 * time.Millisecond)
			if n := len(f.kannel.Received()); n != 2 {
				t.Errorf("fakesmsc received %d messages; want 2 (blocked ones are not sent)", n)
			}
		})
	}
}

// TestDeliveryReportFailsClosed: a report with a wrong, missing or
// another message's token changes nothing; a failed report makes the
// message "failed" and a late "accepted by the SMSC" does not undo it.
func TestDeliveryReportFailsClosed(t *testing.T) {
	f := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	// An SMS whose delivery reports Kannel sends to a recorder, not to the
	// service: this test replays them.
	captured := make(chan *url.URL, 8)
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { captured <- r.URL }))
	defer rec.Close()
	svc := messaging.New(messaging.Config{Store: f.st,
		SMS:       &kannel.Client{URL: f.kannel.SendSMSURL, Username: f.kannel.Username, Password: f.kannel.Password},
		ReportURL: rec.URL + messaging.ReportPath})
	m, err := svc.SendSMS(ctx, messaging.SMS{AccountID: f.account, To: "+12025550102", Text: "x"})
	if err != nil {
		t.Fatal(err)
	}
	f.kannel.Wait(t, 1)
	get := func(q url.Values) int {
		t.Helper()
		resp, err := http.Get(f.reports.URL + messaging.ReportPath + "?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, q := range []url.Values{
		{"id": {id(m.ID)}, "type": {"2"}},
		{"id": {id(m.ID)}, "type": {"2"}, "token": {"wrong"}},
		{"id": {"999999"}, "type": {"2"}, "token": {"wrong"}},
		{"id": {"x"}, "type": {"2"}},
	} {
		if code := get(q); code != http.StatusNotFound {
			t.Errorf("report %v: HTTP %d; want 404", q, code)
		}
	}
	ms, err := svc.Messages(ctx, f.account, []int64{m.ID})
	if err != nil || ms[0].Status != messaging.StatusSent {
		t.Fatalf("after refused reports: %+v %v", ms, err)
	}
	if _, err := svc.DeliveryReport(ctx, messaging.Report{ID: m.ID, Token: "nope", Type: 1}); !errors.Is(err, messaging.ErrReport) {
		t.Errorf("wrong token: %v; want ErrReport", err)
	}
	var real *url.URL
	select {
	case real = <-captured:
	case <-time.After(10 * time.Second):
		t.Fatal("Kannel sent no delivery report")
	}
	q := real.Query()
	if q.Get("id") != strconv.FormatInt(m.ID, 10) || len(q.Get("token")) < 40 {
		t.Fatalf("Kannel's report %s", real)
	}
	// The SMSC rejects it; a late "accepted" and "delivered" do not undo that.
	for _, typ := range []string{"16", "8", "1"} {
		q.Set("type", typ)
		q.Set("reply", "NACK/0x0000000b/Invalid Destination")
		if code := get(q); code != http.StatusOK {
			t.Errorf("type %s: HTTP %d", typ, code)
		}
	}
	ms, err = svc.Messages(ctx, f.account, []int64{m.ID})
	if err != nil || ms[0].Status != messaging.StatusFailed || !strings.Contains(ms[0].Reason, "Invalid Destination") {
		t.Fatalf("after a reject: %+v %v", ms, err)
	}
	q.Set("type", "3")
	if code := get(q); code != http.StatusBadRequest {
		t.Errorf("unknown type: HTTP %d; want 400", code)
	}
}

// TestSMSGatewayDown: with the gateway unreachable the send is retried a
// bounded number of times, the message is recorded "failed" and the
// error says the gateway is unreachable; a cancelled context stops the
// retries at once.
func TestSMSGatewayDown(t *testing.T) {
	st := storetest.Open(t, storetest.Options(t, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "down")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	svc := messaging.New(messaging.Config{Store: st, SMS: &kannel.Client{URL: "http://" + addr + "/cgi-bin/sendsms"},
		Attempts: 3, RetryWait: 20 * time.Millisecond})
	start := time.Now()
	m, err := svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "hi"})
	if !errors.Is(err, messaging.ErrUnreachable) || m.Status != messaging.StatusFailed || m.Reason != "gateway unreachable" {
		t.Fatalf("gateway down: %+v %v", m, err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("gave up after %s; want two pauses (20 ms, 40 ms)", d)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	slow := messaging.New(messaging.Config{Store: st, SMS: &kannel.Client{URL: "http://" + addr + "/cgi-bin/sendsms"},
		Attempts: 10, RetryWait: time.Hour})
	start = time.Now()
	if _, err := slow.SendSMS(cctx, messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "hi"}); err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled: %v after %s", err, time.Since(start))
	}
}

// TestEmailThroughRelay: a mail reaches the real SMTP sink with its
// subject and text, to the addresses not on the account's email
// blacklist; all blacklisted is "blocked" and sends nothing.
func TestEmailThroughRelay(t *testing.T) {
	f := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	if _, err := f.st.AddListEntry(ctx, f.account, store.ListBlack, store.KindEmail, "blocked@example.com", false); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.SendEmail(ctx, messaging.Email{AccountID: f.account, To: []string{"Ann@Example.com", "blocked@example.com"},
		Subject: "Outage notice", Text: "Power is back at 14:00. Grüße", Source: messaging.Source{Kind: messaging.SourceNotification, ID: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != messaging.StatusSent || m.To != "ann@example.com, blocked@example.com" || !strings.Contains(m.Reason, "blocked@example.com") {
		t.Errorf("recorded %+v", m)
	}
	got := f.sink.Wait(t, 1)
	if len(got[0].To) != 1 || got[0].To[0] != "ann@example.com" || got[0].From != "noreply@switchyard.test" {
		t.Errorf("sink got from %s to %v", got[0].From, got[0].To)
	}
	body := string(got[0].Data)
	if !strings.Contains(body, "Subject: Outage notice") || !strings.Contains(body, "Power is back at 14:00. Gr=C3=BC=C3=9Fe") {
		t.Errorf("mail:\n%s", body)
	}
	b, err := f.svc.SendEmail(ctx, messaging.Email{AccountID: f.account, To: []string{"BLOCKED@example.com"}, Subject: "x", Text: "y"})
	if err != nil || b.Status != messaging.StatusBlocked || b.Reason != "blacklisted" {
		t.Errorf("all blacklisted: %+v %v", b, err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(f.sink.All()); n != 1 {
		t.Errorf("sink has %d mails; want 1", n)
	}
}

// TestBadInput: every bad message is a client error, recorded nowhere.
func TestBadInput(t *testing.T) {
	st := storetest.Open(t, storetest.Options(t, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "bad")
	if err != nil {
		t.Fatal(err)
	}
	svc := messaging.New(messaging.Config{Store: st, SMS: &kannel.Client{}, Mail: emailreports.SMTPSender{}})
	for _, tc := range []struct {
		name string
		in   messaging.SMS
	}{
		{"no account", messaging.SMS{To: "+12025550102", Text: "x"}},
		{"national number", messaging.SMS{AccountID: a.ID, To: "2025550102", Text: "x"}},
		{"letters", messaging.SMS{AccountID: a.ID, To: "+1202555abcd", Text: "x"}},
		{"empty text", messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "  "}},
		{"too long", messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: strings.Repeat("x", messaging.MaxSMSText+1)}},
		{"too long UCS-2", messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: strings.Repeat("₹", messaging.MaxSMSTextUCS2+1)}},
		{"not UTF-8", messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "\xff"}},
		{"bad source", messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "x", Source: messaging.Source{Kind: "fax"}}},
	} {
		if _, err := svc.SendSMS(ctx, tc.in); !errors.Is(err, messaging.ErrInvalid) {
			t.Errorf("SMS %s: %v; want ErrInvalid", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name string
		in   messaging.Email
	}{
		{"no address", messaging.Email{AccountID: a.ID, Subject: "s", Text: "t"}},
		{"bad address", messaging.Email{AccountID: a.ID, To: []string{"not-an-address"}, Subject: "s", Text: "t"}},
		{"display name", messaging.Email{AccountID: a.ID, To: []string{"Ann <a@b.c>"}, Subject: "s", Text: "t"}},
		{"eleven", messaging.Email{AccountID: a.ID, To: strings.Split("a@x.y,b@x.y,c@x.y,d@x.y,e@x.y,f@x.y,g@x.y,h@x.y,i@x.y,j@x.y,k@x.y", ","), Subject: "s", Text: "t"}},
		{"header injection", messaging.Email{AccountID: a.ID, To: []string{"a@b.c"}, Subject: "s\r\nBcc: x@y.z", Text: "t"}},
		{"empty text", messaging.Email{AccountID: a.ID, To: []string{"a@b.c"}, Subject: "s"}},
	} {
		if _, err := svc.SendEmail(ctx, tc.in); !errors.Is(err, messaging.ErrInvalid) {
			t.Errorf("email %s: %v; want ErrInvalid", tc.name, err)
		}
	}
	ms, err := st.ListMessages(ctx, store.MessageFilter{AccountID: a.ID})
	if err != nil || len(ms) != 0 {
		t.Errorf("bad input recorded %+v %v", ms, err)
	}
	off := messaging.New(messaging.Config{Store: st})
	if _, err := off.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "x"}); !errors.Is(err, messaging.ErrOff) {
		t.Errorf("SMS off: %v; want ErrOff", err)
	}
	if _, err := off.SendEmail(ctx, messaging.Email{AccountID: a.ID, To: []string{"a@b.c"}, Subject: "s", Text: "t"}); !errors.Is(err, messaging.ErrOff) {
		t.Errorf("email off: %v; want ErrOff", err)
	}
}

// FuzzNormalizeNumber: whatever is typed, a number accepted is E.164.
func FuzzNormalizeNumber(f *testing.F) {
	for _, s := range []string{"+1 (202) 555-0102", "+91.98765.43210", "2025550102", "++1", "+0123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := messaging.NormalizeNumber(s)
		if ok && (len(n) < 8 || len(n) > 16 || n[0] != '+' || n[1] == '0' || strings.Trim(n[1:], "0123456789") != "") {
			t.Fatalf("NormalizeNumber(%q) = %q, accepted", s, n)
		}
	})
}

// BenchmarkSMSThroughKannel sends b.N SMS from 32 goroutines through a
// real Kannel and waits until the fake SMSC received the last one and
// every delivery report came back (msgs/s is the whole round trip).
func BenchmarkSMSThroughKannel(b *testing.B) {
	st := storetest.Open(b, storetest.Options(b, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	gw := kanneltest.Start(b)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	svc := messaging.New(messaging.Config{Store: st,
		SMS:       &kannel.Client{URL: gw.SendSMSURL, Username: gw.Username, Password: gw.Password},
		ReportURL: srv.URL + messaging.ReportPath})
	mux.Handle(messaging.ReportPath, svc.ReportHandler())
	var delivered sync.WaitGroup
	delivered.Add(b.N)
	var mu sync.Mutex
	seen := map[int64]int{}
	svc.OnStatus(func(m messaging.Message) {
		if m.Status == messaging.StatusDelivered {
			mu.Lock()
			seen[m.ID]++
			n := seen[m.ID]
			mu.Unlock()
			if n > 1 {
				b.Errorf("message %d delivered %d times (N=%d) %+v", m.ID, n, b.N, m)
				return
			}
			delivered.Done()
		}
	})
	b.ResetTimer()
	start := time.Now()
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if _, err := svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+1202555" + strconv.Itoa(1000000 + i)[1:], Text: "bench " + strconv.Itoa(i)}); err != nil {
					b.Error(err)
				}
			}
		}()
	}
	for i := range b.N {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	gw.Wait(b, b.N)
	delivered.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
