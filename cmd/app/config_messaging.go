package app

import (
	"errors"
	"net/url"
	"regexp"
)

// SMS settings: the Kannel gateway's sendsms interface (SMS is off
// without it), its credentials, the sender, and where Kannel sends its
// delivery reports. Email goes through the outbound relay
// (SWITCHYARD_SMTP_RELAY).
const (
	EnvKannelURL      = "SWITCHYARD_KANNEL_URL"
	EnvKannelUser     = "SWITCHYARD_KANNEL_USER"
	EnvKannelPassword = "SWITCHYARD_KANNEL_PASSWORD"
	EnvSMSFrom        = "SWITCHYARD_SMS_FROM"
	EnvSMSReportURL   = "SWITCHYARD_SMS_REPORT_URL"
)

var smsSender = regexp.MustCompile(`^(\+?[0-9]{1,15}|[A-Za-z0-9 ]{1,11})$`)

var messagingSettings = []setting{
	stringSetting(EnvKannelURL, "kannel-url", "(SMS off)",
		"Kannel's sendsms URL (its smsbox), e.g. http://127.0.0.1:13013/cgi-bin/sendsms: SMS from flows, campaigns and notifications go through it (`make run` with SWITCHYARD_SMS=kannel starts one with the fake SMSC).",
		func(c *Config) *string { return &c.KannelURL }),
	stringSetting(EnvKannelUser, "kannel-user", "(empty)",
		"The sendsms-user of Kannel's smsbox.",
		func(c *Config) *string { return &c.KannelUser }),
	{
		Setting: Setting{Env: EnvKannelPassword, Default: "(empty)",
			Description: "Password of that sendsms-user. Environment only."},
		set: func(c *Config, v string) error { c.KannelPassword = v; return nil },
		get: func(c *Config) string { return "" },
	},
	stringSetting(EnvSMSFrom, "sms-from", "(Kannel's global-sender)",
		"Sender of the SMS: a number (+ and up to 15 digits) or up to 11 letters and digits.",
		func(c *Config) *string { return &c.SMSFrom }),
	stringSetting(EnvSMSReportURL, "sms-report-url", "(SWITCHYARD_PUBLIC_URL/sms/dlr)",
		"Where Kannel sends its delivery reports (this service's /sms/dlr as Kannel reaches it); each SMS adds its id and token. Unset: SWITCHYARD_PUBLIC_URL, else the HTTP address (a wildcard address as 127.0.0.1), + /sms/dlr.",
		func(c *Config) *string { return &c.SMSReportURL }),
}

func init() { settings = append(settings, messagingSettings...) }

// validateMessaging checks the SMS settings.
func (c *Config) validateMessaging() error {
	var errs []error
	for _, u := range []struct{ env, v string }{{EnvKannelURL, c.KannelURL}, {EnvSMSReportURL, c.SMSReportURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.User != nil {
			errs = append(errs, settingErr(u.env, "%q is not an http(s)://host[:port]/path URL", truncate(u.v, 80)))
		}
	}
	if c.KannelURL != "" && c.KannelUser == "" {
		errs = append(errs, settingErr(EnvKannelUser, "is required with %s", EnvKannelURL))
	}
	if c.KannelPassword != "" {
		if err := validatePrintable(EnvKannelPassword, c.KannelPassword, true); err != nil {
			errs = append(errs, err)
		}
	}
	if c.SMSFrom != "" && !smsSender.MatchString(c.SMSFrom) {
		errs = append(errs, settingErr(EnvSMSFrom, "%q is not a sender (a number, or up to 11 letters and digits)", truncate(c.SMSFrom, 40)))
	}
	return errors.Join(errs...)
}
