package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/store"
)

// TestConsoleGrammarsInBrowser: the Grammar screen lists the Sample
// English Grammar, shows its document and what it says for a date; "Add
// New Grammar" starts from the sample's document, shows the API's
// complaint about a document missing a segment, adds the grammar, which
// is listed and then deleted after a confirmation.
func TestConsoleGrammarsInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	st := a.Store()
	acc, err := st.CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "owner@acme.test", Name: "Asha Owner", Role: "owner", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")

	b.open("/grammars")
	b.waitText("Sample English Grammar")
	b.click("View Sample English Grammar")
	b.waitJS("the sample's document", `[...document.querySelectorAll('[role=dialog] textarea')].some(t => t.value.includes('"sound:digits/mon-2"'))`, 20*time.Second)
	b.click("Say")
	b.waitText("sound:digits/mon-2 · sound:digits/h-15 · sound:digits/20 · sound:digits/20 · sound:digits/6")
	b.fill("Type", "time")
	b.fill("Value", "25:00")
	b.click("Say")
	b.waitJS("bad time next to the field", `[...document.querySelectorAll('[role=dialog] .field-err')].some(e => e.innerText.includes('not a time of day'))`, 10*time.Second)
	b.screenshot("grammar-sample")
	b.click("Close")

	b.click("Add New Grammar")
	b.waitJS("the form starts from the sample", `[...document.querySelectorAll('[role=dialog] textarea')].some(t => t.value.includes('"sound:digits/h-15"'))`, 20*time.Second)
	b.fill("Name", "uk_english")
	b.fill("Language", "en-GB")
	doc := jsEval[string](b, "document", `[...document.querySelectorAll('[role=dialog] textarea')][0].value`)
	b.fill("Grammar document", strings.Replace(doc, `"13": "sound:digits/13",`, "", 1))
	b.click("Save")
	b.waitJS("missing segment next to the document", `[...document.querySelectorAll('[role=dialog] .field-err')].some(e => e.innerText.includes('segments.numbers.13 is missing'))`, 10*time.Second)
	b.screenshot("grammar-add-error")
	b.fill("Grammar document", strings.Replace(doc, `"sound:digits/1"`, `"prompt:one_uk"`, 1))
	b.click("Save")
	b.waitText("Grammar uk_english added.")
	b.waitJS("listed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('uk_english') && tr.innerText.includes('en-GB') && tr.innerText.includes('owner@acme.test'))`, 10*time.Second)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/grammars/uk_english/say", map[string]string{"type": "number", "value": "21"}); code != 200 || !strings.Contains(string(body), `"sound:digits/20","prompt:one_uk"`) {
		t.Fatalf("the added grammar says 21: %d %s", code, body)
	}
	b.screenshot("grammars")
	if n := jsEval[float64](b, "delete buttons", `[...document.querySelectorAll('button')].filter(x => (x.getAttribute('aria-label') || '').startsWith('Delete ')).length`); n != 1 {
		t.Errorf("%v delete buttons: only the account's grammar has one, not the sample", n)
	}
	b.click("Delete uk_english")
	b.click("Remove")
	b.waitText("Grammar uk_english removed.")
	if code, _ := apiCall(t, a, key, http.MethodGet, "/api/v1/grammars/uk_english", nil); code != 404 {
		t.Errorf("after deleting in the console: %d", code)
	}
	b.noCSPViolations()
}
