package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/labstack/echo/v4"
)

func serve(t *testing.T, c *Console, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	c.Register(e)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// refs finds the src and href attributes of a page.
var refs = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["']?([^"'\s>]+)`)

// TestConsolePage: the embedded console's page carries the strict CSP, is
// never cached, references only same-origin hashed assets (no CDN, no
// inline script), and each asset is served with a long immutable cache.
func TestConsolePage(t *testing.T) {
	c := New()
	if !c.Built() {
		if os.Getenv("CI") == "true" {
			t.Fatal("the console is not built: .ci/test.sh runs `npm run build` in web/ before go test")
		}
		t.Skip("console not built (run make build)")
	}
	rec := serve(t, c, http.MethodGet, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: %d", rec.Code)
	}
	if got := rec.Header().Get("Content-Security-Policy"); got != CSP {
		t.Fatalf("CSP = %q, want %q", got, CSP)
	}
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(CSP, d) {
			t.Errorf("CSP lacks %s", d)
		}
	}
	if strings.Contains(CSP, "unsafe-inline") || strings.Contains(CSP, "unsafe-eval") || strings.Contains(CSP, "*") {
		t.Errorf("CSP is not strict: %s", CSP)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control = %q", got)
	}
	if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
		t.Errorf("index Content-Type = %q", rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	// No inline script: every <script> has a src.
	for _, m := range regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`).FindAllStringSubmatch(page, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in the page: %s", m[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(page) || strings.Contains(page, "style=") {
		t.Error("inline event handler or style attribute in the page")
	}
	var assets []string
	for _, m := range refs.FindAllStringSubmatch(page, -1) {
		u := m[1]
		switch {
		case u == "data:,":
		case strings.HasPrefix(u, "/assets/"):
			assets = append(assets, u)
		default:
			t.Errorf("the page references %q: only same-origin /assets/ are allowed", u)
		}
	}
	if len(assets) < 2 {
		t.Fatalf("expected a script and a stylesheet under /assets/, got %v", assets)
	}
	hashed := regexp.MustCompile(`^/assets/[A-Za-z0-9_.-]+-[A-Za-z0-9_-]{6,}\.(js|css)$`)
	for _, a := range assets {
		if !hashed.MatchString(a) {
			t.Errorf("asset %s has no content hash in its name", a)
		}
		r := serve(t, c, http.MethodGet, a)
		if r.Code != http.StatusOK {
			t.Errorf("GET %s: %d", a, r.Code)
			continue
		}
		if got := r.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") || !strings.Contains(got, "max-age=31536000") {
			t.Errorf("%s Cache-Control = %q", a, got)
		}
		body, _ := io.ReadAll(r.Body)
		if strings.HasSuffix(a, ".css") {
			if !strings.HasPrefix(r.Header().Get("Content-Type"), "text/css") {
				t.Errorf("%s Content-Type = %q", a, r.Header().Get("Content-Type"))
			}
			if regexp.MustCompile(`(?i)url\(\s*["']?(https?:)?//|@import`).Match(body) {
				t.Errorf("%s loads from another origin", a)
			}
		}
		if strings.HasSuffix(a, ".js") && !strings.Contains(r.Header().Get("Content-Type"), "javascript") {
			t.Errorf("%s Content-Type = %q", a, r.Header().Get("Content-Type"))
		}
	}
}

func TestConsoleNotBuilt(t *testing.T) {
	c := newConsole(fstest.MapFS{"dist/.keep": {}})
	if c.Built() {
		t.Fatal("Built with no index.html")
	}
	rec := serve(t, c, http.MethodGet, "/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "console not built: run <code>make build</code>") {
		t.Fatalf("GET /: %d %s", rec.Code, rec.Body)
	}
	if rec.Header().Get("Content-Security-Policy") != CSP {
		t.Error("no CSP on the not-built page")
	}
}

func TestConsoleAssets(t *testing.T) {
	c := newConsole(fstest.MapFS{
		"dist/index.html":           {Data: []byte(`<!doctype html><script type="module" src="/assets/a-12345678.js"></script>`)},
		"dist/assets/a-12345678.js": {Data: []byte("console.log(1)")},
		"dist/secret.txt":           {Data: []byte("no")},
	})
	for _, tc := range []struct {
		target string
		code   int
	}{
		{"/assets/a-12345678.js", 200},
		{"/assets/missing.js", 404},
		{"/assets/../secret.txt", 404},
		{"/assets/..%2fsecret.txt", 404},
		{"/secret.txt", 404},
		{"/index.html", 404},
	} {
		if rec := serve(t, c, http.MethodGet, tc.target); rec.Code != tc.code {
			t.Errorf("GET %s: %d, want %d", tc.target, rec.Code, tc.code)
		}
	}
	if rec := serve(t, c, http.MethodHead, "/"); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD /: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}
