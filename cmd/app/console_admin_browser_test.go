package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
)

// withCarrierTrunk boots on the test Asterisk with a second operator trunk
// (carrier) beside the shipped test trunk.
func withCarrierTrunk(t *testing.T) func(*app.Config) {
	return func(c *app.Config) {
		info := asterisktest.Require(t)
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.Trunks = app.DefaultTrunks + ",carrier=PJSIP/{number}@carrier"
	}
}

// TestConsoleAdminScreensInBrowser walks, in Chromium against the daemon on
// the real Asterisk, the account screens of the remaining console gaps: the
// account time zone (an unknown zone is refused next to the field, a good
// one is saved); a campaign with an accountcode and a trunk picked from the
// operator's trunks, run to the end and found by its accountcode;
// Statistics by Campaign listing it but not the hidden campaign of a
// flow's automatic dialing; and a flow's dialing settings with their trunk
// picked from the same list.
func TestConsoleAdminScreensInBrowser(t *testing.T) {
	a, _ := boot(t, withCarrierTrunk(t))
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "owner")
	b := newBrowser(t, a, 1366, 768)
	b.login("owner@acme.test", "correct horse battery")

	// Account settings: the time zone is editable; the API's error shows
	// next to the field.
	b.open("/settings")
	b.waitText("Time zone")
	b.fill("Time zone", "Mars/Olympus")
	b.click("Save")
	b.waitJS("time zone error next to the field", `[...document.querySelectorAll('.field-error')].some(f => f.querySelector('label')?.innerText === 'Time zone' && f.querySelector('.field-err')?.innerText.includes('not a known IANA time zone'))`, 10*time.Second)
	b.screenshot("settings-time-zone-error")
	b.fill("Time zone", "Asia/Kolkata")
	b.click("Save")
	b.waitText("Time zone set to Asia/Kolkata.")
	b.screenshot("settings-time-zone")
	if code, body := apiCall(t, a, c.key, http.MethodGet, "/api/v1/account/time-zone", nil); code != 200 || !strings.Contains(string(body), `"Asia/Kolkata"`) {
		t.Fatalf("time zone after saving: %d %s", code, body)
	}
	b.waitJS("session follows the zone", `fetch('/api/v1/auth/me').then(r => r.json()).then(m => m.account.time_zone === 'Asia/Kolkata')`, 10*time.Second)

	// A list dialed by its flow's automatic dialing: the flow's hidden
	// campaign starts, and must not show in the ADS statistics.
	autoList := uploadFile(t, a, c.key, c.autoFlow, "auto.csv", reminderCSV)
	campaignList := uploadFile(t, a, c.key, c.campaignFlw, "accountcode.csv", reminderCSV)

	// Campaign form: a bad accountcode is refused by the API next to the
	// field; the trunk is a choice of the operator's trunks.
	b.open("/campaigns")
	b.waitText("No campaigns yet")
	b.click("Add campaign")
	b.waitJS("trunk choices", `[...document.querySelectorAll('[role=dialog] option')].map(o => o.innerText).join('|').includes('carrier · PJSIP')`, 20*time.Second)
	if opts := jsEval[string](b, "trunk options", `(() => { const l = [...document.querySelectorAll('[role=dialog] label')].find(l => l.innerText.trim() === 'Permission group'); return [...document.getElementById(l.htmlFor).options].map(o => o.value + '=' + o.innerText).join('|'); })()`); opts != "=Default (test)|carrier=carrier · PJSIP|test=test · Local" {
		t.Errorf("Permission group choices: %q", opts)
	}
	b.fill("Accountcode", "ACME 7")
	b.fill("Name", "Accountcode run")
	b.check("accountcode.csv")
	b.fill("Flow", c.campaignFlw)
	b.fill("Permission group", "test")
	b.click("Save")
	b.waitJS("accountcode error next to the field", `[...document.querySelectorAll('[role=dialog] .field-error')].some(f => f.querySelector('label')?.innerText === 'Accountcode' && f.querySelector('.field-err')?.innerText.includes('accountcode'))`, 10*time.Second)
	b.screenshot("campaign-accountcode-error")
	b.fill("Accountcode", "ACME-7")
	b.click("Save")
	b.waitText("Campaign created.")
	b.waitJS("accountcode column", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Accountcode run') && tr.innerText.includes('ACME-7'))`, 10*time.Second)
	b.click("Start Accountcode run")
	b.waitJS("campaign Finished", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('Accountcode run') && tr.innerText.includes('Finished') && tr.innerText.includes('1/1 complete'))`, 2*time.Minute)
	code, body := apiCall(t, a, c.key, http.MethodGet, "/api/v1/campaigns?accountcode=ACME-7", nil)
	var cl struct {
		Campaigns []struct {
			Name        string   `json:"name"`
			Accountcode string   `json:"accountcode"`
			Trunk       string   `json:"trunk"`
			Recipients  []string `json:"recipients"`
		} `json:"campaigns"`
	}
	if code != 200 || json.Unmarshal(body, &cl) != nil || len(cl.Campaigns) != 1 || cl.Campaigns[0].Accountcode != "ACME-7" || cl.Campaigns[0].Trunk != "test" ||
		len(cl.Campaigns[0].Recipients) != 1 || cl.Campaigns[0].Recipients[0] != campaignList {
		t.Fatalf("campaign by accountcode: %d %s", code, body)
	}
	// The campaigns filter by accountcode.
	b.fill("Accountcode", "OTHER")
	b.click("Search")
	b.waitText("No campaigns yet")
	b.fill("Accountcode", "ACME-7")
	b.click("Search")
	b.waitText("Accountcode run")
	b.screenshot("campaigns-accountcode")

	// Statistics by Campaign: the campaign, never the flow's hidden one
	// (which has dialed its list by now).
	code, body = apiCall(t, a, c.key, http.MethodGet, "/api/v1/calllists/requests/"+autoList, nil)
	if code != 200 || !strings.Contains(string(body), `"started_at"`) {
		t.Fatalf("the automatically dialed list did not start: %d %s", code, body)
	}
	b.open("/ads-statistics")
	b.waitText("Statistics by Campaign")
	b.click("Search")
	b.waitText("Accountcode run")
	time.Sleep(300 * time.Millisecond)
	if n := jsEval[float64](b, "statistics sections", `document.querySelectorAll('main section.card').length`); n != 1 {
		t.Errorf("Statistics by Campaign lists %v campaigns, want only the hand-made one:\n%s", n, jsEval[string](b, "statistics text", `document.querySelector('main').innerText`))
	}
	b.fill("Accountcode", "NOPE")
	b.click("Search")
	b.waitText("No campaign started in this period.")
	b.fill("Accountcode", "ACME-7")
	b.click("Search")
	b.waitText("Accountcode run")
	b.screenshot("ads-statistics-accountcode")

	// A flow's dialing settings: the trunk from the same list.
	b.open("/flows")
	b.waitText("Campaign reminder")
	b.click("Dialing settings of Campaign reminder")
	b.waitText("Dialing mode")
	b.waitJS("trunk choices", `[...document.querySelectorAll('[role=dialog] option')].some(o => o.value === 'carrier')`, 20*time.Second)
	b.fill("Trunk", "carrier")
	b.fill("Simultaneous calls", "3")
	b.screenshot("flow-dialing")
	b.click("Save")
	b.waitText(`Dialing settings of "Campaign reminder" saved.`)
	code, body = apiCall(t, a, c.key, http.MethodGet, "/api/v1/flows/"+c.campaignFlw+"/dialing", nil)
	if code != 200 || !strings.Contains(string(body), `"trunk":"carrier"`) || !strings.Contains(string(body), `"simultaneous_calls":3`) || !strings.Contains(string(body), `"mode":"campaigns_only"`) {
		t.Errorf("flow dialing after saving: %d %s", code, body)
	}
	b.noCSPViolations()
}

// TestConsoleOperatorInBrowser: an operator logs in at the same login page,
// sees only the operator's screen, enables a report and a webhook network
// grant for an account, and disables the account after a confirmation
// step (declined once), which locks its owner out until it is enabled.
func TestConsoleOperatorInBrowser(t *testing.T) {
	a, _ := boot(t, nil)
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "owner")
	if _, _, err := a.Accounts().CreateOperator(context.Background(), "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a, 1366, 768)
	b.login("ops@switchyard.test", "operator password")
	b.waitJS("operator home", `document.querySelector('main h1')?.innerText === 'Accounts'`, 20*time.Second)
	if nav := jsEval[string](b, "menu", `document.getElementById('sidenav').innerText`); !strings.Contains(nav, "Accounts") || strings.Contains(nav, "Request Summary Dashboard") || strings.Contains(nav, "Campaigns") || strings.Contains(nav, "Users") {
		t.Errorf("operator menu:\n%s", nav)
	}
	b.waitJS("acme listed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('active'))`, 20*time.Second)
	b.screenshot("operator-accounts")

	// Reports and webhook grants.
	b.click("Manage acme")
	b.waitText("Reports enabled")
	b.waitText("owner@acme.test")
	b.check("calls")
	b.check("Allow plain http:// webhooks")
	b.fill("Private networks the webhooks may reach", "10.1.0.0/16")
	b.screenshot("operator-account")
	b.click("Save")
	b.waitText(`Account "acme" saved.`)
	acc, err := a.Accounts().GetAccount(context.Background(), c.id)
	if err != nil {
		t.Fatal(err)
	}
	if len(acc.Reports) != 1 || acc.Reports[0] != "calls" || acc.HTTP == nil || !acc.HTTP.AllowHTTP || len(acc.HTTP.Networks) != 1 || acc.HTTP.Networks[0] != "10.1.0.0/16" {
		t.Errorf("account after the operator's changes: %+v %+v", acc, acc.HTTP)
	}
	// A bad network is refused next to the field.
	b.click("Manage acme")
	b.waitText("Reports enabled")
	b.fill("Private networks the webhooks may reach", "not-a-network")
	b.click("Save")
	b.waitJS("network error next to the field", `[...document.querySelectorAll('[role=dialog] .field-error')].some(f => f.querySelector('label')?.innerText === 'Private networks the webhooks may reach' && f.querySelector('.field-err')?.innerText.includes('is not a network'))`, 10*time.Second)
	b.click("Cancel")

	// Disable: asked first; declining keeps the account active.
	owner := newClient(t, a)
	mustCode(t, "owner login", owner.login("owner@acme.test", "correct horse battery"), 200)
	b.click("Disable acme")
	b.waitText(`Disable "acme"?`)
	b.screenshot("operator-disable-confirm")
	b.click("Keep it enabled")
	b.waitJS("still active", `!document.querySelector('[role=dialog]') && [...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('active'))`, 10*time.Second)
	mustCode(t, "owner still in", owner.do("GET", "/api/v1/auth/me", nil, false), 200)
	b.click("Disable acme")
	b.click("Disable account")
	b.waitText(`Account "acme" disabled.`)
	b.waitJS("shown disabled", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('acme') && tr.innerText.includes('disabled'))`, 10*time.Second)
	mustCode(t, "owner of the disabled account", owner.do("GET", "/api/v1/auth/me", nil, false), 401)
	b.click("Enable acme")
	b.waitText(`Account "acme" enabled.`)
	mustCode(t, "owner back in", owner.login("owner@acme.test", "correct horse battery"), 200)

	// The operator's session reaches no account route.
	if code := jsEval[float64](b, "operator on an account route", `fetch('/api/v1/campaigns').then(r => r.status)`); code != 403 {
		t.Errorf("operator GET /campaigns: %v", strconv.FormatFloat(code, 'f', 0, 64))
	}

	// The operator changes their own password from "My profile" in the
	// menu: the current one is required, the new one follows the API's
	// rule (8 to 72 bytes), and the new one logs in after logging out.
	b.click("My profile")
	b.waitJS("profile open", `document.querySelector('main h1')?.innerText === 'My profile'`, 20*time.Second)
	b.fill("Current password", "operator password")
	b.fill("New password", "short")
	b.click("Change password")
	b.waitFieldError("New password", "Use at least 8 characters.")
	b.fill("Current password", "not my password")
	b.fill("New password", "operator's new password")
	b.click("Change password")
	b.waitFieldError("Current password", "the current password is wrong")
	b.fill("Current password", "operator password")
	b.click("Change password")
	b.waitText("Password changed")
	b.noCSPViolations()
	b.click("Log out")
	b.waitText("Log in")
	mustCode(t, "operator login with the old password", newClient(t, a).login("ops@switchyard.test", "operator password"), 401)
	b.login("ops@switchyard.test", "operator's new password")
	b.waitJS("operator home after the new password", `document.querySelector('main h1')?.innerText === 'Accounts'`, 20*time.Second)
	b.noCSPViolations()
}
