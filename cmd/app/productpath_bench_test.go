package app_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// benchCustomer is the test customer both loops dial: it answers and
// hangs up after 1 s. The dialed number follows it, so every call has its
// own channel name and the observer can tell the records apart.
const benchCustomer = "answer-hangup-1-"

// benchWaitFlow waits for the customer to hang up (a gather with no
// prompt), so the daemon's call lasts as long as the bare loop's.
const benchWaitFlow = `{"format": 1, "name": "Bench wait", "type": "outbound_multicast", "start": "wait",
 "nodes": [{"id": "wait", "type": "gather", "params": {"timeout": 10, "retries": 0}, "exits": ["end", "end"]},
           {"id": "end", "type": "hangup"}]}`

// BenchmarkProductPathLoad runs the product path as a whole: N = 3×C
// records uploaded as a CSV through the HTTP API of an in-process daemon
// (port 0; temp SQLite file or a fresh PostgreSQL database), dialed by the
// daemon (the flow's automatic dialing, set through the API to C
// simultaneous calls on an operator trunk; no campaign made by hand) to
// Local test customers that answer and hang up after 1 s, each
// answered call running a published flow, until the request summary (API)
// counts every record completed. In the same run a bare originate loop
// (raw ARI HTTP + websocket, same concurrency, same Local target) on the
// same Asterisk is the baseline.
//
// Reported: sy_calls/s, bare_calls/s, ratio (bare time ÷ product time;
// target ≥ 0.95 at C=200, ≥ 0.9 at C=800), cpu_ratio (the daemon's CPU
// per call ÷ Asterisk's CPU per call while the product path ran, from
// /proc/<pid>/stat; target ≤ 0.6), sy_cpu_ms/call, ast_cpu_ms/call,
// bare_client_cpu_ms/call (the bare loop's own client: a floor for the
// daemon's figure) and dials: the Local channels an independent observer (its own ARI
// subscription to all channels) saw created for the list's numbers. dials
// must equal N, each number once: otherwise the benchmark fails (a double
// dial or a lost record).
//
// The observer and the polling of the request summary run in a witness
// process of their own (the test binary run again, see startWitness), so
// the test process's CPU time is the daemon's (plus the one upload
// request and the idle test): cpu_ratio. cpu_ratio_with_witness adds the
// witness process's CPU time, as the figure was measured when the
// observer ran in the test process. SWITCHYARD_BENCH_CPUPROFILE=dir writes
// a pprof CPU profile of each product phase there.
func BenchmarkProductPathLoad(b *testing.B) {
	info := asterisktest.Require(b)
	astPID := asteriskPID(b)
	run := 0
	for _, driver := range storetest.Drivers {
		b.Run(driver, func(b *testing.B) {
			for _, c := range benchConcurrency(b) {
				run++
				b.Run(fmt.Sprintf("C=%d", c), func(b *testing.B) {
					for b.Loop() {
						productPathRun(b, info, astPID, driver, c, run)
					}
				})
			}
		})
	}
}

// benchConcurrency is C=200 and C=800, or the comma-separated list in
// SWITCHYARD_BENCH_PRODUCT_C (a quick run: SWITCHYARD_BENCH_PRODUCT_C=20).
func benchConcurrency(b *testing.B) []int {
	v := os.Getenv("SWITCHYARD_BENCH_PRODUCT_C")
	if v == "" {
		return []int{200, 800}
	}
	var cs []int
	for _, f := range strings.Split(v, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || c < 1 || c > 3000 {
			b.Fatalf("SWITCHYARD_BENCH_PRODUCT_C=%q: want numbers 1..3000", v)
		}
		cs = append(cs, c)
	}
	return cs
}

func productPathRun(b *testing.B, info asterisktest.Info, astPID int, driver string, c, run int) {
	n := 3 * c
	var dbURL string
	var booted app.Config
	a, stop := boot(b, func(cfg *app.Config) {
		cfg.ARIURL, cfg.ARIUser, cfg.ARIPassword = info.URL, info.User, info.Password
		// The operator's trunk to the benchmark's test customer.
		cfg.Trunks = "bench=Local/" + benchCustomer + "{number}@customers"
		cfg.DefaultTrunk = "bench"
		if v := os.Getenv("SWITCHYARD_BENCH_ARI_MAX_CONNS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				b.Fatalf("SWITCHYARD_BENCH_ARI_MAX_CONNS: %v", err)
			}
			cfg.ARIMaxConns = n
		}
		if v := os.Getenv("SWITCHYARD_BENCH_CPUS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				b.Fatalf("SWITCHYARD_BENCH_CPUS=%q: not a whole number of CPUs", v)
			}
			cfg.CPUs = n
		}
		if driver == store.DriverPostgres {
			dbURL = storetest.Options(b, driver).URL
			cfg.DatabaseURL = dbURL
		}
		booted = *cfg
	})
	defer stop()
	// The daemon's CPUs as the binary sets them (cmd/switchyard: Asterisk
	// on this host leaves the daemon half the CPUs). The bare loop's
	// client, in this process too, runs under the same setting.
	if n := booted.GoMaxProcs(runtime.NumCPU(), os.Getenv("GOMAXPROCS")); n > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
	}
	b.ReportMetric(float64(runtime.GOMAXPROCS(0)), "gomaxprocs")
	// A minute: the shared Asterisk may be reloading another worktree's
	// configuration.
	deadline := time.Now().Add(time.Minute)
	for !a.Calls().Stream().State().Connected {
		if time.Now().After(deadline) {
			b.Fatal("ARI not connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		b.Fatal(err)
	}
	code, body := apiCall(b, a, key, http.MethodPost, "/api/v1/flows", []byte(benchWaitFlow))
	if code != http.StatusCreated {
		b.Fatalf("create flow: %d %s", code, body)
	}
	var fl struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &fl); err != nil || fl.ID == 0 {
		b.Fatalf("create flow: %s", body)
	}
	flowID := strconv.FormatInt(fl.ID, 10)
	if code, body := apiCall(b, a, key, http.MethodPost, "/api/v1/flows/"+flowID+"/publish", nil); code/100 != 2 {
		b.Fatalf("publish flow: %d %s", code, body)
	}

	// The flow's dialing settings: the benchmark's trunk, C calls at a
	// time, one attempt.
	if code, body := apiCall(b, a, key, http.MethodPut, "/api/v1/flows/"+flowID+"/dialing", map[string]any{
		"mode": "automatic", "trunk": "bench", "caller_id": "+15551230000", "simultaneous_calls": c,
		"dial_attempts": 1, "dial_timeout_ms": 10000,
	}); code != http.StatusOK {
		b.Fatalf("flow dialing: %d %s", code, body)
	}

	// Numbers: Indian mobiles 98<run><7 digits> for the product path,
	// 97<run><7 digits> for the bare loop, so runs and loops never share a
	// channel name on the shared Asterisk.
	number := func(prefix string, i int) string { return fmt.Sprintf("+91%s%d%07d", prefix, run, i) }
	want := make(map[string]bool, n)
	var list bytes.Buffer
	list.WriteString("tel1,client-identifier\n")
	for i := range n {
		num := number("98", i)
		want[num] = true
		fmt.Fprintf(&list, "%s,c%d\n", num, i)
	}

	// The witness process (observer and polling) runs through both
	// phases, so Asterisk does the observer's work (an application
	// subscribed to all channels) in both; it counts the product path's
	// numbers only.
	wit := startWitness(b, info)
	// Baseline first (the product phase's garbage stays out of it).
	runtime.GC()
	// The test process does the bare loop's client work (the daemon is
	// idle then): the CPU a minimal ARI client spends per call.
	astBare0, client0 := procCPU(b, astPID), procCPU(b, os.Getpid())
	bare := aritest.BareLoopConcurrent(b, n, c, func(i int) string {
		return "Local/" + benchCustomer + number("97", i) + "@customers"
	})
	astBare, bareClient := procCPU(b, astPID)-astBare0, procCPU(b, os.Getpid())-client0
	waitNoChannels(b, a)

	runtime.GC()
	if dir := os.Getenv("SWITCHYARD_BENCH_CPUPROFILE"); dir != "" {
		stopProfile := startCPUProfile(b, filepath.Join(dir, fmt.Sprintf("productpath-%s-C%d.pprof", driver, c)))
		defer stopProfile()
	}
	var stopCount func() map[string]int64
	if os.Getenv("SWITCHYARD_BENCH_SQLCOUNT") != "" {
		stopCount = a.Store().CountStatements()
	}
	var pg *pgServer
	if dbURL != "" {
		pg = openPGServer(b, dbURL)
	}
	pool0 := a.Store().PoolStats()
	sy0, wit0, ast0 := procCPU(b, os.Getpid()), procCPU(b, wit.pid()), procCPU(b, astPID)
	start := time.Now()
	stopLive := func() {}
	if os.Getenv("SWITCHYARD_BENCH_LIVE") != "" {
		stopLive = sampleLive(a, c)
	}

	// The product path: the uploaded list is dialed by its flow's
	// automatic dialing (no campaign made by hand) through the named
	// trunk, C calls at a time.
	reqID := uploadCSV(b, a, key, flowID, list.Bytes(), n)
	wit.waitCompleted(b, a.Addr(), key, reqID, n, 10*time.Minute)
	elapsed := time.Since(start)
	stopLive()
	syCPU, witCPU, astCPU := procCPU(b, os.Getpid())-sy0, procCPU(b, wit.pid())-wit0, procCPU(b, astPID)-ast0
	if pg != nil {
		pgCPU, xacts := pg.since(b)
		b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(n), "pg_cpu_ms/call")
		b.ReportMetric(float64(xacts)/float64(n), "pg_xacts/call")
		fmt.Printf("  postgres: %.2f ms CPU per call (its backends of this database), %.2f transactions per call\n",
			float64(pgCPU.Microseconds())/1000/float64(n), float64(xacts)/float64(n))
	}
	if stopCount != nil {
		printStatements(b, stopCount(), n)
	}

	if os.Getenv("SWITCHYARD_BENCH_STOREOPS") != "" {
		printStoreOps(b, a)
		st := a.Store().PoolStats()
		fmt.Printf("  store pool: %d connections max, waits %d (%.1f ms mean), in use %d now\n",
			st.MaxOpenConnections, st.WaitCount-pool0.WaitCount,
			float64((st.WaitDuration-pool0.WaitDuration).Microseconds())/1000/float64(max(st.WaitCount-pool0.WaitCount, 1)), st.InUse)
	}
	// Every outcome is recorded: the per-request report has one line per
	// record, none left pending.
	checkReport(b, a, key, reqID, n)
	count := wit.created(b)
	dials, twice := dialsOf(count.Created, want)

	syPer := float64(syCPU.Microseconds()) / 1000 / float64(n)
	astPer := float64(astCPU.Microseconds()) / 1000 / float64(n)
	ratio := bare.Seconds() / elapsed.Seconds()
	cpuRatio := syCPU.Seconds() / astCPU.Seconds()
	// As measured before the witness had a process of its own: the
	// daemon plus the benchmark's observer and polling.
	withWitness := (syCPU + witCPU).Seconds() / astCPU.Seconds()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "sy_calls/s")
	b.ReportMetric(float64(n)/bare.Seconds(), "bare_calls/s")
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(cpuRatio, "cpu_ratio")
	b.ReportMetric(withWitness, "cpu_ratio_with_witness")
	b.ReportMetric(float64(witCPU.Microseconds())/1000/float64(n), "witness_cpu_ms/call")
	b.ReportMetric(syPer, "sy_cpu_ms/call")
	b.ReportMetric(astPer, "ast_cpu_ms/call")
	b.ReportMetric(float64(astBare.Microseconds())/1000/float64(n), "ast_bare_cpu_ms/call")
	b.ReportMetric(float64(bareClient.Microseconds())/1000/float64(n), "bare_client_cpu_ms/call")
	b.ReportMetric(float64(dials), "dials")
	fmt.Printf("BenchmarkProductPathLoad/%s/C=%d: N=%d product=%v (%.1f calls/s) bare=%v (%.1f calls/s) ratio=%.3f cpu: switchyard %.2f ms/call, asterisk %.2f ms/call (bare loop: %.2f), ratio %.2f (with the witness process's %.2f ms/call: %.2f); bare loop's client %.2f ms/call; observer dials=%d (twice: %d)\n",
		driver, c, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), bare.Round(time.Millisecond), float64(n)/bare.Seconds(),
		ratio, syPer, astPer, float64(astBare.Microseconds())/1000/float64(n), cpuRatio,
		float64(witCPU.Microseconds())/1000/float64(n), withWitness, float64(bareClient.Microseconds())/1000/float64(n), dials, twice)
	if count.Connects != 1 {
		b.Errorf("the observer's websocket was cut (%d connections; Asterisk closes one it cannot write to for 5 s): it may have missed dials", count.Connects)
	}
	if dials != n || twice != 0 {
		b.Fatalf("observer saw %d dials of the list's %d numbers (%d dialed more than once): want each exactly once", dials, n, twice)
	}
	waitNoChannels(b, a)
}

// uploadCSV posts the list as a multipart upload and returns the request id.
func uploadCSV(b *testing.B, a *app.App, key, flowID string, data []byte, n int) string {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "bench.csv")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := fw.Write(data); err != nil {
		b.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		b.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/calllists/uploads?flow_id="+flowID, &body)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Files []struct {
			Request struct {
				RequestID string `json:"request_id"`
				Valid     int    `json:"valid"`
			} `json:"request"`
			Error string `json:"error"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Files) != 1 {
		b.Fatalf("upload: %d %v %+v", resp.StatusCode, err, out)
	}
	if f := out.Files[0]; f.Error != "" || f.Request.RequestID == "" || f.Request.Valid != n {
		b.Fatalf("upload: %+v (want %d valid records)", f, n)
	}
	return out.Files[0].Request.RequestID
}

// checkReport reads the request's CSV report: n records, each COMPLETE.
func checkReport(b *testing.B, a *app.App, key, reqID string, n int) {
	code, body := apiCall(b, a, key, http.MethodGet, "/api/v1/calllists/requests/"+reqID+"/report.csv", nil)
	if code != http.StatusOK {
		b.Fatalf("report: %d %s", code, body)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != n+1 {
		b.Fatalf("report: %d rows (%v), want %d records + header", len(rows)-1, err, n)
	}
	col := slices.Index(rows[0], "status")
	if col < 0 {
		b.Fatalf("report header %v has no status", rows[0])
	}
	bad := 0
	for _, r := range rows[1:] {
		if r[col] != store.RecordComplete {
			if bad++; bad <= 3 {
				b.Errorf("report record not complete: %v", r)
			}
		}
	}
	if bad > 0 {
		b.Fatalf("report: %d of %d records not %s", bad, n, store.RecordComplete)
	}
}

func waitNoChannels(b *testing.B, a *app.App) {
	aritest.WaitIdle(b, a.Calls().Client())
}

// dialsOf counts, from the observer's own subscription (Local channels
// created, by dialed extension), the dials of the list's numbers and how
// many of them were dialed more than once.
func dialsOf(created map[string]int, want map[string]bool) (dials, twice int) {
	for exten, k := range created {
		if !want[strings.TrimPrefix(exten, benchCustomer)] {
			continue
		}
		dials += k
		if k > 1 {
			twice++
		}
	}
	return dials, twice
}

// asteriskPID is the Asterisk process the benchmark reads CPU time of from
// /proc: SWITCHYARD_BENCH_ASTERISK_PID (for an Asterisk of the benchmark's
// own at SWITCHYARD_ARI_URL, away from other tests' load and reloads), else
// the local dev Asterisk (its pid file in the chroot).
func asteriskPID(b *testing.B) int {
	if v := os.Getenv("SWITCHYARD_BENCH_ASTERISK_PID"); v != "" {
		pid, err := strconv.Atoi(v)
		if err != nil || pid <= 0 {
			b.Fatalf("SWITCHYARD_BENCH_ASTERISK_PID=%q: not a process id", v)
		}
		return pid
	}
	info := asterisktest.Require(b)
	if info.Root == "" {
		if os.Getenv("CI") == "true" {
			b.Fatal("the product-path benchmark reads Asterisk's CPU time from /proc: it needs the local dev Asterisk (asterisk-conf/local/up.sh)")
		}
		b.Skip("the product-path benchmark reads Asterisk's CPU time from /proc: it needs the local dev Asterisk (asterisk-conf/local/up.sh)")
	}
	raw, err := os.ReadFile(filepath.Join(info.Root, "run", "asterisk", "asterisk.pid"))
	if err != nil {
		b.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		b.Fatalf("asterisk.pid: %v", err)
	}
	return pid
}

// clockTick is USER_HZ, the unit of /proc/<pid>/stat times (100 on every
// Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// procCPU is a process's user + system CPU time so far
// (/proc/<pid>/stat utime and stime, all threads).
func procCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The command name (field 2) is in parentheses and may hold spaces:
	// fields are counted after its closing parenthesis.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(ut+st) * clockTick
}

// startCPUProfile writes a pprof CPU profile to path until the returned
// function is called.
func startCPUProfile(b *testing.B, path string) func() {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			b.Error(err)
		}
	}
}

// printStoreOps prints the mean duration and count of each store operation
// (from /metrics; SWITCHYARD_BENCH_STOREOPS=1): where a call's time in
// the store goes under load.
func printStoreOps(b *testing.B, a *app.App) {
	resp, err := http.Get("http://" + a.Addr() + "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	sums, counts := map[string]float64{}, map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for suffix, m := range map[string]map[string]float64{"switchyard_store_op_duration_seconds_sum{": sums, "switchyard_store_op_duration_seconds_count{": counts} {
			if !strings.HasPrefix(line, suffix) {
				continue
			}
			_, rest, _ := strings.Cut(line, `op="`)
			op, rest, _ := strings.Cut(rest, `"`)
			_, val, _ := strings.Cut(rest, "} ")
			v, _ := strconv.ParseFloat(strings.TrimSpace(val), 64)
			m[op] += v
		}
	}
	for _, op := range slices.Sorted(maps.Keys(counts)) {
		if counts[op] > 0 {
			fmt.Printf("  store %-28s n=%6.0f mean %7.2f ms\n", op, counts[op], sums[op]/counts[op]*1000)
		}
	}
}

// printStatements prints the SQL statements the store ran during the
// product phase, per call, by kind (SWITCHYARD_BENCH_SQLCOUNT=1).
func printStatements(b *testing.B, counts map[string]int64, n int) {
	var total int64
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		total += counts[k]
		fmt.Printf("  sql %-40s %6d  %5.2f/call\n", k, counts[k], float64(counts[k])/float64(n))
	}
	fmt.Printf("  sql statements per call: %.2f\n", float64(total)/float64(n))
	b.ReportMetric(float64(total)/float64(n), "sql/call")
}

// pgServer reads the CPU time of the PostgreSQL backends serving the
// benchmark's database (/proc of the server processes, found through
// pg_stat_activity: the server runs on this machine) and the database's
// committed transactions.
type pgServer struct {
	db    *sql.DB
	name  string
	cpu0  map[int]time.Duration
	xact0 int64
}

func openPGServer(b *testing.B, url string) *pgServer {
	db, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	p := &pgServer{db: db}
	if err := db.QueryRow("SELECT current_database()").Scan(&p.name); err != nil {
		b.Fatal(err)
	}
	p.cpu0 = p.backendCPU(b)
	p.xact0 = p.xacts(b)
	return p
}

func (p *pgServer) backendCPU(b *testing.B) map[int]time.Duration {
	rows, err := p.db.Query("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", p.name)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[int]time.Duration{}
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			b.Fatal(err)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			out[pid] = procCPU(b, pid)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

func (p *pgServer) xacts(b *testing.B) int64 {
	// The statistics are flushed by backends now and then: ask for a
	// fresh snapshot.
	_, _ = p.db.Exec("SELECT pg_stat_clear_snapshot()")
	var n int64
	if err := p.db.QueryRow("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", p.name).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// since is the backends' CPU time (a backend that started meanwhile counts
// from zero) and the database's transactions since openPGServer.
func (p *pgServer) since(b *testing.B) (time.Duration, int64) {
	var cpu time.Duration
	for pid, t := range p.backendCPU(b) {
		cpu += t - p.cpu0[pid]
	}
	// Backends report their transaction counts at most every second.
	time.Sleep(1100 * time.Millisecond)
	return cpu, p.xacts(b) - p.xact0
}

// sampleLive samples the daemon's live calls every 50 ms until the
// returned function is called, which prints how full the C lines were
// kept (SWITCHYARD_BENCH_LIVE=1): the mean of the samples and the share
// of samples at C or above, after the first C calls were placed.
func sampleLive(a *app.App, c int) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	var samples []int
	var slotSum, slotFull, slotN, slots int
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				samples = append(samples, a.Calls().Live())
				held, n := a.Calls().Client().OriginatesInFlight()
				slots = n
				slotSum += held
				slotN++
				if held == n {
					slotFull++
				}
			}
		}
	}()
	return func() {
		close(stop)
		<-done
		fmt.Printf("  originate slots: mean %.1f of %d held, all held in %d of %d samples\n",
			float64(slotSum)/float64(max(slotN, 1)), slots, slotFull, slotN)
		first := slices.IndexFunc(samples, func(n int) bool { return n >= c*9/10 })
		if first < 0 {
			fmt.Printf("  live calls: never reached 90%% of C=%d (max %d over %d samples)\n", c, slices.Max(append(samples, 0)), len(samples))
			return
		}
		var sum, full int
		// Until the list runs out: the samples while calls are still
		// being started (the last C calls only end).
		body := samples[first:]
		for i, n := range body {
			if n < c*9/10 && i > len(body)*2/3 {
				body = body[:i]
				break
			}
		}
		for _, n := range body {
			sum += n
			if n >= c*95/100 {
				full++
			}
		}
		fmt.Printf("  live calls: 90%% of C after %d ms; then mean %.0f of C=%d, >=95%% of C in %d of %d samples\n",
			first*50, float64(sum)/float64(max(len(body), 1)), c, full, len(body))
	}
}
