package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// rawStmt is a per-call statement (attempt start, answer, end, journey,
// record outcome) run on the transaction's connection without gorm's
// statement building, whose reflection and allocations were most of a
// call's CPU in the store. It is written with ? placeholders, rendered
// once per driver ($n on PostgreSQL), and traced like gorm's statements
// (counted, logged when slow or failed).
type rawStmt struct {
	q      string
	pgOnly bool
	once   sync.Once
	pg     string
}

func raw(q string) *rawStmt {
	r := &rawStmt{q: q}
	rawStmts = append(rawStmts, r)
	return r
}

// rawPG is a rawStmt only PostgreSQL runs (SQLite cannot prepare it).
func rawPG(q string) *rawStmt {
	r := raw(q)
	r.pgOnly = true
	return r
}

func (r *rawStmt) sql(driver string) string {
	if driver != DriverPostgres {
		return r.q
	}
	r.once.Do(func() {
		var b strings.Builder
		n := 0
		for i := 0; i < len(r.q); i++ {
			if r.q[i] == '?' {
				n++
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(n))
				continue
			}
			b.WriteByte(r.q[i])
		}
		r.pg = b.String()
	})
	return r.pg
}

// rawExec runs a statement on tx's connection and returns the rows it
// affected.
func (s *Store) rawExec(tx *gorm.DB, r *rawStmt, args ...any) (int64, error) {
	q := r.sql(s.driver)
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	begin := time.Now()
	var res sql.Result
	var err error
	if st := s.rawPrepared(ctx, tx, r); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = tx.Statement.ConnPool.ExecContext(ctx, q, args...)
	}
	var n int64 = -1
	if err == nil {
		n, err = res.RowsAffected()
	}
	err = translate(err)
	tx.Logger.Trace(ctx, begin, func() (string, int64) { return q, n }, err)
	return n, err
}

// rawQuery runs a statement on tx's connection and calls scan for each
// row.
func (s *Store) rawQuery(tx *gorm.DB, r *rawStmt, args []any, scan func(rowScanner) error) error {
	q := r.sql(s.driver)
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	begin := time.Now()
	var n int64
	var rows *sql.Rows
	var err error
	if st := s.rawPrepared(ctx, tx, r); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = tx.Statement.ConnPool.QueryContext(ctx, q, args...)
	}
	if err == nil {
		for rows.Next() {
			n++
			if err = scan(rows); err != nil {
				break
			}
		}
		if cerr := rows.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = rows.Err()
		}
	}
	err = translate(err)
	tx.Logger.Trace(ctx, begin, func() (string, int64) { return q, n }, err)
	return err
}

// rawPrepared returns r prepared on tx's connection (SQLite, in a
// transaction; nil otherwise): SQLite compiles a statement every time it
// is run unless it is kept prepared, and the writer's single connection
// keeps the per-call statements prepared (prepareRaw). PostgreSQL's
// driver keeps them prepared by itself.
func (s *Store) rawPrepared(ctx context.Context, tx *gorm.DB, r *rawStmt) *sql.Stmt {
	if s.driver != DriverSQLite {
		return nil
	}
	sqlTx, ok := tx.Statement.ConnPool.(*sql.Tx)
	if !ok {
		return nil
	}
	v, ok := s.prepared.Load(r)
	if !ok {
		return nil
	}
	return sqlTx.StmtContext(ctx, v.(*sql.Stmt))
}

// rawStmts are the statements prepareRaw prepares.
var rawStmts []*rawStmt

// prepareRaw prepares the per-call statements on SQLite's writer
// connection, once they all prepare (the tables exist). It is called
// before a grouped write's transaction begins: the writer's one
// connection must be free to prepare on.
func (s *Store) prepareRaw(ctx context.Context) {
	if s.driver != DriverSQLite || s.rawReady.Load() {
		return
	}
	s.rawMu.Lock()
	defer s.rawMu.Unlock()
	if s.rawReady.Load() {
		return
	}
	db, err := s.w.DB()
	if err != nil {
		return
	}
	for _, r := range rawStmts {
		if _, ok := s.prepared.Load(r); ok || r.pgOnly {
			continue
		}
		st, err := db.PrepareContext(ctx, r.q)
		if err != nil {
			return // not migrated yet: the statements run unprepared
		}
		s.prepared.Store(r, st)
	}
	s.rawReady.Store(true)
}
