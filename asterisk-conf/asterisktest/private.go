package asterisktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/internal/testkit"
)

// Private is an Asterisk of one test's own: started from the local dev
// chroot (asterisk-conf/local/up.sh builds it) with this tree's
// configuration, but its own directories, HTTP/ARI port, SIP port and
// control socket, so a fault test may restart or stop it (core restart
// now) without disturbing the shared instance other tests use.
type Private struct {
	Info
	// SIPPort is its PJSIP UDP transport's port on 127.0.0.1 (phones
	// register at 127.0.0.1:SIPPort).
	SIPPort int
	// TLSPort is its HTTPS port on 127.0.0.1 (the WebRTC phone's
	// wss://127.0.0.1:TLSPort/ws), 0 when up.sh has not made the
	// certificate yet.
	TLSPort int
	root    string
	dir     string // inside the root, as seen from outside it
	conf    string // asterisk.conf path inside the chroot
	cmd     *exec.Cmd
	done    chan struct{}
}

// StartPrivate starts a private Asterisk and waits until its ARI answers;
// it is stopped when the test ends. Without the local chroot (or without
// root, which chroot needs) the test is skipped, or fails under CI=true.
func StartPrivate(t testing.TB) *Private {
	t.Helper()
	shared := Require(t) // builds the chroot if needed
	s, err := loadSettings()
	if err != nil {
		unavailable(t, err)
	}
	root := s.root()
	if _, err := os.Stat(filepath.Join(root, "usr", "sbin", "asterisk")); err != nil || os.Geteuid() != 0 {
		unavailable(t, fmt.Errorf("a private Asterisk needs the local chroot %s and root (chroot): %v", root, err))
	}
	cdir, err := confDir()
	if err != nil {
		unavailable(t, err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := "sy-private-" + hex.EncodeToString(b[:])
	inside := "/tmp/" + id
	p := &Private{root: root, dir: filepath.Join(root, "tmp", id), conf: inside + "/etc/asterisk.conf", done: make(chan struct{})}
	for _, d := range []string{"etc", "run", "log", "spool/recording", "lib", "cache"} {
		if err := os.MkdirAll(filepath.Join(p.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = os.RemoveAll(p.dir) })
	httpPort, err := freeTCPPort()
	if err != nil {
		t.Fatal(err)
	}
	sipPort, err := freeUDPPort()
	if err != nil {
		t.Fatal(err)
	}
	password := hex.EncodeToString(b[:]) + "-private"
	files, _ := filepath.Glob(filepath.Join(cdir, "*.conf"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Base(f) {
		case "asterisk.conf":
			data = append([]byte(fmt.Sprintf("[directories]\nastetcdir => %[1]s/etc\nastrundir => %[1]s/run\nastlogdir => %[1]s/log\n"+
				"astspooldir => %[1]s/spool\nastdbdir => %[1]s/lib\nastcachedir => %[1]s/cache\n"+
				"astvarlibdir => /var/lib/asterisk\nastdatadir => /usr/share/asterisk\nastmoddir => /usr/lib/x86_64-linux-gnu/asterisk/modules\n\n", inside)), data...)
		case "http.conf":
			data = regexp.MustCompile(`(?m)^bindport\s*=.*$`).ReplaceAll(data, fmt.Appendf(nil, "bindport = %d", httpPort))
			// HTTPS (the WebRTC phone's wss://) on a port of its own, or
			// off when up.sh has not made the certificate yet.
			tls := "tlsenable = no"
			if _, err := os.Stat(filepath.Join(root, "var", "lib", "asterisk", "keys", "switchyard-http.pem")); err == nil {
				if tlsPort, err := freeTCPPort(); err == nil {
					tls = fmt.Sprintf("tlsenable = yes\ntlsbindaddr = 127.0.0.1:%d", tlsPort)
					p.TLSPort = tlsPort
				}
			}
			data = regexp.MustCompile(`(?m)^tlsbindaddr\s*=.*$`).ReplaceAll(data, nil)
			data = regexp.MustCompile(`(?m)^tlsenable\s*=.*$`).ReplaceAll(data, []byte(tls))
		case "pjsip.conf":
			data = regexp.MustCompile(`(?m)^bind\s*=\s*127\.0\.0\.1:5060\s*$`).ReplaceAll(data, fmt.Appendf(nil, "bind = 127.0.0.1:%d", sipPort))
		}
		if err := os.WriteFile(filepath.Join(p.dir, "etc", filepath.Base(f)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tpl, err := os.ReadFile(filepath.Join(cdir, "ari.conf.in"))
	if err != nil {
		t.Fatal(err)
	}
	ari := strings.NewReplacer("@ARI_USER@", shared.User, "@ARI_PASSWORD@", password).Replace(string(tpl))
	if err := os.WriteFile(filepath.Join(p.dir, "etc", "ari.conf"), []byte(ari), 0o600); err != nil {
		t.Fatal(err)
	}
	if mods, _ := filepath.Glob(filepath.Join(root, "usr", "lib", "*", "asterisk", "modules")); len(mods) > 0 {
		// The module directory of this root's architecture.
		rel := strings.TrimPrefix(mods[0], root)
		conf := filepath.Join(p.dir, "etc", "asterisk.conf")
		data, _ := os.ReadFile(conf)
		data = bytes.Replace(data, []byte("/usr/lib/x86_64-linux-gnu/asterisk/modules"), []byte(rel), 1)
		if err := os.WriteFile(conf, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := fmt.Sprintf("http://127.0.0.1:%d/ari", httpPort)
	p.Info = Info{URL: base, User: shared.User, Password: password, WSURL: wsURL(base)}
	p.SIPPort = sipPort
	// Foreground (-f) under this process: ours to stop; `core restart now`
	// re-executes it in place.
	p.cmd = exec.Command("chroot", root, "/usr/sbin/asterisk", "-f", "-n", "-C", p.conf)
	p.cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "HOME=/root"}
	logf, err := os.Create(filepath.Join(p.dir, "log", "console.log"))
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start private Asterisk: %v", err)
	}
	go func() { _ = p.cmd.Wait(); _ = logf.Close(); close(p.done) }()
	t.Cleanup(p.stop)
	if err := p.WaitReady(90 * time.Second); err != nil {
		t.Fatalf("private Asterisk: %v; console: %s", err, p.consoleTail())
	}
	return p
}

// WaitReady waits until ARI answers 200 (after a start or restart).
// HostPath is where a path inside the chroot (as Asterisk sees it, e.g. a
// file its dialplan wrote under /tmp) is seen from the test.
func (p *Private) HostPath(inside string) string { return filepath.Join(p.root, inside) }

func (p *Private) WaitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		code, err := probe(p.URL, p.User, p.Password)
		if err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("asterisk exited")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ARI at %s not ready after %v (last: %d %v)", p.URL, d, code, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// CLI runs one CLI command on the private instance.
func (p *Private) CLI(t testing.TB, command string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", p.root, "/usr/sbin/asterisk", "-C", p.conf, "-rx", command)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("private Asterisk CLI %q: %v: %s", command, err, out)
	}
	return string(out)
}

func (p *Private) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
}

func (p *Private) consoleTail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "log", "console.log"))
	return lastLines(string(b), 20)
}

// freeTCPPort and freeUDPPort pick the private Asterisk's ports outside the
// ephemeral range: RestartNow brings it back on the same ports, which an
// outgoing connection could otherwise take while it is down.
func freeTCPPort() (int, error) { return testkit.StablePort("tcp") }

func freeUDPPort() (int, error) { return testkit.StablePort("udp") }

// RestartNow runs `core restart now` (calls in progress are hung up,
// Asterisk re-executes itself) and returns at once; WaitReady waits for it
// to answer again. The CLI connection may drop with the restart, so its
// exit status is not checked.
func (p *Private) RestartNow(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "chroot", p.root, "/usr/sbin/asterisk", "-C", p.conf, "-rx", "core restart now")
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"}
	out, err := cmd.CombinedOutput()
	t.Logf("core restart now: %v %s", err, strings.TrimSpace(string(out)))
	// Until it stops answering: WaitReady then waits for the new life.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, err := probe(p.URL, p.User, p.Password); err != nil || code != http.StatusOK {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("private Asterisk still answers 30 s after core restart now")
}
