package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// center is the middle of the first element matching selector, in CSS
// pixels of the viewport.
func (b *browserEnv) center(selector string) (float64, float64) {
	b.t.Helper()
	q, _ := json.Marshal(selector)
	b.waitJS("find "+selector, fmt.Sprintf(`!!document.querySelector(%s)`, q), 20*time.Second)
	xy := jsEval[[]float64](b, "locate "+selector, fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`, q))
	return xy[0], xy[1]
}

// settled waits until the element matching selector stays in place (the
// canvas fits the flow into view once its nodes are measured).
func (b *browserEnv) settled(selector string) {
	b.t.Helper()
	q, _ := json.Marshal(selector)
	expr := fmt.Sprintf(`new Promise(ok => {
		const at = () => { const el = document.querySelector(%s); return el ? JSON.stringify(el.getBoundingClientRect()) : ''; };
		const a = at();
		setTimeout(() => ok(a !== '' && a === at()), 250);
	})`, q)
	for range 80 {
		if jsEval[bool](b, "settled "+selector, expr) {
			return
		}
	}
	b.t.Fatalf("%s never stays in place", selector)
}

// mouseDrag presses the left button at (x0, y0), moves in steps to
// (x1, y1) and releases it there: a person dragging with the mouse.
func (b *browserEnv) mouseDrag(step string, x0, y0, x1, y1 float64) {
	b.t.Helper()
	b.mouseDragSteps(step, x0, y0, x1, y1, 12)
}

// mouseDragSteps is mouseDrag in n moves.
func (b *browserEnv) mouseDragSteps(step string, x0, y0, x1, y1 float64, n int) {
	b.t.Helper()
	acts := []chromedp.Action[chromedp.Void]{
		chromedp.MouseEvent(chromedp.MouseMoved, x0, y0),
		chromedp.MouseEvent(chromedp.MousePressed, x0, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)),
	}
	for i := 1; i <= n; i++ {
		x, y := x0+(x1-x0)*float64(i)/float64(n), y0+(y1-y0)*float64(i)/float64(n)
		acts = append(acts, chromedp.MouseEvent(chromedp.MouseMoved, x, y, chromedp.ButtonLeft, func(p *input.DispatchMouseEventParams) { p.Buttons = 1 }))
	}
	acts = append(acts, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	b.run(step, acts...)
	// A drag swallows the click that follows it at once (until the page's
	// next timer task, which Chromium runs after pending input): a person
	// never clicks that fast, so neither does the test.
	jsEval[bool](b, "after "+step, `new Promise(ok => setTimeout(() => ok(true), 30))`)
}

// mouseClick clicks the middle of the element matching selector.
func (b *browserEnv) mouseClick(selector string) {
	b.t.Helper()
	x, y := b.center(selector)
	b.run("click "+selector, chromedp.MouseEvent(chromedp.MouseMoved, x, y), chromedp.MouseClickXY(x, y))
}

// typeInto sets the value of the editor control matching selector as
// typing does (the control sees an input event; a select a change).
func (b *browserEnv) typeInto(selector, value string) {
	b.t.Helper()
	qs, _ := json.Marshal(selector)
	qv, _ := json.Marshal(value)
	b.waitJS("type into "+selector, fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) return false;
		const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, %s);
		el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
		return true;
	})()`, qs, qv), 20*time.Second)
}

func (b *browserEnv) keys(step, key string, mods ...chromedp.Modifier) {
	b.t.Helper()
	b.run(step, chromedp.KeyEvent(key, chromedp.KeyModifiers(mods...)))
}

func (b *browserEnv) nodeCount() int {
	return jsEval[int](b, "count nodes", `document.querySelectorAll('.react-flow__node').length`)
}

const nodeSel = `.react-flow__node[data-id="%s"]`

// TestFlowEditorInBrowser builds the README's IVR example in the flow
// editor in a real Chromium, against the daemon and the real Asterisk,
// with the mouse (and the keyboard for what is typed): the editor opened
// from the menu, widgets dragged from the palette onto the canvas (answer,
// a menu, three plays, a hangup), the README's node ids and the
// parameters typed in the properties panel (a problem the validator names
// is shown on the node and at its field until fixed), exits connected by
// dragging from a node's line to the next node, auto-laid out; saved (the
// positions come back from the server, and the draft is the README's
// example once the layout is left out), published, then a test call to a
// whitelisted test line that answers and presses 1: the journey lights up
// node by node while the call runs (answer, menu, the digit-1 message,
// end) and the call's stored journey says the same. Then copy, paste, undo and redo on the canvas, a node
// deleted and brought back by one undo, and a
// roll back to version 1 from the versions and their diff.
func TestFlowEditorInBrowser(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.OTPEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	acct := created.Account.ID
	st := a.Store()
	_, key, err := st.CreateAPIKey(ctx, acct, "k")
	if err != nil {
		t.Fatal(err)
	}
	number := testArea() + "5550111" // answers and presses 1
	if _, err := st.AddListEntry(ctx, acct, store.ListWhite, store.KindPhone, number, true); err != nil {
		t.Fatal(err)
	}

	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/variables/office", map[string]string{"value": "Berlin"}); code != http.StatusOK {
		t.Fatalf("user variable: %d %s", code, body)
	}

	b := newBrowser(t, a, 1366, 768)
	b.login("owner@acme.test", "correct horse battery")
	// A newcomer finds the editor in the menu.
	b.open("/requests")
	b.reachMenu("/flow-editor")
	b.waitJS("editor open", `!!document.querySelector('.fe .react-flow__pane') && document.querySelector('main h1')?.innerText === 'New flow'`, 20*time.Second)
	b.waitText("A new flow: drag widgets from the palette")
	b.keyboardInto(`[aria-label="Flow name"]`, "Support line")
	// Fields that take a variable offer the declared $flow.key.* names,
	// the account's $user.key.* and the system variables.
	b.keyboardInto(`[aria-label="Flow variables"]`, "choice")
	b.waitJS("variables offered", `['$flow.key.choice', '$user.key.office', '$call.cli', '$sys.date'].every(v => [...document.querySelectorAll('#sy-vars option')].some(o => o.value === v))`, 20*time.Second)

	// Drag the widgets of the README's IVR onto the canvas, in its order.
	pane := jsEval[[]float64](b, "canvas", `(() => { const r = document.querySelector('.fe-canvas').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`)
	left, top, width := pane[0], pane[1], pane[2]
	for _, w := range []struct {
		widget string
		x, y   float64
	}{
		{"answer", 0.5, 40}, {"menu", 0.5, 170}, {"play", 0.2, 330}, {"play", 0.5, 330}, {"play", 0.8, 330}, {"hangup", 0.5, 480},
	} {
		sx, sy := b.center(fmt.Sprintf(`.fe-item[data-widget=%q]`, w.widget))
		before := b.nodeCount()
		b.mouseDrag("drag "+w.widget, sx, sy, left+w.x*width, top+w.y)
		b.waitJS("dropped "+w.widget, fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length === %d`, before+1), 10*time.Second)
	}
	ids := jsEval[[]string](b, "node ids", `[...document.querySelectorAll('.react-flow__node')].map(n => n.dataset.id)`)
	if strings.Join(ids, ",") != "answer_1,menu_1,play_1,play_2,play_3,hangup_1" {
		t.Fatalf("nodes after the drags: %v", ids)
	}
	// The README's node ids, typed in the properties panel.
	for _, r := range [][2]string{{"answer_1", "answer"}, {"menu_1", "menu"}, {"play_1", "message"}, {"play_2", "readback"}, {"play_3", "goodbye"}, {"hangup_1", "end"}} {
		b.mouseClick(fmt.Sprintf(nodeSel+" .fe-node-head", r[0]))
		b.keyboardInto(`.fe-panel [aria-label="Node id"]`, r[1]+"\r")
		b.waitJS("renamed "+r[0], fmt.Sprintf(`!!document.querySelector('.react-flow__node[data-id="%s"]') && !document.querySelector('.react-flow__node[data-id="%s"]')`, r[1], r[0]), 10*time.Second)
	}

	// The menu has no options yet: the validator's problem is on the node
	// and at the field.
	b.mouseClick(fmt.Sprintf(nodeSel+" .fe-node-head", "menu"))
	b.waitJS("menu problem pinned", `!!document.querySelector('.react-flow__node[data-id="menu"] .fe-node-bad') && (document.querySelector('.fe-panel [data-field=options] .field-error')?.innerText || '').includes('required')`, 20*time.Second)
	b.mouseClick(`.fe-panel [aria-label="Add prompt item"]`)
	b.keyboardInto(`.fe-panel [aria-label="prompt 1"]`, "sound:vm-enter-num-to-call")
	b.keyboardInto(`.fe-panel textarea[aria-label="options"]`, `{"1": 2, "2": 3}`)
	b.keyboardInto(`.fe-panel [aria-label="timeout"]`, "5")
	b.keyboardInto(`.fe-panel [aria-label="variable"]`, "$flow.key.choice")
	// Now the validator wants digit 1's line connected.
	b.waitJS("options problem changed", `(document.querySelector('.fe-panel [data-field=options] .field-error')?.innerText || '').includes('exit line 2, which is not connected')`, 20*time.Second)

	for _, p := range []struct {
		node  string
		media []string
	}{
		{"message", []string{"sound:demo-thanks"}},
		{"readback", []string{"sound:vm-num-i-have", "digits:$call.cli"}},
		{"goodbye", []string{"sound:goodbye"}},
	} {
		b.mouseClick(fmt.Sprintf(nodeSel+" .fe-node-head", p.node))
		for i, m := range p.media {
			b.mouseClick(`.fe-panel [aria-label="Add media item"]`)
			b.keyboardInto(fmt.Sprintf(`.fe-panel [aria-label="media %d"]`, i+1), m)
		}
	}

	// Connect the exits by dragging from a line to the next node.
	connect := func(from string, line int, to string) {
		t.Helper()
		x0, y0 := b.center(fmt.Sprintf(nodeSel+` .fe-handle[data-line="%d"]`, from, line))
		x1, y1 := b.center(fmt.Sprintf(nodeSel+` .react-flow__handle.target`, to))
		b.mouseDrag(fmt.Sprintf("connect %s line %d to %s", from, line, to), x0, y0, x1, y1)
		b.waitJS(fmt.Sprintf("edge %s~%d", from, line), fmt.Sprintf(`!!document.querySelector('.react-flow__edge[data-id="%s~%d"]')`, from, line), 10*time.Second)
	}
	connect("answer", 0, "menu")
	connect("menu", 2, "message")
	connect("menu", 3, "readback")
	connect("menu", 1, "goodbye")
	connect("message", 0, "end")
	connect("readback", 0, "end")
	connect("goodbye", 0, "end")
	b.mouseClick(`.fe-bar [data-act=layout]`)
	b.waitJS("valid", `document.querySelector('.fe-status')?.dataset.valid === 'true'`, 20*time.Second)

	// Save: the flow is created and opens again from the server, where
	// the positions are kept.
	where := `JSON.stringify([...document.querySelectorAll('.react-flow__node')].map(n => [n.dataset.id, n.style.transform]).sort())`
	before := jsEval[string](b, "positions", where)
	b.mouseClick(`.fe-bar [data-act=save]`)
	b.waitText(`Flow "Support line" created.`)
	b.waitJS("reopened", `location.hash.includes('id=') && document.querySelectorAll('.react-flow__node').length === 6 && document.querySelector('.fe-status')?.dataset.valid === 'true'`, 20*time.Second)
	b.waitJS("declared variables shown", `document.querySelector('[aria-label="Flow variables"]')?.value === 'choice'`, 10*time.Second)
	if after := jsEval[string](b, "positions again", where); after != before {
		t.Errorf("positions after saving and opening again:\n%s\nbefore:\n%s", after, before)
	}
	flowID := jsEval[string](b, "flow id", `new URLSearchParams(location.hash.split('?')[1]).get('id')`)
	// The draft built by mouse is the README's example.
	code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+flowID, nil)
	var draft struct {
		Draft json.RawMessage `json:"draft"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &draft) != nil {
		t.Fatalf("the saved flow: %d %s", code, body)
	}
	if got, want := meaning(t, draft.Draft), meaning(t, readmeIVR(t)); !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("the flow built by mouse is not the README's IVR:\n%s\nwant:\n%s", g, w)
	}

	// Publish.
	b.click("Publish")
	b.waitText("Publish flow")
	b.click("Publish")
	b.waitText("Published version 1.")
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+flowID+"/versions/1", nil)
	var v1 struct {
		Definition json.RawMessage `json:"definition"`
	}
	if code != http.StatusOK || json.Unmarshal(body, &v1) != nil {
		t.Fatalf("version 1: %d %s", code, body)
	}
	f, err := flows.Parse(v1.Definition, flows.Features{})
	if err != nil {
		t.Fatalf("the published version: %v", err)
	}
	if f.Start != "answer" || len(f.Nodes) != 6 || len(f.Layout) != 6 || f.Node("menu").Exit(2) != "message" || f.Node("menu").Exit(1) != "goodbye" {
		t.Fatalf("the published version: %s", v1.Definition)
	}

	// The test call: the journey lights up node by node while it runs.
	jsEval[bool](b, "watch the live nodes", `(window.__lit = [], window.__litT = setInterval(() => {
		const a = document.querySelector('.react-flow__node.live-active');
		if (a && window.__lit[window.__lit.length - 1] !== a.dataset.id) window.__lit.push(a.dataset.id);
	}, 25), true)`)
	b.click("Test call")
	b.typeInto(`[role=dialog] [aria-label="Number to call"]`, number)
	b.waitJS("Call enabled", `[...document.querySelectorAll('[role=dialog] button')].some(x => x.innerText === 'Call' && !x.disabled)`, 10*time.Second)
	b.click("Call")
	b.waitJS("the call ended", `!!document.querySelector('.fe-live-end')`, 60*time.Second)
	steps := jsEval[[]string](b, "live steps", `[...document.querySelectorAll('.fe-live-steps li[data-step]')].map(l => l.dataset.step)`)
	lit := jsEval[[]string](b, "lit nodes", `(clearInterval(window.__litT), window.__lit)`)
	outcome := jsEval[string](b, "outcome", `document.querySelector('.fe-live-end').dataset.outcome`)
	if strings.Join(steps, ",") != "answer,menu,message,end" || outcome != "hangup_widget" {
		t.Fatalf("live journey: steps %v outcome %s", steps, outcome)
	}
	// The menu and the play each took seconds: each was lit while it ran.
	if !strings.Contains(strings.Join(lit, ","), "menu,message") {
		t.Errorf("nodes lit while running: %v", lit)
	}
	done := jsEval[[]string](b, "done nodes", `[...document.querySelectorAll('.react-flow__node.live-done')].map(n => n.dataset.id).sort()`)
	if strings.Join(done, ",") != "answer,end,menu,message" {
		t.Errorf("nodes marked done: %v", done)
	}
	b.screenshot("flow-editor")
	at := finishedAttempt(t, st, acct, number)
	if at.DTMF != "1" {
		t.Errorf("the test call's attempt: dtmf %q status %s", at.DTMF, at.Status)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil)
	for _, n := range []string{"answer", "menu", "message", "end"} {
		if code != http.StatusOK || !strings.Contains(string(body), `"node":"`+n+`"`) {
			t.Errorf("stored journey lacks %s: %d %s", n, code, body)
		}
	}
	b.mouseClick(`.fe-live-head button`)

	// Copy, paste, undo, redo.
	b.mouseClick(fmt.Sprintf(nodeSel+" .fe-node-head", "goodbye"))
	b.keys("copy", "c", chromedp.ModifierCtrl)
	b.keys("paste", "v", chromedp.ModifierCtrl)
	b.waitJS("pasted", `document.querySelectorAll('.react-flow__node').length === 7 && !!document.querySelector('.react-flow__node[data-id="play_1"]')`, 10*time.Second)
	b.keys("undo", "z", chromedp.ModifierCtrl)
	b.waitJS("undone", `document.querySelectorAll('.react-flow__node').length === 6`, 10*time.Second)
	b.keys("redo", "z", chromedp.ModifierCtrl, chromedp.ModifierShift)
	b.waitJS("redone", `document.querySelectorAll('.react-flow__node').length === 7`, 10*time.Second)
	b.keys("undo again", "z", chromedp.ModifierCtrl)
	b.waitJS("undone again", `document.querySelectorAll('.react-flow__node').length === 6 && document.querySelector('.fe-status').innerText.includes('saved') && !document.querySelector('.fe-status').innerText.includes('unsaved')`, 10*time.Second)

	// Delete a node (its edges go with it) and undo it in one step.
	b.mouseClick(fmt.Sprintf(nodeSel+" .fe-node-head", "goodbye"))
	b.keys("delete", kb.Delete)
	b.waitJS("deleted", `document.querySelectorAll('.react-flow__node').length === 5 && !document.querySelector('.react-flow__edge[data-id="menu~1"]')`, 10*time.Second)
	b.keys("undo the delete", "z", chromedp.ModifierCtrl)
	b.waitJS("delete undone", `document.querySelectorAll('.react-flow__node').length === 6 && !!document.querySelector('.react-flow__edge[data-id="menu~1"]') && !!document.querySelector('.react-flow__edge[data-id="goodbye~0"]')`, 10*time.Second)

	// Versions: the diff with the draft, and a roll back.
	b.click("Versions")
	b.waitText("v1 (live)")
	b.waitText("no change in meaning")
	b.click("Roll back to v1")
	b.waitText("Roll back to v1")
	b.click("Roll back")
	b.waitText("Rolled back: version 1 is live again as v2.")
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+flowID, nil)
	if code != http.StatusOK || !strings.Contains(string(body), `"published_version":2`) {
		t.Errorf("after the roll back: %d %s", code, body)
	}
	b.noCSPViolations()
}

// meaning is a flow document as the engine reads it: without the
// editor's layout and without trailing empty exit lines (a missing line
// ends the call as an empty one does), as generic JSON.
func meaning(t *testing.T, doc []byte) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("%v: %s", err, doc)
	}
	delete(m, "layout")
	nodes, _ := m["nodes"].([]any)
	for _, n := range nodes {
		node := n.(map[string]any)
		exits, _ := node["exits"].([]any)
		for len(exits) > 0 && exits[len(exits)-1] == "" {
			exits = exits[:len(exits)-1]
		}
		if len(exits) == 0 {
			delete(node, "exits")
		} else {
			node["exits"] = exits
		}
		if p, ok := node["params"].(map[string]any); ok && len(p) == 0 {
			delete(node, "params")
		}
	}
	return m
}

// TestFlowEditorRoundTripInBrowser opens every flow of testdata/flows in
// the flow editor in Chromium, moves a node with the mouse, saves, and
// checks that the stored draft means exactly the original (the same JSON
// once the editor-only layout is left out) with a position for each node.
func TestFlowEditorRoundTripInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	_, key, err := a.Store().CreateAPIKey(ctx, created.Account.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "flows", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("example flows: %v", err)
	}
	b := newBrowser(t, a, 1366, 768)
	b.login("owner@acme.test", "correct horse battery")
	ids := map[string]string{}
	for _, file := range files {
		orig, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		id := createFlow(t, a, key, string(orig))
		ids[filepath.Base(file)] = id
		b.open("/flow-editor?id=" + id)
		parsed, err := flows.Decode(orig)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		n := len(parsed.Nodes)
		b.waitJS("opened "+filepath.Base(file), fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length === %d && document.querySelector('.fe-status')?.innerText.includes('saved')`, n), 20*time.Second)
		b.settled(`.react-flow__node .fe-node-head`)
		x, y := b.center(`.react-flow__node .fe-node-head`)
		b.mouseDrag("move a node of "+filepath.Base(file), x, y, x+30, y+20)
		b.waitJS("unsaved", `document.querySelector('.fe-status').innerText.includes('unsaved')`, 10*time.Second)
		b.mouseClick(`.fe-bar [data-act=save]`)
		b.waitJS("saved", `!document.querySelector('.fe-status').innerText.includes('unsaved')`, 20*time.Second)
		code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/flows/"+id, nil)
		var f struct {
			Draft json.RawMessage `json:"draft"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &f) != nil {
			t.Fatalf("%s: GET the flow: %d %s", file, code, body)
		}
		if got, want := meaning(t, f.Draft), meaning(t, orig); !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("%s: saved from the editor:\n%s\nwant:\n%s", filepath.Base(file), g, w)
		}
		saved, err := flows.Decode(f.Draft)
		if err != nil || len(saved.Layout) != len(saved.Nodes) {
			t.Errorf("%s: layout of the saved draft: %v (%d positions, %d nodes)", filepath.Base(file), err, len(saved.Layout), len(saved.Nodes))
		}
	}

	// A transactional flow: the editor submits its draft for the
	// operator's approval, and nothing goes live.
	id := ids["payment_reminder.json"]
	fid, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Store().SetAccountTransactional(ctx, created.Account.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store().SetFlowTransactional(ctx, created.Account.ID, fid, true); err != nil {
		t.Fatal(err)
	}
	b.open("/flow-editor?id=" + id)
	b.waitJS("opened the transactional flow", `document.querySelector('.fe-status')?.dataset.valid === 'true' && [...document.querySelectorAll('.fe-bar button')].some(x => x.innerText === 'Submit for approval')`, 20*time.Second)
	b.click("Submit for approval")
	b.waitText("the version goes live only when our operations team approves it")
	b.click("Submit for approval")
	b.waitText("Submitted version 1 for approval: it goes live once approved.")
	b.waitText("v1 awaiting approval")
	f, err := a.Store().GetFlow(ctx, created.Account.ID, fid)
	if err != nil || f.PublishedVersion != 0 {
		t.Errorf("the transactional flow after the editor submitted it: live version %d, %v", f.PublishedVersion, err)
	}
	b.noCSPViolations()
}

// keyboardInto types text into the control matching selector as a person
// does: scrolled into view, clicked, everything in it selected (Ctrl+A)
// and replaced by the keys of text ("\r" is Enter).
func (b *browserEnv) keyboardInto(selector, text string) {
	b.t.Helper()
	q, _ := json.Marshal(selector)
	b.waitJS("scroll to "+selector, fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (!el) return false; el.scrollIntoView({ block: 'center' }); return true; })()`, q), 20*time.Second)
	b.mouseClick(selector)
	b.waitJS("focus on "+selector, fmt.Sprintf(`document.activeElement === document.querySelector(%s)`, q), 5*time.Second)
	b.keys("select all in "+selector, "a", chromedp.ModifierCtrl)
	b.run("type into "+selector, chromedp.KeyEvent(text))
}

// readmeIVR is the README's inbound IVR example (the JSON block after the
// marker naming testdata/flows/readme_ivr.json).
func readmeIVR(t *testing.T) []byte {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const marker = "<!-- testdata/flows/readme_ivr.json -->\n```json\n"
	_, block, ok := strings.Cut(string(readme), marker)
	if !ok {
		t.Fatalf("README.md has no %q", marker)
	}
	block, _, ok = strings.Cut(block, "\n```")
	if !ok {
		t.Fatal("README.md: the IVR example's block does not end")
	}
	return []byte(block)
}
