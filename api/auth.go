package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"runtime"
	"strings"

	"github.com/labstack/echo/v4"
)

// Principal is the authenticated caller of /api/v1: the account the API
// key belongs to, and the key itself.
type Principal struct {
	AccountID int64 `json:"account_id"`
	KeyID     int64 `json:"key_id"`
}

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

// authMiddleware guards /api/v1 with API keys.
func (s *Server) authMiddleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := AuthAllowed(c); err != nil {
			return err
		}
		key, err := bearerKey(c.Request().Header.Get(echo.HeaderAuthorization))
		if err != nil {
			AuthFailed(c)
			return err
		}
		if s.deps.Authenticate == nil {
			return &Error{Code: CodeUnauthorized, Message: "API keys are not configured on this server"}
		}
		p, err := s.deps.Authenticate(c.Request().Context(), key)
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				AuthFailed(c)
				requestLogger(c, s.logger).Info("API key rejected", "err", err)
				return &Error{Code: CodeUnauthorized, Message: "invalid API key", Err: err}
			}
			return &Error{Code: CodeInternal, Status: http.StatusInternalServerError, Err: err}
		}
		c.Set(ctxKeyPrincipal, p)
		c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), principalKey{}, p)))
		c.Set(ctxKeyLogger, requestLogger(c, s.logger).With("account_id", p.AccountID))
		return next(c)
	}
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
