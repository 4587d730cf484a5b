package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/store"
)

// TestConsoleAccountTimeZone: an owner changes the account's time zone
// through the API with a console session; /auth/me and GET
// /account/time-zone show it at once, and what reads the zone follows it
// (a request's status report writes its start times in the new zone). A
// zone that does not exist is refused naming the field; a scheduler reads
// the zone but may not change it.
func TestConsoleAccountTimeZone(t *testing.T) {
	a, _ := boot(t, noARI)
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "owner")
	if _, err := a.Store().AddListEntry(t.Context(), c.id, store.ListWhite, store.KindIPv4, "127.0.0.1", false); err != nil {
		t.Fatal(err)
	}
	code, body := apiCall(t, a, c.key, http.MethodPost, "/api/v1/calllists/trigger", map[string]any{"api-version": "1.0", "flow-id": c.campaignFlw,
		"calls": []map[string]any{{"client-identifier": "c1", "start-time": "2036-12-31T10:00:00Z", "contact-numbers": []string{"+12025550104"},
			"keys": []map[string]string{{"name": "$flow.key.customer_name", "value": "C"}}}}})
	var tr struct {
		RequestID string `json:"request-id"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &tr) != nil || tr.RequestID == "" {
		t.Fatalf("trigger: %d %s", code, body)
	}
	owner := newClient(t, a)
	mustCode(t, "owner login", owner.login("owner@acme.test", "correct horse battery"), 200)
	for _, tc := range []struct {
		zone, start string
	}{
		{"Asia/Kolkata", "2036-12-31T15:30:00+05:30"},
		{" Europe/Berlin ", "2036-12-31T11:00:00+01:00"},
	} {
		r := owner.do("PUT", "/api/v1/account/time-zone", map[string]string{"time_zone": tc.zone}, true)
		mustCode(t, "set "+tc.zone, r, 200)
		want := strings.TrimSpace(tc.zone)
		var got struct {
			TimeZone string `json:"time_zone"`
		}
		if r.json(t, &got); got.TimeZone != want {
			t.Fatalf("stored %q, want %q", got.TimeZone, want)
		}
		var me meBody
		owner.do("GET", "/api/v1/auth/me", nil, false).json(t, &me)
		if me.Account == nil || me.Account.TimeZone != want {
			t.Errorf("/auth/me after the change: %+v", me.Account)
		}
		rep := owner.do("GET", "/api/v1/calllists/requests/"+tr.RequestID+"/report.csv", nil, false)
		if rep.code != 200 || !strings.Contains(string(rep.body), ","+tc.start+",") {
			t.Errorf("status report in %s: %d %s, want start time %s", want, rep.code, rep.body, tc.start)
		}
	}
	for _, bad := range []string{"Mars/Olympus", "", "Local", "europe/berlin", "../../etc/passwd"} {
		r := owner.do("PUT", "/api/v1/account/time-zone", map[string]string{"time_zone": bad}, true)
		if r.code != 422 || !strings.Contains(string(r.body), `"field":"time_zone"`) {
			t.Errorf("zone %q: %d %s, want 422 on time_zone", bad, r.code, r.body)
		}
	}
	code, body = apiCall(t, a, c.key, http.MethodGet, "/api/v1/account/time-zone", nil)
	if code != 200 || !strings.Contains(string(body), `"Europe/Berlin"`) {
		t.Errorf("GET after the refused changes: %d %s", code, body)
	}
	sched := newClient(t, a)
	if _, err := a.Store().CreateUser(t.Context(), store.NewUser{AccountID: c.id, Email: "sched@acme.test", Name: "Sam Scheduler",
		Role: store.RoleScheduler, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	mustCode(t, "scheduler login", sched.login("sched@acme.test", "correct horse battery"), 200)
	mustCode(t, "scheduler reads", sched.do("GET", "/api/v1/account/time-zone", nil, false), 200)
	mustCode(t, "scheduler may not change", sched.do("PUT", "/api/v1/account/time-zone", map[string]string{"time_zone": "UTC"}, true), 403)
}
