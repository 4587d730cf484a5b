// Package store is Switchyard's persistence layer: gorm over embedded SQLite
// (pure Go, the default) or PostgreSQL, with versioned migrations and a
// multi-tenant schema (accounts, users, API keys, calls, call attempts = CDR,
// per-attempt journeys).
//
// Every read of tenant data takes the account id and filters on it, so a
// caller can never see another account's rows. The only cross-tenant reads are
// the explicitly system-level ones (ListAccounts, ListOpenAttempts for
// reconciliation, AuthenticateAPIKey which resolves the tenant).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Driver names returned by Store.Driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// SQLiteFileName is the database file created inside Options.DataDir.
const SQLiteFileName = "switchyard.db"

// sqliteBusyTimeout is how long a SQLite connection waits for a lock held by
// another connection or process before giving up with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// sqlitePageSize is the page size of a new SQLite database: 8 KiB (as
// PostgreSQL's blocks) rather than SQLite's 4 KiB, a quarter fewer page
// splits and WAL writes in a million-row call-list import (≈ +20 % rows/s)
// for twice the WAL bytes per small update. An existing database keeps the
// page size it was created with (VACUUM in journal_mode=DELETE changes it).
const sqlitePageSize = 8192

// sqliteJournalSizeLimit truncates the WAL back to 64 MiB after a
// checkpoint has reset it: a bulk import grows it to hundreds of MiB.
const sqliteJournalSizeLimit = 64 << 20

// Options configures Open.
type Options struct {
	// URL is SWITCHYARD_DATABASE_URL: empty selects embedded SQLite in
	// DataDir; postgres:// or postgresql:// selects PostgreSQL.
	URL string
	// DataDir holds the SQLite database (created 0700 if missing). Required
	// when URL is empty, ignored otherwise.
	DataDir string
	// Logger receives store and SQL logs. nil discards them.
	Logger *slog.Logger
	// Observe, if set, is called once per public Store operation with the
	// operation name (the method name, e.g. "StartAttempt": a small fixed
	// set, safe as a Prometheus label), its duration and its error (nil on
	// success; coded errors such as ErrNotFound are passed through so the
	// caller can decide what counts as a failure). It must be fast and safe
	// for concurrent use. It lets the HTTP layer export store latency without
	// this package importing Prometheus.
	Observe func(op string, d time.Duration, err error)
	// SlowQuery is the threshold above which a SQL statement is logged at
	// warn level. Zero means 200ms; negative disables slow-query logging.
	SlowQuery time.Duration
	// MaxOpenConns caps the PostgreSQL pool. Zero means 20. Ignored for
	// SQLite (see openSQLite for why).
	MaxOpenConns int
	// ReportConns sizes the report queries' own pool (zero: 4) and
	// ReportTimeout bounds one report query (zero: 5 minutes); see
	// reportpool.go.
	ReportConns   int
	ReportTimeout time.Duration
}

// Store is the persistence layer. It is safe for concurrent use.
type Store struct {
	driver string
	// w is used for every write and every transaction. r is used for plain
	// reads outside transactions. For PostgreSQL both are the same pool; for
	// SQLite w is a single connection and r a small read-only pool.
	w, r *gorm.DB
	// rep is the report queries' own pool (reportpool.go); repTimeout
	// bounds one report query.
	rep        *gorm.DB
	repTimeout time.Duration
	log        *slog.Logger
	observe    func(op string, d time.Duration, err error)

	// extraMigrations are appended to the real ones (tests only).
	extraMigrations []*gormigrate.Migration

	// sqlitePath is the SQLite database file (SQLite only).
	sqlitePath string
	// bg tracks background work (checkpoints after bulk imports); Close
	// waits for it.
	bg sync.WaitGroup
	// ckptMu guards ckptRunning/ckptAgain: at most one background
	// checkpoint runs at a time (see checkpointLater).
	ckptMu      sync.Mutex
	ckptRunning bool
	ckptAgain   bool

	// flows caches published flow versions for calls (flowcache.go).
	flows flowCache
	// exempt caches which flows are exempt from DNC scrubbing as approved
	// transactional flows (transactional.go).
	exempt genCache[flowExemption]
	// webhooks caches accounts' webhooks for calls (webhookcache.go).
	webhooks webhookCache
	// group commits concurrent per-call writes together (groupcommit.go).
	group groupCommit
	// pipedGroups counts the groups committed pipelined (grouppipe.go).
	pipedGroups atomic.Int64
	// open holds the attempts this store started and has not finished
	// (attempt id → openAttempt), so that their end needs no read of
	// the row (attempts.go).
	open sync.Map

	// stmts counts SQL statements while CountStatements runs.
	stmts *stmtCounter
	// prepared keeps the per-call statements prepared on SQLite's writer
	// connection (rawsql.go): *rawStmt → *sql.Stmt.
	prepared sync.Map
	rawMu    sync.Mutex
	rawReady atomic.Bool

	touchMu sync.Mutex
	touched map[int64]time.Time // api key id -> last time we wrote last_used_at
}

// Open connects to the database selected by o.URL and checks that it answers.
// It does not migrate; call Migrate.
func Open(ctx context.Context, o Options) (*Store, error) {
	base := o.Logger
	if base == nil {
		base = slog.New(slog.DiscardHandler)
	}
	log := base.With("component", "store")
	slow := o.SlowQuery
	if slow == 0 {
		slow = 200 * time.Millisecond
	}
	s := &Store{
		log:     log,
		observe: o.Observe,
		touched: make(map[int64]time.Time),
		stmts:   &stmtCounter{},
	}
	cfg := func() *gorm.Config {
		return &gorm.Config{
			Logger: newGormLogger(base.With("component", "store.sql"), slow, s.stmts),
			// Store all times in UTC with microsecond precision: that is what
			// PostgreSQL keeps, and it makes SQLite's text timestamps sort
			// correctly as strings.
			NowFunc:                func() time.Time { return now() },
			TranslateError:         true,
			SkipDefaultTransaction: true, // single statements are atomic anyway
		}
	}

	var err error
	switch {
	case strings.TrimSpace(o.URL) == "":
		err = s.openSQLite(ctx, o, cfg)
	default:
		u, perr := url.Parse(o.URL)
		if perr != nil {
			// url.Parse errors echo the input, which may hold a password.
			return nil, fmt.Errorf("store: SWITCHYARD_DATABASE_URL is not a valid URL: %w", ErrInvalid)
		}
		switch u.Scheme {
		case "postgres", "postgresql":
			err = s.openPostgres(ctx, o, u, cfg)
		default:
			return nil, fmt.Errorf("store: SWITCHYARD_DATABASE_URL %q: unsupported scheme %q (leave it empty for embedded SQLite or use postgres://user:pass@host:5432/db): %w",
				u.Redacted(), u.Scheme, ErrInvalid)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.openReportPool(ctx, o, cfg); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite opens DataDir/switchyard.db.
//
// Pool design: SQLite allows one writer at a time per database file. If
// several pooled connections try to write, the losers wait in the busy
// handler and — worse — a deferred transaction that read first and then
// tries to write fails immediately with SQLITE_BUSY (the busy handler is not
// invoked for lock upgrades, to avoid deadlock). So all writes and all
// transactions go through ONE connection (w, MaxOpenConns=1): writers queue
// in database/sql's pool (honouring their context) instead of fighting inside
// SQLite, and within this process SQLITE_BUSY cannot happen no matter how
// many goroutines write. Plain reads use a separate pool of query_only
// connections (r): in WAL mode readers never block the writer nor each
// other, so API reads do not queue behind a burst of CDR writes. The 10 s
// busy_timeout and BEGIN IMMEDIATE (_txlock=immediate) only matter when a
// second process (e.g. `switchyard migrate` next to a running server) opens
// the same file: then it waits for the lock instead of failing.
// synchronous=NORMAL is durable against application crashes in WAL mode and
// may lose only the last transactions on power loss; it avoids an fsync per
// commit.
func (s *Store) openSQLite(ctx context.Context, o Options, cfg func() *gorm.Config) error {
	if strings.TrimSpace(o.DataDir) == "" {
		return fmt.Errorf("store: embedded SQLite needs a data directory (SWITCHYARD_DATA_DIR) when SWITCHYARD_DATABASE_URL is empty: %w", ErrInvalid)
	}
	dir, err := filepath.Abs(o.DataDir)
	if err != nil {
		return fmt.Errorf("store: data dir %q: %w", o.DataDir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: create data dir (SWITCHYARD_DATA_DIR) %q: %w", dir, err)
	}
	path := filepath.Join(dir, SQLiteFileName)
	base := (&url.URL{Scheme: "file", Path: path}).String()
	pragmas := func(extra ...string) string {
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "synchronous(NORMAL)")
		for _, e := range extra {
			q.Add("_pragma", e)
		}
		return q.Encode()
	}

	// The writer sets journal_mode=WAL (persistent in the file) before any
	// reader connection exists.
	// page_size must come before journal_mode: it only applies to a
	// database with nothing written yet.
	// temp_store(MEMORY): the writer's statement journals (a statement
	// in a transaction that can fail half way saves the pages it changes,
	// as the per-call writes of a group do) are kept in small memory
	// chunks; with temp files they are 64 KiB buffers, allocated and freed
	// (mapped and unmapped) for every statement, which was a third of the
	// writer's CPU time. The writer sorts nothing large: readers keep temp
	// files.
	wdsn := base + "?" + pragmas(fmt.Sprintf("page_size(%d)", sqlitePageSize), "journal_mode(WAL)",
		fmt.Sprintf("journal_size_limit(%d)", sqliteJournalSizeLimit), "temp_store(MEMORY)") + "&_txlock=immediate"
	w, err := gorm.Open(sqlite.Open(wdsn), cfg())
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	wsql, err := w.DB()
	if err != nil {
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	wsql.SetMaxOpenConns(1)
	wsql.SetMaxIdleConns(1)
	wsql.SetConnMaxLifetime(0)
	wsql.SetConnMaxIdleTime(0)
	if err := wsql.PingContext(ctx); err != nil {
		_ = wsql.Close()
		return fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	var mode string
	if err := w.WithContext(ctx).Raw("PRAGMA journal_mode").Scan(&mode).Error; err != nil || !strings.EqualFold(mode, "wal") {
		_ = wsql.Close()
		return fmt.Errorf("store: sqlite %s: could not enable WAL (journal_mode=%q): %v", path, mode, err)
	}

	rdsn := base + "?" + pragmas("query_only(1)")
	r, err := gorm.Open(sqlite.Open(rdsn), cfg())
	if err != nil {
		_ = wsql.Close()
		return fmt.Errorf("store: open sqlite %s (readers): %w", path, err)
	}
	rsql, err := r.DB()
	if err != nil {
		_ = wsql.Close()
		return fmt.Errorf("store: open sqlite %s (readers): %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	rsql.SetMaxOpenConns(n)
	rsql.SetMaxIdleConns(n)
	rsql.SetConnMaxLifetime(0)
	rsql.SetConnMaxIdleTime(5 * time.Minute)
	if err := rsql.PingContext(ctx); err != nil {
		_ = wsql.Close()
		_ = rsql.Close()
		return fmt.Errorf("store: open sqlite %s (readers): %w", path, err)
	}
	s.driver, s.w, s.r, s.sqlitePath = DriverSQLite, w, r, path
	s.log.Info("store opened", "driver", DriverSQLite, "path", path)
	return nil
}

func (s *Store) openPostgres(ctx context.Context, o Options, u *url.URL, cfg func() *gorm.Config) error {
	db, err := gorm.Open(postgres.New(postgres.Config{DSN: o.URL}), cfg())
	if err != nil {
		return fmt.Errorf("store: SWITCHYARD_DATABASE_URL %s: %w", u.Redacted(), err)
	}
	sqldb, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: SWITCHYARD_DATABASE_URL %s: %w", u.Redacted(), err)
	}
	n := o.MaxOpenConns
	if n <= 0 {
		n = 20
	}
	// Postgres' default max_connections is 100; 20 per process leaves room
	// for several instances and admin sessions. Idle connections are kept
	// (cheap) but recycled so server-side restarts/failovers are picked up.
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return fmt.Errorf("store: SWITCHYARD_DATABASE_URL %s: connect: %w", u.Redacted(), err)
	}
	s.driver, s.w, s.r = DriverPostgres, db, db
	s.log.Info("store opened", "driver", DriverPostgres, "url", u.Redacted())
	return nil
}

// Driver reports "sqlite" or "postgres".
func (s *Store) Driver() string { return s.driver }

// Ping checks that the database answers (for /healthz).
func (s *Store) Ping(ctx context.Context) (err error) {
	defer s.track("Ping", time.Now(), &err)
	// Not the report pool: busy reports must not make the service look down.
	for _, db := range s.pools() {
		if db == s.rep {
			continue
		}
		sqldb, err := db.DB()
		if err != nil {
			return fmt.Errorf("store: ping: %w", err)
		}
		if err := sqldb.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s: %w", s.driver, err)
		}
	}
	return nil
}

// Close closes all connections. The store must not be used afterwards.
func (s *Store) Close() error {
	s.bg.Wait()
	var errs []error
	s.prepared.Range(func(_, v any) bool {
		if err := v.(*sql.Stmt).Close(); err != nil {
			errs = append(errs, err)
		}
		return true
	})
	for _, db := range s.pools() {
		sqldb, err := db.DB()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := sqldb.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

func (s *Store) pools() []*gorm.DB {
	ps := []*gorm.DB{s.w}
	if s.r != s.w {
		ps = append(ps, s.r)
	}
	if s.rep != nil {
		ps = append(ps, s.rep)
	}
	return ps
}

// track reports one operation to Options.Observe. Use as
// `defer s.track("Op", time.Now(), &err)`.
//
// It also marks a query the database cancelled at its statement_timeout
// (SQLSTATE 57014, the report pool's limit) with ErrQueryTimeout, so the
// API answers 504 instead of 500.
func (s *Store) track(op string, start time.Time, err *error) {
	if *err != nil && !errors.Is(*err, ErrQueryTimeout) && isStatementTimeout(*err) {
		*err = fmt.Errorf("%w: %w", ErrQueryTimeout, *err)
	}
	if s.observe != nil {
		s.observe(op, time.Since(start), *err)
	}
}

// now is the store's clock: UTC, microsecond precision (what PostgreSQL
// stores), so values read back equal values written on both drivers.
func now() time.Time { return norm(time.Now()) }

// norm brings a caller-supplied time to the store's representation.
func norm(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := norm(*t)
	return &v
}
