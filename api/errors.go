package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard"
)

// Error is the coded application error (switchyard.Error). Handlers (and
// the packages they call) return it, or wrap one of the sentinels below
// with %w; the one error mapper (Server.handleError) turns it into
//
//	{"error": {"code": "...", "message": "...", "field": "...", "request_id": "..."}}
//
// Message and Field are shown to the client; Err is the cause and is only logged.
type Error = switchyard.Error

// Codes of the sentinel errors.
const (
	CodeNotFound     = switchyard.CodeNotFound
	CodeInvalid      = switchyard.CodeInvalid
	CodeBadRequest   = switchyard.CodeBadRequest
	CodeConflict     = switchyard.CodeConflict
	CodeUnauthorized = switchyard.CodeUnauthorized
	CodeForbidden    = switchyard.CodeForbidden
	CodeNotGranted   = switchyard.CodeNotGranted
	CodeUnavailable  = switchyard.CodeUnavailable
	CodeTimeout      = switchyard.CodeTimeout
	CodeInternal     = switchyard.CodeInternal
)

// Sentinel errors. Wrap them (fmt.Errorf("account %d: %w", id, api.ErrNotFound))
// or build a specific one with NotFound, Invalid, ... to choose the message.
var (
	ErrNotFound     = switchyard.ErrNotFound
	ErrInvalid      = switchyard.ErrInvalid
	ErrBadRequest   = switchyard.ErrBadRequest
	ErrConflict     = switchyard.ErrConflict
	ErrUnauthorized = switchyard.ErrUnauthorized
	ErrForbidden    = switchyard.ErrForbidden
	ErrUnavailable  = switchyard.ErrUnavailable
)

// NotFound returns a not_found error with a client-visible message.
func NotFound(format string, args ...any) *Error { return switchyard.NotFound(format, args...) }

// Invalid returns an invalid (422) error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return switchyard.Invalid(field, format, args...)
}

// Conflict returns a conflict (409) error.
func Conflict(format string, args ...any) *Error { return switchyard.Conflict(format, args...) }

// Forbidden returns a forbidden (403) error.
func Forbidden(format string, args ...any) *Error { return switchyard.Forbidden(format, args...) }

// ErrorMapping maps a foreign sentinel (matched with errors.Is), e.g. a
// store package's ErrNotFound, to an HTTP error without this package
// importing that package. Pass them in Deps.ErrorMap.
type ErrorMapping struct {
	Target  error
	Code    string
	Status  int    // 0: derived from Code
	Message string // "": the sentinel message for Code
}

// statusForCode derives the HTTP status for a code.
func statusForCode(code string) int { return switchyard.StatusForCode(code) }

// codeForStatus names a status that arrived without a code (echo's own errors).
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case http.StatusUnprocessableEntity:
		return CodeInvalid
	case http.StatusTooManyRequests:
		return "rate_limited"
	case http.StatusServiceUnavailable:
		return CodeUnavailable
	case http.StatusGatewayTimeout:
		return CodeTimeout
	}
	if status >= 500 {
		return CodeInternal
	}
	return "http_" + fmt.Sprint(status)
}

const genericInternalMessage = "internal server error"

// ErrorBody is the JSON error envelope.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the content of ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// mapError is the single place where errors become HTTP responses.
// It returns the status, the body and whether the cause must be logged as
// a server error.
func mapError(err error, extra []ErrorMapping) (int, ErrorDetail, bool) {
	status, d, serverErr := mapError1(err, extra)
	d.Message = clipMessage(d.Message)
	d.Field = Clip(d.Field)
	return status, d, serverErr
}

func mapError1(err error, extra []ErrorMapping) (int, ErrorDetail, bool) {
	if mbe, ok := maxBytesError(err); ok {
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != http.StatusRequestEntityTooLarge {
			pe := PayloadTooLarge(mbe.Limit)
			if mbe.Limit == 0 {
				pe.Message = "request body too large for this endpoint"
			}
			return pe.Status, ErrorDetail{Code: pe.Code, Message: pe.Message}, false
		}
	}
	var ae *Error
	if errors.As(err, &ae) {
		status := ae.Status
		if status == 0 {
			status = statusForCode(ae.Code)
		}
		code := ae.Code
		if code == "" {
			code = codeForStatus(status)
		}
		if status >= 500 {
			// Unavailability and a time limit may say so (their messages
			// are written for clients); nothing else may.
			msg := genericInternalMessage
			if (status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout) && ae.Message != "" {
				msg = ae.Message
			}
			return status, ErrorDetail{Code: code, Message: msg}, true
		}
		msg := ae.Message
		if msg == "" {
			msg = http.StatusText(status)
		}
		return status, ErrorDetail{Code: code, Message: msg, Field: ae.Field}, false
	}
	for _, m := range extra {
		if m.Target != nil && errors.Is(err, m.Target) {
			status := m.Status
			if status == 0 {
				status = statusForCode(m.Code)
			}
			msg := m.Message
			if msg == "" {
				msg = sentinelMessage(m.Code, status)
			}
			if status >= 500 {
				// A timeout or unavailability may say so; nothing else may.
				if (status == http.StatusGatewayTimeout || status == http.StatusServiceUnavailable) && m.Message != "" {
					return status, ErrorDetail{Code: m.Code, Message: m.Message}, true
				}
				return status, ErrorDetail{Code: m.Code, Message: genericInternalMessage}, true
			}
			return status, ErrorDetail{Code: m.Code, Message: msg}, false
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		status := he.Code
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if status >= 500 {
			return status, ErrorDetail{Code: codeForStatus(status), Message: genericInternalMessage}, true
		}
		msg := ""
		switch m := he.Message.(type) {
		case string:
			msg = m
		case error:
			msg = m.Error()
		case nil:
		default:
			msg = fmt.Sprint(m)
		}
		if msg == "" {
			msg = http.StatusText(status)
		}
		return status, ErrorDetail{Code: codeForStatus(status), Message: msg}, false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, ErrorDetail{Code: CodeTimeout, Message: "the request timed out"}, true
	}
	return http.StatusInternalServerError, ErrorDetail{Code: CodeInternal, Message: genericInternalMessage}, true
}

func sentinelMessage(code string, status int) string {
	if m := switchyard.GenericMessage(code); m != "" {
		return m
	}
	return http.StatusText(status)
}

// handleError is echo's HTTPErrorHandler: every error, echo's own included,
// goes through mapError.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		requestLogger(c, s.logger).Warn("error after response was committed", "err", err)
		return
	}
	status, detail, serverErr := mapError(err, s.deps.ErrorMap)
	detail.RequestID = requestID(c)
	l := requestLogger(c, s.logger)
	if serverErr {
		l.Error("request failed", "status", status, "err", err)
	} else {
		l.Debug("request rejected", "status", status, "code", detail.Code, "err", err)
	}
	if status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="switchyard"`)
	}
	var werr error
	if c.Request().Method == http.MethodHead {
		werr = c.NoContent(status)
	} else {
		werr = c.JSON(status, ErrorBody{Error: detail})
	}
	if werr != nil {
		l.Log(c.Request().Context(), slog.LevelDebug, "writing error response failed", "err", werr)
	}
}
