package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/store"
)

// daemon boots a whole Switchyard in-process (port 0, temp SQLite). The
// upload path does not touch Asterisk, so ARI points at a closed port: the
// daemon runs degraded and keeps retrying, as it would in production.
func daemon(t *testing.T) *app.App {
	t.Helper()
	cfg := app.Default()
	cfg.HTTPAddr, cfg.AGIAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.ARIURL, cfg.ARIUser, cfg.ARIPassword = "http://127.0.0.1:1/ari", "u", "p"
	cfg.ShutdownTimeout = 5 * time.Second
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, "test", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("daemon did not stop")
		}
		a.Close()
	})
	return a
}

// account creates an account with an API key and an outbound flow (made
// through the API, as a user would).
func account(t *testing.T, a *app.App) (key, flowID string, accountID int64) {
	t.Helper()
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err = a.Store().CreateAPIKey(ctx, acc.ID, "cli")
	if err != nil {
		t.Fatal(err)
	}
	flow, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/flows", bytes.NewReader(flow))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create flow: %d %s", resp.StatusCode, body)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 {
		t.Fatalf("create flow: %s %v", body, err)
	}
	return key, strconv.FormatInt(created.ID, 10), acc.ID
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A list with a good row, an invalid number, a duplicate and an empty row.
const listCSV = "tel1,$flow.key.customer_name,$flow.key.amount\r\n" +
	"+919876543210,\"Doe, John\",100\r\n" +
	"12,Bad,1\r\n" +
	"+919876543211,Asha,200\r\n" +
	"+919876543210,Again,3\r\n" +
	",,\r\n"

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, func(k string) string { return env[k] }, &out, &errb)
	t.Logf("switchyard %s → %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{code, out.String(), errb.String()}
}

func TestUploadCLIEndToEnd(t *testing.T) {
	a := daemon(t)
	key, flow, acc := account(t, a)
	env := map[string]string{EnvAPIKey: key, app.EnvHTTPAddr: a.Addr()}
	csvFile := writeFile(t, "upload_01122026100000.csv", []byte(listCSV))

	// The URL defaults to http:// + SWITCHYARD_HTTP_ADDR; flags may follow
	// the file.
	r := runCLI(t, env, "upload", csvFile, "--flow", flow)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	for _, want := range []string{
		"upload_01122026100000.csv: request ", "5 records loaded, 2 added, 3 invalid, 0 DNC-scrubbed",
		"row 3 12: INVALID:", "row 5 +919876543210: INVALID: duplicate", "row 6 : INVALID: empty row",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if !strings.Contains(r.stderr, "upload_01122026100000.csv [") || strings.Count(r.stderr, "100%") != 1 {
		t.Errorf("no progress bar on stderr: %q", r.stderr)
	}
	// The server has it: one request with the file's start time.
	rs, err := a.Store().ListCallListRequests(context.Background(), store.RequestFilter{AccountID: acc})
	if err != nil || len(rs) != 1 || rs[0].Added != 2 || rs[0].StartTime == nil || rs[0].Source != store.SourceUpload {
		t.Fatalf("requests on the server: %+v %v", rs, err)
	}

	// A zip with a good and a rejected CSV, the key from a file, --url
	// given: the good one is stored, the bad one is reported; exit 1.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range map[string]string{"good.csv": "tel1\n+919876543299\n", "bad.csv": "tel1,$flow.key.customer_name\n"} {
		w, _ := zw.Create(name)
		_, _ = io.WriteString(w, body)
	}
	_ = zw.Close()
	zipFile := writeFile(t, "lists.zip", zb.Bytes())
	keyFile := writeFile(t, "key", []byte(key+"\n"))
	r = runCLI(t, map[string]string{}, "upload", "--flow", flow, "--format", "zip", "--api-key-file", keyFile, "--url", "http://"+a.Addr(), zipFile)
	if r.code != 1 || !strings.Contains(r.stdout, "lists.zip/good.csv: request ") || !strings.Contains(r.stdout, "1 records loaded, 1 added") ||
		!strings.Contains(r.stdout, "lists.zip/bad.csv: REJECTED: ") || !strings.Contains(r.stderr, "1 of 2 files rejected") {
		t.Errorf("zip with a bad member: exit %d", r.code)
	}

	// ADS format forced on a .csv file.
	ads := writeFile(t, "recipients.csv", []byte("Numbers,customer_name,*Schedule*\n+919876543201|+919876543202,Ravi,1798761600:1001\n"))
	if r = runCLI(t, env, "upload", "--flow", flow, "--format", "ads", ads); r.code != 0 || !strings.Contains(r.stdout, "1 records loaded, 1 added") {
		t.Errorf("ads upload: exit %d", r.code)
	}

	// Failures, each with a clear message.
	down := closedPort(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"no key", map[string]string{app.EnvHTTPAddr: a.Addr()}, []string{"upload", "--flow", flow, csvFile}, 2, "no API key: set SWITCHYARD_API_KEY or pass --api-key-file"},
		{"empty key file", env, []string{"upload", "--flow", flow, "--api-key-file", writeFile(t, "k", []byte("\n")), csvFile}, 2, "the first line is empty"},
		{"missing key file", env, []string{"upload", "--flow", flow, "--api-key-file", "/nonexistent/key", csvFile}, 2, "--api-key-file"},
		{"wrong key", map[string]string{EnvAPIKey: key + "x", app.EnvHTTPAddr: a.Addr()}, []string{"upload", "--flow", flow, csvFile}, 1, "the server refused the API key: unauthorized (HTTP 401)"},
		{"unknown flow", env, []string{"upload", "--flow", "999999", csvFile}, 1, `the server refused the upload: not_found (HTTP 404): flow "999999" not found`},
		{"unreachable", map[string]string{EnvAPIKey: key, app.EnvHTTPAddr: down}, []string{"upload", "--flow", flow, csvFile}, 1, "cannot reach the Switchyard server at http://" + down},
		{"no flow", env, []string{"upload", csvFile}, 2, "--flow is required"},
		{"no file", env, []string{"upload", "--flow", flow}, 2, "no file given"},
		{"two files", env, []string{"upload", "--flow", flow, csvFile, zipFile}, 2, "one file per upload"},
		{"bad format", env, []string{"upload", "--flow", flow, "--format", "xls", csvFile}, 2, `--format "xls" is not one of csv, zip, ads`},
		{"zip format on csv", env, []string{"upload", "--flow", flow, "--format", "zip", csvFile}, 2, "--format zip needs a .zip file"},
		{"bad extension", env, []string{"upload", "--flow", flow, writeFile(t, "list.xlsx", []byte("x"))}, 2, "the server takes .csv, .txt or .zip files"},
		{"missing file", env, []string{"upload", "--flow", flow, "/nonexistent/list.csv"}, 1, "no such file"},
		{"bad url", env, []string{"upload", "--flow", flow, "--url", "ftp://x", csvFile}, 2, `--url "ftp://x" is not an http:// or https:// URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, tc.env, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
	// None of the failures stored anything.
	rs, _ = a.Store().ListCallListRequests(context.Background(), store.RequestFilter{AccountID: acc})
	if len(rs) != 3 {
		t.Errorf("%d requests on the server, want 3 (csv, good.csv, ads)", len(rs))
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestDefaultServerURL(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		"[::]:9000":      "http://[::1]:9000",
		"[::1]:9000":     "http://[::1]:9000",
		"pbx.local:80":   "http://pbx.local:80",
	} {
		if got := defaultServerURL(in); got != want {
			t.Errorf("defaultServerURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMailAddressCmd(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{app.EnvDataDir: dir, app.EnvMailDomain: "upload.example.com"}
	r := runCLI(t, env, "mail-address", "7", "42")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "calllist-7-42-") || !strings.HasSuffix(strings.TrimSpace(r.stdout), "@upload.example.com") {
		t.Fatalf("exit %d", r.code)
	}
	// The secret was generated into the data dir and is reused: same address.
	fi, err := os.Stat(filepath.Join(dir, app.MailSecretFileName))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", fi, err)
	}
	if r2 := runCLI(t, env, "mail-address", "7", "42"); r2.stdout != r.stdout {
		t.Errorf("address changed: %q then %q", r.stdout, r2.stdout)
	}
	if r := runCLI(t, map[string]string{app.EnvDataDir: dir}, "mail-address", "7", "42"); r.code != 2 || !strings.Contains(r.stderr, app.EnvMailDomain) {
		t.Errorf("without a domain: %d %q", r.code, r.stderr)
	}
	if r := runCLI(t, env, "mail-address", "x", "42"); r.code != 2 {
		t.Errorf("bad account: %d", r.code)
	}
}

func TestAccountCmd(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{app.EnvDataDir: dir}
	if r := runCLI(t, env, "account", "create", "acme"); r.code != 2 || !strings.Contains(r.stderr, "--owner-email") {
		t.Fatalf("create without an owner: %d %q", r.code, r.stderr)
	}
	r := runCLI(t, env, "account", "create", "acme", "--owner-email", "boss@acme.test")
	if r.code != 0 || !strings.Contains(r.stdout, "account_id=1") || !strings.Contains(r.stdout, "api_key=") ||
		!strings.Contains(r.stdout, "owner=boss@acme.test") || !strings.Contains(r.stdout, "owner_invite_url=http://127.0.0.1:8080/#/invite?token=") {
		t.Fatalf("create: %d %q %q", r.code, r.stdout, r.stderr)
	}
	stdin = strings.NewReader("owner's password\n")
	r = runCLI(t, env, "account", "create", "--owner-email=ann@beta.test", "--owner-password-stdin", "beta")
	if r.code != 0 || !strings.Contains(r.stdout, "account_id=2") || strings.Contains(r.stdout, "invite") {
		t.Fatalf("create with a password: %d %q %q", r.code, r.stdout, r.stderr)
	}
	stdin = strings.NewReader("short\n")
	if r = runCLI(t, env, "account", "create", "gamma", "--owner-email", "g@gamma.test", "--owner-password-stdin"); r.code != 1 || !strings.Contains(r.stderr, "8 to 72") {
		t.Fatalf("short password: %d %q", r.code, r.stderr)
	}
	if r = runCLI(t, env, "account", "create", "delta", "--owner-email", "not an email"); r.code != 1 || !strings.Contains(r.stderr, "owner") {
		t.Fatalf("bad email: %d %q", r.code, r.stderr)
	}
	if r = runCLI(t, env, "operator", "create", "ops@switchyard.test"); r.code != 0 || !strings.Contains(r.stdout, "invite_url=http://127.0.0.1:8080/#/invite?token=") {
		t.Fatalf("operator: %d %q %q", r.code, r.stdout, r.stderr)
	}
	stdin = strings.NewReader("operator password\n")
	if r = runCLI(t, env, "operator", "create", "ops2@switchyard.test", "--password-stdin"); r.code != 0 || strings.Contains(r.stdout, "invite") {
		t.Fatalf("operator with a password: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r = runCLI(t, env, "operator", "create", "ops@switchyard.test"); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Fatalf("operator twice: %d %q", r.code, r.stderr)
	}
	if r = runCLI(t, env, "operator", "delete", "x"); r.code != 2 {
		t.Fatalf("operator usage: %d", r.code)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"account", "timezone", "1", "Europe/Berlin"}, 0, "time zone Europe/Berlin"},
		{[]string{"account", "timezone", "1", "Mars/Olympus"}, 1, "Mars/Olympus"},
		{[]string{"account", "timezone", "99", "UTC"}, 1, "not found"},
		{[]string{"account", "timezone", "x", "UTC"}, 2, "not a positive number"},
		{[]string{"account", "country", "1", "in"}, 0, "default country IN"},
		{[]string{"account", "country", "1", "XX"}, 1, "XX"},
		{[]string{"account", "country", "1", "none"}, 0, "no default country"},
		{[]string{"account", "country", "99", "IN"}, 1, "not found"},
		{[]string{"account", "reports", "1", "enable", "queues"}, 0, "queues report enabled"},
		{[]string{"account", "reports", "1", "disable", "calls"}, 0, "calls report disabled"},
		{[]string{"account", "reports", "1", "enable", "nope"}, 1, "nope"},
		{[]string{"account", "reports", "1", "toggle", "calls"}, 2, "usage"},
		{[]string{"account", "delete", "1"}, 2, "usage"},
		{[]string{"account", "disable", "2"}, 0, "account 2: disabled"},
		{[]string{"account", "enable", "2"}, 0, "account 2: enabled"},
		{[]string{"account", "disable", "99"}, 1, "not found"},
		{[]string{"account", "http-policy", "1"}, 0, "granted http=false networks=[]"},
		{[]string{"account", "http-policy", "1", "http", "10.1.0.0/16", "127.0.0.1/32"}, 0, "granted http=true networks=[10.1.0.0/16 127.0.0.1/32]; in use http=true networks=[10.1.0.0/16 127.0.0.1/32]"},
		{[]string{"account", "http-policy", "1"}, 0, "granted http=true networks=[10.1.0.0/16 127.0.0.1/32]"},
		{[]string{"account", "http-policy", "1", "https"}, 0, "granted http=false networks=[]; in use http=false networks=[]"},
		{[]string{"account", "http-policy", "1", "http", "nope"}, 1, "not a network"},
		{[]string{"account", "http-policy", "99", "http"}, 1, "not found"},
		{[]string{"account", "http-policy", "1", "ftp"}, 2, "usage"},
	} {
		r := runCLI(t, env, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.out) {
			t.Errorf("%v: exit %d (want %d), %q %q", tc.args, r.code, tc.code, r.stdout, r.stderr)
		}
	}
}
