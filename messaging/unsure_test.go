package messaging_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/messaging/kannel"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// TestUnsure: a gateway that took the request but never answered leaves
// the message failed and Unsure (its sender must not send it again), and
// it was asked once; a gateway that could not be reached or that refused
// the message is not Unsure.
func TestUnsure(t *testing.T) {
	st := storetest.Open(t, storetest.Options(t, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "unsure")
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int64
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		<-r.Context().Done()
	}))
	defer silent.Close()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Invalid receiver", http.StatusBadRequest)
	}))
	defer refusing.Close()
	send := func(url string) (messaging.Message, error) {
		svc := messaging.New(messaging.Config{Store: st, SMS: &kannel.Client{URL: url, Timeout: 100 * time.Millisecond},
			Attempts: 3, RetryWait: 10 * time.Millisecond})
		return svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "hi"})
	}
	m, err := send(silent.URL)
	if err != nil || m.Status != messaging.StatusFailed || !messaging.Unsure(m) || hits.Load() != 1 {
		t.Fatalf("no answer: %+v, %v, asked %d times; want failed, unsure, asked once", m, err, hits.Load())
	}
	m, err = send(refusing.URL)
	if err != nil || m.Status != messaging.StatusFailed || messaging.Unsure(m) {
		t.Fatalf("refused: %+v, %v; want failed, not unsure", m, err)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	m, err = send(down.URL)
	if !errors.Is(err, messaging.ErrUnreachable) || messaging.Unsure(m) {
		t.Fatalf("unreachable: %+v, %v; want ErrUnreachable, not unsure", m, err)
	}
}

// TestReportAfterNoAnswer: the gateway took a message but its answer
// never came, so the message was failed (and not sent again); the
// delivery report Kannel sends later says what became of it. Delivered
// and then a late failure: it stays delivered. A message failed for
// another reason (the SMSC rejected it) is not revived by a late
// "delivered".
func TestReportAfterNoAnswer(t *testing.T) {
	st := storetest.Open(t, storetest.Options(t, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "late-report")
	if err != nil {
		t.Fatal(err)
	}
	dlrs := make(chan *url.URL, 4)
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, err := url.Parse(r.URL.Query().Get("dlr-url")); err == nil {
			dlrs <- u
		}
		<-r.Context().Done()
	}))
	defer silent.Close()
	svc := messaging.New(messaging.Config{Store: st, SMS: &kannel.Client{URL: silent.URL, Timeout: 100 * time.Millisecond},
		ReportURL: "http://127.0.0.1:1" + messaging.ReportPath})
	var hooked []string
	svc.OnStatus(func(m messaging.Message) { hooked = append(hooked, m.Status) })
	report := func(m messaging.Message, typ int) messaging.Message {
		t.Helper()
		var dlr *url.URL
		select {
		case dlr = <-dlrs:
		default:
			t.Fatal("the gateway was asked for no delivery report")
		}
		dlrs <- dlr // the same report URL again for the next report
		id, err := strconv.ParseInt(dlr.Query().Get("id"), 10, 64)
		if err != nil || id != m.ID {
			t.Fatalf("report URL %s names message %q; want %d", dlr, dlr.Query().Get("id"), m.ID)
		}
		out, err := svc.DeliveryReport(ctx, messaging.Report{ID: id, Token: dlr.Query().Get("token"), Type: typ, Reply: "r"})
		if err != nil {
			t.Fatalf("report type %d: %v", typ, err)
		}
		return out
	}

	m, err := svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550102", Text: "hi"})
	if err != nil || m.Status != messaging.StatusFailed || !messaging.Unsure(m) {
		t.Fatalf("no answer: %+v, %v; want failed and unsure", m, err)
	}
	if got := report(m, kannel.DLRDelivered); got.Status != messaging.StatusDelivered || got.Reason != "" {
		t.Fatalf("delivered report after no answer: %+v; want delivered, no reason", got)
	}
	if got := report(m, kannel.DLRFailed); got.Status != messaging.StatusDelivered {
		t.Fatalf("a late failed report: %+v; want still delivered", got)
	}
	if len(hooked) != 1 || hooked[0] != messaging.StatusDelivered {
		t.Fatalf("status hooks saw %v; want [delivered] once", hooked)
	}
	<-dlrs

	// Buffered at the SMSC after no answer: sent; then rejected: failed
	// with the SMSC's reason, and a late "delivered" does not undo that.
	m, err = svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550103", Text: "hi"})
	if err != nil || !messaging.Unsure(m) {
		t.Fatalf("no answer: %+v, %v", m, err)
	}
	if got := report(m, kannel.DLRBuffered); got.Status != messaging.StatusSent || got.Reason != "" {
		t.Fatalf("buffered report after no answer: %+v; want sent", got)
	}
	if got := report(m, kannel.DLRSMSCReject); got.Status != messaging.StatusFailed || !strings.Contains(got.Reason, "rejected") {
		t.Fatalf("reject: %+v; want failed, rejected", got)
	}
	if got := report(m, kannel.DLRDelivered); got.Status != messaging.StatusFailed {
		t.Fatalf("delivered after a reject: %+v; want still failed", got)
	}

	<-dlrs

	// Failed because the service stopped while sending (as the next
	// start marks it): a delivered report applies too.
	m, err = svc.SendSMS(ctx, messaging.SMS{AccountID: a.ID, To: "+12025550104", Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.UpdateMessageStatus(ctx, a.ID, m.ID, store.MessageUpdate{From: []string{messaging.StatusFailed},
		Status: messaging.StatusFailed, Reason: messaging.ReasonInterrupted}); err != nil {
		t.Fatal(err)
	}
	if ms, err := svc.Messages(ctx, a.ID, []int64{m.ID}); err != nil || len(ms) != 1 || !messaging.Unsure(ms[0]) {
		t.Fatalf("interrupted: %+v, %v; want unsure", ms, err)
	}
	if got := report(m, kannel.DLRDelivered); got.Status != messaging.StatusDelivered {
		t.Fatalf("delivered report after an interrupted send: %+v; want delivered", got)
	}
}
