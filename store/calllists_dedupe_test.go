package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/bits-and-blooms/bloom/v3"
)

// setDupTracker replaces the tracker's limits and filter for one test.
func setDupTracker(t *testing.T, exact, cands int, filter func() *bloom.BloomFilter) {
	oe, oc, of := dupExactLimit, dupCandLimit, newDupFilter
	dupExactLimit, dupCandLimit, newDupFilter = exact, cands, filter
	t.Cleanup(func() { dupExactLimit, dupCandLimit, newDupFilter = oe, oc, of })
}

// TestImportDuplicateTracking: duplicate marking gives the same records,
// reasons, counts and start time whichever way the tracker gets there:
// exact set only, Bloom filter with (here very many) false positives,
// candidate overflow falling back to the whole request, and on PostgreSQL.
// The earliest start times sit on duplicate rows, so the request's start
// time must come from the records that stay valid.
func TestImportDuplicateTracking(t *testing.T) {
	const n = 3000
	base := time.Date(2031, 5, 6, 7, 0, 0, 0, time.UTC)
	var recs []ImportRecord
	type want struct {
		status, reason string
	}
	wants := map[int64]want{}
	first := map[string]int64{}
	var valid, invalid, scrubbed int64
	var minStart time.Time
	for i := 1; i <= n; i++ {
		row := int64(i + 1)
		num := fmt.Sprintf("+9198%08d", (i*7919)%1100)
		st := base.Add(-time.Duration(i) * time.Minute) // later rows start earlier
		r := ImportRecord{Row: row, Numbers: []string{num}, StartTime: &st, Status: RecordPending}
		switch {
		case i%13 == 0:
			r.Status, r.Reason = RecordInvalid, "bad"
			invalid++
			wants[row] = want{RecordInvalid, "bad"}
		case i%17 == 0:
			r.Status, r.Reason = RecordScrubbed, "DNC"
			scrubbed++
			wants[row] = want{RecordScrubbed, "DNC"}
		default:
			if f, ok := first[num]; ok {
				invalid++
				wants[row] = want{RecordInvalid, fmt.Sprintf("duplicate: %s is already in row %d", num, f)}
			} else {
				first[num] = row
				valid++
				wants[row] = want{RecordPending, ""}
				if minStart.IsZero() || st.Before(minStart) {
					minStart = st
				}
			}
		}
		recs = append(recs, r)
	}
	check := func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceUpload}, recs)
		if req.Uploaded != n || req.Valid != valid || req.Added != valid || req.Invalid != invalid || req.Scrubbed != scrubbed {
			t.Fatalf("counts %+v, want valid %d invalid %d scrubbed %d", req, valid, invalid, scrubbed)
		}
		if req.StartTime == nil || !req.StartTime.Equal(minStart) {
			t.Fatalf("start time %v, want %v (the earliest valid record)", req.StartTime, minStart)
		}
		got, err := s.GetCallListRequest(ctx, acc.ID, req.ID)
		if err != nil || got.Valid != valid || got.Invalid != invalid || got.StartTime == nil || !got.StartTime.Equal(minStart) {
			t.Fatalf("stored request %+v %v", got, err)
		}
		seen := 0
		if err := s.EachCallListRecord(ctx, acc.ID, req.ID, func(r CallListRecord) error {
			seen++
			if w := wants[r.Row]; r.Status != w.status || r.Reason != w.reason {
				t.Errorf("row %d: %s %q, want %s %q", r.Row, r.Status, r.Reason, w.status, w.reason)
			}
			return nil
		}); err != nil || seen != n {
			t.Fatalf("records: %d %v", seen, err)
		}
	}
	for _, tc := range []struct {
		name          string
		exact, cands  int
		filter        func() *bloom.BloomFilter
		wantOverflow  bool
		wantFiltering bool
	}{
		{name: "exact set", exact: 1 << 20, cands: 1 << 20},
		{name: "bloom filter with false positives", exact: 10, cands: 1 << 20, filter: func() *bloom.BloomFilter { return bloom.New(512, 2) }, wantFiltering: true},
		{name: "candidate overflow", exact: 10, cands: 50, filter: func() *bloom.BloomFilter { return bloom.New(1<<16, 3) }, wantFiltering: true, wantOverflow: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.filter
			if f == nil {
				f = newDupFilter
			}
			setDupTracker(t, tc.exact, tc.cands, f)
			// The tracker itself, on the same numbers.
			d := newDupTracker()
			for _, r := range recs {
				if r.Status == RecordPending {
					d.add(r.Numbers[0])
				}
			}
			if d.overflow != tc.wantOverflow || (d.filter != nil) != tc.wantFiltering {
				t.Fatalf("tracker: overflow %v filter %v", d.overflow, d.filter != nil)
			}
			if !d.overflow {
				for num, row := range first {
					_ = row
					dupRows := 0
					for _, r := range recs {
						if r.Status == RecordPending && r.Numbers[0] == num {
							dupRows++
						}
					}
					if _, ok := d.cands[num]; dupRows > 1 && !ok {
						t.Fatalf("%s repeats but is not a candidate", num)
					}
				}
			}
			s, _ := openTestStore(t, DriverSQLite)
			check(t, s)
		})
	}
	t.Run("postgres", func(t *testing.T) {
		s, _ := openTestStore(t, DriverPostgres)
		check(t, s)
	})
}

// TestImportCancelled: a cancelled import stores nothing, says why, and
// leaves the store writable (the lock and the writer are released).
func TestImportCancelled(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		acc := mustAccount(t, s, "acme")
		ctx, cancel := context.WithCancel(ctxT(t))
		i := 0
		_, err := s.ImportCallList(ctx, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceUpload}, func() (ImportRecord, error) {
			i++
			if i == 5000 {
				cancel()
			}
			if i > 100000 {
				return ImportRecord{}, io.EOF
			}
			return ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+9198%08d", i)}, Status: RecordPending}, nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled import: %v", err)
		}
		rs, err := s.ListCallListRequests(ctxT(t), RequestFilter{AccountID: acc.ID})
		if err != nil || len(rs) != 0 {
			t.Fatalf("requests after a cancelled import: %+v %v", rs, err)
		}
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceUpload},
			[]ImportRecord{{Row: 1, Numbers: []string{"+919800000001"}, Status: RecordPending}})
		if req.Uploaded != 1 {
			t.Fatalf("import after the cancelled one: %+v", req)
		}
	})
}

// TestPrefetch: every item in order across many (recycled) chunks, then
// the producer's error; stopping early ends the producer.
func TestPrefetch(t *testing.T) {
	for _, tc := range []struct {
		n   int
		end error
	}{{0, io.EOF}, {1, io.EOF}, {256, io.EOF}, {256*9 + 13, io.EOF}, {1000, errors.New("row 1001: broken")}} {
		i := 0
		get, stop := prefetch(func() (int, error) {
			if i == tc.n {
				return 0, tc.end
			}
			i++
			return i, nil
		})
		for want := 1; want <= tc.n; want++ {
			got, err := get()
			if err != nil || got != want {
				t.Fatalf("n=%d: item %d: %d %v", tc.n, want, got, err)
			}
		}
		if _, err := get(); !errors.Is(err, tc.end) {
			t.Fatalf("n=%d: end %v, want %v", tc.n, err, tc.end)
		}
		if _, err := get(); !errors.Is(err, tc.end) {
			t.Fatalf("n=%d: end again %v, want %v", tc.n, err, tc.end)
		}
		stop()
	}
	// Stopped early, with the producer blocked on a full channel.
	produced := 0
	get, stop := prefetch(func() (int, error) { produced++; return produced, nil })
	if v, err := get(); v != 1 || err != nil {
		t.Fatalf("first: %d %v", v, err)
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("stop did not end the producer")
	}
}
