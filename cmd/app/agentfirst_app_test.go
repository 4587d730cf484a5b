package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
)

// TestAgentFirstRecordedCallLogThroughDaemon (real Asterisk): an agent-first
// campaign set up over the API only — a mobile agent whose calls are recorded
// (the silent test line +1 NXX 555 0100, rung through the agent endpoint), a
// queue, lead and call-log webhooks — calls the agent, dials the lead (+1 NXX
// 555 0102, answers, hangs up after 2 s) from the agent's call, and sends the
// call log with the Passthru parameters' RecordingUrl — the conversation's
// signed download URL, which downloads the agent recording without an API key
// — and RecordingAvailableBy. The customer's attempt in the call report is
// recorded with that recording.
func TestAgentFirstRecordedCallLogThroughDaemon(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.AgentEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")
	if _, err := st.GrantHTTPPolicy(ctx, acc.ID, true, []string{"127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	area := testArea()
	agentNumber, customer, callerID := area+"5550100", area+"5550102", area+"5550199"

	var mu sync.Mutex
	leads := 0
	var logs []url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/log" {
			logs = append(logs, r.URL.Query())
			return
		}
		if leads++; leads == 1 {
			_, _ = w.Write([]byte(customer))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	must := func(method, path string, body any, want int) []byte {
		t.Helper()
		code, out := apiCall(t, a, key, method, path, body)
		if code != want {
			t.Fatalf("%s %s: %d %s", method, path, code, out)
		}
		return out
	}
	must(http.MethodPut, "/api/v1/webhooks/next-lead", map[string]any{"method": "GET", "url": srv.URL + "/lead"}, http.StatusOK)
	must(http.MethodPut, "/api/v1/webhooks/crm-log", map[string]any{"method": "GET", "url": srv.URL + "/log"}, http.StatusOK)
	var ag struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(must(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Ann", "login_type": "mobile", "number": agentNumber, "record": true}, http.StatusCreated), &ag)
	must(http.MethodPost, "/api/v1/agents/"+strconv.FormatInt(ag.ID, 10)+"/login", nil, http.StatusOK)
	must(http.MethodPost, "/api/v1/queues", map[string]any{"name": "sales", "strategy": "ring-all", "members": []int64{ag.ID},
		"ring_timeout_secs": 15, "timeout_secs": 120}, http.StatusCreated)
	var camp struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(must(http.MethodPost, "/api/v1/campaigns", map[string]any{"name": "Leads", "type": "telephone", "mode": "agent_first",
		"queue": "sales", "caller_id": callerID, "simultaneous_calls": 1, "dial_attempts": 1,
		"lead_webhook": "next-lead", "log_webhook": "crm-log"}, http.StatusCreated), &camp)
	must(http.MethodPost, "/api/v1/campaigns/"+strconv.FormatInt(camp.ID, 10)+"/start", nil, http.StatusOK)

	var log url.Values
	testkit.Eventually(t, 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(logs) == 0 {
			return false
		}
		log = logs[0]
		return true
	}, "the call log")
	link := log.Get("RecordingUrl")
	prefix := "http://" + a.Addr() + "/recordings/record_agent_" + strconv.FormatInt(acc.ID, 10) + "_" + strconv.FormatInt(ag.ID, 10) + "_"
	if log.Get("DialCallStatus") != "completed" || log.Get("DialWhomNumber") != customer || !strings.HasPrefix(link, prefix) {
		t.Fatalf("call log %v (want RecordingUrl %s…)", log, prefix)
	}
	if _, err := time.Parse("Mon, 02 Jan 2006 15:04:05", log.Get("RecordingAvailableBy")); err != nil {
		t.Errorf("RecordingAvailableBy %q: %v", log.Get("RecordingAvailableBy"), err)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "audio/gsm" {
		t.Errorf("RecordingUrl download: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls", nil)
	var rep struct {
		Rows []struct {
			DNIS         string `json:"dnis"`
			Recorded     bool   `json:"recorded"`
			RecordingURI string `json:"recording_uri"`
		} `json:"rows"`
	}
	_ = json.Unmarshal(body, &rep)
	found := false
	for _, r := range rep.Rows {
		if r.DNIS == customer {
			found = r.Recorded && strings.HasPrefix(r.RecordingURI, prefix)
		}
	}
	if code != http.StatusOK || !found {
		t.Errorf("call report: %d %s", code, body)
	}
}
