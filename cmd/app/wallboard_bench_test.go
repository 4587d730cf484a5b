package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/store"
)

const (
	wallboardAgents  = 500
	wallboardQueues  = 50
	wallboardPerSec  = 2 // state changes per agent per second
	wallboardRunTime = 15 * time.Second
)

// wallboardProbe runs in every new document: it records when each frame
// is drawn (frame times), long tasks, and, for every agent card whose
// state changed (data-since, the ACD's time of the change), the time from
// the change in the ACD to the frame that shows it (update to paint).
const wallboardProbe = `window.__wb = { frames: [], lat: [], long: 0, on: false };
(() => {
	let last = 0;
	const tick = (t) => { if (window.__wb.on && last) window.__wb.frames.push(t - last); last = t; requestAnimationFrame(tick); };
	requestAnimationFrame(tick);
	try { new PerformanceObserver((l) => { if (window.__wb.on) window.__wb.long += l.getEntries().length; }).observe({ entryTypes: ['longtask'] }); } catch (e) {}
	const seen = new Set();
	const watch = () => {
		const grid = document.querySelector('.wb-grid');
		if (!grid) { setTimeout(watch, 50); return; }
		new MutationObserver((ms) => {
			if (!window.__wb.on) return;
			const since = [];
			for (const m of ms) {
				const el = m.target.closest ? m.target.closest('.wb-agent') : m.target.parentElement?.closest('.wb-agent');
				if (el && el === m.target && m.attributeName === 'data-since' && el.dataset.since) since.push(el.dataset.since);
			}
			if (!since.length) return;
			requestAnimationFrame(() => {
				const now = Date.now();
				for (const s of since) window.__wb.lat.push(now - Date.parse(s));
			});
		}).observe(grid, { attributes: true, attributeFilter: ['data-since'], subtree: true });
	};
	watch();
})();`

type sseCount struct {
	bytes, events atomic.Int64
}

// countStream reads the supervisor stream as a client would and counts
// its bytes and events until ctx ends.
func countStream(ctx context.Context, b *testing.B, addr, key, query string, c *sseCount) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/v1/supervisor/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Errorf("stream: %v", err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		c.bytes.Add(int64(len(line) + 1))
		if strings.HasPrefix(line, "event: ") {
			c.events.Add(1)
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWallboardLoad: the console's Wallboard in Chromium (headless,
// chromedp) against the daemon booted in-process, with 500 agents in 50
// queues (10 members each), every agent changing state twice a second in
// the real ACD engine (pause with a reason / unpause: 1000 changes a
// second, each also changing its queue's row), for 15 s, through the real
// supervisor stream (SSE) to the page. Measured:
//
//   - paint: from a change in the ACD (the row's since) to the frame that
//     shows it on the agent's card (p50, p95, max in ms): the server's
//     batch window, the stream, parsing, rendering and painting;
//   - frame: the intervals between drawn frames (p50, p95, max ms) and the
//     number of long tasks (over 50 ms) while the updates flow;
//   - the stream's size and rate for one client (KB/s, events/s), and the
//     daemon process's CPU (% of one core: the ACD, the stream handlers
//     of the browser and of one counting client, the driver, the journal
//     writes);
//   - without the browser, one client of the stream unbatched (batch_ms=0,
//     the API's default) and batched as the Wallboard asks (batch_ms=100):
//     its KB/s, events/s and the process's CPU; then the CPU with twenty
//     clients each way.
func BenchmarkWallboardLoad(b *testing.B) {
	for range b.N {
		runWallboardLoad(b)
	}
}

func runWallboardLoad(b *testing.B) {
	a, stop := boot(b, noARI)
	defer stop()
	ctx := context.Background()
	st := a.Store()
	acc, err := st.CreateAccount(ctx, "wallboard")
	if err != nil {
		b.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "sup@bench.test", Name: "Bench Supervisor",
		Role: store.RoleSupervisor, Password: "correct horse battery"}); err != nil {
		b.Fatal(err)
	}
	ids := make([]int64, 0, wallboardAgents)
	for i := range wallboardAgents {
		code, body := apiCall(b, a, key, http.MethodPost, "/api/v1/agents", map[string]any{
			"name": fmt.Sprintf("Agent %03d", i), "login_type": "mobile", "number": fmt.Sprintf("+1555%07d", i)})
		var ag struct {
			ID int64 `json:"id"`
		}
		if code != http.StatusCreated || json.Unmarshal(body, &ag) != nil {
			b.Fatalf("agent %d: %d %s", i, code, body)
		}
		ids = append(ids, ag.ID)
	}
	for q := range wallboardQueues {
		members := ids[q*wallboardAgents/wallboardQueues : (q+1)*wallboardAgents/wallboardQueues]
		if code, body := apiCall(b, a, key, http.MethodPost, "/api/v1/queues", map[string]any{
			"name": fmt.Sprintf("queue-%02d", q), "members": members}); code != http.StatusCreated {
			b.Fatalf("queue %d: %d %s", q, code, body)
		}
	}
	eng := a.ACDEngine()
	for _, id := range ids {
		if err := eng.Login(ctx, acc.ID, id); err != nil {
			b.Fatal(err)
		}
	}

	br := newBrowser(b, a, 1600, 1000)
	br.login("sup@bench.test", "correct horse battery")
	if _, err := chromedp.Call(br.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: wallboardProbe}); err != nil {
		b.Fatalf("probe: %v", err)
	}
	// A new document (the login page's hash route would not run the probe).
	br.run("blank page", chromedp.Navigate("about:blank"))
	br.open("/wallboard")
	br.waitJS("500 agents and 50 queues on the board", fmt.Sprintf(`document.querySelectorAll('.wb-agent').length === %d && document.querySelectorAll('.wb-queue').length === %d`,
		wallboardAgents, wallboardQueues), 60*time.Second)
	time.Sleep(time.Second) // the charts' chunk

	// drive changes every agent's state wallboardPerSec times a second,
	// spread evenly, until ctx ends; it returns the changes made.
	drive := func(ctx context.Context) int {
		n := 0
		paused := make([]bool, len(ids))
		every := time.Second / time.Duration(wallboardAgents*wallboardPerSec)
		t := time.NewTicker(every * 10)
		defer t.Stop()
		i := 0
		for {
			select {
			case <-ctx.Done():
				return n
			case <-t.C:
			}
			for range 10 {
				k := i % len(ids)
				i++
				var err error
				if paused[k] {
					err = eng.Unpause(ctx, acc.ID, ids[k])
				} else {
					err = eng.Pause(ctx, acc.ID, ids[k], fmt.Sprintf("break-%d", i%3))
				}
				if err != nil {
					if ctx.Err() != nil {
						return n
					}
					b.Fatalf("agent %d: %v", ids[k], err)
				}
				paused[k] = !paused[k]
				n++
			}
		}
	}
	// measure runs the driver for wallboardRunTime with clients readers of
	// the stream; the rates are per client.
	measure := func(query string, browser bool, clients int) (changes int, kbps, evps, cpu float64) {
		var c sseCount
		sctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() { defer wg.Done(); countStream(sctx, b, a.Addr(), key, query, &c) }()
		}
		time.Sleep(500 * time.Millisecond) // the snapshot
		c0b, c0e := c.bytes.Load(), c.events.Load()
		if browser {
			jsEval[bool](br, "start probe", `(window.__wb.on = true)`)
		}
		cpu0, t0 := cpuTime(), time.Now()
		dctx, dcancel := context.WithTimeout(ctx, wallboardRunTime)
		changes = drive(dctx)
		dcancel()
		el := time.Since(t0)
		cpu = 100 * float64(cpuTime()-cpu0) / float64(el)
		if browser {
			jsEval[bool](br, "stop probe", `(window.__wb.on = false, true)`)
		}
		time.Sleep(300 * time.Millisecond)
		kbps = float64(c.bytes.Load()-c0b) / 1024 / el.Seconds() / float64(clients)
		evps = float64(c.events.Load()-c0e) / el.Seconds() / float64(clients)
		cancel()
		wg.Wait()
		return changes, kbps, evps, cpu
	}

	changes, kbps, evps, cpu := measure("?batch_ms=100", true, 1)
	type probe struct {
		Frames []float64 `json:"frames"`
		Lat    []float64 `json:"lat"`
		Long   int       `json:"long"`
	}
	p := jsEval[probe](br, "probe results", `window.__wb`)
	if len(p.Lat) < 100 || len(p.Frames) < 10 {
		paused := jsEval[int](br, "paused cards", `document.querySelectorAll('.wb-agent[data-state=paused]').length`)
		b.Fatalf("too few samples: %d latencies, %d frames (%d changes, stream %.0f KB/s %.0f events/s, %d paused cards)", len(p.Lat), len(p.Frames), changes, kbps, evps, paused)
	}
	pct := func(xs []float64, q int) float64 {
		ys := slices.Clone(xs)
		slices.Sort(ys)
		return ys[min(len(ys)-1, (len(ys)*q+99)/100-1)]
	}
	b.ReportMetric(float64(changes)/wallboardRunTime.Seconds(), "changes/s")
	b.ReportMetric(pct(p.Lat, 50), "paint-p50-ms")
	b.ReportMetric(pct(p.Lat, 95), "paint-p95-ms")
	b.ReportMetric(slices.Max(p.Lat), "paint-max-ms")
	b.ReportMetric(pct(p.Frames, 50), "frame-p50-ms")
	b.ReportMetric(pct(p.Frames, 95), "frame-p95-ms")
	b.ReportMetric(slices.Max(p.Frames), "frame-max-ms")
	b.ReportMetric(float64(p.Long), "longtasks")
	b.ReportMetric(float64(len(p.Lat))/wallboardRunTime.Seconds(), "painted-changes/s")
	b.ReportMetric(kbps, "sse-KB/s")
	b.ReportMetric(evps, "sse-events/s")
	b.ReportMetric(cpu, "cpu-%")
	br.screenshot("wallboard-load")
	noBrowser := func() {
		_, _ = chromedp.Run(br.ctx, chromedp.Navigate("about:blank"))
	}
	noBrowser()
	time.Sleep(500 * time.Millisecond)
	_, kbps0, evps0, cpu0 := measure("?batch_ms=0", false, 1)
	_, kbps1, evps1, cpu1 := measure("?batch_ms=100", false, 1)
	// Twenty wallboards open at once (in-process readers: the CPU includes
	// their reading).
	_, _, _, cpu20u := measure("?batch_ms=0", false, 20)
	_, _, _, cpu20b := measure("?batch_ms=100", false, 20)
	b.ReportMetric(cpu20u, "unbatched-20-clients-cpu-%")
	b.ReportMetric(cpu20b, "batched-20-clients-cpu-%")
	b.ReportMetric(kbps0, "unbatched-sse-KB/s")
	b.ReportMetric(evps0, "unbatched-sse-events/s")
	b.ReportMetric(cpu0, "unbatched-cpu-%")
	b.ReportMetric(kbps1, "batched-sse-KB/s")
	b.ReportMetric(evps1, "batched-sse-events/s")
	b.ReportMetric(cpu1, "batched-cpu-%")
}
