package app

import (
	"log/slog"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestMailSecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // not created yet
	c := Default()
	c.DataDir = dir

	// Generated once (concurrent starts agree), 0600, then reused.
	var wg sync.WaitGroup
	got := make([][]byte, 4)
	errs := make([]error, 4)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i], errs[i] = MailSecret(c) }()
	}
	wg.Wait()
	for i := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if string(got[i]) != string(got[0]) {
			t.Fatalf("concurrent generation disagrees: %q vs %q", got[i], got[0])
		}
	}
	if len(got[0]) != 64 {
		t.Fatalf("generated secret %q: want 64 hex characters", got[0])
	}
	path := filepath.Join(dir, MailSecretFileName)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	again, err := MailSecret(c)
	if err != nil || string(again) != string(got[0]) {
		t.Fatalf("not reused: %q %v", again, err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".mail-secret-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}

	// A configured secret wins and nothing is written.
	c2 := Default()
	c2.DataDir = filepath.Join(t.TempDir(), "other")
	c2.MailSecret = "0123456789abcdef"
	if s, err := MailSecret(c2); err != nil || string(s) != "0123456789abcdef" {
		t.Fatalf("configured: %q %v", s, err)
	}
	if _, err := os.Stat(c2.DataDir); !os.IsNotExist(err) {
		t.Errorf("data dir touched with a configured secret: %v", err)
	}

	// A damaged file is an error naming it, not silently replaced (that
	// would change every address).
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MailSecret(c); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("short secret file: %v", err)
	}
	if err := os.WriteFile(path, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := MailSecret(c); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty secret file: %v", err)
	}
}

func TestOTPEndpoint(t *testing.T) {
	for _, tc := range []struct{ tmpl, number, want, err string }{
		{"PJSIP/{number}@trunk", "+919811111111", "PJSIP/+919811111111@trunk", ""},
		{"PJSIP/trunk/sip:{number}@carrier.example.com", "+14155550100", "PJSIP/trunk/sip:+14155550100@carrier.example.com", ""},
		{"Local/answer-silent@customers", "+14155550100", "Local/answer-silent@customers", ""},
		{"PJSIP/{number}@trunk", "9811111111", "", "not an E.164 number"},
		{"PJSIP/{number}@trunk", "+91981&PJSIP/x", "", "not an E.164 number"},
		{"PJSIP/{number}@trunk", "", "", "not an E.164 number"},
	} {
		got, err := otpEndpoint(tc.tmpl, tc.number)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %q: %v, want error %q", tc.tmpl, tc.number, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %q = %q %v, want %q", tc.tmpl, tc.number, got, err, tc.want)
		}
	}
}

func TestFirstText(t *testing.T) {
	msg := "--B\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nYour upload was =\r\naccepted.\r\n--B--\r\n"
	if got := firstText(`multipart/mixed; boundary="B"`, "", strings.NewReader(msg), 0); got != "Your upload was accepted." {
		t.Errorf("firstText = %q", got)
	}
	if got := firstText("application/zip", "", strings.NewReader("PK"), 0); got != "" {
		t.Errorf("non-text: %q", got)
	}
}

// syncBuf is a goroutine-safe log sink.
type syncBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogRelay: without SWITCHYARD_SMTP_RELAY, responses are logged with
// sender, recipients, subject and text instead of being sent.
func TestLogRelay(t *testing.T) {
	var buf syncBuf
	srv := newLogRelay(slog.New(slog.NewTextHandler(&buf, nil)))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	msg := "From: lists@u.test\r\nTo: ops@acme.test\r\nSubject: =?utf-8?q?Call_list_upload_accepted?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"list.csv: accepted as request 42 =E2=80=94 2 records loaded.\r\n--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"r.csv\"\r\n\r\nrow,number\r\n--B--\r\n"
	if err := smtp.SendMail(l.Addr().String(), nil, "lists@u.test", []string{"ops@acme.test", "owner@acme.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"logged instead", "from=lists@u.test", "to=\"[ops@acme.test owner@acme.test]\"", `subject="Call list upload accepted"`, "accepted as request 42 — 2 records loaded."} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "row,number") {
		t.Errorf("attachment logged:\n%s", out)
	}
}

// TestMailConfigRelayAuth: relay credentials go to the configured relay,
// never to the in-process log relay.
func TestMailConfigRelayAuth(t *testing.T) {
	cfg := Config{MailDomain: "Up.Example.com", SMTPRelay: "smtp.example.com:587", SMTPRelayUser: "mailer",
		SMTPRelayPassword: "pw", SMTPRelayStartTLS: true}
	mc := mailConfig(cfg, []byte("0123456789abcdef"), cfg.SMTPRelay)
	if mc.RelayUser != "mailer" || mc.RelayPassword != "pw" || !mc.RelayStartTLS || mc.Domain != "up.example.com" {
		t.Errorf("configured relay: %+v", mc)
	}
	if err := mc.Validate(); err != nil {
		t.Errorf("validate: %v", err)
	}
	cfg.SMTPRelay = ""
	mc = mailConfig(cfg, []byte("0123456789abcdef"), "127.0.0.1:2525")
	if mc.RelayUser != "" || mc.RelayPassword != "" || mc.RelayStartTLS {
		t.Errorf("log relay got credentials: %+v", mc)
	}
}
