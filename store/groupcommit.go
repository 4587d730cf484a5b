package store

import (
	"context"
	"fmt"
	"sync"

	"gorm.io/gorm"
)

// groupCommit commits the per-call writes of concurrent calls (attempt
// start and end, journey, record outcome) together on SQLite: its single
// writer connection otherwise commits — writes WAL frames for — each call's
// transaction on its own, and under load the calls queue for it. Each
// write runs in its own savepoint of the shared transaction, so a failing
// write is rolled back alone and gets its own error; the others commit.
type groupCommit struct {
	mu      sync.Mutex
	pending []*groupJob
	running bool
}

type groupJob struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	err  error
	done chan struct{}
}

// maxGroup caps the writes of one group transaction.
const maxGroup = 128

// grouped runs fn in a transaction: on SQLite in a savepoint of a group
// transaction shared with other concurrent grouped writes, elsewhere in a
// transaction of its own (PostgreSQL commits concurrent transactions on
// its own connections). It returns when fn's writes are committed or
// rolled back.
func (s *Store) grouped(ctx context.Context, fn func(tx *gorm.DB) error) error {
	if s.driver != DriverSQLite {
		return s.w.WithContext(ctx).Transaction(fn)
	}
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan struct{})}
	g := &s.group
	g.mu.Lock()
	g.pending = append(g.pending, j)
	lead := !g.running
	g.running = true
	g.mu.Unlock()
	if lead {
		s.commitGroups()
	}
	// Not abandoned on ctx: the write may commit with its group, and the
	// caller must know whether it did.
	<-j.done
	return j.err
}

// commitGroups commits one group of pending writes; if more arrived
// meanwhile, another goroutine goes on with them, so the writer that led
// this group returns as soon as its own write is done.
func (s *Store) commitGroups() {
	g := &s.group
	g.mu.Lock()
	batch := g.pending
	if len(batch) > maxGroup {
		batch = batch[:maxGroup]
	}
	g.pending = g.pending[len(batch):]
	g.mu.Unlock()
	s.commitGroup(batch)
	g.mu.Lock()
	more := len(g.pending) > 0
	if !more {
		g.running = false
	}
	g.mu.Unlock()
	if more {
		go s.commitGroups()
	}
}

func (s *Store) commitGroup(batch []*groupJob) {
	ran := make([]bool, len(batch))
	err := s.w.Transaction(func(tx *gorm.DB) error {
		for i, j := range batch {
			if err := j.ctx.Err(); err != nil {
				j.err = err
				continue
			}
			if err := tx.Exec("SAVEPOINT sy_group").Error; err != nil {
				return fmt.Errorf("store: group savepoint: %w", err)
			}
			ran[i] = true
			if j.err = j.fn(tx.WithContext(j.ctx)); j.err != nil {
				if err := tx.Exec("ROLLBACK TO SAVEPOINT sy_group").Error; err != nil {
					return fmt.Errorf("store: group rollback to savepoint: %w", err)
				}
			}
			if err := tx.Exec("RELEASE SAVEPOINT sy_group").Error; err != nil {
				return fmt.Errorf("store: group release savepoint: %w", err)
			}
		}
		return nil
	})
	for i, j := range batch {
		if err != nil && ran[i] && j.err == nil {
			// The group did not commit: neither did this write.
			j.err = err
		}
		close(j.done)
	}
}
