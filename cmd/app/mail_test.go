package app

import (
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
