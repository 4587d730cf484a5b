package app_test

import (
	"testing"
	"time"
)

// TestEditorMessageWidgetsInBrowser: the flow editor's palette offers the
// SMS and Email widgets under Integration; added to a flow, each shows
// its two exit lines (sent, failed) and its fields.
func TestEditorMessageWidgetsInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")
	b.open("/flow-editor")
	b.waitJS("editor open", `!!document.querySelector('.fe .react-flow__pane')`, 20*time.Second)
	b.waitJS("palette", `(() => {
		const items = [...document.querySelectorAll('.fe-palette .fe-item')].map(e => e.dataset.widget);
		const i = items.indexOf('sms'), j = items.indexOf('email'), w = items.indexOf('webhook');
		return i > w && j > i;
	})()`, 10*time.Second)
	for _, w := range []struct{ label, fields string }{
		{"SMS", `['to', 'text']`},
		{"Email", `['to', 'subject', 'text']`},
	} {
		// A keyboard press on the palette item adds the widget.
		b.waitJS("add "+w.label, `(() => { document.querySelector('[aria-label="Add `+w.label+`"]').click(); return true; })()`, 5*time.Second)
		b.waitJS(w.label+" node with sent/failed lines", `[...document.querySelectorAll('.react-flow__node')].some(n => n.innerText.includes('`+w.label+`') && n.innerText.includes('sent') && n.innerText.includes('failed'))`, 10*time.Second)
		b.waitJS(w.label+" fields", w.fields+`.every(f => !!document.querySelector('input[aria-label="' + f + '"]'))`, 10*time.Second)
	}
	b.screenshot("editor-message-widgets")
	b.noCSPViolations()
}
