package fastagi

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/CyCoreSystems/agi"
)

// maxLineLen bounds one protocol line from Asterisk. It stays below
// bufio.Scanner's 64 KiB token limit used inside the agi package.
const maxLineLen = 60 * 1024

// maxHeaderLines bounds the agi_ header block.
const maxHeaderLines = 512

// Request is the AGI environment Asterisk sends when a call enters
// AGI(agi://host:port/<path>?<query>,<arg1>,<arg2>,...).
type Request struct {
	// Path is the routing path without leading slash or query, e.g. "flow/42".
	Path string
	// Pattern is the registered pattern that matched, e.g. "flow/".
	Pattern string
	// Rest is what a prefix pattern left over ("42" for "flow/42" on
	// "flow/"); empty for exact patterns.
	Rest string
	// Query holds the parameters after '?' in the AGI URL.
	Query url.Values
	// Script is agi_network_script verbatim; URL is agi_request verbatim.
	Script string
	URL    string

	Channel      string // agi_channel, e.g. PJSIP/trunk-0000002a
	UniqueID     string // agi_uniqueid
	Language     string // agi_language
	Type         string // agi_type (channel technology)
	CallerID     string // agi_callerid
	CallerIDName string // agi_calleridname
	DNID         string // agi_dnid: the dialled number (DNIS)
	RDNIS        string // agi_rdnis
	Context      string // agi_context
	Extension    string // agi_extension
	Priority     string // agi_priority
	AccountCode  string // agi_accountcode
	ThreadID     string // agi_threadid
	Version      string // agi_version (Asterisk version)

	// Args are agi_arg_1 ... agi_arg_N in order.
	Args []string
	// Vars holds every header variable verbatim (agi_ prefix included).
	Vars map[string]string
}

// Arg returns agi_arg_n (1-based) or "".
func (r *Request) Arg(n int) string {
	if n < 1 || n > len(r.Args) {
		return ""
	}
	return r.Args[n-1]
}

func newRequest(vars map[string]string) Request {
	r := Request{
		Script:       vars["agi_network_script"],
		URL:          vars["agi_request"],
		Channel:      vars["agi_channel"],
		UniqueID:     vars["agi_uniqueid"],
		Language:     vars["agi_language"],
		Type:         vars["agi_type"],
		CallerID:     vars["agi_callerid"],
		CallerIDName: vars["agi_calleridname"],
		DNID:         vars["agi_dnid"],
		RDNIS:        vars["agi_rdnis"],
		Context:      vars["agi_context"],
		Extension:    vars["agi_extension"],
		Priority:     vars["agi_priority"],
		AccountCode:  vars["agi_accountcode"],
		ThreadID:     vars["agi_threadid"],
		Version:      vars["agi_version"],
		Vars:         vars,
	}
	type arg struct {
		n int
		v string
	}
	var args []arg
	for k, v := range vars {
		if ns, ok := strings.CutPrefix(k, "agi_arg_"); ok {
			if n, err := strconv.Atoi(ns); err == nil && n >= 1 && n <= 1024 {
				args = append(args, arg{n, v})
			}
		}
	}
	sort.Slice(args, func(i, j int) bool { return args[i].n < args[j].n })
	if len(args) > 0 {
		r.Args = make([]string, args[len(args)-1].n)
		for _, a := range args {
			r.Args[a.n-1] = a.v
		}
	}
	return r
}

// Session is one FastAGI connection: the AGI commands of
// github.com/CyCoreSystems/agi (Answer, StreamFile, GetData, Exec, Set, Get,
// Verbose, Hangup, Command, ...) plus the Request Asterisk sent.
//
// Commands are serialized by the agi package; a Session may be used from
// several goroutines. After the caller hangs up, Asterisk answers most
// commands with 511 (an error); Hungup reports that state.
type Session struct {
	*agi.AGI
	Request Request

	logger *slog.Logger
	conn   net.Conn
	pr     *io.PipeReader
	cancel context.CancelCauseFunc
	hungup atomic.Bool
	done   chan struct{} // closed when the read loop exits
}

// ErrHangup is the context cause after Asterisk reported the caller hung up.
var ErrHangup = errors.New("fastagi: channel hung up")

// errConnClosed is the context cause when the connection ended.
var errConnClosed = errors.New("fastagi: connection closed")

// Hungup reports whether Asterisk has sent HANGUP or closed the connection.
func (s *Session) Hungup() bool { return s.hungup.Load() }

// Logger returns the session's logger (path, channel and unique id attached).
func (s *Session) Logger() *slog.Logger { return s.logger }

// SetVariable sets a channel variable, quoting the value so that spaces,
// quotes and backslashes survive Asterisk's argument parser (agi.AGI.Set
// sends the value unquoted).
func (s *Session) SetVariable(name, value string) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n\"\\") {
		return fmt.Errorf("fastagi: invalid variable name %q", name)
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("fastagi: variable %s: value must not contain line breaks", name)
	}
	return s.Command("SET VARIABLE", name, quote(value)).Err()
}

// quote renders s as a double-quoted AGI argument.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// newSession starts the read loop on conn and reads the header. ctx is the
// session context's parent; the returned context is cancelled on hangup,
// connection loss or when the parent is cancelled.
func newSession(parent context.Context, conn net.Conn, headerTimeout time.Duration, logger *slog.Logger) (*Session, context.Context, error) {
	ctx, cancel := context.WithCancelCause(parent)
	pr, pw := io.Pipe()
	s := &Session{conn: conn, pr: pr, cancel: cancel, logger: logger, done: make(chan struct{})}

	if headerTimeout > 0 {
		_ = conn.SetReadDeadline(time.Now().Add(headerTimeout))
	}
	headerDone := make(chan error, 1)
	go s.readLoop(pw, headerDone)

	// agi.New reads the header block from the pipe; the read loop forwards
	// it line by line and ends the pipe if the header is bad or late.
	a := agi.New(pr, conn)
	if err := <-headerDone; err != nil {
		s.close()
		cancel(err)
		return nil, nil, err
	}
	s.AGI = a
	if logger.Enabled(parent, slog.LevelDebug) {
		_ = a.SetLogger(slog.NewLogLogger(logger.Handler(), slog.LevelDebug))
	}
	return s, ctx, nil
}

var errHeader = errors.New("fastagi: bad AGI header")

// readLoop owns reads from the connection. It forwards response lines into
// the pipe one line per Write (so the agi package's per-command
// bufio.Scanner never reads ahead and loses a line), consumes the
// asynchronous "HANGUP" notification Asterisk sends when the caller hangs up
// (cancelling the session context instead of corrupting the next command's
// response), and folds multi-line "520-..." usage responses into their final
// line so that later responses stay in step.
func (s *Session) readLoop(pw *io.PipeWriter, headerDone chan<- error) {
	defer close(s.done)
	br := bufio.NewReaderSize(s.conn, 4096)
	inHeader := true
	headerLines := 0
	inMulti := false
	finishHeader := func(err error) {
		if inHeader {
			inHeader = false
			headerDone <- err
		}
	}
	fail := func(err error) {
		finishHeader(err)
		pw.CloseWithError(err)
		if s.hungup.CompareAndSwap(false, true) {
			s.cancel(errConnClosed)
		}
	}
	for {
		line, err := readLine(br)
		if err != nil {
			if inHeader {
				err = fmt.Errorf("%w: %v", errHeader, err)
			}
			fail(err)
			return
		}
		if inHeader {
			if line == "" {
				_ = s.conn.SetReadDeadline(time.Time{})
				if _, werr := pw.Write([]byte("\n")); werr != nil {
					fail(werr)
					return
				}
				finishHeader(nil)
				continue
			}
			headerLines++
			if headerLines > maxHeaderLines {
				fail(fmt.Errorf("%w: more than %d lines", errHeader, maxHeaderLines))
				return
			}
			if k, _, ok := strings.Cut(line, ":"); !ok || !strings.HasPrefix(strings.TrimSpace(k), "agi_") {
				fail(fmt.Errorf("%w: unexpected line %q", errHeader, truncate(line, 80)))
				return
			}
		} else {
			if line == "HANGUP" {
				if s.hungup.CompareAndSwap(false, true) {
					s.logger.Debug("caller hung up")
					s.cancel(ErrHangup)
				}
				continue
			}
			if inMulti {
				if isFinalOfMulti(line) {
					inMulti = false
				} else {
					continue
				}
			} else if len(line) >= 4 && isDigits(line[:3]) && line[3] == '-' {
				inMulti = true
				continue
			}
		}
		if _, werr := pw.Write([]byte(line + "\n")); werr != nil {
			fail(werr)
			return
		}
	}
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isFinalOfMulti(line string) bool {
	return len(line) >= 4 && isDigits(line[:3]) && line[3] == ' '
}

var errLineTooLong = errors.New("fastagi: protocol line too long")

// readLine reads one line without its "\n" / "\r\n", at most maxLineLen bytes.
func readLine(br *bufio.Reader) (string, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > maxLineLen+2 {
			return "", errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			buf = bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r"))
			return string(buf), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return "", err
		}
	}
}

// close ends the session's I/O: blocked pipe writes fail, the connection
// closes (Asterisk then continues its dialplan) and the read loop exits.
func (s *Session) close() {
	_ = s.pr.Close()
	_ = s.conn.Close()
	<-s.done
}
