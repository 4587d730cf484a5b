package store

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// rowScanner is a result row (database/sql's or pgx's).
type rowScanner interface{ Scan(dest ...any) error }

// pipeStep is a grouped write's one-statement form on PostgreSQL: a group
// whose writes all have one is sent to the server pipelined instead of
// one round trip per statement, each of which, with both cores busy,
// waits for the server's process and then the daemon's to be scheduled
// again.
//
// One round trip (BEGIN, every write's trip statement, COMMIT in one
// batch) when every write of the group has a trip form: a statement that
// changes nothing when the write comes back incomplete and writes its own
// counters, so the group can commit before any result is read. A write
// that comes back incomplete is then made alone, in its full form, after
// the group committed (it changed nothing in the group).
//
// Otherwise two round trips: BEGIN and every write's statement, then the
// group's counters (added up from the results) and COMMIT. A write whose
// statement comes back with nothing done (a row not found, not leased,
// changed behind the store's copy) needs its full form (the grouped fn):
// the batch is rolled back and the group is made the usual way, as it is
// when any statement fails.
type pipeStep struct {
	stmt *rawStmt
	args []any
	// trip is the write's one-round-trip form (see above), tripArgs its
	// arguments (nil: args); nil: the write has none.
	trip     *rawStmt
	tripArgs []any
	// scan reads each row the statement returns; nil: it returns none,
	// and done is given the rows it affected.
	scan func(rowScanner) error
	// done is given how many rows the statement returned or affected; it
	// adds the write's counter updates to t and reports whether the write
	// is complete.
	done func(n int64, t *groupTotals) bool
}

// errPipeIncomplete: a write of a pipelined group needs its full form.
var errPipeIncomplete = errors.New("store: a pipelined write needs its full form")

// commitPiped commits a group of writes that all have a pipeStep on
// PostgreSQL in one or two pipelined batches. It reports false when the
// group was not committed and nothing of it remains (the caller makes it
// the usual way).
func (s *Store) commitPiped(ctx context.Context, batch []*groupJob) bool {
	db, err := s.w.DB()
	if err != nil {
		return false
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false
	}
	handled := false
	var redo []*groupJob
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return nil
		}
		var rerr error
		handled, redo, rerr = s.pipeGroup(ctx, sc.Conn(), batch)
		return rerr
	})
	if err != nil {
		s.log.Debug("pipelined group: connection dropped", "error", err)
	}
	_ = conn.Close()
	// The group's incomplete writes changed nothing in it: each is made
	// in its full form on its own.
	for _, j := range redo {
		s.alone(j)
	}
	return handled
}

// pipeGroup runs the group on c: in one batch when every write has a trip
// form, else in two. redo are the writes the group committed without (one
// batch only). A non-nil error means the connection is in an unknown state
// (database/sql drops it).
func (s *Store) pipeGroup(ctx context.Context, c *pgx.Conn, batch []*groupJob) (handled bool, redo []*groupJob, connErr error) {
	var live []*groupJob
	oneTrip := true
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err // its caller gave up before the group began
			continue
		}
		live = append(live, j)
		oneTrip = oneTrip && j.pipe.trip != nil
	}
	if len(live) == 0 {
		return true, nil, nil
	}
	if oneTrip {
		return s.pipeOneTrip(ctx, c, live)
	}
	handled, connErr = s.pipeTwoTrips(ctx, c, live)
	return handled, nil, connErr
}

// readPiped reads the result of the batch's next statement, p's stmt (or
// trip form): how many rows it returned (each given to p.scan) or
// affected.
func (s *Store) readPiped(ctx context.Context, br pgx.BatchResults, p *pipeStep, stmt *rawStmt) (n int64, err error) {
	begin := time.Now()
	if p.scan != nil {
		var rows pgx.Rows
		rows, err = br.Query()
		if err == nil {
			for rows.Next() {
				n++
				if err = p.scan(rows); err != nil {
					break
				}
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
	} else {
		tag, e := br.Exec()
		err, n = e, tag.RowsAffected()
	}
	err = translate(err)
	s.w.Logger.Trace(ctx, begin, func() (string, int64) { return stmt.sql(DriverPostgres), n }, err)
	return n, err
}

// pipeOneTrip sends BEGIN, every write's trip statement and COMMIT as one
// batch. A statement the server refuses skips the rest, COMMIT included:
// the group is rolled back and made the usual way. The connection failing
// once the batch is sent leaves the group's commit unknown, as a failed
// COMMIT does.
func (s *Store) pipeOneTrip(ctx context.Context, c *pgx.Conn, live []*groupJob) (handled bool, redo []*groupJob, connErr error) {
	var b pgx.Batch
	b.Queue("BEGIN")
	for _, j := range live {
		args := j.pipe.tripArgs
		if args == nil {
			args = j.pipe.args
		}
		b.Queue(j.pipe.trip.sql(DriverPostgres), args...)
	}
	b.Queue("COMMIT")
	br := c.SendBatch(ctx, &b)
	_, err := br.Exec()
	for i := 0; err == nil && i < len(live); i++ {
		p := live[i].pipe
		var n int64
		if n, err = s.readPiped(ctx, br, p, p.trip); err != nil {
			break
		}
		var t groupTotals // a trip statement writes its own counters
		if !p.done(n, &t) {
			redo = append(redo, live[i])
		}
	}
	atCommit := false
	if err == nil {
		_, err = br.Exec()
		atCommit = err != nil
	}
	cerr := br.Close()
	var pgErr *pgconn.PgError
	switch {
	case err == nil && cerr == nil:
		s.pipedGroups.Add(1)
		s.tripGroups.Add(1)
		return true, redo, nil
	case err == nil:
		return true, redo, driver.ErrBadConn // committed; the connection is dropped
	case !atCommit && errors.As(err, &pgErr):
		// The server refused a statement and skipped the rest: nothing of
		// the group is committed, and the usual way makes it again.
		if _, rerr := c.Exec(ctx, "ROLLBACK"); rerr != nil {
			return false, nil, driver.ErrBadConn
		}
		return false, nil, nil
	default:
		// The COMMIT failed, or the connection did with the COMMIT sent:
		// the group may or may not have committed, as any transaction's.
		for _, j := range live {
			j.err = fmt.Errorf("store: group commit: %w", translate(err))
		}
		return true, nil, driver.ErrBadConn
	}
}

// pipeTwoTrips runs the group's statements as one batch, then its
// counters and COMMIT as a second.
func (s *Store) pipeTwoTrips(ctx context.Context, c *pgx.Conn, live []*groupJob) (handled bool, connErr error) {
	var b pgx.Batch
	b.Queue("BEGIN")
	for _, j := range live {
		b.Queue(j.pipe.stmt.sql(DriverPostgres), j.pipe.args...)
	}
	br := c.SendBatch(ctx, &b)
	_, err := br.Exec()
	var totals groupTotals
	for i := 0; err == nil && i < len(live); i++ {
		p := live[i].pipe
		var n int64
		if n, err = s.readPiped(ctx, br, p, p.stmt); err != nil {
			break
		}
		var t groupTotals
		if !p.done(n, &t) {
			err = errPipeIncomplete
			break
		}
		totals.add(&t)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Nothing is committed: the usual way makes the group again.
		if _, rerr := c.Exec(ctx, "ROLLBACK"); rerr != nil {
			return false, driver.ErrBadConn
		}
		return false, nil
	}

	// The counters, then COMMIT.
	var b2 pgx.Batch
	stmts := totals.queue(&b2)
	b2.Queue("COMMIT")
	br2 := c.SendBatch(ctx, &b2)
	for i := 0; err == nil && i < len(stmts); i++ {
		begin := time.Now()
		tag, e := br2.Exec()
		s.w.Logger.Trace(ctx, begin, func() (string, int64) { return stmts[i], tag.RowsAffected() }, translate(e))
		if e == nil {
			continue
		}
		var pgErr *pgconn.PgError
		if !errors.As(e, &pgErr) {
			// The connection failed with the COMMIT sent: the group may or
			// may not have committed.
			_ = br2.Close()
			for _, j := range live {
				j.err = fmt.Errorf("store: group commit: %w", translate(e))
			}
			return true, driver.ErrBadConn
		}
		// The server refused a counter and skipped the COMMIT.
		err = e
	}
	if err == nil {
		if _, err = br2.Exec(); err != nil {
			// The COMMIT failed: the group may or may not have committed,
			// as any transaction's.
			_ = br2.Close()
			for _, j := range live {
				j.err = fmt.Errorf("store: group commit: %w", translate(err))
			}
			return true, driver.ErrBadConn
		}
		s.pipedGroups.Add(1)
		if cerr := br2.Close(); cerr != nil {
			return true, driver.ErrBadConn // committed; the connection is dropped
		}
		return true, nil
	}
	_ = br2.Close()
	// The server refused a counter before the COMMIT: roll back, and the
	// usual way makes the group again.
	if _, rerr := c.Exec(ctx, "ROLLBACK"); rerr != nil {
		return false, driver.ErrBadConn
	}
	return false, nil
}

var (
	addCompletedPG = rawPG(`UPDATE call_list_requests SET completed = completed + ?,
		status = CASE WHEN uploaded <= completed + ? + invalid + scrubbed THEN ? ELSE ? END,
		started_at = COALESCE(started_at, ?), updated_at = ? WHERE id = ?`)
	abandonHourPG = rawPG(`INSERT INTO campaign_abandon_hours (campaign_id, hour, answered, abandoned) VALUES (?, ?, ?, ?)
		ON CONFLICT (campaign_id, hour) DO UPDATE SET answered = campaign_abandon_hours.answered + excluded.answered,
		abandoned = campaign_abandon_hours.abandoned + excluded.abandoned`)
)

// queue adds the totals' statements to b, as apply writes them: each row
// once, in key order. It returns their SQL.
func (t *groupTotals) queue(b *pgx.Batch) (stmts []string) {
	at := now()
	for _, id := range slices.Sorted(maps.Keys(t.completed)) {
		k := t.completed[id]
		if k == 0 {
			continue
		}
		q := addCompletedPG.sql(DriverPostgres)
		b.Queue(q, k, k, RequestCompleted, RequestInProcess, at, at, id)
		stmts = append(stmts, q)
	}
	keys := slices.SortedFunc(maps.Keys(t.hours), func(a, b abandonKey) int {
		return cmp.Or(cmp.Compare(a.campaign, b.campaign), a.hour.Compare(b.hour))
	})
	for _, k := range keys {
		v := t.hours[k]
		q := abandonHourPG.sql(DriverPostgres)
		b.Queue(q, k.campaign, k.hour, v.answered, v.abandoned)
		stmts = append(stmts, q)
	}
	return stmts
}
