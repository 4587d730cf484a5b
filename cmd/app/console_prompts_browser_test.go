package app_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/prompts"
	"github.com/switchyard/switchyard/store"
)

// TestConsolePromptsInBrowser: in a real Chromium (with a fake
// microphone), the account holder adds a prompt by uploading an mp3 and
// another by recording with the system microphone (PCM WAV made in the
// browser), hears each before saving, and sees both Pending; the operator
// approves one and rejects the other with a reason on Prompt approvals;
// the holder sees Approved and Rejected with the reason.
func TestConsolePromptsInBrowser(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	if _, _, err := a.Accounts().CreateOperator(ctx, "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	mp3 := filepath.Join(t.TempDir(), "welcome.mp3")
	if out, err := exec.Command("sox", "-n", "-r", "44100", "-c", "2", mp3, "synth", "1.5", "sine", "440").CombinedOutput(); err != nil {
		t.Fatalf("sox: %v\n%s", err, out)
	}
	prompt := func(name string) store.Prompt {
		t.Helper()
		p, err := a.Store().GetPromptByName(ctx, created.Account.ID, name)
		if err != nil {
			t.Fatalf("prompt %s: %v", name, err)
		}
		return p
	}

	b := newBrowser(t, a, 1366, 900, fakeMedia...)
	b.login("owner@acme.test", "correct horse battery")
	b.click("Prompts")
	b.waitText("No prompt yet.")

	// Upload.
	b.click("Add New Prompt")
	b.fill("Prompt name", "welcome_mp3")
	b.fill("Tags", "greeting")
	b.run("choose the mp3", chromedp.SetUploadFiles(chromedp.CSS(`[role=dialog] input[type=file]`), []string{mp3}))
	b.waitJS("preview", `!!document.querySelector('[role=dialog] audio[aria-label="Play the prompt before saving"]')`, 10*time.Second)
	b.click("Save")
	b.waitText(`Prompt "welcome_mp3" saved: it is pending the support team's approval`)
	b.waitJS("listed pending", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('welcome_mp3') && tr.innerText.includes('greeting') && tr.innerText.includes('Pending'))`, 10*time.Second)

	// Record with the (fake) microphone.
	b.click("Add New Prompt")
	b.fill("Prompt name", "mic_take")
	b.check("Record using system microphone")
	b.click("Record using system microphone")
	b.waitText("Recording… speak now.")
	time.Sleep(2 * time.Second)
	b.click("Stop recording")
	b.waitJS("take preview", `!!document.querySelector('[role=dialog] audio[aria-label="Play the prompt before saving"]')`, 10*time.Second)
	b.screenshot("prompt-recorded")
	b.click("Save")
	b.waitText(`Prompt "mic_take" saved`)
	b.waitJS("both listed", `document.querySelectorAll('tbody tr').length === 2`, 10*time.Second)
	b.screenshot("prompts-pending")
	if p := prompt("mic_take"); p.Source != "browser" || p.DurationMS < 1500 || p.DurationMS > 4000 || p.Status != store.PromptPending {
		t.Errorf("the microphone take: %+v", p)
	}
	_, wav, err := a.Prompts().Audio(ctx, created.Account.ID, prompt("mic_take").ID)
	if err != nil {
		t.Fatal(err)
	}
	if d, err := prompts.WAVDuration(wav); err != nil || d < 1500*time.Millisecond {
		t.Errorf("the take as stored: %v %v", d, err)
	}
	// Chromium's fake microphone beeps about once a second: the take has
	// sound in some 200 ms windows (a dead capture is all silence).
	if line := heardTimeline(wav[44:], 300, 440); len(line)-strings.Count(line, ".") < 2 {
		t.Errorf("the microphone take holds no beeps (200 ms windows, .: silence): %s", line)
	}
	b.noCSPViolations()
	b.click("Log out")
	b.waitText("Log in")

	// The operator decides.
	b.login("ops@switchyard.test", "operator password")
	b.click("Prompt approvals")
	b.waitJS("pending listed", `[...document.querySelectorAll('tbody tr')].filter(tr => tr.innerText.includes('Pending')).length === 2`, 20*time.Second)
	b.click("Approve welcome_mp3")
	b.waitText(`Prompt "welcome_mp3" approved.`)
	b.click("Reject mic_take")
	b.fill("Reason", "background noise")
	b.click("Reject")
	b.waitText(`Prompt "mic_take" rejected.`)
	b.waitText("No prompt waits for approval.")
	b.noCSPViolations()
	b.click("Log out")
	b.waitText("Log in")

	b.login("owner@acme.test", "correct horse battery")
	b.open("/prompts")
	b.waitJS("decisions shown", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('welcome_mp3') && tr.innerText.includes('Approved')) &&
		[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('mic_take') && tr.innerText.includes('Rejected') && tr.innerText.includes('background noise'))`, 20*time.Second)
	b.screenshot("prompts-decided")
	b.noCSPViolations()
	if p := prompt("welcome_mp3"); p.Status != store.PromptApproved || p.DecidedBy != "ops@switchyard.test" {
		t.Errorf("approved prompt %+v", p)
	}
	_ = os.Remove(mp3)
}

// TestConsolePromptByPhoneInBrowser: on the Prompts page, "Record by phone
// (call me)" calls the number through the real Asterisk (a test-trunk line
// that speaks after the beep, stops with # and saves with 1); the page
// follows the call and adds the prompt, Pending, recorded by phone.
func TestConsolePromptByPhoneInBrowser(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.AgentEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	created := newAccount(t, a, "acme", "owner@acme.test", "correct horse battery")
	b := newBrowser(t, a, 1366, 900)
	b.login("owner@acme.test", "correct horse battery")
	b.open("/prompts")
	b.waitText("No prompt yet.")
	b.click("Add New Prompt")
	b.fill("Prompt name", "phone_take")
	b.check("Record by phone (call me)")
	b.fill("Phone number", testArea()+"5550140")
	b.click("Call me")
	b.waitJS("call followed", `document.body.innerText.includes('Speak after the beep') || document.body.innerText.includes('Listening back') || document.body.innerText.includes('Ringing your phone')`, 20*time.Second)
	b.screenshot("prompt-by-phone")
	b.waitJS("saved", `document.body.innerText.includes('Prompt "phone_take" saved')`, 60*time.Second)
	b.waitJS("listed", `[...document.querySelectorAll('tbody tr')].some(tr => tr.innerText.includes('phone_take') && tr.innerText.includes('Pending') && tr.innerText.includes('phone'))`, 10*time.Second)
	b.noCSPViolations()
	p, err := a.Store().GetPromptByName(ctx, created.Account.ID, "phone_take")
	if err != nil || p.Source != "phone" || p.Status != store.PromptPending || p.CreatedBy != "owner@acme.test" {
		t.Errorf("prompt recorded by phone: %+v %v", p, err)
	}
}
