package flowsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/flows"
)

type connectFunc func(ctx context.Context, fv flows.FlowVersion, from, callerID string) (string, string, error)

func (f connectFunc) Connect(ctx context.Context, fv flows.FlowVersion, from, callerID string) (string, string, error) {
	return f(ctx, fv, from, callerID)
}

// TestConnectAPI: the single-call agent-first API calls From, runs the
// published flow named by Url (or flow_id), and answers the API's Call
// object.
func TestConnectAPI(t *testing.T) {
	var got []string
	e := newEnv(t, func(d *Deps) {
		d.Connect = connectFunc(func(_ context.Context, fv flows.FlowVersion, from, callerID string) (string, string, error) {
			got = append(got, fmt.Sprintf("%d v%d %s %s", fv.FlowID, fv.Version, from, callerID))
			return "chan-9", "att-9", nil
		})
	})
	doc := `{"format":1,"name":"connect","type":"inbound","start":"h","nodes":[{"id":"h","type":"hangup"}]}`
	code, out := e.do(e.key, "POST", "/api/v1/flows", doc)
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	id := fmt.Sprint(out["id"])
	form := func(body string) (int, map[string]any) {
		req := httptest.NewRequest("POST", "/api/v1/calls/connect", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.key)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		var m map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &m)
		return rec.Code, m
	}
	body := "From=%2B919876543210&CallerId=%2B918012345678&Url=http%3A%2F%2Fmy.example%2Fsid%2Fexoml%2Fstart_voice%2F" + id
	if code, out := form(body); code != 422 || !strings.Contains(fmt.Sprint(out), "not published") {
		t.Fatalf("unpublished: %d %v", code, out)
	}
	if code, out := e.do(e.key, "POST", "/api/v1/flows/"+id+"/publish", ""); code != 201 {
		t.Fatalf("publish: %d %v", code, out)
	}
	code, out = form(body)
	call, _ := out["Call"].(map[string]any)
	if code != http.StatusOK || call == nil || call["Sid"] != "chan-9" || call["From"] != "+919876543210" || call["PhoneNumberSid"] != "+918012345678" ||
		call["Direction"] != "outbound-api" || call["Status"] != "in-progress" || call["Uri"] != "/api/v1/calls/att-9/journey" || call["EndTime"] != nil {
		t.Fatalf("connect: %d %v", code, out)
	}
	for _, k := range []string{"Sid", "ParentCallSid", "DateCreated", "DateUpdated", "AccountSid", "To", "From", "PhoneNumberSid", "Status",
		"StartTime", "EndTime", "Duration", "Price", "Direction", "AnsweredBy", "ForwardedFrom", "CallerName", "Uri", "RecordingUrl"} {
		if _, ok := call[k]; !ok {
			t.Errorf("Call lacks %s", k)
		}
	}
	if len(got) != 1 || got[0] != id+" v1 +919876543210 +918012345678" {
		t.Errorf("placed %v", got)
	}
	if code, _ := e.do(e.key, "POST", "/api/v1/calls/connect", `{"From":"+919876543210","flow_id":"`+id+`"}`); code != 200 {
		t.Errorf("JSON with flow_id: %d", code)
	}
	if code, _ := e.do(e.key, "POST", "/api/v1/calls/connect", `{"From":"+919876543210"}`); code != 422 {
		t.Errorf("no flow: %d", code)
	}
	if code, _ := e.do(e.other, "POST", "/api/v1/calls/connect", `{"From":"+919876543210","flow_id":"`+id+`"}`); code != 404 {
		t.Errorf("other account's flow: %d", code)
	}
}
