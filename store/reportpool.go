package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Reports run on their own connection pool (rep), never on the pool the
// dialer, the call flows and the API write through: a tenant's heavy
// report queries then wait for each other — at most ReportConns of them
// at once — instead of taking every connection while another tenant's
// campaign needs them to record outcomes. Each report query is bounded by
// ReportTimeout: on PostgreSQL as the pool's statement_timeout (the server
// cancels it, even if the client went away), and on both drivers as a
// context deadline. /healthz (Ping) does not use this pool.

// Defaults of the report pool.
const (
	DefaultReportConns   = 4
	DefaultReportTimeout = 5 * time.Minute
)

// openReportPool opens rep after w/r are open.
func (s *Store) openReportPool(ctx context.Context, o Options, cfg func() *gorm.Config) error {
	n := o.ReportConns
	if n <= 0 {
		n = DefaultReportConns
	}
	s.repTimeout = o.ReportTimeout
	if s.repTimeout <= 0 {
		s.repTimeout = DefaultReportTimeout
	}
	var db *gorm.DB
	var err error
	switch s.driver {
	case DriverPostgres:
		u, perr := url.Parse(o.URL)
		if perr != nil {
			return fmt.Errorf("store: report pool: %w", ErrInvalid)
		}
		q := u.Query()
		// Runtime parameters of every connection of the pool (pgx sends
		// unknown connection-string keys as such).
		q.Set("statement_timeout", strconv.FormatInt(s.repTimeout.Milliseconds(), 10))
		q.Set("default_transaction_read_only", "on")
		q.Set("application_name", "switchyard-reports")
		u.RawQuery = q.Encode()
		db, err = gorm.Open(postgres.New(postgres.Config{DSN: u.String()}), cfg())
		if err != nil {
			return fmt.Errorf("store: report pool %s: %w", u.Redacted(), err)
		}
	default:
		base := (&url.URL{Scheme: "file", Path: s.sqlitePath}).String()
		q := url.Values{}
		q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()))
		q.Add("_pragma", "query_only(1)")
		db, err = gorm.Open(sqlite.Open(base+"?"+q.Encode()), cfg())
		if err != nil {
			return fmt.Errorf("store: report pool %s: %w", s.sqlitePath, err)
		}
	}
	sqldb, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: report pool: %w", err)
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxLifetime(30 * time.Minute)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqldb.PingContext(ctx); err != nil {
		_ = sqldb.Close()
		return fmt.Errorf("store: report pool: connect: %w", err)
	}
	s.rep = db
	return nil
}

// isStatementTimeout reports PostgreSQL's "canceling statement due to
// statement timeout" (SQLSTATE 57014 with that reason; a cancel for other
// reasons, e.g. the client's, has another message).
func isStatementTimeout(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "57014" && strings.Contains(pe.Message, "statement timeout")
}

// reportCtx bounds a report by the report timeout; call cancel when the
// report is done.
func (s *Store) reportCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.repTimeout)
}

// ReportPoolStats are the report pool's database/sql statistics.
func (s *Store) ReportPoolStats() (inUse, waitCount int64) {
	sqldb, err := s.rep.DB()
	if err != nil {
		return 0, 0
	}
	st := sqldb.Stats()
	return int64(st.InUse), st.WaitCount
}

// PoolStats are the database/sql statistics of the store's writer pool
// (PostgreSQL: the pool every write and the dialer's reads use).
func (s *Store) PoolStats() sql.DBStats {
	sqldb, err := s.w.DB()
	if err != nil {
		return sql.DBStats{}
	}
	return sqldb.Stats()
}
