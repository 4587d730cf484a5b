package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// fakeMedia are Chromium's flags for a WebRTC test without devices or
// prompts: a fake microphone (a beeping tone) allowed at once, and real
// host ICE candidates (no mDNS names Asterisk cannot resolve).
var fakeMedia = []chromedp.ExecAllocatorOption{
	chromedp.Flag("use-fake-device-for-media-stream", true),
	chromedp.Flag("use-fake-ui-for-media-stream", true),
	chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
	chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
}

// TestAgentDeskWebRTCInBrowser: an agent logs into the console as
// themselves (a user of role agent linked to the ACD agent), chooses the
// browser phone, and the desk's WebRTC phone (JsSIP) registers on a
// private Asterisk's SIP over WebSocket with DTLS-SRTP; a real Local
// customer calls the DID, waits in the queue and rings the browser; the
// agent answers in the desk, which shows the customer's number; audio
// flows both ways (RTP packet counts on Asterisk's side of the agent's
// channel, and in the browser's WebRTC statistics; the customer echoes
// the agent's tone back); the agent hangs up, disposes the call in
// wrap-up and sees it in the day's calls. The user cannot act on another
// agent.
func TestAgentDeskWebRTCInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	p := asterisktest.StartPrivate(t)
	a := bootOnPrivate(t, p, nil)
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	e := &e2e{t: t, a: a, key: key, acct: acc.ID, chans: watchChannels(a)}
	const password = "desk-agent-pass-1"
	user, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "agent@desk.example", Name: "Dana Agent", Role: store.RoleAgent, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	ext := "sy-desk-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	var ag struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Dana", "login_type": "softphone",
		"extension": ext, "wrap_up_secs": 60, "user_id": user.ID}), &ag); err != nil {
		t.Fatal(err)
	}
	var other struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Other", "login_type": "mobile",
		"number": "+15550100"}), &other); err != nil {
		t.Fatal(err)
	}
	e.mustOK(http.MethodPost, "/api/v1/queues", map[string]any{"name": "support", "strategy": "longest-idle", "members": []int64{ag.ID},
		"ring_timeout_secs": 30, "timeout_secs": 120, "join_when_empty": true})
	// The flow learns about the customer ($flow.key.*; crm_id is the
	// customer id) before the queue: the desk shows it with the call.
	doc := []byte(`{"format": 1, "name": "Desk line", "type": "inbound", "start": "keys", "variables": ["order", "crm_id"], "nodes": [
		{"id": "keys", "type": "set_variable", "params": {"assign": [{"name": "$flow.key.order", "value": "A-1042"},
			{"name": "$flow.key.crm_id", "value": "C-77"}]}, "exits": ["queue"]},
		{"id": "queue", "type": "queue", "params": {"queue": "support", "timeout": 60}, "exits": ["end", "end"]},
		{"id": "end", "type": "hangup", "params": {"cause": 16}}]}`)
	var flow struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/flows", doc), &flow); err != nil {
		t.Fatal(err)
	}
	e.mustOK(http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil)
	e.did = "+4930556" + fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	e.mustOK(http.MethodPut, "/api/v1/dids/"+url.PathEscape(e.did), map[string]any{"flow_id": flow.ID})

	b := newBrowser(t, a, 1280, 900, fakeMedia...)
	b.login("agent@desk.example", password)
	b.open("/desk")
	b.waitText("Agent desk")
	b.waitJS("logged out", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Logged out'`, 20*time.Second)
	jsEval[bool](b, "choose the browser phone", `(() => {
		const el = document.querySelector('select[aria-label="Login type"]');
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(el, 'browser');
		el.dispatchEvent(new Event('change', { bubbles: true }));
		return el.value === 'browser';
	})()`)
	deskClick(b, "Log in")
	b.waitJS("available", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 20*time.Second)
	start := time.Now()
	b.waitJS("browser phone registered", `document.querySelector('[data-testid=phone-registration]')?.innerText.startsWith('registered')`, 30*time.Second)
	t.Logf("browser phone registered %v after login", time.Since(start).Round(time.Millisecond))
	e.waitRegistered(ag.ID)
	b.screenshot("desk-available")

	// The agent acts only on themselves: another agent's routes are the
	// supervisors'.
	if code := cookieCall(b, http.MethodPost, fmt.Sprintf("/api/v1/agents/%d/pause", other.ID), `{"reason":"x"}`); code != http.StatusForbidden {
		t.Errorf("agent pausing another agent: %d, want 403", code)
	}

	customer := "+4930777" + e.did[len(e.did)-4:] + "1"
	e.placeCall(customer, "answer-echo")
	b.waitJS("the call rings in the desk", `[...document.querySelectorAll('button')].some(x => x.innerText === 'Answer')`, 30*time.Second)
	if got := jsEval[string](b, "customer", `document.querySelector('[data-testid=call-customer]')?.innerText || ''`); got != customer {
		t.Errorf("desk shows customer %q, want %q", got, customer)
	}
	if got := jsEval[string](b, "customer id", `document.querySelector('[data-testid=call-customer-id]')?.innerText || ''`); got != "C-77" {
		t.Errorf("desk shows customer id %q, want C-77", got)
	}
	if got := jsEval[string](b, "flow key", `document.querySelector('[data-testid=flow-key-order]')?.innerText || ''`); got != "A-1042" {
		t.Errorf("desk shows $flow.key.order %q, want A-1042", got)
	}
	b.screenshot("desk-ringing")
	deskClick(b, "Answer")
	b.waitJS("on call", `document.querySelector('[data-testid=agent-state]')?.innerText === 'On call'`, 45*time.Second)
	b.waitJS("popup", `(document.querySelector('[data-testid=popups]')?.innerText || '').includes(`+strconv.Quote(customer)+`)`, 10*time.Second)

	// Audio both ways: Asterisk's RTP counters on the agent's channel and
	// the browser's WebRTC statistics.
	agentChan := func() string {
		chs, err := a.Calls().Client().Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chs {
			if strings.HasPrefix(c.Name, "PJSIP/"+ext+"-") {
				return c.ID
			}
		}
		return ""
	}
	var ch string
	testkit.Eventually(t, 10*time.Second, func() bool { ch = agentChan(); return ch != "" }, "the agent's channel")
	rx, tx := 0, 0
	qos := ""
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, err := a.Calls().Client().GetVar(ctx, ch, "CHANNEL(rtcp,all)")
		if err != nil {
			qos = err.Error()
		} else {
			qos = v
			rx, tx = qosCount(v, "rxcount"), qosCount(v, "txcount")
			if rx >= 100 && tx >= 100 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.screenshot("failed-rtp")
			t.Fatalf("no RTP both ways on the agent's channel after 45 s: %s; browser %v", qos,
				jsEval[map[string]int](b, "browser RTP stats", `window.deskPhone ? window.deskPhone.stats() : {}`))
		}
	}
	t.Logf("Asterisk, agent channel %s: received %d RTP packets from the browser, sent %d (%s)", ch, rx, tx, qos)
	stats := jsEval[struct {
		Sent     int `json:"sent"`
		Received int `json:"received"`
	}](b, "browser RTP stats", `window.deskPhone.stats()`)
	if stats.Sent < 100 || stats.Received < 100 {
		t.Errorf("browser RTP: sent %d received %d, want both >= 100", stats.Sent, stats.Received)
	}
	t.Logf("browser: sent %d RTP audio packets, received %d", stats.Sent, stats.Received)
	// Two seconds later both sides counted about 50 packets a second more
	// (20 ms packets) in each direction.
	time.Sleep(2 * time.Second)
	v, err := a.Calls().Client().GetVar(ctx, ch, "CHANNEL(rtcp,all)")
	if err != nil {
		t.Fatal(err)
	}
	rx2, tx2 := qosCount(v, "rxcount"), qosCount(v, "txcount")
	if rx2-rx < 50 || tx2-tx < 50 {
		t.Errorf("RTP over 2 s on Asterisk's side: received %d, sent %d more; want >= 50 each", rx2-rx, tx2-tx)
	}
	stats2 := jsEval[struct {
		Sent     int `json:"sent"`
		Received int `json:"received"`
	}](b, "browser RTP stats", `window.deskPhone.stats()`)
	t.Logf("2 s later: Asterisk received %d (+%d) sent %d (+%d); browser sent %d (+%d) received %d (+%d)",
		rx2, rx2-rx, tx2, tx2-tx, stats2.Sent, stats2.Sent-stats.Sent, stats2.Received, stats2.Received-stats.Received)
	if stats2.Sent-stats.Sent < 50 || stats2.Received-stats.Received < 50 {
		t.Errorf("browser RTP over 2 s: sent %d, received %d more; want >= 50 each", stats2.Sent-stats.Sent, stats2.Received-stats.Received)
	}
	if s := e.supervisorAgent(ag.ID); s.State != acd.StateOnCall || s.Customer != customer {
		t.Errorf("supervisor row: %+v", s)
	}
	b.screenshot("desk-on-call")

	// Hold: the customer's channel gets music on hold, then not.
	deskClick(b, "Hold")
	b.waitJS("on hold", `[...document.querySelectorAll('button')].some(x => x.innerText === 'Resume call')`, 10*time.Second)
	deskClick(b, "Resume call")
	b.waitJS("off hold", `[...document.querySelectorAll('button')].some(x => x.innerText === 'Hold')`, 10*time.Second)

	deskClick(b, "Hang up")
	b.waitJS("wrap-up", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Filling disposition'`, 20*time.Second)
	b.screenshot("desk-wrap-up")
	deskClick(b, "sale")
	b.waitJS("available again", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 20*time.Second)
	var call store.AgentCall
	testkit.Eventually(t, 10*time.Second, func() bool {
		rows, err := st.ListAgentCalls(ctx, store.JournalFilter{AccountID: acc.ID, AgentID: ag.ID})
		for _, r := range rows {
			if err == nil && r.WrapUpEnd != nil {
				call = r
				return true
			}
		}
		return false
	}, "the agent's call journaled")
	if call.Outcome != "answered" || call.Disposition != "sale" || call.Customer != customer {
		t.Errorf("agent call: %+v", call)
	}
	b.waitJS("calls today", `(document.querySelector('[data-testid=calls-today]')?.innerText || '').includes('sale')`, 20*time.Second)

	// Transfer to another queue: the agent's line is hung up (wrap-up),
	// the caller waits in billing.
	var billing struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/queues", map[string]any{"name": "billing", "members": []int64{other.ID},
		"timeout_secs": 120, "join_when_empty": true}), &billing); err != nil {
		t.Fatal(err)
	}
	b.run("reload the desk", chromedp.Reload()) // the desk reads the queues it can transfer to
	b.waitJS("available", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 20*time.Second)
	b.waitJS("browser phone registered again", `document.querySelector('[data-testid=phone-registration]')?.innerText.startsWith('registered')`, 30*time.Second)
	second := "+4930777" + e.did[len(e.did)-4:] + "2"
	e.placeCall(second, "answer-echo")
	deskClick(b, "Answer")
	b.waitJS("second call on", `document.querySelector('[data-testid=agent-state]')?.innerText === 'On call'`, 45*time.Second)
	// The picker lists the account's available agents: Other once
	// logged in (then out again: Other serves billing).
	if st := e.action(other.ID, "login", nil); st.State != acd.StateAvailable {
		t.Errorf("Other after login: %+v", st)
	}
	b.waitJS("Other in the transfer picker", fmt.Sprintf(`(() => {
		const el = document.querySelector('select[aria-label="Transfer to"]');
		if (!el) return false;
		el.dispatchEvent(new FocusEvent('focusin', { bubbles: true })); // opening the picker reads the targets again
		return [...el.options].some(o => o.value === 'a:%d' && o.text === 'Other');
	})()`, other.ID), 10*time.Second)
	t.Logf("transfer picker: %s", jsEval[string](b, "picker options", `[...document.querySelector('select[aria-label="Transfer to"]').options].map(o => o.value + '=' + o.text).join(', ')`))
	e.action(other.ID, "logout", nil)
	b.waitJS("choose billing", `(() => {
		const el = document.querySelector('select[aria-label="Transfer to"]');
		if (!el || ![...el.options].some(o => o.value === 'q:billing')) return false;
		Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, 'value').set.call(el, 'q:billing');
		el.dispatchEvent(new Event('change', { bubbles: true }));
		return el.value === 'q:billing';
	})()`, 10*time.Second)
	deskClick(b, "Transfer")
	b.waitJS("wrap-up after the transfer", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Filling disposition'`, 45*time.Second)
	testkit.Eventually(t, 15*time.Second, func() bool { return e.supervisorQueue(billing.ID).Waiting == 1 }, "the caller waits in billing")
	deskClick(b, "escalated")
	b.waitJS("available after the transfer", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 20*time.Second)

	// Pause with a reason, resume, log out: the phone unregisters.
	deskClick(b, "Pause")
	b.waitJS("paused", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Paused'`, 10*time.Second)
	if s := e.supervisorAgent(ag.ID); s.State != acd.StatePaused || s.Reason != "break" {
		t.Errorf("supervisor after pause: %+v", s)
	}
	deskClick(b, "Resume")
	b.waitJS("resumed", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Available'`, 10*time.Second)
	deskClick(b, "Stop taking calls")
	b.waitJS("logged out", `document.querySelector('[data-testid=agent-state]')?.innerText === 'Logged out'`, 10*time.Second)
	testkit.Eventually(t, 15*time.Second, func() bool {
		r := e.supervisorAgent(ag.ID).Registered
		return r != nil && !*r
	}, "the browser phone unregistered")
	b.noCSPViolations()
}

var qosRe = regexp.MustCompile(`(?:^|;)\s*([a-z]+)=([0-9.]+)`)

// qosCount reads a counter of Asterisk's RTP QoS string
// ("ssrc=…;rxcount=123;txcount=456;…").
func qosCount(qos, name string) int {
	for _, m := range qosRe.FindAllStringSubmatch(qos, -1) {
		if m[1] == name {
			n, _ := strconv.Atoi(strings.Split(m[2], ".")[0])
			return n
		}
	}
	return 0
}

// cookieCall makes an API request from the page (the console's session
// cookie and CSRF token) and returns the status.
func cookieCall(b *browserEnv, method, path, body string) int {
	b.t.Helper()
	return jsEval[int](b, method+" "+path, fmt.Sprintf(`(async () => {
		const me = await fetch('/api/v1/auth/me').then(r => r.json());
		const r = await fetch(%q, { method: %q, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrf_token || '' }, body: %q });
		return r.status;
	})()`, path, method, body))
}

// deskClick clicks a desk button once it is enabled (the desk disables
// its buttons while an action is on its way; the live feed can show the
// new state before the action's answer).
func deskClick(b *browserEnv, label string) {
	b.t.Helper()
	q, _ := json.Marshal(label)
	b.waitJS("enabled "+label, fmt.Sprintf(`[...document.querySelectorAll('button')].some(x => x.innerText.trim() === %s && !x.disabled)`, q), 20*time.Second)
	b.click(label)
}
