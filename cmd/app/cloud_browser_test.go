package app_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/tts/ttstest"
)

// TestConsoleCloudInBrowser walks the Cloud screen in Chromium: a spoken
// preview with the local engine (espeak-ng), an amazon web service account
// whose "Check now" first fails on a wrong secret key and then works, a
// bad alias refused next to its field, a google cloud service account
// from its JSON credentials, and the account's text-to-speech switched to
// the Polly account with a preview spoken through it. The cloud services
// are the local servers speaking their HTTP APIs (tts/ttstest).
func TestConsoleCloudInBrowser(t *testing.T) {
	for _, bin := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is required (.ci/ensure-media-tools.sh): %v", bin, err)
		}
	}
	const keyID, secret = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	polly := ttstest.StartPolly(t, "eu-west-1", map[string]string{keyID: secret})
	gkey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	google := ttstest.StartGoogle(t, gkey)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = "http://127.0.0.1:1/ari", "u", "p"
		c.PollyURL, c.GoogleTTSURL = polly.URL, google.URL
	})
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "setup")
	if err != nil {
		t.Fatal(err)
	}
	consoleUser(t, a, consoleAccount{id: acc.ID, key: key}, "owner")
	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")

	b.open("/cloud")
	b.waitText("No cloud accounts")
	// The local engine speaks the preview.
	b.click("Play")
	b.waitJS("local preview plays", `(() => { const a = document.querySelector('audio[aria-label="Preview audio"]'); return !!a && a.duration > 1; })()`, 20*time.Second)
	b.screenshot("cloud-empty-preview")

	// Amazon: Check now with a wrong secret fails with the service's word,
	// then works with the right one; Save.
	b.click("Add cloud account")
	b.waitText("Secret access key")
	b.fill("Alias", "polly_main")
	b.fill("Access key ID", keyID)
	b.fill("Secret access key", "not-the-secret")
	b.fill("Region", "eu-west-1")
	b.click("Check now")
	b.waitText("InvalidSignatureException")
	b.fill("Secret access key", secret)
	b.click("Check now")
	b.waitJS("polly works", `[...document.querySelectorAll('[role=dialog] [aria-label="Check result"] li')].some(l => l.innerText.includes('works') && l.innerText.includes('Amazon Polly'))`, 20*time.Second)
	b.screenshot("cloud-aws-checked")
	b.click("Save")
	b.waitText("Cloud account configured.")
	b.waitJS("polly_main listed, its check kept", `[...document.querySelectorAll('table tr')].some(tr => tr.innerText.includes('polly_main') && tr.innerText.includes('works'))`, 20*time.Second)

	// A bad alias is refused next to the field.
	b.click("Add cloud account")
	b.fill("Alias", "bad-alias")
	b.click("Save")
	b.waitJS("alias error", `[...document.querySelectorAll('.field-error')].some(f => f.querySelector('label')?.innerText === 'Alias' && f.querySelector('.field-err')?.innerText.includes('letters, digits and underscore'))`, 10*time.Second)
	b.click("Cancel")

	// Google, from the service account's JSON credentials.
	b.click("Add cloud account")
	b.fill("Account type", "google")
	b.waitText("JSON Credentials")
	b.fill("Alias", "gcp")
	b.fill("JSON Credentials", google.Credentials(t, gkey))
	b.click("Check now")
	b.waitJS("google works", `[...document.querySelectorAll('[role=dialog] [aria-label="Check result"] li')].some(l => l.innerText.includes('works') && l.innerText.includes('Text to speech'))`, 20*time.Second)
	b.click("Save")
	b.waitText("Cloud account configured.")
	b.waitJS("gcp listed", `[...document.querySelectorAll('table td')].some(td => td.innerText === 'gcp')`, 20*time.Second)

	// The account speaks through Polly now.
	b.fill("Engine", "polly_main")
	b.waitJS("Polly's voices listed", `[...document.querySelectorAll('#tts-voices option')].some(o => o.value === 'Joanna')`, 20*time.Second)
	b.fill("Voice", "Joanna")
	b.click("Save")
	b.waitText("Text-to-speech speaks with polly_main, voice Joanna.")
	before := polly.Calls()
	b.click("Play")
	b.waitJS("polly preview offered", `(() => { const a = document.querySelector('audio[aria-label="Preview audio"]'); return !!a && a.src.startsWith('blob:'); })()`, 20*time.Second)
	// The page reads the clip's length from the WAV it was given (a loaded
	// machine can take longer than any fair wait to decode it for the player).
	b.waitJS("polly preview length shown", `(() => { const p = document.querySelector('[aria-label="Preview length"]'); const s = p ? parseFloat(p.innerText) : 0; return s > 0.3 && s < 1; })()`, 20*time.Second)
	if polly.Calls() != before+1 || polly.Last()["VoiceId"] != "Joanna" {
		t.Errorf("the preview reached Polly %d times (voice %v); want once with Joanna", polly.Calls()-before, polly.Last()["VoiceId"])
	}
	b.screenshot("cloud-accounts")
	b.noCSPViolations()

	code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/cloud-accounts", nil)
	if code != 200 || strings.Contains(string(body), secret) || strings.Contains(string(body), "PRIVATE KEY") || !strings.Contains(string(body), `"alias":"gcp"`) {
		t.Fatalf("cloud accounts: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/tts/settings", nil)
	if code != 200 || !strings.Contains(string(body), `"engine":"polly_main"`) {
		t.Fatalf("settings: %d %s", code, body)
	}
}
