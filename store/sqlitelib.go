package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// liteConn is a connection straight to the SQLite C API of
// modernc.org/sqlite/lib: the same engine (the same Go translation of the
// same SQLite) that the gorm driver runs, without database/sql on top.
//
// Only the call-list bulk import uses it, because that is where the
// driver's overheads dominate: the gorm driver re-prepares every statement
// (a million rows cost nine seconds of SQL parsing), takes the connection
// mutex for every bound value, and steps once per row. Here a multi-row
// INSERT is prepared once and re-bound per batch, the values are bound
// straight from one reused C buffer (SQLITE_STATIC: no copy inside SQLite),
// and the connection is opened without its mutex (SQLITE_OPEN_NOMUTEX): it
// is used by one goroutine at a time, by construction.
//
// It is not registered as a database/sql driver: the gorm driver already
// owns the name "sqlite", and a second registration panics.
type liteConn struct {
	tls *libc.TLS
	db  uintptr

	// Interrupts (context cancellation) come from another goroutine; that
	// is the one call SQLite allows across threads on a NOMUTEX connection.
	imu    sync.Mutex
	itls   *libc.TLS
	closed bool
}

// openLiteConn opens path (which must exist) read-write with pragmas
// (statements run in order, e.g. "PRAGMA foreign_keys=ON").
func openLiteConn(path string, pragmas ...string) (*liteConn, error) {
	c := &liteConn{tls: libc.NewTLS(), itls: libc.NewTLS()}
	cpath, err := libc.CString(path)
	if err != nil {
		c.freeTLS()
		return nil, fmt.Errorf("sqlite open %s: %w", path, err)
	}
	defer libc.Xfree(c.tls, cpath)
	pdb := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	rc := sqlite3.Xsqlite3_open_v2(c.tls, cpath, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	c.db = *(*uintptr)(cmem(pdb))
	c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	if rc != sqlite3.SQLITE_OK {
		err := c.error(rc)
		c.close()
		return nil, fmt.Errorf("sqlite open %s: %w", path, err)
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	for _, p := range pragmas {
		if err := c.exec(p); err != nil {
			c.close()
			return nil, fmt.Errorf("sqlite open %s: %w", path, err)
		}
	}
	return c, nil
}

func (c *liteConn) freeTLS() {
	c.tls.Close()
	c.itls.Close()
}

// close closes the connection (finalizing nothing: every statement is
// finalized by its user).
func (c *liteConn) close() {
	c.imu.Lock()
	c.closed = true
	c.imu.Unlock()
	if c.db != 0 {
		sqlite3.Xsqlite3_close_v2(c.tls, c.db)
		c.db = 0
	}
	c.freeTLS()
}

// interruptOn makes ctx's cancellation abort the running statement
// (SQLITE_INTERRUPT); call the returned stop when done.
func (c *liteConn) interruptOn(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() {
		c.imu.Lock()
		defer c.imu.Unlock()
		if !c.closed {
			sqlite3.Xsqlite3_interrupt(c.itls, c.db)
		}
	})
}

// cmem turns an address in SQLite's C heap (modernc's allocator: memory
// the Go collector neither owns nor moves) into a pointer.
func cmem(p uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), p) }

// liteError is an SQLite result code with the connection's message.
type liteError struct {
	code int32 // extended result code
	msg  string
}

func (e *liteError) Error() string {
	return fmt.Sprintf("%s (SQLite result code %d)", e.msg, e.code)
}

// liteConstraintForeignKey is SQLITE_CONSTRAINT_FOREIGNKEY.
const liteConstraintForeignKey = sqlite3.SQLITE_CONSTRAINT | 3<<8

func (c *liteConn) error(rc int32) error {
	if rc == sqlite3.SQLITE_OK || rc == sqlite3.SQLITE_DONE || rc == sqlite3.SQLITE_ROW {
		return nil
	}
	msg := "unknown error"
	if c.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(c.tls, c.db))
	}
	return &liteError{code: rc, msg: msg}
}

// exec runs one or more statements without parameters.
func (c *liteConn) exec(sql string) error {
	q, err := libc.CString(sql)
	if err != nil {
		return err
	}
	defer libc.Xfree(c.tls, q)
	if err := c.error(sqlite3.Xsqlite3_exec(c.tls, c.db, q, 0, 0, 0)); err != nil {
		return fmt.Errorf("%s: %w", firstWords(sql), err)
	}
	return nil
}

// execArgs runs one statement with positional parameters and returns the
// number of rows it changed.
func (c *liteConn) execArgs(sql string, args ...any) (int64, error) {
	st, err := c.prepare(sql)
	if err != nil {
		return 0, err
	}
	defer st.finalize()
	if err := st.bind(args); err != nil {
		return 0, err
	}
	if err := st.step(); err != nil {
		return 0, err
	}
	return int64(sqlite3.Xsqlite3_changes(c.tls, c.db)), nil
}

// query runs one statement and calls fn for each result row.
func (c *liteConn) query(sql string, args []any, fn func(*liteStmt) error) error {
	st, err := c.prepare(sql)
	if err != nil {
		return err
	}
	defer st.finalize()
	if err := st.bind(args); err != nil {
		return err
	}
	for {
		rc := sqlite3.Xsqlite3_step(c.tls, st.p)
		switch rc {
		case sqlite3.SQLITE_ROW:
			if err := fn(st); err != nil {
				return err
			}
		case sqlite3.SQLITE_DONE:
			return nil
		default:
			return fmt.Errorf("%s: %w", firstWords(sql), c.error(rc))
		}
	}
}

func firstWords(sql string) string {
	if len(sql) > 40 {
		return sql[:40] + "…"
	}
	return sql
}

// liteStmt is a prepared statement and the C buffer its text values are
// bound from.
type liteStmt struct {
	c      *liteConn
	p      uintptr
	sql    string
	params int
	buf    uintptr
	bufCap int
}

func (c *liteConn) prepare(sql string) (*liteStmt, error) {
	q, err := libc.CString(sql)
	if err != nil {
		return nil, err
	}
	defer libc.Xfree(c.tls, q)
	pp := c.tls.Alloc(int(unsafe.Sizeof(uintptr(0))))
	defer c.tls.Free(int(unsafe.Sizeof(uintptr(0))))
	if err := c.error(sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, q, -1, pp, 0)); err != nil {
		return nil, fmt.Errorf("prepare %s: %w", firstWords(sql), err)
	}
	st := &liteStmt{c: c, p: *(*uintptr)(cmem(pp)), sql: sql}
	st.params = int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, st.p))
	return st, nil
}

func (st *liteStmt) finalize() {
	if st.p != 0 {
		sqlite3.Xsqlite3_finalize(st.c.tls, st.p)
		st.p = 0
	}
	if st.buf != 0 {
		libc.Xfree(st.c.tls, st.buf)
		st.buf, st.bufCap = 0, 0
	}
}

// bind binds args to the parameters 1…len(args), which must be all of
// them. Supported: nil, string, int, int64, time.Time, *time.Time
// (times in the text form the gorm driver writes and reads). Texts are
// copied into the statement's buffer and bound SQLITE_STATIC: they stay
// valid until the next bind, and the caller steps before that.
func (st *liteStmt) bind(args []any) error {
	if len(args) != st.params {
		return fmt.Errorf("%s: %d values for %d parameters", firstWords(st.sql), len(args), st.params)
	}
	// Times become text first, so the buffer can be sized in one pass.
	var need int
	for i, a := range args {
		switch v := a.(type) {
		case string:
			need += len(v)
		case time.Time:
			args[i] = v.Format(sqliteTimeFormat)
			need += len(args[i].(string))
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.Format(sqliteTimeFormat)
				need += len(args[i].(string))
			}
		}
	}
	if err := st.reserve(need); err != nil {
		return err
	}
	tls := st.c.tls
	off := 0
	for i, a := range args {
		n := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(tls, st.p, n)
		case string:
			rc = st.text(n, v, &off)
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, st.p, n, v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(tls, st.p, n, int64(v))
		default:
			return fmt.Errorf("%s: parameter %d: unsupported type %T", firstWords(st.sql), n, a)
		}
		if rc != sqlite3.SQLITE_OK {
			return fmt.Errorf("%s: bind %d: %w", firstWords(st.sql), n, st.c.error(rc))
		}
	}
	return nil
}

// text binds s to parameter n from the buffer at *off (which must have
// room: reserve) and advances *off.
func (st *liteStmt) text(n int32, s string, off *int) int32 {
	p := st.buf + uintptr(*off)
	copy(unsafe.Slice((*byte)(cmem(p)), len(s)), s)
	*off += len(s)
	// A zero-length text at a valid pointer is '' (not NULL).
	return sqlite3.Xsqlite3_bind_text(st.c.tls, st.p, n, p, int32(len(s)), 0)
}

// liteRecord is a call-list record ready to bind: recordValues with its
// times already in the driver's text form.
type liteRecord struct {
	recordValues
	start string // when hasStart
	at    string
}

// bindRecords binds rs to a multi-row INSERT of recordCols with exactly
// len(rs) rows (no boxing, no time formatting: this is the import's hot
// loop).
func (st *liteStmt) bindRecords(rs []liteRecord) error {
	const cols = 14
	if len(rs)*cols != st.params {
		return fmt.Errorf("%s: %d records for %d parameters", firstWords(st.sql), len(rs), st.params)
	}
	need := 0
	for i := range rs {
		r := &rs[i]
		need += len(r.requestID) + len(r.clientIdentifier) + len(r.primary) + len(r.numbers) + len(r.variables) +
			len(r.start) + len(r.scheduleExtension) + len(r.status) + len(r.reason) + 2*len(r.at) + len(r.line)
	}
	if err := st.reserve(need); err != nil {
		return err
	}
	tls, p := st.c.tls, st.p
	off := 0
	for i := range rs {
		r := &rs[i]
		n := int32(i*cols + 1)
		rc := st.text(n, r.requestID, &off) |
			sqlite3.Xsqlite3_bind_int64(tls, p, n+1, r.accountID) |
			sqlite3.Xsqlite3_bind_int64(tls, p, n+2, r.row) |
			st.text(n+3, r.clientIdentifier, &off) |
			st.text(n+4, r.primary, &off) |
			st.text(n+5, r.numbers, &off) |
			st.text(n+6, r.variables, &off)
		if r.hasStart {
			rc |= st.text(n+7, r.start, &off)
		} else {
			rc |= sqlite3.Xsqlite3_bind_null(tls, p, n+7)
		}
		rc |= st.text(n+8, r.scheduleExtension, &off) |
			st.text(n+9, r.status, &off) |
			st.text(n+10, r.reason, &off) |
			st.text(n+11, r.at, &off) |
			st.text(n+12, r.at, &off) |
			st.text(n+13, r.line, &off)
		if rc != sqlite3.SQLITE_OK {
			return fmt.Errorf("%s: bind row %d: %w", firstWords(st.sql), r.row, st.c.error(sqlite3.Xsqlite3_extended_errcode(tls, st.c.db)))
		}
	}
	return nil
}

// reserve makes the buffer hold at least n bytes (and never a null
// pointer, so an empty text binds as ”).
func (st *liteStmt) reserve(n int) error {
	n = max(n, 1)
	if n <= st.bufCap {
		return nil
	}
	c := max(n, 2*st.bufCap, 4096)
	p := libc.Xmalloc(st.c.tls, uint64(c))
	if p == 0 {
		return fmt.Errorf("%s: out of memory for %d bytes of values", firstWords(st.sql), c)
	}
	if st.buf != 0 {
		libc.Xfree(st.c.tls, st.buf)
	}
	st.buf, st.bufCap = p, c
	return nil
}

// step runs a statement that returns no rows, then resets it for the next
// bind.
func (st *liteStmt) step() error {
	rc := sqlite3.Xsqlite3_step(st.c.tls, st.p)
	sqlite3.Xsqlite3_reset(st.c.tls, st.p)
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		return fmt.Errorf("%s: %w", firstWords(st.sql), st.c.error(rc))
	}
	return nil
}

// columnText reads result column i as text ("" for NULL).
func (st *liteStmt) columnText(i int) string {
	p := sqlite3.Xsqlite3_column_text(st.c.tls, st.p, int32(i))
	if p == 0 {
		return ""
	}
	n := sqlite3.Xsqlite3_column_bytes(st.c.tls, st.p, int32(i))
	return string(unsafe.Slice((*byte)(cmem(p)), n))
}

func (st *liteStmt) columnInt64(i int) int64 {
	return int64(sqlite3.Xsqlite3_column_int64(st.c.tls, st.p, int32(i)))
}

func (st *liteStmt) columnIsNull(i int) bool {
	return sqlite3.Xsqlite3_column_type(st.c.tls, st.p, int32(i)) == sqlite3.SQLITE_NULL
}

// isLiteFKViolation reports a foreign-key failure from a liteConn.
func isLiteFKViolation(err error) bool {
	var le *liteError
	return errors.As(err, &le) && le.code == liteConstraintForeignKey
}

// isLiteInterrupt reports a statement aborted by interruptOn.
func isLiteInterrupt(err error) bool {
	var le *liteError
	return errors.As(err, &le) && le.code&0xff == sqlite3.SQLITE_INTERRUPT
}
