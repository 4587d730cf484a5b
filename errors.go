// Package switchyard holds what every layer shares: the coded error type.
//
// Errors that a client may be told about are *Error values. Message and
// Field are written for the client and are shown to them as they are;
// Err is the cause, logged and never sent. The HTTP layer maps an error to
// a response in exactly one place (api.Server's error handler), choosing
// the status from Code (or Status) and the message from Message. A
// client message is therefore never cut out of err.Error(): whoever
// detects the problem says what to tell the client.
package switchyard

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a coded application error.
type Error struct {
	Code    string // machine-readable: not_found, invalid, conflict, unauthorized, forbidden, ...
	Message string // human-readable, safe to show to the client
	Field   string // the offending input field, if any
	Status  int    // HTTP status; 0 means derived from Code
	Err     error  // cause; logged, never sent
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Code
	}
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for any *Error with code
// not_found (and likewise for the other generic sentinels below). A
// package's own sentinel (made with Sentinel, e.g. store.ErrInvalid)
// matches only itself and the errors made from it with New.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok || !isGeneric(t) {
		return false
	}
	return e.Code == t.Code
}

// Codes.
const (
	CodeNotFound     = "not_found"
	CodeInvalid      = "invalid"
	CodeBadRequest   = "bad_request"
	CodeConflict     = "conflict"
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	// CodeNotGranted: the account asked for more than the operator
	// granted it (403).
	CodeNotGranted  = "not_granted"
	CodeUnavailable = "unavailable"
	CodeTimeout     = "timeout"
	CodeInternal    = "internal"
)

// Generic sentinel errors. Wrap them (fmt.Errorf("account %d: %w", id,
// switchyard.ErrNotFound)) or build a specific one with NotFound,
// Invalid, ... to choose the message.
var (
	ErrNotFound     = &Error{Code: CodeNotFound, Status: http.StatusNotFound, Message: "not found"}
	ErrInvalid      = &Error{Code: CodeInvalid, Status: http.StatusUnprocessableEntity, Message: "invalid input"}
	ErrBadRequest   = &Error{Code: CodeBadRequest, Status: http.StatusBadRequest, Message: "bad request"}
	ErrConflict     = &Error{Code: CodeConflict, Status: http.StatusConflict, Message: "conflict"}
	ErrUnauthorized = &Error{Code: CodeUnauthorized, Status: http.StatusUnauthorized, Message: "missing or invalid API key"}
	ErrForbidden    = &Error{Code: CodeForbidden, Status: http.StatusForbidden, Message: "forbidden"}
	ErrUnavailable  = &Error{Code: CodeUnavailable, Status: http.StatusServiceUnavailable, Message: "temporarily unavailable"}
)

var generic = []*Error{ErrNotFound, ErrInvalid, ErrBadRequest, ErrConflict, ErrUnauthorized, ErrForbidden, ErrUnavailable}

func isGeneric(e *Error) bool {
	for _, s := range generic {
		if e == s {
			return true
		}
	}
	return false
}

// GenericMessage is the client message of the generic sentinel with the
// code ("" if there is none).
func GenericMessage(code string) string {
	for _, s := range generic {
		if s.Code == code {
			return s.Message
		}
	}
	return ""
}

// Sentinel returns a package's own sentinel error: errors.Is matches it
// by identity (not by code), so store.ErrInvalid and acd.ErrInvalid stay
// distinguishable, while both map to HTTP through their code. message is
// what a client is told when only the sentinel is known.
func Sentinel(code string, status int, message string) *Error {
	return &Error{Code: code, Status: status, Message: message}
}

// New returns an error of sentinel s (errors.Is(err, s) is true) whose
// message, written for the client, says exactly what was wrong; field
// names the offending input field ("" if none).
func (s *Error) New(field, format string, args ...any) *Error {
	return &Error{Code: s.Code, Status: s.Status, Field: field, Message: fmt.Sprintf(format, args...), Err: s}
}

// NotFound returns a not_found (404) error with a client-visible message.
func NotFound(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid (422) error naming the offending field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Conflict returns a conflict (409) error.
func Conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden returns a forbidden (403) error.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unavailable returns an unavailable (503) error; its message is shown.
func Unavailable(format string, args ...any) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, args...)}
}

// StatusForCode derives the HTTP status for a code.
func StatusForCode(code string) int {
	switch code {
	case CodeNotFound:
		return http.StatusNotFound
	case CodeInvalid:
		return http.StatusUnprocessableEntity
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeConflict:
		return http.StatusConflict
	case CodeUnauthorized:
		return http.StatusUnauthorized
	case CodeForbidden, CodeNotGranted:
		return http.StatusForbidden
	case CodeUnavailable:
		return http.StatusServiceUnavailable
	case CodeTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusInternalServerError
	}
}

// ClientMessage is what a client may be told about err: the message of
// the first coded error in its chain, "" if there is none or it is a
// server error (only unavailability and time limits say more than that).
func ClientMessage(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return ""
	}
	status := e.Status
	if status == 0 {
		status = StatusForCode(e.Code)
	}
	if status >= 500 && status != http.StatusServiceUnavailable && status != http.StatusGatewayTimeout {
		return ""
	}
	return e.Message
}
