package app

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// errEnvs returns the env names of all SettingErrors inside err.
func errEnvs(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		var se *SettingError
		if errors.As(e, &se) && e == error(se) {
			out = append(out, se.Env)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		out = append(out, "?unnamed:"+e.Error())
	}
	walk(err)
	slices.Sort(out)
	return out
}

func TestDefaultValidates(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir() // ./data may exist as a file in odd checkouts
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	d := Default()
	if d.HTTPAddr != "127.0.0.1:8080" || d.DataDir != "./data" || d.DatabaseURL != "" ||
		d.ARIURL != "http://127.0.0.1:8088/ari" || d.ARIUser != "switchyard" || d.ARIApp != "switchyard" || d.AGIAddr != "127.0.0.1:4573" ||
		d.LogLevel != "info" || d.LogFormat != "text" || d.ShutdownTimeout != 30*time.Second || d.NodeName == "" ||
		d.SMTPAddr != "" || d.MailDomain != "" || d.MailSecret != "" || d.SMTPRelay != "" || d.MailFrom != "" ||
		d.OTPEndpoint != "PJSIP/{number}@trunk" {
		t.Fatalf("unexpected defaults: %+v", d)
	}
	if err := validateNodeName(defaultNodeName()); err != nil {
		t.Fatalf("default node name %q invalid: %v", defaultNodeName(), err)
	}
}

func TestConfigSettings(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "file")
	if err := os.WriteFile(aFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	pwCRLF := filepath.Join(dir, "pwcrlf")
	if err := os.WriteFile(pwCRLF, []byte("  s3cret \r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyPW := filepath.Join(dir, "empty")
	if err := os.WriteFile(emptyPW, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bigPW := filepath.Join(dir, "big")
	if err := os.WriteFile(bigPW, bytes.Repeat([]byte("a"), maxPasswordFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	ctrlPW := filepath.Join(dir, "ctrl")
	if err := os.WriteFile(ctrlPW, []byte("pass\x07word\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secretFile := filepath.Join(dir, "mailsecret")
	if err := os.WriteFile(secretFile, []byte("  0123456789abcdef-xyz \nrest\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shortSecret := filepath.Join(dir, "shortsecret")
	if err := os.WriteFile(shortSecret, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	type tc struct {
		name    string
		env     map[string]string
		loadErr []string // env names LoadEnv must report
		valErr  []string // env names Validate must report
		check   func(t *testing.T, c Config)
	}
	cases := []tc{
		// SWITCHYARD_HTTP_ADDR
		{name: "http addr ok", env: map[string]string{EnvHTTPAddr: "0.0.0.0:9090"},
			check: func(t *testing.T, c Config) { eq(t, c.HTTPAddr, "0.0.0.0:9090") }},
		{name: "http addr all interfaces", env: map[string]string{EnvHTTPAddr: ":8080"}},
		{name: "http addr ipv6", env: map[string]string{EnvHTTPAddr: "[::1]:8080"}},
		{name: "http addr port 0", env: map[string]string{EnvHTTPAddr: "127.0.0.1:0"}},
		{name: "http addr no port", env: map[string]string{EnvHTTPAddr: "x"}, valErr: []string{EnvHTTPAddr}},
		{name: "http addr bad port", env: map[string]string{EnvHTTPAddr: "localhost:http"}, valErr: []string{EnvHTTPAddr}},
		{name: "http addr port too big", env: map[string]string{EnvHTTPAddr: "localhost:65536"}, valErr: []string{EnvHTTPAddr}},
		{name: "http addr empty port", env: map[string]string{EnvHTTPAddr: "localhost:"}, valErr: []string{EnvHTTPAddr}},
		{name: "http addr space", env: map[string]string{EnvHTTPAddr: " "}, valErr: []string{EnvHTTPAddr}},
		{name: "http addr url", env: map[string]string{EnvHTTPAddr: "http://x:80"}, valErr: []string{EnvHTTPAddr}},
		// SWITCHYARD_DATA_DIR
		{name: "data dir existing", env: map[string]string{EnvDataDir: dir},
			check: func(t *testing.T, c Config) {
				eq(t, c.DataDir, dir)
				eq(t, c.SQLitePath(), filepath.Join(dir, SQLiteFileName))
			}},
		{name: "data dir not yet created", env: map[string]string{EnvDataDir: filepath.Join(dir, "new", "sub")}},
		{name: "data dir is a file", env: map[string]string{EnvDataDir: aFile}, valErr: []string{EnvDataDir}},
		{name: "data dir blank", env: map[string]string{EnvDataDir: "   "}, valErr: []string{EnvDataDir}},
		// SWITCHYARD_DATABASE_URL
		{name: "db empty is sqlite", env: map[string]string{},
			check: func(t *testing.T, c Config) {
				if c.UsesPostgres() {
					t.Fatal("UsesPostgres with empty URL")
				}
			}},
		{name: "db postgres", env: map[string]string{EnvDatabaseURL: "postgres://postgres:pw@127.0.0.1:5432/test?sslmode=disable"},
			check: func(t *testing.T, c Config) {
				if !c.UsesPostgres() {
					t.Fatal("UsesPostgres false")
				}
			}},
		{name: "db postgresql socket", env: map[string]string{EnvDatabaseURL: "postgresql:///test?host=/run/postgresql"}},
		{name: "db upper scheme", env: map[string]string{EnvDatabaseURL: "POSTGRES://h/db"}},
		{name: "db mysql", env: map[string]string{EnvDatabaseURL: "mysql://u:p@h/db"}, valErr: []string{EnvDatabaseURL}},
		{name: "db sqlite url", env: map[string]string{EnvDatabaseURL: "sqlite:///tmp/x.db"}, valErr: []string{EnvDatabaseURL}},
		{name: "db plain path", env: map[string]string{EnvDatabaseURL: "/tmp/x.db"}, valErr: []string{EnvDatabaseURL}},
		{name: "db bad port", env: map[string]string{EnvDatabaseURL: "postgres://u:p@h:port/db"}, valErr: []string{EnvDatabaseURL}},
		{name: "db password without user", env: map[string]string{EnvDatabaseURL: "postgres://:p@h/db"}, valErr: []string{EnvDatabaseURL}},
		// SWITCHYARD_ARI_URL
		{name: "ari url https", env: map[string]string{EnvARIURL: "https://pbx.example.com:8089/ari"},
			check: func(t *testing.T, c Config) { eq(t, c.ARIWebSocketURL(), "wss://pbx.example.com:8089/ari/events") }},
		{name: "ari url default ws", env: map[string]string{},
			check: func(t *testing.T, c Config) { eq(t, c.ARIWebSocketURL(), "ws://127.0.0.1:8088/ari/events") }},
		{name: "ari url trailing slash", env: map[string]string{EnvARIURL: "http://h:8088/ari/"},
			check: func(t *testing.T, c Config) { eq(t, c.ARIWebSocketURL(), "ws://h:8088/ari/events") }},
		{name: "ari url ws scheme", env: map[string]string{EnvARIURL: "ws://h:8088/ari"}, valErr: []string{EnvARIURL}},
		{name: "ari url relative", env: map[string]string{EnvARIURL: "/ari"}, valErr: []string{EnvARIURL}},
		{name: "ari url no scheme", env: map[string]string{EnvARIURL: "127.0.0.1:8088/ari"}, valErr: []string{EnvARIURL}},
		{name: "ari url no host", env: map[string]string{EnvARIURL: "http:///ari"}, valErr: []string{EnvARIURL}},
		{name: "ari url credentials", env: map[string]string{EnvARIURL: "http://u:p@h/ari"}, valErr: []string{EnvARIURL}},
		{name: "ari url query", env: map[string]string{EnvARIURL: "http://h/ari?x=1"}, valErr: []string{EnvARIURL}},
		{name: "ari url garbage", env: map[string]string{EnvARIURL: "http://h:99999/ari"}, valErr: []string{EnvARIURL}},
		// SWITCHYARD_ARI_USER
		{name: "ari user ok", env: map[string]string{EnvARIUser: "switchyard"},
			check: func(t *testing.T, c Config) { eq(t, c.ARIUser, "switchyard") }},
		{name: "ari user colon", env: map[string]string{EnvARIUser: "a:b"}, valErr: []string{EnvARIUser}},
		{name: "ari user newline", env: map[string]string{EnvARIUser: "a\n"}, valErr: []string{EnvARIUser}},
		// SWITCHYARD_ARI_PASSWORD / _FILE
		{name: "ari password env", env: map[string]string{EnvARIPassword: "pa:ss word"},
			check: func(t *testing.T, c Config) { eq(t, c.ARIPassword, "pa:ss word") }},
		{name: "ari password control char", env: map[string]string{EnvARIPassword: "pw\n"}, valErr: []string{EnvARIPassword}},
		{name: "ari password file", env: map[string]string{EnvARIPasswordFile: pwFile},
			check: func(t *testing.T, c Config) { eq(t, c.ARIPassword, "s3cret") }},
		{name: "ari password file first line trimmed", env: map[string]string{EnvARIPasswordFile: pwCRLF},
			check: func(t *testing.T, c Config) { eq(t, c.ARIPassword, "s3cret") }},
		{name: "ari password file missing", env: map[string]string{EnvARIPasswordFile: filepath.Join(dir, "nope")},
			valErr: []string{EnvARIPasswordFile}},
		{name: "ari password file is dir", env: map[string]string{EnvARIPasswordFile: dir}, valErr: []string{EnvARIPasswordFile}},
		{name: "ari password file empty", env: map[string]string{EnvARIPasswordFile: emptyPW}, valErr: []string{EnvARIPasswordFile}},
		{name: "ari password file too big", env: map[string]string{EnvARIPasswordFile: bigPW}, valErr: []string{EnvARIPasswordFile}},
		{name: "ari password file control char", env: map[string]string{EnvARIPasswordFile: ctrlPW}, valErr: []string{EnvARIPasswordFile}},
		{name: "ari password both", env: map[string]string{EnvARIPassword: "a", EnvARIPasswordFile: pwFile},
			loadErr: []string{EnvARIPasswordFile}, valErr: []string{EnvARIPasswordFile}},
		// SWITCHYARD_ARI_APP
		{name: "ari app ok", env: map[string]string{EnvARIApp: "sw_1-a"}, check: func(t *testing.T, c Config) { eq(t, c.ARIApp, "sw_1-a") }},
		{name: "ari app comma", env: map[string]string{EnvARIApp: "a,b"}, valErr: []string{EnvARIApp}},
		{name: "ari app space", env: map[string]string{EnvARIApp: "my app"}, valErr: []string{EnvARIApp}},
		{name: "ari app too long", env: map[string]string{EnvARIApp: strings.Repeat("a", 65)}, valErr: []string{EnvARIApp}},
		// SWITCHYARD_AGI_ADDR
		{name: "agi addr ok", env: map[string]string{EnvAGIAddr: "0.0.0.0:4573"}, check: func(t *testing.T, c Config) { eq(t, c.AGIAddr, "0.0.0.0:4573") }},
		{name: "agi addr bad", env: map[string]string{EnvAGIAddr: "4573"}, valErr: []string{EnvAGIAddr}},
		{name: "agi addr url", env: map[string]string{EnvAGIAddr: "agi://127.0.0.1:4573"}, valErr: []string{EnvAGIAddr}},
		// SWITCHYARD_LOG_LEVEL
		{name: "log level debug", env: map[string]string{EnvLogLevel: "debug"},
			check: func(t *testing.T, c Config) { eq(t, c.SlogLevel(), slog.LevelDebug) }},
		{name: "log level WARN", env: map[string]string{EnvLogLevel: "WARN"},
			check: func(t *testing.T, c Config) { eq(t, c.SlogLevel(), slog.LevelWarn) }},
		{name: "log level error", env: map[string]string{EnvLogLevel: "error"},
			check: func(t *testing.T, c Config) { eq(t, c.SlogLevel(), slog.LevelError) }},
		{name: "log level bad", env: map[string]string{EnvLogLevel: "verbose"}, valErr: []string{EnvLogLevel}},
		// SWITCHYARD_LOG_FORMAT
		{name: "log format json", env: map[string]string{EnvLogFormat: "json"}},
		{name: "log format bad", env: map[string]string{EnvLogFormat: "xml"}, valErr: []string{EnvLogFormat}},
		// SWITCHYARD_ARI_MAX_CONNS
		{name: "max conns 256", env: map[string]string{EnvARIMaxConns: "256"},
			check: func(t *testing.T, c Config) {
				if c.ARIMaxConns != 256 {
					t.Errorf("ARIMaxConns = %d", c.ARIMaxConns)
				}
			}},
		{name: "max conns zero", env: map[string]string{EnvARIMaxConns: "0"}, loadErr: []string{EnvARIMaxConns}},
		{name: "max conns word", env: map[string]string{EnvARIMaxConns: "many"}, loadErr: []string{EnvARIMaxConns}},
		{name: "max conns too many", env: map[string]string{EnvARIMaxConns: "5000"}, loadErr: []string{EnvARIMaxConns}},
		// SWITCHYARD_CPUS
		{name: "cpus 3", env: map[string]string{EnvCPUs: "3"}, check: func(t *testing.T, c Config) { eq(t, c.CPUs, 3) }},
		{name: "cpus auto", env: map[string]string{EnvCPUs: "auto"}, check: func(t *testing.T, c Config) { eq(t, c.CPUs, 0) }},
		{name: "cpus zero", env: map[string]string{EnvCPUs: "0"}, loadErr: []string{EnvCPUs}},
		{name: "cpus word", env: map[string]string{EnvCPUs: "half"}, loadErr: []string{EnvCPUs}},
		// Limits: SMTP connections, report pool, webhook deny list.
		{name: "limits default", env: map[string]string{},
			check: func(t *testing.T, c Config) {
				eq(t, c.SMTPMaxConns, DefaultSMTPMaxConns)
				eq(t, c.SMTPIdleTimeout, DefaultSMTPIdleTimeout)
				eq(t, c.ReportConns, DefaultReportConns)
				eq(t, c.ReportTimeout, DefaultReportTimeout)
			}},
		{name: "limits set", env: map[string]string{EnvSMTPMaxConns: "50", EnvSMTPIdleTimeout: "10s", EnvReportConns: "8", EnvReportTimeout: "90s",
			EnvWebhookDeny: "203.0.113.9, 2001:db8::/64"},
			check: func(t *testing.T, c Config) {
				eq(t, c.SMTPMaxConns, 50)
				eq(t, c.SMTPIdleTimeout, 10*time.Second)
				eq(t, c.ReportConns, 8)
				eq(t, c.ReportTimeout, 90*time.Second)
				ps, err := c.WebhookDenyPrefixes()
				if err != nil || len(ps) != 2 || ps[0].String() != "203.0.113.9/32" || ps[1].String() != "2001:db8::/64" {
					t.Errorf("deny networks %v %v", ps, err)
				}
			}},
		{name: "smtp max conns zero", env: map[string]string{EnvSMTPMaxConns: "0"}, loadErr: []string{EnvSMTPMaxConns}},
		{name: "smtp idle not duration", env: map[string]string{EnvSMTPIdleTimeout: "60"}, loadErr: []string{EnvSMTPIdleTimeout}},
		{name: "smtp idle too short", env: map[string]string{EnvSMTPIdleTimeout: "10ms"}, valErr: []string{EnvSMTPIdleTimeout}},
		{name: "report conns too many", env: map[string]string{EnvReportConns: "65"}, loadErr: []string{EnvReportConns}},
		{name: "report timeout too long", env: map[string]string{EnvReportTimeout: "2h"}, valErr: []string{EnvReportTimeout}},
		{name: "webhook deny bad", env: map[string]string{EnvWebhookDeny: "10.0.0.0/33"}, valErr: []string{EnvWebhookDeny}},
		// Text-to-speech: the secrets' key, default voice, endpoints.
		{name: "tts default", env: map[string]string{},
			check: func(t *testing.T, c Config) { eq(t, c.TTSVoice, DefaultTTSVoice); eq(t, c.TTSSecretKey, "") }},
		{name: "tts set", env: map[string]string{EnvTTSSecretKey: "0123456789abcdef", EnvTTSVoice: "en-gb-x-rp", EnvPollyURL: "https://polly.example.com", EnvGoogleTTSURL: "http://127.0.0.1:9000"},
			check: func(t *testing.T, c Config) {
				eq(t, c.TTSVoice, "en-gb-x-rp")
				eq(t, c.PollyURL, "https://polly.example.com")
				eq(t, c.GoogleTTSURL, "http://127.0.0.1:9000")
			}},
		{name: "tts key short", env: map[string]string{EnvTTSSecretKey: "short"}, valErr: []string{EnvTTSSecretKey}},
		{name: "tts voice bad", env: map[string]string{EnvTTSVoice: "en us"}, valErr: []string{EnvTTSVoice}},
		{name: "polly url bad", env: map[string]string{EnvPollyURL: "polly.example.com"}, valErr: []string{EnvPollyURL}},
		{name: "google tts url with user", env: map[string]string{EnvGoogleTTSURL: "https://u:p@example.com"}, valErr: []string{EnvGoogleTTSURL}},
		// SWITCHYARD_SHUTDOWN_TIMEOUT
		{name: "shutdown 45s", env: map[string]string{EnvShutdownTimeout: "45s"},
			check: func(t *testing.T, c Config) { eq(t, c.ShutdownTimeout, 45*time.Second) }},
		{name: "shutdown not duration", env: map[string]string{EnvShutdownTimeout: "30"}, loadErr: []string{EnvShutdownTimeout}},
		{name: "shutdown zero", env: map[string]string{EnvShutdownTimeout: "0s"}, valErr: []string{EnvShutdownTimeout}},
		{name: "shutdown negative", env: map[string]string{EnvShutdownTimeout: "-5s"}, valErr: []string{EnvShutdownTimeout}},
		{name: "shutdown huge", env: map[string]string{EnvShutdownTimeout: "25h"}, valErr: []string{EnvShutdownTimeout}},
		// SWITCHYARD_NODE
		{name: "node ok", env: map[string]string{EnvNode: "pbx-1.example"}, check: func(t *testing.T, c Config) { eq(t, c.NodeName, "pbx-1.example") }},
		{name: "node slash", env: map[string]string{EnvNode: "a/b"}, valErr: []string{EnvNode}},
		{name: "node too long", env: map[string]string{EnvNode: strings.Repeat("n", 65)}, valErr: []string{EnvNode}},
		// SWITCHYARD_SMTP_ADDR + SWITCHYARD_MAIL_DOMAIN
		{name: "smtp off by default", env: map[string]string{},
			check: func(t *testing.T, c Config) { eq(t, c.SMTPAddr, ""); eq(t, c.MailDomain, "") }},
		{name: "smtp on", env: map[string]string{EnvSMTPAddr: "0.0.0.0:2525", EnvMailDomain: "Upload.Example.com"},
			check: func(t *testing.T, c Config) {
				eq(t, c.SMTPAddr, "0.0.0.0:2525")
				eq(t, c.MailDomain, "Upload.Example.com")
				eq(t, c.MailSender(), "noreply@Upload.Example.com")
			}},
		{name: "smtp port 0", env: map[string]string{EnvSMTPAddr: "127.0.0.1:0", EnvMailDomain: "u.example.com"}},
		{name: "smtp without domain", env: map[string]string{EnvSMTPAddr: "127.0.0.1:2525"}, valErr: []string{EnvMailDomain}},
		{name: "smtp bad addr", env: map[string]string{EnvSMTPAddr: "2525", EnvMailDomain: "u.example.com"}, valErr: []string{EnvSMTPAddr}},
		{name: "smtp url", env: map[string]string{EnvSMTPAddr: "smtp://h:25", EnvMailDomain: "u.example.com"}, valErr: []string{EnvSMTPAddr}},
		{name: "mail domain single label", env: map[string]string{EnvMailDomain: "localhost"}, valErr: []string{EnvMailDomain}},
		{name: "mail domain with at", env: map[string]string{EnvMailDomain: "a@b.com"}, valErr: []string{EnvMailDomain}},
		{name: "mail domain space", env: map[string]string{EnvMailDomain: "up load.example.com"}, valErr: []string{EnvMailDomain}},
		{name: "mail domain dash edge", env: map[string]string{EnvMailDomain: "-up.example.com"}, valErr: []string{EnvMailDomain}},
		{name: "mail domain empty label", env: map[string]string{EnvMailDomain: "up..example.com"}, valErr: []string{EnvMailDomain}},
		{name: "mail domain too long", env: map[string]string{EnvMailDomain: strings.Repeat("a.", 127) + "com"}, valErr: []string{EnvMailDomain}},
		// SWITCHYARD_MAIL_SECRET / _FILE
		{name: "mail secret env", env: map[string]string{EnvMailSecret: "0123456789abcdef"},
			check: func(t *testing.T, c Config) { eq(t, c.MailSecret, "0123456789abcdef") }},
		{name: "mail secret short", env: map[string]string{EnvMailSecret: "0123456789abcde"}, valErr: []string{EnvMailSecret}},
		{name: "mail secret control char", env: map[string]string{EnvMailSecret: "0123456789abcdef\n"}, valErr: []string{EnvMailSecret}},
		{name: "mail secret file", env: map[string]string{EnvMailSecretFile: secretFile},
			check: func(t *testing.T, c Config) { eq(t, c.MailSecret, "0123456789abcdef-xyz"); eq(t, c.MailSecretFile, "") }},
		{name: "mail secret file short", env: map[string]string{EnvMailSecretFile: shortSecret}, valErr: []string{EnvMailSecretFile}},
		{name: "mail secret file missing", env: map[string]string{EnvMailSecretFile: filepath.Join(dir, "nope")}, valErr: []string{EnvMailSecretFile}},
		{name: "mail secret file empty", env: map[string]string{EnvMailSecretFile: emptyPW}, valErr: []string{EnvMailSecretFile}},
		{name: "mail secret file control char", env: map[string]string{EnvMailSecretFile: ctrlPW}, valErr: []string{EnvMailSecretFile}},
		{name: "mail secret both", env: map[string]string{EnvMailSecret: "0123456789abcdef", EnvMailSecretFile: secretFile},
			loadErr: []string{EnvMailSecretFile}, valErr: []string{EnvMailSecretFile}},
		// SWITCHYARD_SMTP_RELAY
		{name: "smtp relay ok", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587"},
			check: func(t *testing.T, c Config) { eq(t, c.SMTPRelay, "smtp.example.com:587") }},
		{name: "smtp relay no port", env: map[string]string{EnvSMTPRelay: "smtp.example.com"}, valErr: []string{EnvSMTPRelay}},
		{name: "smtp relay auth", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587", EnvSMTPRelayUser: "mailer", EnvSMTPRelayPWFile: secretFile, EnvSMTPRelayTLS: "true"},
			check: func(t *testing.T, c Config) {
				eq(t, c.SMTPRelayUser, "mailer")
				eq(t, c.SMTPRelayPassword, "0123456789abcdef-xyz")
				eq(t, c.SMTPRelayStartTLS, true)
			}},
		{name: "smtp relay auth without starttls", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587", EnvSMTPRelayUser: "mailer", EnvSMTPRelayPWFile: secretFile},
			valErr: []string{EnvSMTPRelayTLS}},
		{name: "smtp relay auth without password", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587", EnvSMTPRelayUser: "mailer", EnvSMTPRelayTLS: "true"},
			valErr: []string{EnvSMTPRelayPWFile}},
		{name: "smtp relay auth missing password file", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587", EnvSMTPRelayUser: "mailer", EnvSMTPRelayTLS: "true", EnvSMTPRelayPWFile: filepath.Join(dir, "nope")},
			valErr: []string{EnvSMTPRelayPWFile}},
		{name: "smtp relay auth without relay", env: map[string]string{EnvSMTPRelayUser: "mailer", EnvSMTPRelayTLS: "true", EnvSMTPRelayPWFile: secretFile},
			valErr: []string{EnvSMTPRelayUser}},
		{name: "smtp relay password without user", env: map[string]string{EnvSMTPRelay: "smtp.example.com:587", EnvSMTPRelayPWFile: secretFile},
			valErr: []string{EnvSMTPRelayPWFile}},
		{name: "agent endpoint", env: map[string]string{EnvAgentEndpoint: "PJSIP/{number}@carrier"},
			check: func(t *testing.T, c Config) { eq(t, c.AgentEndpoint, "PJSIP/{number}@carrier") }},
		{name: "agent endpoint bad placeholder", env: map[string]string{EnvAgentEndpoint: "PJSIP/{num}@carrier"}, valErr: []string{EnvAgentEndpoint}},
		{name: "agent endpoint printf", env: map[string]string{EnvAgentEndpoint: "PJSIP/%s@carrier"}, valErr: []string{EnvAgentEndpoint}},
		{name: "manage endpoints off", env: map[string]string{EnvManageEndpoints: "false"},
			check: func(t *testing.T, c Config) { eq(t, c.ManageEndpoints, false) }},
		{name: "manage endpoints bad", env: map[string]string{EnvManageEndpoints: "sometimes"}, loadErr: []string{EnvManageEndpoints}},
		{name: "smtp relay starttls bad", env: map[string]string{EnvSMTPRelayTLS: "maybe"}, loadErr: []string{EnvSMTPRelayTLS}},
		{name: "smtp relay url", env: map[string]string{EnvSMTPRelay: "smtp://smtp.example.com:25"}, valErr: []string{EnvSMTPRelay}},
		// SWITCHYARD_MAIL_FROM
		{name: "mail from ok", env: map[string]string{EnvMailFrom: "Switchyard <lists@example.com>", EnvMailDomain: "u.example.com"},
			check: func(t *testing.T, c Config) { eq(t, c.MailSender(), "Switchyard <lists@example.com>") }},
		{name: "mail from bad", env: map[string]string{EnvMailFrom: "lists"}, valErr: []string{EnvMailFrom}},
		{name: "mail from two", env: map[string]string{EnvMailFrom: "a@x.com, b@x.com"}, valErr: []string{EnvMailFrom}},
		// SWITCHYARD_OTP_ENDPOINT
		{name: "dial multiplier default", env: map[string]string{},
			check: func(t *testing.T, c Config) {
				if c.DialMultiplier != 1 {
					t.Errorf("DialMultiplier = %v", c.DialMultiplier)
				}
			}},
		{name: "dial multiplier 2.5", env: map[string]string{EnvDialMultiplier: " 2.5 "},
			check: func(t *testing.T, c Config) {
				if c.DialMultiplier != 2.5 {
					t.Errorf("DialMultiplier = %v", c.DialMultiplier)
				}
			}},
		{name: "dial multiplier zero", env: map[string]string{EnvDialMultiplier: "0"}, loadErr: []string{EnvDialMultiplier}},
		{name: "dial multiplier negative", env: map[string]string{EnvDialMultiplier: "-1"}, loadErr: []string{EnvDialMultiplier}},
		{name: "dial multiplier word", env: map[string]string{EnvDialMultiplier: "lots"}, loadErr: []string{EnvDialMultiplier}},
		{name: "dial multiplier NaN", env: map[string]string{EnvDialMultiplier: "NaN"}, loadErr: []string{EnvDialMultiplier}},
		// SWITCHYARD_TRUNKS, SWITCHYARD_DEFAULT_TRUNK
		{name: "trunks default is the test trunk", env: map[string]string{},
			check: func(t *testing.T, c Config) {
				if tt := c.TrunkTable(); len(tt) != 1 || tt["test"] != "Local/{number}@test-trunk" || c.DefaultTrunk != "test" {
					t.Fatalf("trunks %v default %q", tt, c.DefaultTrunk)
				}
			}},
		{name: "trunks two", env: map[string]string{EnvTrunks: "test=Local/{number}@test-trunk,carrier=PJSIP/{number}@carrier", EnvDefaultTrunk: "carrier"},
			check: func(t *testing.T, c Config) {
				if tt := c.TrunkTable(); len(tt) != 2 || tt["carrier"] != "PJSIP/{number}@carrier" {
					t.Fatalf("trunks %v", tt)
				}
			}},
		{name: "trunks without number", env: map[string]string{EnvTrunks: "carrier=PJSIP/carrier", EnvDefaultTrunk: "carrier"}, valErr: []string{EnvTrunks}},
		{name: "trunks second endpoint", env: map[string]string{EnvTrunks: "c=PJSIP/{number}@c&PJSIP/agent1", EnvDefaultTrunk: "c"}, valErr: []string{EnvTrunks}},
		{name: "trunks empty", env: map[string]string{EnvTrunks: " , "}, valErr: []string{EnvTrunks}},
		{name: "default trunk unknown", env: map[string]string{EnvDefaultTrunk: "carrier"}, valErr: []string{EnvDefaultTrunk}},
		{name: "dial multiplier too big", env: map[string]string{EnvDialMultiplier: "51"}, loadErr: []string{EnvDialMultiplier}},
		{name: "otp endpoint default", env: map[string]string{},
			check: func(t *testing.T, c Config) { eq(t, c.OTPEndpoint, "PJSIP/{number}@trunk") }},
		{name: "otp endpoint fixed", env: map[string]string{EnvOTPEndpoint: "Local/answer-silent@customers"},
			check: func(t *testing.T, c Config) { eq(t, c.OTPEndpoint, "Local/answer-silent@customers") }},
		{name: "otp endpoint sip", env: map[string]string{EnvOTPEndpoint: "PJSIP/trunk/sip:{number}@carrier.example.com"}},
		{name: "otp endpoint no tech", env: map[string]string{EnvOTPEndpoint: "{number}@trunk"}, valErr: []string{EnvOTPEndpoint}},
		{name: "otp endpoint space", env: map[string]string{EnvOTPEndpoint: "PJSIP/{number} @trunk"}, valErr: []string{EnvOTPEndpoint}},
		{name: "otp endpoint comma", env: map[string]string{EnvOTPEndpoint: "PJSIP/{number}@trunk,30"}, valErr: []string{EnvOTPEndpoint}},
		{name: "otp endpoint unknown placeholder", env: map[string]string{EnvOTPEndpoint: "PJSIP/{phone}@trunk"}, valErr: []string{EnvOTPEndpoint}},
		{name: "otp endpoint unbalanced", env: map[string]string{EnvOTPEndpoint: "PJSIP/{number@trunk"}, valErr: []string{EnvOTPEndpoint}},
		{name: "recording url settings", env: map[string]string{EnvPublicURL: "https://sy.example.com:8443", EnvRecordingURLTTL: "168h",
			EnvRecordingURLKey: "0123456789abcdef", EnvUnassignedDID: "0"},
			check: func(t *testing.T, c Config) {
				eq(t, c.RecordingBaseURL("127.0.0.1:8080"), "https://sy.example.com:8443")
				if c.RecordingURLTTL != 168*time.Hour || c.RecordingURLKey != "0123456789abcdef" || c.UnassignedDIDAccount != 0 {
					t.Fatalf("config %+v", c)
				}
			}},
		{name: "recording url defaults", env: map[string]string{},
			check: func(t *testing.T, c Config) {
				eq(t, c.RecordingBaseURL("127.0.0.1:8080"), "http://127.0.0.1:8080")
				if c.RecordingURLTTL != DefaultRecordingURLTTL || c.RecordingURLKey != "" || c.UnassignedDIDAccount != 1 {
					t.Fatalf("config %+v", c)
				}
			}},
		{name: "public url with path", env: map[string]string{EnvPublicURL: "https://sy.example.com/api"}, valErr: []string{EnvPublicURL}},
		{name: "public url not http", env: map[string]string{EnvPublicURL: "ftp://sy.example.com"}, valErr: []string{EnvPublicURL}},
		{name: "recording url ttl too long", env: map[string]string{EnvRecordingURLTTL: "1000h"}, valErr: []string{EnvRecordingURLTTL}},
		{name: "recording url key short", env: map[string]string{EnvRecordingURLKey: "short"}, valErr: []string{EnvRecordingURLKey}},
		{name: "unassigned did account negative", env: map[string]string{EnvUnassignedDID: "-1"}, loadErr: []string{EnvUnassignedDID}},
		// several at once: all problems are reported
		{name: "all bad at once", env: map[string]string{
			EnvHTTPAddr: "x", EnvDataDir: aFile, EnvDatabaseURL: "mysql://x", EnvARIURL: "ftp://h",
			EnvARIUser: "a:b", EnvARIApp: "a b", EnvAGIAddr: "y", EnvLogLevel: "loud", EnvLogFormat: "xml",
			EnvShutdownTimeout: "-1s", EnvNode: "a b", EnvARIPasswordFile: emptyPW,
			EnvSMTPAddr: "z", EnvMailDomain: "x", EnvMailSecretFile: shortSecret, EnvSMTPRelay: "r", EnvMailFrom: "f",
			EnvOTPEndpoint: "o",
		}, valErr: []string{EnvAGIAddr, EnvARIApp, EnvARIPasswordFile, EnvARIURL, EnvARIUser, EnvDataDir,
			EnvDatabaseURL, EnvHTTPAddr, EnvLogFormat, EnvLogLevel, EnvMailDomain, EnvMailFrom, EnvMailSecretFile,
			EnvNode, EnvOTPEndpoint, EnvSMTPAddr, EnvSMTPRelay, EnvShutdownTimeout}},
	}

	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			c.DataDir = dir
			lerr := c.LoadEnv(envFunc(tt.env))
			if got, want := errEnvs(lerr), sorted(tt.loadErr); !slices.Equal(got, want) {
				t.Fatalf("LoadEnv errors = %v (%v), want %v", got, lerr, want)
			}
			if lerr != nil {
				return
			}
			verr := c.Validate()
			if got, want := errEnvs(verr), sorted(tt.valErr); !slices.Equal(got, want) {
				t.Fatalf("Validate errors = %v (%v), want %v", got, verr, want)
			}
			if verr != nil {
				for _, line := range strings.Split(verr.Error(), "\n") {
					if !strings.HasPrefix(line, "SWITCHYARD_") {
						t.Errorf("error line does not name its setting: %q", line)
					}
				}
				return
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

func TestValidateMessages(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir()
	c.HTTPAddr = "x"
	c.DatabaseURL = "mysql://root:topsecret@h/db"
	err := c.Validate()
	if err == nil {
		t.Fatal("want error")
	}
	msg := err.Error()
	if !strings.Contains(msg, `SWITCHYARD_HTTP_ADDR: "x" is not host:port`) {
		t.Errorf("message %q lacks the host:port explanation", msg)
	}
	if strings.Contains(msg, "topsecret") {
		t.Errorf("database password leaked into error: %q", msg)
	}
	c = Default()
	c.DataDir = t.TempDir()
	c.DatabaseURL = "postgres://u:top%zzsecret@h/db" // bad escape: url.Parse fails
	err = c.Validate()
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Fatalf("want a redacted parse error, got %v", err)
	}
}

func TestLoadEnvDurationErrorNamesVariable(t *testing.T) {
	c := Default()
	err := c.LoadEnv(envFunc(map[string]string{EnvShutdownTimeout: "soon"}))
	if err == nil || !strings.HasPrefix(err.Error(), EnvShutdownTimeout+": ") || !strings.Contains(err.Error(), `"soon"`) {
		t.Fatalf("got %v", err)
	}
}

func TestFlagsOverrideEnv(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secFile := filepath.Join(dir, "secret")
	if err := os.WriteFile(secFile, []byte("0123456789abcdef-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	err := c.LoadEnv(envFunc(map[string]string{
		EnvHTTPAddr: "127.0.0.1:1111", EnvAGIAddr: "127.0.0.1:2222", EnvARIPassword: "fromenv",
		EnvShutdownTimeout: "10s", EnvLogLevel: "warn", EnvDataDir: dir,
		EnvMailSecret: "0123456789abcdef-from-env", EnvMailDomain: "u.example.com",
	}))
	if err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("switchyard", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c.RegisterFlags(fs)
	if err := fs.Parse([]string{"-http-addr", "127.0.0.1:3333", "-shutdown-timeout", "1m",
		"-ari-password-file", pwFile, "-node", "n1", "-ari-user", "u",
		"-mail-secret-file", secFile, "-smtp-addr", "127.0.0.1:2525", "-otp-endpoint", "Local/{number}@customers"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	eq(t, c.HTTPAddr, "127.0.0.1:3333")               // flag wins
	eq(t, c.AGIAddr, "127.0.0.1:2222")                // env kept
	eq(t, c.ShutdownTimeout, time.Minute)             // flag wins
	eq(t, c.LogLevel, "warn")                         // env kept
	eq(t, c.ARIPassword, "fromfile")                  // flag file overrides env password
	eq(t, c.NodeName, "n1")                           //
	eq(t, c.MailSecret, "0123456789abcdef-from-file") // flag file overrides env secret
	eq(t, c.SMTPAddr, "127.0.0.1:2525")               // flag
	eq(t, c.OTPEndpoint, "Local/{number}@customers")  // flag
	if err := c.RequireARICredentials(); err != nil { // user + password present
		t.Fatal(err)
	}

	// A bad flag value is rejected by the flag parser and names the flag.
	fs2 := flag.NewFlagSet("switchyard", flag.ContinueOnError)
	fs2.SetOutput(io.Discard)
	c2 := Default()
	c2.RegisterFlags(fs2)
	if err := fs2.Parse([]string{"-shutdown-timeout", "later"}); err == nil || !strings.Contains(err.Error(), "-shutdown-timeout") {
		t.Fatalf("bad duration flag: %v", err)
	}
}

func TestEveryFlagAndEnvIsDocumented(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c := Default()
	c.RegisterFlags(fs)
	table := ConfigTable()
	flags := map[string]bool{}
	for _, s := range table {
		if !strings.HasPrefix(s.Env, "SWITCHYARD_") || s.Description == "" || s.Default == "" {
			t.Errorf("incomplete setting doc: %+v", s)
		}
		if s.Flag != "" {
			flags[s.Flag] = true
			if fs.Lookup(s.Flag) == nil {
				t.Errorf("flag -%s documented but not registered", s.Flag)
			}
		}
	}
	fs.VisitAll(func(f *flag.Flag) {
		if !flags[f.Name] {
			t.Errorf("flag -%s registered but not documented", f.Name)
		}
	})
	wantEnv := []string{EnvHTTPAddr, EnvDataDir, EnvDatabaseURL, EnvARIURL, EnvARIUser, EnvARIPassword,
		EnvARIPasswordFile, EnvARIApp, EnvAGIAddr, EnvLogLevel, EnvLogFormat, EnvShutdownTimeout, EnvNode,
		EnvSMTPAddr, EnvMailDomain, EnvMailSecret, EnvMailSecretFile, EnvSMTPRelay, EnvSMTPRelayUser, EnvSMTPRelayPWFile, EnvSMTPRelayTLS, EnvMailFrom, EnvOTPEndpoint}
	for _, e := range wantEnv {
		if !slices.ContainsFunc(table, func(s Setting) bool { return s.Env == e }) {
			t.Errorf("%s missing from ConfigTable", e)
		}
	}
	for _, f := range []string{"http-addr", "data-dir", "database-url", "ari-url", "ari-user",
		"ari-password-file", "ari-app", "agi-addr", "log-level", "log-format", "shutdown-timeout", "node",
		"smtp-addr", "mail-domain", "mail-secret-file", "smtp-relay", "mail-from", "otp-endpoint"} {
		if !flags[f] {
			t.Errorf("flag -%s missing", f)
		}
	}
	if fs.Lookup("ari-password") != nil {
		t.Error("a password flag would expose the password in ps output")
	}
	if fs.Lookup("mail-secret") != nil {
		t.Error("a secret flag would expose the secret in ps output")
	}
	md := table.Markdown()
	if !strings.Contains(md, "| `SWITCHYARD_HTTP_ADDR` | `-http-addr` | `127.0.0.1:8080` |") {
		t.Errorf("markdown table:\n%s", md)
	}
	var txt bytes.Buffer
	if err := table.WriteText(&txt); err != nil || !strings.Contains(txt.String(), "SWITCHYARD_AGI_ADDR") {
		t.Fatalf("text table: %v\n%s", err, txt.String())
	}
	// flag help must not print a secret even if one is set
	c.ARIPassword = "hunter2"
	c.MailSecret = "mailsecret-hunter3"
	var help bytes.Buffer
	fs.SetOutput(&help)
	fs.PrintDefaults()
	if strings.Contains(help.String(), "hunter2") || strings.Contains(help.String(), "hunter3") {
		t.Fatal("secret printed in flag help")
	}
}

func TestRequireARICredentials(t *testing.T) {
	c := Default()
	if got := errEnvs(c.RequireARICredentials()); !slices.Equal(got, []string{EnvARIPassword}) {
		t.Fatalf("got %v", got)
	}
	c.ARIUser = ""
	if got := errEnvs(c.RequireARICredentials()); !slices.Equal(got, []string{EnvARIPassword, EnvARIUser}) {
		t.Fatalf("got %v", got)
	}
	c.ARIUser, c.ARIPasswordFile = "u", "/some/file"
	if err := c.RequireARICredentials(); err != nil {
		t.Fatal(err)
	}
}

func TestLoggerAndLogValue(t *testing.T) {
	c := Default()
	c.LogFormat = "json"
	c.LogLevel = "warn"
	c.ARIPassword = "hunter2"
	c.MailSecret = "mailsecret-hunter3"
	c.DatabaseURL = "postgres://u:pgsecret@h/db"
	var buf bytes.Buffer
	l := c.NewLogger(&buf)
	l.Info("hidden")
	l.Warn("shown", "config", c)
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, `"msg":"shown"`) {
		t.Fatalf("level/format wrong: %s", out)
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "pgsecret") || strings.Contains(out, "hunter3") || !strings.Contains(out, `"mail_secret_set":true`) {
		t.Fatalf("secret logged: %s", out)
	}
	if !strings.Contains(out, `"node":"`+c.NodeName+`"`) {
		t.Fatalf("node missing: %s", out)
	}
}

// FuzzConfig feeds arbitrary values through LoadEnv and Validate: they must
// never panic, every error must name a SWITCHYARD_ variable, and a config that
// validates must really be usable.
func FuzzConfig(f *testing.F) {
	f.Add("127.0.0.1:8080", "./data", "", "http://127.0.0.1:8088/ari", "u", "p", "switchyard", "127.0.0.1:4573", "info", "text", "30s", "node")
	f.Add("x", "", "mysql://", "ftp://h", "a:b", "p\n", "a b", "4573", "loud", "xml", "30", "a/b")
	f.Add("[::1]:0", "/", "postgres://u:p@h:5432/db", "https://h:8089/ari/", "", "", "A-z_9", ":0", "DEBUG", "JSON", "-1h", "")
	f.Add("[", "\x00", "postgres://%zz", "http://[::1", "\xff", "\xff", "", "[::1]:99999", "", "", "1e9h", "\xff")
	f.Fuzz(func(t *testing.T, httpAddr, dataDir, dbURL, ariURL, user, pw, app, agiAddr, level, format, shutdown, node string) {
		env := map[string]string{
			EnvHTTPAddr: httpAddr, EnvDataDir: dataDir, EnvDatabaseURL: dbURL, EnvARIURL: ariURL,
			EnvARIUser: user, EnvARIPassword: pw, EnvARIApp: app, EnvAGIAddr: agiAddr,
			EnvLogLevel: level, EnvLogFormat: format, EnvShutdownTimeout: shutdown, EnvNode: node,
		}
		c := Default()
		err := c.LoadEnv(envFunc(env))
		checkNamed(t, err)
		if err != nil {
			return
		}
		err = c.Validate()
		checkNamed(t, err)
		if err != nil {
			return
		}
		if c.ShutdownTimeout <= 0 || c.ARIWebSocketURL() == "" || c.NodeName == "" || c.ARIApp == "" {
			t.Fatalf("validated config is unusable: %+v", c)
		}
		_ = c.NewLogger(io.Discard)
		_ = c.LogValue().String()
	})
}

func checkNamed(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, e := range errEnvs(err) {
		if !strings.HasPrefix(e, "SWITCHYARD_") {
			t.Fatalf("error without a setting name: %q", e)
		}
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	if s == nil {
		return nil
	}
	return s
}

func eq[T comparable](t *testing.T, got, want T) {
	t.Helper()
	if got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestREADMEConfigTable: the README's configuration table is ConfigTable().
func TestREADMEConfigTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if md := ConfigTable().Markdown(); !strings.Contains(string(b), md) {
		t.Errorf("README.md's configuration table differs from ConfigTable(); replace it with:\n%s", md)
	}
}

func TestGoMaxProcs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ariURL string
		cpus   int
		numCPU int
		env    string
		want   int
	}{
		{name: "local Asterisk, 2 CPUs", ariURL: "http://127.0.0.1:8088/ari", numCPU: 2, want: 1},
		{name: "local Asterisk, 1 CPU", ariURL: "http://127.0.0.1:8088/ari", numCPU: 1, want: 1},
		{name: "local Asterisk, 16 CPUs", ariURL: "https://localhost:8089/ari", numCPU: 16, want: 8},
		{name: "IPv6 loopback", ariURL: "http://[::1]:8088/ari", numCPU: 4, want: 2},
		{name: "127.0.0.2 is loopback too", ariURL: "http://127.0.0.2:8088/ari", numCPU: 4, want: 2},
		{name: "remote Asterisk: the runtime's choice", ariURL: "http://10.0.0.5:8088/ari", numCPU: 8, want: 0},
		{name: "remote by name", ariURL: "http://pbx.example.net:8088/ari", numCPU: 8, want: 0},
		{name: "GOMAXPROCS set wins over auto", ariURL: "http://127.0.0.1:8088/ari", numCPU: 8, env: "6", want: 0},
		{name: "setting wins over GOMAXPROCS", ariURL: "http://127.0.0.1:8088/ari", cpus: 3, numCPU: 8, env: "6", want: 3},
		{name: "setting with remote Asterisk", ariURL: "http://10.0.0.5:8088/ari", cpus: 2, numCPU: 8, want: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			c.ARIURL, c.CPUs = tc.ariURL, tc.cpus
			if got := c.GoMaxProcs(tc.numCPU, tc.env); got != tc.want {
				t.Errorf("GoMaxProcs(%d, %q) = %d, want %d", tc.numCPU, tc.env, got, tc.want)
			}
		})
	}
}
