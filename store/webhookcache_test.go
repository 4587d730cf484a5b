package store

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestCallWebhooksCache: calls read the account's webhooks from the cache;
// this node's put and delete take effect at once, another node's (a second
// store on the same database) within webhookCheckInterval; during a
// database outage the last list read is served.
func TestCallWebhooksCache(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			so := freshOptions(t, d)
			s, _ := openStoreWith(t, so)
			other, _ := openStoreWith(t, so)
			ctx := ctxT(t)
			a := mustAccount(t, s, "a")
			names := func(st *Store) []string {
				t.Helper()
				ws, err := st.CallWebhooks(ctx, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				out := []string{}
				for _, w := range ws {
					out = append(out, w.Name)
				}
				return out
			}
			want := func(st *Store, within time.Duration, ns ...string) {
				t.Helper()
				deadline := time.Now().Add(within)
				for {
					got := names(st)
					if slices.Equal(got, ns) {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("webhooks %v, want %v within %v", got, ns, within)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
			want(s, 0)
			want(other, 0)
			cfg := json.RawMessage(`{"url": "https://example.com/hook"}`)
			// This node's put: at once.
			if _, err := s.PutWebhook(ctx, a.ID, "crm", cfg); err != nil {
				t.Fatal(err)
			}
			want(s, 0, "crm")
			// Cached: a row added behind the cache's back is not seen
			// within the interval...
			if err := s.w.Create(&Webhook{AccountID: a.ID, Name: "zz", Config: cfg, CreatedAt: now(), UpdatedAt: now()}).Error; err != nil {
				t.Fatal(err)
			}
			if got := names(s); !slices.Equal(got, []string{"crm"}) {
				t.Fatalf("cached read: %v, want [crm]", got)
			}
			// ...but after it.
			want(s, webhookCheckInterval+time.Second, "crm", "zz")
			// Another node's delete: within the interval.
			if err := other.DeleteWebhook(ctx, a.ID, "zz"); err != nil {
				t.Fatal(err)
			}
			want(other, 0, "crm")
			want(s, webhookCheckInterval+time.Second, "crm")
			// This node's delete: at once.
			if err := s.DeleteWebhook(ctx, a.ID, "crm"); err != nil {
				t.Fatal(err)
			}
			want(s, 0)
			if _, err := s.PutWebhook(ctx, a.ID, "crm", cfg); err != nil {
				t.Fatal(err)
			}
			// A database outage: a node that read the list keeps serving
			// it past the check interval.
			down, _ := openStoreWith(t, so, testStoreOpts{expectErrorLogs: true})
			want(down, 0, "crm")
			rdb, err := down.r.DB()
			if err != nil {
				t.Fatal(err)
			}
			if err := rdb.Close(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(webhookCheckInterval + 100*time.Millisecond)
			want(down, 0, "crm")
		})
	}
}
