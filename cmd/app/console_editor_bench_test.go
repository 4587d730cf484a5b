package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// bigFlow is a valid flow of n nodes: a binary tree of plays, gathers,
// decisions and answers (each node's two lines lead to its children).
func bigFlow(n int) []byte {
	nodes := make([]map[string]any, n)
	for i := range n {
		var exits []string
		for _, c := range []int{2*i + 1, 2*i + 2} {
			if c < n {
				exits = append(exits, fmt.Sprintf("n%d", c))
			}
		}
		node := map[string]any{"id": fmt.Sprintf("n%d", i), "exits": exits}
		switch i % 4 {
		case 0:
			node["type"], node["params"] = "play", map[string]any{"media": []string{"sound:hello-world"}}
		case 1:
			node["type"], node["params"] = "gather", map[string]any{"max_digits": 4, "variable": "$flow.key.d"}
		case 2:
			node["type"], node["params"] = "decision", map[string]any{"conditions": []map[string]string{{"left": "$flow.key.d", "op": "eq", "right": "1"}}}
		default:
			node["type"] = "answer"
		}
		nodes[i] = node
	}
	b, _ := json.Marshal(map[string]any{"format": 1, "name": fmt.Sprintf("Big flow (%d nodes)", n), "type": "inbound", "start": "n0", "variables": []string{"d"}, "nodes": nodes})
	return b
}

// frameScript records the time between animation frames while
// window.__rec is set (window.__frames, ms).
const frameScript = `(() => {
	window.__frames = []; window.__rec = true;
	let last = performance.now();
	const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__rec) requestAnimationFrame(tick); };
	requestAnimationFrame(tick);
	return true;
})()`

// BenchmarkFlowEditorFrames: the flow editor in Chromium (headless,
// chromedp) on a flow of 300 nodes (auto-laid out on opening), logged in
// as a real user against the daemon booted in-process. Each iteration
// opens the flow (open-ms: from the navigation to the nodes drawn) and
// makes four mouse gestures: panning the canvas (a 40-step drag on the
// empty pane), zooming (20 wheel steps in and out) and dragging a node
// (40 steps), then zooms out as far as the canvas goes (the fit-view
// button; the nodes in view drawn, small: far-nodes-drawn) and drags a
// node again (drag-far). During each, the time between animation frames is recorded
// in the page; reported: p50, p95 and max frame time in ms per gesture
// (16.7 ms is 60 frames a second). With SWITCHYARD_EDITOR_PROFILE=file the
// page's JavaScript is CPU-profiled during the node drags and the profile
// written to file (a .cpuprofile: open it in Chromium's DevTools).
func BenchmarkFlowEditorFrames(b *testing.B) {
	const nodes = 300
	a, _ := boot(b, noARI)
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := a.Store().CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "owner@bench.test", Name: "Bench Owner", Role: "owner", Password: "correct horse battery"}); err != nil {
		b.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		b.Fatal(err)
	}
	doc := bigFlow(nodes)
	if _, err := flows.Parse(doc, flows.Features{}); err != nil {
		b.Fatalf("the benchmark's flow: %v", err)
	}
	code, body := apiCall(b, a, key, http.MethodPost, "/api/v1/flows", doc)
	var created struct {
		ID int64 `json:"id"`
	}
	if code != http.StatusCreated || json.Unmarshal(body, &created) != nil {
		b.Fatalf("create flow: %d %s", code, body)
	}
	br := newBrowser(b, a, 1366, 768)
	br.login("owner@bench.test", "correct horse battery")
	frames := map[string][]float64{}
	var opens, drawn []float64
	gesture := func(name string, do func()) {
		jsEval[bool](br, "record frames", frameScript)
		do()
		// The frames of the last events, then stop.
		time.Sleep(100 * time.Millisecond)
		fs := jsEval[[]float64](br, "frames", `(window.__rec = false, window.__frames.slice(1))`)
		frames[name] = append(frames[name], fs...)
	}
	b.ResetTimer()
	for b.Loop() {
		br.open("/flows")
		start := time.Now()
		br.run("open the editor", chromedp.Navigate(fmt.Sprintf("%s/#/flow-editor?id=%d", br.base, created.ID)))
		br.waitJS("nodes drawn", `document.querySelectorAll('.react-flow__node').length > 20 && document.querySelector('.fe-status')?.dataset.valid === 'true'`, 60*time.Second)
		opens = append(opens, float64(time.Since(start).Microseconds())/1000)
		br.settled(`.react-flow__node .fe-node-head`)
		pane := jsEval[[]float64](br, "empty pane", `(() => {
			const r = document.querySelector('.fe-canvas').getBoundingClientRect();
			for (let y = r.top + 20; y < r.bottom - 160; y += 15) for (let x = r.left + 60; x < r.right - 220; x += 15) {
				const el = document.elementFromPoint(x, y);
				if (el && el.classList.contains('react-flow__pane')) return [x, y, r.left + r.width / 2, r.top + r.height / 2];
			}
			return [];
		})()`)
		if len(pane) != 4 {
			b.Fatal("no empty spot on the canvas to pan from")
		}
		gesture("pan", func() { br.mouseDragSteps("pan", pane[0], pane[1], pane[0]+300, pane[1]+120, 40) })
		gesture("zoom", func() {
			var acts []chromedp.Action[chromedp.Void]
			for i := range 20 {
				dy := -100.0
				if i >= 10 {
					dy = 100
				}
				acts = append(acts, chromedp.MouseEvent(chromedp.MouseWheel, pane[2], pane[3], func(p *input.DispatchMouseEventParams) {
					p.DeltaX, p.DeltaY = 0.01, dy /* CDP wants both: a 0 is left out */
				}))
			}
			br.run("zoom", acts...)
		})
		nx, ny := br.center(`.react-flow__node .fe-node-head`)
		gesture("drag", func() {
			stop := br.profile(os.Getenv("SWITCHYARD_EDITOR_PROFILE"))
			br.mouseDragSteps("drag a node", nx, ny, nx+200, ny+150, 40)
			stop()
		})
		// Zoomed out as far as the canvas goes (the Controls' fit view: the
		// tree is too wide to fit at the least zoom, a tenth): the nodes in
		// view and their edges drawn, small, and one dragged.
		br.mouseClick(`.react-flow__controls-fitview`)
		br.settled(`.react-flow__node .fe-node-head`)
		br.waitJS("zoomed out", `document.querySelectorAll('.react-flow__node').length > 20 && document.querySelector('.react-flow__viewport').style.transform.includes('scale(0.1)')`, 20*time.Second)
		drawn = append(drawn, float64(jsEval[int](br, "nodes drawn", `document.querySelectorAll('.react-flow__node').length`)))
		ax, ay := br.center(`.react-flow__node .fe-node-head`)
		gesture("drag-far", func() { br.mouseDragSteps("drag a node zoomed out", ax, ay, ax+60, ay+45, 40) })
	}
	b.StopTimer()
	slices.Sort(opens)
	b.ReportMetric(opens[len(opens)/2], "open-p50-ms")
	slices.Sort(drawn)
	b.ReportMetric(drawn[len(drawn)/2], "far-nodes-drawn")
	for _, g := range []string{"pan", "zoom", "drag", "drag-far"} {
		xs := frames[g]
		if len(xs) == 0 {
			b.Fatalf("no frames recorded while %s", g)
		}
		slices.Sort(xs)
		b.ReportMetric(xs[len(xs)/2], g+"-frame-p50-ms")
		b.ReportMetric(xs[(len(xs)*95+99)/100-1], g+"-frame-p95-ms")
		b.ReportMetric(xs[len(xs)-1], g+"-frame-max-ms")
	}
}

// profile starts the page's JavaScript CPU profiler (sampling every 100
// µs) when file is not empty; the func it returns stops it and writes the
// profile to file (the last one wins when called again).
func (b *browserEnv) profile(file string) func() {
	b.t.Helper()
	if file == "" {
		return func() {}
	}
	b.run("start the profiler", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, profiler.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, t, profiler.SetSamplingInterval, profiler.SetSamplingIntervalParams{Interval: 100}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, t, profiler.Start, cdp.Empty{})
		return err
	}))
	return func() {
		b.t.Helper()
		b.run("stop the profiler", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			res, err := cdp.Call(ctx, t, profiler.Stop, cdp.Empty{})
			if err != nil {
				return err
			}
			out, err := json.Marshal(res.Profile)
			if err != nil {
				return fmt.Errorf("profile: %w", err)
			}
			return os.WriteFile(file, out, 0o644)
		}))
	}
}
