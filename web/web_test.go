package web

import (
	"bytes"
	"compress/gzip"
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
		// The gzip copy the build wrote is the asset as served, byte for
		// byte (the brotli one is made from the same file).
		e := echo.New()
		c.Register(e)
		req := httptest.NewRequest(http.MethodGet, a, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		gz := httptest.NewRecorder()
		e.ServeHTTP(gz, req)
		if gz.Header().Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: no gzip copy (Content-Encoding %q)", a, gz.Header().Get("Content-Encoding"))
			continue
		}
		zr, err := gzip.NewReader(gz.Body)
		if err != nil {
			t.Fatalf("%s: %v", a, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(plain, body) {
			t.Errorf("%s: the gzip copy is not the asset (%d bytes vs %d, %v)", a, len(plain), len(body), err)
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

// TestConsoleAssetsCompressed: an asset goes brotli-compressed to a
// browser that accepts br, gzip-compressed to one that accepts only gzip,
// and as it is otherwise (or when the build wrote no compressed copy);
// the answer varies by Accept-Encoding.
func TestConsoleAssetsCompressed(t *testing.T) {
	c := newConsole(fstest.MapFS{
		"dist/index.html":              {Data: []byte(`<!doctype html>`)},
		"dist/assets/a-12345678.js":    {Data: []byte("console.log(1)")},
		"dist/assets/a-12345678.js.br": {Data: []byte("BR")},
		"dist/assets/a-12345678.js.gz": {Data: []byte("GZ")},
		"dist/assets/b-12345678.css":   {Data: []byte("p{}")},
	})
	e := echo.New()
	c.Register(e)
	tests := []struct {
		asset, accept, wantEnc, wantBody string
	}{
		{"a-12345678.js", "gzip, deflate, br, zstd", "br", "BR"},
		{"a-12345678.js", "gzip, deflate", "gzip", "GZ"},
		{"a-12345678.js", "br;q=0, gzip;q=0.8", "gzip", "GZ"},
		{"a-12345678.js", "br;q=0.0, gzip;q=0", "", "console.log(1)"},
		{"a-12345678.js", "*", "br", "BR"},
		{"a-12345678.js", "", "", "console.log(1)"},
		{"a-12345678.js", "identity", "", "console.log(1)"},
		{"b-12345678.css", "gzip, br", "", "p{}"},
	}
	for _, tt := range tests {
		t.Run(tt.asset+" "+tt.accept, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/assets/"+tt.asset, nil)
			req.Header.Set("Accept-Encoding", tt.accept)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != tt.wantEnc || rec.Body.String() != tt.wantBody {
				t.Fatalf("%d, Content-Encoding %q, body %q; want %q, %q", rec.Code, rec.Header().Get("Content-Encoding"), rec.Body, tt.wantEnc, tt.wantBody)
			}
			if rec.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", rec.Header().Get("Vary"))
			}
			if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.HasPrefix(ct, "text/css") {
				t.Errorf("Content-Type = %q (of the asset, not of its compressed copy)", ct)
			}
		})
	}
}
