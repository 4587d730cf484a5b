// Package mailtest is a local SMTP sink for tests: it stands in for the
// outbound relay and keeps every message handed to it.
package mailtest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// Message is one message the sink received.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Sink is a running SMTP sink.
type Sink struct {
	Addr string // host:port to use as the relay

	mu   sync.Mutex
	msgs []Message
	got  chan struct{}
}

// Start runs a sink on a loopback port until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	s := &Sink{got: make(chan struct{}, 1)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "relay.test"
	srv.AllowInsecureAuth = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return s
}

// All returns the messages received so far.
func (s *Sink) All() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Wait waits until at least n messages arrived (10 s at most) and returns
// them all.
func (s *Sink) Wait(t testing.TB, n int) []Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if msgs := s.All(); len(msgs) >= n {
			return msgs
		}
		select {
		case <-s.got:
		case <-deadline:
			t.Fatalf("waited for %d messages at the sink, got %d", n, len(s.All()))
		}
	}
}

type session struct {
	s   *Sink
	cur Message
}

func (x *session) Reset()                                   { x.cur = Message{} }
func (x *session) Logout() error                            { return nil }
func (x *session) Mail(f string, _ *smtp.MailOptions) error { x.cur.From = f; return nil }
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.Data = b
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	select {
	case x.s.got <- struct{}{}:
	default:
	}
	return nil
}

// Attachment is a file attached to a test message.
type Attachment struct {
	Name, Content string
}

// WithAttachments builds a multipart message with a text part and the
// given base64-encoded attachments, in order.
func WithAttachments(from, to, subject string, files ...Attachment) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=SYB\r\n\r\n", from, to, subject)
	b.WriteString("--SYB\r\nContent-Type: text/plain\r\n\r\nPlease load these.\r\n")
	for _, f := range files {
		fmt.Fprintf(&b, "--SYB\r\nContent-Type: application/octet-stream; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", f.Name, f.Name)
		enc := base64.StdEncoding.EncodeToString([]byte(f.Content))
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\r\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\r\n")
	}
	b.WriteString("--SYB--\r\n")
	return b.Bytes()
}
