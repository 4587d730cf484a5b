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
// whose writes all have one is sent to the server as one pipelined batch
// (BEGIN and every write's statement), and its counters and COMMIT as a
// second: two round trips for the group instead of one per statement,
// each of which, with both cores busy, waits for the server's process
// and then the daemon's to be scheduled again.
//
// A write whose statement comes back with nothing done (a row not found,
// not leased, changed behind the store's copy) needs its full form (the
// grouped fn): the batch is rolled back and the group is made the usual
// way, as it is when any statement fails.
type pipeStep struct {
	stmt *rawStmt
	args []any
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
// PostgreSQL in two pipelined batches. It reports false when the group
// was not committed and nothing of it remains (the caller makes it the
// usual way).
func (s *Store) commitPiped(ctx context.Context, batch []*groupJob) bool {
	db, err := s.w.DB()
	if err != nil {
		return false
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return false
	}
	defer conn.Close()
	handled := false
	err = conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return nil
		}
		var rerr error
		handled, rerr = s.pipeGroup(ctx, sc.Conn(), batch)
		return rerr
	})
	if err != nil {
		s.log.Debug("pipelined group: connection dropped", "error", err)
	}
	return handled
}

// pipeGroup runs the two batches on c. A non-nil error means the
// connection is in an unknown state (database/sql drops it).
func (s *Store) pipeGroup(ctx context.Context, c *pgx.Conn, batch []*groupJob) (handled bool, connErr error) {
	var live []*groupJob
	var b pgx.Batch
	b.Queue("BEGIN")
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err // its caller gave up before the group began
			continue
		}
		live = append(live, j)
		b.Queue(j.pipe.stmt.sql(DriverPostgres), j.pipe.args...)
	}
	if len(live) == 0 {
		return true, nil
	}
	br := c.SendBatch(ctx, &b)
	_, err := br.Exec()
	var totals groupTotals
	for i := 0; err == nil && i < len(live); i++ {
		p := live[i].pipe
		begin := time.Now()
		var n int64
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
		s.w.Logger.Trace(ctx, begin, func() (string, int64) { return p.stmt.sql(DriverPostgres), n }, err)
		if err != nil {
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
