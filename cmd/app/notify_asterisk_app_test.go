package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestVoiceNotificationReachesCustomers: an emergency notification sent
// by voice to a label reaches the test customers on the real Asterisk
// through the flow's call list and its automatic dialing: every number is
// dialed exactly once (counted by an independent ARI observer), the
// answered call is delivered and the busy line failed with BUSY in the
// per-recipient report, and the notification is done.
func TestVoiceNotificationReachesCustomers(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	acc, key := dialingAccount(t, a)
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", []byte(notifyFlow))
	var created struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &created) != nil {
		t.Fatalf("create flow: %d %s", code, body)
	}
	flow := strconv.FormatInt(created.ID, 10)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	// An area code of our own, so calls other tests place to the same
	// test lines are not counted.
	areas := []int{201, 206, 303, 305, 404, 503, 512, 602, 617, 646, 702, 713, 718, 773, 813, 858, 917, 972}
	area := fmt.Sprintf("+1%d", areas[rand.IntN(len(areas))])
	want := map[string]string{area + "5550102": store.DeliveryDelivered, area + "5550130": store.DeliveryFailed}
	var members []int64
	for n := range want {
		code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/contacts", map[string]any{"name": "Customer " + n[len(n)-4:], "phone": n})
		var c struct {
			ID int64 `json:"id"`
		}
		if code != http.StatusCreated || json.Unmarshal(body, &c) != nil {
			t.Fatalf("add contact: %d %s", code, body)
		}
		members = append(members, c.ID)
	}
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/notify/labels", map[string]any{"name": "Everyone", "members": members})
	var label struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &label) != nil {
		t.Fatalf("label: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/notify/notifications", map[string]any{
		"flow_id": created.ID, "labels": []int64{label.ID}, "channels": []string{"voice"}, "params": map[string]string{"site": "Tower B"}})
	var n struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusAccepted || json.Unmarshal(body, &n) != nil {
		t.Fatalf("send: %d %s", code, body)
	}
	testkit.Eventually(t, 60*time.Second, func() bool {
		code, body := apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/notify/notifications/%d", n.ID), nil)
		var rep struct {
			Status string `json:"status"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &rep) != nil {
			t.Fatalf("report: %d %s", code, body)
		}
		return rep.Status == store.NotificationDone
	}, "notification done")
	ds, err := a.Store().ListDeliveries(ctx, acc.ID, n.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Status != want[d.Destination] {
			t.Errorf("%s: %s (%s), want %s", d.Destination, d.Status, d.Reason, want[d.Destination])
		}
		if d.Destination == area+"5550130" && !strings.Contains(d.Reason, "BUSY") {
			t.Errorf("busy line's reason %q", d.Reason)
		}
	}
	time.Sleep(2 * time.Second)
	for num := range want {
		if c := obs.Created()[num]; c != 1 {
			t.Errorf("%s dialed %d times (ARI observer), want exactly once", num, c)
		}
	}
}
