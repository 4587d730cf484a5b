package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// TestTriggeredListDialsItself is the product path as a new user meets
// it: a published outbound flow, a list triggered through the HTTP API
// with start time now, and nothing else — no campaign. Every number is
// dialed exactly once (counted by an independent ARI observer, not by our
// own database) through the default trunk (the test trunk), the request
// summary moves Scheduled/In process → Completed by itself, and the call
// report has each outcome. A record whose start time is ahead is not
// dialed. On SQLite and PostgreSQL.
func TestTriggeredListDialsItself(t *testing.T) {
	info := asterisktest.Require(t)
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			dbURL := ""
			if driver == store.DriverPostgres {
				dbURL = storetest.Options(t, driver).URL
			}
			obs := asterisktest.Observe(t, info)
			a, _ := boot(t, func(c *app.Config) {
				c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
				c.DatabaseURL = dbURL
			})
			testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
			ctx := context.Background()
			st := a.Store()
			acc, key := dialingAccount(t, a)
			flow := outboundFlow(t, a, key)
			if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
				t.Fatalf("publish flow: %d %s", code, body)
			}

			// An area code of our own (an assigned one: lists validate
			// numbers), so calls other tests place to the same test lines
			// on the shared Asterisk are not counted.
			areas := []int{201, 206, 303, 305, 404, 503, 512, 602, 617, 646, 702, 713, 718, 773, 813, 858, 917, 972}
			area := fmt.Sprintf("+1%d", areas[rand.IntN(len(areas))])
			want := map[string]string{ // number → final status
				area + "5550102": "IVR_FINISHED", // answers, hangs up after 2 s
				area + "5550113": "IVR_FINISHED", // answers, presses 3
				area + "5550130": "BUSY",
				area + "5550132": "CONGESTION",
			}
			later := area + "5550101"
			trigger := func(start time.Time, numbers ...string) string {
				t.Helper()
				var calls []map[string]any
				for i, n := range numbers {
					calls = append(calls, map[string]any{"client-identifier": fmt.Sprintf("c%d", i), "start-time": start.Format(time.RFC3339),
						"contact-numbers": []string{n}, "keys": []map[string]string{{"name": "$flow.key.customer_name", "value": "C"}}})
				}
				code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/trigger",
					map[string]any{"api-version": "1.0", "flow-id": flow, "calls": calls})
				var out struct {
					RequestID string `json:"request-id"`
					Accepted  int    `json:"accepted"`
				}
				if code != http.StatusOK || json.Unmarshal(body, &out) != nil || out.Accepted != len(numbers) {
					t.Fatalf("trigger: %d %s", code, body)
				}
				return out.RequestID
			}
			var numbers []string
			for n := range want {
				numbers = append(numbers, n)
			}
			aheadID := trigger(time.Now().Add(time.Hour), later)
			reqID := trigger(time.Now(), numbers...)

			type summary struct {
				Status    string `json:"status"`
				Completed int64  `json:"records_completed"`
				Added     int64  `json:"records_added"`
			}
			get := func(id string) summary {
				t.Helper()
				code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/calllists/requests/"+id, nil)
				var s summary
				if code != http.StatusOK || json.Unmarshal(body, &s) != nil {
					t.Fatalf("request %s: %d %s", id, code, body)
				}
				return s
			}
			seen := map[string]bool{}
			testkit.Eventually(t, 30*time.Second, func() bool {
				s := get(reqID)
				seen[s.Status] = true
				return s.Status == "Completed"
			}, "request Completed")
			if s := get(reqID); s.Completed != int64(len(want)) || s.Added != int64(len(want)) {
				t.Errorf("summary %+v, want %d completed", s, len(want))
			}
			t.Logf("request statuses seen while polling: %v", seen)
			// No second dial afterwards either.
			time.Sleep(2 * time.Second)
			for n := range want {
				if c := obs.Created()[n]; c != 1 {
					t.Errorf("%s dialed %d times (ARI observer), want exactly once", n, c)
				}
			}
			if c := obs.Created()[later]; c != 0 {
				t.Errorf("%s (start time in an hour) dialed %d times", later, c)
			}
			if s := get(aheadID); s.Status != "Scheduled" || s.Completed != 0 {
				t.Errorf("request starting in an hour: %+v, want Scheduled", s)
			}

			// The call report: one attempt per number, with its outcome.
			page, err := st.ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, at := range page.Attempts {
				if _, dup := got[at.DNIS]; dup {
					t.Errorf("two attempts for %s", at.DNIS)
				}
				got[at.DNIS] = at.Status
				t.Logf("attempt %s: %s cause %d %s reason %q channel %q", at.DNIS, at.Status, at.HangupCause, at.HangupCauseText, at.FinishReason, at.ChannelID)
			}
			for n, s := range want {
				if got[n] != s {
					t.Errorf("attempt of %s: status %q, want %q (all: %v)", n, got[n], s, got)
				}
			}
			// The request's status report: every record COMPLETE after one attempt.
			code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/calllists/requests/"+reqID+"/report.csv", nil)
			if code != http.StatusOK {
				t.Fatalf("report.csv: %d %s", code, body)
			}
			for n := range want {
				if !strings.Contains(string(body), ","+n+","+n+",COMPLETE,") {
					t.Errorf("report.csv: %s is not COMPLETE:\n%s", n, body)
				}
			}
			// The call report shows each outcome.
			code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls.csv", nil)
			if code != http.StatusOK {
				t.Fatalf("calls.csv: %d %s", code, body)
			}
			for n, s := range want {
				found := false
				for _, line := range strings.Split(string(body), "\n") {
					if strings.Contains(line, n) && strings.Contains(line, s) {
						found = true
					}
				}
				if !found {
					t.Errorf("calls.csv has no %s line for %s:\n%s", s, n, body)
				}
			}
		})
	}
}

// TestUploadIsAutoDialed: an uploaded CSV goes through the same automatic
// dialing as a trigger (the flow's dialing campaign is created at its
// first list, Running on the test trunk); while Asterisk is away it claims
// nothing (an unavailable Asterisk means wait: no record is used up on a
// call that cannot be placed — TestTriggeredListDialsItself proves the
// claim and the dial on a real Asterisk); with the flow set to
// campaigns_only, a triggered list stays Scheduled. No Asterisk needed.
func TestUploadIsAutoDialed(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	flow := outboundFlow(t, a, key)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	if _, err := st.GetFlowCampaign(ctx, acc.ID, flow); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a flow without lists has a dialing campaign: %v", err)
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "list.csv")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(fw, "tel1,client-identifier,$flow.key.customer_name\n+12025550102,c1,Ann\n+12025550103,c2,Bob\n")
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/calllists/uploads?flow_id="+flow, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var up struct {
		Files []struct {
			Request *store.CallListRequest `json:"request"`
			Error   string                 `json:"error"`
		} `json:"files"`
	}
	err = json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(up.Files) != 1 || up.Files[0].Request == nil || up.Files[0].Request.Added != 2 {
		t.Fatalf("upload: %d %+v %v", resp.StatusCode, up, err)
	}
	id := up.Files[0].Request.ID
	sc, err := st.GetFlowCampaign(ctx, acc.ID, flow)
	if err != nil || sc.Status != "Running" || sc.Trunk != "test" {
		t.Fatalf("flow dialing campaign after the upload: %+v %v", sc, err)
	}
	time.Sleep(1500 * time.Millisecond) // several pacing steps
	if r, err := st.GetCallListRequest(ctx, acc.ID, id); err != nil || r.Status != store.RequestScheduled {
		t.Fatalf("uploaded list while Asterisk is away: %+v %v (want Scheduled: nothing claimed)", r, err)
	}

	// campaigns_only: the next list waits for a hand-made campaign.
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow+"/dialing", map[string]any{"mode": "campaigns_only"}); code != http.StatusOK {
		t.Fatalf("campaigns_only: %d %s", code, body)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/trigger", map[string]any{"api-version": "1.0", "flow-id": flow,
		"calls": []map[string]any{{"client-identifier": "c3", "start-time": time.Now().Format(time.RFC3339), "contact-numbers": []string{"+12025550104"},
			"keys": []map[string]string{{"name": "$flow.key.customer_name", "value": "C"}}}}})
	var tr struct {
		RequestID string `json:"request-id"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &tr) != nil || tr.RequestID == "" {
		t.Fatalf("trigger: %d %s", code, body)
	}
	time.Sleep(2 * time.Second) // several pacing steps
	if r, err := st.GetCallListRequest(ctx, acc.ID, tr.RequestID); err != nil || r.Status != store.RequestScheduled {
		t.Errorf("list of a campaigns_only flow: %+v %v, want Scheduled", r, err)
	}
	// A hand-made campaign can take it.
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/campaigns", map[string]any{"name": "by hand", "recipients": []string{tr.RequestID},
		"simultaneous_calls": 1, "flow_id": flow})
	if code != http.StatusCreated {
		t.Errorf("campaign over the list: %d %s", code, body)
	}
}

// dialingAccount makes the account "acme" with an API key, and 127.0.0.1
// whitelisted, for a test that dials on the shared Asterisk. Channel ids
// are derived from account, record and attempt: an account id of its own
// (after a random number of others) keeps them apart from other tests'
// calls there (a clash is refused with 409).
func dialingAccount(t *testing.T, a *app.App) (store.Account, string) {
	t.Helper()
	ctx := context.Background()
	st := a.Store()
	for i := range 5 + rand.IntN(200) {
		if _, err := st.CreateAccount(ctx, fmt.Sprintf("filler-%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	return apiAccount(t, a)
}

// apiAccount makes the account "acme" with an API key, and 127.0.0.1
// whitelisted (the HTTP test client's address).
func apiAccount(t *testing.T, a *app.App) (store.Account, string) {
	t.Helper()
	ctx := context.Background()
	st := a.Store()
	acc, err := st.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddListEntry(ctx, acc.ID, store.ListWhite, store.KindIPv4, "127.0.0.1", false); err != nil {
		t.Fatal(err)
	}
	return acc, key
}
