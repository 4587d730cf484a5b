package store

import (
	"context"
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
type webhookCache = genCache[[]Webhook]

// CallWebhooks returns the account's webhooks, as ListWebhooks, for calls:
// from a cache refreshed at most every webhookCheckInterval (this node's
// changes at once). While the database cannot be read, the last list read
// is served (and read again after the interval, not by every call). The
// slice is shared: callers must not modify it.
func (s *Store) CallWebhooks(ctx context.Context, accountID int64) ([]Webhook, error) {
	e, _, ok := s.webhooks.get(accountID)
	t := time.Now()
	if ok && t.Sub(e.checked) < webhookCheckInterval {
		return e.v, nil
	}
	s.webhooks.load.Lock()
	defer s.webhooks.load.Unlock()
	e, gen, ok := s.webhooks.get(accountID)
	if ok && time.Since(e.checked) < webhookCheckInterval {
		return e.v, nil
	}
	ws, err := s.ListWebhooks(ctx, accountID)
	if err != nil {
		if ok && ctx.Err() == nil {
			s.webhooks.put(accountID, e.v, gen, t)
			return e.v, nil
		}
		return nil, err
	}
	s.webhooks.put(accountID, ws, gen, t)
	return ws, nil
}
