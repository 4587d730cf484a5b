// Package sipagent runs real SIP phones for integration tests: a baresip
// user agent that registers with the dev Asterisk as an agent endpoint and
// answers calls by itself, with a sine tone as its microphone (no sound
// card needed).
//
//	ag := sipagent.Start(t, sipagent.Options{User: "agent1", Password: "switchyard-agent1"})
//	// ... originate to PJSIP/agent1: it answers ...
//	ag.Hangup() // the agent hangs up mid-call
//
// Start waits until Asterisk reports the endpoint online (ARI
// /endpoints/PJSIP/<user>); t.Cleanup stops baresip and waits until the
// endpoint is offline again. baresip must be installed
// (asterisk-conf/local/ensure-baresip.sh); when it is not, the test is
// skipped — or fails under CI=true, like asterisktest.Require.
//
// The package depends on asterisktest only.
package sipagent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// Options describe one agent phone.
type Options struct {
	User     string // SIP user name = PJSIP endpoint (required)
	Password string // auth password (required)
	// Registrar is host:port of Asterisk's SIP transport (default
	// 127.0.0.1:5060).
	Registrar string
	// Asterisk is the ARI the endpoint's state is read from (a private
	// Asterisk's Info); zero: asterisktest.Require's.
	Asterisk asterisktest.Info
	// ListenPort is baresip's SIP port on 127.0.0.1 (0: a free one).
	ListenPort int
	// Manual leaves incoming calls ringing (answermode=manual): the test
	// answers with Answer. Default: auto-answer.
	Manual bool
	// ToneHz is the sine frequency the phone sends (default 440).
	ToneHz int
	// RecordDir, if set, makes the phone write what it receives and sends
	// to WAV files there (baresip's sndfile module: one
	// dump-<peer>-<time>-dec.wav (received) and -enc.wav (sent) per
	// call), so a test can check what a party heard.
	RecordDir string
	// Timeout bounds registration and unregistration (default 15 s).
	Timeout time.Duration
	// NoWait returns from Start without waiting for the endpoint to be
	// online (tests of failing registrations).
	NoWait bool
}

// Agent is a running baresip.
type Agent struct {
	opts  Options
	info  asterisktest.Info
	dir   string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *syncBuffer
	done  chan struct{}
	err   error // Wait's result, after done

	mu      sync.Mutex
	stopped bool
}

// Start writes a baresip configuration for the user into a temporary
// directory, starts baresip and waits until the endpoint is online.
func Start(t testing.TB, o Options) *Agent {
	t.Helper()
	if o.User == "" || o.Password == "" {
		t.Fatal("sipagent: Options.User and Options.Password are required")
	}
	if o.Registrar == "" {
		o.Registrar = "127.0.0.1:5060"
	}
	if o.ToneHz <= 0 {
		o.ToneHz = 440
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	info := o.Asterisk
	if info.URL == "" {
		info = asterisktest.Require(t)
	}
	bin, err := exec.LookPath("baresip")
	if err != nil {
		unavailable(t, "baresip is not installed: run asterisk-conf/local/ensure-baresip.sh")
	}
	if o.ListenPort == 0 {
		if o.ListenPort, err = freeUDPPort(); err != nil {
			t.Fatalf("sipagent: %v", err)
		}
	}
	dir := t.TempDir()
	if err := writeConfig(dir, o); err != nil {
		t.Fatalf("sipagent: %v", err)
	}
	a := &Agent{opts: o, info: info, dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	a.cmd = exec.Command(bin, "-f", dir)
	a.cmd.Dir = dir
	a.cmd.Stdout, a.cmd.Stderr = a.out, a.out
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if a.stdin, err = a.cmd.StdinPipe(); err != nil {
		t.Fatalf("sipagent: %v", err)
	}
	if err := a.cmd.Start(); err != nil {
		t.Fatalf("sipagent: start baresip: %v", err)
	}
	go func() { a.err = a.cmd.Wait(); close(a.done) }()
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("sipagent %s: %v", o.User, err)
		}
		if t.Failed() {
			t.Logf("sipagent %s: baresip output:\n%s", o.User, a.Output())
		}
	})
	if !o.NoWait {
		// Our own REGISTER must have succeeded (a stale contact of an
		// earlier run could make the endpoint look online already), then
		// Asterisk must report the endpoint online.
		if err := a.waitOutput(o.User+"@", "200 OK", o.Timeout); err != nil {
			t.Fatalf("sipagent %s: not registered: %v\nbaresip output:\n%s", o.User, err, a.Output())
		}
		if err := a.WaitState("online", o.Timeout); err != nil {
			t.Fatalf("sipagent %s: not registered: %v\nbaresip output:\n%s", o.User, err, a.Output())
		}
	}
	return a
}

func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("sipagent: %s (CI=true)", why)
	}
	t.Skipf("sipagent: skipping: %s", why)
}

// writeConfig writes config, accounts and contacts for baresip 1.x.
func writeConfig(dir string, o Options) error {
	mode := "auto"
	if o.Manual {
		mode = "manual"
	}
	conf := fmt.Sprintf(`# sipagent (Switchyard tests)
poll_method		epoll
sip_listen		127.0.0.1:%d
audio_player		aubridge,sipagent-nil
audio_source		ausine,%d
audio_alert		aubridge,sipagent-nil
ausrc_srate		48000
ausrc_channels		2
rtp_ports		40000-49998
module_path		/usr/lib/baresip/modules
module			stdio.so
module			g711.so
module			ausine.so
module			aubridge.so
module_app		account.so
module_app		menu.so
`, o.ListenPort, o.ToneHz)
	if o.RecordDir != "" {
		conf += "module\t\t\tsndfile.so\nsnd_path\t\t" + o.RecordDir + "\n"
	}
	// auth_pass in the account line; ';' and '>' would break its syntax.
	if strings.ContainsAny(o.Password, ";>\n") || strings.ContainsAny(o.User, ";>@:\n") {
		return fmt.Errorf("user/password %q/%q: characters ; > @ : are not supported", o.User, o.Password)
	}
	acct := fmt.Sprintf("<sip:%s@%s>;auth_pass=%s;answermode=%s;regint=300\n", o.User, o.Registrar, o.Password, mode)
	for name, content := range map[string]string{"config": conf, "accounts": acct, "contacts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// freeUDPPort picks a port free for UDP and for TCP on 127.0.0.1: baresip
// listens on both (a port the kernel hands out for UDP may be a TCP
// listener's, e.g. the test daemon's HTTP server).
func freeUDPPort() (int, error) {
	// baresip listens on the port over UDP and TCP, and on the next one
	// over TLS: take a port free for all three (a port free over UDP only
	// may be a local TCP connection's, and baresip would exit with
	// "Address already in use").
	for range 50 {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("pick a free UDP port: %w", err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		l1, err1 := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
		l2, err2 := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port+1))
		c.Close()
		for _, l := range []net.Listener{l1, l2} {
			if l != nil {
				l.Close()
			}
		}
		if err1 == nil && err2 == nil {
			return port, nil
		}
	}
	return 0, errors.New("pick a free SIP port (UDP, TCP and the next over TCP): none in 50 tries")
}

// User is the SIP user / endpoint name.
func (a *Agent) User() string { return a.opts.User }

// Port is baresip's SIP port.
func (a *Agent) Port() int { return a.opts.ListenPort }

// Output is everything baresip printed so far.
func (a *Agent) Output() string { return a.out.String() }

// command sends a menu command (one key, e.g. "b", or "/long args").
func (a *Agent) command(cmd string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped {
		return errors.New("sipagent: baresip stopped")
	}
	if strings.HasPrefix(cmd, "/") {
		cmd += "\n"
	}
	_, err := io.WriteString(a.stdin, cmd)
	return err
}

// Hangup hangs up the agent's current call (menu key "b").
func (a *Agent) Hangup() error { return a.command("b") }

// Answer answers a ringing call (menu key "a"; Options.Manual).
func (a *Agent) Answer() error { return a.command("a") }

// Stop quits baresip (it unregisters), kills it if it does not exit, and
// waits until Asterisk reports the endpoint offline. Idempotent.
func (a *Agent) Stop() error {
	a.mu.Lock()
	if a.stopped {
		a.mu.Unlock()
		return nil
	}
	a.stopped = true
	_, _ = io.WriteString(a.stdin, "q")
	a.mu.Unlock()
	select {
	case <-a.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-a.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
			<-a.done
		}
	}
	_ = a.stdin.Close()
	return a.WaitState("offline", a.opts.Timeout)
}

// waitOutput waits for a line of baresip's output that starts with prefix
// and contains part.
func (a *Agent) waitOutput(prefix, part string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		for _, line := range strings.Split(a.Output(), "\n") {
			if strings.HasPrefix(line, prefix) && strings.Contains(line, part) {
				return nil
			}
		}
		select {
		case <-a.done:
			return fmt.Errorf("baresip exited (%v)", a.err)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no %q line from baresip after %v", part, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Done is closed when baresip has exited.
func (a *Agent) Done() <-chan struct{} { return a.done }

// ErrNoEndpoint: Asterisk has no endpoint of the agent's user name.
var ErrNoEndpoint = errors.New("sipagent: no such endpoint")

// State returns the endpoint's state as ARI reports it (online, offline,
// unknown); ErrNoEndpoint when there is no such endpoint.
func (a *Agent) State(ctx context.Context) (string, error) {
	u := a.info.URL + "/endpoints/PJSIP/" + url.PathEscape(a.opts.User)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(a.info.User, a.info.Password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return "", fmt.Errorf("%w: PJSIP/%s", ErrNoEndpoint, a.opts.User)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: HTTP %d %s", u, resp.StatusCode, bytes.TrimSpace(body))
	}
	var ep struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(body, &ep); err != nil {
		return "", fmt.Errorf("GET %s: %w", u, err)
	}
	return ep.State, nil
}

// WaitState polls the endpoint until ARI reports state (online/offline).
// A missing endpoint counts as offline.
func (a *Agent) WaitState(state string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	last, lastErr := "", error(nil)
	for {
		st, err := a.State(ctx)
		if err == nil && st == state || state == "offline" && errors.Is(err, ErrNoEndpoint) {
			return nil
		}
		last, lastErr = st, err
		if state == "online" {
			select {
			case <-a.done:
				return fmt.Errorf("baresip exited (%v) before the endpoint was online", a.err)
			default:
			}
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("endpoint PJSIP/%s not %s after %v: %w", a.opts.User, state, timeout, lastErr)
			}
			return fmt.Errorf("endpoint PJSIP/%s is %q, not %s, after %v", a.opts.User, last, state, timeout)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// syncBuffer is a goroutine-safe bytes.Buffer with a cap (the oldest
// output is dropped beyond 1 MiB).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		rest := s.b.Bytes()[s.b.Len()/2:]
		var nb bytes.Buffer
		nb.Write(rest)
		s.b = nb
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
