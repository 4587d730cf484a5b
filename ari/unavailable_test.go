package ari

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, c := range []struct {
		name  string
		err   error
		since time.Duration
		want  bool
	}{
		{"shutdown in progress", &Error{Status: 503, Message: "Shutdown in progress"}, time.Hour, true},
		{"missing app just after start", &Error{Status: 404, Message: "Application not found"}, 2 * time.Second, true},
		{"missing endpoint just after start", &Error{Status: 404, Message: "Endpoint not found"}, 2 * time.Second, true},
		{"missing endpoint long after start is no route", &Error{Status: 404, Message: "Endpoint not found"}, time.Hour, false},
		{"500 while starting", &Error{Status: 500, Message: "Allocation failed"}, time.Second, true},
		{"500 later is a failed call", &Error{Status: 500, Message: "Allocation failed"}, time.Hour, false},
		{"404 while disconnected is not a start", &Error{Status: 404, Message: "Endpoint not found"}, -1, false},
		{"bad request", &Error{Status: 400, Message: "Invalid endpoint"}, time.Second, false},
		{"connection refused", fmt.Errorf("ari POST /channels: %w", refused), -1, true},
		{"reset mid-request may have placed it", fmt.Errorf("ari POST /channels: %w", reset), time.Hour, false},
		{"no error", nil, time.Hour, false},
		{"other", errors.New("boom"), time.Hour, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := unavailable(c.err, c.since); got != c.want {
				t.Errorf("unavailable(%v, %v) = %v, want %v", c.err, c.since, got, c.want)
			}
		})
	}
}
