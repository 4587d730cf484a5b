package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the "sqlite" database/sql driver (third_party/go-sqlite)
)

// TestSQLiteDriverStatementCache: the SQLite driver (Switchyard's copy,
// third_party/go-sqlite) keeps each connection's statements compiled and
// runs them again; a statement must then behave as one compiled afresh:
// new values bound each time (none left from the last run), the same
// statement run again while its rows are still open, a failed run
// followed by a good one, SQL of several statements, more distinct
// statements than the cache holds, and a statement interrupted by its
// context.
func TestSQLiteDriverStatementCache(t *testing.T) {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db")+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	db.SetMaxOpenConns(1) // every statement on one connection, as the store's writer
	ctx := context.Background()
	mustExec := func(q string, args ...any) sql.Result {
		t.Helper()
		res, err := db.ExecContext(ctx, q, args...)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return res
	}
	mustExec(`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, at DATETIME, b BLOB)`)

	// The same INSERT with different values, text and blob bound from
	// memory the driver frees after each run.
	const ins = `INSERT INTO t (name, at, b) VALUES (?, ?, ?)`
	at := time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)
	for i := range 10 {
		res := mustExec(ins, fmt.Sprintf("n%d", i), at.Add(time.Duration(i)*time.Second), []byte{byte(i), 0, byte(i)})
		if id, _ := res.LastInsertId(); id != int64(i+1) {
			t.Fatalf("insert %d: last id %d", i, id)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("insert %d: %d rows", i, n)
		}
	}
	// A failed run (unique name), then the statement works again.
	if _, err := db.ExecContext(ctx, ins, "n3", nil, nil); err == nil {
		t.Fatal("duplicate name inserted")
	}
	mustExec(ins, "n10", nil, nil)
	// NULLs bound: nothing left from an earlier run's values.
	var atNull sql.NullTime
	var bNull []byte
	if err := db.QueryRowContext(ctx, `SELECT at, b FROM t WHERE name = ?`, "n10").Scan(&atNull, &bNull); err != nil {
		t.Fatal(err)
	}
	if atNull.Valid || bNull != nil {
		t.Fatalf("n10: at %v, b %v: want NULLs", atNull, bNull)
	}

	// Values read back as before (a DATETIME column as a time).
	const sel = `SELECT id, name, at, b FROM t WHERE id = ?`
	for i := range 10 {
		var id int64
		var name string
		var got time.Time
		var b []byte
		if err := db.QueryRowContext(ctx, sel, i+1).Scan(&id, &name, &got, &b); err != nil {
			t.Fatal(err)
		}
		if name != fmt.Sprintf("n%d", i) || !got.Equal(at.Add(time.Duration(i)*time.Second)) || len(b) != 3 || b[0] != byte(i) {
			t.Fatalf("row %d: %d %q %v %v", i, id, name, got, b)
		}
	}

	// The same query run again while its first rows are open (in a
	// transaction: one connection), and a write meanwhile.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const all = `SELECT id FROM t WHERE id <= ? ORDER BY id`
	outer, err := tx.QueryContext(ctx, all, 3)
	if err != nil {
		t.Fatal(err)
	}
	var seen []int64
	for outer.Next() {
		var id int64
		if err := outer.Scan(&id); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, id)
		var inner []int64
		rows, err := tx.QueryContext(ctx, all, 2)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var j int64
			if err := rows.Scan(&j); err != nil {
				t.Fatal(err)
			}
			inner = append(inner, j)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len(inner) != 2 {
			t.Fatalf("inner query while the outer one is open: %v", inner)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE t SET name = name || '.' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 {
		t.Fatalf("outer rows %v", seen)
	}
	// A query left before its end, then run again from the start.
	for range 3 {
		rows, err := db.QueryContext(ctx, all, 10)
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		if !rows.Next() || rows.Scan(&id) != nil || id != 1 {
			t.Fatalf("first row %d", id)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// Several statements in one Exec.
	mustExec(`UPDATE t SET name = name || '!' WHERE id = 1; UPDATE t SET name = name || '!' WHERE id = 2;`)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM t WHERE name LIKE '%!'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("several statements: %d rows changed (%v)", n, err)
	}

	// More distinct statements than the cache holds: older ones are
	// finalized and compiled again when needed.
	for i := range 600 {
		var v int
		if err := db.QueryRowContext(ctx, fmt.Sprintf("SELECT %d + ?", i), 1).Scan(&v); err != nil || v != i+1 {
			t.Fatalf("statement %d: %d (%v)", i, v, err)
		}
	}
	if err := db.QueryRowContext(ctx, sel, 1).Scan(new(int64), new(string), new(time.Time), new([]byte)); err != nil {
		t.Fatal(err)
	}

	// A statement interrupted by its context, then run to its end.
	const slow = `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) SELECT count(*) FROM c`
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	// (Exec: the driver interrupts a statement while it runs it; rows
	// are stepped outside that.)
	_, err = db.ExecContext(cctx, slow, 1_000_000_000)
	cancel()
	if err == nil {
		t.Fatal("a billion rows counted in 20 ms: not interrupted")
	}
	if err := db.QueryRowContext(ctx, slow, 1000).Scan(&n); err != nil || n != 1000 {
		t.Fatalf("after the interrupt: %d (%v)", n, err)
	}
	// A prepared statement (database/sql's) runs from the cache too.
	st, err := db.PrepareContext(ctx, `SELECT name FROM t WHERE id = ?`)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		var name string
		if err := st.QueryRowContext(ctx, i+4).Scan(&name); err != nil || name != fmt.Sprintf("n%d", i+3) {
			t.Fatalf("prepared %d: %q (%v)", i, name, err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	// A compile error is reported, every time.
	for range 2 {
		if _, err := db.ExecContext(ctx, `UPDATE nosuch SET x = 1`); err == nil {
			t.Fatal("statement on a missing table ran")
		}
	}
	// Schema changes are picked up by compiled statements.
	const star = `SELECT * FROM t WHERE id = ?`
	if err := db.QueryRowContext(ctx, star, 1).Scan(new(int64), new(string), new(sql.NullTime), new([]byte)); err != nil {
		t.Fatal(err)
	}
	mustExec(`ALTER TABLE t ADD COLUMN extra INTEGER NOT NULL DEFAULT 7`)
	var extra int
	if err := db.QueryRowContext(ctx, star, 1).Scan(new(int64), new(string), new(sql.NullTime), new([]byte), &extra); err != nil || extra != 7 {
		t.Fatalf("after ALTER: %d (%v)", extra, err)
	}
	if err := db.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		t.Fatal(err)
	}
}
