package storetest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PrivatePostgres is a PostgreSQL cluster of one test's own (initdb and
// pg_ctl on a free loopback port, in a temp directory), so a fault test can
// stop and start it without disturbing the shared server other tests use.
type PrivatePostgres struct {
	// URL reaches the cluster's database "test" as user postgres.
	URL string

	t    testing.TB
	bin  string
	dir  string // data directory
	sock string
	port int
	as   *syscall.Credential // run the server as postgres when we are root
}

// StartPrivatePostgres creates and starts a private cluster, removed when
// the test ends. It needs the PostgreSQL server binaries (initdb, pg_ctl:
// .ci/ensure-postgres.sh installs them); without them the test is skipped,
// or fails under CI=true.
func StartPrivatePostgres(t testing.TB) *PrivatePostgres {
	t.Helper()
	bin, err := serverBin()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("private PostgreSQL: %v (CI=true: a skipped integration test is a failure)", err)
		}
		t.Skipf("private PostgreSQL: %v", err)
	}
	base, err := os.MkdirTemp("", "sy-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p := &PrivatePostgres{t: t, bin: bin, dir: filepath.Join(base, "data"), sock: base}
	t.Cleanup(func() {
		_ = p.ctl("stop", "-m", "immediate", "-w")
		_ = os.RemoveAll(base)
	})
	if os.Geteuid() == 0 {
		// initdb refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("private PostgreSQL as root needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		p.as = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(base, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if p.port, err = freePort(); err != nil {
		t.Fatal(err)
	}
	if out, err := p.run("initdb", "-D", p.dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"); err != nil {
		t.Fatalf("initdb: %v: %s", err, out)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	p.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/test?sslmode=disable", p.port)
	admin, err := sql.Open("pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", p.port))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE test"); err != nil {
		t.Fatalf("private PostgreSQL: create database: %v", err)
	}
	return p
}

// Start starts the (stopped) cluster and waits until it accepts
// connections.
func (p *PrivatePostgres) Start() error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", p.port, p.sock)
	if err := p.ctl("start", "-w", "-t", "60", "-l", filepath.Join(p.sock, "log"), "-o", opts); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.sock, "log"))
		return fmt.Errorf("private PostgreSQL start: %w: %s", err, lastLog(log))
	}
	return nil
}

// Stop stops the cluster at once (fast shutdown: connections are closed,
// in-flight transactions rolled back), like a database that goes away.
func (p *PrivatePostgres) Stop() error {
	if err := p.ctl("stop", "-m", "fast", "-w", "-t", "60"); err != nil {
		return fmt.Errorf("private PostgreSQL stop: %w", err)
	}
	return nil
}

func (p *PrivatePostgres) ctl(args ...string) error {
	args = append([]string{"-D", p.dir}, args...)
	out, err := p.run("pg_ctl", args...)
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", args[2], err, strings.TrimSpace(out))
	}
	return nil
}

func (p *PrivatePostgres) run(prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(p.bin, prog), args...)
	cmd.Dir = p.sock
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C.UTF-8", "LC_ALL=C.UTF-8"}
	if p.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.as}
	}
	// pg_ctl start leaves the server running with its output going to the
	// log: do not wait for inherited pipes.
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	return out.String(), err
}

// serverBin finds the newest installed PostgreSQL server binaries.
func serverBin() (string, error) {
	if d := os.Getenv("SWITCHYARD_PG_BINDIR"); d != "" {
		return d, nil
	}
	ms, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	slices.SortFunc(ms, func(a, b string) int {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(a))))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(b))))
		return va - vb
	})
	if len(ms) > 0 {
		return filepath.Dir(ms[len(ms)-1]), nil
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (pg_ctl, initdb) found; set SWITCHYARD_PG_BINDIR or run .ci/ensure-postgres.sh")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func lastLog(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 10 {
		lines = lines[len(lines)-10:]
	}
	return strings.Join(lines, "\n")
}
