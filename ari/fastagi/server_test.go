package fastagi

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"github.com/switchyard/switchyard/internal/testkit"
	"io"
	"log/slog"
	"net"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ---- test helpers ----

// startServer serves srv on a loopback port until the test ends.
func startServer(t *testing.T, setup func(srv *Server)) (*Server, *testkit.SyncBuffer) {
	t.Helper()
	logs := &testkit.SyncBuffer{}
	srv := New("127.0.0.1:0", slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if setup != nil {
		setup(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.Addr() != "" }, "listening")
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return srv, logs
}

// fakeAsterisk speaks the Asterisk side of FastAGI.
type fakeAsterisk struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

func dial(t *testing.T, srv *Server) *fakeAsterisk {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &fakeAsterisk{t: t, conn: conn, br: bufio.NewReader(conn)}
}

func pipe(t *testing.T, srv *Server) *fakeAsterisk {
	t.Helper()
	a, b := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ServeConn(context.Background(), b)
	}()
	t.Cleanup(func() {
		a.Close()
		<-done
	})
	return &fakeAsterisk{t: t, conn: a, br: bufio.NewReader(a)}
}

// header returns a realistic Asterisk 22 header for script plus extra
// "key: value" lines (args etc.).
func header(script string, extra ...string) string {
	var b strings.Builder
	b.WriteString("agi_network: yes\n")
	if script != "" {
		b.WriteString("agi_network_script: " + script + "\n")
	}
	b.WriteString("agi_request: agi://127.0.0.1:4573/" + script + "\n")
	for _, l := range []string{
		"agi_channel: PJSIP/trunk-00000001", "agi_language: en", "agi_type: PJSIP",
		"agi_uniqueid: 1700000000.42", "agi_version: 22.5.0", "agi_callerid: 5551234",
		"agi_calleridname: Alice", "agi_callingpres: 0", "agi_callingani2: 0", "agi_callington: 0",
		"agi_callingtns: 0", "agi_dnid: 18005550000", "agi_rdnis: unknown", "agi_context: agi-example",
		"agi_extension: s", "agi_priority: 1", "agi_enhanced: 0.0", "agi_accountcode: ",
		"agi_threadid: 140000000000000",
	} {
		b.WriteString(l + "\n")
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	return b.String()
}

func (f *fakeAsterisk) send(s string) {
	f.t.Helper()
	_ = f.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(f.conn, s); err != nil {
		f.t.Fatalf("fake asterisk write: %v", err)
	}
}

// cmd reads the next command; io.EOF when the server closed the connection.
func (f *fakeAsterisk) cmd() (string, error) {
	_ = f.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := f.br.ReadString('\n')
	if err != nil {
		if errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, syscall.ECONNRESET) {
			err = io.EOF
		}
		return "", err
	}
	return strings.TrimSuffix(line, "\n"), nil
}

func (f *fakeAsterisk) expect(want string) {
	f.t.Helper()
	got, err := f.cmd()
	if err != nil {
		f.t.Fatalf("waiting for %q: %v", want, err)
	}
	if got != want {
		f.t.Fatalf("got command %q, want %q", got, want)
	}
}

func (f *fakeAsterisk) expectPrefix(prefix string) string {
	f.t.Helper()
	got, err := f.cmd()
	if err != nil {
		f.t.Fatalf("waiting for %q...: %v", prefix, err)
	}
	if !strings.HasPrefix(got, prefix) {
		f.t.Fatalf("got command %q, want prefix %q", got, prefix)
	}
	return got
}

func (f *fakeAsterisk) expectEOF() {
	f.t.Helper()
	got, err := f.cmd()
	if err != io.EOF {
		f.t.Fatalf("want connection closed, got %q, %v", got, err)
	}
}

// answerAll replies "200 result=0" to every command until the server
// closes the connection and returns the commands.
func (f *fakeAsterisk) answerAll() []string {
	f.t.Helper()
	var cmds []string
	for {
		c, err := f.cmd()
		if err == io.EOF {
			return cmds
		}
		if err != nil {
			f.t.Fatalf("after %q: %v", cmds, err)
		}
		cmds = append(cmds, c)
		f.send("200 result=0\n")
	}
}

// ---- tests ----

func TestHelloOverTCP(t *testing.T) {
	srv, _ := startServer(t, nil)
	f := dial(t, srv)
	f.send(header("hello"))
	got := f.answerAll()
	want := []string{
		"ANSWER",
		`VERBOSE "switchyard: hello from FastAGI on PJSIP/trunk-00000001" 1`,
		`SET VARIABLE SWITCHYARD_AGI "ok"`,
		`STREAM FILE hello-world "" 0`,
		`SET VARIABLE SWITCHYARD_AGI_STATUS "SUCCESS"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("commands:\n got %q\nwant %q", got, want)
	}
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.LiveSessions() == 0 }, "session to end")
}

func TestHelloOverPipe(t *testing.T) {
	srv := New("unused:0", nil)
	f := pipe(t, srv)
	f.send(header("hello"))
	if got := f.answerAll(); len(got) != 5 || got[0] != "ANSWER" {
		t.Fatalf("commands %q", got)
	}
}

func TestHelloFailsOnCommandError(t *testing.T) {
	srv, logs := startServer(t, nil)
	f := dial(t, srv)
	f.send(header("hello"))
	f.expect("ANSWER")
	f.send("510 Invalid or unknown command\n")
	// Handler error: reported on the console and in SWITCHYARD_AGI_STATUS.
	v := f.expectPrefix(`VERBOSE "switchyard: FastAGI hello failed: hello: ANSWER:`)
	_ = v
	f.send("200 result=1\n")
	f.expect(`SET VARIABLE SWITCHYARD_AGI_STATUS "FAILURE"`)
	f.send("200 result=1\n")
	f.expectEOF()
	testkit.Eventually(t, 5*time.Second, func() bool { return strings.Contains(logs.String(), "FastAGI handler failed") }, "error log")
}

func TestRouting(t *testing.T) {
	got := make(chan Request, 1)
	record := func(name string) HandlerFunc {
		return func(ctx context.Context, s *Session) error {
			r := s.Request
			r.Vars = nil
			r.Pattern = name + "|" + r.Pattern // prove which handler ran
			got <- r
			return nil
		}
	}
	srv, _ := startServer(t, func(srv *Server) {
		srv.Handle("ivr", record("ivr"))
		srv.Handle("ivr/main", record("ivrmain"))
		srv.Handle("flow/", record("flow"))
		srv.Handle("flow/special/", record("special"))
	})

	cases := []struct {
		name    string
		hdr     string
		pattern string // "" = not found
		path    string
		rest    string
		query   url.Values
	}{
		{"exact", header("ivr"), "ivr|ivr", "ivr", "", url.Values{}},
		{"exact nested beats nothing", header("ivr/main"), "ivrmain|ivr/main", "ivr/main", "", url.Values{}},
		{"leading slash and query", header("/ivr?lang=de&x=1&x=2"), "ivr|ivr", "ivr", "", url.Values{"lang": {"de"}, "x": {"1", "2"}}},
		{"prefix", header("flow/42"), "flow|flow/", "flow/42", "42", url.Values{}},
		{"prefix deeper rest", header("flow/a/b"), "flow|flow/", "flow/a/b", "a/b", url.Values{}},
		{"longest prefix", header("flow/special/7?k=v"), "special|flow/special/", "flow/special/7", "7", url.Values{"k": {"v"}}},
		{"prefix itself", header("flow/"), "flow|flow/", "flow/", "", url.Values{}},
		{"no script falls back to agi_request", strings.Replace(header("flow/9"), "agi_network_script: flow/9\n", "", 1),
			"flow|flow/", "flow/9", "9", url.Values{}},
		{"prefix needs slash", header("flow"), "", "", "", nil},
		{"exact is not a prefix", header("ivr/other"), "", "", "", nil},
		{"case sensitive", header("IVR"), "", "", "", nil},
		{"empty path", header(""), "", "", "", nil},
		{"dotdot", header("flow/../ivr"), "", "", "", nil},
		{"bad char", header("flow/a b"), "", "", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := dial(t, srv)
			f.send(tc.hdr)
			if tc.pattern == "" {
				f.expectPrefix(`VERBOSE "switchyard: no FastAGI handler for`)
				f.send("200 result=1\n")
				f.expect(`SET VARIABLE SWITCHYARD_AGI_STATUS "NOTFOUND"`)
				f.send("200 result=1\n")
				f.expectEOF()
				select {
				case r := <-got:
					t.Fatalf("a handler ran: %+v", r)
				default:
				}
				return
			}
			f.expect(`SET VARIABLE SWITCHYARD_AGI_STATUS "SUCCESS"`)
			f.send("200 result=1\n")
			f.expectEOF()
			r := <-got
			if r.Pattern != tc.pattern || r.Path != tc.path || r.Rest != tc.rest || !reflect.DeepEqual(r.Query, tc.query) {
				t.Fatalf("got pattern %q path %q rest %q query %v; want %q %q %q %v",
					r.Pattern, r.Path, r.Rest, r.Query, tc.pattern, tc.path, tc.rest, tc.query)
			}
		})
	}
}

func TestRequestVariables(t *testing.T) {
	got := make(chan Request, 1)
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("vars", func(ctx context.Context, s *Session) error {
			got <- s.Request
			return nil
		})
	})
	f := dial(t, srv)
	f.send(header("vars", "agi_arg_1: first", "agi_arg_3: third, with comma", "agi_arg_2: ", "agi_arg_x: ignored"))
	f.answerAll()
	r := <-got
	checks := map[string][2]string{
		"Channel":      {r.Channel, "PJSIP/trunk-00000001"},
		"UniqueID":     {r.UniqueID, "1700000000.42"},
		"CallerID":     {r.CallerID, "5551234"},
		"CallerIDName": {r.CallerIDName, "Alice"},
		"DNID":         {r.DNID, "18005550000"},
		"Context":      {r.Context, "agi-example"},
		"Extension":    {r.Extension, "s"},
		"Priority":     {r.Priority, "1"},
		"Language":     {r.Language, "en"},
		"Type":         {r.Type, "PJSIP"},
		"Version":      {r.Version, "22.5.0"},
		"Script":       {r.Script, "vars"},
		"URL":          {r.URL, "agi://127.0.0.1:4573/vars"},
		"Arg(1)":       {r.Arg(1), "first"},
		"Arg(2)":       {r.Arg(2), ""},
		"Arg(3)":       {r.Arg(3), "third, with comma"},
		"Arg(4)":       {r.Arg(4), ""},
		"Arg(0)":       {r.Arg(0), ""},
		"var":          {r.Vars["agi_callingtns"], "0"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if len(r.Args) != 3 {
		t.Errorf("Args = %q", r.Args)
	}
}

func TestUnknownPathKeepsServing(t *testing.T) {
	srv, logs := startServer(t, nil)
	f := dial(t, srv)
	f.send(header("nope/1"))
	got := f.answerAll()
	want := []string{
		`VERBOSE "switchyard: no FastAGI handler for \"nope/1\" (no handler registered for this path)" 1`,
		`SET VARIABLE SWITCHYARD_AGI_STATUS "NOTFOUND"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	if !strings.Contains(logs.String(), "unknown path") {
		t.Errorf("unknown path not logged:\n%s", logs)
	}
	f2 := dial(t, srv)
	f2.send(header("hello"))
	if got := f2.answerAll(); len(got) != 5 {
		t.Fatalf("server stopped serving after unknown path: %q", got)
	}
}

func TestHandlerPanicRecovered(t *testing.T) {
	srv, logs := startServer(t, func(srv *Server) {
		srv.HandleFunc("boom", func(ctx context.Context, s *Session) error {
			if err := s.Answer(); err != nil {
				return err
			}
			panic("kaboom")
		})
	})
	f := dial(t, srv)
	f.send(header("boom"))
	got := f.answerAll()
	if len(got) != 3 || got[0] != "ANSWER" ||
		!strings.HasPrefix(got[1], `VERBOSE "switchyard: FastAGI boom failed: handler panic: kaboom"`) ||
		got[2] != `SET VARIABLE SWITCHYARD_AGI_STATUS "FAILURE"` {
		t.Fatalf("commands %q", got)
	}
	if l := logs.String(); !strings.Contains(l, "FastAGI handler panicked") || !strings.Contains(l, "server_test.go") {
		t.Fatalf("panic or stack not logged:\n%s", l)
	}
	f2 := dial(t, srv)
	f2.send(header("hello"))
	if got := f2.answerAll(); len(got) != 5 {
		t.Fatalf("server stopped serving after panic: %q", got)
	}
}

func TestHangupCancelsContext(t *testing.T) {
	result := make(chan error, 1)
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("wait", func(ctx context.Context, s *Session) error {
			if err := s.Answer(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
			case <-time.After(5 * time.Second):
				result <- errors.New("context not cancelled on hangup")
				return nil
			}
			if !s.Hungup() {
				result <- errors.New("Hungup() false after HANGUP")
				return nil
			}
			result <- context.Cause(ctx)
			return context.Cause(ctx)
		})
	})
	f := dial(t, srv)
	f.send(header("wait"))
	f.expect("ANSWER")
	f.send("200 result=0\n")
	f.send("HANGUP\n")
	if err := <-result; !errors.Is(err, ErrHangup) {
		t.Fatalf("cause = %v, want ErrHangup", err)
	}
	// No status after hang-up: the server just closes.
	f.expectEOF()
}

func TestHangupDuringCommandKeepsResponsesInStep(t *testing.T) {
	type res struct {
		digit      string
		err1, err2 error
		hung       bool
	}
	out := make(chan res, 1)
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("play", func(ctx context.Context, s *Session) error {
			var r res
			r.digit, r.err1 = s.StreamFile("tt-monkeys", "#", 0)
			_, r.err2 = s.Get("FOO")
			r.hung = s.Hungup() && ctx.Err() != nil
			out <- r
			return r.err2
		})
	})
	f := dial(t, srv)
	f.send(header("play"))
	f.expect(`STREAM FILE tt-monkeys # 0`)
	// Asterisk writes the HANGUP notice and the command result together.
	f.send("HANGUP\n200 result=-1 endpos=1234\n")
	f.expect("GET VARIABLE FOO")
	f.send("511 Command Not Permitted on a dead channel or intercepted channel\n")
	r := <-out
	if r.err1 != nil || r.digit != "endpos=1234" {
		t.Fatalf("STREAM FILE: %q, %v (the HANGUP line must not be taken as its response)", r.digit, r.err1)
	}
	if r.err2 == nil {
		t.Fatal("GET VARIABLE on a dead channel: want error")
	}
	if !r.hung {
		t.Fatal("session not marked hung up")
	}
	f.expectEOF()
}

func TestMultiLineUsageResponse(t *testing.T) {
	type res struct {
		err1 error
		val  string
		err2 error
	}
	out := make(chan res, 1)
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("usage", func(ctx context.Context, s *Session) error {
			var r res
			r.err1 = s.Command("SAY NUMBER").Err()
			r.val, r.err2 = s.Get("FOO")
			out <- r
			return nil
		})
	})
	f := dial(t, srv)
	f.send(header("usage"))
	f.expect("SAY NUMBER")
	f.send("520-Invalid command syntax.  Proper usage follows:\r\n" +
		" Usage: SAY NUMBER <number> <escape digits> [gender]\n" +
		"     Say a given number, returning early if any of the given DTMF digits\n" +
		"520 End of proper usage.\n")
	f.expect("GET VARIABLE FOO")
	f.send("200 result=1 (bar baz)\n")
	f.expect(`SET VARIABLE SWITCHYARD_AGI_STATUS "SUCCESS"`)
	f.send("200 result=1\n")
	f.expectEOF()
	r := <-out
	if r.err1 == nil {
		t.Fatal("usage response: want error")
	}
	if r.err2 != nil || r.val != "bar baz" {
		t.Fatalf("next command out of step: %q, %v", r.val, r.err2)
	}
}

func TestSetVariableQuoting(t *testing.T) {
	errs := make(chan error, 3)
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("set", func(ctx context.Context, s *Session) error {
			errs <- s.SetVariable("X", `a "b" \c d`)
			errs <- s.SetVariable("bad name", "v")
			errs <- s.SetVariable("Y", "two\nlines")
			return nil
		})
	})
	f := dial(t, srv)
	f.send(header("set"))
	got := f.answerAll()
	if got[0] != `SET VARIABLE X "a \"b\" \\c d"` || len(got) != 2 {
		t.Fatalf("commands %q", got)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err == nil {
		t.Fatal("invalid variable name accepted")
	}
	if err := <-errs; err == nil {
		t.Fatal("multi-line value accepted")
	}
}

func TestBadHeaders(t *testing.T) {
	srv, logs := startServer(t, func(srv *Server) { srv.HeaderTimeout = 200 * time.Millisecond })
	t.Run("garbage", func(t *testing.T) {
		f := dial(t, srv)
		f.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		f.expectEOF()
	})
	t.Run("silent client times out", func(t *testing.T) {
		f := dial(t, srv)
		start := time.Now()
		f.expectEOF()
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("closed after %v", d)
		}
	})
	t.Run("half header then close", func(t *testing.T) {
		f := dial(t, srv)
		f.send("agi_network: yes\nagi_request: agi://h/hello\n")
		f.conn.(*net.TCPConn).CloseWrite()
		f.expectEOF()
	})
	t.Run("huge line", func(t *testing.T) {
		f := dial(t, srv)
		go io.WriteString(f.conn, "agi_x: "+strings.Repeat("a", 100*1024)+"\n\n")
		f.expectEOF()
	})
	testkit.Eventually(t, 5*time.Second, func() bool { return strings.Count(logs.String(), "without a valid AGI header") >= 4 }, "warnings")
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.LiveSessions() == 0 }, "sessions to end")
}

func TestGracefulShutdownWaitsForLiveSessions(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	srv, _ := startServer(t, func(srv *Server) {
		srv.HandleFunc("slow", func(ctx context.Context, s *Session) error {
			close(started)
			select {
			case <-release:
			case <-ctx.Done():
				return fmt.Errorf("cancelled during graceful shutdown: %w", context.Cause(ctx))
			}
			return s.Verbose("finished", 1)
		})
	})
	addr := srv.Addr()
	f := dial(t, srv)
	f.send(header("slow"))
	<-started

	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shut <- srv.Shutdown(ctx)
	}()
	// New connections are refused once shutdown began.
	testkit.Eventually(t, 5*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		c.Close()
		return false
	}, "listener closed")
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a session was live", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	f.expect(`VERBOSE "finished" 1`)
	f.send("200 result=1\n")
	f.expect(`SET VARIABLE SWITCHYARD_AGI_STATUS "SUCCESS"`)
	f.send("200 result=1\n")
	f.expectEOF()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestShutdownTimeoutForcesSessionsClosed(t *testing.T) {
	cause := make(chan error, 1)
	started := make(chan struct{})
	srv, logs := startServer(t, func(srv *Server) {
		srv.HandleFunc("stuck", func(ctx context.Context, s *Session) error {
			close(started)
			// Blocks inside an AGI command that Asterisk never answers:
			// only closing the connection can end it.
			_, err := s.Exec("Wait", "3600")
			cause <- err
			return err
		})
	})
	f := dial(t, srv)
	f.send(header("stuck"))
	<-started
	f.expect("EXEC Wait 3600")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := srv.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Shutdown took %v", d)
	}
	select {
	case err := <-cause:
		if err == nil {
			t.Fatal("blocked command returned no error after forced close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler still blocked after forced shutdown")
	}
	f.expectEOF()
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.LiveSessions() == 0 }, "sessions to end")
	if !strings.Contains(logs.String(), "shutdown timed out") {
		t.Errorf("forced close not logged")
	}
	// Serving again after shutdown is refused.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := srv.Serve(context.Background(), l); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve after Shutdown = %v", err)
	}
}

func TestServeContextCancelIsHardStop(t *testing.T) {
	srv := New("127.0.0.1:0", nil)
	cause := make(chan error, 1)
	running := make(chan struct{})
	srv.HandleFunc("wait", func(ctx context.Context, s *Session) error {
		close(running)
		<-ctx.Done()
		cause <- ctx.Err()
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx) }()
	testkit.Eventually(t, 5*time.Second, func() bool { return srv.Addr() != "" }, "listening")
	if strings.HasSuffix(srv.Addr(), ":0") {
		t.Fatalf("Addr() = %s, want the bound port", srv.Addr())
	}
	f := dial(t, srv)
	f.send(header("wait"))
	// Cancel only once the handler runs: a session cancelled while its
	// header is still being read never reaches a handler at all.
	select {
	case <-running:
	case <-time.After(10 * time.Second):
		t.Fatal("handler never ran")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ListenAndServe = %v", err)
	}
	if err := <-cause; !errors.Is(err, context.Canceled) {
		t.Fatalf("handler ctx: %v", err)
	}
	f.expectEOF()
}

func TestListenAndServeBadAddress(t *testing.T) {
	srv := New("127.0.0.1:notaport", nil)
	if err := srv.ListenAndServe(context.Background()); err == nil || !strings.Contains(err.Error(), "127.0.0.1:notaport") {
		t.Fatalf("got %v", err)
	}
}

func TestHandleRejectsBadPatterns(t *testing.T) {
	for _, p := range []string{"", "/hello", "a//b", "a/../b", "a b", "hello", "x?y", strings.Repeat("a", MaxPathLen+1)} {
		t.Run(p, func(t *testing.T) {
			srv := New("", nil)
			defer func() {
				if recover() == nil {
					t.Fatalf("Handle(%q) did not panic", p)
				}
			}()
			srv.HandleFunc(p, func(context.Context, *Session) error { return nil })
		})
	}
	srv := New("", nil)
	srv.HandleFunc("flow/", func(context.Context, *Session) error { return nil })
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("duplicate prefix accepted")
			}
		}()
		srv.HandleFunc("flow/", func(context.Context, *Session) error { return nil })
	}()
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("nil handler accepted")
			}
		}()
		srv.Handle("x", nil)
	}()
}

func TestManyConcurrentSessions(t *testing.T) {
	srv, _ := startServer(t, nil)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				errs <- err
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(conn, header("hello"))
			br := bufio.NewReader(conn)
			count := 0
			for {
				if _, err := br.ReadString('\n'); err != nil {
					break
				}
				count++
				io.WriteString(conn, "200 result=0\n")
			}
			if count != 5 {
				errs <- fmt.Errorf("got %d commands", count)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
