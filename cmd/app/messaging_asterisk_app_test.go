package app_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/messaging/kannel/kanneltest"
	"github.com/switchyard/switchyard/store"
)

// TestSMSAndEmailWidgetsOnAsterisk: a published outbound flow with an sms
// and an email widget calls a test customer who answers on the real
// Asterisk. The SMS reaches Kannel's fake SMSC with the exact text, to the
// customer's number; Kannel's delivery report comes back to the daemon's
// /sms/dlr and makes it "delivered"; the mail reaches the SMTP sink; the
// call report finds the call by its SMS number and by its email; the
// message log lists both, as JSON and CSV.
func TestSMSAndEmailWidgetsOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	gw := kanneltest.Start(t)
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
		c.KannelURL, c.KannelUser, c.KannelPassword = gw.SendSMSURL, gw.Username, gw.Password
		c.SMSFrom = "ACME"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	_, key := dialingAccount(t, a)
	flow := createFlow(t, a, key, `{"format":1,"name":"Reminder by SMS and mail","type":"outbound_multicast","start":"sms",
	  "variables":["customer_name","mail_to"],
	  "nodes":[
	    {"id":"sms","type":"sms","params":{"text":"Hi ${flow.key.customer_name}, your payment of $12 is due on 2026-12-31."},"exits":["mail","mail"]},
	    {"id":"mail","type":"email","params":{"to":"$flow.key.mail_to","subject":"Payment reminder for ${flow.key.customer_name}",
	      "text":"Dear ${flow.key.customer_name},\nwe just called $call.dnis about your payment."},"exits":["bye","bye"]},
	    {"id":"bye","type":"hangup"}]}`)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish flow: %d %s", code, body)
	}
	// An area code of our own: other tests call the same test lines.
	areas := []int{201, 206, 303, 305, 404, 503, 512, 602, 617, 646, 702, 713, 718, 773, 813, 858, 917, 972}
	number := fmt.Sprintf("+1%d5550102", areas[rand.IntN(len(areas))]) // answers, hangs up after 2 s
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/trigger", map[string]any{"api-version": "1.0", "flow-id": flow,
		"calls": []map[string]any{{"client-identifier": "ann", "start-time": time.Now().Format(time.RFC3339), "contact-numbers": []string{number},
			"keys": []map[string]string{{"name": "$flow.key.customer_name", "value": "Ann"}, {"name": "$flow.key.mail_to", "value": "ann@example.com"}}}}})
	if code != http.StatusOK {
		t.Fatalf("trigger: %d %s", code, body)
	}

	wantText := "Hi Ann, your payment of $12 is due on 2026-12-31."
	got := gw.Wait(t, 1)
	if got[0].To != number || got[0].Text != wantText || got[0].From != "ACME" {
		t.Errorf("fakesmsc got %+v; want %q from ACME to %s", got[0], wantText, number)
	}
	mails := sink.Wait(t, 1)
	if len(mails[0].To) != 1 || mails[0].To[0] != "ann@example.com" || !strings.Contains(string(mails[0].Data), "Subject: Payment reminder for Ann") ||
		!strings.Contains(string(mails[0].Data), "we just called "+number+" about your payment.") {
		t.Errorf("mail to %v:\n%s", mails[0].To, mails[0].Data)
	}

	// The message log: the SMS delivered (Kannel's report came back), the
	// mail sent, both from the flow.
	type logPage struct {
		Messages []store.Message `json:"messages"`
	}
	var sms store.Message
	testkit.Eventually(t, 15*time.Second, func() bool {
		code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/messages?channel=sms&to="+url.QueryEscape(number), nil)
		var p logPage
		if code != http.StatusOK || json.Unmarshal(body, &p) != nil || len(p.Messages) != 1 {
			return false
		}
		sms = p.Messages[0]
		return sms.Status == store.MessageDelivered
	}, "the SMS delivered")
	if sms.Body != wantText || sms.SourceKind != "flow" || fmt.Sprint(sms.SourceID) != flow || sms.SourceRef == "" {
		t.Errorf("SMS in the log: %+v", sms)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/messages?channel=email&status=sent&source=flow&source_id="+flow, nil)
	var mp logPage
	if code != http.StatusOK || json.Unmarshal(body, &mp) != nil || len(mp.Messages) != 1 || mp.Messages[0].To != "ann@example.com" ||
		mp.Messages[0].Subject != "Payment reminder for Ann" || mp.Messages[0].SourceRef != sms.SourceRef {
		t.Errorf("email in the log: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/messages.csv?source=flow", nil)
	if code != http.StatusOK || !strings.HasPrefix(string(body), "id,created_at,updated_at,channel,to,") ||
		!strings.Contains(string(body), ",sms,"+number+`,,"`+wantText+`",delivered,`) || !strings.Contains(string(body), ",email,ann@example.com,") {
		t.Errorf("messages.csv: %d\n%s", code, body)
	}

	// The call report finds the call by the SMS number and by the email.
	for _, q := range []string{"sms=" + url.QueryEscape(number), "email=ann@example.com"} {
		testkit.Eventually(t, 15*time.Second, func() bool {
			code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls?"+q, nil)
			var rep struct {
				Rows []struct {
					AttemptID string `json:"attempt_id"`
					SMSNumber string `json:"sms_number"`
					Email     string `json:"email"`
				} `json:"rows"`
			}
			if code != http.StatusOK {
				t.Fatalf("report %s: %d %s", q, code, body)
			}
			if err := json.Unmarshal(body, &rep); err != nil {
				t.Fatalf("report %s: %v %s", q, err, body)
			}
			return len(rep.Rows) == 1 && rep.Rows[0].SMSNumber == number && rep.Rows[0].Email == "ann@example.com" && rep.Rows[0].AttemptID == sms.SourceRef
		}, "the call report row of "+q)
	}
	if n := len(gw.Received()); n != 1 {
		t.Errorf("fakesmsc received %d messages; want 1", n)
	}
}
