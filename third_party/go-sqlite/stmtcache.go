// Switchyard's change to the driver: a per-connection cache of prepared
// statements.
//
// Upstream compiles (sqlite3_prepare_v2) every statement each time it is
// run and finalizes it afterwards, even a statement prepared through
// database/sql: on Switchyard's per-call writes that was about a sixth of
// the daemon's CPU time. Here a connection keeps its most recently used
// single statements compiled, and runs one again after sqlite3_reset and
// sqlite3_clear_bindings. Values are bound and read back exactly as
// before (the same bind and rows code); SQL of several statements, and a
// statement whose compiled form is still in use by open rows, take the
// upstream path.

package sqlite

import (
	"context"
	"database/sql/driver"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// stmtCacheSize is how many compiled statements a connection keeps.
const stmtCacheSize = 256

type cachedStmt struct {
	query  string
	pstmt  uintptr // 0: the SQL cannot be cached (several statements, or none)
	busy   bool    // in use (its rows are open)
	orphan bool    // the connection closed its cache while its rows were open
	// The least recently used list (the cache's head is the most recent).
	prev, next *cachedStmt
}

type stmtCache struct {
	m    map[string]*cachedStmt
	head cachedStmt // sentinel of the circular list
}

func (sc *stmtCache) unlink(cs *cachedStmt) {
	cs.prev.next = cs.next
	cs.next.prev = cs.prev
}

func (sc *stmtCache) pushFront(cs *cachedStmt) {
	cs.prev = &sc.head
	cs.next = sc.head.next
	sc.head.next.prev = cs
	sc.head.next = cs
}

// cached returns query's compiled statement, ready to be bound and
// stepped, or nil when query takes the upstream path.
func (c *conn) cached(query string) *cachedStmt {
	sc := &c.stmts
	if sc.m == nil {
		sc.m = make(map[string]*cachedStmt)
		sc.head.prev, sc.head.next = &sc.head, &sc.head
	}
	if cs, ok := sc.m[query]; ok {
		if cs.pstmt == 0 || cs.busy {
			return nil
		}
		sc.unlink(cs)
		sc.pushFront(cs)
		return cs
	}
	cs := &cachedStmt{query: query}
	if p, err := c.prepareOne(query); err == nil {
		cs.pstmt = p
	} else if err != errNotOne {
		// A compile error: the upstream path reports it.
		return nil
	}
	sc.m[query] = cs
	sc.pushFront(cs)
	for len(sc.m) > stmtCacheSize {
		old := sc.head.prev
		if old == cs || old.busy {
			break
		}
		sc.unlink(old)
		delete(sc.m, old.query)
		if old.pstmt != 0 {
			sqlite3.Xsqlite3_finalize(c.tls, old.pstmt)
		}
	}
	if cs.pstmt == 0 {
		return nil
	}
	return cs
}

type notOne struct{}

func (notOne) Error() string { return "not a single statement" }

var errNotOne error = notOne{}

// prepareOne compiles query if it is exactly one statement (trailing
// blanks and semicolons allowed), else returns errNotOne.
func (c *conn) prepareOne(query string) (uintptr, error) {
	cq, err := libc.CString(query)
	if err != nil {
		return 0, err
	}
	defer c.free(cq)
	psql := cq
	pstmt, err := c.prepareV2(&psql)
	if err != nil {
		return 0, err
	}
	if pstmt == 0 {
		return 0, errNotOne
	}
	for p := psql; ; p++ {
		switch *(*byte)(unsafe.Pointer(p)) {
		case 0:
			return pstmt, nil
		case ' ', '\t', '\n', '\r', ';':
			continue
		}
		sqlite3.Xsqlite3_finalize(c.tls, pstmt)
		return 0, errNotOne
	}
}

// release makes a cached statement ready for its next use and frees the
// values bound to it.
func (c *conn) release(cs *cachedStmt, allocs []uintptr) {
	sqlite3.Xsqlite3_reset(c.tls, cs.pstmt)
	sqlite3.Xsqlite3_clear_bindings(c.tls, cs.pstmt)
	for _, v := range allocs {
		c.free(v)
	}
	cs.busy = false
}

// execCached runs a cached statement to its end (as upstream's exec: the
// first step; a statement returning rows has done its writes by then).
func (c *conn) execCached(ctx context.Context, cs *cachedStmt, args []driver.NamedValue) (driver.Result, error) {
	var done int32
	if ctx != nil && ctx.Done() != nil {
		defer interruptOnDone(ctx, c, &done)()
	}
	if atomic.LoadInt32(&done) != 0 {
		return nil, ctx.Err()
	}
	cs.busy = true
	var allocs []uintptr
	err := func() error {
		n, err := c.bindParameterCount(cs.pstmt)
		if err != nil {
			return err
		}
		if n != 0 {
			if allocs, err = c.bind(cs.pstmt, n, args); err != nil {
				return err
			}
		}
		rc, err := c.step(cs.pstmt)
		if err != nil {
			return err
		}
		switch rc & 0xff {
		case sqlite3.SQLITE_DONE, sqlite3.SQLITE_ROW:
			return nil
		default:
			return c.errstr(int32(rc))
		}
	}()
	c.release(cs, allocs)
	if err != nil {
		return nil, err
	}
	return newResult(c)
}

// queryCached binds a cached statement and returns its rows, which
// release it when closed.
func (c *conn) queryCached(ctx context.Context, cs *cachedStmt, args []driver.NamedValue) (driver.Rows, error) {
	var done int32
	if ctx != nil && ctx.Done() != nil {
		defer interruptOnDone(ctx, c, &done)()
	}
	if atomic.LoadInt32(&done) != 0 {
		return nil, ctx.Err()
	}
	cs.busy = true
	n, err := c.bindParameterCount(cs.pstmt)
	if err != nil {
		c.release(cs, nil)
		return nil, err
	}
	allocs, err := c.bind(cs.pstmt, n, args)
	if err != nil {
		c.release(cs, nil) // bind freed its own allocations
		return nil, err
	}
	r := &rows{c: c, pstmt: cs.pstmt, allocs: allocs, cached: cs}
	// The first step before the columns are read: a statement compiled
	// before a schema change (SELECT * of an altered table) is compiled
	// again by its step, and its columns are then the new ones.
	r.peekRC, r.peekErr = c.step(cs.pstmt)
	r.peeked = true
	if err := r.init(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// closeStmts finalizes the connection's cached statements (before it
// closes); one whose rows are still open is finalized by their Close.
func (c *conn) closeStmts() {
	for _, cs := range c.stmts.m {
		if cs.pstmt != 0 && !cs.busy {
			sqlite3.Xsqlite3_finalize(c.tls, cs.pstmt)
			cs.pstmt = 0
		}
		cs.orphan = true
	}
	c.stmts.m = nil
}
