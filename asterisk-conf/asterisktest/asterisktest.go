// Package asterisktest gives integration tests a real Asterisk 22 with ARI.
//
//	func TestSomething(t *testing.T) {
//		ast := asterisktest.Require(t)
//		// ast.URL, ast.User, ast.Password, ast.WSURL; ast.CLI(t, "core show channels")
//	}
//
// Require looks for ARI at SWITCHYARD_ARI_URL (default
// http://127.0.0.1:8088/ari) with SWITCHYARD_ARI_USER (default switchyard) and
// SWITCHYARD_ARI_PASSWORD or SWITCHYARD_ARI_PASSWORD_FILE (default: the
// password file the local dev Asterisk uses, <cache>/ari-password). If nothing
// answers — or the answering Asterisk is the local dev one and the files in
// asterisk-conf/ changed since it loaded them — it runs asterisk-conf/local/up.sh
// once, serialised across all concurrent `go test` package processes by a
// flock on <cache>/asterisktest.lock, and uses the KEY=value facts it prints.
//
// When no Asterisk can be had the test is skipped with the reason, except
// under CI=true, where that is a failure (t.Fatal).
//
// The package depends on no other Switchyard package.
package asterisktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultURL is the ARI base URL of the local dev Asterisk.
const DefaultURL = "http://127.0.0.1:8088/ari"

// DefaultUser is the ARI user when SWITCHYARD_ARI_USER is not set.
const DefaultUser = "switchyard"

// upTimeout bounds one up.sh run; the first one builds the root with
// debootstrap, which takes minutes.
const upTimeout = 15 * time.Minute

// Info is how to reach the Asterisk a test runs against.
type Info struct {
	URL      string // ARI base URL, e.g. http://127.0.0.1:8088/ari
	User     string // ARI user
	Password string // ARI password
	WSURL    string // ARI events websocket, e.g. ws://127.0.0.1:8088/ari/events
	Root     string // chroot of the local dev Asterisk; "" for any other Asterisk or when not root
}

// CLI runs one Asterisk CLI command (asterisk -rx) in the local dev Asterisk
// and returns its output. Against an Asterisk that is not the local chroot
// one the test is skipped (failed under CI=true); a failing command fails the
// test.
func (i Info) CLI(t testing.TB, cmd string) string {
	t.Helper()
	if i.Root == "" {
		unavailable(t, fmt.Errorf("CLI %q needs the local dev Asterisk (asterisk-conf/local/up.sh); ARI at %s is another one", cmd, i.URL))
		return ""
	}
	out, err := cli(i.Root, cmd)
	if err != nil {
		t.Fatalf("asterisktest: CLI %q: %v", cmd, err)
	}
	return out
}

// Require returns a reachable Asterisk with ARI, starting the local dev one
// if needed (see the package comment). Safe for parallel tests.
func Require(t testing.TB) Info {
	t.Helper()
	info, err := Find()
	if err != nil {
		unavailable(t, err)
	}
	return info
}

// Find is Require without a testing.TB (for TestMain or benchmarks). The
// result, success or failure, is computed once per process.
func Find() (Info, error) {
	once.Do(func() { found, foundErr = find() })
	return found, foundErr
}

var (
	once     sync.Once
	found    Info
	foundErr error
)

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("asterisktest: a real Asterisk is required (CI=true): %v", err)
	}
	t.Skipf("asterisktest: skipping, no Asterisk: %v", err)
}

// settings is what the environment says.
type settings struct {
	url, user, password string
	passwordSource      string // for messages
	cache               string
}

func cacheDir() (string, error) {
	if d := os.Getenv("SWITCHYARD_CACHE_DIR"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "switchyard"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory: set SWITCHYARD_CACHE_DIR: %w", err)
	}
	return filepath.Join(home, ".cache", "switchyard"), nil
}

// readPasswordFile returns the first line of path without surrounding white
// space (the same rule as up.sh and the service).
func readPasswordFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSpace(line)
	if line == "" {
		return "", fmt.Errorf("%s: first line is empty", path)
	}
	return line, nil
}

func loadSettings() (settings, error) {
	var s settings
	var err error
	if s.cache, err = cacheDir(); err != nil {
		return s, err
	}
	s.url = strings.TrimRight(os.Getenv("SWITCHYARD_ARI_URL"), "/")
	if s.url == "" {
		s.url = DefaultURL
	}
	u, err := url.Parse(s.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return s, fmt.Errorf("SWITCHYARD_ARI_URL=%q: want http(s)://host:port/ari", s.url)
	}
	s.user = os.Getenv("SWITCHYARD_ARI_USER")
	if s.user == "" {
		s.user = DefaultUser
	}
	switch {
	case os.Getenv("SWITCHYARD_ARI_PASSWORD") != "":
		s.password, s.passwordSource = os.Getenv("SWITCHYARD_ARI_PASSWORD"), "SWITCHYARD_ARI_PASSWORD"
	case os.Getenv("SWITCHYARD_ARI_PASSWORD_FILE") != "":
		f := os.Getenv("SWITCHYARD_ARI_PASSWORD_FILE")
		if s.password, err = readPasswordFile(f); err != nil {
			return s, fmt.Errorf("SWITCHYARD_ARI_PASSWORD_FILE: %w", err)
		}
		s.passwordSource = f
	default:
		f := filepath.Join(s.cache, "ari-password")
		s.password, _ = readPasswordFile(f) // absent before the first up.sh
		s.passwordSource = f
	}
	return s, nil
}

func (s settings) isLocalDefault() bool {
	return s.url == DefaultURL || s.url == "http://localhost:8088/ari"
}

func (s settings) root() string { return filepath.Join(s.cache, "asterisk-root") }

// localRunning reports whether the local dev Asterisk's control socket is
// there (it answers ARI on the default URL).
func (s settings) localRunning() bool {
	fi, err := os.Stat(filepath.Join(s.root(), "run", "asterisk", "asterisk.ctl"))
	return err == nil && fi.Mode()&os.ModeSocket != 0
}

// probe GETs /asterisk/info; it returns the HTTP status or an error when
// nothing answers.
func probe(base, user, password string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/asterisk/info", nil)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

func wsURL(base string) string {
	switch {
	case strings.HasPrefix(base, "https://"):
		return "wss://" + strings.TrimPrefix(base, "https://") + "/events"
	default:
		return "ws://" + strings.TrimPrefix(base, "http://") + "/events"
	}
}

func (s settings) info() Info {
	i := Info{URL: s.url, User: s.user, Password: s.password, WSURL: wsURL(s.url)}
	if s.isLocalDefault() && s.localRunning() && os.Geteuid() == 0 { // chroot needs root
		i.Root = s.root()
	}
	return i
}

// ready reports whether ARI answers with these settings and, for the local
// dev Asterisk, whether it runs the configuration in asterisk-conf/.
func (s settings) ready() (bool, string) {
	code, err := probe(s.url, s.user, s.password)
	switch {
	case err != nil:
		return false, fmt.Sprintf("nothing answers at %s (%v)", s.url, err)
	case code == http.StatusUnauthorized:
		return false, fmt.Sprintf("ARI at %s rejects user %q with the password from %s (401)", s.url, s.user, s.passwordSource)
	case code != http.StatusOK:
		return false, fmt.Sprintf("GET %s/asterisk/info: HTTP %d", s.url, code)
	}
	if i := s.info(); i.Root != "" {
		if stale := staleConfig(i.Root); stale != "" {
			return false, "asterisk-conf/" + stale + " changed since the local Asterisk loaded it"
		}
	}
	return true, ""
}

// confDir is asterisk-conf/, found from this file's location (works from any
// package directory) or, failing that (-trimpath), upwards from the working
// directory.
func confDir() (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok {
		d := filepath.Dir(filepath.Dir(file))
		if _, err := os.Stat(filepath.Join(d, "local", "up.sh")); err == nil {
			return d, nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "asterisk-conf", "local", "up.sh")); err == nil {
			return filepath.Join(d, "asterisk-conf"), nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New("cannot find asterisk-conf/local/up.sh (source tree not available)")
		}
	}
}

// staleConfig names a configuration file whose copy in the local root differs
// from asterisk-conf/ ("" when all match or nothing can be compared).
// ari.conf is rendered from ari.conf.in by up.sh and not compared here.
func staleConfig(root string) string {
	dir, err := confDir()
	if err != nil {
		return ""
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	for _, f := range files {
		want, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		have, err := os.ReadFile(filepath.Join(root, "etc", "asterisk", filepath.Base(f)))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return filepath.Base(f)
			}
			return "" // not readable (not root): let it be
		}
		if !bytes.Equal(want, have) {
			return filepath.Base(f)
		}
	}
	return ""
}

func find() (Info, error) {
	s, err := loadSettings()
	if err != nil {
		return Info{}, err
	}
	ok, why := s.ready()
	if ok {
		return s.info(), nil
	}
	if !s.isLocalDefault() {
		// up.sh only ever starts the local one; it would say the same.
		return Info{}, fmt.Errorf("%s (SWITCHYARD_ARI_URL is not the local default, so no local Asterisk is started)", why)
	}

	// One up.sh at a time across all test processes; whoever comes second
	// finds it running.
	if err := os.MkdirAll(s.cache, 0o755); err != nil {
		return Info{}, fmt.Errorf("cache directory: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(s.cache, "asterisktest.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return Info{}, fmt.Errorf("lock file: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return Info{}, fmt.Errorf("flock %s: %w", lock.Name(), err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	if s, err = loadSettings(); err != nil { // password file may exist now
		return Info{}, err
	}
	if ok, _ := s.ready(); ok {
		return s.info(), nil
	}
	facts, err := runUp(why)
	if err != nil {
		return Info{}, err
	}
	if v := facts["SWITCHYARD_ARI_URL"]; v != "" {
		s.url = strings.TrimRight(v, "/")
	}
	if v := facts["SWITCHYARD_ARI_USER"]; v != "" {
		s.user = v
	}
	if os.Getenv("SWITCHYARD_ARI_PASSWORD") == "" {
		f := facts["SWITCHYARD_ARI_PASSWORD_FILE"]
		if f == "" {
			return Info{}, errors.New("up.sh printed no SWITCHYARD_ARI_PASSWORD_FILE")
		}
		if s.password, err = readPasswordFile(f); err != nil {
			return Info{}, fmt.Errorf("ARI password from up.sh: %w", err)
		}
		s.passwordSource = f
	}
	if ok, why := s.ready(); !ok {
		return Info{}, fmt.Errorf("after up.sh: %s", why)
	}
	info := s.info()
	if r := facts["SWITCHYARD_ASTERISK_ROOT"]; r != "" {
		info.Root = r
	}
	return info, nil
}

// runUp runs asterisk-conf/local/up.sh and returns the KEY=value facts it
// prints. Its messages go to stderr as they come (the first run takes
// minutes) and into the error.
func runUp(why string) (map[string]string, error) {
	dir, err := confDir()
	if err != nil {
		return nil, fmt.Errorf("%s; %w", why, err)
	}
	script := filepath.Join(dir, "local", "up.sh")
	fmt.Fprintf(os.Stderr, "asterisktest: %s: running %s\n", why, script)
	ctx, cancel := context.WithTimeout(context.Background(), upTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(&stderr, os.Stderr)
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s; %s failed (%w): %s", why, script, err, lastLines(stderr.String(), 15))
	}
	facts := parseFacts(&stdout)
	if len(facts) == 0 {
		return nil, fmt.Errorf("%s printed no KEY=value facts; stderr: %s", script, lastLines(stderr.String(), 15))
	}
	return facts, nil
}

// parseFacts reads up.sh's stdout: SWITCHYARD_*=value lines; anything else
// is ignored. The value is everything after the first '='.
func parseFacts(r io.Reader) map[string]string {
	facts := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && strings.HasPrefix(k, "SWITCHYARD_") && !strings.ContainsAny(k, " \t") {
			facts[k] = v
		}
	}
	return facts
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func cli(root, command string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", root, "/usr/sbin/asterisk", "-rx", command)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("chroot %s asterisk -rx: %w: %s", root, err, strings.TrimSpace(errb.String()+out.String()))
	}
	return out.String(), nil
}

var restClient = &http.Client{Timeout: 10 * time.Second}

// Do sends one ARI REST request (a JSON body if body is not nil) and returns
// the status and the answer body; a transport error fails the test.
func (i Info) Do(t testing.TB, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, i.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", i.BasicAuth())
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := restClient.Do(req)
	if err != nil {
		t.Fatalf("ARI %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// BasicAuth is the value of an Authorization header for ARI requests.
func (i Info) BasicAuth() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(i.User+":"+i.Password))
}
