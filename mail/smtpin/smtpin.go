// Package smtpin is the email-upload SMTP server (a call list mailed to the
// flow, answered by an auto-response and the flow's "Email Status" mail):
// each outbound flow has its own address; a mail to it from a whitelisted sender of the account (a
// blacklisted one is refused) has its .csv/.zip attachments imported as
// requests, and the sender gets an auto-response through the outbound
// relay. When the flow's status email is on, the per-number status goes to
// the account holder and the flow's selected whitelisted addresses; a
// rejected file always notifies the account holder, even with it off.
//
// Attachments are imported by the call-list intake service
// (dialer/calllist/intake), the same importer as the HTTP upload.
package smtpin

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/store"
)

// Config configures the SMTP listener and the outbound relay.
type Config struct {
	// Domain of the per-flow addresses (the MX of this server), e.g.
	// "upload.example.com".
	Domain string
	// Secret keys the per-flow addresses (an address cannot be guessed
	// from the account and flow ids). At least 16 bytes.
	Secret []byte
	// Relay is host:port of the outbound SMTP relay for the responses;
	// RelayUser/RelayPassword enable AUTH PLAIN.
	Relay, RelayUser, RelayPassword string
	// RelayStartTLS upgrades the relay connection with STARTTLS (required
	// when RelayUser is set, so the password never travels in clear).
	RelayStartTLS bool
	// From is the sender of the responses, e.g. "noreply@upload.example.com".
	From string
	// MaxMessageBytes caps an incoming mail (default 40 MB: a 25 MB zip
	// grows by a third in base64).
	MaxMessageBytes int64
	// Timeout bounds one SMTP session's writes and one relay delivery
	// (default 1 minute).
	Timeout time.Duration
	// MaxConns caps open SMTP connections (default 200); more are answered
	// 421 and closed.
	MaxConns int
	// IdleTimeout closes a connection that sends nothing for this long
	// (default 60 s).
	IdleTimeout time.Duration
}

// Defaults of Config.
const (
	DefaultSMTPMaxConns    = 200
	DefaultSMTPIdleTimeout = 60 * time.Second
)

// Validate checks the configuration.
func (c *Config) Validate() error {
	switch {
	case c.Domain == "" || strings.ContainsAny(c.Domain, "@ "):
		return fmt.Errorf("mail upload: domain %q is not a domain name", c.Domain)
	case len(c.Secret) < MinSecretLen:
		return errors.New("mail upload: the address secret must be at least 16 bytes")
	case c.Relay == "":
		return errors.New("mail upload: an outbound relay (host:port) is required for the auto-responses")
	}
	if c.RelayUser != "" && !c.RelayStartTLS {
		return errors.New("mail upload: relay authentication needs STARTTLS (set RelayStartTLS)")
	}
	if _, _, err := net.SplitHostPort(c.Relay); err != nil {
		return fmt.Errorf("mail upload: relay %q: %w", c.Relay, err)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("mail upload: from %q: %w", c.From, err)
	}
	return nil
}

// Address is the upload address of a flow ("" if the flow id cannot be
// used in an address).
func Address(c Config, accountID int64, flowID string) string {
	if flowID == "" || strings.Trim(flowID, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return ""
	}
	return fmt.Sprintf("calllist-%d-%s-%s@%s", accountID, flowID, addrMAC(c.Secret, accountID, flowID), c.Domain)
}

func addrMAC(secret []byte, accountID int64, flowID string) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%d\x00%s", accountID, flowID)
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// parseAddress reverses Address.
func parseAddress(c Config, addr string) (int64, string, bool) {
	local, domain, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok || domain != strings.ToLower(c.Domain) {
		return 0, "", false
	}
	parts := strings.Split(local, "-")
	if len(parts) != 4 || parts[0] != "calllist" {
		return 0, "", false
	}
	acc, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || acc <= 0 {
		return 0, "", false
	}
	flowID := parts[2] // Address only makes addresses for lower-case ids

	if !hmac.Equal([]byte(addrMAC(c.Secret, acc, flowID)), []byte(parts[3])) {
		return 0, "", false
	}
	return acc, flowID, true
}

// Store is what the server reads beside the intake service: the
// account's email white/blacklists and its users (*store.Store implements
// it).
type Store interface {
	ListListEntries(ctx context.Context, accountID int64, list, kind string) ([]store.ListEntry, error)
	// AccountOwnerEmails: the account holder's addresses (active owners,
	// oldest first).
	AccountOwnerEmails(ctx context.Context, accountID int64) ([]string, error)
}

// Deps are the server's collaborators.
type Deps struct {
	Store Store
	// Intake imports the attachments and writes the status reports.
	Intake *intake.Importer
	Logger *slog.Logger
}

// Server is the SMTP listener for email uploads.
type Server struct {
	d   Deps
	log *slog.Logger
	cfg Config
	srv *smtp.Server

	mu   sync.Mutex
	sent int // responses delivered (for tests and metrics)
	ln   *limitListener
}

// NewServer builds the listener. d.Intake must find flows by the id in
// the address.
func NewServer(d Deps, cfg Config) (*Server, error) {
	if d.Store == nil || d.Intake == nil {
		return nil, errors.New("mail upload: Deps.Store and Deps.Intake are required")
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 40 << 20
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = DefaultSMTPMaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultSMTPIdleTimeout
	}
	m := &Server{d: d, log: log.With("component", "smtpin"), cfg: cfg}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m, remote: c.Conn().RemoteAddr().String()}, nil
	}))
	s.Domain = cfg.Domain
	s.MaxMessageBytes = cfg.MaxMessageBytes
	s.MaxRecipients = 1
	s.ReadTimeout = cfg.IdleTimeout
	s.WriteTimeout = cfg.Timeout
	s.ErrorLog = slogLogger{m.log}
	m.srv = s
	return m, nil
}

type slogLogger struct {
	l interface{ Warn(string, ...any) }
}

func (s slogLogger) Printf(format string, v ...any) { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s slogLogger) Println(v ...any)               { s.l.Warn(fmt.Sprint(v...)) }

// Serve accepts SMTP connections on l until Close.
func (m *Server) Serve(l net.Listener) error {
	ll := newLimitListener(l, m.cfg.MaxConns, m.cfg.Domain)
	m.mu.Lock()
	m.ln = ll
	m.mu.Unlock()
	err := m.srv.Serve(ll)
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops the listener and open sessions.
func (m *Server) Close() error { return m.srv.Close() }

// Shutdown stops accepting and waits for open sessions (bounded by ctx).
func (m *Server) Shutdown(ctx context.Context) error { return m.srv.Shutdown(ctx) }

// Conns returns the open SMTP connections and how many were refused
// over MaxConns.
func (m *Server) Conns() (open, refused int64) {
	m.mu.Lock()
	ll := m.ln
	m.mu.Unlock()
	if ll == nil {
		return 0, 0
	}
	return ll.open.Load(), ll.refused.Load()
}

// Sent is the number of responses delivered to the relay.
func (m *Server) Sent() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sent
}

type mailSession struct {
	m      *Server
	remote string
	from   string
	acc    int64
	flow   intake.Flow
}

func smtpErr(code int, enh smtp.EnhancedCode, msg string) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: enh, Message: msg}
}

func (s *mailSession) Reset()        { s.from, s.acc, s.flow = "", 0, intake.Flow{} }
func (s *mailSession) Logout() error { return nil }

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	a, err := mail.ParseAddress("<" + from + ">")
	if err != nil || from == "" {
		return smtpErr(553, smtp.EnhancedCode{5, 1, 7}, "a sender address is required")
	}
	s.from = strings.ToLower(a.Address)
	return nil
}

func (s *mailSession) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.m.cfg.Timeout)
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	acc, flowID, ok := parseAddress(s.m.cfg, to)
	if !ok {
		return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "no such upload address")
	}
	ctx, cancel := s.ctx()
	defer cancel()
	if err := s.checkSender(ctx, acc); err != nil {
		return err
	}
	f, err := s.m.d.Intake.Flow(ctx, acc, flowID)
	if err != nil {
		return smtpErr(550, smtp.EnhancedCode{5, 1, 1}, "the flow of this upload address does not exist")
	}
	s.acc, s.flow = acc, f
	return nil
}

// errTempFailure is the 4xx answer when a lookup the decision depends on
// failed: the sender retries later; nothing is accepted meanwhile.
var errTempFailure = smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "temporary failure, try again later")

// checkSender refuses a blacklisted or non-whitelisted sender for acc. A
// failed lookup refuses too (fails closed, with a temporary error).
func (s *mailSession) checkSender(ctx context.Context, acc int64) error {
	st := s.m.d.Store
	black, err := st.ListListEntries(ctx, acc, store.ListBlack, store.KindEmail)
	if err != nil {
		s.m.log.Warn("email upload: blacklist lookup failed; refusing the mail for now", "account_id", acc, "err", err)
		return errTempFailure
	}
	for _, e := range black {
		if e.Value == s.from {
			return smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "the sender address is blacklisted for this account")
		}
	}
	white, err := st.ListListEntries(ctx, acc, store.ListWhite, store.KindEmail)
	if err != nil {
		s.m.log.Warn("email upload: whitelist lookup failed; refusing the mail for now", "account_id", acc, "err", err)
		return errTempFailure
	}
	for _, e := range white {
		if e.Value == s.from {
			return nil
		}
	}
	return smtpErr(550, smtp.EnhancedCode{5, 7, 1}, "the sender address is not a whitelisted email id of this account")
}

func (s *mailSession) Data(r io.Reader) error {
	if s.acc == 0 {
		return smtpErr(503, smtp.EnhancedCode{5, 5, 1}, "no valid recipient")
	}
	// The lists are checked again before anything is imported: an entry
	// added since RCPT counts, and a lookup failure here refuses too.
	cctx, ccancel := s.ctx()
	err := s.checkSender(cctx, s.acc)
	ccancel()
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return smtpErr(550, smtp.EnhancedCode{5, 6, 0}, "the message cannot be parsed: "+err.Error())
	}
	subject := msg.Header.Get("Subject")
	var atts []intake.Attachment
	var other []string
	if err := walkMIME(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, &atts, &other, 0); err != nil {
		return smtpErr(550, smtp.EnhancedCode{5, 6, 0}, "the message cannot be parsed: "+err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	up, err := s.m.d.Intake.Begin(ctx, s.acc, s.flow, calllist.FormatAuto, store.SourceEmail)
	if err != nil {
		return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "temporary failure, try again later")
	}
	results := s.m.d.Intake.ImportAttachments(ctx, up, atts)
	for _, n := range other {
		results = append(results, intake.FileResult{File: n, Error: "unsupported attachment: send a .csv or a .zip of .csv files"})
	}
	if len(results) == 0 {
		results = append(results, intake.FileResult{File: "(none)", Error: "the mail has no .csv or .zip attachment"})
	}
	s.m.respond(ctx, s.acc, s.flow, s.from, subject, results, true)
	return nil
}

// walkMIME collects the attachments of a message part (depth-limited).
func walkMIME(ctype, cte, disp string, body io.Reader, atts *[]intake.Attachment, other *[]string, depth int) error {
	if depth > 10 {
		return errors.New("MIME nesting is too deep")
	}
	if ctype == "" {
		ctype = "text/plain"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt, params = "application/octet-stream", map[string]string{}
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if err := walkMIME(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p.Header.Get("Content-Disposition"), p, atts, other, depth+1); err != nil {
				return err
			}
		}
	}
	name := ""
	if disp != "" {
		if _, dp, err := mime.ParseMediaType(disp); err == nil {
			name = dp["filename"]
		}
	}
	if name == "" {
		name = params["name"]
	}
	if name == "" {
		return nil // body text
	}
	dec := new(mime.WordDecoder)
	if d, err := dec.DecodeHeader(name); err == nil {
		name = d
	}
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	switch strings.ToLower(path.Ext(name)) {
	case ".csv", ".txt", ".zip":
	default:
		*other = append(*other, name)
		return nil
	}
	var r io.Reader = body
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &newlineStripper{r: body})
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(io.LimitReader(r, calllist.MaxZipBytes+1))
	if err != nil {
		return fmt.Errorf("attachment %s: %w", name, err)
	}
	*atts = append(*atts, intake.Attachment{Name: name, Data: data})
	return nil
}

// newlineStripper drops CR/LF so base64 bodies decode.
type newlineStripper struct{ r io.Reader }

func (n *newlineStripper) Read(p []byte) (int, error) {
	for {
		c, err := n.r.Read(p)
		j := 0
		for _, b := range p[:c] {
			if b != '\r' && b != '\n' {
				p[j] = b
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}

// respond sends the auto-response to the sender and the flow's Email
// Status mail (flow setting on: account holder + the flow's selected
// whitelisted ids; any rejected file: the account holder always).
// UploadStatus sends the flow's Email Status for a direct upload (API or
// CLI): the same status email as for an emailed list — to the account
// owner and the flow's whitelisted status recipients when the flow has
// status email on, to the owner alone when a file was rejected — with no
// auto-response. who names the uploader in the text.
func (m *Server) UploadStatus(ctx context.Context, acc int64, f intake.Flow, who string, results []intake.FileResult) {
	m.respond(ctx, acc, f, who, "", results, false)
}

func (m *Server) respond(ctx context.Context, acc int64, f intake.Flow, sender, subject string, results []intake.FileResult, autoReply bool) {
	log := m.log.With("account_id", acc, "flow_id", f.ID)
	rejected := false
	var summary strings.Builder
	for _, r := range results {
		if r.Request != nil {
			q := r.Request
			fmt.Fprintf(&summary, "%s: accepted as request %s — %d records loaded, %d added, %d invalid, %d DNC-scrubbed.\r\n",
				r.File, q.ID, q.Uploaded, q.Added, q.Invalid, q.Scrubbed)
		} else {
			rejected = true
			fmt.Fprintf(&summary, "%s: REJECTED — %s\r\n", r.File, r.Error)
		}
	}
	verdict := "accepted"
	if rejected {
		verdict = "rejected"
		for _, r := range results {
			if r.Request != nil {
				verdict = "partly rejected"
			}
		}
	}
	black, err := m.d.Store.ListListEntries(ctx, acc, store.ListBlack, store.KindEmail)
	if err != nil {
		// Without the blacklist no recipient can be cleared: send nothing.
		log.Error("upload response not sent: blacklist lookup failed", "err", err)
		return
	}
	blocked := map[string]bool{}
	for _, e := range black {
		blocked[e.Value] = true
	}
	send := func(to []string, subj, body string, reports bool) {
		var rcpt []string
		seen := map[string]bool{}
		for _, t := range to {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "" || blocked[t] || seen[t] {
				continue
			}
			seen[t] = true
			rcpt = append(rcpt, t)
		}
		if len(rcpt) == 0 {
			return
		}
		msg, err := m.compose(ctx, acc, rcpt, subj, body, results, reports)
		if err != nil {
			log.Error("compose upload response", "err", err)
			return
		}
		if err := m.deliver(rcpt, msg); err != nil {
			log.Error("send upload response", "to", rcpt, "err", err)
			return
		}
		m.mu.Lock()
		m.sent++
		m.mu.Unlock()
	}
	// 1. Auto-response to the sender (emailed lists).
	if autoReply {
		send([]string{sender}, fmt.Sprintf("Call list upload %s: %s", verdict, subject),
			fmt.Sprintf("Your call list upload for flow %s (%s) was %s.\r\n\r\n%s", f.Name, f.ID, verdict, summary.String()), false)
	}
	// 2. Status email.
	owner := m.ownerEmail(ctx, acc)
	var to []string
	if f.StatusEmail {
		to = append(to, owner)
		white, _ := m.d.Store.ListListEntries(ctx, acc, store.ListWhite, store.KindEmail)
		ok := map[string]bool{}
		for _, e := range white {
			ok[e.Value] = true
		}
		for _, r := range f.StatusRecipients {
			if ok[strings.ToLower(r)] { // only whitelisted ids get the status mail
				to = append(to, r)
			}
		}
	} else if rejected {
		to = append(to, owner) // rejected: the holder is told anyway
	}
	if len(to) > 0 {
		send(to, fmt.Sprintf("Call list status for flow %s: %s", f.Name, verdict),
			fmt.Sprintf("Upload from %s for flow %s (%s).\r\n\r\n%s\r\nThe per-number status of each accepted file is attached.\r\n", sender, f.Name, f.ID, summary.String()), true)
	}
}

// ownerEmail is the account holder's address: the account's oldest active
// owner (made with the account by `switchyard account create` or the
// operator console).
func (m *Server) ownerEmail(ctx context.Context, acc int64) string {
	owners, err := m.d.Store.AccountOwnerEmails(ctx, acc)
	if err != nil {
		m.log.Warn("account holder lookup failed", "account_id", acc, "err", err)
		return ""
	}
	if len(owners) == 0 {
		return ""
	}
	return owners[0]
}

// compose builds the MIME message; with reports, each accepted request's
// per-number status CSV is attached.
func (m *Server) compose(ctx context.Context, acc int64, to []string, subject, body string, results []intake.FileResult, reports bool) ([]byte, error) {
	var b bytes.Buffer
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	boundary := "sy-" + hex.EncodeToString(rnd[:])
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-replied\r\n",
		m.cfg.From, strings.Join(to, ", "), mime.QEncoding.Encode("utf-8", subject), time.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(rnd[:]), m.cfg.Domain)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n", boundary)
	qp := quotedprintable.NewWriter(&b)
	_, _ = io.WriteString(qp, body)
	_ = qp.Close()
	b.WriteString("\r\n")
	if reports {
		for _, r := range results {
			if r.Request == nil {
				continue
			}
			var csvb bytes.Buffer
			if err := m.d.Intake.WriteReport(ctx, &csvb, acc, r.Request.ID); err != nil {
				return nil, err
			}
			fmt.Fprintf(&b, "--%s\r\nContent-Type: text/csv; charset=utf-8\r\nContent-Disposition: attachment; filename=\"request-%s.csv\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, r.Request.ID)
			enc := base64.StdEncoding.EncodeToString(csvb.Bytes())
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\r\n")
		}
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return b.Bytes(), nil
}

func (m *Server) deliver(to []string, msg []byte) error {
	var auth sasl.Client
	if m.cfg.RelayUser != "" {
		auth = sasl.NewPlainClient("", m.cfg.RelayUser, m.cfg.RelayPassword)
	}
	var c *smtp.Client
	var err error
	if m.cfg.RelayStartTLS {
		c, err = smtp.DialStartTLS(m.cfg.Relay, nil)
	} else {
		c, err = smtp.Dial(m.cfg.Relay)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.CommandTimeout = m.cfg.Timeout
	c.SubmissionTimeout = m.cfg.Timeout
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			return err
		}
	}
	from, _ := mail.ParseAddress(m.cfg.From)
	if err := c.SendMail(from.Address, to, bytes.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}
