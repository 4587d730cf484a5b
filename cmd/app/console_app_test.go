package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/store"
)

// consoleAccount is an account ready for the console: an API key for the
// test's own setup calls, a whitelisted email for Email Status, and the
// payment-reminder flow published twice (one dialed automatically, one
// only through campaigns).
type consoleAccount struct {
	id          int64
	key         string
	autoFlow    string
	campaignFlw string
}

func setupConsoleAccount(t *testing.T, a *app.App) consoleAccount {
	t.Helper()
	ctx := context.Background()
	st := a.Store()
	acc, err := st.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "setup")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddListEntry(ctx, acc.ID, store.ListWhite, store.KindEmail, "ops@acme.test", false); err != nil {
		t.Fatal(err)
	}
	c := consoleAccount{id: acc.ID, key: key, autoFlow: outboundFlow(t, a, key)}
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc = []byte(strings.Replace(string(doc), `"Payment reminder"`, `"Campaign reminder"`, 1))
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", doc)
	var created struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &created) != nil {
		t.Fatalf("campaign flow: %d %s", code, body)
	}
	c.campaignFlw = strconv.FormatInt(created.ID, 10)
	for _, f := range []string{c.autoFlow, c.campaignFlw} {
		if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+f+"/publish", nil); code != http.StatusCreated {
			t.Fatalf("publish %s: %d %s", f, code, body)
		}
	}
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+c.campaignFlw+"/dialing", map[string]any{"mode": "campaigns_only"}); code != http.StatusOK {
		t.Fatalf("campaigns_only: %d %s", code, body)
	}
	return c
}

// consoleUser makes a real user of the account with the given role
// (owner@acme.test, password "correct horse battery"): the console logs
// in through the accounts backend's session endpoints like a person does.
func consoleUser(t *testing.T, a *app.App, c consoleAccount, role string) {
	t.Helper()
	if _, err := a.Store().CreateUser(context.Background(), store.NewUser{AccountID: c.id, Email: "owner@acme.test",
		Name: "Asha Owner", Role: role, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
}

// login logs in through the login form.
func (b *browserEnv) login(email, password string) {
	b.t.Helper()
	b.open("/")
	b.waitText("Log in")
	b.fill("Email", email)
	b.fill("Password", password)
	b.click("Log in")
	b.waitJS("logged in", `!!document.querySelector('nav[aria-label=Main]')`, 20*time.Second)
	// Any CSP violation in the page from here on is a failure.
	jsEval[bool](b, "watch CSP", `(window.__csp = [], document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI)), true)`)
}

func (b *browserEnv) noCSPViolations() {
	b.t.Helper()
	if v := jsEval[[]string](b, "CSP violations", `window.__csp || []`); len(v) > 0 {
		b.t.Errorf("CSP violations in the console: %v", v)
	}
}

const reminderCSV = "tel1,client-identifier,$flow.key.customer_name,$flow.key.amount,$flow.key.due_date,$flow.key.policy_number\n" +
	"+12025550102,c1,Ann,12,2026-12-31,P1\n"

// TestConsoleInBrowser walks the console as an account owner in Chromium
// against the whole daemon and the real Asterisk: log in, upload a call
// list by drag and drop (with Email Status), watch the request move to
// Completed on the dashboard, open its details, filter the report,
// download the CSV, open a journey, create and run a campaign to the end,
// and manage a blacklist entry with its confirmation step. Each main
// screen is saved as a screenshot (docs/screenshots with make screenshots).
func TestConsoleInBrowser(t *testing.T) {
	a, _ := boot(t, nil)
	c := setupConsoleAccount(t, a)
	b := newBrowser(t, a, 1366, 768)
	consoleUser(t, a, c, "owner")

	// The console answers at /; the API's unknown paths stay JSON.
	resp, err := http.Get(b.base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("GET /: %d CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}

	// Log in: a wrong password is shown, then the right one opens the dashboard.
	b.open("/")
	b.waitText("Log in")
	b.screenshot("login")
	b.fill("Email", "owner@acme.test")
	b.fill("Password", "wrong")
	b.click("Log in")
	b.waitText("wrong email or password")
	b.login("owner@acme.test", "correct horse battery")
	b.waitText("Request Summary Dashboard")
	b.waitText("No call lists yet")

	// Upload by drag and drop, with Email Status to a whitelisted address.
	b.click("Upload call list")
	b.fill("Flow type", "outbound")
	b.fill("Flow", c.autoFlow)
	b.dropFiles("[data-testid=dropzone]", map[string]string{"reminders.csv": reminderCSV, "notes.txt": "not a list"})
	b.waitText("Ready to upload")
	b.waitText("Only .csv and .zip files can be uploaded.")
	b.check("Email Status: mail the status")
	b.check("ops@acme.test")
	b.screenshot("upload")
	b.click("Upload")
	b.waitText("Uploaded: request")
	b.waitText("1 valid, 0 invalid, 0 scrubbed")
	code, body := apiCall(t, a, c.key, http.MethodGet, "/api/v1/flows/"+c.autoFlow, nil)
	if code != 200 || !strings.Contains(string(body), `"email_status":true`) || !strings.Contains(string(body), `"status_recipients":["ops@acme.test"]`) {
		t.Errorf("Email Status not saved on the flow: %d %s", code, body)
	}
	b.click("Close")

	// The request is dialed by its flow and reaches Completed on the dashboard.
	var reqID string
	code, body = apiCall(t, a, c.key, http.MethodGet, "/api/v1/calllists/requests", nil)
	var rl struct {
		Requests []struct {
			RequestID string `json:"request_id"`
		} `json:"requests"`
	}
	if code != 200 || json.Unmarshal(body, &rl) != nil || len(rl.Requests) != 1 {
		t.Fatalf("requests: %d %s", code, body)
	}
	reqID = rl.Requests[0].RequestID
	b.waitText(reqID)
	b.waitJS("request Completed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes(`+strconv.Quote(reqID)+`) && tr.innerText.includes('Completed') && tr.innerText.includes('100.0%'))`, 2*time.Minute)
	b.screenshot("dashboard")
	b.click("View request " + reqID)
	b.waitText("Records loaded")
	b.waitText("+12025550102")
	b.screenshot("request-details")
	b.run("close details", chromedp.KeyEvent("\x1b")) // Escape closes a dialog
	b.waitJS("details closed", `!document.querySelector('[role=dialog]')`, 10*time.Second)

	// Reports: filter by the request, download the CSV, open the journey.
	b.open("/reports")
	b.waitText("Download csv")
	b.fill("Request ID", reqID)
	b.click("Search")
	b.waitJS("report row", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('+12025550102'))`, 20*time.Second)
	b.screenshot("reports")
	b.click("Download csv")
	csv := string(b.waitDownload(".csv"))
	if !strings.HasPrefix(csv, "call_id,") || !strings.Contains(csv, reqID) || !strings.Contains(csv, "+12025550102") {
		t.Errorf("downloaded CSV:\n%s", csv)
	}
	b.waitJS("journey link", `!!document.querySelector('button[aria-label^="View JSON journey"]')`, 10*time.Second)
	jsEval[bool](b, "open journey", `(document.querySelector('button[aria-label^="View JSON journey"]').click(), true)`)
	b.waitText(`"steps"`)
	b.screenshot("journey")
	b.click("Close")

	// A campaign over a list of the campaigns-only flow, created and run in the console.
	campaignList := uploadFile(t, a, c.key, c.campaignFlw, "campaign.csv", reminderCSV)
	b.open("/campaigns")
	b.waitText("No campaigns yet")
	b.click("Add campaign")
	b.fill("Name", "March reminders")
	b.check("campaign.csv")
	b.fill("Flow", c.campaignFlw)
	b.fill("Dial attempts", "1")
	b.screenshot("campaign-form")
	b.click("Save")
	b.waitText("Campaign created.")
	b.click("Start March reminders")
	b.waitJS("campaign Finished", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('March reminders') && tr.innerText.includes('Finished') && tr.innerText.includes('1/1 complete'))`, 2*time.Minute)
	b.screenshot("campaigns")
	code, body = apiCall(t, a, c.key, http.MethodGet, "/api/v1/calllists/requests/"+campaignList, nil)
	if code != 200 || !strings.Contains(string(body), `"records_completed":1`) {
		t.Errorf("campaign list after the campaign: %d %s", code, body)
	}

	// Flows, whitelist; a blacklist entry added and removed (with its confirmation).
	b.open("/flows")
	b.waitText("Campaign reminder")
	b.screenshot("flows")
	b.open("/whitelist")
	b.waitText("ops@acme.test")
	b.screenshot("whitelist")
	b.open("/blacklist")
	b.waitText("No phone numbers yet.")
	b.click("Add number")
	b.fill("Phone number", "not a number")
	b.click("Save")
	b.waitJS("field error", `!!document.querySelector('.field-err')`, 10*time.Second)
	b.fill("Phone number", "+12025550199")
	b.click("Save")
	b.waitText("+12025550199 added.")
	b.click("Remove +12025550199")
	b.waitText("Remove +12025550199 from the blacklist?")
	b.screenshot("confirm")
	b.click("No")
	b.waitJS("still listed", `!document.querySelector('[role=dialog]') && document.body.innerText.includes('+12025550199')`, 10*time.Second)
	b.click("Remove +12025550199")
	b.click("Remove")
	b.waitText("+12025550199 removed.")
	b.screenshot("blacklist")
	// Every other screen opens on the real API without an error.
	for _, pg := range []struct{ path, title, shot string }{
		{"/email-reports", "Email Report", "email-reports"},
		{"/download-reports", "Download Reports", "download-reports"},
		{"/recipients", "Recipients", "recipients"},
		{"/ads-statistics", "Statistics by Campaign", "ads-statistics"},
		{"/ads-detailed", "Detailed Report", "ads-detailed"},
		{"/dids", "DIDs", "dids"},
		{"/supervisor", "Supervisor Agent Dashboard", "supervisor"},
		{"/agents", "Agents", "agents"},
		{"/queues", "Queues", "queues"},
		{"/webhooks", "Webhook", "webhooks"},
		{"/flow-variables", "Flow Variable", "flow-variables"},
		{"/crm-setup", "CRM Setup", "crm-setup"},
		{"/agent-ui", "Agent UI Setup", "agent-ui"},
		{"/settings", "Account settings", "settings"},
		{"/me", "My profile", "profile"},
	} {
		b.open(pg.path)
		b.waitJS("heading "+pg.title, `document.querySelector('main h1')?.innerText === `+strconv.Quote(pg.title), 20*time.Second)
		time.Sleep(300 * time.Millisecond) // the page's first loads
		if msg := jsEval[string](b, "errors on "+pg.path, `[...document.querySelectorAll('.alert-error')].map(e => e.innerText).join('; ')`); msg != "" {
			t.Errorf("%s shows an error: %s", pg.path, msg)
		}
		b.screenshot(pg.shot)
	}
	b.open("/ads-statistics")
	b.waitText("Statistics by Campaign")
	b.click("Search")
	b.waitText("March reminders")
	b.screenshot("ads-statistics")
	b.noCSPViolations()

	// Log out: back to the login page, the session is gone.
	b.click("Log out")
	b.waitText("Log in")
	b.open("/reports")
	b.waitText("Log in")

	// A phone-width screen: the dashboard and the menu.
	p := newBrowser(t, a, 390, 844)
	p.login("owner@acme.test", "correct horse battery")
	p.waitText(reqID)
	p.screenshot("phone-dashboard")
	p.click("Menu")
	p.waitJS("menu open", `getComputedStyle(document.getElementById('sidenav')).display !== 'none'`, 10*time.Second)
	p.screenshot("phone-menu")
	p.noCSPViolations()
}

// uploadFile uploads a CSV through the API and returns the request id.
func uploadFile(t *testing.T, a *app.App, key, flow, name, content string) string {
	t.Helper()
	var buf strings.Builder
	const boundary = "consoleboundary"
	buf.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + name + "\"\r\nContent-Type: text/csv\r\n\r\n")
	buf.WriteString(content)
	buf.WriteString("\r\n--" + boundary + "--\r\n")
	req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/calllists/uploads?flow_id="+flow, strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up struct {
		Files []struct {
			Request *struct {
				ID string `json:"request_id"`
			} `json:"request"`
			Error string `json:"error"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || resp.StatusCode != 200 || len(up.Files) != 1 || up.Files[0].Request == nil {
		t.Fatalf("upload %s: %d %+v %v", name, resp.StatusCode, up, err)
	}
	return up.Files[0].Request.ID
}

// TestConsoleRoles: an agent sees no admin page in the menu, and opening
// one by its address shows "Not allowed" instead of the screen.
func TestConsoleRoles(t *testing.T) {
	a, _ := boot(t, noARI)
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "agent")
	b := newBrowser(t, a, 1366, 768)
	b.login("owner@acme.test", "correct horse battery")
	b.waitText("Agent desk")
	nav := jsEval[string](b, "menu", `document.querySelector('nav[aria-label=Main]').innerText`)
	for _, admin := range []string{"Whitelist", "Users", "API keys", "Webhook", "Reports", "Campaigns", "Request Summary Dashboard"} {
		if strings.Contains(nav, admin) {
			t.Errorf("an agent's menu offers %s:\n%s", admin, nav)
		}
	}
	for _, page := range []string{"/users", "/whitelist", "/reports", "/campaigns"} {
		b.open(page)
		b.waitText("Not allowed")
	}
	b.screenshot("agent-not-allowed")
	// The API refuses the agent's session too, not only the menu.
	for _, path := range []string{"/api/v1/users", "/api/v1/campaigns", "/api/v1/reports/calls"} {
		if got := jsEval[float64](b, "fetch "+path, `fetch('`+path+`').then(r => r.status)`); got != http.StatusForbidden {
			t.Errorf("GET %s with an agent's session: %v, want 403", path, got)
		}
	}
	b.noCSPViolations()
}
