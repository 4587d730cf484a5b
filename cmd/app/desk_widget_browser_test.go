package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestAgentDeskWidgetAndWSSInBrowser: the account's embedded widget
// (Agent UI Setup) is an https web app only — an http URL is refused when
// it is configured, with the reason — and the desk frames it at the
// configured size: Chromium (trusting the test's self-signed certificates
// with --ignore-certificate-errors) loads the widget from an https test
// server. The desk's browser phone registers over secure websocket
// (wss://127.0.0.1:PORT/ws, Asterisk's HTTPS with the certificate up.sh
// made), as in production behind a real certificate.
func TestAgentDeskWidgetAndWSSInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	p := asterisktest.StartPrivate(t)
	if p.TLSPort == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("Asterisk's HTTPS certificate is missing (asterisk-conf/local/up.sh makes it)")
		}
		t.Skip("Asterisk's HTTPS certificate is missing: run asterisk-conf/local/up.sh once")
	}
	wss := fmt.Sprintf("wss://127.0.0.1:%d/ws", p.TLSPort)
	a := bootOnPrivate(t, p, func(c *app.Config) {
		c.WebRTCURL = wss
	})
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	e := &e2e{t: t, a: a, key: key, acct: acc.ID}
	const password = "desk-widget-pass-1"
	user, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "widget@desk.example", Name: "Wendy Agent", Role: store.RoleAgent, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	var ag struct {
		ID int64 `json:"id"`
	}
	ext := "sy-wss-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Wendy", "login_type": "browser",
		"extension": ext, "user_id": user.ID}), &ag); err != nil {
		t.Fatal(err)
	}

	// The widget: an https web app of the account's CRM.
	var hits atomic.Int32
	crm := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><title>CRM</title><body style="margin:0">Customer record</body>`)
	}))
	t.Cleanup(crm.Close)
	// http is refused at configuration time, with the reason.
	code, body := e.call(http.MethodPut, "/api/v1/agent-ui", map[string]any{"enabled": true, "url": strings.Replace(crm.URL, "https://", "http://", 1),
		"width": 640, "height": 360})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "only https web apps are supported") {
		t.Errorf("agent UI with an http URL: %d %s, want 422 only https", code, body)
	}
	e.mustOK(http.MethodPut, "/api/v1/agent-ui", map[string]any{"enabled": true, "url": crm.URL + "/widget", "width": 640, "height": 360})

	b := newBrowser(t, a, 1280, 900, append(fakeMedia[:len(fakeMedia):len(fakeMedia)], chromedp.Flag("ignore-certificate-errors", true))...)
	b.login("widget@desk.example", password)
	b.open("/desk")
	b.waitText("Agent desk")
	b.waitJS("the widget framed", `!!document.querySelector('iframe[title="Embedded widget"]')`, 20*time.Second)
	type box struct {
		Src    string `json:"src"`
		Width  string `json:"width"`
		Height string `json:"height"`
		CW     int    `json:"cw"`
		CH     int    `json:"ch"`
	}
	got := jsEval[box](b, "widget frame", `(() => {
		const f = document.querySelector('iframe[title="Embedded widget"]');
		return { src: f.src, width: f.getAttribute('width'), height: f.getAttribute('height'), cw: f.offsetWidth, ch: f.offsetHeight };
	})()`)
	if got.Src != crm.URL+"/widget" || got.Width != "640" || got.Height != "360" || got.CW != 640 || got.CH != 360 {
		t.Errorf("widget frame %+v, want %s/widget at 640x360", got, crm.URL)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return hits.Load() > 0 }, "Chromium loads the widget over https")

	// The browser phone over wss.
	var setup struct {
		WebRTCURL string `json:"webrtc_url"`
	}
	if err := json.Unmarshal([]byte(jsEval[string](b, "phone setup", `fetch('/api/v1/me/agent/phone').then(r => r.text())`)), &setup); err != nil || setup.WebRTCURL != wss {
		t.Fatalf("phone setup %+v %v, want %s", setup, err, wss)
	}
	deskClick(b, "Log in")
	b.waitJS("available", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 20*time.Second)
	b.waitJS("browser phone registered over wss", `document.querySelector('[data-testid=phone-registration]')?.innerText.startsWith('registered')`, 30*time.Second)
	e.waitRegistered(ag.ID)
	if out := p.CLI(t, "pjsip show contacts"); !strings.Contains(out, ext) {
		t.Errorf("Asterisk has no contact of %s: %s", ext, out)
	}
	b.screenshot("desk-widget")
	deskClick(b, "Stop taking calls")
	b.waitJS("logged out", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Logged out'`, 10*time.Second)
	b.noCSPViolations()
}
