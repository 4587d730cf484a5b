package store

import (
	"cmp"
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
)

// groupCommit commits the per-call writes of concurrent calls (attempt
// start, answer and end, journey, record outcome) together, a group of
// them in one transaction, instead of each call's write in a transaction
// of its own: on SQLite its single writer connection otherwise commits —
// writes WAL frames for — each call's transaction on its own, and under
// load the calls queue for it; on PostgreSQL every transaction costs the
// server a commit (a WAL flush) and the process two round trips and a
// pooled connection.
//
// A group has no savepoints (two statements a write): when a write fails,
// the group is rolled back and each of its writes is made again in a
// transaction of its own, so it fails alone.
//
// Batching: a write that finds no group of its lane committing starts one
// after groupLinger (a millisecond, for the other writes of that moment to
// join it); writes arriving while it commits wait for the lane's next
// group, which takes all of them (up to maxGroup). A group of lazy writes
// only (a call's answer and end, see lazyLinger) waits a little longer
// for more. SQLite has one lane (one writer
// connection). PostgreSQL has pgLanes, each committing on a connection of
// its own; a group whose writes all have a one-statement form is sent as
// two pipelined batches (grouppipe.go), else its statements run one after
// another, each a round trip to the server. A write goes to the lane of its key (a call's start to
// its call's, an attempt's answer, journey and end to its attempt's, an
// outcome to its request's — or its record's when the caller does not say
// the request), so an attempt's writes, a call's starts and a record's
// outcomes are each never in two groups at once. A request's outcomes
// then share a lane: its completed count, one row every outcome updates,
// is written by one group at a time, not by every lane's group waiting,
// row locked, for the others' commits. Two groups can
// then deadlock only when attempts of the same two calls start and end at
// the same moment in opposite orders (not on the dialer's path, where each
// attempt is a call of its own): the server breaks the cycle after a
// second, and the group it rolls back is made again write by write.
//
// The counters many calls update (a request's completed count, a
// campaign's abandon hour) are added up over a group (groupTotals) and
// written once, at the group's end, in key order: the rows are held for a
// moment only, and always locked in the same order.
type groupCommit struct {
	lanes [pgLanes]groupLane
	// lazyLinger overrides the package's lazyLinger when set (tests).
	lazyLinger time.Duration
}

type groupLane struct {
	mu      sync.Mutex
	pending []*groupJob
	running bool
	// wake tells a group lingering for lazy writes that a write a call
	// waits on arrived, or that the group is full.
	wake chan struct{}
}

// pgLanes is how many groups commit at a time on PostgreSQL. Two, not
// four: at 800 simultaneous calls on a 2-core machine, two lanes made
// fewer, larger groups (0.52–1.03 transactions per call against
// 0.79–1.53 with four, PostgreSQL's CPU per call 0.66 ms mean against
// 0.74) and the product path's call rate ÷ a bare originate loop was
// 0.81–1.00 (mean 0.93) against 0.72–0.99 (mean 0.82) in six
// interleaved pairs; the attempt starts did not wait less.
const pgLanes = 2

// laneKey is the lane key of a call's or attempt's id.
func laneKey(id string) uint64 { return maphash.String(laneSeed, id) }

var laneSeed = maphash.MakeSeed()

type groupJob struct {
	ctx  context.Context
	lazy bool // nothing waits on it to go on with a call (see lazyLinger)
	fn   func(tx *gorm.DB, t *groupTotals) error
	pipe *pipeStep // its one-statement form on PostgreSQL, or nil (grouppipe.go)
	err  error
	done chan struct{}
}

// groupLinger is how long a write that finds its lane idle waits for
// others before its group commits. A millisecond, measured on the product
// path (2 × 4 runs, 0 / 1 / 3 ms): PostgreSQL 2.6–3.3 transactions per call
// → 1.7 (3 ms: 1.2–1.5), its CPU 0.70–1.00 → 0.52–0.63 ms per call, and the
// daemon's 1.22–1.53 → 1.02–1.05 ms at C=200; the call rate unchanged
// within the noise (3 ms made C=800 slower in one run of two).
const groupLinger = time.Millisecond

// lazyLinger is how long a group of lazy writes only waits for more: the
// writes at a call's answer and end (answer time, journey, attempt end,
// record outcome), which neither a dial nor the customer waits on (the
// pacer's line is free once the channels are gone). At hundreds of calls
// a second a group then takes several calls' ends instead of one or two:
// fewer transactions, each a commit for the server and round trips and
// wake-ups for both processes. A write that
// holds a call up (an attempt's start, before its dial) ends the wait.
//
// Three milliseconds, measured on the product path at 800 simultaneous
// calls on PostgreSQL (2-core machine, interleaved with the build before,
// seven runs each): 1.0–1.2 transactions per call against 1.5–2.2,
// PostgreSQL's CPU 0.60–0.82 ms per call against 0.75–1.04, the daemon's
// 1.20–1.51 against 1.25–1.89; the call rate ÷ the bare loop's 0.82–1.02
// (mean 0.89) against 0.73–0.94 (mean 0.86). Ten milliseconds took the
// transactions to 0.6–0.8 per call, but the call rate ratio was lower:
// 0.73–0.89 (mean 0.81) in five runs, against 0.75–0.94 (mean 0.84).
const lazyLinger = 3 * time.Millisecond

// maxGroup caps the writes of one group transaction.
const maxGroup = 128

// groupTimeout bounds a group whose writes have no deadline.
const groupTimeout = 30 * time.Second

// groupTotals are counter updates of grouped writes, written once per
// group (or per write made alone) by apply.
type groupTotals struct {
	// completed: request id → records newly completed.
	completed map[string]int64
	// hours: a campaign's clock hour → live-answered and abandoned calls.
	hours map[abandonKey]abandonTally
}

type abandonKey struct {
	campaign int64
	hour     time.Time
}

type abandonTally struct{ answered, abandoned int64 }

// complete counts a record of the request completed.
func (t *groupTotals) complete(requestID string) {
	if t.completed == nil {
		t.completed = map[string]int64{}
	}
	t.completed[requestID]++
}

// abandonHour counts a live-answered call (abandoned or not) in the
// campaign's hour of at.
func (t *groupTotals) abandonHour(campaignID int64, at time.Time, abandoned bool) {
	if t.hours == nil {
		t.hours = map[abandonKey]abandonTally{}
	}
	k := abandonKey{campaignID, norm(at.Truncate(time.Hour))}
	v := t.hours[k]
	v.answered++
	if abandoned {
		v.abandoned++
	}
	t.hours[k] = v
}

func (t *groupTotals) add(o *groupTotals) {
	for id, n := range o.completed {
		if t.completed == nil {
			t.completed = map[string]int64{}
		}
		t.completed[id] += n
	}
	for k, v := range o.hours {
		if t.hours == nil {
			t.hours = map[abandonKey]abandonTally{}
		}
		w := t.hours[k]
		w.answered += v.answered
		w.abandoned += v.abandoned
		t.hours[k] = w
	}
}

// apply writes the totals, each row once, in key order.
func (t *groupTotals) apply(tx *gorm.DB) error {
	if len(t.completed) > 0 {
		if err := addCompleted(tx, t.completed, now()); err != nil {
			return err
		}
	}
	keys := slices.SortedFunc(maps.Keys(t.hours), func(a, b abandonKey) int {
		return cmp.Or(cmp.Compare(a.campaign, b.campaign), a.hour.Compare(b.hour))
	})
	for _, k := range keys {
		v := t.hours[k]
		if err := tx.Exec(`INSERT INTO campaign_abandon_hours (campaign_id, hour, answered, abandoned) VALUES (?, ?, ?, ?)
			ON CONFLICT (campaign_id, hour) DO UPDATE SET answered = campaign_abandon_hours.answered + excluded.answered,
			abandoned = campaign_abandon_hours.abandoned + excluded.abandoned`,
			k.campaign, k.hour, v.answered, v.abandoned).Error; err != nil {
			return fmt.Errorf("store: abandon tally of campaign %d: %w", k.campaign, err)
		}
	}
	return nil
}

// grouped runs fn in a transaction shared with other concurrent grouped
// writes of the lane of key (see groupCommit); fn adds its counter updates
// to t. pipe is the write's one-statement form on PostgreSQL (nil: none),
// which a group sends pipelined when all its writes have one
// (grouppipe.go). It returns when the write is committed or rolled back.
func (s *Store) grouped(ctx context.Context, key uint64, pipe *pipeStep, fn func(tx *gorm.DB, t *groupTotals) error) error {
	return s.groupedAs(ctx, false, key, pipe, fn)
}

// groupedLazy is grouped for a lazy write (see lazyLinger).
func (s *Store) groupedLazy(ctx context.Context, key uint64, pipe *pipeStep, fn func(tx *gorm.DB, t *groupTotals) error) error {
	return s.groupedAs(ctx, true, key, pipe, fn)
}

func (s *Store) groupedAs(ctx context.Context, lazy bool, key uint64, pipe *pipeStep, fn func(tx *gorm.DB, t *groupTotals) error) error {
	if s.driver != DriverPostgres {
		pipe = nil
	}
	j := &groupJob{ctx: ctx, lazy: lazy, fn: fn, pipe: pipe, done: make(chan struct{})}
	g := &s.group.lanes[0]
	if s.driver == DriverPostgres {
		g = &s.group.lanes[key%pgLanes]
	}
	g.mu.Lock()
	if g.wake == nil {
		g.wake = make(chan struct{}, 1)
	}
	g.pending = append(g.pending, j)
	if !lazy || len(g.pending) == maxGroup {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		// Let the writes of other calls arriving in the same moment join
		// this group: one commit instead of one each.
		s.linger(g, true)
		s.commitGroups(g)
	}
	// Not abandoned on ctx: the write may commit with its group, and the
	// caller must know whether it did.
	<-j.done
	return j.err
}

// commitGroups commits one group of pending writes; if more arrived
// meanwhile, another goroutine goes on with them, so the writer that led
// this group returns as soon as its own write is done.
func (s *Store) commitGroups(g *groupLane) {
	g.mu.Lock()
	batch := g.pending[:min(len(g.pending), maxGroup)]
	g.pending = g.pending[len(batch):]
	if len(g.pending) == 0 {
		g.pending = nil // the array goes with the batch
	}
	g.mu.Unlock()
	if len(batch) > 0 {
		s.commitGroup(batch)
	}
	g.mu.Lock()
	more := len(g.pending) > 0
	if !more {
		g.running = false
	}
	g.mu.Unlock()
	if more {
		go func() {
			s.linger(g, false)
			s.commitGroups(g)
		}()
	}
}

// linger waits before a group of the lane commits. A writer that found
// the lane idle (first) waits groupLinger, for the writes of the same
// moment to join its group; writes that arrived while the last group
// committed have waited their moment already. While the lane holds lazy
// writes only, the group waits up to lazyLinger, until a write that holds
// a call up arrives (then groupLinger more) or the group is full.
func (s *Store) linger(g *groupLane, first bool) {
	g.mu.Lock()
	select {
	case <-g.wake: // stale: the pending writes below say what to do
	default:
	}
	lazyOnly := len(g.pending) < maxGroup && !slices.ContainsFunc(g.pending, func(j *groupJob) bool { return !j.lazy })
	g.mu.Unlock()
	if !lazyOnly {
		if first {
			time.Sleep(groupLinger)
		}
		return
	}
	wait := cmp.Or(s.group.lazyLinger, lazyLinger)
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-g.wake:
		time.Sleep(groupLinger)
	}
}

// commitGroup commits a group in one transaction. If a write fails, or
// the totals do, before the commit, the group is rolled back and every
// write is made again alone (alone): it fails or commits on its own. A
// failed commit fails every write of the group (it may or may not have
// committed, as any transaction's).
func (s *Store) commitGroup(batch []*groupJob) {
	defer func() {
		for _, j := range batch {
			close(j.done)
		}
	}()
	piped := s.driver == DriverPostgres
	for _, j := range batch {
		piped = piped && j.pipe != nil
	}
	if len(batch) == 1 && !piped {
		s.alone(batch[0])
		return
	}
	// The group's statements do not run under any one caller's context:
	// one caller giving up must not break the others' transaction. The
	// group is bounded by its writes' latest deadline.
	deadline, bounded := time.Time{}, true
	for _, j := range batch {
		d, ok := j.ctx.Deadline()
		if !ok {
			bounded = false
			break
		}
		if d.After(deadline) {
			deadline = d
		}
	}
	if !bounded {
		deadline = time.Now().Add(groupTimeout)
	}
	gctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	if piped && s.commitPiped(gctx, batch) {
		return
	}
	s.prepareRaw(gctx)
	tx := s.w.WithContext(gctx).Begin()
	if tx.Error != nil {
		for _, j := range batch {
			j.err = fmt.Errorf("store: group begin: %w", tx.Error)
		}
		return
	}
	var totals groupTotals
	failed := false
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.err = err
			continue
		}
		var t groupTotals
		if err := j.fn(tx, &t); err != nil {
			failed = true
			break
		}
		totals.add(&t)
	}
	if !failed && totals.apply(tx) == nil {
		if err := tx.Commit().Error; err != nil {
			for _, j := range batch {
				if j.err == nil {
					j.err = fmt.Errorf("store: group commit: %w", err)
				}
			}
		}
		return
	}
	if err := tx.Rollback().Error; err != nil {
		s.log.Debug("group rollback failed", "error", err)
	}
	// Nothing of the group committed: each write is made again on its own
	// (a broken connection is replaced by the pool).
	for _, j := range batch {
		if j.err == nil {
			s.alone(j)
		}
	}
}

// alone makes one grouped write in a transaction of its own.
func (s *Store) alone(j *groupJob) {
	if err := j.ctx.Err(); err != nil {
		j.err = err
		return
	}
	s.prepareRaw(j.ctx)
	j.err = s.w.WithContext(j.ctx).Transaction(func(tx *gorm.DB) error {
		var t groupTotals
		if err := j.fn(tx, &t); err != nil {
			return err
		}
		return t.apply(tx)
	})
}
