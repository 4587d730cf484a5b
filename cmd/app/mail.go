package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/switchyard/switchyard/mail/smtpin"
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
	return smtpin.SecretFile(filepath.Join(cfg.DataDir, MailSecretFileName), func(path string) (string, error) {
		return readSecretFile(EnvMailSecret, "secret", path)
	})
}

// mailConfig builds the email-upload configuration; relay is the outbound
// relay to use (SWITCHYARD_SMTP_RELAY or the in-process log relay).
func mailConfig(cfg Config, secret []byte, relay string) smtpin.Config {
	mc := smtpin.Config{
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
	return smtpin.Address(a.mailCfg, accountID, flowID)
}

// MailAddr is the email-upload SMTP address ("" when off).
func (a *App) MailAddr() string {
	if a.mailLn == nil {
		return ""
	}
	return a.mailLn.Addr().String()
}

// startMail builds the email-upload server on the shared intake service
// and binds its listener.
func (a *App) startMail(ctx context.Context, deps smtpin.Deps) error {
	secret, err := MailSecret(a.cfg)
	if err != nil {
		return err
	}
	a.mailCfg = mailConfig(a.cfg, secret, a.relay.Addr)
	if a.mail, err = smtpin.NewServer(deps, a.mailCfg); err != nil {
		return err
	}
	var lc net.ListenConfig
	if a.mailLn, err = lc.Listen(ctx, "tcp", a.cfg.SMTPAddr); err != nil {
		return fmt.Errorf("%s: listen on %s: %w", EnvSMTPAddr, a.cfg.SMTPAddr, err)
	}
	a.onClose(func() error { return closeListener(a.mailLn) }) // in case Serve never ran
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
	if err := a.relay.Shutdown(ctx); err != nil {
		a.log.Warn("mail log relay shutdown", "error", err)
	}
}
