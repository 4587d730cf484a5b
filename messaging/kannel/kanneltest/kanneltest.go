// Package kanneltest runs a real Kannel for tests: a bearerbox with the
// fake SMSC, an smsbox serving sendsms, and Kannel's fakesmsc (from
// kannel-extras) as the SMSC's client, which prints every message it
// receives. The configuration is the project's template
// (asterisk-conf/kannel/kannel.conf.tmpl) on free loopback ports in a
// temporary directory.
package kanneltest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

// Binaries are where the Debian packages install Kannel.
var (
	Bearerbox = "/usr/sbin/bearerbox"
	Smsbox    = "/usr/sbin/smsbox"
	Fakesmsc  = "/usr/lib/kannel/test/fakesmsc"
)

// Received is one message fakesmsc received: From and To as the SMSC got
// them, Text decoded (plain, 8-bit or UCS-2), Type fakesmsc's type word
// and Line the line it printed.
type Received struct {
	From, To, Type, Text, Line string
}

// Gateway is a running Kannel.
type Gateway struct {
	SendSMSURL         string // http://127.0.0.1:<port>/cgi-bin/sendsms
	Username, Password string
	Sender             string // the smsbox's global-sender
	AdminURL           string
	Dir                string

	mu    sync.Mutex
	got   []Received
	gotCh chan struct{}
	logs  map[string]*strings.Builder
}

// TemplatePath is the project's Kannel configuration template.
func TemplatePath() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "asterisk-conf", "kannel", "kannel.conf.tmpl")
}

// Available reports whether the Kannel binaries are installed ("" when
// they are, else what is missing).
func Available() string {
	for _, b := range []string{Bearerbox, Smsbox, Fakesmsc} {
		if _, err := os.Stat(b); err != nil {
			return b + " is missing"
		}
	}
	return ""
}

// Require skips the test when Kannel is not installed, and fails it under
// CI=true (where a skipped integration test is a failure).
func Require(t testing.TB) {
	t.Helper()
	if why := Available(); why != "" {
		msg := fmt.Sprintf("Kannel not installed (%s; run .ci/ensure-kannel.sh)", why)
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: a skipped integration test is a failure)", msg)
		}
		t.Skip(msg)
	}
}

// Render fills the template's @NAME@ placeholders.
func Render(tmpl string, vars map[string]string) (string, error) {
	out := tmpl
	for k, v := range vars {
		out = strings.ReplaceAll(out, "@"+k+"@", v)
	}
	if m := regexp.MustCompile(`@[A-Z_]+@`).FindString(out); m != "" {
		return "", fmt.Errorf("kannel template: %s is not filled in", m)
	}
	return out, nil
}

// freePorts returns n distinct free loopback ports.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		_ = l.Close()
	}
	return ports
}

// Start runs Kannel until the test ends (it skips, or under CI=true
// fails, when Kannel is not installed).
func Start(t testing.TB) *Gateway {
	t.Helper()
	Require(t)
	tmpl, err := os.ReadFile(TemplatePath())
	if err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 { // a free port may be taken between choosing and binding
		g, err := start(t, string(tmpl))
		if err == nil {
			return g
		}
		lastErr = err
	}
	t.Fatalf("kannel did not start: %v", lastErr)
	return nil
}

func start(t testing.TB, tmpl string) (*Gateway, error) {
	t.Helper()
	p := freePorts(t, 4)
	g := &Gateway{
		Username: "switchyard", Password: "test-" + strconv.Itoa(p[0]), Sender: "12025550100",
		SendSMSURL: fmt.Sprintf("http://127.0.0.1:%d/cgi-bin/sendsms", p[3]),
		Dir:        t.TempDir(), gotCh: make(chan struct{}, 1), logs: map[string]*strings.Builder{},
	}
	adminPassword := "admin-" + strconv.Itoa(p[1])
	g.AdminURL = fmt.Sprintf("http://127.0.0.1:%d/status.txt?password=%s", p[0], adminPassword)
	conf, err := Render(tmpl, map[string]string{
		"ADMIN_PORT": strconv.Itoa(p[0]), "ADMIN_PASSWORD": adminPassword, "SMSBOX_PORT": strconv.Itoa(p[1]),
		"FAKESMSC_PORT": strconv.Itoa(p[2]), "SENDSMS_PORT": strconv.Itoa(p[3]), "SENDER": g.Sender,
		"SENDSMS_USER": g.Username, "SENDSMS_PASSWORD": g.Password,
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(g.Dir, "kannel.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var procs []*exec.Cmd
	var wg sync.WaitGroup
	stopAll := func() {
		// The last started first: smsbox, fakesmsc, bearerbox.
		for i := len(procs) - 1; i >= 0; i-- {
			_ = procs[i].Process.Signal(os.Interrupt)
			done := make(chan struct{})
			go func(c *exec.Cmd) { _ = c.Wait(); close(done) }(procs[i])
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = procs[i].Process.Kill()
				<-done
			}
		}
		cancel()
		wg.Wait()
	}
	run := func(name string, stdin io.Reader, args ...string) error {
		c := exec.CommandContext(ctx, args[0], args[1:]...)
		c.Dir = g.Dir
		c.Stdin = stdin
		out, err := c.StdoutPipe()
		if err != nil {
			return err
		}
		c.Stderr = c.Stdout
		if err := c.Start(); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		procs = append(procs, c)
		b := &strings.Builder{}
		g.mu.Lock()
		g.logs[name] = b
		g.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := bufio.NewScanner(out)
			sc.Buffer(make([]byte, 64<<10), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				g.mu.Lock()
				if b.Len() < 1<<20 {
					b.WriteString(line + "\n")
				}
				g.mu.Unlock()
				if name == "fakesmsc" {
					if r, ok := ParseLine(line); ok {
						g.mu.Lock()
						g.got = append(g.got, r)
						g.mu.Unlock()
						select {
						case g.gotCh <- struct{}{}:
						default:
						}
					}
				}
			}
		}()
		return nil
	}
	fail := func(err error) (*Gateway, error) {
		stopAll()
		return nil, fmt.Errorf("%w\n%s", err, g.Logs())
	}
	if err := run("bearerbox", nil, Bearerbox, "-v", "1", path); err != nil {
		return fail(err)
	}
	if err := waitPort(p[2], 10*time.Second); err != nil {
		return fail(fmt.Errorf("bearerbox's fake SMSC: %w", err))
	}
	// fakesmsc reads messages to send from its stdin (none here): the
	// pipe stays open until the test ends.
	stdinR, stdinW := io.Pipe()
	if err := run("fakesmsc", stdinR, Fakesmsc, "-H", "127.0.0.1", "-r", strconv.Itoa(p[2]), "-m", "0"); err != nil {
		return fail(err)
	}
	if err := run("smsbox", nil, Smsbox, "-v", "1", path); err != nil {
		return fail(err)
	}
	if err := g.waitReady(15 * time.Second); err != nil {
		_ = stdinW.Close()
		return fail(err)
	}
	t.Cleanup(func() {
		_ = stdinW.Close()
		stopAll()
		if t.Failed() {
			t.Logf("kannel logs:\n%s", g.Logs())
		}
	})
	return g, nil
}

func waitPort(port int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("port %d not listening after %s: %w", port, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitReady waits until the bearerbox reports the fake SMSC online and an
// smsbox connected, and the sendsms port answers.
func (g *Gateway) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	var last string
	for {
		resp, err := http.Get(g.AdminURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(b)
			if strings.Contains(last, "(online") && regexp.MustCompile(`Box connections:\s*\n\s*smsbox`).MatchString(last) {
				u, _ := url.Parse(g.SendSMSURL)
				if c, err := net.DialTimeout("tcp", u.Host, time.Second); err == nil {
					_ = c.Close()
					return nil
				}
			}
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kannel not ready after %s; status: %s", d, last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var gotRE = regexp.MustCompile(`Got message \d+: <(.*)>$`)

// ParseLine reads a "Got message N: <from to type data>" line of
// fakesmsc; data is plain for "text", URL-encoded bytes for "data" and
// URL-encoded UCS-2 (big-endian) for "ucs-2".
func ParseLine(line string) (Received, bool) {
	m := gotRE.FindStringSubmatch(line)
	if m == nil {
		return Received{}, false
	}
	parts := strings.SplitN(m[1], " ", 4)
	if len(parts) < 3 {
		return Received{}, false
	}
	r := Received{From: parts[0], To: parts[1], Type: parts[2], Line: line}
	data := ""
	if len(parts) == 4 {
		data = parts[3]
	}
	switch r.Type {
	case "text":
		r.Text = data
	case "data":
		b, err := url.QueryUnescape(data)
		if err != nil {
			return Received{}, false
		}
		r.Text = b
	case "ucs-2":
		b, err := url.QueryUnescape(data)
		if err != nil || len(b)%2 != 0 {
			return Received{}, false
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
		}
		r.Text = string(utf16.Decode(u))
	default:
		r.Text = data
	}
	return r, true
}

// Received returns the messages fakesmsc received so far.
func (g *Gateway) Received() []Received {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Received(nil), g.got...)
}

// Wait waits until fakesmsc received at least n messages (15 s at most)
// and returns them all.
func (g *Gateway) Wait(t testing.TB, n int) []Received {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		if got := g.Received(); len(got) >= n {
			return got
		}
		select {
		case <-g.gotCh:
		case <-deadline:
			t.Fatalf("waited for %d messages at fakesmsc, got %d: %+v", n, len(g.Received()), g.Received())
		}
	}
}

// Logs returns what the three processes printed.
func (g *Gateway) Logs() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	var b strings.Builder
	for _, n := range []string{"bearerbox", "fakesmsc", "smsbox"} {
		if l, ok := g.logs[n]; ok {
			fmt.Fprintf(&b, "--- %s\n%s", n, l.String())
		}
	}
	return b.String()
}
