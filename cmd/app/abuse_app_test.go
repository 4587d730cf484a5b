package app_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

// TestSMTPIdleConnectionsCapped: many idle SMTP connections (more than
// SWITCHYARD_SMTP_MAX_CONNS) neither take the process's files nor its
// health: connections over the cap are answered 421 and closed, /healthz
// answers meanwhile, the idle ones are closed after
// SWITCHYARD_SMTP_IDLE_TIMEOUT, and a legitimate session then goes through.
func TestSMTPIdleConnectionsCapped(t *testing.T) {
	const maxConns, idle = 40, 2 * time.Second
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPAddr, c.MailDomain, c.MailSecret = "127.0.0.1:0", "upload.switchyard.test", "test-secret-0123456789"
		c.SMTPMaxConns, c.SMTPIdleTimeout = maxConns, idle
	})
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store().AddListEntry(ctx, acc.ID, store.ListWhite, store.KindEmail, "ops@acme.test", false); err != nil {
		t.Fatal(err)
	}
	flow := outboundFlow(t, a, key)

	// 5× the cap of idle connections: each reads its first line.
	const n = 5 * maxConns
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			_ = c.Close()
		}
	})
	greeted, refused := 0, 0
	for range n {
		c, err := net.Dial("tcp", a.MailAddr())
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		conns = append(conns, c)
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		line, err := bufio.NewReader(c).ReadString('\n')
		switch {
		case strings.HasPrefix(line, "220"):
			greeted++
		case strings.HasPrefix(line, "421"):
			refused++
		default:
			t.Fatalf("first line %q %v", line, err)
		}
	}
	if greeted != maxConns || refused != n-maxConns {
		t.Fatalf("%d greeted, %d refused; want %d and %d", greeted, refused, maxConns, n-maxConns)
	}
	// The admin API and /healthz answer while the SMTP side is full.
	hc := http.Client{Timeout: 2 * time.Second}
	resp, err := hc.Get("http://" + a.Addr() + "/healthz")
	if err != nil {
		t.Fatalf("/healthz while SMTP is full: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/healthz %d", resp.StatusCode)
	}
	// The idle connections are closed after the idle timeout; then a
	// legitimate session is served.
	addr := a.MailAddress(acc.ID, flow)
	msg := mailtest.WithAttachments("ops@acme.test", addr, "list", mailtest.Attachment{Name: "list.csv", Content: "tel1\r\n+919876543210\r\n"})
	deadline := time.Now().Add(idle + 10*time.Second)
	for {
		err = smtp.SendMail(a.MailAddr(), nil, "ops@acme.test", []string{addr}, msg)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a legitimate session after the idle timeout: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	rs, err := a.Store().ListCallListRequests(ctx, store.RequestFilter{AccountID: acc.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests: %d %v", len(rs), err)
	}
}

// TestDaemonBodyLimits: through the daemon, a 5 MB JSON body to a JSON
// route is refused 413 payload_too_large with a short answer (the body is
// neither buffered nor echoed), whether its length is declared or not.
func TestDaemonBodyLimits(t *testing.T) {
	a, _ := boot(t, noARI)
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	huge := `{"list":"black","kind":"email","value":"` + strings.Repeat("a", 5<<20) + `@x.test"}`
	for _, chunked := range []bool{false, true} {
		var body io.Reader = strings.NewReader(huge)
		if chunked {
			body = io.MultiReader(body) // no length: sent chunked
		}
		req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/calllists/access-lists", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("chunked=%v: %v", chunked, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "payload_too_large") || len(b) > 4096 {
			t.Errorf("chunked=%v: %d, %d bytes: %.200s", chunked, resp.StatusCode, len(b), b)
		}
	}
}
