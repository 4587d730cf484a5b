package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// onlyReader hides strings.Reader's Len, so httptest leaves ContentLength
// unknown (-1) as for a chunked body.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

func TestBodyLimitPerRoute(t *testing.T) {
	s, _ := newTestServer(t, Deps{
		BodyLimit:       "1K",
		RouteBodyLimits: map[string]int64{routeKey(http.MethodPost, "/upload"): 8 << 10},
	})
	type in struct {
		Value string `json:"value"`
	}
	bind := func(c echo.Context) error {
		var v in
		if err := c.Bind(&v); err != nil {
			return err
		}
		// Echoes the value, as a careless validation message would.
		return Invalid("value", "%q is not a number", v.Value)
	}
	s.Echo().POST("/json", bind)
	s.Echo().POST("/upload", func(c echo.Context) error {
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return err
		}
		return c.String(http.StatusOK, strings.Repeat("x", 0)+string(rune('0'+len(b)%10)))
	})
	s.Echo().POST("/echo-large", func(c echo.Context) error {
		return Invalid("value", "%q is not a number", strings.Repeat("9", 50000))
	})
	body := func(n int) string { return `{"value":"` + strings.Repeat("1", n) + `"}` }
	for _, tc := range []struct {
		name, path string
		body       string
		chunked    bool
		want       int
		code       string
	}{
		{"json under default", "/json", body(100), false, http.StatusUnprocessableEntity, CodeInvalid},
		{"json over default, declared", "/json", body(2000), false, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"json over default, chunked", "/json", body(2000), true, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"upload route takes more", "/upload", body(4000), false, http.StatusOK, ""},
		{"upload route over its limit, declared", "/upload", body(9000), false, http.StatusRequestEntityTooLarge, "payload_too_large"},
		{"upload route over its limit, chunked", "/upload", body(9000), true, http.StatusRequestEntityTooLarge, "payload_too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				r = onlyReader{r}
			}
			rec := do(t, s, http.MethodPost, tc.path, r, echo.HeaderContentType, echo.MIMEApplicationJSON)
			if rec.Code != tc.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.want, rec.Body)
			}
			if tc.code == "" {
				return
			}
			got := decode[ErrorBody](t, rec)
			if got.Error.Code != tc.code {
				t.Fatalf("code %q, want %q", got.Error.Code, tc.code)
			}
			if tc.code == "payload_too_large" && !strings.Contains(got.Error.Message, "at most") {
				t.Fatalf("message %q does not say the limit", got.Error.Message)
			}
			if rec.Body.Len() > 2*maxMessage {
				t.Fatalf("error body is %d bytes", rec.Body.Len())
			}
		})
	}
	t.Run("echoed values are cut", func(t *testing.T) {
		rec := do(t, s, http.MethodPost, "/echo-large", nil)
		got := decode[ErrorBody](t, rec)
		if len(got.Error.Message) > maxMessage+64 || !strings.Contains(got.Error.Message, "message cut") {
			t.Fatalf("message not cut: %d bytes", len(got.Error.Message))
		}
	})
}

func TestClip(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantLen int // upper bound of the result
		same    bool
	}{
		{"short", 5, true},
		{strings.Repeat("a", MaxEcho), MaxEcho, true},
		{strings.Repeat("a", MaxEcho+1), MaxEcho + 32, false},
		{strings.Repeat("é", MaxEcho), MaxEcho + 32, false},
	} {
		got := Clip(tc.in)
		if (got == tc.in) != tc.same || len(got) > tc.wantLen {
			t.Errorf("Clip(%d bytes) = %d bytes %q…", len(tc.in), len(got), got[:min(len(got), 20)])
		}
		if !strings.HasPrefix(tc.in, strings.TrimRightFunc(strings.SplitN(got, "…(", 2)[0], func(rune) bool { return false })) {
			t.Errorf("Clip(%q…) is not a prefix", tc.in[:10])
		}
	}
}
