package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

// TestEmailNotificationThroughRelay: a notification on the email channel
// reaches an SMTP server (the configured outbound relay) with the flow's
// template filled for each recipient, one mail per contact to all of its
// addresses; a contact without email is failed with the reason, and the
// notification is done.
func TestEmailNotificationThroughRelay(t *testing.T) {
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
	})
	ctx := context.Background()
	acc, key := apiAccount(t, a)
	st := a.Store()
	f, err := st.CreateFlow(ctx, acc.ID, store.NewFlow{Name: "Evacuation", Type: "emergency_notification", Draft: []byte(notifyFlow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, acc.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, c := range []map[string]any{
		{"name": "Ann", "phone": "+12025550102", "emails": []string{"ann@example.com", "ann.home@example.com"}},
		{"name": "Bob", "phone": "+12025550103", "emails": []string{"bob@example.com"}},
		{"name": "Cy", "phone": "+12025550104"},
	} {
		code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/contacts", c)
		var out struct {
			ID int64 `json:"id"`
		}
		if code != http.StatusCreated || json.Unmarshal(body, &out) != nil {
			t.Fatalf("contact: %d %s", code, body)
		}
		ids = append(ids, out.ID)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/labels", map[string]any{"name": "All", "members": ids})
	var label struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &label) != nil {
		t.Fatalf("label: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/notify/notifications", map[string]any{
		"flow_id": f.ID, "labels": []int64{label.ID}, "channels": []string{"email"}, "params": map[string]string{"site": "Tower B"}})
	var n struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusAccepted || json.Unmarshal(body, &n) != nil {
		t.Fatalf("send: %d %s", code, body)
	}
	msgs := sink.Wait(t, 2)
	byTo := map[string]string{}
	for _, m := range msgs {
		byTo[strings.Join(m.To, ",")] = string(m.Data)
	}
	ann := byTo["ann@example.com,ann.home@example.com"]
	if !strings.Contains(ann, "Subject: Evacuate Tower B") || !strings.Contains(ann, "Dear Ann, leave Tower B by the stairs.") {
		t.Errorf("Ann's mail:\n%s", ann)
	}
	if !strings.Contains(byTo["bob@example.com"], "Dear Bob,") {
		t.Errorf("Bob's mail: %v", byTo)
	}
	testkit.Eventually(t, 15*time.Second, func() bool {
		got, err := st.GetNotification(ctx, acc.ID, n.ID)
		return err == nil && got.Status == store.NotificationDone
	}, "notification done")
	ds, err := st.ListDeliveries(ctx, acc.ID, n.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range ds {
		got[d.ContactName] = d.Status + " " + d.Reason
	}
	if got["Ann"] != "sent " || got["Bob"] != "sent " || got["Cy"] != "failed the contact has no email address" {
		t.Errorf("deliveries %v", got)
	}
	if len(sink.All()) != 2 {
		t.Errorf("%d mails, want 2", len(sink.All()))
	}
}
