package app_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestConsoleLayoutInBrowser opens the login, forgot-password, reset and
// invitation pages, then every screen of an owner's menu in
// Chromium at a laptop size (1366×768) and a phone size (390×844), going
// through the menu as a person does (on the phone: the Menu button first).
// The flow editor (in the menu as "Flow editor") must also be usable at
// both sizes: its palette, canvas, properties and Save button on screen
// and not covered, a widget added from the palette drawn on the canvas,
// and still no sideways scroll.
// It fails when the document scrolls sideways on any screen (a wide table
// may scroll inside its own container, the page may not), when a menu
// entry cannot be reached (hidden, covered, or off screen once scrolled to),
// or when the top bar's Log out button is off screen.
func TestConsoleLayoutInBrowser(t *testing.T) {
	a, _ := boot(t, nil)
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "owner")
	// Rows in the dashboard and the report: a table with data is what
	// widens a page.
	uploadFile(t, a, c.key, c.autoFlow, "layout.csv", reminderCSV)

	for _, size := range []struct {
		name          string
		width, height int64
		phone         bool
	}{
		{"laptop", 1366, 768, false},
		{"phone", 390, 844, true},
	} {
		t.Run(size.name, func(t *testing.T) {
			b := newBrowser(t, a, size.width, size.height)
			// The pages without a session first.
			for _, p := range []struct{ hash, title string }{
				{"/", "Log in"}, {"/forgot", "Forgot your password?"},
				{"/reset?token=x", "Choose a new password"}, {"/invite?token=x", "Welcome to Switchyard"},
			} {
				b.open(p.hash)
				b.waitText(p.title)
				if w := b.overflow(); w != "" {
					t.Errorf("%s at %dx%d scrolls sideways: %s", p.hash, size.width, size.height, w)
				}
			}
			b.login("owner@acme.test", "correct horse battery")
			paths := jsEval[[]string](b, "menu entries", `[...document.querySelectorAll('nav[aria-label=Main] a')].map(a => a.getAttribute('href').slice(1))`)
			if len(paths) < 20 {
				t.Fatalf("an owner's menu has %d entries: %v", len(paths), paths)
			}
			for _, p := range paths {
				if size.phone {
					b.click("Menu")
				}
				b.reachMenu(p)
				b.waitJS("open "+p, fmt.Sprintf(`location.hash === %q && !!document.querySelector('main h1')`, "#"+p), 20*time.Second)
				b.settle()
				if size.phone {
					b.waitJS("menu closed on "+p, `getComputedStyle(document.getElementById('sidenav')).display === 'none'`, 5*time.Second)
				}
				if w := b.overflow(); w != "" {
					b.screenshot("layout-" + size.name + strings.ReplaceAll(p, "/", "-"))
					t.Errorf("%s at %dx%d scrolls sideways: %s", p, size.width, size.height, w)
				}
				if p == "/flow-editor" {
					b.editorUsable(size.name)
				}
				if !jsEval[bool](b, "log out visible", `(() => {
					const r = [...document.querySelectorAll('.topbar button')].find(x => x.innerText.trim() === 'Log out').getBoundingClientRect();
					return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth;
				})()`) {
					t.Errorf("%s at %dx%d: the Log out button is off screen", p, size.width, size.height)
				}
			}
		})
	}
}

// reachMenu clicks the menu entry for path after checking a person can
// reach it: visible, inside the viewport once the menu is scrolled to it,
// and not covered by anything else.
func (b *browserEnv) reachMenu(path string) {
	b.t.Helper()
	q, _ := json.Marshal("#" + path)
	expr := fmt.Sprintf(`(() => {
		const a = document.querySelector('nav[aria-label=Main] a[href=' + CSS.escape(%s) + ']');
		if (!a) return 'no such entry';
		a.scrollIntoView({ block: 'nearest' });
		const r = a.getBoundingClientRect();
		if (r.width === 0 || r.height === 0) return 'hidden';
		if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 1 || r.right > innerWidth + 1) return 'off screen at ' + JSON.stringify(r);
		const hit = document.elementFromPoint(r.left + Math.min(20, r.width / 2), r.top + r.height / 2);
		if (!hit || !(hit === a || a.contains(hit))) return 'covered by ' + (hit ? hit.outerHTML.slice(0, 200) : 'nothing');
		a.click();
		return '';
	})()`, q)
	why := ""
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if why = jsEval[string](b, "reach menu entry "+path, expr); why == "" {
			return
		}
	}
	b.screenshot("failed-menu" + strings.ReplaceAll(path, "/", "-"))
	b.t.Fatalf("menu entry %s cannot be reached: %s", path, why)
}

// settle waits until the page has stopped loading (no busy region, no
// "Loading…" text) and the layout stays the same for a moment.
func (b *browserEnv) settle() {
	b.t.Helper()
	jsEval[bool](b, "page settled", `new Promise(ok => {
		let last = '', same = 0, n = 0;
		const tick = () => {
			const busy = document.querySelector('[aria-busy=true]') || document.querySelector('main').innerText.includes('Loading…');
			const now = document.documentElement.scrollWidth + 'x' + document.documentElement.scrollHeight;
			same = !busy && now === last ? same + 1 : 0;
			last = now;
			if (same >= 3 || ++n > 40) ok(true); else setTimeout(tick, 100);
		};
		tick();
	})`)
}

// overflow describes what makes the document wider than the viewport
// ("" when nothing does): the widest elements that stick out.
func (b *browserEnv) overflow() string {
	b.t.Helper()
	return jsEval[string](b, "horizontal overflow", `(() => {
		const d = document.documentElement;
		if (d.scrollWidth <= d.clientWidth) return '';
		const out = [];
		for (const el of document.body.querySelectorAll('*')) {
			const r = el.getBoundingClientRect();
			if (r.right > d.clientWidth + 1) {
				let inScroller = false;
				for (let p = el.parentElement; p && p !== d; p = p.parentElement) {
					const ox = getComputedStyle(p).overflowX;
					if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden') && p.getBoundingClientRect().right <= d.clientWidth + 1) { inScroller = true; break; }
				}
				if (!inScroller) out.push(el.tagName.toLowerCase() + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().replace(/\s+/g, '.') : '') + ' right=' + Math.round(r.right));
			}
		}
		return 'scrollWidth ' + d.scrollWidth + ' > clientWidth ' + d.clientWidth + ': ' + out.slice(0, 6).join(', ');
	})()`)
}

// TestConsoleFieldErrorsInBrowser: errors the API answers with a field
// ({code, message, field}) appear next to that field, marked invalid, in
// the forms of the Users, Blacklist and Agent UI screens; the form stays
// open with what was typed.
func TestConsoleFieldErrorsInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	c := setupConsoleAccount(t, a)
	consoleUser(t, a, c, "owner")
	b := newBrowser(t, a, 1366, 768)
	b.login("owner@acme.test", "correct horse battery")

	// A user with an email the account already has: 409 on "email".
	b.open("/users")
	b.click("Add user")
	b.fill("Email", "owner@acme.test")
	b.fill("Role", "admin")
	b.click("Save")
	b.waitFieldError("Email", "already exists")
	b.screenshot("field-error")
	b.click("Cancel")

	// A blacklisted number that is not one: 422 on "value".
	b.open("/blacklist")
	b.click("Add number")
	b.fill("Phone number", "not a number")
	b.click("Save")
	b.waitFieldError("Phone number", "")
	b.click("Cancel")

	// An agent UI window wider than allowed: 422 on "width".
	b.open("/agent-ui")
	b.check("Embedded Widget")
	b.fill("Webapp URL", "https://crm.acme.test/agent")
	b.fill("Window width (px)", "99999")
	b.click("Save")
	b.waitFieldError("Window width (px)", "")
	if e := b.fieldError("Webapp URL"); e != "" {
		t.Errorf("the URL shows %q", e)
	}
	b.noCSPViolations()
}

// editorUsable checks the flow editor's controls can be used at this
// size: each one visible once scrolled to, inside the viewport's width and
// not covered; the canvas big enough to work on; a widget clicked in the
// palette appears on the canvas; the page still does not scroll sideways.
func (b *browserEnv) editorUsable(size string) {
	b.t.Helper()
	for _, sel := range []string{`.fe-item[data-widget="answer"]`, `.fe-item[data-widget="hangup"]`, `.fe-bar [data-act=save]`, `.fe-bar [data-act=layout]`, `.fe-panel [aria-label="Flow name"]`, `.react-flow__controls-zoomin`} {
		q, _ := json.Marshal(sel)
		why := jsEval[string](b, "reach "+sel, fmt.Sprintf(`(() => {
			const el = document.querySelector(%s);
			if (!el) return 'missing';
			el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
			const r = el.getBoundingClientRect();
			if (r.width < 16 || r.height < 16) return 'too small: ' + JSON.stringify(r);
			if (r.left < 0 || r.right > document.documentElement.clientWidth + 1 || r.top < 0 || r.bottom > innerHeight + 1) return 'off screen at ' + JSON.stringify(r);
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (!hit || !(hit === el || el.contains(hit))) return 'covered by ' + (hit ? hit.outerHTML.slice(0, 160) : 'nothing');
			return '';
		})()`, q))
		if why != "" {
			b.screenshot("editor-" + size)
			b.t.Errorf("flow editor at %s: %s: %s", size, sel, why)
		}
	}
	wh := jsEval[[]float64](b, "canvas size", `(() => { const r = document.querySelector('.fe-canvas').getBoundingClientRect(); return [r.width, r.height]; })()`)
	if wh[0] < 300 || wh[1] < 300 {
		b.t.Errorf("flow editor at %s: the canvas is %.0f×%.0f", size, wh[0], wh[1])
	}
	b.mouseClick(`.fe-item[data-widget="answer"]`)
	b.waitJS("a node added at "+size, `document.querySelectorAll('.react-flow__node[data-id="answer_1"]').length === 1`, 10*time.Second)
	if w := b.overflow(); w != "" {
		b.screenshot("editor-overflow-" + size)
		b.t.Errorf("flow editor at %s with a node scrolls sideways: %s", size, w)
	}
	// Leave the screen without its question about unsaved changes.
	jsEval[bool](b, "scroll back", `(scrollTo(0, 0), true)`)
}
