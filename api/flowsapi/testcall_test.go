package flowsapi

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

type testCallFunc func(ctx context.Context, fv flows.FlowVersion, number string) (string, error)

func (f testCallFunc) TestCall(ctx context.Context, fv flows.FlowVersion, number string) (string, error) {
	return f(ctx, fv, number)
}

// TestFlowTestCall: a flow's draft can be tried by calling a whitelisted
// number before it is published; other numbers are refused.
func TestFlowTestCall(t *testing.T) {
	var placed []string
	e := newEnv(t, func(d *Deps) {
		d.TestCalls = testCallFunc(func(_ context.Context, fv flows.FlowVersion, number string) (string, error) {
			placed = append(placed, fmt.Sprintf("%d/%d/v%d %s %s", fv.AccountID, fv.FlowID, fv.Version, fv.Flow.Name, number))
			return "chan-1", nil
		})
	})
	doc := `{"format":1,"name":"draft ivr","type":"inbound","start":"h","nodes":[{"id":"h","type":"hangup"}]}`
	code, out := e.do(e.key, "POST", "/api/v1/flows", doc)
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	path := fmt.Sprintf("/api/v1/flows/%v/test-call", out["id"])
	if code, out := e.do(e.key, "POST", path, `{"number":"+919876543210"}`); code != 403 || !strings.Contains(fmt.Sprint(out), "whitelisted") {
		t.Fatalf("not whitelisted: %d %v", code, out)
	}
	if _, err := e.st.AddListEntry(context.Background(), e.acct, store.ListWhite, store.KindPhone, "+919876543210", true); err != nil {
		t.Fatal(err)
	}
	code, out = e.do(e.key, "POST", path, `{"number":"+919876543210"}`)
	if code != 202 || out["call_id"] != "chan-1" || out["draft"] != true || len(placed) != 1 || !strings.HasSuffix(placed[0], "/v0 draft ivr +919876543210") {
		t.Fatalf("test call: %d %v placed %v", code, out, placed)
	}
	if code, _ := e.do(e.key, "POST", path, `{"number":"12"}`); code != 422 {
		t.Errorf("bad number: %d", code)
	}
	if code, _ := e.do(e.other, "POST", path, `{"number":"+919876543210"}`); code != 404 {
		t.Errorf("other account: %d", code)
	}
}

// TestTestCallEvents: the test call's live journey is a Server-Sent
// Events stream of the call's enter, step and end events, the past ones
// first, closed after the end; another account's or an unknown call is
// 404.
func TestTestCallEvents(t *testing.T) {
	live := &flows.LiveSteps{}
	e := newEnv(t, func(d *Deps) { d.Live = live })
	code, out := e.do(e.key, "POST", "/api/v1/flows", `{"format":1,"name":"ivr","type":"inbound","start":"h","nodes":[{"id":"h","type":"hangup"}]}`)
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	flowID := int64(out["id"].(float64))
	path := fmt.Sprintf("/api/v1/flows/%d/test-call/chan-1/events", flowID)
	if code, _ := e.do(e.key, "GET", path, ""); code != 404 {
		t.Fatalf("a call not watched: %d", code)
	}
	live.Open("chan-1", e.acct, flowID)
	live.Publish("chan-1", flows.LiveEvent{Kind: "enter", Node: "h", Type: "hangup"})
	exit := 0
	live.Publish("chan-1", flows.LiveEvent{Kind: "step", Node: "h", Type: "hangup", Step: &flows.Step{Node: "h", Type: "hangup", Exit: &exit}})
	go func() {
		time.Sleep(50 * time.Millisecond)
		live.Publish("chan-1", flows.LiveEvent{Kind: "end", Outcome: "hangup_widget", Status: "IVR_FINISHED"})
	}()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "Bearer "+e.key)
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req) // returns once the flow ended
	body := rec.Body.String()
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: %d %s %q", rec.Code, rec.Header().Get("Content-Type"), body)
	}
	want := []string{"event: enter\ndata: {\"kind\":\"enter\",\"node\":\"h\",\"type\":\"hangup\"}\n\n", "event: step\n", "event: end\ndata: {\"kind\":\"end\",\"outcome\":\"hangup_widget\",\"status\":\"IVR_FINISHED\"}\n\n"}
	at := 0
	for _, w := range want {
		i := strings.Index(body[at:], w)
		if i < 0 {
			t.Fatalf("stream lacks %q after byte %d:\n%s", w, at, body)
		}
		at += i + len(w)
	}
	if code, _ := e.do(e.other, "GET", path, ""); code != 404 {
		t.Errorf("another account: %d", code)
	}
}
