package api

import (
	"strconv"

	"github.com/labstack/echo/v4"
)

// WithAccount runs fn for the account the caller signed in to (user or
// API key). A request without a signed-in account is refused with
// ErrUnauthorized before fn runs.
func WithAccount(fn func(c echo.Context, acct int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := PrincipalFrom(c)
		if !ok || p.AccountID <= 0 {
			return ErrUnauthorized
		}
		return fn(c, p.AccountID)
	}
}

// PathID reads the id in the URL path parameter name (a campaign, agent,
// flow, ... id). Anything but a positive integer is an invalid error
// naming the parameter and quoting what was sent (a long value clipped).
func PathID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, Invalid(name, "must be a positive integer, got %q", Clip(c.Param(name)))
	}
	return id, nil
}
