// Package relay is the outbound side of mail: the relay that carries the
// upload auto-responses, status mails and daily email reports. It is the
// configured SMTP relay (host:port), or, when none is configured, an
// in-process log relay on loopback that logs each message instead of
// sending it, so a server without mail still shows what it would send.
package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// Relay is the outbound relay: Addr is where to hand outgoing mail.
type Relay struct {
	// Addr is host:port of the relay.
	Addr string

	srv     *smtp.Server // the log relay; nil with a configured relay
	ln      net.Listener
	closeLn sync.Once
}

// Open returns the configured relay (configured is host:port), or, when
// configured is empty, binds the log relay on a loopback port (Serve runs
// it). setting names the relay setting for the log lines.
func Open(ctx context.Context, configured, setting string, log *slog.Logger) (*Relay, error) {
	if configured != "" {
		return &Relay{Addr: configured}, nil
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("mail: listen for the log relay: %w", err)
	}
	return &Relay{Addr: ln.Addr().String(), srv: NewLog(log, setting), ln: ln}, nil
}

// Configured reports whether Addr is the configured relay (not the log
// relay): only it gets the relay credentials.
func (r *Relay) Configured() bool { return r.srv == nil }

// Serve runs the log relay until Shutdown or Close; with a configured
// relay it returns nil at once.
func (r *Relay) Serve() error {
	if r.srv == nil {
		return nil
	}
	if err := r.srv.Serve(r.ln); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops the log relay, letting messages being handed over finish
// (bounded by ctx).
func (r *Relay) Shutdown(ctx context.Context) error {
	if r.srv == nil {
		return nil
	}
	err := r.srv.Shutdown(ctx)
	r.Close()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close releases the log relay's listener (in case Serve never ran).
func (r *Relay) Close() {
	if r.ln != nil {
		r.closeLn.Do(func() { _ = r.ln.Close() })
	}
}

// NewLog is the outbound "relay" used when no relay is configured: an
// SMTP server that logs each message it is handed (sender, recipients,
// subject and text) instead of delivering it. setting names the missing
// relay setting in the log lines.
func NewLog(log *slog.Logger, setting string) *smtp.Server {
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &logSession{log: log, setting: setting}, nil
	}))
	s.Domain = "localhost"
	s.MaxMessageBytes = 64 << 20
	s.ReadTimeout = time.Minute
	s.WriteTimeout = time.Minute
	s.ErrorLog = smtpLog{log}
	return s
}

type smtpLog struct{ l *slog.Logger }

func (s smtpLog) Printf(format string, v ...any) { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s smtpLog) Println(v ...any)               { s.l.Warn(fmt.Sprint(v...)) }

type logSession struct {
	log     *slog.Logger
	setting string
	from    string
	to      []string
}

func (s *logSession) Reset()                                      { s.from, s.to = "", nil }
func (s *logSession) Logout() error                               { return nil }
func (s *logSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *logSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

// maxLoggedText bounds the text of a logged mail.
const maxLoggedText = 4000

func (s *logSession) Data(r io.Reader) error {
	cr := &countReader{r: r}
	msg, err := mail.ReadMessage(cr)
	if err != nil {
		_, _ = io.Copy(io.Discard, r)
		s.log.Warn("email not sent (no "+s.setting+"), unparseable", "from", s.from, "to", s.to, "error", err)
		return nil
	}
	subject := msg.Header.Get("Subject")
	if d, err := new(mime.WordDecoder).DecodeHeader(subject); err == nil {
		subject = d
	}
	text := firstText(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body, 0)
	_, _ = io.Copy(io.Discard, cr)
	if len(text) > maxLoggedText {
		text = text[:maxLoggedText] + "…"
	}
	s.log.Info("email not sent (no "+s.setting+" set); logged instead",
		"from", s.from, "to", s.to, "subject", subject, "bytes", cr.n, "text", text)
	return nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// firstText returns the first text/plain part of a message body, decoded.
func firstText(ctype, cte string, body io.Reader, depth int) string {
	if depth > 5 {
		return ""
	}
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		return ""
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return ""
			}
			if t := firstText(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p, depth+1); t != "" {
				return t
			}
		}
	}
	if mt != "text/plain" {
		return ""
	}
	if strings.EqualFold(strings.TrimSpace(cte), "quoted-printable") {
		body = quotedprintable.NewReader(body)
	}
	b, _ := io.ReadAll(io.LimitReader(body, maxLoggedText+1))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\r\n", "\n"))
}
