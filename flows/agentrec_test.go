package flows

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/webhooks"
)

type queueFunc func(ctx context.Context, call *ari.Call, req QueueRequest) (QueueResult, error)

func (f queueFunc) Enqueue(ctx context.Context, call *ari.Call, req QueueRequest) (QueueResult, error) {
	return f(ctx, call, req)
}

// TestAgentRecordingMarksCallRecorded: an agent's recording (a queue call
// with agent recording on) makes the call recorded — $call.recordingUri,
// $call.recorded Yes and the journey's (call report's) recorded — when
// the flow itself recorded nothing.
func TestAgentRecordingMarksCallRecorded(t *testing.T) {
	q := queueFunc(func(_ context.Context, _ *ari.Call, _ QueueRequest) (QueueResult, error) {
		return QueueResult{Status: "QUEUE_ANSWER", Outputs: map[string]any{}, Syskeys: map[string]string{},
			CallVars: map[string]string{"agent.connect": "Yes", "agent.recordingUri": "recording:record_agent_1"}}, nil
	})
	e := &Engine{Queue: q}
	r, n := oneNode(t, e, `{"id":"n","type":"queue","params":{"queue":"sales"},"exits":["ok","ok"]}`, nil)
	if _, st := execNode(r, n); st.Error != "" {
		t.Fatalf("queue step: %s", st.Error)
	}
	if v, _ := r.callVar("recorded"); v != "Yes" {
		t.Errorf("$call.recorded = %q, want Yes", v)
	}
	if v, _ := r.callVar("recordingUri"); v != "recording:record_agent_1" {
		t.Errorf("$call.recordingUri = %q", v)
	}
	// A flow recording wins.
	r.callVars = map[string]string{"recordingUri": "recording:flow"}
	execNode(r, n)
	if v := r.callVars["recordingUri"]; v != "recording:flow" {
		t.Errorf("flow recording replaced by %q", v)
	}
}

// TestQueueCarriesCustomerID: the customer id a caller-ID (CRM) widget
// found goes with the call to the agent (the agent gets it as the
// index to the customer's information).
func TestQueueCarriesCustomerID(t *testing.T) {
	var got QueueRequest
	q := queueFunc(func(_ context.Context, _ *ari.Call, req QueueRequest) (QueueResult, error) {
		got = req
		return QueueResult{Status: "QUEUE_ANSWER", Outputs: map[string]any{}, Syskeys: map[string]string{}, CallVars: map[string]string{}}, nil
	})
	r, n := oneNode(t, &Engine{Queue: q}, `{"id":"n","type":"queue","params":{"queue":"sales"},"exits":["ok","ok"]}`, nil)
	r.flowVars["crm_id"] = "0023"
	r.flowVars["plan"] = strings.Repeat("p", 300)
	execNode(r, n)
	if got.CustomerID != "0023" {
		t.Errorf("QueueRequest.CustomerID = %q, want 0023", got.CustomerID)
	}
	// The call's $flow.key.* go with it too (the agent desk shows them),
	// values cut to 256 bytes.
	if got.FlowKeys["crm_id"] != "0023" || len(got.FlowKeys["plan"]) != 256 {
		t.Errorf("QueueRequest.FlowKeys = %v", got.FlowKeys)
	}
}

// TestCRMRequestIsPlainText: the caller-ID widget's POST is plain/text with
// idContact=<id> by default, as the CRM identification contract expects.
func TestCRMRequestIsPlainText(t *testing.T) {
	var ct, body string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ct, body = r.Header.Get("Content-Type"), string(b)
		_, _ = io.WriteString(w, `{"status":"ok","destination":true}`)
	}))
	defer srv.Close()
	e := &Engine{Policy: func(context.Context, int64) webhooks.Policy { return loopback }}
	r, n := oneNode(t, e, `{"id":"n","type":"caller_id","params":{"mode":"true_false","audio":"sound:x","url":"`+srv.URL+`/id"},"exits":["ok","ok"]}`, nil)
	c := *n.cfg.(*callerIDCfg)
	if _, err := r.askCRM(context.Background(), &c, "0023", &Step{Outputs: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ct, "text/plain") || body != "idContact=0023" {
		t.Errorf("CRM request %q %q, want text/plain idContact=0023", ct, body)
	}
}
