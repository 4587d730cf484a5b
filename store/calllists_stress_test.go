package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestImportCallListConcurrentSQLite runs thousands of concurrent one-call
// imports on the SQLite store (the shape of a burst of trigger-API calls):
// each import's statements must be finalized before its connection goes to
// the background checkpoint, which closes it. Finalizing after the close
// crashed the process (a double free in SQLite's heap); run it under -race.
func TestImportCallListConcurrentSQLite(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 300
	}
	s, _ := openTestStore(t, DriverSQLite)
	acc := mustAccount(t, s, "burst")
	// A correctness test (no crash, nothing lost), not a speed test: on a
	// loaded 2-core machine under -race 2,000 imports take minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	var failed atomic.Int64
	sem := make(chan struct{}, 200) // 200 requests in flight, as a busy trigger API would
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			in := CallListImport{AccountID: acc.ID, FlowID: "1", FlowName: "F", FlowType: "outbound", Source: SourceAPI}
			r, err := s.ImportCallList(ctx, in, ImportRecords([]ImportRecord{
				{Row: 1, Numbers: []string{fmt.Sprintf("+1415555%04d", i%10000)}, Status: RecordPending},
			}))
			if err != nil {
				failed.Add(1)
				t.Errorf("import %d: %v", i, err)
				return
			}
			if r.Valid != 1 {
				failed.Add(1)
				t.Errorf("import %d: valid %d, want 1", i, r.Valid)
			}
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d imports failed", failed.Load(), n)
	}
	var got int64
	if err := s.r.WithContext(ctx).Model(&CallListRequest{}).Where("account_id = ?", acc.ID).Count(&got).Error; err != nil {
		t.Fatal(err)
	}
	if got != int64(n) {
		t.Fatalf("%d requests stored, want %d", got, n)
	}
}
