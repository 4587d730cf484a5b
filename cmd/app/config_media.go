package app

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/switchyard/switchyard/prompts"
)

// Prompts and the media Switchyard serves to Asterisk.
const (
	EnvMediaURL          = "SWITCHYARD_MEDIA_URL"
	EnvPromptMaxMB       = "SWITCHYARD_PROMPT_MAX_MB"
	EnvPromptMaxDuration = "SWITCHYARD_PROMPT_MAX_DURATION"

	maxPromptMB       = 100
	maxPromptDuration = time.Hour
)

func mediaDefaults(c *Config) {
	c.PromptMaxMB = prompts.DefaultMaxBytes >> 20
	c.PromptMaxDuration = prompts.DefaultMaxDuration
}

var mediaSettings = []setting{
	stringSetting(EnvMediaURL, "media-url", "(http://HTTP_ADDR)",
		"How Asterisk reaches this daemon's HTTP listener (scheme://host[:port]): prompts and synthesised speech play as sound:<this>/media/…. Unset: the HTTP listen address, a wildcard address as 127.0.0.1 (Asterisk on the same host). Set it when Asterisk runs on another box.",
		func(c *Config) *string { return &c.MediaURL }),
	intSetting(EnvPromptMaxMB, "prompt-max-mb", prompts.DefaultMaxBytes>>20, 1, maxPromptMB,
		"Largest prompt file an account may upload, in MB (1-100).",
		func(c *Config) *int { return &c.PromptMaxMB }),
	durationSetting(EnvPromptMaxDuration, "prompt-max-duration", prompts.DefaultMaxDuration,
		"Longest prompt (upload or recording), from 1s to 1h.",
		func(c *Config) *time.Duration { return &c.PromptMaxDuration }),
}

func (c *Config) validateMedia() error {
	var errs []error
	if v := c.MediaURL; v != "" {
		u, err := url.Parse(v)
		switch {
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
			errs = append(errs, settingErr(EnvMediaURL, "%q is not an http(s)://host[:port] URL", truncate(v, 80)))
		case strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
			errs = append(errs, settingErr(EnvMediaURL, "%q: give only scheme, host and port (no path, query or credentials)", truncate(v, 80)))
		}
	}
	if c.PromptMaxMB < 1 || c.PromptMaxMB > maxPromptMB {
		errs = append(errs, settingErr(EnvPromptMaxMB, "%d is not from 1 to %d", c.PromptMaxMB, maxPromptMB))
	}
	if c.PromptMaxDuration < time.Second || c.PromptMaxDuration > maxPromptDuration {
		errs = append(errs, settingErr(EnvPromptMaxDuration, "%s is not from 1s to %s", c.PromptMaxDuration, maxPromptDuration))
	}
	return errors.Join(errs...)
}

// MediaBaseURL is how Asterisk reaches the media this daemon serves:
// MediaURL, else the HTTP listen address (a wildcard address as
// loopback: Asterisk on the same host).
func (c *Config) MediaBaseURL(listen string) string {
	if c.MediaURL != "" {
		return strings.TrimRight(c.MediaURL, "/")
	}
	ap, err := netip.ParseAddrPort(listen)
	if err != nil {
		return "http://" + listen
	}
	ip := ap.Addr()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	return "http://" + netip.AddrPortFrom(ip, ap.Port()).String()
}
