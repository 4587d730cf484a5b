package app

import (
	"strings"
	"testing"
	"time"
)

// TestMediaSettings: the media URL defaults to the listen address (a
// wildcard as loopback) and must be a bare http(s) origin; the prompt
// caps stay in range.
func TestMediaSettings(t *testing.T) {
	for _, c := range []struct {
		media, listen, want string
	}{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"", "0.0.0.0:9000", "http://127.0.0.1:9000"},
		{"", "[::]:9000", "http://127.0.0.1:9000"},
		{"", "10.1.2.3:8080", "http://10.1.2.3:8080"},
		{"http://sy.internal:8080/", "0.0.0.0:8080", "http://sy.internal:8080"},
	} {
		cfg := Default()
		cfg.MediaURL = c.media
		if got := cfg.MediaBaseURL(c.listen); got != c.want {
			t.Errorf("MediaBaseURL(%q) with %q = %q; want %q", c.listen, c.media, got, c.want)
		}
	}
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.MediaURL = "ftp://x" }, EnvMediaURL},
		{func(c *Config) { c.MediaURL = "http://x:8080/media" }, "no path"},
		{func(c *Config) { c.MediaURL = "http://u:p@x" }, EnvMediaURL},
		{func(c *Config) { c.PromptMaxMB = 0 }, EnvPromptMaxMB},
		{func(c *Config) { c.PromptMaxMB = 101 }, EnvPromptMaxMB},
		{func(c *Config) { c.PromptMaxDuration = 500 * time.Millisecond }, EnvPromptMaxDuration},
		{func(c *Config) { c.PromptMaxDuration = 2 * time.Hour }, EnvPromptMaxDuration},
	} {
		cfg := Default()
		cfg.ARIPassword = "x"
		c.mod(&cfg)
		if err := cfg.validateMedia(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v; want an error naming %q", cfg.MediaURL, err, c.want)
		}
	}
	cfg := Default()
	cfg.MediaURL = "https://sy.example.com:8443"
	if err := cfg.validateMedia(); err != nil {
		t.Errorf("a good media URL: %v", err)
	}
}
