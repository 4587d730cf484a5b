package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestApprovedTransactionalFlowDialsDNCNumber: on the real Asterisk
// (dials counted by the independent ARI observer), a number on the
// account's DNC list triggered to a transactional flow is scrubbed while
// the flow's version waits for approval, and dialed once the operator
// approved it; a number put on the DNC list after intake, before its
// start time, is dialed too (the dial-time screen honours the exemption);
// once the operator switches the account's transactional messaging off,
// the same DNC number is scrubbed again.
func TestApprovedTransactionalFlowDialsDNCNumber(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	st := a.Store()
	acc, key := dialingAccount(t, a)
	flow := outboundFlow(t, a, key)
	flowID, err := strconv.ParseInt(flow, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountTransactional(ctx, acc.ID, true); err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow+"/transactional", map[string]bool{"transactional": true}); code != http.StatusOK {
		t.Fatalf("mark transactional: %d %s", code, body)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil)
	var v store.FlowVersion
	if code != http.StatusCreated || json.Unmarshal(body, &v) != nil || v.Approval != store.ApprovalPending {
		t.Fatalf("publish: %d %s", code, body)
	}

	areas := []int{201, 206, 303, 305, 404, 503, 512, 602, 617, 646, 702, 713, 718, 773, 813, 858, 917, 972}
	area := fmt.Sprintf("+1%d", areas[rand.IntN(len(areas))])
	dnc, later := area+"5550102", area+"5550113" // both answer
	if _, err := st.AddDNCEntries(ctx, acc.ID, "ndnc.csv", []store.DNCEntry{{Value: dnc}}); err != nil {
		t.Fatal(err)
	}
	type outcome struct {
		RequestID string `json:"request-id"`
		Calls     []struct {
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"calls"`
	}
	trigger := func(start time.Time, number string) outcome {
		t.Helper()
		code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/trigger", map[string]any{"api-version": "1.0", "flow-id": flow,
			"calls": []map[string]any{{"client-identifier": "c", "start-time": start.Format(time.RFC3339), "contact-numbers": []string{number},
				"keys": []map[string]string{{"name": "$flow.key.customer_name", "value": "C"}, {"name": "$flow.key.amount", "value": "5"}}}}})
		var out outcome
		if code != http.StatusOK || json.Unmarshal(body, &out) != nil || len(out.Calls) != 1 {
			t.Fatalf("trigger %s: %d %s", number, code, body)
		}
		return out
	}

	if o := trigger(time.Now(), dnc); o.Calls[0].Status != store.RecordScrubbed {
		t.Fatalf("DNC number while the version waits for approval: %+v, want SCRUBBED", o)
	}

	if _, _, err := st.DecideFlowVersion(ctx, flowID, v.Version, true, "ops@switchyard.test", ""); err != nil {
		t.Fatal(err)
	}
	if o := trigger(time.Now(), dnc); o.Calls[0].Status == store.RecordScrubbed || o.Calls[0].Status == store.RecordInvalid {
		t.Fatalf("DNC number on the approved flow: %+v, want accepted", o)
	}
	// Put on the DNC list after intake, before its start time: the
	// dial-time screen lets it through too.
	if o := trigger(time.Now().Add(4*time.Second), later); o.Calls[0].Status != store.RecordPending {
		t.Fatalf("later number: %+v, want PENDING", o)
	}
	if _, err := st.AddDNCEntries(ctx, acc.ID, "ndnc-2.csv", []store.DNCEntry{{Value: later}}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 45*time.Second, func() bool { return obs.Created()[dnc] == 1 && obs.Created()[later] == 1 },
		"both DNC-listed numbers of the approved transactional flow dialed")
	time.Sleep(2 * time.Second)
	if c := obs.Created(); c[dnc] != 1 || c[later] != 1 {
		t.Errorf("dials (ARI observer): %s %d, %s %d; want exactly one each", dnc, c[dnc], later, c[later])
	}

	// Switched off by the operator: scrubbed again at once.
	if err := st.SetAccountTransactional(ctx, acc.ID, false); err != nil {
		t.Fatal(err)
	}
	if o := trigger(time.Now(), dnc); o.Calls[0].Status != store.RecordScrubbed {
		t.Fatalf("DNC number after the account was switched off: %+v, want SCRUBBED", o)
	}
}
