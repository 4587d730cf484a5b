package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"runtime"
	"strings"

	"github.com/labstack/echo/v4"
)

// Principal is the authenticated caller of /api/v1: an API key (KeyID;
// UserID when the key is bound to a user) or a login session of a user
// (UserID) or of an operator (OperatorID, no account). Role is what the
// caller may do: an account role, or RoleOperator.
type Principal struct {
	AccountID  int64  `json:"account_id"`
	KeyID      int64  `json:"key_id,omitempty"`
	UserID     int64  `json:"user_id,omitempty"`
	OperatorID int64  `json:"operator_id,omitempty"`
	Role       string `json:"role"`
	// CSRF is the session's CSRF token (sessions only): cookie requests
	// that change something must send it in CSRFHeader.
	CSRF string `json:"-"`
}

// The session cookie and the CSRF header of the web console.
const (
	SessionCookie = "sy_session"
	CSRFHeader    = "X-CSRF-Token"
)

// CodeCSRF: a cookie-authenticated request that changes something came
// without the session's CSRF token.
const CodeCSRF = "csrf"

type principalKey struct{}

// PrincipalFrom returns the caller of an authenticated request.
func PrincipalFrom(c echo.Context) (Principal, bool) {
	p, ok := c.Get(ctxKeyPrincipal).(Principal)
	return p, ok
}

// PrincipalFromContext returns the caller from a request context (for code
// below the HTTP layer that only has the context).
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// maxKeyLen bounds a presented API key; longer values are rejected
// without calling Authenticate.
const maxKeyLen = 512

// bearerKey extracts the key from "Authorization: Bearer <key>".
func bearerKey(h string) (string, error) {
	if h == "" {
		return "", &Error{Code: CodeUnauthorized, Message: "missing Authorization header; send Authorization: Bearer <api key>"}
	}
	scheme, key, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", &Error{Code: CodeUnauthorized, Message: "Authorization must use the Bearer scheme: Authorization: Bearer <api key>"}
	}
	key = strings.TrimSpace(key)
	if key == "" || len(key) > maxKeyLen || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return "", &Error{Code: CodeUnauthorized, Message: "malformed API key"}
	}
	return key, nil
}

// authMiddleware guards /api/v1: it looks the route up in the access
// table (a route missing from it is refused), lets public routes through,
// authenticates the caller by "Authorization: Bearer <API key>" or by the
// session cookie (then a request that changes something must carry the
// session's CSRF token), and checks the caller's role against the route's.
func (s *Server) authMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		access, known := RouteAccess(c.Request().Method, c.Path())
		if !known {
			requestLogger(c, s.logger).Error("route missing from the access table: refused", "method", c.Request().Method, "route", c.Path())
			return &Error{Code: CodeForbidden, Message: "this endpoint is not open to any role"}
		}
		if access == AccessPublic {
			return next(c)
		}
		if err := AuthAllowed(c); err != nil {
			return err
		}
		p, err := s.authenticate(c)
		if err != nil {
			return err
		}
		c.Set(ctxKeyPrincipal, p)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), principalKey{}, p)))
		c.Set(ctxKeyLogger, requestLogger(c, s.logger).With("account_id", p.AccountID))
		if !Allowed(access, p) {
			return &Error{Code: CodeForbidden, Message: "your role (" + p.Role + ") may not use this endpoint"}
		}
		return next(c)
	}
}

// authenticate finds the caller: a Bearer API key first, else the session
// cookie.
func (s *Server) authenticate(c echo.Context) (Principal, error) {
	h := c.Request().Header.Get(echo.HeaderAuthorization)
	if h == "" {
		if ck, err := c.Cookie(SessionCookie); err == nil && ck.Value != "" {
			return s.sessionPrincipal(c, ck.Value)
		}
	}
	key, err := bearerKey(h)
	if err != nil {
		AuthFailed(c)
		return Principal{}, err
	}
	if s.deps.Authenticate == nil {
		return Principal{}, &Error{Code: CodeUnauthorized, Message: "API keys are not configured on this server"}
	}
	p, err := s.deps.Authenticate(c.Request().Context(), key)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			AuthFailed(c)
			requestLogger(c, s.logger).Info("API key rejected", "err", err)
			return Principal{}, &Error{Code: CodeUnauthorized, Message: "invalid API key", Err: err}
		}
		return Principal{}, &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Err: err}
	}
	if p.Role == "" {
		p.Role = RoleAdmin // an authenticator that knows no roles
	}
	return p, nil
}

// sessionPrincipal resolves the session cookie and, for a request that
// changes something, checks the CSRF header in constant time.
func (s *Server) sessionPrincipal(c echo.Context, token string) (Principal, error) {
	if s.deps.Session == nil {
		return Principal{}, &Error{Code: CodeUnauthorized, Message: "login sessions are not configured on this server"}
	}
	p, err := s.deps.Session(c.Request().Context(), token)
	if err != nil {
		if errors.Is(err, ErrUnauthorized) {
			AuthFailed(c)
			return Principal{}, &Error{Code: CodeUnauthorized, Message: "not logged in or the session expired", Err: err}
		}
		return Principal{}, &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Err: err}
	}
	switch c.Request().Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return p, nil
	}
	got := c.Request().Header.Get(CSRFHeader)
	if p.CSRF == "" || subtle.ConstantTimeCompare([]byte(got), []byte(p.CSRF)) != 1 {
		return Principal{}, &Error{Code: CodeCSRF, Status: http.StatusForbidden,
			Message: "missing or wrong " + CSRFHeader + " header: send the csrf_token from login or /auth/me"}
	}
	return p, nil
}

// authLimitMiddleware makes the server's AuthLimiter available to
// AuthAllowed/AuthFailed.
func (s *Server) authLimitMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(ctxKeyAuthLimiter, s.authLimit)
		return next(c)
	}
}

// AuthLimiter returns the server's authentication-failure limiter.
func (s *Server) AuthLimiter() *AuthLimiter { return s.authLimit }

// whoami returns the authenticated principal.
func (s *Server) whoami(c echo.Context) error {
	p, ok := PrincipalFrom(c)
	if !ok {
		return ErrUnauthorized
	}
	return c.JSON(http.StatusOK, p)
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func runtimeStack(buf []byte) int { return runtime.Stack(buf, false) }
