package flowsapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

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
