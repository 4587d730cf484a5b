package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestConsoleWallboardInBrowser: a supervisor logged in to the console in
// Chromium watches the Wallboard while a real call (baresip phones on the
// real Asterisk) reaches Alice through the support queue: her card turns
// "On call" with the customer's number without a reload (the supervisor
// stream), the queue tile counts the answered call; the global search and
// the state filter narrow the grid; the supervisor picks their phone and
// starts Listen from Alice's card: Switchyard calls the supervisor's phone
// (baresip answers), Alice's card shows "listen", the audit has it; Stop
// ends it; Barge makes her card 3-way (the 3-way filter finds it); the customer hangs up and Alice is available again; paused
// after a missed ring, her card says so and the paused filter finds her.
func TestConsoleWallboardInBrowser(t *testing.T) {
	m := setupMonitorCall(t)
	e := m.e
	ctx := context.Background()
	if _, err := e.a.Store().CreateUser(ctx, store.NewUser{AccountID: e.acct, Email: "sup@acme.test", Name: "Sam Supervisor",
		Role: store.RoleSupervisor, Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e.a, 1366, 900)
	b.login("sup@acme.test", "correct horse battery")
	b.open("/wallboard")
	card := func(name string) string {
		return fmt.Sprintf(`[...document.querySelectorAll('.wb-agent')].find(c => c.querySelector('.wb-name')?.innerText === %q)`, name)
	}
	b.waitJS("Alice available on the board", card("Alice")+`?.dataset.state === 'available'`, 20*time.Second)
	b.waitJS("the support queue tile", `[...document.querySelectorAll('.wb-queue')].some(q => q.innerText.includes('support'))`, 10*time.Second)
	if n := jsEval[int](b, "cards", `document.querySelectorAll('.wb-agent').length`); n != 3 {
		t.Errorf("%d agent cards; want 3", n)
	}
	b.waitJS("the charts (their own chunk)", `document.querySelectorAll('.wb-chart canvas').length === 2`, 20*time.Second)
	b.screenshot("wallboard")

	// A real call: Alice's card turns On call live, with the customer.
	m.call(t)
	b.waitJS("Alice on call on the board", card("Alice")+`?.dataset.state === 'on_call'`, 20*time.Second)
	b.waitJS("the customer's number on Alice's card", card("Alice")+fmt.Sprintf(`?.innerText.includes(%q)`, m.customerNumber), 5*time.Second)

	// Search and state filter.
	b.fill("Global search", "ali")
	b.waitJS("search keeps Alice alone", `document.querySelectorAll('.wb-agent').length === 1 && `+card("Alice")+` !== undefined`, 5*time.Second)
	b.fill("Global search", m.customerNumber[len(m.customerNumber)-6:])
	b.waitJS("search by the customer's number", `document.querySelectorAll('.wb-agent').length === 1 && `+card("Alice")+` !== undefined`, 5*time.Second)
	b.fill("Global search", "")
	b.fill("State", "on_call")
	b.waitJS("state filter: on call", `document.querySelectorAll('.wb-agent').length === 1 && `+card("Alice")+` !== undefined`, 5*time.Second)
	b.fill("State", "logged_out")
	b.waitJS("state filter: logged out (the two other phones)", `document.querySelectorAll('.wb-agent').length === 2 && `+card("Alice")+` === undefined`, 5*time.Second)
	b.fill("State", "")

	// Listen from Alice's card, on the supervisor's phone.
	b.fill("My phone", fmt.Sprint(m.sup.ID))
	b.click("Listen to Alice")
	b.waitJS("Alice's card shows listen", card("Alice")+`?.innerText.includes('listen')`, 20*time.Second)
	var mon acd.Monitor
	testkit.Eventually(t, 10*time.Second, func() bool {
		ms := m.monitors(t)
		if len(ms) == 1 && ms[0].Connected && ms[0].Mode == acd.MonitorListen && ms[0].AgentID == m.alice.ID {
			mon = ms[0]
			return true
		}
		return false
	}, "the listen monitor connected")
	b.screenshot("wallboard-listen")
	b.click("Stop listen")
	testkit.Eventually(t, 10*time.Second, func() bool { return len(m.monitors(t)) == 0 }, "the monitor stopped")
	b.waitJS("Alice's card no longer shows listen", card("Alice")+`?.innerText.includes('listen') === false`, 10*time.Second)

	// Barge: Alice's call is a 3-way call on the board; the 3-way filter
	// finds it.
	b.click("Barge to Alice")
	b.waitJS("Alice's card shows 3-way", card("Alice")+`?.dataset.state === 'three_way' && `+card("Alice")+`.innerText.includes('3-way')`, 20*time.Second)
	b.fill("State", "three_way")
	b.waitJS("state filter: 3-way", `document.querySelectorAll('.wb-agent').length === 1 && `+card("Alice")+` !== undefined`, 5*time.Second)
	b.screenshot("wallboard-3way")
	b.fill("State", "")
	b.click("Stop barge")
	testkit.Eventually(t, 10*time.Second, func() bool { return len(m.monitors(t)) == 0 }, "the barge stopped")
	b.waitJS("Alice on call again", card("Alice")+`?.dataset.state === 'on_call'`, 10*time.Second)
	code, body := e.call(http.MethodGet, "/api/v1/supervisor/monitor-audit", nil)
	if code != http.StatusOK || !containsAll(string(body), mon.ID, `"by":"sup@acme.test"`, `"mode":"listen"`, `"end_reason":"stopped"`) {
		t.Errorf("audit: %d %s", code, body)
	}

	// The customer hangs up: Alice is available again, the queue tile
	// counted the answered call.
	if err := e.a.Calls().Client().Hangup(ctx, m.customerChan, ""); err != nil {
		t.Fatal(err)
	}
	b.waitJS("Alice available again", card("Alice")+`?.dataset.state === 'available'`, 20*time.Second)
	b.waitJS("service level on the queue tile", `[...document.querySelectorAll('.wb-queue')].some(q => q.innerText.includes('100%'))`, 10*time.Second)
	b.screenshot("wallboard-after-call")

	// Paused with a reason (missed_ring: the agent desk's automatic pause
	// after a missed ring) shows on the card; the state filter finds it.
	e.action(m.alice.ID, "pause", map[string]string{"reason": "missed_ring"})
	b.waitJS("Alice paused with the reason", card("Alice")+`?.dataset.state === 'paused' && `+card("Alice")+`.innerText.includes('missed ring (auto-pause)')`, 10*time.Second)
	b.fill("State", "paused")
	b.waitJS("state filter: paused", `document.querySelectorAll('.wb-agent').length === 1 && `+card("Alice")+` !== undefined`, 5*time.Second)
	b.noCSPViolations()
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
