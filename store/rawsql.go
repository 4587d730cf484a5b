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
	q    string
	once sync.Once
	pg   string
}

func raw(q string) *rawStmt { return &rawStmt{q: q} }

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
	res, err := tx.Statement.ConnPool.ExecContext(ctx, q, args...)
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
func (s *Store) rawQuery(tx *gorm.DB, r *rawStmt, args []any, scan func(*sql.Rows) error) error {
	q := r.sql(s.driver)
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	begin := time.Now()
	var n int64
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, q, args...)
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
