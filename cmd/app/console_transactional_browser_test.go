package app_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
)

// TestConsoleTransactionalInBrowser: in a real Chromium, the account
// holder requests transactional messaging in the account settings; the
// operator enables it on the Accounts screen (asked first); the holder
// marks a flow transactional and publishes it, which submits it (nothing
// goes live); the operator reviews the change in Flow approvals and
// approves it; the holder sees the version approved and live.
func TestConsoleTransactionalInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	if _, _, err := a.Accounts().CreateOperator(ctx, "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, created.Account.ID, "setup")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	flowID, err := strconv.ParseInt(createFlow(t, a, key, string(doc)), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	flow := func() store.Flow {
		t.Helper()
		f, err := a.Store().GetFlow(ctx, created.Account.ID, flowID)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}

	b := newBrowser(t, a, 1366, 768)
	logout := func() {
		t.Helper()
		b.click("Log out")
		b.waitText("Log in")
	}

	// The account holder asks for it.
	b.login("owner@acme.test", "correct horse battery")
	b.open("/settings")
	b.waitText("Transactional messaging")
	b.waitText("Not enabled")
	b.click("Request transactional messaging")
	b.waitText("Requested: our operations team will send you the extended contract.")
	b.waitText("You requested it")
	b.screenshot("transactional-requested")
	logout()

	// The operator sees the request and enables it.
	b.login("ops@switchyard.test", "operator password")
	b.waitJS("requested shown", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('requested'))`, 20*time.Second)
	b.click("Enable transactional messaging for acme")
	b.waitText(`Enable transactional messaging for "acme"?`)
	b.click("Enable transactional messaging")
	b.waitText(`Transactional messaging enabled for "acme".`)
	b.waitJS("enabled shown", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('enabled'))`, 10*time.Second)
	if acc, err := a.Store().GetAccount(ctx, created.Account.ID); err != nil || !acc.TransactionalMessaging {
		t.Fatalf("account after the operator enabled it: %+v %v", acc, err)
	}
	logout()

	// The holder marks the flow transactional and publishes: submitted.
	b.login("owner@acme.test", "correct horse battery")
	b.open("/flows")
	b.waitText("Payment reminder")
	b.waitJS("tick transactional", `(() => {
		const i = document.querySelector('input[aria-label="Transactional Payment reminder"]');
		if (!i) return false;
		if (!i.checked && !document.querySelector('[role=dialog]')) i.click();
		return true;
	})()`, 20*time.Second)
	b.waitText(`Mark "Payment reminder" transactional?`)
	b.click("Mark transactional")
	b.waitText(`"Payment reminder" is transactional: publish it to submit it for approval.`)
	b.waitJS("ticked", `document.querySelector('input[aria-label="Transactional Payment reminder"]')?.checked === true`, 10*time.Second)
	b.click("Publish Payment reminder")
	b.waitText(`Submit the draft of "Payment reminder" for approval`)
	b.click("Submit for approval")
	b.waitText(`Submitted "Payment reminder" version 1 for approval: it goes live once approved.`)
	if f := flow(); !f.Transactional || f.PublishedVersion != 0 {
		t.Fatalf("flow after submitting: transactional %v, live version %d", f.Transactional, f.PublishedVersion)
	}
	b.waitJS("list shows it waiting", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Payment reminder') && tr.innerText.includes('none approved') && tr.innerText.includes('awaiting approval'))`, 10*time.Second)
	b.click("Versions of Payment reminder")
	b.waitJS("awaiting approval", `[...document.querySelectorAll('[role=dialog] tbody tr')].some(tr => tr.innerText.includes('v1') && tr.innerText.includes('awaiting approval') && tr.innerText.includes('owner@acme.test'))`, 10*time.Second)
	b.screenshot("transactional-awaiting-approval")
	b.click("Close")
	logout()

	// The operator reviews and approves it.
	b.login("ops@switchyard.test", "operator password")
	b.click("Flow approvals")
	b.waitJS("approvals open", `document.querySelector('main h1')?.innerText === 'Flow approvals'`, 20*time.Second)
	b.waitJS("pending listed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('Payment reminder') && tr.innerText.includes('v1') && tr.innerText.includes('owner@acme.test'))`, 20*time.Second)
	b.click("Review Payment reminder version 1")
	b.waitText("no version is live yet")
	b.waitJS("diff shown", `document.querySelectorAll('[role=dialog] .diff .diff-add').length > 5`, 10*time.Second)
	b.screenshot("operator-flow-approval")
	b.click("Whole JSON")
	b.waitJS("json shown", `document.querySelector('[role=dialog] pre.json')?.innerText.includes('"Payment reminder"')`, 10*time.Second)
	b.click("Approve")
	b.waitText(`Approve version 1 of "Payment reminder" (acme)?`)
	b.click("Approve")
	b.waitText(`Version 1 of "Payment reminder" approved: it is live.`)
	b.waitText("Nothing waits for approval.")
	if f := flow(); f.PublishedVersion != 1 {
		t.Fatalf("live version after approval: %d", f.PublishedVersion)
	}
	b.noCSPViolations()
	logout()

	// The holder sees it approved and live.
	b.login("owner@acme.test", "correct horse battery")
	b.open("/flows")
	b.click("Versions of Payment reminder")
	b.waitJS("approved", `[...document.querySelectorAll('[role=dialog] tbody tr')].some(tr => tr.innerText.includes('v1 (live)') && tr.innerText.includes('approved'))`, 10*time.Second)
	b.screenshot("flow-versions-approved")
	b.noCSPViolations()

	if code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+strconv.FormatInt(flowID, 10)+"/versions/current", nil); code != http.StatusOK {
		t.Fatalf("current version after approval: %d %s", code, body)
	}
}
