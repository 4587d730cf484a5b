package api

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps the spec current: every registered route
// (with echo's :param written {param}) must be a path in openapi.yaml, and
// every path there must be served.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := New(Deps{}, nil)
	spec := string(OpenAPI)
	pathRe := regexp.MustCompile(`(?m)^  (/[^:]*):\s*$`)
	inSpec := map[string]bool{}
	for _, m := range pathRe.FindAllStringSubmatch(spec, -1) {
		inSpec[m[1]] = true
	}
	param := regexp.MustCompile(`:([A-Za-z_]+)`)
	served := map[string]bool{}
	for _, r := range s.Echo().Routes() {
		if strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		p := param.ReplaceAllString(r.Path, "{$1}")
		served[p] = true
		if !inSpec[p] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, p)
		}
	}
	for p := range inSpec {
		if !served[p] {
			t.Errorf("openapi.yaml documents %s, which the server does not serve", p)
		}
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "openapi: 3") {
		t.Fatalf("/openapi.yaml: %d %.40q", rec.Code, rec.Body.String())
	}
}
