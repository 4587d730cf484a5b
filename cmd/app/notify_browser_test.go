package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/store"
)

// notifyFlow is an emergency notification flow with an SMS and email
// template and two parameters (contact_name filled per recipient).
const notifyFlow = `{"format":1,"name":"Evacuation","type":"emergency_notification","start":"say",
 "variables":["site","contact_name"],
 "notification":{"sms_text":"${flow.key.contact_name}: evacuate ${flow.key.site} now",
  "email_subject":"Evacuate ${flow.key.site}","email_text":"Dear ${flow.key.contact_name}, leave ${flow.key.site} by the stairs."},
 "nodes":[{"id":"say","type":"play","params":{"media":["sound:hello-world"]}}]}`

// TestConsoleNotifyInBrowser: in a real Chromium the account holder adds
// a person on the Address Book (a national number made E.164), bulk adds
// a CSV with the Default Strategy and gets the per-row report downloaded
// (the duplicate name and phone and the bad number rejected with their
// reasons), makes a label with the filter and "→ →", previews a
// notification (recipients per channel, the SMS and email rendered for
// one recipient, the call), cancels, previews again and sends; the report
// lists every recipient on every channel, the voice calls are on the
// flow's call list with the parameters, and the CSV report downloads.
func TestConsoleNotifyInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	acc := created.Account.ID
	st := a.Store()
	if err := st.SetAccountCountry(ctx, acc, "US"); err != nil {
		t.Fatal(err)
	}
	f, err := st.CreateFlow(ctx, acc, store.NewFlow{Name: "Evacuation", Type: "emergency_notification", Draft: []byte(notifyFlow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, acc, f.ID); err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csvFile, []byte("name,phone,email1,labels\n"+
		"Bob Builder,+1 202 555 0103,bob@example.com,\n"+
		"Cy Twombly,2025550104,,\n"+
		"Ann Example,+12025550102,,\n"+
		"Di Bad,12ab,,\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")
	// The flow editor shows the notification template of the flow.
	b.open(fmt.Sprintf("/flow-editor?id=%d", f.ID))
	b.waitJS("template in the editor", `(() => { const t = document.querySelector('[aria-label="Notification SMS text"]'); return !!t && t.value.includes('evacuate ${flow.key.site} now'); })()`, 20*time.Second)

	b.open("/notify/address-book")
	b.waitText("The address book is empty")
	b.click("Add new")
	b.fill("Name", "Ann Example")
	b.fill("Phone", "(202) 555-0102")
	b.fill("Email 1", "not-an-email")
	b.click("Save")
	b.waitJS("bad email next to the field", `[...document.querySelectorAll('[role=dialog] .field-err')].some(e => e.innerText.includes('not a valid email address'))`, 10*time.Second)
	b.fill("Email 1", "ann@example.com")
	b.click("Save")
	b.waitJS("Ann listed in E.164", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Ann Example') && tr.innerText.includes('+12025550102'))`, 10*time.Second)

	b.click("Bulk add address")
	b.fill("Mode", "new")
	b.fill("Strategy", "default")
	b.run("choose the CSV", chromedp.SetUploadFiles(chromedp.CSS(`[role=dialog] input[type=file]`), []string{csvFile}))
	b.click("Upload")
	b.waitText("Created 2, updated 0, rejected 2.")
	report := string(b.waitDownload("address-book-upload-report.csv"))
	// The report echoes each row as given; a phone written "+1 202 …" is
	// quoted (') so a spreadsheet does not read it as a formula.
	for _, want := range []string{"1,Bob Builder,'+1 202 555 0103,created", "3,Ann Example,+12025550102,rejected", "already exists", "4,Di Bad,12ab,rejected"} {
		if !strings.Contains(report, want) {
			t.Errorf("bulk report lacks %q:\n%s", want, report)
		}
	}
	b.screenshot("notify-bulk")
	b.click("Close")
	b.waitJS("three people", `document.querySelectorAll('tbody tr').length === 3`, 10*time.Second)

	b.open("/notify/labels")
	b.click("Add label")
	b.fill("Label name", "Floor 1")
	b.fill("Filter people", "bob")
	b.waitJS("filtered to Bob", `document.querySelectorAll('[aria-label="Address book people"] li').length === 1`, 10*time.Second)
	b.click("Add Bob Builder")
	b.fill("Filter people", "")
	b.click("Add all")
	b.waitJS("all three in the label", `document.querySelectorAll('[aria-label="People in the label"] li').length === 3`, 10*time.Second)
	b.screenshot("notify-label")
	b.click("Save")
	b.waitJS("label listed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Floor 1') && tr.innerText.includes('3'))`, 10*time.Second)

	b.open("/notify/send")
	b.waitJS("the flow offered", `[...document.querySelectorAll('option')].some(o => o.innerText === 'Evacuation')`, 20*time.Second)
	b.fill("Notification flow", jsEval[string](b, "flow option", `[...document.querySelectorAll('option')].find(o => o.innerText === 'Evacuation').value`))
	b.check("Floor 1")
	b.check("Voice")
	b.check("Email")
	b.click("Preview")
	b.waitJS("missing parameter named", `[...document.querySelectorAll('.field-err')].some(e => e.innerText.includes('enter the parameter "site"'))`, 10*time.Second)
	b.fill("site", "Tower B")
	b.click("Preview")
	b.waitJS("preview", `(() => { const p = document.querySelector('[aria-label=Preview]'); return !!p && p.innerText.includes('3 recipients') && p.innerText.includes('Evacuate Tower B') && p.innerText.includes('Dear Ann Example, leave Tower B by the stairs.') && p.innerText.includes('Calls +12025550102'); })()`, 10*time.Second)
	// Email: two of the three have an address.
	if got := jsEval[string](b, "email row", `[...document.querySelectorAll('[aria-label=Preview] tbody tr')].map(r => r.innerText.replace(/\s+/g, ' ').trim()).join('|')`); got != "Voice 3 0|Email 2 1" {
		t.Errorf("preview channel rows %q", got)
	}
	b.screenshot("notify-preview")
	b.click("Cancel")
	b.waitJS("preview closed", `!document.querySelector('[aria-label=Preview]')`, 10*time.Second)
	b.click("Preview")
	b.waitJS("preview again", `!!document.querySelector('[aria-label=Preview]')`, 10*time.Second)
	b.click("Send")
	b.waitText("is being sent.")
	b.waitJS("report of every recipient and channel", `document.querySelectorAll('tbody tr').length === 6 && ![...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('pending') || tr.innerText.includes('sending'))`, 30*time.Second)
	b.waitJS("Cy has no email", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Cy Twombly') && tr.innerText.includes('failed') && tr.innerText.includes('no email address'))`, 10*time.Second)
	b.screenshot("notify-report")
	ns, err := st.ListNotifications(ctx, acc, 10)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications %v, %v", ns, err)
	}
	ds, err := st.ListDeliveries(ctx, acc, ns[0].ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var voiceReq string
	for _, d := range ds {
		if d.Channel == "voice" {
			if d.Status != store.DeliverySent || d.RequestID == "" {
				t.Errorf("voice delivery %+v: want sent on a call list", d)
			}
			voiceReq = d.RequestID
		}
	}
	recs, err := st.ListCallListRecords(ctx, acc, voiceReq, 0, 10)
	if err != nil || len(recs) != 3 || recs[0].Variables["site"] != "Tower B" || recs[0].Variables["contact_name"] == "" {
		t.Fatalf("call list %s: %+v, %v", voiceReq, recs, err)
	}
	b.click("Download CSV")
	csvReport := string(b.waitDownload(fmt.Sprintf("notification-%d-report.csv", ns[0].ID)))
	if !strings.HasPrefix(csvReport, "recipient,channel,destination,status,reason,time") || strings.Count(csvReport, "\n") != 7 {
		t.Errorf("CSV report:\n%s", csvReport)
	}
	b.noCSPViolations()
}
