package store

import (
	"sync"
	"time"
)

// genCache keeps values that calls read (published flows, an account's
// webhooks) so a call does not read them from the database. gen counts
// this node's changes; an entry loaded under an older gen is not served
// and not stored. checked is when the database was last asked.
type genCache[V any] struct {
	mu  sync.Mutex
	gen uint64
	m   map[int64]genEntry[V]
	// load serialises reads from the database: the calls that miss the
	// cache together wait for the first one's read.
	load sync.Mutex
}

type genEntry[V any] struct {
	v       V
	gen     uint64
	checked time.Time
}

// invalidate drops every cached value (this node changed one).
func (c *genCache[V]) invalidate() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

func (c *genCache[V]) get(id int64) (e genEntry[V], gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok = c.m[id]
	return e, c.gen, ok && e.gen == c.gen
}

// put stores v loaded under gen (dropped if a change came meanwhile).
func (c *genCache[V]) put(id int64, v V, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[int64]genEntry[V]{}
	}
	c.m[id] = genEntry[V]{v: v, gen: gen, checked: at}
}
