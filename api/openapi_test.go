package api

import (
	"go.yaml.in/yaml/v3"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOpenAPICoversRoutes keeps the spec current: every route this package
// registers (with echo's :param written {param}) must be a path in
// openapi.yaml.
func TestOpenAPICoversRoutes(t *testing.T) {
	s := New(Deps{}, nil)
	inSpec := DocumentedPaths()
	for _, r := range s.Echo().Routes() {
		if strings.HasSuffix(r.Path, "/*") || r.Method == "echo_route_not_found" {
			continue
		}
		if p := SpecPath(r.Path); !inSpec[p] {
			t.Errorf("route %s %s is not in openapi.yaml", r.Method, p)
		}
	}
	// The reverse check (every documented path is served) needs the routes
	// other packages register: cmd/app's TestOpenAPIMatchesRoutes does it.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.yaml", nil))
	if rec.Code != 200 || !strings.HasPrefix(rec.Body.String(), "openapi: 3") {
		t.Fatalf("/openapi.yaml: %d %.40q", rec.Code, rec.Body.String())
	}
}

// TestOpenAPIParses: the spec is valid YAML for strict parsers (an unquoted
// description with ": " in it is not), so client generators can read it.
func TestOpenAPIParses(t *testing.T) {
	var doc map[string]any
	if err := yaml.Unmarshal(OpenAPI, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if _, ok := doc["paths"].(map[string]any); !ok {
		t.Fatalf("openapi.yaml has no paths")
	}
}
