package fastagi

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseScript(t *testing.T) {
	cases := []struct {
		in, path, query string
		ok              bool
	}{
		{"hello", "hello", "", true},
		{"/hello", "hello", "", true},
		{"//hello", "hello", "", true},
		{"flow/42?lang=de", "flow/42", "lang=de", true},
		{"flow/", "flow/", "", true},
		{"a:b@c/%41", "a:b@c/%41", "", true},
		{"", "", "", false},
		{"/", "", "", false},
		{"?x=1", "", "", false},
		{"a//b", "", "", false},
		{"a/./b", "", "", false},
		{"a/..", "", "", false},
		{"a b", "", "", false},
		{"a\tb", "", "", false},
		{"a#b", "", "", false},
		{"é", "", "", false},
		{"a?x=%zz", "", "", false},
		{strings.Repeat("a", MaxPathLen), strings.Repeat("a", MaxPathLen), "", true},
		{strings.Repeat("a", MaxPathLen+1), "", "", false},
	}
	for _, c := range cases {
		p, q, err := ParseScript(c.in)
		if c.ok != (err == nil) {
			t.Errorf("ParseScript(%q) err = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Errorf("ParseScript(%q) error %v does not wrap ErrInvalidPath", c.in, err)
			}
			continue
		}
		if p != c.path || q.Encode() != c.query {
			t.Errorf("ParseScript(%q) = %q, %q; want %q, %q", c.in, p, q.Encode(), c.path, c.query)
		}
	}
}

func TestScriptFromRequest(t *testing.T) {
	for in, want := range map[string]string{
		"agi://127.0.0.1:4573/flow/9?x=1": "flow/9?x=1",
		"hagi://agi.example.com/ivr":      "ivr",
		"agi://127.0.0.1:4573":            "",
		"agi://127.0.0.1:4573/":           "",
		"/usr/share/agi/x.sh":             "",
	} {
		if got := scriptFromRequest(in); got != want {
			t.Errorf("scriptFromRequest(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseScript: never panics; accepted paths are clean, bounded and
// stable under re-parsing; routing agrees with the pattern rules.
func FuzzParseScript(f *testing.F) {
	for _, s := range []string{"hello", "/flow/42?x=1", "flow/", "a//b", "../x", "?", "a?b=%zz", "flow/special/7", "é/\x00"} {
		f.Add(s)
	}
	srv := New("", nil)
	noop := HandlerFunc(func(context.Context, *Session) error { return nil })
	srv.Handle("flow/", noop)
	srv.Handle("flow/special/", noop)
	srv.Handle("ivr", noop)
	f.Fuzz(func(t *testing.T, script string) {
		path, q, err := ParseScript(script)
		if err != nil {
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("error %v does not wrap ErrInvalidPath", err)
			}
			return
		}
		if path == "" || len(path) > MaxPathLen || strings.HasPrefix(path, "/") ||
			strings.ContainsAny(path, "? \t\r\n#\x00") || !utf8.ValidString(path) || strings.Contains(path, "//") {
			t.Fatalf("accepted bad path %q from %q", path, script)
		}
		if q == nil {
			t.Fatal("nil query")
		}
		p2, _, err := ParseScript(path)
		if err != nil || p2 != path {
			t.Fatalf("re-parse of %q: %q, %v", path, p2, err)
		}
		_, pattern, rest, ok := srv.match(path)
		if ok {
			switch {
			case strings.HasSuffix(pattern, "/"):
				if pattern+rest != path {
					t.Fatalf("prefix %q + rest %q != %q", pattern, rest, path)
				}
				if pattern == "flow/" && strings.HasPrefix(path, "flow/special/") {
					t.Fatalf("%q routed to shorter prefix", path)
				}
			case pattern != path || rest != "":
				t.Fatalf("exact pattern %q matched %q (rest %q)", pattern, path, rest)
			}
		} else if path == "ivr" || path == HelloPath || strings.HasPrefix(path, "flow/") {
			t.Fatalf("%q not routed", path)
		}
	})
}

// FuzzProtocol feeds arbitrary bytes as the Asterisk side of a session:
// the server must neither panic nor hang.
func FuzzProtocol(f *testing.F) {
	f.Add([]byte(header("hello") + "200 result=0\n200 result=0\nHANGUP\n200 result=0\n"))
	f.Add([]byte(header("nope") + "520-x\ny\n520 end\n200 result=1\n"))
	f.Add([]byte("agi_network_script: hello\n\n\n\n\n"))
	f.Add([]byte("\n"))
	f.Add([]byte("agi_request: agi://h/hello\r\n\r\n200 result=0 (x)\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		srv := New("", nil)
		srv.HeaderTimeout = time.Second
		a, b := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			srv.ServeConn(context.Background(), b)
		}()
		go io.Copy(io.Discard, a) // drain commands
		_ = a.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = a.Write(in)
		a.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("session did not end")
		}
	})
}
