package notifyapi

import (
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
)

// TestReportCSVNeutralisesFormulas: the notification report download
// writes a recipient's name, destination and reason so that no cell is
// one a spreadsheet would run as a formula (a phone number stays).
func TestReportCSVNeutralisesFormulas(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f, err := e.fx.Store.CreateFlow(ctx, e.fx.Account, store.NewFlow{Name: "Fire", Type: "emergency_notification",
		Draft: []byte(`{"format":1,"name":"Fire","type":"emergency_notification","start":"a","nodes":[{"id":"a","type":"hangup"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"+", "+1-2", "=1+1", "-3", "@A1", "Ann"}
	var ds []store.Delivery
	for _, n := range names {
		ds = append(ds, store.Delivery{ContactName: n, Channel: store.ChannelSMS, Destination: "+12025550102", Reason: n})
	}
	n, err := e.fx.Store.CreateNotification(ctx, store.Notification{AccountID: e.fx.Account, FlowID: f.ID, FlowName: f.Name,
		Channels: []string{store.ChannelSMS}}, ds)
	if err != nil {
		t.Fatal(err)
	}
	rec := e.raw(e.fx.Key, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d/report.csv", n.ID), "", nil)
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if rec.Code != 200 || err != nil || len(rows) != len(names)+1 {
		t.Fatalf("report csv: %d %v %v", rec.Code, rows, err)
	}
	for i, r := range rows[1:] {
		want := csvout.Cell(names[i])
		if r[0] != want || r[4] != want || r[2] != "+12025550102" {
			t.Errorf("row %d: %q; want recipient and reason %q and the phone number as it is", i+1, r, want)
		}
	}

	// The time is in the account's zone, as in the other reports.
	if err := e.fx.Store.SetAccountTimezone(ctx, e.fx.Account, "Asia/Kolkata"); err != nil {
		t.Fatal(err)
	}
	got, err := e.fx.Store.ListDeliveries(ctx, e.fx.Account, n.ID, 0, 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("deliveries: %+v, %v", got, err)
	}
	rec = e.raw(e.fx.Key, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d/report.csv", n.ID), "", nil)
	rows, err = csv.NewReader(rec.Body).ReadAll()
	if rec.Code != 200 || err != nil || len(rows) < 2 {
		t.Fatalf("report csv: %d %v %v", rec.Code, rows, err)
	}
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	if want := got[0].UpdatedAt.In(kolkata).Format(store.ReportTimeLayout); rows[1][5] != want {
		t.Errorf("time %q; want %q (the account's zone)", rows[1][5], want)
	}
	if rec := e.raw(e.fx.OtherKey, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d/report.csv", n.ID), "", nil); rec.Code != 404 {
		t.Fatalf("other account downloads the report: %d", rec.Code)
	}
}

// TestBulkBadContentType: a bulk add with a Content-Type that is not a
// media type is refused naming the header, not read as a CSV file.
func TestBulkBadContentType(t *testing.T) {
	e := newEnv(t)
	rec := e.raw(e.fx.Key, "POST", "/api/v1/notify/contacts/bulk?mode=new&strategy=default", "multipart/form-data; boundary=", []byte("name,phone\nAnn,+12025550102\n"))
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"field":"Content-Type"`) {
		t.Fatalf("bad content type: %d %s", rec.Code, rec.Body.String())
	}
	if cs, err := e.fx.Store.ListContacts(context.Background(), e.fx.Account, store.ContactFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("contacts %+v, %v; want none", cs, err)
	}
}
