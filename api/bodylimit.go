package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
	"github.com/labstack/gommon/bytes"

	"github.com/switchyard/switchyard"
)

// MaxEcho bounds how much of a client's own input an error message may
// quote back (Clip): an error about a 40 MB value must not return 40 MB.
const MaxEcho = switchyard.MaxEcho

// maxMessage bounds a whole client-visible error message.
const maxMessage = 4 * MaxEcho

// Clip returns s cut to MaxEcho bytes (on a rune boundary), marked as cut
// with its full length, for quoting client input in an error message.
func Clip(s string) string { return switchyard.Clip(s) }

// clipMessage is the last guard in the error mapper: no client-visible
// message is longer than maxMessage.
func clipMessage(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…(message cut, %d bytes)", len(s))
}

// PayloadTooLarge is the 413 payload_too_large error for a body over limit.
func PayloadTooLarge(limit int64) *Error {
	return &Error{Code: "payload_too_large", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("request body too large: this endpoint accepts at most %s", humanBytes(limit))}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// parseLimit parses a size such as "1M" or "512K" (binary units).
func parseLimit(s string) (int64, error) {
	n, err := bytes.Parse(s)
	if err != nil {
		return 0, fmt.Errorf("api: body limit %q: %w", s, err)
	}
	if n <= 0 {
		return 0, fmt.Errorf("api: body limit %q must be positive", s)
	}
	return n, nil
}

// routeKey names a route in Deps.RouteBodyLimits: "POST /api/v1/calllists/uploads".
func routeKey(method, path string) string { return method + " " + path }

// bodyLimitMiddleware caps every request body: the route's own limit from
// Deps.RouteBodyLimits (uploads, DNC lists), else the default (1 MiB: JSON
// bodies). A declared Content-Length over the limit is refused before
// anything is read; a body that turns out longer fails its read with
// *http.MaxBytesError, which the error mapper answers with the same 413.
func (s *Server) bodyLimitMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		limit := s.bodyLimit
		if n, ok := s.deps.RouteBodyLimits[routeKey(r.Method, c.Path())]; ok {
			limit = n
		}
		if r.ContentLength > limit {
			return PayloadTooLarge(limit)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

// maxBytesError finds a body-limit overrun in err's chain (echo's binder
// wraps it in an HTTPError's Internal; some decoders only keep its text).
func maxBytesError(err error) (*http.MaxBytesError, bool) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe, true
	}
	var he *echo.HTTPError
	if errors.As(err, &he) && he.Internal != nil {
		if errors.As(he.Internal, &mbe) {
			return mbe, true
		}
		if strings.Contains(he.Internal.Error(), "http: request body too large") {
			return &http.MaxBytesError{}, true
		}
	}
	return nil, false
}
