package ari

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
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
		{"reset before the request was written", fmt.Errorf("ari POST /channels: %w: %w", errNotSent, reset), time.Hour, true},
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

// TestClientMarksUnsentRequests: a request the link drops after it was
// written may have reached Asterisk (not errNotSent); one that could not
// be written whole never did (errNotSent).
func TestClientMarksUnsentRequests(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	// The server reads the whole request, then drops the connection
	// without answering.
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
			}()
		}
	}()
	c, err := NewClient(Options{URL: "http://" + ln.Addr().String() + "/ari", User: "u", Password: "p", App: "a"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.originate(context.Background(), OriginateRequest{Endpoint: "Local/1@x"}, nil)
	if err == nil || errors.Is(err, errNotSent) || unavailable(err, time.Hour) {
		t.Errorf("answer lost after the request was written: %v (want an error that is not errNotSent)", err)
	}
	// A body that cannot be written (the server is gone before it is).
	dead := &Client{}
	*dead = *c
	dead.base = "http://127.0.0.1:1/ari"
	err = dead.originate(context.Background(), OriginateRequest{Endpoint: "Local/1@x"}, nil)
	if err == nil || !errors.Is(err, errNotSent) || !unavailable(err, -1) {
		t.Errorf("request never written: %v (want errNotSent, not placed)", err)
	}
}
