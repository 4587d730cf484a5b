package messagingapi

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/store"
)

type env struct {
	t  *testing.T
	fx *apistoretest.Fixture
}

func (e *env) get(key, path string) (int, string) {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	e.fx.Server.Handler().ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// TestMessagesAPI: the log lists the account's messages newest first,
// by every filter, in pages; the CSV has every matching message with
// formula cells neutralised; another account sees none of them; bad
// filters are client errors naming the field.
func TestMessagesAPI(t *testing.T) {
	fx := apistoretest.NewFixture(t)
	Register(fx.Server.API(), Deps{Store: fx.Store, Now: func() time.Time { return time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) }})
	e := &env{t: t, fx: fx}
	ctx := context.Background()
	var ids []int64
	for _, m := range []store.Message{
		{Channel: store.ChannelSMS, To: "+12025550102", Body: "=HYPERLINK(\"http://x\")", Status: store.MessageDelivered, SourceKind: "flow", SourceID: 3, SourceRef: "att-1"},
		{Channel: store.ChannelEmail, To: "ann@example.com", Subject: "Hi", Body: "Hello", Status: store.MessageSent, SourceKind: "notification", SourceID: 9},
		{Channel: store.ChannelSMS, To: "+12025550199", Body: "x", Status: store.MessageBlocked, Reason: "blacklisted", SourceKind: "campaign", SourceID: 4},
	} {
		m.AccountID = fx.Account
		out, err := fx.Store.CreateMessage(ctx, m)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, out.ID)
	}
	if _, err := fx.Store.CreateMessage(ctx, store.Message{AccountID: fx.Other, Channel: store.ChannelSMS, To: "+12025550102", Body: "other", Status: store.MessageSent}); err != nil {
		t.Fatal(err)
	}
	type page struct {
		Messages []store.Message `json:"messages"`
		Next     int64           `json:"next_before_id"`
	}
	list := func(key, q string) page {
		t.Helper()
		code, body := e.get(key, "/api/v1/messages"+q)
		var p page
		if code != http.StatusOK || json.Unmarshal([]byte(body), &p) != nil {
			t.Fatalf("list %s: %d %s", q, code, body)
		}
		return p
	}
	for _, tc := range []struct {
		q    string
		want []int64
	}{
		{"", []int64{ids[2], ids[1], ids[0]}},
		{"?channel=sms", []int64{ids[2], ids[0]}},
		{"?to=%2B1%20202-555-0102", []int64{ids[0]}},
		{"?to=ANN@example.com", []int64{ids[1]}},
		{"?status=blocked", []int64{ids[2]}},
		{"?source=flow&source_id=3", []int64{ids[0]}},
		{"?from=2000-01-01&to_date=2999-01-01", []int64{ids[2], ids[1], ids[0]}},
		{"?to_date=2000-01-01", nil},
		{"?limit=2", []int64{ids[2], ids[1]}},
		{"?before_id=" + strconv.FormatInt(ids[1], 10), []int64{ids[0]}},
	} {
		p := list(fx.Key, tc.q)
		var got []int64
		for _, m := range p.Messages {
			got = append(got, m.ID)
		}
		if len(got) != len(tc.want) || (len(got) > 0 && (got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1])) {
			t.Errorf("%q: %v; want %v", tc.q, got, tc.want)
		}
	}
	if p := list(fx.Key, "?limit=2"); p.Next != ids[1] {
		t.Errorf("next page after %d; want %d", p.Next, ids[1])
	}
	if p := list(fx.OtherKey, ""); len(p.Messages) != 1 || p.Messages[0].Body != "other" {
		t.Errorf("other account sees %+v", p.Messages)
	}
	for _, tc := range []struct{ q, field string }{
		{"?channel=fax", "channel"}, {"?status=lost", "status"}, {"?source=robot", "source"}, {"?source_id=x", "source_id"},
		{"?before_id=-1", "before_id"}, {"?limit=0", "limit"}, {"?limit=5000", "limit"}, {"?from=yesterday", "from"},
		{"?from=2026-12-07&to_date=2026-12-01", "to_date"},
	} {
		code, body := e.get(fx.Key, "/api/v1/messages"+tc.q)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, `"field":"`+tc.field+`"`) {
			t.Errorf("%s: %d %s; want 422 on %s", tc.q, code, body, tc.field)
		}
	}

	code, body := e.get(fx.Key, "/api/v1/messages.csv?channel=sms")
	if code != http.StatusOK {
		t.Fatalf("csv: %d %s", code, body)
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(csvHeader, ",") {
		t.Fatalf("csv rows %v", rows)
	}
	if rows[2][6] != "'=HYPERLINK(\"http://x\")" || rows[2][4] != "+12025550102" || rows[2][7] != "delivered" || rows[1][8] != "blacklisted" {
		t.Errorf("csv %v", rows)
	}
	if code, body := e.get(fx.Key, "/api/v1/messages.csv?limit=1"); code != http.StatusOK || strings.Count(body, "\n") != 2 {
		t.Errorf("csv limit 1: %d %q", code, body)
	}
}
