package store

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// TestPublishedFlowCache: calls read their flow from the cache; this
// node's publish and delete take effect at once, another node's (a second
// store on the same database) within flowCheckInterval.
func TestPublishedFlowCache(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			so := freshOptions(t, d)
			s, _ := openStoreWith(t, so)
			other, _ := openStoreWith(t, so)
			ctx := ctxT(t)
			a := mustAccount(t, s, "a")
			f, err := s.CreateFlow(ctx, a.ID, NewFlow{Name: "Main", Type: "inbound", Draft: json.RawMessage(`{"v": 1}`)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PublishedFlowVersion(ctx, f.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unpublished flow: %v, want ErrNotFound", err)
			}
			want := func(st *Store, version int, within time.Duration) {
				t.Helper()
				deadline := time.Now().Add(within)
				for {
					v, err := st.PublishedFlowVersion(ctx, f.ID)
					if err == nil && v.Version == version {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("published version %d, %v; want %d within %v", v.Version, err, version, within)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			if _, err := s.PublishFlow(ctx, a.ID, f.ID); err != nil {
				t.Fatal(err)
			}
			want(s, 1, 0)
			want(other, 1, 0)
			// Cached: a second read within the interval gives the same
			// version without asking (the row is changed behind the
			// cache's back to show it).
			if err := s.w.Model(&Flow{}).Where("id = ?", f.ID).Update("published_version", 7).Error; err != nil {
				t.Fatal(err)
			}
			if v, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || v.Version != 1 {
				t.Fatalf("cached read: %d %v, want 1", v.Version, err)
			}
			if err := s.w.Model(&Flow{}).Where("id = ?", f.ID).Update("published_version", 1).Error; err != nil {
				t.Fatal(err)
			}
			// This node publishes: at once.
			if _, err := s.PublishFlow(ctx, a.ID, f.ID); err != nil {
				t.Fatal(err)
			}
			want(s, 2, 0)
			// The other node publishes: seen within the check interval.
			if _, err := other.PublishFlow(ctx, a.ID, f.ID); err != nil {
				t.Fatal(err)
			}
			want(other, 3, 0)
			want(s, 3, flowCheckInterval+time.Second)
			// A database outage: a node that cached the flow keeps
			// serving the version it knew past the check interval.
			down, _ := openStoreWith(t, so, testStoreOpts{expectErrorLogs: true})
			want(down, 3, 0)
			rdb, err := down.r.DB()
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.Close(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(flowCheckInterval + 100*time.Millisecond)
			if v, err := down.PublishedFlowVersion(ctx, f.ID); err != nil || v.Version != 3 {
				t.Fatalf("during an outage: %d %v, want the cached version 3", v.Version, err)
			}
			// The other node deletes the flow: gone within the interval.
			if err := other.DeleteFlow(ctx, a.ID, f.ID); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(flowCheckInterval + time.Second)
			for {
				_, err := s.PublishedFlowVersion(ctx, f.ID)
				if errors.Is(err, ErrNotFound) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("deleted flow still served: %v", err)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
