// Package web serves the console: the Vite build of web/ (index.html and
// its hashed assets) embedded into the binary. index.html is served only at
// / (the console routes with #/...), assets under /assets/ with a year-long
// immutable cache (brotli- or gzip-compressed when the browser accepts it:
// the build writes both beside each script and style), and every response
// carries the console's strict Content Security Policy.
package web

import (
	"bytes"
	"embed"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

//go:embed all:dist
var dist embed.FS

// CSP is the console's Content Security Policy: nothing from another
// origin (but the agent desk's embedded widget, an https web app the
// account configures, in a frame), no inline script or style, no framing
// of the console. AllowConnect adds the browser phone's websocket.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; media-src 'self' blob:; frame-src https:; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// notBuilt is served at / when the binary was built without the console.
const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Switchyard</title></head>` +
	"<body><h1>Switchyard</h1><p>console not built: run <code>make build</code></p></body></html>\n"

// Console serves the embedded build.
type Console struct {
	files fs.FS
	index []byte
	built time.Time
	csp   string
}

// AllowConnect lets the console's pages connect to these origins too
// (connect-src): the agent desk's browser phone registers on Asterisk's
// websocket (e.g. wss://pbx.example.com:8089). Empty origins are skipped.
func (c *Console) AllowConnect(origins ...string) *Console {
	extra := ""
	for _, o := range origins {
		if o = strings.TrimSpace(o); o != "" && !strings.ContainsAny(o, ";, '") {
			extra += " " + o
		}
	}
	c.csp = strings.Replace(CSP, "connect-src 'self'", "connect-src 'self'"+extra, 1)
	return c
}

// New reads the embedded build. A build without index.html serves the
// "console not built" page.
func New() *Console { return newConsole(dist) }

func newConsole(root fs.FS) *Console {
	sub, err := fs.Sub(root, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist
	}
	c := &Console{files: sub, built: time.Now(), csp: CSP}
	if b, err := fs.ReadFile(sub, "index.html"); err == nil {
		c.index = b
	}
	return c
}

// Built reports whether the console's build is embedded.
func (c *Console) Built() bool { return c.index != nil }

// Register adds GET/HEAD / and /assets/* to e.
func (c *Console) Register(e *echo.Echo) {
	for _, m := range []string{http.MethodGet, http.MethodHead} {
		e.Add(m, "/", c.serveIndex)
		e.Add(m, "/assets/*", c.serveAsset)
	}
}

func securityHeaders(h http.Header, csp string) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
}

func (c *Console) serveIndex(ctx echo.Context) error {
	h := ctx.Response().Header()
	securityHeaders(h, c.csp)
	h.Set("Cache-Control", "no-cache")
	if c.index == nil {
		return ctx.HTMLBlob(http.StatusOK, []byte(notBuilt))
	}
	http.ServeContent(ctx.Response(), ctx.Request(), "index.html", c.built, bytes.NewReader(c.index))
	return nil
}

// encodings are the precompressed copies the build writes, by
// Content-Encoding, the preferred first (acceptedEncodings keeps that
// order).
var encodings = map[string]string{"br": ".br", "gzip": ".gz"}

// acceptedEncodings lists which of br and gzip (in that order) an
// Accept-Encoding header accepts (q=0 refuses one).
func acceptedEncodings(header string) []string {
	ok := map[string]bool{}
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if strings.HasPrefix(q, "q=0") && strings.Trim(strings.TrimPrefix(q, "q=0"), ".0") == "" {
			continue
		}
		ok[name] = true
	}
	var out []string
	for _, enc := range []string{"br", "gzip"} {
		if ok[enc] || ok["*"] {
			out = append(out, enc)
		}
	}
	return out
}

func (c *Console) serveAsset(ctx echo.Context) error {
	name := ctx.Param("*")
	if name == "" || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	b, err := fs.ReadFile(c.files, path.Join("assets", name))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	h := ctx.Response().Header()
	securityHeaders(h, c.csp)
	h.Add("Vary", "Accept-Encoding")
	for _, enc := range acceptedEncodings(ctx.Request().Header.Get("Accept-Encoding")) {
		if z, err := fs.ReadFile(c.files, path.Join("assets", name+encodings[enc])); err == nil {
			h.Set("Content-Encoding", enc)
			b = z
			break
		}
	}
	// Asset names carry their content hash: they never change.
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		h.Set("Content-Type", t)
	}
	http.ServeContent(ctx.Response(), ctx.Request(), name, c.built, bytes.NewReader(b))
	return nil
}
