package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

// outboundFlow creates the payment-reminder flow through the API.
func outboundFlow(t *testing.T, a *app.App, key string) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", doc)
	if code != http.StatusCreated {
		t.Fatalf("create flow: %d %s", code, body)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 {
		t.Fatalf("create flow: %s", body)
	}
	return strconv.FormatInt(created.ID, 10)
}

// noARI points the daemon at a closed port: email upload does not need
// Asterisk.
func noARI(c *app.Config) { c.ARIURL, c.ARIUser, c.ARIPassword = "http://127.0.0.1:1/ari", "u", "p" }

// TestEmailUploadThroughDaemon: a CSV mailed (net/smtp) to a flow's
// address from a whitelisted sender becomes a request; the sender's
// auto-response goes through the configured relay; a sender that is not
// whitelisted is refused at RCPT; the address survives a restart (the
// generated secret is reused).
func TestEmailUploadThroughDaemon(t *testing.T) {
	sink := mailtest.Start(t)
	dataDir := t.TempDir()
	mod := func(c *app.Config) {
		noARI(c)
		c.DataDir = dataDir
		c.SMTPAddr, c.MailDomain, c.SMTPRelay = "127.0.0.1:0", "upload.switchyard.test", sink.Addr
		c.MailFrom = "Switchyard <lists@switchyard.test>"
	}
	a, stop := boot(t, mod)
	ctx := context.Background()
	acc, _ := a.Store().CreateAccount(ctx, "acme")
	_, key, _ := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if _, err := a.Store().CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "owner@acme.test", Name: "Owner", Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists",
		map[string]string{"list": "white", "kind": "email", "value": "ops@acme.test"}); code/100 != 2 {
		t.Fatalf("whitelist sender: %d %s", code, body)
	}
	flow := outboundFlow(t, a, key)
	addr := a.MailAddress(acc.ID, flow)
	if !strings.HasPrefix(addr, fmt.Sprintf("calllist-%d-%s-", acc.ID, flow)) || !strings.HasSuffix(addr, "@upload.switchyard.test") {
		t.Fatalf("upload address %q", addr)
	}
	if a.MailAddr() == "" {
		t.Fatal("no SMTP listener")
	}

	// Refused: a sender that is not whitelisted, a forged address.
	err := smtp.SendMail(a.MailAddr(), nil, "stranger@else.test", []string{addr}, []byte("Subject: x\r\n\r\nx\r\n"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || !strings.Contains(te.Msg, "not a whitelisted") {
		t.Errorf("stranger: %v, want 550 not whitelisted", err)
	}
	forged := strings.Replace(addr, "calllist-"+strconv.FormatInt(acc.ID, 10)+"-", "calllist-"+strconv.FormatInt(acc.ID+1, 10)+"-", 1)
	if err := smtp.SendMail(a.MailAddr(), nil, "ops@acme.test", []string{forged}, []byte("Subject: x\r\n\r\nx\r\n")); !errors.As(err, &te) || te.Code != 550 {
		t.Errorf("forged address: %v, want 550", err)
	}
	if n := len(sink.All()); n != 0 {
		t.Errorf("refused mails produced %d responses", n)
	}

	csv := "tel1,$flow.key.customer_name,$flow.key.amount\r\n+919876543210,\"Doe, John\",100\r\n12,Bad,1\r\n"
	msg := mailtest.WithAttachments("ops@acme.test", addr, "March list", mailtest.Attachment{Name: "upload_01122026100000.csv", Content: csv})
	if err := smtp.SendMail(a.MailAddr(), nil, "ops@acme.test", []string{addr}, msg); err != nil {
		t.Fatal(err)
	}
	rs, err := a.Store().ListCallListRequests(ctx, store.RequestFilter{AccountID: acc.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests: %+v %v", rs, err)
	}
	r := rs[0]
	if r.Source != store.SourceEmail || r.FlowID != flow || r.FileName != "upload_01122026100000.csv" || r.Uploaded != 2 || r.Added != 1 || r.Invalid != 1 || r.StartTime == nil {
		t.Errorf("request = %+v", r)
	}
	// The request is served by the API like any other.
	if code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/calllists/requests/"+r.ID, nil); code != http.StatusOK || !strings.Contains(string(body), r.ID) {
		t.Errorf("request through the API: %d %s", code, body)
	}
	// The auto-response reached the relay (the session answered only
	// after handing it over).
	msgs := sink.All()
	if len(msgs) != 1 || strings.Join(msgs[0].To, ",") != "ops@acme.test" || msgs[0].From != "lists@switchyard.test" {
		t.Fatalf("relay got %+v", msgs)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(m.Body)
	if !strings.Contains(m.Header.Get("Subject"), "accepted") || !strings.Contains(string(body), "2 records loaded, 1 added, 1 invalid") {
		t.Errorf("auto-response %q:\n%s", m.Header.Get("Subject"), body)
	}

	// Restart on the same data dir: same generated secret, same address.
	stop()
	a2, _ := boot(t, mod)
	if got := a2.MailAddress(acc.ID, flow); got != addr {
		t.Errorf("address changed across restart: %q → %q", addr, got)
	}
	fi, err := os.Stat(filepath.Join(dataDir, app.MailSecretFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("generated secret: %v %v", fi, err)
	}
}

// TestEmailUploadWithoutRelay: with no SWITCHYARD_SMTP_RELAY the upload
// still works and the response is logged instead of sent; without
// SWITCHYARD_SMTP_ADDR there is no listener at all.
func TestEmailUploadWithoutRelay(t *testing.T) {
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPAddr, c.MailDomain, c.MailSecret = "127.0.0.1:0", "upload.switchyard.test", "test-secret-0123456789"
	})
	ctx := context.Background()
	acc, _ := a.Store().CreateAccount(ctx, "acme")
	_, key, _ := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if _, err := a.Store().AddListEntry(ctx, acc.ID, store.ListWhite, store.KindEmail, "ops@acme.test", false); err != nil {
		t.Fatal(err)
	}
	flow := outboundFlow(t, a, key)
	addr := a.MailAddress(acc.ID, flow)
	msg := mailtest.WithAttachments("ops@acme.test", addr, "list", mailtest.Attachment{Name: "list.csv", Content: "tel1\r\n+919876543210\r\n"})
	if err := smtp.SendMail(a.MailAddr(), nil, "ops@acme.test", []string{addr}, msg); err != nil {
		t.Fatal(err)
	}
	rs, err := a.Store().ListCallListRequests(ctx, store.RequestFilter{AccountID: acc.ID})
	if err != nil || len(rs) != 1 || rs[0].Added != 1 {
		t.Fatalf("requests: %+v %v", rs, err)
	}
	// The secret given in the environment is used: nothing generated.
	if _, err := os.Stat(filepath.Join(a.Config().DataDir, app.MailSecretFileName)); !os.IsNotExist(err) {
		t.Errorf("secret file generated although one was configured: %v", err)
	}

	off, _ := boot(t, noARI)
	if off.MailAddr() != "" || off.MailAddress(acc.ID, flow) != "" {
		t.Errorf("email upload on without %s", app.EnvSMTPAddr)
	}
}

// TestOTPCallOnAsterisk: asking to whitelist a number places a real call
// through the OTP endpoint template; once answered the code is read twice
// ("digits:" playbacks that complete) and the call is hung up, unrecorded.
// The code heard on the call verifies the number; a wrong one does not.
func TestOTPCallOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.OTPEndpoint = "Local/answer-silent@customers"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	type played struct{ target, media, state string }
	var mu sync.Mutex
	var finished []played
	a.Calls().Router().Listen("PlaybackFinished", func(ev ariv6.Event) {
		if e, ok := ev.(*ariv6.PlaybackFinished); ok {
			mu.Lock()
			finished = append(finished, played{e.Playback.TargetURI, e.Playback.MediaURI, e.Playback.State})
			mu.Unlock()
		}
	})
	ctx := context.Background()
	acc, _ := a.Store().CreateAccount(ctx, "acme")
	_, key, _ := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	const phone = "+919811111111"

	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", map[string]string{"value": phone})
	if code != http.StatusAccepted {
		t.Fatalf("phone-otp: %d %s", code, body)
	}
	var got []played
	testkit.Eventually(t, 30*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		got = append(got[:0], finished...)
		return len(got) >= 2
	}, "the code read twice")
	otp := strings.TrimPrefix(got[0].media, "digits:")
	for _, p := range got {
		if p.media != "digits:"+otp || p.state != "done" || p.target != got[0].target || !strings.HasPrefix(p.target, "channel:") {
			t.Errorf("playback %+v, want digits:%s done on %s", p, otp, got[0].target)
		}
	}
	if len(otp) != 6 || strings.Trim(otp, "0123456789") != "" {
		t.Fatalf("played %q, want six digits", got[0].media)
	}
	// Hung up after the second reading; nothing recorded.
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Live() == 0 }, "OTP call ended")
	channel := strings.TrimPrefix(got[0].target, "channel:")
	if _, err := a.Calls().Client().Channel(ctx, channel); err == nil {
		t.Errorf("channel %s still up after the reading", channel)
	}
	page, err := a.Store().ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 10})
	if err != nil || len(page.Attempts) != 0 {
		t.Errorf("OTP call recorded as an attempt: %+v %v", page.Attempts, err)
	}

	wrong := fmt.Sprintf("%06d", (mustAtoi(t, otp)+1)%1000000)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists/phone-verify",
		map[string]string{"value": phone, "otp": wrong}); code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "wrong OTP") {
		t.Errorf("wrong code: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists/phone-verify",
		map[string]string{"value": phone, "otp": otp}); code != http.StatusCreated {
		t.Fatalf("right code: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calllists/access-lists?list=white&kind=phone", nil)
	if code != http.StatusOK || !strings.Contains(string(body), phone) {
		t.Errorf("whitelist after verification: %d %s", code, body)
	}
}

// TestOTPCallFailsClearly: when the call cannot be placed the API says so
// (503) instead of pretending a code is on its way.
func TestOTPCallFailsClearly(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	acc, _ := a.Store().CreateAccount(ctx, "acme")
	_, key, _ := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists/phone-otp", map[string]string{"value": "+919811111111"})
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "verification call could not be placed") {
		t.Errorf("phone-otp without Asterisk: %d %s", code, body)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
