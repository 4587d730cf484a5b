package store

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		want    error
		mention []string
		hide    string
	}{
		{name: "sqlite without data dir", opts: Options{}, want: ErrInvalid, mention: []string{"SWITCHYARD_DATA_DIR"}},
		{name: "mysql scheme", opts: Options{URL: "mysql://u:pw@localhost/db"}, want: ErrInvalid,
			mention: []string{"SWITCHYARD_DATABASE_URL", `"mysql"`}, hide: "pw@"},
		{name: "sqlite scheme", opts: Options{URL: "sqlite:///tmp/x.db"}, want: ErrInvalid, mention: []string{"SWITCHYARD_DATABASE_URL"}},
		{name: "no scheme", opts: Options{URL: "localhost:5432"}, want: ErrInvalid, mention: []string{"SWITCHYARD_DATABASE_URL"}},
		{name: "unparsable", opts: Options{URL: "postgres://u:topsecret@%zz/db"}, want: ErrInvalid,
			mention: []string{"SWITCHYARD_DATABASE_URL"}, hide: "topsecret"},
		{name: "postgres unreachable", opts: Options{URL: "postgres://u:topsecret@127.0.0.1:1/db?sslmode=disable&connect_timeout=2"},
			mention: []string{"SWITCHYARD_DATABASE_URL", "connect"}, hide: "topsecret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(ctxT(t), tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			for _, m := range tt.mention {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("err %q does not mention %q", err, m)
				}
			}
			if tt.hide != "" && strings.Contains(err.Error(), tt.hide) {
				t.Errorf("err %q leaks %q", err, tt.hide)
			}
		})
	}
}

func TestOpenSQLiteCreatesPrivateDataDirAndPragmas(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nested", "data dir?#x")
	s, err := Open(ctxT(t), Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("data dir mode %v, want 0700", st.Mode().Perm())
	}
	if _, err := os.Stat(filepath.Join(dir, SQLiteFileName)); err != nil {
		t.Errorf("database file not where expected: %v", err)
	}
	if s.Driver() != DriverSQLite {
		t.Errorf("Driver() = %q", s.Driver())
	}
	if err := s.Ping(ctxT(t)); err != nil {
		t.Errorf("Ping: %v", err)
	}
	ctx := ctxT(t)
	for _, tc := range []struct {
		pragma string
		want   string
	}{
		{"journal_mode", "wal"},
		{"busy_timeout", "10000"},
		{"foreign_keys", "1"},
		{"synchronous", "1"}, // NORMAL
	} {
		var got string
		if err := s.w.WithContext(ctx).Raw("PRAGMA " + tc.pragma).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(got, tc.want) {
			t.Errorf("writer PRAGMA %s = %q, want %q", tc.pragma, got, tc.want)
		}
	}
	wsql, _ := s.w.DB()
	if n := wsql.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool max open = %d, want 1", n)
	}
	var qo string
	if err := s.r.WithContext(ctx).Raw("PRAGMA query_only").Scan(&qo).Error; err != nil {
		t.Fatal(err)
	}
	if qo != "1" {
		t.Errorf("reader PRAGMA query_only = %q, want 1", qo)
	}
	if err := s.r.WithContext(ctx).Exec("CREATE TABLE nope (x int)").Error; err == nil {
		t.Error("reader pool accepted a write")
	}
}

func TestMigrate(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s, _ := openTestStore(t, d) // migrated once
			ctx := ctxT(t)
			if err := s.Migrate(ctx); err != nil { // twice: no-op
				t.Fatalf("second Migrate: %v", err)
			}
			ids, err := s.AppliedMigrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids, MigrationIDs()) {
				t.Errorf("applied %v, want %v", ids, MigrationIDs())
			}
			if ids[0] != "0001_initial" {
				t.Errorf("first migration %q", ids[0])
			}
			m := s.w.WithContext(ctx).Migrator()
			for _, tbl := range []string{"accounts", "users", "api_keys", "calls", "call_attempts", "attempt_journeys"} {
				if !m.HasTable(tbl) {
					t.Errorf("table %s missing", tbl)
				}
			}
			for tbl, idx := range map[string]string{
				"call_attempts": "ix_call_attempts_open", "users": "ux_users_account_email", "api_keys": "ix_api_keys_prefix",
			} {
				if !m.HasIndex(tbl, idx) {
					t.Errorf("index %s on %s missing", idx, tbl)
				}
			}
			// Usable schema: a full round trip works after the double migrate.
			a := mustAccount(t, s, "m")
			mustStart(t, s, AttemptStart{AccountID: a.ID, Direction: DirectionInbound, ChannelID: "c1"})

			// A database migrated by a newer binary is refused.
			if err := s.w.WithContext(ctx).Exec("INSERT INTO " + MigrationsTable + " (id) VALUES ('9999_future')").Error; err != nil {
				t.Fatal(err)
			}
			err = s.Migrate(ctx)
			if !errors.Is(err, gormigrate.ErrUnknownPastMigration) || !strings.Contains(err.Error(), "newer Switchyard") {
				t.Errorf("Migrate with unknown past migration: %v", err)
			}
		})
	}
}

// Several processes starting at once against a fresh database must not trip
// over each other (PostgreSQL advisory lock, SQLite BEGIN IMMEDIATE).
func TestMigrateConcurrent(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			so := freshOptions(t, d)
			const n = 4
			stores := make([]*Store, n)
			for i := range stores {
				stores[i], _ = openStoreWith(t, so, testStoreOpts{noMigrate: true})
			}
			ctx := ctxT(t)
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i, s := range stores {
				wg.Go(func() { errs[i] = s.Migrate(ctx) })
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("store %d: Migrate: %v", i, err)
				}
			}
			ids, err := stores[0].AppliedMigrations(ctx)
			if err != nil || !slices.Equal(ids, MigrationIDs()) {
				t.Errorf("applied %v (%v), want %v", ids, err, MigrationIDs())
			}
		})
	}
}

func TestObserveHook(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			type obs struct {
				op  string
				d   time.Duration
				err error
			}
			var mu sync.Mutex
			var got []obs
			s, _ := openTestStore(t, d, testStoreOpts{mutate: func(o *Options) {
				o.Observe = func(op string, d time.Duration, err error) {
					mu.Lock()
					got = append(got, obs{op, d, err})
					mu.Unlock()
				}
			}})
			ctx := ctxT(t)
			a := mustAccount(t, s, "obs")
			if _, err := s.GetAccount(ctx, a.ID+1000); !errors.Is(err, ErrNotFound) {
				t.Fatalf("GetAccount: %v", err)
			}
			mu.Lock()
			defer mu.Unlock()
			var sawMigrate, sawCreate, sawNotFound bool
			for _, o := range got {
				switch {
				case o.op == "Migrate" && o.err == nil:
					sawMigrate = true
				case o.op == "CreateAccount" && o.err == nil && o.d > 0:
					sawCreate = true
				case o.op == "GetAccount" && errors.Is(o.err, ErrNotFound):
					sawNotFound = true
				}
			}
			if !sawMigrate || !sawCreate || !sawNotFound {
				t.Errorf("observations %+v: migrate=%v create=%v notfound=%v", got, sawMigrate, sawCreate, sawNotFound)
			}
		})
	}
}

func TestSQLLogging(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s, rec := openTestStore(t, d, testStoreOpts{expectErrorLogs: true, mutate: func(o *Options) {
				o.SlowQuery = time.Nanosecond // everything is "slow"
			}})
			ctx := ctxT(t)
			before := len(rec.records())
			// Not found: no error-level log.
			if _, err := s.GetAccount(ctx, 424242); !errors.Is(err, ErrNotFound) {
				t.Fatal(err)
			}
			// Duplicate: mapped to ErrConflict, no error-level log.
			mustAccount(t, s, "dup")
			if _, err := s.CreateAccount(ctx, "dup"); !errors.Is(err, ErrConflict) {
				t.Fatal(err)
			}
			for _, r := range rec.records()[before:] {
				if r.Level >= slog.LevelError {
					t.Errorf("unexpected error log for an expected answer: %s", r.Message)
				}
			}
			// A real failure is logged at error level, without bind values.
			before = len(rec.records())
			if err := s.w.WithContext(ctx).Exec("SELECT * FROM no_such_table WHERE x = ?", "hunter2-secret").Error; err == nil {
				t.Fatal("query on a missing table succeeded")
			}
			var sawErr, sawSlow bool
			for _, r := range rec.records()[before:] {
				var sqlText string
				r.Attrs(func(a slog.Attr) bool {
					if a.Key == "sql" {
						sqlText = a.Value.String()
					}
					return true
				})
				if strings.Contains(sqlText, "hunter2") {
					t.Errorf("bind value leaked into log: %s", sqlText)
				}
				if r.Level == slog.LevelError && strings.Contains(sqlText, "no_such_table") {
					sawErr = true
				}
			}
			for _, r := range rec.records() {
				if r.Level == slog.LevelWarn && r.Message == "slow sql" {
					sawSlow = true
				}
			}
			if !sawErr {
				t.Error("failed statement not logged at error level")
			}
			if !sawSlow {
				t.Error("slow statement not logged at warn level")
			}
		})
	}
}

func TestPingAfterClose(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			so := freshOptions(t, d)
			s, err := Open(ctxT(t), so)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(ctxT(t)); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(ctxT(t)); err == nil {
				t.Error("Ping after Close succeeded")
			}
		})
	}
}

var _ = context.Background

// A failing migration leaves no trace: earlier DDL of the same run is rolled
// back and its ID is not recorded.
func TestMigrateFailureRollsBack(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			s, _ := openTestStore(t, d, testStoreOpts{expectErrorLogs: true})
			ctx := ctxT(t)
			s.extraMigrations = []*gormigrate.Migration{
				{ID: "9998_test_ok", Migrate: func(tx *gorm.DB) error {
					return tx.Exec("CREATE TABLE half_done (id INTEGER PRIMARY KEY)").Error
				}},
				{ID: "9999_test_broken", Migrate: func(tx *gorm.DB) error {
					return tx.Exec("ALTER TABLE no_such_table ADD COLUMN x INTEGER").Error
				}},
			}
			if err := s.Migrate(ctx); err == nil {
				t.Fatal("Migrate with a broken migration succeeded")
			}
			if s.w.WithContext(ctx).Migrator().HasTable("half_done") {
				t.Error("DDL of the failed run was not rolled back")
			}
			ids, err := s.AppliedMigrations(ctx)
			if err != nil || !slices.Equal(ids, MigrationIDs()) {
				t.Errorf("applied after failure = %v, %v", ids, err)
			}
			// Fixed: the next run applies both.
			s.extraMigrations[1].Migrate = func(tx *gorm.DB) error { return nil }
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			ids, _ = s.AppliedMigrations(ctx)
			if want := append(MigrationIDs(), "9998_test_ok", "9999_test_broken"); !slices.Equal(ids, want) {
				t.Errorf("applied = %v, want %v", ids, want)
			}
		})
	}
}

// On SQLite a table rebuild (the only way to change most column definitions)
// drops the parent table; with foreign keys on, that would cascade-delete
// every attempt of every call. Migrate runs with them off and checks them
// before commit, and enforcement is back on afterwards.
func TestMigrateSQLiteTableRebuildKeepsChildren(t *testing.T) {
	s, _ := openTestStore(t, DriverSQLite, testStoreOpts{expectErrorLogs: true})
	ctx := ctxT(t)
	acc := mustAccount(t, s, "a")
	at := mustStart(t, s, inbound(acc.ID, "c1"))
	// SQLite's documented 12-step rebuild, as gorm's SQLite migrator does it.
	rebuild := func(tx *gorm.DB) error {
		var ddl string
		if err := tx.Raw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'calls'").Scan(&ddl).Error; err != nil {
			return err
		}
		for _, q := range []string{
			strings.Replace(ddl, "CREATE TABLE `calls`", "CREATE TABLE `calls_new`", 1),
			"INSERT INTO calls_new SELECT * FROM calls",
			"DROP TABLE calls",
			"ALTER TABLE calls_new RENAME TO calls",
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		return nil
	}
	s.extraMigrations = []*gormigrate.Migration{{ID: "0002_test_rebuild_calls", Migrate: rebuild}}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAttempt(ctx, acc.ID, at.ID); err != nil {
		t.Errorf("attempt lost by the calls rebuild: %v", err)
	}
	var fk int
	if err := s.w.WithContext(ctx).Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != 1 {
		t.Errorf("foreign_keys after Migrate = %d, %v; want 1", fk, err)
	}
	// A migration that leaves dangling references is refused.
	s.extraMigrations = append(s.extraMigrations, &gormigrate.Migration{ID: "0003_test_dangling", Migrate: func(tx *gorm.DB) error {
		return tx.Exec("DELETE FROM calls").Error
	}})
	if err := s.Migrate(ctx); err == nil || !strings.Contains(err.Error(), "foreign key violations") {
		t.Errorf("Migrate leaving dangling call_attempts: %v", err)
	}
	if _, err := s.GetCall(ctx, acc.ID, at.CallID); err != nil {
		t.Errorf("refused migration was not rolled back: %v", err)
	}
}
