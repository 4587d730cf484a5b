package messaging_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// FuzzReportHandler: whatever query reaches the delivery-report endpoint,
// it answers without panicking, and without the message's token it never
// changes the message (the endpoint fails closed).
func FuzzReportHandler(f *testing.F) {
	f.Add("id=1&token=x&type=1")
	f.Add("id=1&type=2&smsc_id=abc&reply=NACK")
	f.Add("id=-5&token=&type=99")
	f.Add("id=99999999999999999999&type=1")
	f.Add("%zz")
	st := storetest.Open(f, storetest.Options(f, store.DriverSQLite))
	ctx := context.Background()
	a, err := st.CreateAccount(ctx, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	m, err := st.CreateMessage(ctx, store.Message{AccountID: a.ID, Channel: store.ChannelSMS, To: "+12025550102", Body: "x",
		Status: store.MessageSent, TokenHash: "0000000000000000000000000000000000000000000000000000000000000000"})
	if err != nil {
		f.Fatal(err)
	}
	h := messaging.New(messaging.Config{Store: st}).ReportHandler()
	f.Fuzz(func(t *testing.T, raw string) {
		req := httptest.NewRequest(http.MethodGet, messaging.ReportPath, nil)
		req.URL.RawQuery = raw
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK {
			t.Fatalf("query %q accepted without the token", raw)
		}
		got, err := st.MessageByID(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.MessageSent || got.GatewayID != "" {
			t.Fatalf("query %q changed the message: %+v", raw, got)
		}
	})
}
