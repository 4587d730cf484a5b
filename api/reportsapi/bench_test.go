package reportsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// BenchmarkCallReportExportLoad: the CSV export of the call report on
// PostgreSQL — 100 000 and 1 000 000 attempts — against PostgreSQL's own
// COPY (same select) TO STDOUT of the same rows in the same run. Metrics:
// rows/s of the export, rows/s of COPY, their ratio (target ≥ 0.8) and
// the peak Go heap growth during the export (must not grow with the row
// count). One iteration is a whole export.
func BenchmarkCallReportExportLoad(b *testing.B) {
	st, acct := benchStore(b, 1_000_000)
	base := benchBase
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			f := store.CallReportFilter{AccountID: acct, From: base, To: base.Add(time.Duration(n) * time.Second)}
			ctx := context.Background()
			var exportDur, copyDur time.Duration
			var peak uint64
			// Warm the cache once so neither side pays for cold pages.
			if _, err := st.CopyCallReport(ctx, f, time.UTC, &countWriter{}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for range b.N {
				// Baseline: COPY (…) TO STDOUT of the same rows.
				cw := &countWriter{}
				t0 := time.Now()
				rows, err := st.CopyCallReport(ctx, f, time.UTC, cw)
				if err != nil {
					b.Fatal(err)
				}
				copyDur += time.Since(t0)
				if rows != int64(n) {
					b.Fatalf("COPY gave %d rows, want %d", rows, n)
				}
				// Ours: raw cursor → CSV writer (pooled buffer, periodic flush).
				runtime.GC()
				stop := sampleHeap()
				ew := &countWriter{}
				t0 = time.Now()
				w := csvout.NewWriter(ew)
				var got int64
				err = st.EachCallReportCells(ctx, f, time.UTC, func(cells [][]byte) error { got++; return w.Write(cells) })
				if err == nil {
					err = w.Close()
				}
				exportDur += time.Since(t0)
				if p := stop(); p > peak {
					peak = p
				}
				if err != nil {
					b.Fatal(err)
				}
				if got != int64(n) {
					b.Fatalf("export gave %d rows, want %d", got, n)
				}
			}
			ours := float64(n) * float64(b.N) / exportDur.Seconds()
			cp := float64(n) * float64(b.N) / copyDur.Seconds()
			b.ReportMetric(ours, "rows/s")
			b.ReportMetric(cp, "copy-rows/s")
			b.ReportMetric(ours/cp, "ratio")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

var benchBase = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// sampleHeap samples the live heap every 5 ms until stop, which returns
// the peak growth over the value at start.
func sampleHeap() (stop func() uint64) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(s); return s[0].Value.Uint64() }
	start := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > start && v-start > peak.Load() {
				peak.Store(v - start)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak.Load() }
}

// benchStore opens a store on a fresh PostgreSQL database with n finished
// attempts (one call each) of one account, started one second apart from
// benchBase, spread over a few flows and statuses (storetest.SeedCallReport).
func benchStore(b *testing.B, n int) (*store.Store, int64) {
	b.Helper()
	o := storetest.Options(b, store.DriverPostgres)
	o.SlowQuery = -1
	ctx := context.Background()
	st := storetest.Open(b, o)
	a, err := st.CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	storetest.SeedCallReport(b, o.URL, a.ID, benchBase, n)
	return st, a.ID
}

// BenchmarkCallReportPage: one page of the call report as the console
// asks for it — 100 rows, JSON, through the HTTP stack (auth, filters,
// keyset paging) — on a PostgreSQL account holding 100 000 attempts.
// Sub-benchmarks: the first page, a page deep in the range (reached by
// its "after" cursor, so it costs what the first does), and a filtered
// page (queue + flow type). Metric: p95-ms per page (target: a report
// page answers well under the console's 200 ms page-load budget).
func BenchmarkCallReportPage(b *testing.B) {
	const n = 100_000
	st, acct := benchStore(b, n)
	_, key, err := st.CreateAPIKey(context.Background(), acct, "bench")
	if err != nil {
		b.Fatal(err)
	}
	srv := api.New(api.Deps{Authenticate: apistore.Authenticate(st), ErrorMap: apistore.ErrorMap()}, nil)
	Register(srv.API(), Deps{Store: st, Now: time.Now})
	h := srv.Handler()
	get := func(b *testing.B, path string) pageAnswer {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		var p pageAnswer
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			b.Fatal(err)
		}
		return p
	}
	rng := "from=" + benchBase.Format(time.RFC3339) + "&to=" + benchBase.Add(n*time.Second).Format(time.RFC3339)
	first := "/api/v1/reports/calls?limit=100&" + rng
	// The cursor of a page about 80 % into the range: walk there once.
	deep := first
	for range 800 {
		p := get(b, deep)
		if p.Next == "" {
			b.Fatalf("ran out of pages after %s", deep)
		}
		deep = first + "&after=" + url.QueryEscape(p.Next)
	}
	for _, c := range []struct{ name, path string }{
		{"first", first},
		{"deep", deep},
		{"filtered", "/api/v1/reports/calls?limit=100&queue=sales&flow_type=inbound&" + rng},
	} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for range b.N {
				t0 := time.Now()
				p := get(b, c.path)
				took = append(took, time.Since(t0))
				if len(p.Rows) == 0 {
					b.Fatalf("%s: empty page", c.path)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}

type pageAnswer struct {
	Rows []json.RawMessage `json:"rows"`
	Next string            `json:"next"`
}
