package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" database/sql driver for the admin connection
)

// The store suite runs every test on both drivers. PostgreSQL comes from
// SWITCHYARD_TEST_DATABASE_URL (default below); each test gets its own fresh
// database (CREATE DATABASE sy_test_<random>, dropped afterwards), so
// parallel `go test` runs never collide. If PostgreSQL is unreachable the
// postgres half is skipped — except under CI=true, where that is a failure.

const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

var drivers = []string{DriverSQLite, DriverPostgres}

func testDatabaseURL() string {
	if u := os.Getenv("SWITCHYARD_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return defaultTestDatabaseURL
}

func skipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a skipped integration test is a failure)", msg)
	}
	t.Skipf("%s (set SWITCHYARD_TEST_DATABASE_URL or run .ci/ensure-postgres.sh)", msg)
}

var (
	pgOnce  sync.Once
	pgAdmin *sql.DB
	pgErr   error
)

// adminDB connects to the configured test database once per package run.
func adminDB(t testing.TB) *sql.DB {
	t.Helper()
	pgOnce.Do(func() {
		db, err := sql.Open("pgx", testDatabaseURL())
		if err != nil {
			pgErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			_ = db.Close()
			pgErr = err
			return
		}
		pgAdmin = db
	})
	if pgErr != nil {
		u, _ := url.Parse(testDatabaseURL())
		shown := testDatabaseURL()
		if u != nil {
			shown = u.Redacted()
		}
		skipOrFail(t, "PostgreSQL unreachable at %s: %v", shown, pgErr)
	}
	return pgAdmin
}

// freshPostgresURL creates an empty database and returns its URL; it is
// dropped when the test ends.
func freshPostgresURL(t testing.TB) string {
	t.Helper()
	admin := adminDB(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "sy_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u, err := url.Parse(testDatabaseURL())
	if err != nil {
		t.Fatalf("SWITCHYARD_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// logRecorder is a slog handler that forwards to the test output (warn and
// above) and remembers error-level records: an error log during a test is a
// failure unless the test expects it.
type logRecorder struct {
	mu     sync.Mutex
	errors []string
	all    []slog.Record
	out    slog.Handler
}

func (h *logRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h *logRecorder) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	h.all = append(h.all, r.Clone())
	if r.Level >= slog.LevelError {
		var b strings.Builder
		b.WriteString(r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
		h.errors = append(h.errors, b.String())
	}
	h.mu.Unlock()
	if r.Level >= slog.LevelWarn && h.out != nil {
		return h.out.Handle(ctx, r)
	}
	return nil
}
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *logRecorder) WithGroup(string) slog.Handler      { return h }

func (h *logRecorder) records() []slog.Record {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]slog.Record(nil), h.all...)
}

type testStoreOpts struct {
	expectErrorLogs bool
	noMigrate       bool
	mutate          func(*Options)
}

// freshOptions returns Options pointing at a new, empty database.
func freshOptions(t testing.TB, driver string) Options {
	t.Helper()
	var so Options
	switch driver {
	case DriverSQLite:
		so.DataDir = t.TempDir()
	case DriverPostgres:
		so.URL = freshPostgresURL(t)
	default:
		t.Fatalf("unknown driver %q", driver)
	}
	return so
}

// openTestStore opens a migrated store on a fresh database of the driver.
func openTestStore(t testing.TB, driver string, opts ...testStoreOpts) (*Store, *logRecorder) {
	t.Helper()
	return openStoreWith(t, freshOptions(t, driver), opts...)
}

// openStoreWith opens (and unless told otherwise migrates) a store with so;
// it is closed, and its error logs checked, when the test ends.
func openStoreWith(t testing.TB, so Options, opts ...testStoreOpts) (*Store, *logRecorder) {
	t.Helper()
	var o testStoreOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	var out io.Writer = io.Discard
	if tt, ok := t.(interface{ Output() io.Writer }); ok {
		out = tt.Output()
	}
	rec := &logRecorder{out: slog.NewTextHandler(out, nil)}
	so.Logger = slog.New(rec)
	if o.mutate != nil {
		o.mutate(&so)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(ctx, so)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	// Registered after the DROP DATABASE cleanup, so it runs before it.
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if !o.expectErrorLogs {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, e := range rec.errors {
				t.Errorf("unexpected error log: %s", e)
			}
		}
	})
	if !o.noMigrate {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate(%s): %v", s.Driver(), err)
		}
	}
	return s, rec
}

// forEachDriver runs fn as a subtest per driver, each on a fresh database.
func forEachDriver(t *testing.T, fn func(t *testing.T, s *Store)) {
	t.Helper()
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s, _ := openTestStore(t, d)
			fn(t, s)
		})
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func mustAccount(t testing.TB, s *Store, name string) Account {
	t.Helper()
	a, err := s.CreateAccount(ctxT(t), name)
	if err != nil {
		t.Fatalf("CreateAccount(%q): %v", name, err)
	}
	return a
}

func mustStart(t testing.TB, s *Store, in AttemptStart) Attempt {
	t.Helper()
	a, err := s.StartAttempt(ctxT(t), in)
	if err != nil {
		t.Fatalf("StartAttempt(%+v): %v", in, err)
	}
	return a
}
