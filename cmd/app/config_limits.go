package app

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Limits against overload and abuse: SMTP connections, and the report
// queries' own database pool.
const (
	EnvSMTPMaxConns    = "SWITCHYARD_SMTP_MAX_CONNS"
	EnvSMTPIdleTimeout = "SWITCHYARD_SMTP_IDLE_TIMEOUT"
	EnvReportConns     = "SWITCHYARD_REPORT_CONNS"
	EnvReportTimeout   = "SWITCHYARD_REPORT_TIMEOUT"
	EnvWebhookDeny     = "SWITCHYARD_WEBHOOK_DENY_NETWORKS"

	// DefaultSMTPMaxConns caps open email-upload SMTP connections; more
	// are answered "421 too many connections" and closed.
	DefaultSMTPMaxConns = 200
	// DefaultSMTPIdleTimeout closes an SMTP connection that sends nothing.
	DefaultSMTPIdleTimeout = 60 * time.Second
	// DefaultReportConns is the size of the report queries' own pool.
	DefaultReportConns = 4
	// DefaultReportTimeout bounds one report query (PostgreSQL
	// statement_timeout on the report pool; a context deadline on SQLite).
	DefaultReportTimeout = 5 * time.Minute

	maxSMTPConns     = 100000
	maxReportConns   = 64
	maxReportTimeout = time.Hour
)

// limitsDefaults fills the limits of Default().
func limitsDefaults(c *Config) {
	c.SMTPMaxConns = DefaultSMTPMaxConns
	c.SMTPIdleTimeout = DefaultSMTPIdleTimeout
	c.ReportConns = DefaultReportConns
	c.ReportTimeout = DefaultReportTimeout
}

func intSetting(env, flagName string, def, lo, hi int, desc string, field func(c *Config) *int) setting {
	return setting{
		Setting: Setting{Env: env, Flag: flagName, Default: strconv.Itoa(def), Description: desc},
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < lo || n > hi {
				return fmt.Errorf("%q is not a whole number from %d to %d", v, lo, hi)
			}
			*field(c) = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) },
	}
}

func durationSetting(env, flagName string, def time.Duration, desc string, field func(c *Config) *time.Duration) setting {
	return setting{
		Setting: Setting{Env: env, Flag: flagName, Default: def.String(), Description: desc},
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (examples: 30s, 2m)", v)
			}
			*field(c) = d
			return nil
		},
		get: func(c *Config) string { return field(c).String() },
	}
}

var limitSettings = []setting{
	stringSetting(EnvWebhookDeny, "webhook-deny-networks", "(empty)",
		"Comma-separated networks (CIDR) webhooks may not reach unless the operator grants them to an account, besides loopback, private, link-local, metadata and this host's interface addresses: e.g. the host's public address behind NAT.",
		func(c *Config) *string { return &c.WebhookDenyNetworks }),
	intSetting(EnvSMTPMaxConns, "smtp-max-conns", DefaultSMTPMaxConns, 1, maxSMTPConns,
		"Open email-upload SMTP connections at most (1-100000); more are answered 421 and closed.",
		func(c *Config) *int { return &c.SMTPMaxConns }),
	durationSetting(EnvSMTPIdleTimeout, "smtp-idle-timeout", DefaultSMTPIdleTimeout,
		"An SMTP connection that sends nothing for this long is closed (1s-1h).",
		func(c *Config) *time.Duration { return &c.SMTPIdleTimeout }),
	intSetting(EnvReportConns, "report-conns", DefaultReportConns, 1, maxReportConns,
		"Database connections of the report queries' own pool (1-64): heavy reports wait for each other, never for the dialer's or the API's connections.",
		func(c *Config) *int { return &c.ReportConns }),
	durationSetting(EnvReportTimeout, "report-timeout", DefaultReportTimeout,
		"Longest report query (1s-1h); PostgreSQL cancels it (statement_timeout), the client gets 504.",
		func(c *Config) *time.Duration { return &c.ReportTimeout }),
}

// validateLimits checks the limits of c.
func (c *Config) validateLimits() error {
	var errs []error
	if c.SMTPMaxConns < 1 || c.SMTPMaxConns > maxSMTPConns {
		errs = append(errs, settingErr(EnvSMTPMaxConns, "%d is not from 1 to %d", c.SMTPMaxConns, maxSMTPConns))
	}
	if c.SMTPIdleTimeout < time.Second || c.SMTPIdleTimeout > time.Hour {
		errs = append(errs, settingErr(EnvSMTPIdleTimeout, "%s is not from 1s to 1h", c.SMTPIdleTimeout))
	}
	if c.ReportConns < 1 || c.ReportConns > maxReportConns {
		errs = append(errs, settingErr(EnvReportConns, "%d is not from 1 to %d", c.ReportConns, maxReportConns))
	}
	if _, err := c.WebhookDenyPrefixes(); err != nil {
		errs = append(errs, &SettingError{Env: EnvWebhookDeny, Err: err})
	}
	if c.ReportTimeout < time.Second || c.ReportTimeout > maxReportTimeout {
		errs = append(errs, settingErr(EnvReportTimeout, "%s is not from 1s to %s", c.ReportTimeout, maxReportTimeout))
	}
	return errors.Join(errs...)
}

// WebhookDenyPrefixes parses WebhookDenyNetworks.
func (c *Config) WebhookDenyPrefixes() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.WebhookDenyNetworks, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			if a, aerr := netip.ParseAddr(f); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("%q is not a network (CIDR) or an address", truncate(f, 64))
			}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
