package notifyapi

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows/flowstore"
	"github.com/switchyard/switchyard/notify"
	"github.com/switchyard/switchyard/store"
)

type env struct {
	t   *testing.T
	fx  *apistoretest.Fixture
	svc *notify.Service
}

func newEnv(t *testing.T) *env {
	fx := apistoretest.NewFixture(t)
	svc := notify.New(notify.Config{Store: fx.Store, Calls: intake.New(intake.Config{Store: fx.Store, Flows: &flowstore.Adapter{S: fx.Store}}),
		Messages: notify.FuncMessenger{
			SMS: func(context.Context, notify.SMS) (notify.Message, error) {
				return notify.Message{ID: 1, Status: "sent"}, nil
			},
			Email: func(context.Context, notify.Email) (notify.Message, error) {
				return notify.Message{ID: 2, Status: "sent"}, nil
			},
		}})
	Register(fx.Server.API(), Deps{Service: svc, Store: fx.Store})
	return &env{t: t, fx: fx, svc: svc}
}

func (e *env) raw(key, method, path, ctype string, body []byte) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	rec := httptest.NewRecorder()
	e.fx.Server.Handler().ServeHTTP(rec, req)
	return rec
}

func (e *env) do(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	rec := e.raw(key, method, path, "application/json", []byte(body))
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

func field(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	f, _ := e["field"].(string)
	return f
}

// TestNotifyAPI walks the address book, bulk add, labels, preview, send
// and the report over HTTP, with the other account seeing none of it.
func TestNotifyAPI(t *testing.T) {
	e := newEnv(t)
	key, other := e.fx.Key, e.fx.OtherKey
	code, out := e.do(key, "POST", "/api/v1/notify/contacts", `{"name":"Ann","phone":"+12025550102","emails":["ann@example.com"]}`)
	if code != 201 || out["phone"] != "+12025550102" {
		t.Fatalf("add: %d %v", code, out)
	}
	ann := int64(out["id"].(float64))
	for _, tc := range []struct{ body, field string }{
		{`{"name":"","phone":"+12025550102"}`, "name"},
		{`{"name":"B","phone":"abc"}`, "phone"},
		{`{"name":"B","phone":"+12025550102","emails":["nope"]}`, "emails"},
		{`{"name":"B","phone":"+12025550102","fax":"1"}`, "fax"},
		{`{"name":"B","phone":"+12025550102","labels":[12345]}`, "labels"},
	} {
		if code, out := e.do(key, "POST", "/api/v1/notify/contacts", tc.body); code != 422 || field(out) != tc.field {
			t.Errorf("%s: %d %v; want 422 on %s", tc.body, code, out, tc.field)
		}
	}
	if code, _ := e.do(other, "GET", fmt.Sprintf("/api/v1/notify/contacts/%d", ann), ""); code != 404 {
		t.Fatalf("other account reads the contact: %d", code)
	}
	if code, _ := e.do(key, "GET", "/api/v1/notify/contacts/abc", ""); code != 422 {
		t.Fatalf("bad id: %d", code)
	}
	// The template, then a bulk upload as multipart with a per-row report.
	tpl := e.raw(key, "GET", "/api/v1/notify/contacts/template", "", nil)
	if tpl.Code != 200 || !strings.HasPrefix(tpl.Body.String(), strings.Join(notify.TemplateHeader, ",")) {
		t.Fatalf("template: %d %q", tpl.Code, tpl.Body.String())
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	fw, err := mw.CreateFormFile("file", "book.csv")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(fw, "name,phone,email1\nBob,+12025550103,bob@example.com\nAnn,+12025550102,\nCy,xyz,\n")
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	rec := e.raw(key, "POST", "/api/v1/notify/contacts/bulk?mode=new&strategy=default", mw.FormDataContentType(), mp.Bytes())
	if rec.Code != 200 || rec.Header().Get("X-Created") != "1" || rec.Header().Get("X-Rejected") != "2" {
		t.Fatalf("bulk: %d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
	rows, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][3] != "created" || rows[2][3] != "rejected" || !strings.Contains(rows[3][4], "not a phone number") {
		t.Fatalf("report: %v %v", rows, err)
	}
	rec = e.raw(key, "POST", "/api/v1/notify/contacts/bulk?mode=sideways&strategy=default", "text/csv", []byte("name,phone\nA,+12025550104\n"))
	if rec.Code != 422 || !strings.Contains(rec.Body.String(), `"mode"`) {
		t.Fatalf("bad mode: %d %s", rec.Code, rec.Body.String())
	}
	code, out = e.do(key, "GET", "/api/v1/notify/contacts?filter=bob", "")
	if code != 200 || len(out["contacts"].([]any)) != 1 {
		t.Fatalf("filter: %d %v", code, out)
	}
	bob := int64(out["contacts"].([]any)[0].(map[string]any)["id"].(float64))
	// Labels.
	code, out = e.do(key, "POST", "/api/v1/notify/labels", fmt.Sprintf(`{"name":"Floor 1","members":[%d,%d]}`, ann, bob))
	if code != 201 || out["count"].(float64) != 2 {
		t.Fatalf("label: %d %v", code, out)
	}
	label := int64(out["id"].(float64))
	if code, _ := e.do(key, "POST", "/api/v1/notify/labels", `{"name":"Floor 1"}`); code != 409 {
		t.Fatalf("duplicate label: %d", code)
	}
	if code, out := e.do(other, "POST", "/api/v1/notify/labels", fmt.Sprintf(`{"name":"Mine","members":[%d]}`, ann)); code != 422 {
		t.Fatalf("other account's contact as member: %d %v", code, out)
	}
	// A published emergency flow with a template.
	ctx := context.Background()
	f, err := e.fx.Store.CreateFlow(ctx, e.fx.Account, store.NewFlow{Name: "Fire", Type: "emergency_notification", Draft: []byte(`{"format":1,"name":"Fire",
		"type":"emergency_notification","start":"a","variables":["site"],"notification":{"sms_text":"Leave ${flow.key.site}"},
		"nodes":[{"id":"a","type":"hangup"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.fx.Store.PublishFlow(ctx, e.fx.Account, f.ID); err != nil {
		t.Fatal(err)
	}
	code, out = e.do(key, "GET", "/api/v1/notify/flows", "")
	if code != 200 || len(out["flows"].([]any)) != 1 {
		t.Fatalf("flows: %d %v", code, out)
	}
	body := fmt.Sprintf(`{"flow_id":%d,"labels":[%d],"channels":["sms","voice"],"params":{"site":"HQ"}}`, f.ID, label)
	code, out = e.do(key, "POST", "/api/v1/notify/preview", body)
	if code != 200 || out["sms_text"] != "Leave HQ" || out["recipients"].(float64) != 2 {
		t.Fatalf("preview: %d %v", code, out)
	}
	if code, out := e.do(key, "POST", "/api/v1/notify/preview", fmt.Sprintf(`{"flow_id":%d,"labels":[%d],"channels":["email"],"params":{"site":"HQ"}}`, f.ID, label)); code != 422 || field(out) != "channels" {
		t.Fatalf("email without a template: %d %v", code, out)
	}
	code, out = e.do(key, "POST", "/api/v1/notify/notifications", body)
	if code != 202 || out["status"] != "sending" {
		t.Fatalf("send: %d %v", code, out)
	}
	id := int64(out["id"].(float64))
	if err := e.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	code, out = e.do(key, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d", id), "")
	if code != 200 || len(out["counts"].([]any)) != 2 {
		t.Fatalf("report: %d %v", code, out)
	}
	code, out = e.do(key, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d/deliveries?limit=3", id), "")
	if code != 200 || len(out["deliveries"].([]any)) != 3 || out["next_after"] == nil {
		t.Fatalf("deliveries: %d %v", code, out)
	}
	rec = e.raw(key, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d/report.csv", id), "", nil)
	rows, err = csv.NewReader(rec.Body).ReadAll()
	if rec.Code != 200 || err != nil || len(rows) != 5 || strings.Join(rows[0], ",") != "recipient,channel,destination,status,reason,time" {
		t.Fatalf("report csv: %d %v %v", rec.Code, rows, err)
	}
	if code, _ := e.do(other, "GET", fmt.Sprintf("/api/v1/notify/notifications/%d", id), ""); code != 404 {
		t.Fatalf("other account reads the report: %d", code)
	}
	if code, _ := e.do(key, "DELETE", fmt.Sprintf("/api/v1/notify/labels/%d", label), ""); code != 204 {
		t.Fatalf("delete label: %d", code)
	}
	if code, _ := e.do(key, "DELETE", fmt.Sprintf("/api/v1/notify/contacts/%d", ann), ""); code != 204 {
		t.Fatalf("delete contact: %d", code)
	}
}
