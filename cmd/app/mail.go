package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/switchyard/switchyard/api/calllistapi"
)

// MailSecret returns the key of the per-flow upload addresses: the
// configured one (SWITCHYARD_MAIL_SECRET, or the file read by Validate), else
// the one in <DataDir>/mail-secret, which is generated (32 random bytes, hex,
// mode 0600) on first use and reused afterwards so addresses stay stable.
func MailSecret(cfg Config) ([]byte, error) {
	if cfg.MailSecretFile != "" { // Validate normally read it already
		s, err := readSecretFile(EnvMailSecretFile, "secret", cfg.MailSecretFile)
		if err != nil {
			return nil, &SettingError{Env: EnvMailSecretFile, Err: err}
		}
		cfg.MailSecret = s
	}
	if cfg.MailSecret != "" {
		if len(cfg.MailSecret) < minMailSecretLen {
			return nil, settingErr(EnvMailSecret, "is %d bytes; at least %d are required", len(cfg.MailSecret), minMailSecretLen)
		}
		return []byte(cfg.MailSecret), nil
	}
	path := filepath.Join(cfg.DataDir, MailSecretFileName)
	for try := 0; try < 2; try++ {
		s, err := readSecretFile(EnvMailSecret, "secret", path)
		if err == nil {
			if len(s) < minMailSecretLen {
				return nil, fmt.Errorf("mail secret %s is %d bytes; at least %d are required (delete it to generate a new one: every upload address changes)", path, len(s), minMailSecretLen)
			}
			return []byte(s), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mail secret %s: %w", path, err)
		}
		if err := writeNewSecret(path); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue // another process made it first: read that one
			}
			return nil, fmt.Errorf("generate mail secret %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("mail secret %s could not be created or read", path)
}

// writeNewSecret creates path with a fresh random secret, atomically: the
// secret is written to a temporary file that is then hard-linked to path,
// which fails with os.ErrExist if path appeared meanwhile.
func writeNewSecret(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mail-secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(b[:]) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// mailConfig builds the email-upload configuration; relay is the outbound
// relay to use (SWITCHYARD_SMTP_RELAY or the in-process log relay).
func mailConfig(cfg Config, secret []byte, relay string) calllistapi.MailConfig {
	mc := calllistapi.MailConfig{
		Domain: strings.ToLower(cfg.MailDomain),
		Secret: secret,
		Relay:  relay,
		From:   cfg.MailSender(),
		// Many idle connections must not use up the process's files.
		MaxConns:    cfg.SMTPMaxConns,
		IdleTimeout: cfg.SMTPIdleTimeout,
	}
	if relay == cfg.SMTPRelay { // not the in-process log relay
		mc.RelayUser, mc.RelayPassword, mc.RelayStartTLS = cfg.SMTPRelayUser, cfg.SMTPRelayPassword, cfg.SMTPRelayStartTLS
	}
	return mc
}

// MailAddress is the email-upload address of a flow, "" when email upload
// is off (or the flow id cannot be part of an address).
func (a *App) MailAddress(accountID int64, flowID string) string {
	if a.mail == nil {
		return ""
	}
	return calllistapi.MailAddress(a.mailCfg, accountID, flowID)
}

// MailAddr is the email-upload SMTP address ("" when off).
func (a *App) MailAddr() string {
	if a.mailLn == nil {
		return ""
	}
	return a.mailLn.Addr().String()
}

// newLogRelay is the outbound "relay" used when SWITCHYARD_SMTP_RELAY is
// empty: an SMTP server on loopback that logs each message it is handed
// (sender, recipients, subject and text) instead of delivering it.
func newLogRelay(log *slog.Logger) *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &logSession{log: log}, nil
	}))
	s.Domain = "localhost"
	s.MaxMessageBytes = 64 << 20
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.ErrorLog = smtpLog{log}
	return s
}

type smtpLog struct{ l *slog.Logger }

func (s smtpLog) Printf(format string, v ...any) { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s smtpLog) Println(v ...any)               { s.l.Warn(fmt.Sprint(v...)) }

type logSession struct {
	log  *slog.Logger
	from string
	to   []string
}

func (s *logSession) Reset()                                      { s.from, s.to = "", nil }
func (s *logSession) Logout() error                               { return nil }
func (s *logSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *logSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// maxLoggedText bounds the text of a logged mail.
const maxLoggedText = 4000

func (s *logSession) Data(r io.Reader) error {
	cr := &countReader{r: r}
	msg, err := mail.ReadMessage(cr)
	if err != nil {
		_, _ = io.Copy(io.Discard, r)
		s.log.Warn("email not sent (no "+EnvSMTPRelay+"), unparseable", "from", s.from, "to", s.to, "error", err)
		return nil
	}
	subject := msg.Header.Get("Subject")
	if d, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = d
	}
	text := firstText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	_, _ = io.Copy(io.Discard, cr)
	if len(text) > maxLoggedText {
		text = text[:maxLoggedText] + "…"
	}
	s.log.Info("email not sent (no "+EnvSMTPRelay+" set); logged instead",
		"from", s.from, "to", s.to, "subject", subject, "bytes", cr.n, "text", text)
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// firstText returns the first text/plain part of a message body, decoded.
func firstText(ctype, cte string, body io.Reader, depth int) string {
	if depth > 5 {
		return ""
	}
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if t := firstText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); t != "" {
				return t
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(cte), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxLoggedText+1))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n"))
}

// startMail builds the email-upload server and, without a configured relay,
// the log relay; it binds their listeners.
func (a *App) startMail(ctx context.Context, deps calllistapi.Deps) error {
	secret, err := MailSecret(a.cfg)
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	relay, err := a.outboundRelay(ctx)
	if err != nil {
		return err
	}
	a.mailCfg = mailConfig(a.cfg, secret, relay)
	if a.mail, err = calllistapi.NewMailServer(deps, a.mailCfg); err != nil {
		return err
	}
	if a.mailLn, err = lc.Listen(ctx, "tcp", a.cfg.SMTPAddr); err != nil {
		return fmt.Errorf("%s: listen on %s: %w", EnvSMTPAddr, a.cfg.SMTPAddr, err)
	}
	return nil
}

// stopMail shuts the email-upload server down (open sessions may finish
// until ctx ends), then the log relay, which may still be handed their
// responses.
func (a *App) stopMail(ctx context.Context) {
	if a.mail != nil {
		if err := a.mail.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			a.log.Warn("email upload shutdown", "error", err)
		}
		_ = a.mailLn.Close() // in case Serve had not registered it yet
	}
	if a.logRelay != nil {
		if err := a.logRelay.Shutdown(ctx); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			a.log.Warn("mail log relay shutdown", "error", err)
		}
		_ = a.logRelayLn.Close()
	}
}

// outboundRelay is host:port of the relay for outgoing mail (upload
// responses, status mails, daily email reports): SWITCHYARD_SMTP_RELAY, or
// the in-process log relay, started on first use, which logs each message
// instead of sending it.
func (a *App) outboundRelay(ctx context.Context) (string, error) {
	if a.cfg.SMTPRelay != "" {
		return a.cfg.SMTPRelay, nil
	}
	if a.logRelay == nil {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
		if err != nil {
			return "", fmt.Errorf("mail: listen for the log relay: %w", err)
		}
		a.logRelay, a.logRelayLn = newLogRelay(a.log.With("component", "mail-log")), ln
	}
	return a.logRelayLn.Addr().String(), nil
}
