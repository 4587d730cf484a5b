package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/messaging/kannel/kanneltest"
	"github.com/switchyard/switchyard/store"
)

// TestNotificationAllChannelsOnAsterisk is Emergency Notification's whole
// path on the real services: one notification to a label by voice, SMS
// and email. The calls reach the test customers on the real Asterisk
// (each dialed once, counted by an independent ARI observer; the answered
// one delivered, the busy one failed with BUSY); the SMS reach Kannel's
// fake SMSC with the exact text to the exact numbers and Kannel's
// delivery reports turn them delivered; the mails reach the SMTP sink;
// the person whose phone and email are blacklisted gets nothing on any
// channel, and the report says blocked.
func TestNotificationAllChannelsOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	gw := kanneltest.Start(t)
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
		c.KannelURL, c.KannelUser, c.KannelPassword = gw.SendSMSURL, gw.Username, gw.Password
		c.SMSFrom = "ALERTS"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	acc, key := dialingAccount(t, a)
	flow := createFlow(t, a, key, notifyFlow)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	flowID, err := strconv.ParseInt(flow, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// An area code of our own: other tests call the same test lines.
	areas := []int{201, 206, 303, 305, 404, 503, 512, 602, 617, 646, 702, 713, 718, 773, 813, 858, 917, 972}
	area := fmt.Sprintf("+1%d", areas[rand.IntN(len(areas))])
	ann, bob, cy := area+"5550102", area+"5550130", area+"5550103" // answers; busy; answers, but blacklisted
	for _, e := range []map[string]any{{"list": "black", "kind": "phone", "value": cy}, {"list": "black", "kind": "email", "value": "cy@example.com"}} {
		if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists", e); code/100 != 2 {
			t.Fatalf("blacklist %v: %d %s", e, code, body)
		}
	}
	var members []int64
	for _, c := range []map[string]any{
		{"name": "Ann", "phone": ann, "emails": []string{"ann@example.com"}},
		{"name": "Bob", "phone": bob, "emails": []string{"bob@example.com", "bob.home@example.com"}},
		{"name": "Cy", "phone": cy, "emails": []string{"cy@example.com"}},
	} {
		code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/contacts", c)
		var out struct {
			ID int64 `json:"id"`
		}
		if code != http.StatusCreated || json.Unmarshal(body, &out) != nil {
			t.Fatalf("contact: %d %s", code, body)
		}
		members = append(members, out.ID)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/labels", map[string]any{"name": "Tower B", "members": members})
	var label struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &label) != nil {
		t.Fatalf("label: %d %s", code, body)
	}
	send := map[string]any{"flow_id": flowID, "labels": []int64{label.ID}, "channels": []string{"voice", "sms", "email"},
		"params": map[string]string{"site": "Tower B"}}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/notify/preview", send); code != http.StatusOK {
		t.Fatalf("preview: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/notify/notifications", send)
	var n struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusAccepted || json.Unmarshal(body, &n) != nil {
		t.Fatalf("send: %d %s", code, body)
	}

	// SMS: exactly Ann's and Bob's, with the template filled for each.
	got := gw.Wait(t, 2)
	var sms []string
	for _, m := range got {
		sms = append(sms, m.From+" → "+m.To+": "+m.Text)
	}
	sort.Strings(sms)
	wantSMS := []string{"ALERTS → " + ann + ": Ann: evacuate Tower B now", "ALERTS → " + bob + ": Bob: evacuate Tower B now"}
	sort.Strings(wantSMS)
	if strings.Join(sms, "\n") != strings.Join(wantSMS, "\n") {
		t.Errorf("fakesmsc received:\n%s\nwant:\n%s", strings.Join(sms, "\n"), strings.Join(wantSMS, "\n"))
	}
	// Mail: one per person, to all their addresses; none to Cy.
	mails := sink.Wait(t, 2)
	byTo := map[string]string{}
	for _, m := range mails {
		byTo[strings.Join(m.To, ",")] = string(m.Data)
	}
	if !strings.Contains(byTo["ann@example.com"], "Subject: Evacuate Tower B") || !strings.Contains(byTo["ann@example.com"], "Dear Ann, leave Tower B by the stairs.") ||
		!strings.Contains(byTo["bob@example.com,bob.home@example.com"], "Dear Bob,") {
		t.Errorf("mails: %v", byTo)
	}

	testkit.Eventually(t, 90*time.Second, func() bool {
		got, err := a.Store().GetNotification(ctx, acc.ID, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status == store.NotificationDone
	}, "notification done")
	// Kannel's delivery reports come back after the send.
	want := map[string]string{
		"Ann voice": store.DeliveryDelivered, "Ann sms": store.DeliveryDelivered, "Ann email": store.DeliverySent,
		"Bob voice": store.DeliveryFailed, "Bob sms": store.DeliveryDelivered, "Bob email": store.DeliverySent,
		"Cy voice": store.DeliveryBlocked, "Cy sms": store.DeliveryBlocked, "Cy email": store.DeliveryBlocked,
	}
	var last map[string]string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		ds, err := a.Store().ListDeliveries(ctx, acc.ID, n.ID, 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		last = map[string]string{}
		for _, d := range ds {
			last[d.ContactName+" "+d.Channel] = d.Status
			if d.ContactName == "Bob" && d.Channel == "voice" && !strings.Contains(d.Reason, "BUSY") {
				t.Errorf("Bob's call: %s (%s), want failed with BUSY", d.Status, d.Reason)
			}
		}
		if fmt.Sprint(last) == fmt.Sprint(want) {
			break
		}
		if time.Now().After(deadline) {
			var why []string
			for _, d := range ds {
				why = append(why, fmt.Sprintf("%s %s %s: %s (%s)", d.ContactName, d.Channel, d.Destination, d.Status, d.Reason))
			}
			t.Fatalf("deliveries:\n%s\nwant %v", strings.Join(why, "\n"), want)
		}
	}

	// The per-recipient report as CSV.
	code, body = apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/notify/notifications/%d/report.csv", n.ID), nil)
	if code != http.StatusOK || strings.Count(string(body), "\n") != 10 || !strings.Contains(string(body), "sms,"+ann+",delivered") {
		t.Errorf("report CSV: %d\n%s", code, body)
	}
	// Nothing else arrived, and each reachable phone was dialed once.
	time.Sleep(2 * time.Second)
	if n := len(gw.Received()); n != 2 {
		t.Errorf("fakesmsc received %d messages, want 2", n)
	}
	if n := len(sink.All()); n != 2 {
		t.Errorf("the SMTP sink received %d mails, want 2", n)
	}
	for num, w := range map[string]int{ann: 1, bob: 1, cy: 0} {
		if c := obs.Created()[num]; c != w {
			t.Errorf("%s dialed %d times (ARI observer), want %d", num, c, w)
		}
	}
}

// TestSMSCampaignThroughKannel: an sms campaign over an uploaded
// recipients list sends through the real Kannel: its fake SMSC receives
// exactly one message per record, with the record's columns in the text;
// the blacklisted number none. The Detailed Report reads sent / failed
// (BLOCKED), the message log shows Kannel's delivery reports, and the call
// report's SMS filter finds the messages.
func TestSMSCampaignThroughKannel(t *testing.T) {
	gw := kanneltest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.KannelURL, c.KannelUser, c.KannelPassword = gw.SendSMSURL, gw.Username, gw.Password
		c.SMSFrom = "ACME"
	})
	_, key := apiAccount(t, a)
	flow := outboundFlow(t, a, key)
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow+"/dialing", map[string]any{"mode": "campaigns_only"}); code != http.StatusOK {
		t.Fatalf("campaigns_only: %d %s", code, body)
	}
	reqID := uploadList(t, a, key, flow, "ads", "recipients.csv", "numbers,name,code\n+12025550101,Ann,11\n+12025550102,Bob,22\n+12025550104,Dee,44\n")
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists", map[string]any{"list": "black", "kind": "phone", "value": "+12025550104"}); code/100 != 2 {
		t.Fatalf("blacklist: %d %s", code, body)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"type": "sms", "name": "codes", "recipients": []string{reqID}, "simultaneous_calls": 2, "dial_attempts": 1,
		"sms_text": "Hi ${flow.key.name}, your code is $flow.key.code",
	})
	var camp struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &camp) != nil {
		t.Fatalf("create sms campaign: %d %s", code, body)
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d", camp.ID)
	if code, body := apiCall(t, a, key, http.MethodPost, path+"/start", nil); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		_, body := apiCall(t, a, key, http.MethodGet, path, nil)
		return json.Unmarshal(body, &camp) == nil && camp.Status == dialer.StatusFinished
	}, "sms campaign Finished")

	var got []string
	for _, m := range gw.Wait(t, 2) {
		got = append(got, m.From+" → "+m.To+": "+m.Text)
	}
	sort.Strings(got)
	if w := "ACME → +12025550101: Hi Ann, your code is 11\nACME → +12025550102: Hi Bob, your code is 22"; strings.Join(got, "\n") != w {
		t.Errorf("fakesmsc received:\n%s\nwant:\n%s", strings.Join(got, "\n"), w)
	}
	// Kannel's delivery reports reach the message log; the records stay sent.
	testkit.Eventually(t, 15*time.Second, func() bool {
		code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/messages?channel=sms&status=delivered", nil)
		var p struct {
			Messages []store.Message `json:"messages"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &p) != nil {
			t.Fatalf("messages: %d %s", code, body)
		}
		return len(p.Messages) == 2
	}, "both SMS delivered")
	code, body = apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/reports/ads/detailed?campaign=%d", camp.ID), nil)
	var d struct {
		Records []struct {
			Record     string `json:"record"`
			Status     string `json:"status"`
			LastStatus string `json:"last_status"`
		} `json:"records"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &d) != nil {
		t.Fatalf("detailed report: %d %s", code, body)
	}
	var rows []string
	for _, r := range d.Records {
		rows = append(rows, strings.SplitN(r.Record, ",", 2)[0]+" "+r.Status+"/"+r.LastStatus)
	}
	sort.Strings(rows)
	if w := "+12025550101 sent/sent\n+12025550102 sent/sent\n+12025550104 failed/BLOCKED"; strings.Join(rows, "\n") != w {
		t.Errorf("detailed report:\n%s\nwant:\n%s", strings.Join(rows, "\n"), w)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls?sms="+url.QueryEscape("+12025550102"), nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"sms_number":"+12025550102"`) {
		t.Errorf("call report by SMS number: %d %s", code, body)
	}
	if n := len(gw.Received()); n != 2 {
		t.Errorf("fakesmsc received %d messages, want 2", n)
	}
}
