package app_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
)

// TestConsoleSMSCampaignInBrowser: in Chromium, the account holder adds a
// campaign of type SMS: the form swaps the call's fields (trunk, flow,
// extension, queue, mode) for the SMS text; a missing text is refused in
// the form and a variable an SMS cannot hold by the API next to the field;
// the campaign is created, started and runs to Finished, and the daemon's
// SMS gateway got one message per record with the record's columns in it.
func TestConsoleSMSCampaignInBrowser(t *testing.T) {
	gw := &fakeSMSGateway{}
	a, _ := boot(t, func(c *app.Config) { noARI(c); c.SMS = gw })
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	_, key, err := a.Store().CreateAPIKey(ctx, created.Account.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	flow := outboundFlow(t, a, key)
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow+"/dialing", map[string]any{"mode": "campaigns_only"}); code != http.StatusOK {
		t.Fatalf("campaigns_only: %d %s", code, body)
	}
	uploadList(t, a, key, flow, "ads", "sms-codes.csv", "numbers,name,code\n+12025550101,Ann,11\n+12025550102,Bob,22\n")

	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")
	b.open("/campaigns")
	b.waitText("No campaigns yet")
	b.click("Add campaign")
	b.waitText("Permission group")
	b.fill("Campaign type", "sms")
	b.waitJS("the SMS text field, no call fields", `(() => {
		const labels = [...document.querySelectorAll('[role=dialog] label')].map(l => l.innerText.trim());
		return labels.includes('SMS text') && !labels.includes('Permission group') && !labels.includes('Flow') &&
			!labels.includes('Dial to extension') && !labels.includes('Queue') && !labels.includes('Mode');
	})()`, 10*time.Second)
	b.fill("Name", "Codes by SMS")
	b.check("sms-codes.csv")
	b.click("Save")
	b.waitText("Write the SMS text sent to each record.")
	b.fill("SMS text", "Hi $call.cli")
	b.click("Save")
	b.waitJS("the API's error next to the SMS text", `[...document.querySelectorAll('[role=dialog] .field-error')].some(f => f.querySelector('label')?.innerText === 'SMS text' && f.querySelector('.field-err')?.innerText.includes('cannot be used in an SMS'))`, 10*time.Second)
	b.fill("SMS text", "Hi ${flow.key.name}, your code is $flow.key.code")
	b.screenshot("campaign-form-sms")
	b.click("Save")
	b.waitText("Campaign created.")
	b.waitJS("listed as sms", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Codes by SMS') && tr.innerText.includes('sms'))`, 10*time.Second)
	b.click("Start Codes by SMS")
	b.waitJS("campaign Finished", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Codes by SMS') && tr.innerText.includes('Finished') && tr.innerText.includes('2/2 complete') && tr.innerText.includes('2 sent · 0 failed'))`, time.Minute)
	b.noCSPViolations()

	var got []string
	for _, m := range gw.sent() {
		got = append(got, m.To+" "+m.Text)
	}
	sort.Strings(got)
	if want := "+12025550101 Hi Ann, your code is 11|+12025550102 Hi Bob, your code is 22"; strings.Join(got, "|") != want {
		t.Errorf("messages sent: %q, want %q", strings.Join(got, "|"), want)
	}
	// Edit shows the text back.
	b.click("Edit Codes by SMS")
	b.waitJS("text in the edit form", `[...document.querySelectorAll('[role=dialog] textarea')].some(x => x.value === 'Hi $`+`{flow.key.name}, your code is $flow.key.code')`, 10*time.Second)
}
