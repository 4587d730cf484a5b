package app_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/messaging"
	"github.com/switchyard/switchyard/messaging/kannel/kanneltest"
	"github.com/switchyard/switchyard/store"
)

// TestConsoleMessagesInBrowser: in a real Chromium, the account holder
// opens Messages and sees the SMS and email the account sent through a
// real Kannel and the SMTP sink, with their statuses (delivered once
// Kannel's report came back, sent, blocked by the blacklist with the
// reason); filters by channel and status; and downloads the log as CSV.
func TestConsoleMessagesInBrowser(t *testing.T) {
	gw := kanneltest.Start(t)
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.KannelURL, c.KannelUser, c.KannelPassword = gw.SendSMSURL, gw.Username, gw.Password
	})
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	acc := created.Account.ID
	if _, err := a.Store().AddListEntry(ctx, acc, store.ListBlack, store.KindPhone, "+12025550199", false); err != nil {
		t.Fatal(err)
	}
	svc := a.Messaging()
	sms, err := svc.SendSMS(ctx, messaging.SMS{AccountID: acc, To: "+12025550102", Text: "Your appointment is at 10:00",
		Source: messaging.Source{Kind: messaging.SourceCampaign, ID: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendSMS(ctx, messaging.SMS{AccountID: acc, To: "+12025550199", Text: "Never sent"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendEmail(ctx, messaging.Email{AccountID: acc, To: []string{"ann@example.com"}, Subject: "Outage", Text: "Power is back.",
		Source: messaging.Source{Kind: messaging.SourceNotification, ID: 2}}); err != nil {
		t.Fatal(err)
	}
	gw.Wait(t, 1)
	sink.Wait(t, 1)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms, err := svc.Messages(ctx, acc, []int64{sms.ID})
		if err != nil {
			t.Fatal(err)
		}
		if ms[0].Status == messaging.StatusDelivered {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SMS not delivered: %+v", ms[0])
		}
		time.Sleep(100 * time.Millisecond)
	}

	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")
	b.click("Messages")
	row := func(parts ...string) string {
		var conds []string
		for _, p := range parts {
			conds = append(conds, "tr.innerText.includes("+strconv.Quote(p)+")")
		}
		return `[...document.querySelectorAll('tbody tr')].some(tr => ` + strings.Join(conds, " && ") + `)`
	}
	b.waitJS("three messages", `document.querySelectorAll('tbody tr').length === 3`, 20*time.Second)
	b.waitJS("the delivered SMS", row("+12025550102", "Your appointment is at 10:00", "delivered", "Campaign 5"), 10*time.Second)
	b.waitJS("the blocked SMS", row("+12025550199", "blocked", "blacklisted"), 10*time.Second)
	b.waitJS("the mail", row("ann@example.com", "Outage — Power is back.", "sent", "Notification 2"), 10*time.Second)
	b.screenshot("messages")

	b.fill("Channel", "sms")
	b.fill("Status", "blocked")
	b.click("Search")
	b.waitJS("only the blocked SMS", `document.querySelectorAll('tbody tr').length === 1 && `+row("+12025550199", "blocked"), 10*time.Second)
	b.screenshot("messages-blocked")
	b.click("Clear")
	b.waitJS("all again", `document.querySelectorAll('tbody tr').length === 3`, 10*time.Second)

	b.click("Download csv")
	csv := string(b.waitDownload(".csv"))
	for _, want := range []string{"id,created_at,updated_at,channel,to,subject,body,status,reason,source,source_id,source_ref",
		",sms,+12025550102,,Your appointment is at 10:00,delivered,,campaign,5,", ",sms,+12025550199,,Never sent,blocked,blacklisted,,,",
		",email,ann@example.com,Outage,Power is back.,sent,,notification,2,"} {
		if !strings.Contains(csv, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csv)
		}
	}
	b.noCSPViolations()
}
