package store

import (
	"context"
	"sync"
	"time"
)

// webhookCheckInterval is how long an account's cached webhooks are served
// before they are read again: another node's change is seen within it.
// This node's own changes (PutWebhook, DeleteWebhook) take effect at once.
const webhookCheckInterval = time.Second

// webhookCache keeps each account's webhooks for calls (every call ends
// with the account's disconnect webhooks): a call does not read them from
// the database. gen counts this node's webhook changes; a list loaded
// under an older gen is dropped.
type webhookCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[int64]webhookCacheEntry
	// load serialises reads from the database: the calls that end
	// together and miss the cache wait for the first one's read.
	load sync.Mutex
}

type webhookCacheEntry struct {
	ws      []Webhook
	gen     uint64
	checked time.Time
}

func (c *webhookCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.m = nil
	c.mu.Unlock()
}

func (c *webhookCache) get(accountID int64) (e webhookCacheEntry, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok = c.m[accountID]
	return e, c.gen, ok && e.gen == c.gen
}

func (c *webhookCache) put(accountID int64, ws []Webhook, gen uint64, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if c.m == nil {
		c.m = map[int64]webhookCacheEntry{}
	}
	c.m[accountID] = webhookCacheEntry{ws: ws, gen: gen, checked: at}
}

// CallWebhooks returns the account's webhooks, as ListWebhooks, for calls:
// from a cache refreshed at most every webhookCheckInterval (this node's
// changes at once). While the database cannot be read, the last list read
// is served (and read again after the interval, not by every call). The
// slice is shared: callers must not modify it.
func (s *Store) CallWebhooks(ctx context.Context, accountID int64) ([]Webhook, error) {
	e, _, ok := s.webhooks.get(accountID)
	t := time.Now()
	if ok && t.Sub(e.checked) < webhookCheckInterval {
		return e.ws, nil
	}
	s.webhooks.load.Lock()
	defer s.webhooks.load.Unlock()
	e, gen, ok := s.webhooks.get(accountID)
	if ok && time.Since(e.checked) < webhookCheckInterval {
		return e.ws, nil
	}
	ws, err := s.ListWebhooks(ctx, accountID)
	if err != nil {
		if ok && ctx.Err() == nil {
			s.webhooks.put(accountID, e.ws, gen, t)
			return e.ws, nil
		}
		return nil, err
	}
	s.webhooks.put(accountID, ws, gen, t)
	return ws, nil
}
