package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchyard/switchyard/dialer"
)

// Environment variable names. Operators and scripts rely on them; do not rename.
const (
	EnvHTTPAddr        = "SWITCHYARD_HTTP_ADDR"
	EnvDataDir         = "SWITCHYARD_DATA_DIR"
	EnvDatabaseURL     = "SWITCHYARD_DATABASE_URL"
	EnvARIURL          = "SWITCHYARD_ARI_URL"
	EnvARIUser         = "SWITCHYARD_ARI_USER"
	EnvARIPassword     = "SWITCHYARD_ARI_PASSWORD"
	EnvARIPasswordFile = "SWITCHYARD_ARI_PASSWORD_FILE"
	EnvARIApp          = "SWITCHYARD_ARI_APP"
	EnvAGIAddr         = "SWITCHYARD_AGI_ADDR"
	EnvLogLevel        = "SWITCHYARD_LOG_LEVEL"
	EnvLogFormat       = "SWITCHYARD_LOG_FORMAT"
	EnvShutdownTimeout = "SWITCHYARD_SHUTDOWN_TIMEOUT"
	EnvARIMaxConns     = "SWITCHYARD_ARI_MAX_CONNS"
	EnvCPUs            = "SWITCHYARD_CPUS"
	EnvNode            = "SWITCHYARD_NODE"
	EnvSMTPAddr        = "SWITCHYARD_SMTP_ADDR"
	EnvMailDomain      = "SWITCHYARD_MAIL_DOMAIN"
	EnvMailSecret      = "SWITCHYARD_MAIL_SECRET"
	EnvMailSecretFile  = "SWITCHYARD_MAIL_SECRET_FILE"
	EnvSMTPRelay       = "SWITCHYARD_SMTP_RELAY"
	EnvSMTPRelayUser   = "SWITCHYARD_SMTP_RELAY_USER"
	EnvSMTPRelayPWFile = "SWITCHYARD_SMTP_RELAY_PASSWORD_FILE"
	EnvSMTPRelayTLS    = "SWITCHYARD_SMTP_RELAY_STARTTLS"
	EnvMailFrom        = "SWITCHYARD_MAIL_FROM"
	EnvOTPEndpoint     = "SWITCHYARD_OTP_ENDPOINT"
	EnvWebRTCURL       = "SWITCHYARD_WEBRTC_URL"
	EnvSIPHost         = "SWITCHYARD_SIP_HOST"
	EnvAgentEndpoint   = "SWITCHYARD_AGENT_ENDPOINT"
	EnvRecordingsDir   = "SWITCHYARD_RECORDINGS_DIR"
	EnvManageEndpoints = "SWITCHYARD_MANAGE_AGENT_ENDPOINTS"
	EnvDialMultiplier  = "SWITCHYARD_DIAL_MULTIPLIER"
	EnvTrunks          = "SWITCHYARD_TRUNKS"
	EnvDefaultTrunk    = "SWITCHYARD_DEFAULT_TRUNK"
	EnvPublicURL       = "SWITCHYARD_PUBLIC_URL"
	EnvRecordingURLTTL = "SWITCHYARD_RECORDING_URL_TTL"
	EnvRecordingURLKey = "SWITCHYARD_RECORDING_URL_KEY"
	EnvUnassignedDID   = "SWITCHYARD_UNASSIGNED_DID_ACCOUNT"
)

// Defaults.
const (
	DefaultHTTPAddr        = "127.0.0.1:8080"
	DefaultDataDir         = "./data"
	DefaultARIURL          = "http://127.0.0.1:8088/ari"
	DefaultARIUser         = "switchyard"
	DefaultARIApp          = "switchyard"
	DefaultAGIAddr         = "127.0.0.1:4573"
	DefaultLogLevel        = "info"
	DefaultLogFormat       = "text"
	DefaultShutdownTimeout = 30 * time.Second
	// DefaultARIMaxConns stays below Asterisk's default http.conf
	// sessionlimit (100), which also counts the events websocket.
	DefaultARIMaxConns = 64
	// DefaultOTPEndpoint dials whitelisting OTP calls out of the trunk;
	// {number} becomes the E.164 number.
	DefaultOTPEndpoint = "PJSIP/{number}@trunk"
	// DefaultRecordingURLTTL: recording URLs stay valid as long as
	// recordings can be downloaded (30 days).
	DefaultRecordingURLTTL = 30 * 24 * time.Hour
	// DefaultDialMultiplier is the global dial multiplier (the ADS dialer's
	// ads_multiplier, applied to every campaign watching a queue): calls =
	// free agents × multiplier.
	DefaultDialMultiplier = 1.0
	// DefaultTrunks is the shipped test trunk (asterisk-conf test-trunk:
	// the E.164 test range +1 NXX 555 01XX reaches test customers), so a
	// first campaign dials without writing dialplan.
	DefaultTrunks = dialer.DefaultTrunkName + "=" + dialer.DefaultTrunkTemplate
	// DefaultTrunk is the trunk of campaigns and flows that name none.
	DefaultTrunk = dialer.DefaultTrunkName
	// maxDialMultiplier matches dialer.MaxMultiplier.
	maxDialMultiplier = 50

	// MailSecretFileName is the generated email-upload address secret
	// inside DataDir (used when SWITCHYARD_MAIL_SECRET(_FILE) is unset).
	MailSecretFileName = "mail-secret"
	// minMailSecretLen is the shortest accepted address secret.
	minMailSecretLen = 16

	// SQLiteFileName is the embedded database file inside DataDir.
	SQLiteFileName = "switchyard.db"

	// maxPasswordFileSize bounds how much of SWITCHYARD_ARI_PASSWORD_FILE is read.
	maxPasswordFileSize = 4096
	// maxShutdownTimeout is the largest accepted SWITCHYARD_SHUTDOWN_TIMEOUT.
	maxShutdownTimeout = 24 * time.Hour
)

// Config is the complete runtime configuration of the switchyard binary.
//
// Build it with Default, then LoadEnv, then RegisterFlags + FlagSet.Parse
// (flags override the environment), then Validate. Validate also reads
// ARIPasswordFile into ARIPassword.
type Config struct {
	// HTTPAddr is the admin API / healthz / metrics listen address (host:port).
	HTTPAddr string
	// DataDir holds the embedded SQLite database and other local state.
	DataDir string
	// DatabaseURL is empty for embedded SQLite in DataDir, or a postgres:// URL.
	DatabaseURL string
	// ARIURL is the base URL of Asterisk's REST Interface, e.g. http://127.0.0.1:8088/ari.
	ARIURL string
	// ARIUser and ARIPassword authenticate against ari.conf.
	ARIUser     string
	ARIPassword string
	// ARIPasswordFile, when set, names a file whose first line (surrounding
	// white space removed) becomes ARIPassword during Validate.
	ARIPasswordFile string
	// ARIApp is the Stasis application name registered over the ARI websocket.
	ARIApp string
	// AGIAddr is the FastAGI listen address (host:port).
	AGIAddr string
	// LogLevel is one of debug, info, warn, error.
	LogLevel string
	// LogFormat is text or json.
	LogFormat string
	// ShutdownTimeout bounds how long live calls and requests may take to finish on shutdown.
	ShutdownTimeout time.Duration
	// ARIMaxConns bounds concurrent REST connections to Asterisk.
	ARIMaxConns int
	// CPUs is how many CPUs the daemon's Go code runs on at once
	// (GOMAXPROCS); 0 is automatic (see GoMaxProcs).
	CPUs int
	// NodeName identifies this instance in logs and records (default: hostname).
	NodeName string
	// SMTPAddr is the listen address (host:port) of the email-upload SMTP
	// server; empty turns email upload off.
	SMTPAddr string
	// MailDomain is the domain of the per-flow upload addresses (required
	// with SMTPAddr).
	MailDomain string
	// MailSecret keys the per-flow upload addresses; MailSecretFile, when
	// set, names a file whose first line becomes MailSecret during
	// Validate. Both empty: a secret is generated into DataDir
	// (MailSecretFileName) on first start and reused.
	MailSecret     string
	MailSecretFile string
	// SMTPRelay is host:port of the outbound relay for auto-responses and
	// status mails; empty logs them instead.
	SMTPRelay string
	// SMTPRelayUser / SMTPRelayPasswordFile enable AUTH PLAIN at the relay
	// (the password is read from the file into SMTPRelayPassword during
	// Validate); SMTPRelayStartTLS upgrades the connection, required with
	// authentication.
	SMTPRelayUser         string
	SMTPRelayPasswordFile string
	SMTPRelayPassword     string
	SMTPRelayStartTLS     bool
	// MailFrom is the sender of those mails (default noreply@MailDomain).
	MailFrom string
	// OTPEndpoint is the endpoint template of whitelisting OTP calls:
	// {number} is replaced by the E.164 number.
	OTPEndpoint string
	// AgentEndpoint is the endpoint template that reaches mobile and
	// landline agents: {number} becomes the agent's number.
	AgentEndpoint string
	// WebRTCURL is the websocket the agent desk's browser phone registers
	// on (Asterisk's /ws, e.g. wss://pbx.example.com:8089/ws); empty: the
	// ARI URL's host and port with ws(s)://…/ws.
	WebRTCURL string
	// SIPHost is the host[:port] agents' softphones and desk phones
	// register with (shown on the agent desk's phone setup); empty: the ARI
	// URL's host, port 5060.
	SIPHost string
	// ManageEndpoints: Switchyard creates and removes SIP agents' PJSIP
	// endpoints over ARI dynamic configuration (needs the shipped
	// sorcery.conf); false: the operator configures them on Asterisk.
	ManageEndpoints bool
	// RecordingsDir, when set, is a directory shared with Asterisk's
	// recording spool (/var/spool/asterisk/recording) that recordings are
	// read from and purged in; empty: over ARI's stored-recordings API.
	RecordingsDir string
	// PublicURL is the admin API's address as webhook receivers and users
	// reach it (scheme://host[:port]); recording URLs start with it.
	// Empty: http://HTTPAddr.
	PublicURL string
	// RecordingURLTTL is how long a recording URL stays valid.
	RecordingURLTTL time.Duration
	// RecordingURLKey signs recording URLs; empty: a key generated once
	// and kept in the database (the same for every node).
	RecordingURLKey string
	// UnassignedDIDAccount is the account whose call report shows calls
	// to DIDs that no account owns (0: they are only logged).
	UnassignedDIDAccount int64
	// DialMultiplier is the global dial multiplier of multiplied campaigns
	// that set none (calls = free agents × multiplier).
	DialMultiplier float64

	// Text-to-speech (config_tts.go).
	TTSSecretKey, TTSVoice, PollyURL, GoogleTTSURL string
	// Prompts and the media Asterisk fetches (config_media.go).
	MediaURL          string
	PromptMaxMB       int
	PromptMaxDuration time.Duration

	// SMS through Kannel (config_messaging.go).
	KannelURL, KannelUser, KannelPassword, SMSFrom, SMSReportURL string

	// Limits (config_limits.go).
	SMTPMaxConns    int
	SMTPIdleTimeout time.Duration
	ReportConns     int
	ReportTimeout   time.Duration
	// WebhookDenyNetworks: comma-separated CIDRs webhooks may not reach
	// unless granted (SWITCHYARD_WEBHOOK_DENY_NETWORKS).
	WebhookDenyNetworks string
	// Trunks are the operator's named outbound routes,
	// "name=TECH/…{number}…,…"; tenants choose one by name.
	Trunks string
	// DefaultTrunk names the trunk of campaigns and flows that name none.
	DefaultTrunk string
	// SMS, set in code (never from the environment), is the SMS gateway
	// sms campaigns send through instead of the daemon's own (smsSender).
	SMS SMSSender
}

// TrunkTable parses Trunks (Validate has checked it); nil when none is
// configured (a Config built by hand in tests: campaigns then dial their
// stored endpoint templates).
func (c *Config) TrunkTable() dialer.Trunks {
	t, err := dialer.ParseTrunks(c.Trunks)
	if err != nil || len(t) == 0 {
		return nil
	}
	return t
}

// GoMaxProcs is the GOMAXPROCS the daemon should run with on a machine of
// numCPU CPUs, given the GOMAXPROCS environment variable (goMaxProcsEnv);
// 0 means leave the Go runtime's own choice. A set CPUs wins; then a set
// GOMAXPROCS (the runtime has applied it). Automatic: when Asterisk runs
// on this host (the ARI URL names a loopback address), half the CPUs, at
// least 1. The daemon's work per call is short steps between Asterisk's
// events and the database's replies; with a CPU for each, Go's scheduler
// wakes an idle one for nearly every step, and it spins looking for work
// before it sleeps again. On a machine where Asterisk's channels and the
// database need those CPUs that spinning is what they lose: on 2 CPUs the
// daemon used a quarter to a third less CPU per call on one.
func (c *Config) GoMaxProcs(numCPU int, goMaxProcsEnv string) int {
	if c.CPUs > 0 {
		return c.CPUs
	}
	if strings.TrimSpace(goMaxProcsEnv) != "" || !c.asteriskLocal() {
		return 0
	}
	return max(1, numCPU/2)
}

// asteriskLocal reports whether the ARI URL names this host by a
// loopback address or "localhost".
func (c *Config) asteriskLocal() bool {
	u, err := url.Parse(c.ARIURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	c := Config{
		HTTPAddr:        DefaultHTTPAddr,
		DataDir:         DefaultDataDir,
		ARIURL:          DefaultARIURL,
		ARIUser:         DefaultARIUser,
		ARIApp:          DefaultARIApp,
		AGIAddr:         DefaultAGIAddr,
		LogLevel:        DefaultLogLevel,
		LogFormat:       DefaultLogFormat,
		ShutdownTimeout: DefaultShutdownTimeout,
		ARIMaxConns:     DefaultARIMaxConns,
		NodeName:        defaultNodeName(),
		OTPEndpoint:     DefaultOTPEndpoint,
		AgentEndpoint:   DefaultOTPEndpoint,
		ManageEndpoints: true,
		DialMultiplier:  DefaultDialMultiplier,
		Trunks:          DefaultTrunks,
		DefaultTrunk:    DefaultTrunk,
		RecordingURLTTL: DefaultRecordingURLTTL,
		// The operator's account: the first one, made at installation.
		UnassignedDIDAccount: 1,
	}
	limitsDefaults(&c)
	ttsDefaults(&c)
	mediaDefaults(&c)
	return c
}

func defaultNodeName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "switchyard"
	}
	// Hostnames are almost always valid node names; sanitize the rare odd one
	// so that Default() always validates.
	var b strings.Builder
	for _, r := range h {
		if r < utf8.RuneSelf && (isAlnum(byte(r)) || r == '.' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := b.String()
	if len(s) > maxNodeNameLen {
		s = s[:maxNodeNameLen]
	}
	return s
}

// Setting documents one configuration setting. The README configuration table
// and `switchyard help` are generated from ConfigTable.
type Setting struct {
	Env         string // environment variable
	Flag        string // command-line flag without the dash; empty if none
	Default     string // human-readable default
	Description string // what it means
}

// SettingsTable is the ordered list of all settings.
type SettingsTable []Setting

// setting binds a documented Setting to the Config field it fills.
type setting struct {
	Setting
	// set parses v (from env or flag) into c.
	set func(c *Config, v string) error
	// get renders the current value for flag help; secret settings return "".
	get func(c *Config) string
	// fromFlag runs after set when the value came from a flag (flags override env).
	fromFlag func(c *Config)
}

func stringSetting(env, flagName, def, desc string, field func(c *Config) *string) setting {
	return setting{
		Setting: Setting{Env: env, Flag: flagName, Default: def, Description: desc},
		set:     func(c *Config, v string) error { *field(c) = v; return nil },
		get:     func(c *Config) string { return *field(c) },
	}
}

var settings = []setting{
	stringSetting(EnvHTTPAddr, "http-addr", DefaultHTTPAddr,
		"Listen address (host:port) of the admin API, /healthz and /metrics.",
		func(c *Config) *string { return &c.HTTPAddr }),
	stringSetting(EnvDataDir, "data-dir", DefaultDataDir,
		"Directory for local state; holds the embedded SQLite database ("+SQLiteFileName+").",
		func(c *Config) *string { return &c.DataDir }),
	stringSetting(EnvDatabaseURL, "database-url", "(empty)",
		"Empty: embedded SQLite in the data dir. postgres:// or postgresql:// URL: PostgreSQL.",
		func(c *Config) *string { return &c.DatabaseURL }),
	stringSetting(EnvARIURL, "ari-url", DefaultARIURL,
		"Base http(s) URL of the Asterisk REST Interface.",
		func(c *Config) *string { return &c.ARIURL }),
	stringSetting(EnvARIUser, "ari-user", DefaultARIUser,
		"ARI user name (the [section] in ari.conf).",
		func(c *Config) *string { return &c.ARIUser }),
	{
		Setting: Setting{Env: EnvARIPassword, Default: "(empty)",
			Description: "ARI password; required by serve. Environment only (no flag); or use " + EnvARIPasswordFile + ", not both."},
		set: func(c *Config, v string) error { c.ARIPassword = v; return nil },
		get: func(c *Config) string { return "" },
	},
	{
		Setting: Setting{Env: EnvARIPasswordFile, Flag: "ari-password-file", Default: "(empty)",
			Description: "File holding the ARI password: its first line, surrounding white space removed."},
		set: func(c *Config, v string) error { c.ARIPasswordFile = v; return nil },
		get: func(c *Config) string { return c.ARIPasswordFile },
		// A password file given on the command line overrides a password from the environment.
		fromFlag: func(c *Config) {
			if c.ARIPasswordFile != "" {
				c.ARIPassword = ""
			}
		},
	},
	stringSetting(EnvARIApp, "ari-app", DefaultARIApp,
		"Stasis application name ([A-Za-z0-9_-]+); the dialplan calls Stasis(<app>,...).",
		func(c *Config) *string { return &c.ARIApp }),
	stringSetting(EnvAGIAddr, "agi-addr", DefaultAGIAddr,
		"FastAGI listen address (host:port); dialplan uses AGI(agi://<addr>/<path>).",
		func(c *Config) *string { return &c.AGIAddr }),
	stringSetting(EnvLogLevel, "log-level", DefaultLogLevel,
		"Log level: debug, info, warn or error.",
		func(c *Config) *string { return &c.LogLevel }),
	stringSetting(EnvLogFormat, "log-format", DefaultLogFormat,
		"Log format: text or json.",
		func(c *Config) *string { return &c.LogFormat }),
	{
		Setting: Setting{Env: EnvShutdownTimeout, Flag: "shutdown-timeout", Default: DefaultShutdownTimeout.String(),
			Description: "How long live calls and requests may run after a shutdown signal (Go duration, e.g. 45s)."},
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (examples: 30s, 2m)", v)
			}
			c.ShutdownTimeout = d
			return nil
		},
		get: func(c *Config) string { return c.ShutdownTimeout.String() },
	},
	{
		Setting: Setting{Env: EnvARIMaxConns, Flag: "ari-max-conns", Default: strconv.Itoa(DefaultARIMaxConns),
			Description: "Concurrent REST connections to Asterisk (1-4000); keep below http.conf sessionlimit. The shipped config allows 4000: 256 suits call bursts. Originates hold at most three quarters of them; the rest stay free for the calls' commands (answer, play, hangup), which never wait behind a burst of originates."},
		set: func(c *Config, v string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 4000 {
				return fmt.Errorf("%q is not a whole number from 1 to 4000", v)
			}
			c.ARIMaxConns = n
			return nil
		},
		get: func(c *Config) string { return strconv.Itoa(c.ARIMaxConns) },
	},
	{
		Setting: Setting{Env: EnvCPUs, Flag: "cpus", Default: "auto",
			Description: "CPUs the daemon's own code runs on at once (1-1024, or auto). auto: with Asterisk on this host (a loopback ARI URL), half the machine's CPUs, at least 1, so that the daemon leaves the rest to Asterisk and the database instead of spinning for work between the calls' events; otherwise all of them. GOMAXPROCS in the environment, if set, wins over auto."},
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v == "" || v == "auto" {
				c.CPUs = 0
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1024 {
				return fmt.Errorf("%q is not auto or a whole number from 1 to 1024", v)
			}
			c.CPUs = n
			return nil
		},
		get: func(c *Config) string {
			if c.CPUs == 0 {
				return "auto"
			}
			return strconv.Itoa(c.CPUs)
		},
	},
	stringSetting(EnvNode, "node", "(hostname)",
		"Name of this instance in logs and call records ([A-Za-z0-9._-], at most 64).",
		func(c *Config) *string { return &c.NodeName }),
	stringSetting(EnvSMTPAddr, "smtp-addr", "(empty)",
		"Listen address (host:port) of the email-upload SMTP server. Empty: email upload is off.",
		func(c *Config) *string { return &c.SMTPAddr }),
	stringSetting(EnvMailDomain, "mail-domain", "(empty)",
		"Domain of the per-flow upload addresses (calllist-ACCOUNT-FLOW-MAC@DOMAIN); its MX must reach "+EnvSMTPAddr+". Required with "+EnvSMTPAddr+".",
		func(c *Config) *string { return &c.MailDomain }),
	{
		Setting: Setting{Env: EnvMailSecret, Default: "(generated)",
			Description: "Secret (at least 16 bytes) keying the upload addresses; changing it changes every address. Environment only; or use " + EnvMailSecretFile + ", not both. Neither: one is generated into the data dir (" + MailSecretFileName + ", mode 0600) and reused."},
		set: func(c *Config, v string) error { c.MailSecret = v; return nil },
		get: func(c *Config) string { return "" },
	},
	{
		Setting: Setting{Env: EnvMailSecretFile, Flag: "mail-secret-file", Default: "(empty)",
			Description: "File holding the upload-address secret: its first line, surrounding white space removed."},
		set: func(c *Config, v string) error { c.MailSecretFile = v; return nil },
		get: func(c *Config) string { return c.MailSecretFile },
		fromFlag: func(c *Config) {
			if c.MailSecretFile != "" {
				c.MailSecret = ""
			}
		},
	},
	stringSetting(EnvSMTPRelay, "smtp-relay", "(empty)",
		"host:port of the outbound SMTP relay for upload auto-responses and status mails. Empty: they are logged instead of sent.",
		func(c *Config) *string { return &c.SMTPRelay }),
	stringSetting(EnvSMTPRelayUser, "smtp-relay-user", "(empty)",
		"User name for AUTH PLAIN at the relay. Needs "+EnvSMTPRelayPWFile+" and "+EnvSMTPRelayTLS+"=true (the password never travels in clear).",
		func(c *Config) *string { return &c.SMTPRelayUser }),
	stringSetting(EnvSMTPRelayPWFile, "smtp-relay-password-file", "(empty)",
		"File holding the relay password: its first line, surrounding white space removed.",
		func(c *Config) *string { return &c.SMTPRelayPasswordFile }),
	{
		Setting: Setting{Env: EnvSMTPRelayTLS, Flag: "smtp-relay-starttls", Default: "false",
			Description: "Upgrade the relay connection with STARTTLS (true or false)."},
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.SMTPRelayStartTLS = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(c.SMTPRelayStartTLS) },
	},
	stringSetting(EnvMailFrom, "mail-from", "(noreply@MAIL_DOMAIN)",
		"Sender address of upload auto-responses and status mails.",
		func(c *Config) *string { return &c.MailFrom }),
	stringSetting(EnvOTPEndpoint, "otp-endpoint", DefaultOTPEndpoint,
		"Endpoint template of the OTP calls that verify whitelisted numbers; {number} becomes the E.164 number (e.g. PJSIP/{number}@trunk).",
		func(c *Config) *string { return &c.OTPEndpoint }),
	stringSetting(EnvWebRTCURL, "webrtc-url", "(ws://ARI_HOST:PORT/ws)",
		"Websocket of Asterisk's SIP over WebSocket that the agent desk's browser phone registers on (wss://host:8089/ws with TLS).",
		func(c *Config) *string { return &c.WebRTCURL }),
	stringSetting(EnvSIPHost, "sip-host", "(ARI_HOST:5060)",
		"host[:port] agents' softphones and desk phones register with, shown on the agent desk's phone setup.",
		func(c *Config) *string { return &c.SIPHost }),
	stringSetting(EnvRecordingsDir, "recordings-dir", "(empty)",
		"Directory shared with Asterisk's recording spool (/var/spool/asterisk/recording) to read and purge recordings from. Empty: over ARI's stored-recordings API (works with a remote Asterisk).",
		func(c *Config) *string { return &c.RecordingsDir }),
	stringSetting(EnvPublicURL, "public-url", "(http://HTTP_ADDR)",
		"Address of the admin API as users and webhook receivers reach it (http(s)://host[:port], no path): recording URLs ($call.recordingUri, the call report's recording_uri) start with it.",
		func(c *Config) *string { return &c.PublicURL }),
	{
		Setting: Setting{Env: EnvRecordingURLTTL, Flag: "recording-url-ttl", Default: DefaultRecordingURLTTL.String(),
			Description: "How long a recording URL stays valid (Go duration, at most " + DefaultRecordingURLTTL.String() + ", the recordings' availability)."},
		set: func(c *Config, v string) error {
			d, err := time.ParseDuration(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not a duration (examples: 24h, 168h)", v)
			}
			c.RecordingURLTTL = d
			return nil
		},
		get: func(c *Config) string { return c.RecordingURLTTL.String() },
	},
	{
		Setting: Setting{Env: EnvRecordingURLKey, Default: "(generated)",
			Description: "Key (at least 16 bytes) signing recording URLs; changing it invalidates every URL given out. Environment only. Unset: a key generated once and kept in the database, shared by every node."},
		set: func(c *Config, v string) error { c.RecordingURLKey = v; return nil },
		get: func(c *Config) string { return "" },
	},
	{
		Setting: Setting{Env: EnvUnassignedDID, Flag: "unassigned-did-account", Default: "1",
			Description: "Account (the operator's) whose call report shows calls to DIDs no account owns, with status noroute; 0: such calls are only logged."},
		set: func(c *Config, v string) error {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not an account id (0 or more)", v)
			}
			c.UnassignedDIDAccount = n
			return nil
		},
		get: func(c *Config) string { return strconv.FormatInt(c.UnassignedDIDAccount, 10) },
	},
	stringSetting(EnvAgentEndpoint, "agent-endpoint", DefaultOTPEndpoint,
		"Endpoint template that rings mobile and landline agents; {number} becomes the agent's number (e.g. PJSIP/{number}@trunk).",
		func(c *Config) *string { return &c.AgentEndpoint }),
	{
		Setting: Setting{Env: EnvManageEndpoints, Flag: "manage-agent-endpoints", Default: "true",
			Description: "Create and remove softphone/desk-phone agents' PJSIP endpoints on Asterisk over ARI (needs the shipped sorcery.conf). false: configure them on Asterisk yourself."},
		set: func(c *Config, v string) error {
			b, err := strconv.ParseBool(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			c.ManageEndpoints = b
			return nil
		},
		get: func(c *Config) string { return strconv.FormatBool(c.ManageEndpoints) },
	},
	{
		Setting: Setting{Env: EnvDialMultiplier, Flag: "dial-multiplier", Default: "1",
			Description: "Global dial multiplier of multiplied campaigns that set none: calls = free agents × multiplier (greater than 0, at most 50; e.g. 1.5)."},
		set: func(c *Config, v string) error {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || f <= 0 || f > maxDialMultiplier {
				return fmt.Errorf("%q is not a number greater than 0 and at most %d", v, maxDialMultiplier)
			}
			c.DialMultiplier = f
			return nil
		},
		get: func(c *Config) string { return strconv.FormatFloat(c.DialMultiplier, 'g', -1, 64) },
	},
	stringSetting(EnvTrunks, "trunks", DefaultTrunks,
		"Named outbound trunks, name=TECH/…{number}… separated by commas (e.g. test=Local/{number}@test-trunk,carrier=PJSIP/{number}@carrier). Tenants pick one by name for campaigns and flows; only + and digits are put into {number}. The default is the shipped test trunk.",
		func(c *Config) *string { return &c.Trunks }),
	stringSetting(EnvDefaultTrunk, "default-trunk", DefaultTrunk,
		"Trunk (a name in SWITCHYARD_TRUNKS) of campaigns and flows that name none.",
		func(c *Config) *string { return &c.DefaultTrunk }),
}

func init() {
	settings = append(settings, limitSettings...)
	settings = append(settings, mediaSettings...)
}

// ConfigTable describes every setting in order, for the README and `switchyard help`.
func ConfigTable() SettingsTable {
	t := make(SettingsTable, len(settings))
	for i, s := range settings {
		t[i] = s.Setting
	}
	return t
}

// Markdown renders the table as a GitHub-flavoured Markdown table.
func (t SettingsTable) Markdown() string {
	var b strings.Builder
	b.WriteString("| Environment | Flag | Default | Meaning |\n|---|---|---|---|\n")
	for _, s := range t {
		fl := ""
		if s.Flag != "" {
			fl = "`-" + s.Flag + "`"
		}
		def := "`" + s.Default + "`"
		if strings.HasPrefix(s.Default, "(") { // (empty), (hostname): prose, not a value
			def = s.Default
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", s.Env, fl, def,
			strings.ReplaceAll(s.Description, "|", `\|`))
	}
	return b.String()
}

// WriteText renders the table as aligned plain text (for `switchyard help`).
func (t SettingsTable) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVIRONMENT\tFLAG\tDEFAULT\tMEANING")
	for _, s := range t {
		fl := ""
		if s.Flag != "" {
			fl = "-" + s.Flag
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", s.Env, fl, s.Default, s.Description)
	}
	return tw.Flush()
}

// SettingError is one invalid setting. Validate and LoadEnv return these,
// joined with errors.Join.
type SettingError struct {
	Env string // environment variable naming the setting
	Err error
}

func (e *SettingError) Error() string { return e.Env + ": " + e.Err.Error() }
func (e *SettingError) Unwrap() error { return e.Err }

func settingErr(env, format string, args ...any) error {
	return &SettingError{Env: env, Err: fmt.Errorf(format, args...)}
}

// LoadEnv overlays settings from the environment (getenv is os.Getenv in the
// binary, a map lookup in tests). Unset or empty variables keep the current
// value. Values that cannot be parsed (durations) and conflicting variables
// are reported, all of them, each naming its variable.
func (c *Config) LoadEnv(getenv func(string) string) error {
	var errs []error
	for _, s := range settings {
		v := getenv(s.Env)
		if v == "" {
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, &SettingError{Env: s.Env, Err: err})
		}
	}
	if getenv(EnvARIPassword) != "" && getenv(EnvARIPasswordFile) != "" {
		errs = append(errs, settingErr(EnvARIPasswordFile,
			"both %s and %s are set; set only one", EnvARIPassword, EnvARIPasswordFile))
	}
	if getenv(EnvMailSecret) != "" && getenv(EnvMailSecretFile) != "" {
		errs = append(errs, settingErr(EnvMailSecretFile,
			"both %s and %s are set; set only one", EnvMailSecret, EnvMailSecretFile))
	}
	return errors.Join(errs...)
}

// flagValue adapts one setting to flag.Value.
type flagValue struct {
	c *Config
	s *setting
}

func (f flagValue) String() string {
	if f.c == nil || f.s == nil {
		return ""
	}
	return f.s.get(f.c)
}

func (f flagValue) Set(v string) error {
	if err := f.s.set(f.c, v); err != nil {
		return err
	}
	if f.s.fromFlag != nil {
		f.s.fromFlag(f.c)
	}
	return nil
}

// RegisterFlags registers one flag per setting that has one (-http-addr,
// -data-dir, -database-url, -ari-url, -ari-user, -ari-password-file,
// -ari-app, -agi-addr, -log-level, -log-format, -shutdown-timeout, -node,
// -smtp-addr, -mail-domain, -mail-secret-file, -smtp-relay, -mail-from,
// -otp-endpoint).
// Call it after LoadEnv and before fs.Parse so flags override the environment.
// There is deliberately no password (or mail secret) flag: command lines are
// visible to every local user.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	for i := range settings {
		s := &settings[i]
		if s.Flag == "" {
			continue
		}
		fs.Var(flagValue{c: c, s: s}, s.Flag, s.Description+" (env "+s.Env+")")
	}
}

// Validate checks every setting and returns all problems joined with
// errors.Join, each naming its environment variable, e.g.
//
//	SWITCHYARD_HTTP_ADDR: "x" is not host:port
//
// If ARIPasswordFile is set, Validate reads it into ARIPassword.
func (c *Config) Validate() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	add(validateHostPort(EnvHTTPAddr, c.HTTPAddr))
	add(validateDataDir(c.DataDir))
	add(validateDatabaseURL(c.DatabaseURL))
	add(validateARIURL(c.ARIURL))
	add(validatePrintable(EnvARIUser, c.ARIUser, false))
	add(validatePrintable(EnvARIPassword, c.ARIPassword, true))
	if c.ARIPasswordFile != "" && c.ARIPassword != "" {
		add(settingErr(EnvARIPasswordFile,
			"both %s and %s are set; set only one", EnvARIPassword, EnvARIPasswordFile))
	} else if c.ARIPasswordFile != "" {
		pw, err := readPasswordFile(c.ARIPasswordFile)
		if err != nil {
			add(&SettingError{Env: EnvARIPasswordFile, Err: err})
		} else {
			c.ARIPassword = pw
			c.ARIPasswordFile = ""
		}
	}
	add(validateARIApp(c.ARIApp))
	add(validateHostPort(EnvAGIAddr, c.AGIAddr))
	add(validateEnum(EnvLogLevel, c.LogLevel, "debug", "info", "warn", "error"))
	add(validateEnum(EnvLogFormat, c.LogFormat, "text", "json"))
	switch {
	case c.ShutdownTimeout <= 0:
		add(settingErr(EnvShutdownTimeout, "%s must be positive", c.ShutdownTimeout))
	case c.ShutdownTimeout > maxShutdownTimeout:
		add(settingErr(EnvShutdownTimeout, "%s is longer than the maximum %s", c.ShutdownTimeout, maxShutdownTimeout))
	}
	add(validateNodeName(c.NodeName))
	add(c.validateMail())
	add(validateOTPEndpoint(c.OTPEndpoint))
	add(validateEndpointTemplate(EnvAgentEndpoint, c.AgentEndpoint))
	if c.RecordingsDir != "" {
		if st, err := os.Stat(c.RecordingsDir); err != nil {
			add(&SettingError{Env: EnvRecordingsDir, Err: err})
		} else if !st.IsDir() {
			add(settingErr(EnvRecordingsDir, "%q is not a directory", truncate(c.RecordingsDir, 80)))
		}
	}
	add(validatePublicURL(c.PublicURL))
	if c.RecordingURLKey != "" {
		if err := validatePrintable(EnvRecordingURLKey, c.RecordingURLKey, true); err != nil {
			add(err)
		} else if len(c.RecordingURLKey) < minMailSecretLen {
			add(settingErr(EnvRecordingURLKey, "is %d bytes; at least %d are required", len(c.RecordingURLKey), minMailSecretLen))
		}
	}
	if c.RecordingURLTTL <= 0 || c.RecordingURLTTL > DefaultRecordingURLTTL {
		add(settingErr(EnvRecordingURLTTL, "%s must be positive and at most %s", c.RecordingURLTTL, DefaultRecordingURLTTL))
	}
	if math.IsNaN(c.DialMultiplier) || c.DialMultiplier <= 0 || c.DialMultiplier > maxDialMultiplier {
		add(settingErr(EnvDialMultiplier, "%v must be greater than 0 and at most %d", c.DialMultiplier, maxDialMultiplier))
	}
	add(c.validateLimits())
	add(c.validateTTS())
	add(c.validateMessaging())
	add(c.validateMedia())
	trunks, err := dialer.ParseTrunks(c.Trunks)
	switch {
	case err != nil:
		add(&SettingError{Env: EnvTrunks, Err: err})
	case len(trunks) == 0:
		add(settingErr(EnvTrunks, "names no trunk"))
	case trunks[c.DefaultTrunk] == "":
		add(settingErr(EnvDefaultTrunk, "%q is not a trunk of %s (%s)", truncate(c.DefaultTrunk, 64), EnvTrunks, strings.Join(trunks.Names(), ", ")))
	}
	return errors.Join(errs...)
}

// RequireARICredentials reports a missing ARI user or password. The serve
// command needs them; migrate, version and account do not.
func (c *Config) RequireARICredentials() error {
	var errs []error
	if c.ARIUser == "" {
		errs = append(errs, settingErr(EnvARIUser, "is required to connect to Asterisk ARI"))
	}
	if c.ARIPassword == "" && c.ARIPasswordFile == "" {
		errs = append(errs, settingErr(EnvARIPassword,
			"is required to connect to Asterisk ARI (or set %s)", EnvARIPasswordFile))
	}
	return errors.Join(errs...)
}

// validatePublicURL checks SWITCHYARD_PUBLIC_URL: empty, or an http(s)
// URL with a host and no path, query or credentials.
func validatePublicURL(v string) error {
	if v == "" {
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return settingErr(EnvPublicURL, "%q is not an http(s)://host[:port] URL", truncate(v, 80))
	}
	if strings.TrimRight(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return settingErr(EnvPublicURL, "%q: give only scheme, host and port (no path, query or credentials)", truncate(v, 80))
	}
	return nil
}

// RecordingBaseURL is where recording URLs point: PublicURL, else the
// HTTP listen address.
func (c *Config) RecordingBaseURL(listen string) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + listen
}

// UsesPostgres reports whether DatabaseURL selects PostgreSQL (otherwise the
// embedded SQLite database at SQLitePath is used).
func (c *Config) UsesPostgres() bool { return c.DatabaseURL != "" }

// SQLitePath is the embedded database file inside DataDir.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, SQLiteFileName) }

// ARIWebSocketURL derives the ARI events websocket URL from ARIURL
// (http→ws, https→wss, path + "/events"). Call after Validate.
func (c *Config) ARIWebSocketURL() string {
	u, err := url.Parse(c.ARIURL)
	if err != nil {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		u.Scheme = "wss"
	default:
		u.Scheme = "ws"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/events"
	u.RawPath = ""
	return u.String()
}

// SlogLevel maps LogLevel to a slog.Level (info for unknown values).
func (c *Config) SlogLevel() slog.Level {
	switch strings.ToLower(c.LogLevel) {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// NewLogger builds the root logger from LogLevel and LogFormat, tagged with NodeName.
func (c *Config) NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.SlogLevel()}
	var h slog.Handler
	if strings.EqualFold(c.LogFormat, "json") {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h).With("node", c.NodeName)
}

// LogValue keeps the password out of logs when the config is logged.
func (c Config) LogValue() slog.Value {
	db := "sqlite:" + c.SQLitePath()
	if c.DatabaseURL != "" {
		db = redactURL(c.DatabaseURL)
	}
	return slog.GroupValue(
		slog.String("http_addr", c.HTTPAddr),
		slog.String("data_dir", c.DataDir),
		slog.String("database", db),
		slog.String("ari_url", c.ARIURL),
		slog.String("ari_user", c.ARIUser),
		slog.Bool("ari_password_set", c.ARIPassword != "" || c.ARIPasswordFile != ""),
		slog.String("ari_app", c.ARIApp),
		slog.String("agi_addr", c.AGIAddr),
		slog.String("log_level", c.LogLevel),
		slog.String("log_format", c.LogFormat),
		slog.Duration("shutdown_timeout", c.ShutdownTimeout),
		slog.String("node", c.NodeName),
		slog.String("smtp_addr", c.SMTPAddr),
		slog.String("mail_domain", c.MailDomain),
		slog.Bool("mail_secret_set", c.MailSecret != "" || c.MailSecretFile != ""),
		slog.Bool("recording_url_key_set", c.RecordingURLKey != ""),
		slog.Bool("tts_secret_key_set", c.TTSSecretKey != ""),
		slog.String("smtp_relay", c.SMTPRelay),
		slog.String("smtp_relay_user", c.SMTPRelayUser),
		slog.Bool("smtp_relay_starttls", c.SMTPRelayStartTLS),
		slog.String("mail_from", c.MailFrom),
		slog.String("otp_endpoint", c.OTPEndpoint),
		slog.String("agent_endpoint", c.AgentEndpoint),
		slog.String("recordings_dir", c.RecordingsDir),
		slog.Bool("manage_agent_endpoints", c.ManageEndpoints),
		slog.Float64("dial_multiplier", c.DialMultiplier),
	)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}

// ---- validators ----

func validateHostPort(env, v string) error {
	if v == "" {
		return settingErr(env, "is empty; want host:port, e.g. 127.0.0.1:8080")
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return settingErr(env, "%q is not host:port", v)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return unicode.IsSpace(r) || r == '/' || !unicode.IsPrint(r) }) {
		return settingErr(env, "%q has an invalid host %q", v, host)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return settingErr(env, "%q has an invalid port %q (want 0-65535)", v, port)
	}
	return nil
}

func validateDataDir(v string) error {
	if strings.TrimSpace(v) == "" {
		return settingErr(EnvDataDir, "is empty; want a directory path")
	}
	if strings.ContainsRune(v, 0) {
		return settingErr(EnvDataDir, "%q contains a NUL byte", v)
	}
	fi, err := os.Stat(v)
	switch {
	case err == nil && !fi.IsDir():
		return settingErr(EnvDataDir, "%q exists and is not a directory", v)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return settingErr(EnvDataDir, "%q: %v", v, err)
	}
	return nil
}

func validateDatabaseURL(v string) error {
	if v == "" {
		return nil
	}
	scheme, _, ok := strings.Cut(v, "://")
	if !ok {
		return settingErr(EnvDatabaseURL,
			"is not a URL; leave it empty for embedded SQLite or use postgres://user:pass@host:5432/db")
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
	default:
		return settingErr(EnvDatabaseURL,
			"scheme %q is not supported; leave it empty for embedded SQLite or use postgres:// or postgresql://",
			truncate(scheme, 32))
	}
	// url.Parse errors echo the whole input, password included; keep them out.
	u, err := url.Parse(v)
	if err != nil {
		return settingErr(EnvDatabaseURL, "is not a valid URL (check escaping of special characters in the password)")
	}
	if u.User != nil && u.User.Username() == "" {
		return settingErr(EnvDatabaseURL, "%s has a password but no user name", u.Redacted())
	}
	return nil
}

func validateARIURL(v string) error {
	if v == "" {
		return settingErr(EnvARIURL, "is empty; want e.g. %s", DefaultARIURL)
	}
	u, err := url.Parse(v)
	if err != nil {
		return settingErr(EnvARIURL, "%q is not a valid URL", v)
	}
	switch u.Scheme {
	case "http", "https":
	default:
		return settingErr(EnvARIURL, "%q must be an absolute http:// or https:// URL, e.g. %s", v, DefaultARIURL)
	}
	if u.Host == "" || u.Hostname() == "" {
		return settingErr(EnvARIURL, "%q has no host", v)
	}
	if p := u.Port(); p != "" {
		if _, err := strconv.ParseUint(p, 10, 16); err != nil {
			return settingErr(EnvARIURL, "%q has an invalid port %q", v, p)
		}
	}
	if u.User != nil {
		return settingErr(EnvARIURL, "must not contain credentials; use %s and %s", EnvARIUser, EnvARIPassword)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return settingErr(EnvARIURL, "%q must not have a query or fragment", v)
	}
	return nil
}

var ariAppRE = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func validateARIApp(v string) error {
	if v == "" {
		return settingErr(EnvARIApp, "is empty; want e.g. %s", DefaultARIApp)
	}
	if len(v) > 64 || !ariAppRE.MatchString(v) {
		return settingErr(EnvARIApp, "%q must be 1-64 characters of A-Z a-z 0-9 _ -", truncate(v, 80))
	}
	return nil
}

func validatePrintable(env, v string, secret bool) error {
	if v == "" {
		return nil
	}
	bad := !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) })
	if !bad && !secret && strings.ContainsRune(v, ':') {
		// ARI uses HTTP basic auth: a colon in the user name cannot be expressed.
		return settingErr(env, "%q must not contain ':'", truncate(v, 80))
	}
	if bad {
		if secret {
			return settingErr(env, "contains control characters or invalid UTF-8 (a stray newline?)")
		}
		return settingErr(env, "%q contains control characters or invalid UTF-8", truncate(v, 80))
	}
	return nil
}

func validateEnum(env, v string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return nil
		}
	}
	return settingErr(env, "%q is not one of %s", truncate(v, 80), strings.Join(allowed, ", "))
}

const maxNodeNameLen = 64

func validateNodeName(v string) error {
	if v == "" {
		return settingErr(EnvNode, "is empty")
	}
	if len(v) > maxNodeNameLen {
		return settingErr(EnvNode, "%q is longer than %d characters", truncate(v, 80), maxNodeNameLen)
	}
	for i := 0; i < len(v); i++ {
		ch := v[i]
		if !isAlnum(ch) && ch != '.' && ch != '-' && ch != '_' {
			return settingErr(EnvNode, "%q may contain only A-Z a-z 0-9 . _ -", v)
		}
	}
	return nil
}

func isAlnum(ch byte) bool {
	return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9'
}

func readPasswordFile(path string) (string, error) {
	return readSecretFile(EnvARIPasswordFile, "password", path)
}

// readSecretFile reads the first line of a secret file (surrounding white
// space removed); what names the secret in errors ("password", "secret").
func readSecretFile(env, what, path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s file: %w", what, err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%q is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("cannot read %s file: %w", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPasswordFileSize+1))
	if err != nil {
		return "", fmt.Errorf("cannot read %s file %q: %w", what, path, err)
	}
	if len(b) > maxPasswordFileSize {
		return "", fmt.Errorf("%s file %q is larger than %d bytes", what, path, maxPasswordFileSize)
	}
	// Same rule as asterisk-conf/local/up.sh, which renders ari.conf from
	// the password file: the first line, surrounding white space removed.
	line, _, _ := strings.Cut(string(b), "\n")
	pw := strings.TrimSpace(line)
	if pw == "" {
		return "", fmt.Errorf("the first line of %s file %q is empty", what, path)
	}
	if err := validatePrintable(env, pw, true); err != nil {
		return "", fmt.Errorf("%s in %q contains control characters or invalid UTF-8", what, path)
	}
	return pw, nil
}

// validateMail checks the email-upload settings and reads MailSecretFile
// into MailSecret. Settings given while SMTPAddr is empty are checked too
// (a typo should not wait until email upload is switched on).
func (c *Config) validateMail() error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if c.SMTPAddr != "" {
		add(validateHostPort(EnvSMTPAddr, c.SMTPAddr))
		if c.MailDomain == "" {
			add(settingErr(EnvMailDomain, "is required when %s is set (the domain of the per-flow upload addresses, e.g. upload.example.com)", EnvSMTPAddr))
		}
	}
	if c.MailDomain != "" {
		add(validateDomain(EnvMailDomain, c.MailDomain))
	}
	switch {
	case c.MailSecretFile != "" && c.MailSecret != "":
		add(settingErr(EnvMailSecretFile, "both %s and %s are set; set only one", EnvMailSecret, EnvMailSecretFile))
	case c.MailSecretFile != "":
		sec, err := readSecretFile(EnvMailSecretFile, "secret", c.MailSecretFile)
		switch {
		case err != nil:
			add(&SettingError{Env: EnvMailSecretFile, Err: err})
		case len(sec) < minMailSecretLen:
			add(settingErr(EnvMailSecretFile, "the secret in %q is %d bytes; at least %d are required", c.MailSecretFile, len(sec), minMailSecretLen))
		default:
			c.MailSecret = sec
			c.MailSecretFile = ""
		}
	case c.MailSecret != "":
		if err := validatePrintable(EnvMailSecret, c.MailSecret, true); err != nil {
			add(err)
		} else if len(c.MailSecret) < minMailSecretLen {
			add(settingErr(EnvMailSecret, "is %d bytes; at least %d are required", len(c.MailSecret), minMailSecretLen))
		}
	}
	if c.SMTPRelay != "" {
		add(validateHostPort(EnvSMTPRelay, c.SMTPRelay))
	}
	switch {
	case c.SMTPRelayUser == "" && c.SMTPRelayPasswordFile != "":
		add(settingErr(EnvSMTPRelayPWFile, "is set but %s is not", EnvSMTPRelayUser))
	case c.SMTPRelayUser != "":
		if err := validatePrintable(EnvSMTPRelayUser, c.SMTPRelayUser, true); err != nil {
			add(err)
		}
		if c.SMTPRelay == "" {
			add(settingErr(EnvSMTPRelayUser, "is set but %s is not", EnvSMTPRelay))
		}
		if !c.SMTPRelayStartTLS {
			add(settingErr(EnvSMTPRelayTLS, "must be true when %s is set: the password must not travel in clear", EnvSMTPRelayUser))
		}
		if c.SMTPRelayPasswordFile == "" {
			add(settingErr(EnvSMTPRelayPWFile, "is required when %s is set", EnvSMTPRelayUser))
		} else if pw, err := readSecretFile(EnvSMTPRelayPWFile, "password", c.SMTPRelayPasswordFile); err != nil {
			add(&SettingError{Env: EnvSMTPRelayPWFile, Err: err})
		} else {
			c.SMTPRelayPassword = pw
		}
	}
	if c.MailFrom != "" {
		if a, err := mail.ParseAddress(c.MailFrom); err != nil || !strings.Contains(a.Address, "@") {
			add(settingErr(EnvMailFrom, "%q is not an email address (want e.g. noreply@upload.example.com)", truncate(c.MailFrom, 80)))
		}
	}
	return errors.Join(errs...)
}

// MailSender is the sender of upload responses: MailFrom, or
// noreply@MailDomain.
func (c *Config) MailSender() string {
	if c.MailFrom != "" {
		return c.MailFrom
	}
	if c.MailDomain == "" {
		return "noreply@localhost"
	}
	return "noreply@" + c.MailDomain
}

var domainLabelRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$`)

func validateDomain(env, v string) error {
	if len(v) > 253 {
		return settingErr(env, "%q is longer than 253 characters", truncate(v, 80))
	}
	labels := strings.Split(v, ".")
	if len(labels) < 2 {
		return settingErr(env, "%q is not a fully qualified domain name (want e.g. upload.example.com)", truncate(v, 80))
	}
	for _, l := range labels {
		if !domainLabelRE.MatchString(l) {
			return settingErr(env, "%q is not a domain name (labels of A-Z a-z 0-9 -, separated by dots, e.g. upload.example.com)", truncate(v, 80))
		}
	}
	return nil
}

// otpPlaceholderRE finds {...} placeholders in the OTP endpoint template.
var otpPlaceholderRE = regexp.MustCompile(`\{[^}]*\}`)

var otpEndpointRE = regexp.MustCompile(`^[A-Za-z0-9_]+/[^\s,]+$`)

func validateOTPEndpoint(v string) error { return validateEndpointTemplate(EnvOTPEndpoint, v) }

// validateEndpointTemplate checks a Technology/resource template whose
// only placeholder is {number} (OTP calls, external-number agents).
func validateEndpointTemplate(env, v string) error {
	if v == "" {
		return settingErr(env, "is empty; want e.g. %s", DefaultOTPEndpoint)
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return !unicode.IsPrint(r) }) || !otpEndpointRE.MatchString(v) {
		return settingErr(env, "%q is not an endpoint template Technology/resource without spaces or commas (e.g. %s)", truncate(v, 80), DefaultOTPEndpoint)
	}
	for _, p := range otpPlaceholderRE.FindAllString(v, -1) {
		if p != "{number}" {
			return settingErr(env, "%q has the unknown placeholder %s; only {number} is replaced", truncate(v, 80), p)
		}
	}
	if strings.Count(v, "{") != strings.Count(v, "}") || strings.Count(v, "{") != strings.Count(v, "{number}") {
		return settingErr(env, "%q has an unbalanced brace; only {number} is replaced", truncate(v, 80))
	}
	if strings.Contains(v, "%") {
		return settingErr(env, "%q contains %%; use {number} for the number", truncate(v, 80))
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// webRTCURL is WebRTCURL or, when empty, Asterisk's /ws on the ARI URL's
// host and port (ws:// for http, wss:// for https).
func (c *Config) webRTCURL() string {
	if c.WebRTCURL != "" {
		return c.WebRTCURL
	}
	u, err := url.Parse(c.ARIURL)
	if err != nil || u.Host == "" {
		return ""
	}
	scheme := "ws"
	if u.Scheme == "https" {
		scheme = "wss"
	}
	return scheme + "://" + u.Host + "/ws"
}

// sipHost is SIPHost or, when empty, the ARI URL's host with port 5060.
func (c *Config) sipHost() string {
	if c.SIPHost != "" {
		return c.SIPHost
	}
	u, err := url.Parse(c.ARIURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	return net.JoinHostPort(u.Hostname(), "5060")
}

// origin is scheme://host[:port] of a URL ("" if it has none).
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
