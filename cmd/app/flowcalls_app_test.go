package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// testArea is a US area code of the test's own (none of those other tests
// draw from): calls other tests place to the same test-trunk lines on the
// shared Asterisk are not counted.
func testArea() string {
	areas := []int{212, 213, 214, 215, 216, 217, 224, 225, 228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256,
		260, 262, 267, 269, 270, 281, 301, 302, 304, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320}
	return fmt.Sprintf("+1%d", areas[rand.IntN(len(areas))])
}

func createFlow(t *testing.T, a *app.App, key, doc string) string {
	t.Helper()
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", []byte(doc))
	if code != http.StatusCreated {
		t.Fatalf("create flow: %d %s", code, body)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 {
		t.Fatalf("create flow: %s", body)
	}
	return strconv.FormatInt(created.ID, 10)
}

func finishedAttempt(t *testing.T, st *store.Store, acct int64, dnis string) store.Attempt {
	t.Helper()
	var at store.Attempt
	testkit.Eventually(t, 45*time.Second, func() bool {
		page, err := st.ListAttempts(context.Background(), store.AttemptFilter{AccountID: acct, Limit: 50})
		if err != nil {
			return false
		}
		for _, x := range page.Attempts {
			if x.DNIS == dnis && x.State == store.StateFinished {
				at = x
				return true
			}
		}
		return false
	}, "%s", "the attempt to "+dnis+" finished")
	return at
}

// reportFlow is the flow id of an attempt in the call report.
func reportFlow(t *testing.T, a *app.App, key, attemptID string) string {
	t.Helper()
	_, body := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls?limit=100", nil)
	var rep struct {
		Rows []struct {
			AttemptID string `json:"attempt_id"`
			FlowID    string `json:"flow_id"`
		} `json:"rows"`
	}
	_ = json.Unmarshal(body, &rep)
	for _, r := range rep.Rows {
		if r.AttemptID == attemptID {
			return r.FlowID
		}
	}
	return ""
}

// TestFlowTestCallOnAsterisk: POST /flows/{id}/test-call calls a
// whitelisted number through the daemon and the real Asterisk and runs
// the flow's draft before it is published: the test line (+1 NXX 555
// 0113, answers and presses 3) is dialed once, the draft's gather widget
// reads the 3, the attempt is recorded against the flow with its journey,
// and the flow stays unpublished. A number that is not whitelisted is
// refused with 403 and never dialed.
func TestFlowTestCallOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.OTPEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	testkit.Eventually(t, 15*time.Second, obs.Connected, "observer connected")
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")
	area := testArea()
	number, stranger := area+"5550113", area+"5550102"
	if _, err := st.AddListEntry(ctx, acc.ID, store.ListWhite, store.KindPhone, number, true); err != nil {
		t.Fatal(err)
	}
	flow := createFlow(t, a, key, `{"format":1,"name":"Survey draft","type":"outbound_multicast","start":"ask","variables":["choice"],
	  "nodes":[
	    {"id":"ask","type":"gather","params":{"min_digits":1,"max_digits":1,"timeout":8,"variable":"$flow.key.choice"},"exits":["end","end"]},
	    {"id":"end","type":"hangup","params":{"cause":16}}]}`)

	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/test-call", map[string]string{"number": stranger})
	if code != http.StatusForbidden || !strings.Contains(string(body), "not a whitelisted number") {
		t.Fatalf("test call to a number not whitelisted: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/test-call", map[string]string{"number": number})
	if code != http.StatusAccepted {
		t.Fatalf("test call: %d %s", code, body)
	}
	var view struct {
		CallID string `json:"call_id"`
		Number string `json:"number"`
		Draft  bool   `json:"draft"`
	}
	if err := json.Unmarshal(body, &view); err != nil || view.CallID == "" || view.Number != number || !view.Draft {
		t.Fatalf("test call answer %s", body)
	}
	at := finishedAttempt(t, st, acc.ID, number)
	if at.Status != "IVR_FINISHED" || at.DTMF != "3" || reportFlow(t, a, key, at.ID) != flow {
		t.Errorf("attempt: status %s dtmf %q flow %s", at.Status, at.DTMF, reportFlow(t, a, key, at.ID))
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"node":"ask"`) || !strings.Contains(string(body), `"flow_version":0`) {
		t.Errorf("journey: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+flow, nil)
	var f struct {
		PublishedVersion int `json:"published_version"`
	}
	_ = json.Unmarshal(body, &f)
	if code != http.StatusOK || f.PublishedVersion != 0 {
		t.Errorf("the flow after its test call: %d %s", code, body)
	}
	dialed := obs.Dialed()
	if dialed[number] != 1 || dialed[stranger] != 0 {
		t.Errorf("dialed %v: want %s once and %s never", dialed, number, stranger)
	}
}

// TestConnectAPIOnAsterisk: POST /calls/connect (the single-call
// agent-first API) through the daemon and the real Asterisk: From (the
// agent, the silent test line +1 NXX 555 0100) is called through the agent
// endpoint; once the agent answers the published flow runs and its
// transfer widget calls the customer (+1 NXX 555 0102, answers, hangs up
// after 2 s) and bridges them. Each number is dialed once; the answer is
// the API's {"Call": {...}} object whose Uri is the agent call's journey,
// which shows the customer connected. The flow records the call: its call log
// webhook's RecordingUrl ($call.recordingUri) downloads the recording.
func TestConnectAPIOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.AgentEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	testkit.Eventually(t, 15*time.Second, obs.Connected, "observer connected")
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")
	area := testArea()
	agent, customer, callerID := area+"5550100", area+"5550102", area+"5550199"
	// The call log: after the conversation the flow posts the Passthru
	// applet's fields, the recording's among them, to the CRM.
	if _, err := st.GrantHTTPPolicy(ctx, acc.ID, true, []string{"127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	logs := make(chan map[string]string, 2)
	crm := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		logs <- m
	}))
	t.Cleanup(crm.Close)
	flow := createFlow(t, a, key, `{"format":1,"name":"Connect the lead","type":"inbound","start":"lead","settings":{"record_call":true},
	  "nodes":[
	    {"id":"lead","type":"transfer","params":{"endpoint":"Local/`+customer+`@test-trunk","caller_id":"`+callerID+`","timeout":20},"exits":["log","log","log","log","log"]},
	    {"id":"log","type":"webhook","params":{"url":"`+crm.URL+`/log","method":"POST","body_type":"json",
	      "body":{"CallSid":"$call.cdr","From":"$call.dnis","DialWhomNumber":"`+customer+`","RecordingUrl":"$call.recordingUri"}},"exits":["end","end"]},
	    {"id":"end","type":"hangup","params":{"cause":16}}]}`)
	// Not published yet: refused, nobody called.
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calls/connect", map[string]string{"From": agent, "CallerId": callerID, "flow_id": flow}); code != http.StatusUnprocessableEntity {
		t.Fatalf("connect to an unpublished flow: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish: %d %s", code, body)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calls/connect",
		map[string]string{"From": agent, "CallerId": callerID, "Url": "http://my.switchyard/acme/exoml/start_voice/" + flow})
	if code != http.StatusOK {
		t.Fatalf("connect: %d %s", code, body)
	}
	var out struct {
		Call struct {
			Sid, From, To, Status, Direction, Uri string
			RecordingUrl                          *string
		}
	}
	if err := json.Unmarshal(body, &out); err != nil || out.Call.Sid == "" || out.Call.From != agent || out.Call.To != callerID ||
		out.Call.Status != "in-progress" || out.Call.Direction != "outbound-api" || !strings.HasPrefix(out.Call.Uri, "/api/v1/calls/") {
		t.Fatalf("connect answer %s", body)
	}
	at := finishedAttempt(t, st, acc.ID, agent)
	// Answered, and connected to the customer (the transfer's status).
	if at.Status != "IN_ANSWER" || reportFlow(t, a, key, at.ID) != flow {
		t.Errorf("agent's attempt: status %s flow %s", at.Status, reportFlow(t, a, key, at.ID))
	}
	if "/api/v1/calls/"+at.ID+"/journey" != out.Call.Uri {
		t.Errorf("Uri %s, agent attempt %s", out.Call.Uri, at.ID)
	}
	code, body = apiCall(t, a, key, http.MethodGet, out.Call.Uri, nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"node":"lead"`) || !strings.Contains(string(body), customer) {
		t.Errorf("journey: %d %s", code, body)
	}
	if at.BillsecMS < 2000 {
		t.Errorf("agent's call lasted %d ms: the customer talks 2 s", at.BillsecMS)
	}
	var log map[string]string
	select {
	case log = <-logs:
	case <-time.After(10 * time.Second):
		t.Fatal("no call log")
	}
	if log["CallSid"] != at.ID || log["From"] != agent || !strings.HasPrefix(log["RecordingUrl"], "http://"+a.Addr()+"/recordings/call_") {
		t.Errorf("call log %v", log)
	}
	var status int
	testkit.Eventually(t, 15*time.Second, func() bool {
		resp, err := http.Get(log["RecordingUrl"])
		if err != nil {
			return false
		}
		resp.Body.Close()
		status = resp.StatusCode
		return status == http.StatusOK
	}, "the call's recording downloadable from the call log's RecordingUrl")
	dialed := obs.Dialed()
	if dialed[agent] != 1 || dialed[customer] != 1 {
		t.Errorf("dialed %v: want the agent %s and the customer %s once each", dialed, agent, customer)
	}
}
