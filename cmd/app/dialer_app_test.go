package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestMulticastCampaignOnAsterisk: a multicast campaign created and
// started through the API dials its call list on the real Asterisk
// (Local-channel customers), runs the published outbound flow on the
// answered calls, records every attempt, and reaches Finished.
func TestMulticastCampaignOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) { c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password })
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")

	flow := outboundFlow(t, a, key)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	// The customers are lines of the test trunk (the default trunk): two
	// answer (the flow runs: no amount, so it ends at once), one is busy.
	customers := []string{"+12025550100", "+12025550105", "+12025550130"}
	var recs []store.ImportRecord
	for i, n := range customers {
		recs = append(recs, store.ImportRecord{Row: int64(i + 1), ClientIdentifier: n, Numbers: []string{n}, Status: store.RecordPending,
			Variables: map[string]string{"$flow.key.customer_name": "C" + n}})
	}
	req, err := st.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: flow, FlowType: "outbound", Source: store.SourceAPI}, store.ImportRecords(recs))
	if err != nil {
		t.Fatal(err)
	}

	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"name": "reminders", "mode": "multicast", "recipients": []string{req.ID}, "caller_id": "+15551230000",
		"trunk": "test", "simultaneous_calls": 3, "dial_attempts": 1,
		"dial_timeout_ms": 10000, "flow_id": flow,
	})
	if code != http.StatusCreated {
		t.Fatalf("create campaign: %d %s", code, body)
	}
	var camp struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &camp); err != nil || camp.ID == 0 || camp.Status != "Created" {
		t.Fatalf("campaign: %s", body)
	}
	base := fmt.Sprintf("/api/v1/campaigns/%d", camp.ID)
	if code, body := apiCall(t, a, key, http.MethodPost, base+"/start", nil); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		c, err := st.GetCampaign(ctx, acc.ID, camp.ID)
		return err == nil && c.Status == "Finished"
	}, "campaign Finished")

	n, err := st.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
	if err != nil {
		t.Fatal(err)
	}
	if n.Complete != 3 || n.Remaining() != 0 || n.Attempts != 3 || n.ByStatus["IVR_FINISHED"] != 2 || n.ByStatus["BUSY"] != 1 {
		t.Errorf("records: %+v", n)
	}
	code, body = apiCall(t, a, key, http.MethodGet, base+"/progress", nil)
	var prog struct {
		Status    string `json:"status"`
		Dialed    int64  `json:"dialed"`
		Answered  int64  `json:"answered"`
		Remaining int64  `json:"remaining"`
	}
	if err := json.Unmarshal(body, &prog); code != http.StatusOK || err != nil || prog.Status != "Finished" || prog.Dialed != 3 || prog.Answered != 2 || prog.Remaining != 0 {
		t.Errorf("progress: %d %s", code, body)
	}

	// Every dial left an attempt record (CDR) with the dialed customer.
	page, err := st.ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var dnis, statuses []string
	for _, at := range page.Attempts {
		dnis = append(dnis, at.DNIS)
		statuses = append(statuses, at.Status)
		if answered := at.AnsweredAt != nil; answered != (at.DNIS != "+12025550130") || at.ChannelID == "" {
			t.Errorf("attempt %s: answered %v, channel %q", at.DNIS, answered, at.ChannelID)
		}
		if at.DNIS == "+12025550130" && at.HangupCause != 17 {
			t.Errorf("busy customer: hangup cause %d %s, want 17", at.HangupCause, at.HangupCauseText)
		}
		if at.State != store.StateFinished || at.CLI != "+15551230000" || at.AttemptNumber != 1 {
			t.Errorf("attempt %+v", at)
		}
	}
	slices.Sort(dnis)
	slices.Sort(statuses)
	if !slices.Equal(dnis, []string{"+12025550100", "+12025550105", "+12025550130"}) || !slices.Equal(statuses, []string{"BUSY", "IVR_FINISHED", "IVR_FINISHED"}) {
		t.Errorf("attempts: dnis %v statuses %v", dnis, statuses)
	}
}
