package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/web"
)

var yes = true

// browserEnv drives Debian's chromium (headless) against a daemon booted
// in-process: the console exactly as a person uses it.
type browserEnv struct {
	t    testing.TB
	a    *app.App
	base string
	ctx  context.Context
	// shots is where screenshots go: SWITCHYARD_SCREENSHOTS (make
	// screenshots writes docs/screenshots) or a temp dir.
	shots     string
	downloads string
}

func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is missing: .ci/ensure-chromium.sh installs it")
	}
	t.Skip("chromium is not installed (.ci/ensure-chromium.sh)")
	return ""
}

func newBrowser(t testing.TB, a *app.App, width, height int64, extra ...chromedp.ExecAllocatorOption) *browserEnv {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test")
	}
	if !web.New().Built() {
		if os.Getenv("CI") == "true" {
			t.Fatal("the console is not built (make console)")
		}
		t.Skip("the console is not built (make console)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.WindowSize(int(width), int(height)),
		chromedp.UserDataDir(t.TempDir()),
	}
	opts = append(opts, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() { cancelC(); cancelA() })
	b := &browserEnv{t: t, a: a, base: "http://" + a.Addr(), ctx: ctx, shots: os.Getenv("SWITCHYARD_SCREENSHOTS"), downloads: t.TempDir()}
	if b.shots == "" {
		b.shots = t.TempDir()
	} else if !filepath.IsAbs(b.shots) {
		b.shots = filepath.Join("..", "..", b.shots)
	}
	b.run("start the browser", chromedp.EmulateViewport(width, height))
	return b
}

// run performs actions with a deadline; a failure names the step.
func (b *browserEnv) run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx); err != nil { // the first run starts the browser: no deadline on it
		b.t.Fatalf("%s: %v", step, err)
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		b.t.Fatalf("%s: %v", step, err)
	}
}

// js evaluates an expression in the page (DevTools evaluation; the page's
// own CSP forbids eval).
func jsEval[T any](b *browserEnv, step, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	return v
}

// waitJS polls a boolean expression until it is true.
func (b *browserEnv) waitJS(step, expr string, d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		b.screenshot("failed-" + strings.ReplaceAll(step, " ", "-"))
		text, terr := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 2000)`))
		if terr != nil {
			text = terr.Error()
		}
		b.t.Fatalf("%s: %v\npage text:\n%s", step, err, text)
	}
}

// waitText waits until the page shows text.
func (b *browserEnv) waitText(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	b.waitJS("see "+text, fmt.Sprintf(`document.body.innerText.includes(%s)`, q), 20*time.Second)
}

// click clicks the first visible button or link whose text or aria-label is
// label (inside the topmost dialog when one is open).
func (b *browserEnv) click(label string) {
	b.t.Helper()
	q, _ := json.Marshal(label)
	expr := fmt.Sprintf(`(() => {
		const want = %s;
		const ds = document.querySelectorAll('[role=dialog]');
		const scope = ds.length ? ds[ds.length - 1] : document;
		const els = [...scope.querySelectorAll('button, a, [role=button], label.btn')].filter(e => e.offsetParent !== null || e.getClientRects().length);
		const el = els.find(e => (e.getAttribute('aria-label') || '') === want) || els.find(e => e.innerText.trim() === want);
		if (!el) return false;
		el.click();
		return true;
	})()`, q)
	b.waitJS("click "+label, expr, 20*time.Second)
}

// fill sets the value of the control labelled label (React sees an input event).
func (b *browserEnv) fill(label, value string) {
	b.t.Helper()
	ql, _ := json.Marshal(label)
	qv, _ := json.Marshal(value)
	expr := fmt.Sprintf(`(() => {
		const ds = document.querySelectorAll('[role=dialog]');
		const scope = ds.length ? ds[ds.length - 1] : document;
		const lab = [...scope.querySelectorAll('label')].find(l => l.innerText.trim() === %s && l.htmlFor);
		const el = lab && document.getElementById(lab.htmlFor);
		if (!el || el.offsetParent === null) return false;
		const proto = el.tagName === 'SELECT' ? HTMLSelectElement.prototype : el.tagName === 'TEXTAREA' ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
		Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, %s);
		el.dispatchEvent(new Event(el.tagName === 'SELECT' ? 'change' : 'input', { bubbles: true }));
		if (el.tagName === 'SELECT' && el.value !== %s) return false;
		return true;
	})()`, ql, qv, qv)
	b.waitJS("fill "+label, expr, 20*time.Second)
}

// check ticks the checkbox whose label contains text.
func (b *browserEnv) check(text string) {
	b.t.Helper()
	q, _ := json.Marshal(text)
	b.waitJS("check "+text, fmt.Sprintf(`(() => {
		const ds = document.querySelectorAll('[role=dialog]');
		const scope = ds.length ? ds[ds.length - 1] : document;
		const l = [...scope.querySelectorAll('label.check')].find(l => l.innerText.includes(%s));
		if (!l) return false;
		const i = l.querySelector('input');
		if (!i.checked) i.click();
		return i.checked;
	})()`, q), 20*time.Second)
}

func (b *browserEnv) open(hash string) {
	b.t.Helper()
	b.run("open "+hash, chromedp.Navigate(b.base+"/#"+hash))
	// Downloads land in b.downloads (set once a page is loaded: on the
	// initial blank page Chromium does not keep it).
	if _, err := chromedp.Call(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: b.downloads, EventsEnabled: &yes}); err != nil {
		b.t.Fatalf("download behaviour: %v", err)
	}
}

// screenshot saves the viewport as name.png.
func (b *browserEnv) screenshot(name string) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// waitDownload waits for a finished download whose name ends with suffix
// and returns its content.
func (b *browserEnv) waitDownload(suffix string) []byte {
	b.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		es, _ := os.ReadDir(b.downloads)
		for _, e := range es {
			if strings.HasSuffix(e.Name(), suffix) {
				data, err := os.ReadFile(filepath.Join(b.downloads, e.Name()))
				if err == nil && len(data) > 0 {
					return data
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	es, _ := os.ReadDir(b.downloads)
	b.t.Fatalf("no download ending %s (have %v)", suffix, es)
	return nil
}

// dropFiles drops files on the element matching selector, as a person
// dragging them from the desktop does (dragenter, dragover, drop with a
// DataTransfer holding the files).
func (b *browserEnv) dropFiles(selector string, files map[string]string) {
	b.t.Helper()
	fs, _ := json.Marshal(files)
	qs, _ := json.Marshal(selector)
	expr := fmt.Sprintf(`(() => {
		const el = document.querySelector(%s);
		if (!el) return false;
		const dt = new DataTransfer();
		for (const [name, body] of Object.entries(%s)) dt.items.add(new File([body], name, { type: name.endsWith('.zip') ? 'application/zip' : 'text/csv' }));
		for (const type of ['dragenter', 'dragover', 'drop']) el.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
		return true;
	})()`, qs, fs)
	b.waitJS("drop files", expr, 20*time.Second)
}
