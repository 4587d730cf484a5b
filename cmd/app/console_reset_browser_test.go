package app_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
)

// mailLinkRE is a console link of a reset or invitation mail.
var mailLinkRE = regexp.MustCompile(`https?://\S+/#/(?:reset|invite)\?token=[A-Za-z0-9_-]+`)

// linkIn returns the console link of a mail (quoted-printable decoded).
func linkIn(t *testing.T, msg []byte) string {
	t.Helper()
	body := strings.ReplaceAll(strings.ReplaceAll(string(msg), "=\r\n", ""), "=3D", "=")
	l := mailLinkRE.FindString(body)
	if l == "" {
		t.Fatalf("no console link in mail:\n%s", msg)
	}
	return l
}

// fieldError is the error text shown next to the control labelled label
// (inside its own .field), "" when there is none.
func (b *browserEnv) fieldError(label string) string {
	b.t.Helper()
	q, _ := json.Marshal(label)
	return jsEval[string](b, "error of "+label, fmt.Sprintf(`(() => {
		const l = [...document.querySelectorAll('.field > label')].find(l => l.innerText.trim() === %s);
		const e = l && l.parentElement.querySelector('.field-err');
		return e ? e.innerText.trim() : '';
	})()`, q))
}

// waitFieldError waits until the control labelled label shows want next to it.
func (b *browserEnv) waitFieldError(label, want string) {
	b.t.Helper()
	ql, _ := json.Marshal(label)
	qw, _ := json.Marshal(want)
	b.waitJS(fmt.Sprintf("error %q next to %s", want, label), fmt.Sprintf(`(() => {
		const l = [...document.querySelectorAll('.field > label')].find(l => l.innerText.trim() === %s);
		const e = l && l.parentElement.querySelector('.field-err');
		const c = l && document.getElementById(l.htmlFor);
		return !!e && e.innerText.includes(%s) && !!c && c.getAttribute('aria-invalid') === 'true';
	})()`, ql, qw), 20*time.Second)
}

// TestConsoleResetAndInviteInBrowser: in Chromium, "Forgot password?" on
// the login page answers alike for a known and an unknown email; the reset
// mail (read at the SMTP sink the daemon relays to) links to the console's
// reset page, which checks the policy and the repeat next to the fields,
// sets the password, and the person logs in with it; the used link is
// refused with an explanation. An owner invites a supervisor in the Users
// screen; the invitation link opens the welcome page, which sets the name
// and the password and logs them in; the used invitation is refused and
// the password works on the login page.
func TestConsoleResetAndInviteInBrowser(t *testing.T) {
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
	})
	newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	b := newBrowser(t, a, 1366, 768)

	// Forgot password: an unknown email gets the same answer and no mail.
	forgot := func(email string) string {
		b.open("/")
		b.waitText("Log in")
		b.click("Forgot password?")
		b.waitText("Forgot your password?")
		b.fill("Email", email)
		b.click("Send the link")
		b.waitText("Check your mail")
		return strings.ReplaceAll(jsEval[string](b, "answer", `document.querySelector('[role=status]').innerText`), email, "EMAIL")
	}
	unknown := forgot("nobody@acme.test")
	b.screenshot("forgot-password")
	known := forgot("boss@acme.test")
	if unknown != known {
		t.Errorf("the answer tells accounts apart:\nunknown: %s\nknown:   %s", unknown, known)
	}
	msgs := sink.Wait(t, 1)
	if len(msgs) != 1 || msgs[0].To[0] != "boss@acme.test" {
		t.Fatalf("reset mails: %+v", msgs)
	}
	link := linkIn(t, msgs[0].Data)
	if !strings.HasPrefix(link, a.ConsoleURL()+"#/reset?token=") {
		t.Fatalf("reset link %q does not open the console at %s", link, a.ConsoleURL())
	}

	// The reset page: policy and repeat errors next to their fields.
	b.run("open the reset link", chromedp.Navigate(link))
	b.waitText("Choose a new password")
	b.fill("New password", "short")
	b.fill("New password again", "short")
	b.click("Set the password")
	b.waitFieldError("New password", "at least 8 characters")
	b.fill("New password", "brand new password")
	b.fill("New password again", "brand new passwort")
	b.click("Set the password")
	b.waitFieldError("New password again", "differ")
	if e := b.fieldError("New password"); e != "" {
		t.Errorf("the accepted password still shows %q", e)
	}
	b.fill("New password again", "brand new password")
	b.screenshot("reset-password")
	b.click("Set the password")
	b.waitText("Password changed")
	b.click("Log in with the new password")
	b.login("boss@acme.test", "brand new password")

	// The used link is refused and explained.
	b.run("reopen the used reset link", chromedp.Navigate(link))
	b.waitText("Choose a new password")
	b.fill("New password", "another password")
	b.fill("New password again", "another password")
	b.click("Set the password")
	b.waitText("This link no longer works")
	b.waitText("already used")

	// An owner invites a supervisor in the Users screen (the session
	// opened with the new password is still on).
	b.open("/users")
	b.click("Add user")
	b.fill("Email", "sam@acme.test")
	b.fill("Role", "supervisor")
	b.click("Save")
	b.waitText("An invitation was mailed")
	b.click("Done")
	b.waitText("invitation pending")
	msgs = sink.Wait(t, 2)
	if msgs[1].To[0] != "sam@acme.test" {
		t.Fatalf("invitation mailed to %v", msgs[1].To)
	}
	invite := linkIn(t, msgs[1].Data)
	if !strings.HasPrefix(invite, a.ConsoleURL()+"#/invite?token=") {
		t.Fatalf("invitation link %q does not open the console at %s", invite, a.ConsoleURL())
	}
	b.click("Log out")
	b.waitText("Log in")

	// The invitation page: name and password, then logged in.
	b.run("open the invitation", chromedp.Navigate(invite))
	b.waitText("Welcome to Switchyard")
	b.fill("Your name", "Sam Supervisor")
	b.fill("New password", "sam's own password")
	b.fill("New password again", "sam's own password")
	b.screenshot("invite")
	b.click("Set the password and start")
	b.waitJS("logged in by the invitation", `!!document.querySelector('nav[aria-label=Main]')`, 20*time.Second)
	b.waitText("Sam Supervisor")
	b.waitText("supervisor")
	b.click("Log out")
	b.waitText("Log in")

	// The used invitation is refused; the password works on the login page.
	b.run("reopen the used invitation", chromedp.Navigate(invite))
	b.waitText("Welcome to Switchyard")
	b.fill("New password", "someone else's")
	b.fill("New password again", "someone else's")
	b.click("Set the password and start")
	b.waitText("This invitation no longer works")
	b.login("sam@acme.test", "sam's own password")
	b.noCSPViolations()
}
