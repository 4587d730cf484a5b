package store

import (
	"context"
	"fmt"
	"time"
)

// flowCheckInterval is how long a cached published flow version is served
// without asking the database which version is published: another node's
// publish or delete is seen within it. This node's own publish, update and
// delete take effect at once.
const flowCheckInterval = time.Second

// flowCache keeps the published version of flows that calls run, so a
// call does not read its flow from the database: published versions are
// immutable, only which one is published changes. gen counts this node's
// flow changes; an entry loaded under an older gen is reloaded.
type flowCache = genCache[FlowVersion]

// PublishedFlowVersion returns the published version of a flow (any
// account: callers check the owner), from the cache when it is fresh
// (see flowCheckInterval); past the interval one query checks that the
// cached version is still the published one.
func (s *Store) PublishedFlowVersion(ctx context.Context, flowID int64) (v FlowVersion, err error) {
	e, _, ok := s.flows.get(flowID)
	t := time.Now()
	if ok && t.Sub(e.checked) < flowCheckInterval {
		return e.v, nil
	}
	s.flows.load.Lock()
	defer s.flows.load.Unlock()
	// Another call may have loaded it while this one waited.
	e, gen, ok := s.flows.get(flowID)
	if ok && time.Since(e.checked) < flowCheckInterval {
		return e.v, nil
	}
	defer s.track("PublishedFlowVersion", t, &err)
	if ok {
		var published []int
		if err := s.r.WithContext(ctx).Model(&Flow{}).Where("id = ?", flowID).Limit(1).Pluck("published_version", &published).Error; err != nil {
			if ctx.Err() != nil {
				return FlowVersion{}, fmt.Errorf("store: get flow %d: %w", flowID, err)
			}
			// The database cannot say (an outage): the call runs the
			// version it last knew was published, and the check is made
			// again after the interval (not by every call meanwhile).
			s.flows.put(flowID, e.v, gen, t)
			return e.v, nil
		}
		if len(published) == 1 && published[0] == e.v.Version {
			s.flows.put(flowID, e.v, gen, t)
			return e.v, nil
		}
	}
	v, err = s.loadPublishedFlowVersion(ctx, flowID)
	if err != nil {
		return FlowVersion{}, err
	}
	s.flows.put(flowID, v, gen, t)
	return v, nil
}
