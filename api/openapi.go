package api

import (
	_ "embed"
	"net/http"
	"regexp"

	"github.com/labstack/echo/v4"
)

// OpenAPI is the API description served at /openapi.yaml. A test checks
// that it names every route the server registers.
//
//go:embed openapi.yaml
var OpenAPI []byte

func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", OpenAPI)
}

var (
	specPathRe  = regexp.MustCompile(`(?m)^  (/[^:]*):\s*$`)
	echoParamRe = regexp.MustCompile(`:([A-Za-z_]+)`)
)

// DocumentedPaths lists the paths openapi.yaml documents.
func DocumentedPaths() map[string]bool {
	out := map[string]bool{}
	for _, m := range specPathRe.FindAllStringSubmatch(string(OpenAPI), -1) {
		out[m[1]] = true
	}
	return out
}

// SpecPath writes an echo route path the way OpenAPI does (:id → {id}).
func SpecPath(echoPath string) string { return echoParamRe.ReplaceAllString(echoPath, "{$1}") }
