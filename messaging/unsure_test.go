package messaging_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
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
