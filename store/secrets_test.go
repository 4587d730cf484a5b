package store

import (
	"bytes"
	"sync"
	"testing"
)

// TestSecret: a generated key is made once and the same for every caller
// (concurrent first uses included), different per name, on both drivers.
func TestSecret(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		keys := make([][]byte, 8)
		var wg sync.WaitGroup
		for i := range keys {
			wg.Add(1)
			go func() {
				defer wg.Done()
				k, err := s.Secret(ctx, "recording-links")
				if err != nil {
					t.Error(err)
				}
				keys[i] = k
			}()
		}
		wg.Wait()
		for _, k := range keys {
			if len(k) != 32 || !bytes.Equal(k, keys[0]) {
				t.Fatalf("keys differ or short: %x / %x", k, keys[0])
			}
		}
		other, err := s.Secret(ctx, "other")
		if err != nil || bytes.Equal(other, keys[0]) {
			t.Fatalf("other secret %x %v", other, err)
		}
		if _, err := s.Secret(ctx, ""); err == nil {
			t.Error("empty name accepted")
		}
	})
}
