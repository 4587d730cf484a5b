package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/calllist"
)

func mustImport(t testing.TB, s *Store, in CallListImport, rs []ImportRecord) CallListRequest {
	t.Helper()
	r, err := s.ImportCallList(ctxT(t), in, ImportRecords(rs))
	if err != nil {
		t.Fatalf("ImportCallList: %v", err)
	}
	return r
}

func TestRequestStatusFormula(t *testing.T) {
	for _, tc := range []struct {
		up, done, inv, scr int64
		started            bool
		want               string
	}{
		{10, 0, 10, 0, false, RequestCompleted}, // everything rejected
		{10, 6, 3, 1, true, RequestCompleted},
		{10, 6, 3, 1, false, RequestCompleted},
		{10, 2, 3, 1, true, RequestInProcess},
		{10, 0, 3, 1, true, RequestInProcess},
		{10, 0, 3, 1, false, RequestScheduled},
		{0, 0, 0, 0, false, RequestCompleted},
	} {
		if got := RequestStatus(tc.up, tc.done, tc.inv, tc.scr, tc.started); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc, got, tc.want)
		}
	}
}

func TestImportCallList(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		st := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		in := CallListImport{AccountID: acc.ID, FlowID: "42", FlowName: "Reminders", FlowType: "outbound", Source: SourceUpload, FileName: "list.csv"}
		req := mustImport(t, s, in, []ImportRecord{
			{Row: 2, ClientIdentifier: "c1", Numbers: []string{"+919876543210", "+14155550100"}, Variables: map[string]string{"name": "Doe, John"}, StartTime: &st, Status: RecordPending},
			{Row: 3, Numbers: []string{"12ab"}, Status: RecordInvalid, Reason: "invalid number 1"},
			{Row: 4, Numbers: []string{"+919876543211"}, Status: RecordScrubbed, Reason: "DNC"},
			{Row: 5, Numbers: []string{"+919876543210"}, Status: RecordPending},
			{Row: 6, Status: RecordInvalid, Reason: "extra columns"},
			{Row: 7, Numbers: []string{"+919876543212"}, Status: RecordPending, ScheduleExtension: "1101"},
			{Row: 8, Numbers: []string{"+919876543210"}, Status: RecordPending},
		})
		if req.ID == "" || req.Uploaded != 7 || req.Valid != 2 || req.Added != 2 || req.Invalid != 4 || req.Scrubbed != 1 || req.Completed != 0 {
			t.Fatalf("counts: %+v", req)
		}
		if req.Status != RequestScheduled || req.StartTime == nil || !req.StartTime.Equal(st) {
			t.Fatalf("status/start: %+v", req)
		}
		got, err := s.GetCallListRequest(ctx, acc.ID, req.ID)
		if err != nil || got.Uploaded != 7 || got.Status != RequestScheduled || got.FlowName != "Reminders" || got.CreatedAt.IsZero() {
			t.Fatalf("Get: %+v %v", got, err)
		}
		if _, err := s.GetCallListRequest(ctx, other.ID, req.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("other account sees the request: %v", err)
		}
		recs, err := s.ListCallListRecords(ctx, acc.ID, req.ID, 0, 100)
		if err != nil || len(recs) != 7 {
			t.Fatalf("records: %d %v", len(recs), err)
		}
		r0 := recs[0]
		if r0.Row != 2 || !slices.Equal(r0.Numbers, []string{"+919876543210", "+14155550100"}) || r0.Variables["name"] != "Doe, John" ||
			r0.ClientIdentifier != "c1" || r0.StartTime == nil || !r0.StartTime.Equal(st) || r0.Status != RecordPending {
			t.Errorf("record 0: %+v", r0)
		}
		if recs[3].Status != RecordInvalid || recs[3].Reason != "duplicate: +919876543210 is already in row 2" {
			t.Errorf("duplicate: %+v", recs[3])
		}
		if recs[6].Status != RecordInvalid || !strings.Contains(recs[6].Reason, "row 2") {
			t.Errorf("second duplicate: %+v", recs[6])
		}
		if recs[5].ScheduleExtension != "1101" || recs[5].Status != RecordPending {
			t.Errorf("schedule ext: %+v", recs[5])
		}
		if recs[2].Status != RecordScrubbed || recs[4].Reason != "extra columns" {
			t.Errorf("rejections: %+v %+v", recs[2], recs[4])
		}
		if _, err := s.ListCallListRecords(ctx, other.ID, req.ID, 0, 10); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account lists records: %v", err)
		}
		// Dialer progress: In process, then Completed with 100 %.
		if err := s.SetCallListRecordStatus(ctx, acc.ID, recs[0].ID, RecordInProcess, ""); err != nil {
			t.Fatal(err)
		}
		got, _ = s.GetCallListRequest(ctx, acc.ID, req.ID)
		if got.Status != RequestInProcess || got.StartedAt == nil {
			t.Fatalf("after start: %+v", got)
		}
		for _, r := range []CallListRecord{recs[0], recs[5]} {
			if err := s.SetCallListRecordStatus(ctx, acc.ID, r.ID, RecordComplete, "IVR_FINISHED"); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.GetCallListRequest(ctx, acc.ID, req.ID)
		if got.Status != RequestCompleted || got.Completed != 2 || got.CompletionPercent != 100 {
			t.Fatalf("after completion: %+v", got)
		}
		if err := s.SetCallListRecordStatus(ctx, acc.ID, recs[1].ID, RecordComplete, ""); !errors.Is(err, ErrConflict) {
			t.Errorf("completing a rejected record: %v", err)
		}
		if err := s.SetCallListRecordStatus(ctx, other.ID, recs[0].ID, RecordComplete, ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account: %v", err)
		}
		// Summary filters.
		in2 := in
		in2.FlowID, in2.FlowType, in2.Source = "43", "dialer", SourceAPI
		req2 := mustImport(t, s, in2, []ImportRecord{{Row: 1, Numbers: []string{"+919876543210"}, Status: RecordPending}})
		if req2.Status != RequestScheduled || req2.CompletionPercent != 0 {
			t.Errorf("req2: %+v", req2)
		}
		past, future := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		for _, tc := range []struct {
			f    RequestFilter
			want []string
		}{
			{RequestFilter{AccountID: acc.ID}, []string{req2.ID, req.ID}},
			{RequestFilter{AccountID: acc.ID, FlowType: "dialer"}, []string{req2.ID}},
			{RequestFilter{AccountID: acc.ID, FlowID: "42"}, []string{req.ID}},
			{RequestFilter{AccountID: acc.ID, RequestID: req.ID}, []string{req.ID}},
			{RequestFilter{AccountID: acc.ID, From: &past, To: &future}, []string{req2.ID, req.ID}},
			{RequestFilter{AccountID: acc.ID, From: &future}, nil},
			{RequestFilter{AccountID: acc.ID, To: &past}, nil},
			{RequestFilter{AccountID: other.ID}, nil},
		} {
			rs, err := s.ListCallListRequests(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range rs {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("filter %+v: %v, want %v", tc.f, ids, tc.want)
			}
		}
		n := 0
		if err := s.EachCallListRecord(ctx, acc.ID, req.ID, func(CallListRecord) error { n++; return nil }); err != nil || n != 7 {
			t.Errorf("EachCallListRecord: %d %v", n, err)
		}
		if err := s.DeleteCallListRequest(ctx, other.ID, req.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete by another account: %v", err)
		}
		if err := s.DeleteCallListRequest(ctx, acc.ID, req.ID); err != nil {
			t.Fatal(err)
		}
		var left int64
		if err := s.r.WithContext(ctx).Model(&CallListRecord{}).Where("request_id = ?", req.ID).Count(&left).Error; err != nil || left != 0 {
			t.Errorf("records left after delete: %d %v", left, err)
		}
		if _, err := s.GetCallListRequest(ctx, acc.ID, req.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("request after delete: %v", err)
		}
	})
}

func TestImportCallListAtomic(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		in := CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceUpload}
		boom := errors.New("disk on fire")
		i := 0
		_, err := s.ImportCallList(ctx, in, func() (ImportRecord, error) {
			i++
			if i > 1200 {
				return ImportRecord{}, boom
			}
			return ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+9198%08d", i)}, Status: RecordPending}, nil
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want the source error, got %v", err)
		}
		rs, _ := s.ListCallListRequests(ctx, RequestFilter{AccountID: acc.ID})
		if len(rs) != 0 {
			t.Fatalf("a failed import left %d requests", len(rs))
		}
		for _, tc := range []struct {
			name string
			in   CallListImport
			recs []ImportRecord
			err  error
		}{
			{"bad status", in, []ImportRecord{{Row: 1, Numbers: []string{"+1"}, Status: "DONE"}}, ErrInvalid},
			{"valid without number", in, []ImportRecord{{Row: 1, Status: RecordPending}}, ErrInvalid},
			{"no flow", CallListImport{AccountID: acc.ID, Source: SourceAPI}, nil, ErrInvalid},
			{"bad source", CallListImport{AccountID: acc.ID, FlowID: "1", Source: "fax"}, nil, ErrInvalid},
			{"unknown account", CallListImport{AccountID: 999999, FlowID: "1", Source: SourceAPI}, []ImportRecord{{Row: 1, Numbers: []string{"+919876543210"}, Status: RecordPending}}, ErrNotFound},
			{"no records", in, nil, ErrInvalid},
		} {
			if _, err := s.ImportCallList(ctx, tc.in, ImportRecords(tc.recs)); !errors.Is(err, tc.err) {
				t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
			}
		}
		// Many rows: batches on SQLite, COPY on Postgres; duplicates across batches.
		var recs []ImportRecord
		for i := 1; i <= 1234; i++ {
			recs = append(recs, ImportRecord{Row: int64(i), Numbers: []string{fmt.Sprintf("+9198%08d", i%1000)}, Status: RecordPending})
		}
		req := mustImport(t, s, in, recs)
		if req.Uploaded != 1234 || req.Added != 1000 || req.Invalid != 234 {
			t.Fatalf("counts %+v", req)
		}
	})
}

func TestListEntriesAndScreen(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		for _, tc := range []struct {
			list, kind, value, want string
			err                     error
		}{
			{ListWhite, KindIPv4, " 10.0.0.1 ", "10.0.0.1", nil},
			{ListWhite, KindIPv4, "::1", "", ErrInvalid},
			{ListWhite, KindIPv4, "10.0.0.256", "", ErrInvalid},
			{ListWhite, KindDomain, "Example.COM.", "example.com", nil},
			{ListWhite, KindDomain, "not a domain", "", ErrInvalid},
			{ListWhite, KindEmail, "Ops@Example.com", "ops@example.com", nil},
			{ListWhite, KindEmail, "Ops <ops@example.com>", "", ErrInvalid},
			{ListBlack, KindEmail, "spam@example.com", "spam@example.com", nil},
			{ListBlack, KindPhone, "+919800000001", "+919800000001", nil},
			{ListBlack, KindPhone, "9800000001", "", ErrInvalid},
			{ListBlack, KindIPv4, "10.0.0.1", "", ErrInvalid},
			{ListWhite, KindPhone, "+919811111111", "+919811111111", nil},
			{ListWhite, KindPhone, "+919811111111", "", ErrConflict},
			{"grey", KindPhone, "+919811111111", "", ErrInvalid},
			{ListWhite, "fax", "1", "", ErrInvalid},
		} {
			e, err := s.AddListEntry(ctx, acc.ID, tc.list, tc.kind, tc.value, true)
			if !errors.Is(err, tc.err) || (tc.err == nil && e.Value != tc.want) {
				t.Errorf("%s %s %q: %+v %v", tc.list, tc.kind, tc.value, e, err)
			}
		}
		for i := 2; i <= MaxWhitelistedPhones; i++ {
			if _, err := s.AddListEntry(ctx, acc.ID, ListWhite, KindPhone, fmt.Sprintf("+9198111111%02d", i), true); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.AddListEntry(ctx, acc.ID, ListWhite, KindPhone, "+919811111199", true); !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "at most 10") {
			t.Errorf("11th whitelisted number: %v", err)
		}
		es, err := s.ListListEntries(ctx, acc.ID, ListWhite, KindIPv4)
		if err != nil || len(es) != 1 || es[0].Value != "10.0.0.1" {
			t.Fatalf("ipv4 entries: %+v %v", es, err)
		}
		if err := s.DeleteListEntry(ctx, other.ID, es[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete other account's entry: %v", err)
		}
		if err := s.DeleteListEntry(ctx, acc.ID, es[0].ID); err != nil {
			t.Fatal(err)
		}
		n, err := s.AddDNCEntries(ctx, acc.ID, "ndnc.csv", []DNCEntry{{Value: "+919822222222"}, {Value: "+91981", Prefix: true}, {Value: "+919822222222"}})
		if err != nil || n != 2 {
			t.Fatalf("AddDNCEntries: %d %v", n, err)
		}
		if _, err := s.AddDNCEntries(ctx, acc.ID, "x", []DNCEntry{{Value: "+91981"}}); !errors.Is(err, ErrInvalid) {
			t.Errorf("short number accepted: %v", err)
		}
		scr, err := s.LoadNumberScreen(ctx, acc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !scr.Blacklisted("+919800000001") || scr.Blacklisted("+919811111111") || !scr.Whitelisted("+919811111111") {
			t.Error("black/white lookups")
		}
		if e, ok := scr.DNC("+919822222222"); !ok || e != "+919822222222" {
			t.Errorf("DNC number: %q %v", e, ok)
		}
		if e, ok := scr.DNC("+919812345678"); !ok || e != "+91981" {
			t.Errorf("DNC prefix: %q %v", e, ok)
		}
		if _, ok := scr.DNC("+919712345678"); ok {
			t.Error("DNC false positive")
		}
		oscr, _ := s.LoadNumberScreen(ctx, other.ID)
		if oscr.Blacklisted("+919800000001") {
			t.Error("lists leak across accounts")
		}
	})
}

// ---- benchmark ----

// benchSource adapts the real parser and validator to ImportCallList,
// exactly as the HTTP layer does.
func benchSource(t testing.TB, rd *calllist.Reader, v *calllist.Validator) func() (ImportRecord, error) {
	return func() (ImportRecord, error) {
		rec, err := rd.Next()
		var re *calllist.RowError
		switch {
		case errors.As(err, &re):
			return ImportRecord{Row: int64(re.Row), Status: RecordInvalid, Reason: re.Reason}, nil
		case err != nil:
			return ImportRecord{}, err
		}
		c := v.Check(rec)
		return ImportRecord{Row: int64(c.Row), ClientIdentifier: c.ClientIdentifier, Numbers: c.Numbers, Variables: c.Variables,
			StartTime: c.StartTime, ScheduleExtension: c.ScheduleExtension, Status: c.Status, Reason: c.Reason}, nil
	}
}

// writeBenchCSV writes an n-row call list (unique valid Indian mobiles, an
// alternate number, a start time and two flow variables).
func writeBenchCSV(t testing.TB, path string, n int) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "tel1,tel2,starttime,client-identifier,$flow.key.name,$flow.key.amount")
	for i := range n {
		fmt.Fprintf(w, "+9198%08d,+9197%08d,2030-01-02T10:00:00+05:30,cust-%d,\"Customer %d, Esq.\",%d\n", i, i, i, i, i%10000)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

type importRun struct {
	rows     int64
	elapsed  time.Duration
	peakHeap uint64 // max of heap objects bytes sampled during the import, minus the baseline
}

func runImport(b *testing.B, s *Store, accountID int64, path string, wantRows int64) importRun {
	b.Helper()
	ctx := context.Background()
	scr, err := s.LoadNumberScreen(ctx, accountID)
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(samples)
	base := samples[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		s := make([]metrics.Sample, 1)
		s[0].Name = samples[0].Name
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				metrics.Read(s)
				if v := s[0].Value.Uint64(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rd, err := calllist.NewReader(f, calllist.Options{FileName: filepath.Base(path), MaxBytes: -1, Variables: []string{"name", "amount"}})
	if err != nil {
		b.Fatal(err)
	}
	req, err := s.ImportCallList(ctx, CallListImport{AccountID: accountID, FlowID: "bench", FlowType: "outbound", Source: SourceUpload, FileName: filepath.Base(path)},
		benchSource(b, rd, &calllist.Validator{Region: "IN", Screen: scr}))
	elapsed := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		b.Fatal(err)
	}
	if req.Uploaded != wantRows || req.Added != wantRows {
		b.Fatalf("imported %+v, want %d valid rows", req, wantRows)
	}
	p := peak.Load()
	if p < base {
		p = base
	}
	return importRun{rows: req.Uploaded, elapsed: elapsed, peakHeap: p - base}
}

// BenchmarkCallListLoad is one whole scenario per run (it ignores b.N):
// import a generated 1,000,000-row CSV on PostgreSQL (parse + validate +
// COPY + duplicate marking + counts) and compare with psql \copy of the
// same rows into a table of the same shape; the same import on SQLite; peak
// heap for 100k vs 1M rows. SWITCHYARD_BENCH_CALLLIST_ROWS changes 1M.
func BenchmarkCallListLoad(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("SWITCHYARD_BENCH_CALLLIST_ROWS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	small := n / 10
	dir := b.TempDir()
	bigPath, smallPath := filepath.Join(dir, "big.csv"), filepath.Join(dir, "small.csv")
	writeBenchCSV(b, bigPath, n)
	writeBenchCSV(b, smallPath, small)
	ctx := context.Background()

	// PostgreSQL: the import, then psql \copy of the same stored rows.
	pgOpts := freshOptions(b, DriverPostgres)
	pg, _ := openStoreWith(b, pgOpts)
	acc := mustAccount(b, pg, "bench")
	rSmall := runImport(b, pg, acc.ID, smallPath, int64(small))
	rBig := runImport(b, pg, acc.ID, bigPath, int64(n))
	// The same rows as the import stored them, as CSV for \copy (not timed).
	rowsCSV := filepath.Join(dir, "rows.csv")
	if err := pg.w.WithContext(ctx).Exec(`CREATE TABLE copy_baseline (LIKE call_list_records INCLUDING ALL)`).Error; err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(pgOpts.URL)
	if err != nil {
		b.Fatal(err)
	}
	psql := func(cmd string) time.Duration {
		start := time.Now()
		out, err := exec.Command("psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", u.String(), "-c", cmd).CombinedOutput()
		if err != nil {
			b.Fatalf("psql %s: %v\n%s", cmd, err, out)
		}
		return time.Since(start)
	}
	psql(`\copy (SELECT ` + recordCols + ` FROM call_list_records WHERE request_id = (SELECT id FROM call_list_requests WHERE uploaded = ` + fmt.Sprint(n) + ` LIMIT 1) ORDER BY row_no) TO '` + rowsCSV + `' CSV`)
	copyElapsed := psql(`\copy copy_baseline (` + recordCols + `) FROM '` + rowsCSV + `' CSV`)
	var copied int64
	if err := pg.w.WithContext(ctx).Raw(`SELECT count(*) FROM copy_baseline`).Scan(&copied).Error; err != nil || copied != int64(n) {
		b.Fatalf("\\copy loaded %d rows, want %d (%v)", copied, n, err)
	}

	// SQLite.
	lite, _ := openTestStore(b, DriverSQLite)
	lacc := mustAccount(b, lite, "bench")
	rLite := runImport(b, lite, lacc.ID, bigPath, int64(n))
	// The import returns once its rows are committed (in the WAL); copying
	// them into the database file runs after, in the background. Its time,
	// reported too:
	cpStart := time.Now()
	lite.bg.Wait()
	cpElapsed := time.Since(cpStart)
	rLiteSmall := runImport(b, lite, lacc.ID, smallPath, int64(small))
	// The engine's own ceiling: the rows the import stored, copied inside
	// SQLite into a table of the same columns without any index (no Go, no
	// SQL text, no duplicate marking), in one autocommit statement.
	var bigReq string
	if err := lite.w.WithContext(ctx).Raw(`SELECT id FROM call_list_requests WHERE uploaded = ? LIMIT 1`, n).Scan(&bigReq).Error; err != nil || bigReq == "" {
		b.Fatalf("the %d-row request: %q %v", n, bigReq, err)
	}
	if err := lite.w.WithContext(ctx).Exec(`CREATE TABLE bare_copy AS SELECT ` + recordCols + ` FROM call_list_records WHERE 0`).Error; err != nil {
		b.Fatal(err)
	}
	bareStart := time.Now()
	if err := lite.w.WithContext(ctx).Exec(`INSERT INTO bare_copy SELECT `+recordCols+` FROM call_list_records WHERE request_id = ?`, bigReq).Error; err != nil {
		b.Fatal(err)
	}
	bareElapsed := time.Since(bareStart)

	rate := func(rows int64, d time.Duration) float64 { return float64(rows) / d.Seconds() }
	pgRate, copyRate, liteRate := rate(rBig.rows, rBig.elapsed), rate(int64(n), copyElapsed), rate(rLite.rows, rLite.elapsed)
	b.ReportMetric(pgRate, "pg_rows/s")
	b.ReportMetric(copyRate, "psql_copy_rows/s")
	b.ReportMetric(pgRate/copyRate, "pg/copy_ratio")
	b.ReportMetric(liteRate, "sqlite_rows/s")
	b.ReportMetric(rate(rLite.rows, rLite.elapsed+cpElapsed), "sqlite_rows/s_incl_checkpoint")
	b.ReportMetric(rate(int64(n), bareElapsed), "sqlite_engine_copy_rows/s")
	b.ReportMetric(float64(rSmall.peakHeap)/(1<<20), "pg_peak_heap_MB_small")
	b.ReportMetric(float64(rBig.peakHeap)/(1<<20), "pg_peak_heap_MB_big")
	b.ReportMetric(float64(rLiteSmall.peakHeap)/(1<<20), "sqlite_peak_heap_MB_small")
	b.ReportMetric(float64(rLite.peakHeap)/(1<<20), "sqlite_peak_heap_MB_big")
	b.Logf("rows=%d small=%d | postgres import %.0f rows/s (%v) vs psql \\copy %.0f rows/s (%v): ratio %.2f (target >= 0.8) | sqlite %.0f rows/s (%v; target >= 200000; then the background WAL checkpoint %v) | the engine alone copies the stored rows into an index-free table at %.0f rows/s | peak heap pg %d rows %.1f MB, %d rows %.1f MB; sqlite %.1f MB / %.1f MB",
		n, small, pgRate, rBig.elapsed.Round(time.Millisecond), copyRate, copyElapsed.Round(time.Millisecond), pgRate/copyRate,
		liteRate, rLite.elapsed.Round(time.Millisecond), cpElapsed.Round(time.Millisecond), rate(int64(n), bareElapsed), small, float64(rSmall.peakHeap)/(1<<20), n, float64(rBig.peakHeap)/(1<<20),
		float64(rLiteSmall.peakHeap)/(1<<20), float64(rLite.peakHeap)/(1<<20))
}

// TestClaimFlowRecords: a flow's automatic dialing claims the due records
// of the flow's requests — not another flow's, not a request reserved for
// hand-made campaigns (listing one in a campaign reserves it; one already
// being dialed automatically cannot be listed), not a Completed one.
func TestClaimFlowRecords(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		other := mustAccount(t, s, "other")
		nowT := time.Now().UTC()
		past, future := nowT.Add(-time.Hour), nowT.Add(time.Hour)
		imp := func(acct int64, flow string, rs ...ImportRecord) CallListRequest {
			return mustImport(t, s, CallListImport{AccountID: acct, FlowID: flow, FlowType: "outbound_multicast", Source: SourceAPI}, rs)
		}
		pend := func(row int64, n string, at *time.Time) ImportRecord {
			return ImportRecord{Row: row, Numbers: []string{n}, StartTime: at, Status: RecordPending}
		}
		req := imp(acc.ID, "7", pend(1, "+12025550101", &future), pend(2, "+12025550102", &past), pend(3, "+12025550103", nil),
			ImportRecord{Row: 4, Numbers: []string{"x"}, Status: RecordInvalid, Reason: "bad"})
		otherFlow := imp(acc.ID, "8", pend(1, "+12025550104", nil))
		otherAcct := imp(other.ID, "7", pend(1, "+12025550105", nil))
		reserved := imp(acc.ID, "7", pend(1, "+12025550106", nil))
		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID, reserved.ID)); err != nil {
			t.Fatal(err)
		}
		if r, err := s.GetCallListRequest(ctx, acc.ID, reserved.ID); err != nil || !r.CampaignsOnly {
			t.Fatalf("a request listed by a campaign is reserved: %+v %v", r, err)
		}
		ids, err := s.FlowRequestIDs(ctx, acc.ID, "7")
		if err != nil || !slices.Equal(ids, []string{req.ID}) {
			t.Fatalf("FlowRequestIDs = %v %v, want [%s]", ids, err, req.ID)
		}

		// Leases outlast the test's clock (an expired one would be
		// reclaimed for the same attempt).
		claim := func(at time.Time) []CallListRecord {
			t.Helper()
			got, err := s.ClaimCampaignRecords(ctx, Claim{AccountID: acc.ID, FlowID: "7", Owner: "n1", Now: at, Lease: 3 * time.Hour, Limit: 10, MaxAttempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}
		if got := claim(nowT); !slices.Equal(rowsOf(got), []int64{2, 3}) || got[0].RequestID != req.ID {
			t.Fatalf("claimed %+v, want rows 2 and 3 of %s", got, req.ID)
		}
		if again := claim(nowT); len(again) != 0 {
			t.Fatalf("claimed twice: %+v", again)
		}
		r, err := s.GetCallListRequest(ctx, acc.ID, req.ID)
		if err != nil || r.Status != RequestInProcess || r.StartedAt == nil {
			t.Errorf("request after claim: %+v %v", r, err)
		}
		// Being dialed automatically: a hand-made campaign cannot take it.
		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID, req.ID)); !errors.Is(err, ErrConflict) {
			t.Errorf("campaign over an auto-dialed request: %v, want ErrConflict", err)
		}
		if later := claim(future.Add(time.Second)); !slices.Equal(rowsOf(later), []int64{1}) {
			t.Fatalf("future record: %+v", later)
		}
		for _, bad := range []Claim{
			{AccountID: acc.ID, Owner: "n1", Now: nowT, Lease: time.Minute, Limit: 1, MaxAttempts: 1},
			{AccountID: acc.ID, FlowID: "7", RequestIDs: []string{req.ID}, Owner: "n1", Now: nowT, Lease: time.Minute, Limit: 1, MaxAttempts: 1},
		} {
			if _, err := s.ClaimCampaignRecords(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("claim %+v: %v, want ErrInvalid", bad, err)
			}
		}
		// The other flow's, the other account's and the reserved request
		// were never touched.
		for _, x := range []CallListRequest{otherFlow, otherAcct, reserved} {
			recs, err := s.ListCallListRecords(ctx, x.AccountID, x.ID, 0, 10)
			if err != nil || len(recs) != 1 || recs[0].Status != RecordPending || recs[0].Attempts != 0 {
				t.Errorf("request %s: %+v %v", x.ID, recs, err)
			}
		}

		// The flow's dialing campaign: one per flow, hidden from the list.
		fc := Campaign{Campaign: dialer.Campaign{AccountID: acc.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast, Name: "flow 7", Source: CampaignSourceFlow,
			FlowID: "7", Trunk: "test", SimultaneousCalls: 5, DialAttempts: 1, Status: dialer.StatusRunning}}
		got, err := s.PutFlowCampaign(ctx, fc, true)
		if err != nil || got.ID == 0 || got.StartedAt == nil {
			t.Fatalf("PutFlowCampaign: %+v %v", got, err)
		}
		fc.SimultaneousCalls = 9
		if kept, err := s.PutFlowCampaign(ctx, fc, true); err != nil || kept.ID != got.ID || kept.SimultaneousCalls != 5 {
			t.Fatalf("ifMissing overwrote the settings: %+v %v", kept, err)
		}
		fc.Status = dialer.StatusPaused
		if upd, err := s.PutFlowCampaign(ctx, fc, false); err != nil || upd.ID != got.ID || upd.SimultaneousCalls != 9 || upd.Status != dialer.StatusPaused {
			t.Fatalf("update: %+v %v", upd, err)
		}
		if cs, err := s.ListCampaigns(ctx, acc.ID, ""); err != nil || len(cs) != 1 || cs[0].Source != "" {
			t.Fatalf("ListCampaigns shows flow campaigns: %+v %v", cs, err)
		}
		if _, err := s.GetFlowCampaign(ctx, other.ID, "7"); !errors.Is(err, ErrNotFound) {
			t.Errorf("another account's flow campaign: %v", err)
		}
		fc.Recipients = []string{req.ID}
		if _, err := s.PutFlowCampaign(ctx, fc, false); !errors.Is(err, ErrInvalid) {
			t.Errorf("flow campaign with recipients: %v", err)
		}

		if _, err := s.AddListEntry(ctx, acc.ID, ListBlack, KindPhone, "+919800000001", false); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.IsBlacklistedNumber(ctx, acc.ID, "+919800000001"); err != nil || !ok {
			t.Errorf("blacklisted: %v %v", ok, err)
		}
		if ok, err := s.IsBlacklistedNumber(ctx, acc.ID, "+919800000002"); err != nil {
			t.Fatalf("s.IsBlacklistedNumber(ctx, acc.ID, '+919800000002'): %v", err)
		} else if ok {
			t.Error("false positive")
		}
	})
}

func TestPhoneOTP(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		phone := "+919811111111"
		if _, err := s.VerifyOTP(ctx, acc.ID, phone, "123456"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("verify without OTP: %v", err)
		}
		if err := s.SaveOTP(ctx, acc.ID, phone, "123456"); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveOTP(ctx, acc.ID, phone, "654321"); !errors.Is(err, ErrConflict) {
			t.Fatalf("resend within a minute: %v", err)
		}
		if _, err := s.VerifyOTP(ctx, acc.ID, phone, "000000"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "4 attempts left") {
			t.Fatalf("wrong code: %v", err)
		}
		e, err := s.VerifyOTP(ctx, acc.ID, phone, "123456")
		if err != nil || e.Value != phone || e.VerifiedAt == nil || e.List != ListWhite {
			t.Fatalf("verify: %+v %v", e, err)
		}
		if _, err := s.VerifyOTP(ctx, acc.ID, phone, "123456"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("code reused: %v", err)
		}
		if err := s.SaveOTP(ctx, acc.ID, phone, "123456"); !errors.Is(err, ErrConflict) {
			t.Fatalf("OTP for a whitelisted number: %v", err)
		}
		// Attempts run out.
		p2 := "+919811111112"
		if err := s.SaveOTP(ctx, acc.ID, p2, "111111"); err != nil {
			t.Fatal(err)
		}
		for range OTPMaxAttempts {
			_, _ = s.VerifyOTP(ctx, acc.ID, p2, "999999")
		}
		if _, err := s.VerifyOTP(ctx, acc.ID, p2, "111111"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "too many") {
			t.Fatalf("after %d wrong codes: %v", OTPMaxAttempts, err)
		}
		// Expiry.
		p3 := "+919811111113"
		if err := s.SaveOTP(ctx, acc.ID, p3, "222222"); err != nil {
			t.Fatal(err)
		}
		if err := s.w.WithContext(ctx).Model(&phoneOTP{}).Where("phone = ?", p3).Update("expires_at", now().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := s.VerifyOTP(ctx, acc.ID, p3, "222222"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("expired: %v", err)
		}
		if err := s.SaveOTP(ctx, acc.ID, "12345", "222222"); !errors.Is(err, ErrInvalid) {
			t.Fatalf("bad number: %v", err)
		}
	})
}

// TestImportHostileValues: values that could break a hand-built statement
// (quotes, SQL, control bytes, non-ASCII) are stored and read back exactly,
// on both drivers. A NUL byte, which PostgreSQL text cannot hold, is
// refused in identifiers, kept in variables (JSON-escaped) and made visible
// in reasons.
func TestImportHostileValues(t *testing.T) {
	hostile := []string{
		`O'Brien`, `'); DROP TABLE call_list_records; --`, "tab\tnew\nline\r", `\' \\ "`,
		"Zoë ünïcødé 日本語 🚀", "''''", strings.Repeat("'", 200),
	}
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		in := CallListImport{AccountID: acc.ID, FlowID: "1", FlowName: "x'y", FlowType: "outbound", Source: SourceUpload, FileName: "it's.csv"}
		var recs []ImportRecord
		for i, v := range hostile {
			recs = append(recs, ImportRecord{Row: int64(i + 2), ClientIdentifier: v, Numbers: []string{fmt.Sprintf("+9198765432%02d", i)},
				Variables: map[string]string{"v": v, v: "key", "nul": "a\x00b"}, Status: RecordInvalid, Reason: v + "\x00"})
		}
		req := mustImport(t, s, in, recs)
		got, err := s.ListCallListRecords(ctx, acc.ID, req.ID, 0, 100)
		if err != nil || len(got) != len(hostile) {
			t.Fatalf("records: %d %v", len(got), err)
		}
		for i, r := range got {
			if r.ClientIdentifier != hostile[i] || r.Variables["v"] != hostile[i] || r.Variables[hostile[i]] != "key" ||
				r.Variables["nul"] != "a\x00b" || r.Reason != hostile[i]+`\0` {
				t.Errorf("row %d: got %q / %q / reason %q, want %q", i, r.ClientIdentifier, r.Variables["v"], r.Reason, hostile[i])
			}
		}
		i := 0
		_, err = s.ImportCallList(ctx, in, func() (ImportRecord, error) {
			if i++; i > 1 {
				return ImportRecord{}, io.EOF
			}
			return ImportRecord{Row: 2, ClientIdentifier: "a\x00b", Numbers: []string{"+919876543299"}, Status: RecordPending}, nil
		})
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "NUL") {
			t.Fatalf("NUL in a client identifier: %v", err)
		}
	})
}
