// Package messaging sends an account's SMS (through a Kannel gateway) and
// emails (through the outbound relay), records each message with its
// delivery status and what sent it, honours the account's blacklist and
// DNC list (SMS) and email blacklist, and takes the gateway's delivery
// reports back.
package messaging

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/mail/compose"
	"github.com/switchyard/switchyard/messaging/kannel"
	"github.com/switchyard/switchyard/store"
)

// Channels.
const (
	ChannelSMS   = store.ChannelSMS
	ChannelEmail = store.ChannelEmail
)

// Statuses of a message (see store.Message*): "sending" only while the
// gateway or relay is asked.
const (
	StatusSending   = store.MessageSending
	StatusSent      = store.MessageSent
	StatusDelivered = store.MessageDelivered
	StatusFailed    = store.MessageFailed
	StatusBlocked   = store.MessageBlocked
)

// Source kinds: what sent a message.
const (
	SourceFlow         = "flow"
	SourceCampaign     = "campaign"
	SourceNotification = "notification"
)

// Limits of a message.
const (
	// MaxSMSText is the longest SMS text in characters: ten concatenated
	// parts in the GSM alphabet (153 each), or 67 each in UCS-2.
	MaxSMSText     = 1530
	MaxSMSTextUCS2 = 670
	MaxEmailTo     = 10
	MaxSubject     = 255
	MaxEmailText   = 64 << 10
)

// Source says what sent a message: a flow (ID the flow, Ref the attempt),
// a campaign or a notification.
type Source struct {
	Kind string
	ID   int64
	Ref  string
}

// SMS is one text to one E.164 number.
type SMS struct {
	AccountID int64
	To        string
	Text      string
	Source    Source
}

// Email is one plain-text mail to up to MaxEmailTo addresses.
type Email struct {
	AccountID     int64
	To            []string
	Subject, Text string
	Source        Source
}

// Message is a sent (or blocked, or failed) message.
type Message struct {
	ID, AccountID        int64
	Channel, To, Subject string
	Body, Status, Reason string
	Source               Source
	CreatedAt, UpdatedAt time.Time
}

func fromStore(m store.Message) Message {
	return Message{ID: m.ID, AccountID: m.AccountID, Channel: m.Channel, To: m.To, Subject: m.Subject, Body: m.Body,
		Status: m.Status, Reason: m.Reason, Source: Source{Kind: m.SourceKind, ID: m.SourceID, Ref: m.SourceRef},
		CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// Store keeps the messages and screens recipients (*store.Store).
type Store interface {
	CreateMessage(ctx context.Context, m store.Message) (store.Message, error)
	UpdateMessageStatus(ctx context.Context, accountID, id int64, u store.MessageUpdate) (store.Message, bool, error)
	MessageByID(ctx context.Context, id int64) (store.Message, error)
	GetMessages(ctx context.Context, accountID int64, ids []int64) ([]store.Message, error)
	ScreenNumber(ctx context.Context, accountID int64, number string) (string, error)
	ListListEntries(ctx context.Context, accountID int64, list, kind string) ([]store.ListEntry, error)
}

// Gateway hands an SMS to the SMS gateway (*kannel.Client): nil when it
// took it; an error kannel.Unreachable reports when it certainly did not
// (sent again after a pause); *kannel.Refused when it refused it.
type Gateway interface {
	Send(ctx context.Context, r kannel.Request) error
}

// Mailer delivers a mail through the outbound relay
// (emailreports.SMTPSender).
type Mailer interface {
	Send(ctx context.Context, from string, rcpts []string, msg []byte) error
}

// Config configures the service.
type Config struct {
	Store Store
	// SMS is the gateway (nil: SMS is off and SendSMS says so).
	SMS Gateway
	// ReportURL is where the gateway reaches this service's delivery
	// report endpoint (e.g. http://10.0.0.5:8080/sms/dlr); "" asks for no
	// delivery reports.
	ReportURL string
	// Mail is the relay (nil: email is off); From the sender.
	Mail Mailer
	From string
	// Attempts bounds the tries when the gateway or relay cannot be
	// reached (default 3), RetryWait the pause after the first failure
	// (doubled each time; default 1 s).
	Attempts  int
	RetryWait time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Service sends and records messages.
type Service struct {
	cfg   Config
	log   *slog.Logger
	mu    sync.Mutex
	hooks []func(Message)
}

// ErrInvalid is a message that cannot be sent as given (a client error).
var ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid message")

// ErrOff: the channel is not configured on this service.
var ErrOff = switchyard.Sentinel(switchyard.CodeUnavailable, 0, "this channel is not configured")

// ErrUnreachable: the gateway or relay could not be reached after the
// retries (the message is recorded as failed).
var ErrUnreachable = switchyard.Sentinel(switchyard.CodeUnavailable, 0, "the message gateway is unreachable; try again later")

// New returns the service.
func New(cfg Config) *Service {
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.RetryWait <= 0 {
		cfg.RetryWait = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log}
}

// SMSEnabled and EmailEnabled say which channels are configured.
func (s *Service) SMSEnabled() bool   { return s.cfg.SMS != nil }
func (s *Service) EmailEnabled() bool { return s.cfg.Mail != nil }

// OnStatus registers fn, called (on the delivery report's goroutine) after
// a delivery report changed a message's status.
func (s *Service) OnStatus(fn func(Message)) {
	s.mu.Lock()
	s.hooks = append(s.hooks, fn)
	s.mu.Unlock()
}

// Messages returns the account's messages among ids.
func (s *Service) Messages(ctx context.Context, accountID int64, ids []int64) ([]Message, error) {
	ms, err := s.cfg.Store.GetMessages(ctx, accountID, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = fromStore(m)
	}
	return out, nil
}

// e164 is a number in international format.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// NormalizeNumber returns the E.164 form of a number written with
// spaces, dashes, dots or parentheses; ok is false when it is not one.
func NormalizeNumber(s string) (string, bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	n := b.String()
	return n, e164.MatchString(n)
}

func checkSource(src Source) error {
	switch src.Kind {
	case "", SourceFlow, SourceCampaign, SourceNotification:
	default:
		return ErrInvalid.New("source", "unknown source %q (flow, campaign or notification)", clip(src.Kind, 20))
	}
	if len(src.Ref) > 255 {
		return ErrInvalid.New("source", "the source reference is longer than 255 bytes")
	}
	return nil
}

// clip cuts s to at most n bytes on a rune boundary, marked "…"; invalid
// UTF-8 and NUL bytes (a gateway's answer may have them) are replaced, so
// that the text can be stored and shown.
func clip(s string, n int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// checkText refuses an empty, non-UTF-8 or over-long text.
func checkSMSText(text string) error {
	if strings.TrimSpace(text) == "" {
		return ErrInvalid.New("text", "the SMS text is empty")
	}
	if !utf8.ValidString(text) {
		return ErrInvalid.New("text", "the SMS text is not UTF-8")
	}
	n := utf8.RuneCountInString(text)
	if kannel.Coding(text) == 0 && n > MaxSMSText {
		return ErrInvalid.New("text", "the SMS text has %d characters; at most %d fit in ten parts", n, MaxSMSText)
	}
	if kannel.Coding(text) != 0 && n > MaxSMSTextUCS2 {
		return ErrInvalid.New("text", "the SMS text has %d characters; with characters outside the GSM alphabet at most %d fit in ten parts", n, MaxSMSTextUCS2)
	}
	return nil
}

// SendSMS sends one SMS. It returns once the gateway accepted it
// ("sent"), refused it ("failed"), or the number is on the account's
// blacklist or DNC list ("blocked", Reason "blacklisted" or "DNC …";
// nothing is sent). The error is bad input (ErrInvalid), SMS being off
// (ErrOff), the store failing, or the gateway unreachable after the
// retries (ErrUnreachable; the message is recorded as failed). A message
// is never handed to the gateway twice: it is retried only when the
// gateway certainly did not take it.
func (s *Service) SendSMS(ctx context.Context, in SMS) (Message, error) {
	if in.AccountID <= 0 {
		return Message{}, ErrInvalid.New("account_id", "the account is required")
	}
	to, ok := NormalizeNumber(in.To)
	if !ok {
		return Message{}, ErrInvalid.New("to", "%q is not a phone number in international format (+ and 7 to 15 digits)", clip(in.To, 40))
	}
	if err := checkSMSText(in.Text); err != nil {
		return Message{}, err
	}
	if err := checkSource(in.Source); err != nil {
		return Message{}, err
	}
	if s.cfg.SMS == nil {
		return Message{}, ErrOff.New("channel", "SMS is not configured (set SWITCHYARD_KANNEL_URL)")
	}
	row := store.Message{AccountID: in.AccountID, Channel: ChannelSMS, To: to, Body: in.Text,
		SourceKind: in.Source.Kind, SourceID: in.Source.ID, SourceRef: in.Source.Ref}
	reason, err := s.cfg.Store.ScreenNumber(ctx, in.AccountID, to)
	if err != nil {
		return Message{}, fmt.Errorf("messaging: screen %s: %w", to, err)
	}
	if reason != "" {
		row.Status, row.Reason = StatusBlocked, reason
		m, err := s.cfg.Store.CreateMessage(ctx, row)
		if err != nil {
			return Message{}, fmt.Errorf("messaging: record blocked SMS: %w", err)
		}
		return fromStore(m), nil
	}
	var token string
	if s.cfg.ReportURL != "" {
		token = newToken()
		row.TokenHash = hashToken(token)
	}
	row.Status = StatusSending
	m, err := s.cfg.Store.CreateMessage(ctx, row)
	if err != nil {
		return Message{}, fmt.Errorf("messaging: record SMS: %w", err)
	}
	req := kannel.Request{To: to, Text: in.Text}
	if token != "" {
		req.DLRURL, req.DLRMask = s.reportURL(m.ID, token), kannel.DLRAll
	}
	log := s.log.With("message", m.ID, "account", in.AccountID, "to", to)
	err = s.retry(ctx, func() error { return s.cfg.SMS.Send(ctx, req) }, kannel.Unreachable)
	return s.settle(ctx, log, m, err, kannel.Unreachable)
}

// retry runs send until it succeeds, fails for good, or the attempts are
// used up; it retries only errors unreachable says were not delivered.
func (s *Service) retry(ctx context.Context, send func() error, unreachable func(error) bool) error {
	wait := s.cfg.RetryWait
	for attempt := 1; ; attempt++ {
		err := send()
		if err == nil || !unreachable(err) || attempt >= s.cfg.Attempts {
			return err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (cancelled before retrying)", err)
		case <-t.C:
		}
		wait *= 2
	}
}

// reasonNoAnswer is the reason of a message the gateway or relay may have
// taken without answering: it is failed, and never sent again.
const reasonNoAnswer = "no answer from the gateway (not sent again: it may have been taken)"

// ReasonInterrupted is the reason of a message the service stopped while
// sending (found "sending" at the next start): failed, never sent again,
// as the gateway may have taken it.
const ReasonInterrupted = "interrupted: the service stopped while sending (not sent again: it may have been taken)"

// unsureReasons are the reasons of failed messages the gateway may have
// taken: a delivery report for one says what became of it.
var unsureReasons = []string{reasonNoAnswer, ReasonInterrupted}

// Unsure reports a message SendSMS or SendEmail did not report sent that
// may nevertheless have reached the gateway or relay: no answer came, or
// the answer could not be recorded. Whoever sent it must not send it
// again (a later delivery report still updates it).
func Unsure(m Message) bool {
	return m.ID != 0 && (m.Status == StatusSending || (m.Status == StatusFailed && slices.Contains(unsureReasons, m.Reason)))
}

// settle records the outcome of sending m.
func (s *Service) settle(ctx context.Context, log *slog.Logger, m store.Message, err error, unreachable func(error) bool) (Message, error) {
	// The outcome is recorded even when the caller has gone.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	u := store.MessageUpdate{From: []string{StatusSending}, Status: StatusSent}
	var ret error
	var refused *kannel.Refused
	switch {
	case err == nil:
	case errors.As(err, &refused):
		u.Status, u.Reason = StatusFailed, clip("refused by the gateway: "+refused.Body, 250)
	case unreachable(err):
		u.Status, u.Reason = StatusFailed, "gateway unreachable"
		ret = ErrUnreachable.New("", "the %s gateway is unreachable; the message was not sent", m.Channel)
		ret = fmt.Errorf("%w: %w", ret, err)
	default:
		// It may have been taken: never sent again.
		u.Status, u.Reason = StatusFailed, reasonNoAnswer
	}
	if err != nil {
		log.Warn("message not sent", "status", u.Status, "reason", u.Reason, "error", err)
	}
	out, _, uerr := s.cfg.Store.UpdateMessageStatus(wctx, m.AccountID, m.ID, u)
	if uerr != nil {
		return fromStore(m), errors.Join(ret, fmt.Errorf("messaging: record the outcome of message %d: %w", m.ID, uerr))
	}
	return fromStore(out), ret
}

func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// reportURL is the delivery-report URL of message id; Kannel fills in %d
// (the report type), %F (the SMSC's message id) and %A (the SMSC's reply).
func (s *Service) reportURL(id int64, token string) string {
	sep := "?"
	if strings.Contains(s.cfg.ReportURL, "?") {
		sep = "&"
	}
	return s.cfg.ReportURL + sep + "id=" + strconv.FormatInt(id, 10) + "&token=" + url.QueryEscape(token) + "&type=%d&smsc_id=%F&reply=%A"
}

// ErrReport is a delivery report that names no message of its token: it
// changes nothing.
var ErrReport = switchyard.Sentinel(switchyard.CodeNotFound, 0, "unknown delivery report")

// Report is one delivery report from the gateway.
type Report struct {
	ID        int64
	Token     string
	Type      int    // kannel.DLR*
	GatewayID string // the SMSC's message id
	Reply     string // the SMSC's answer
}

// DeliveryReport applies a gateway's delivery report: 1 delivered, 2 and
// 16 failed, 4 and 8 sent. The token must be the message's (else
// ErrReport, and nothing changes); a report never undoes a final status
// ("delivered", "failed"), except the failure of a message the gateway
// may have taken (no answer came, or the service stopped while sending):
// the report says what became of it. The OnStatus hooks run when the
// status changed.
func (s *Service) DeliveryReport(ctx context.Context, r Report) (Message, error) {
	if r.ID <= 0 || r.Token == "" {
		return Message{}, ErrReport
	}
	m, err := s.cfg.Store.MessageByID(ctx, r.ID)
	if errors.Is(err, store.ErrNotFound) {
		return Message{}, ErrReport
	}
	if err != nil {
		return Message{}, err
	}
	if m.Channel != ChannelSMS || m.TokenHash == "" ||
		subtle.ConstantTimeCompare([]byte(hashToken(r.Token)), []byte(m.TokenHash)) != 1 {
		return Message{}, ErrReport
	}
	u := store.MessageUpdate{GatewayID: clip(r.GatewayID, 250), FromFailed: unsureReasons}
	switch r.Type {
	case kannel.DLRDelivered:
		u.Status, u.From = StatusDelivered, []string{StatusSending, StatusSent}
	case kannel.DLRFailed:
		u.Status, u.From, u.Reason = StatusFailed, []string{StatusSending, StatusSent}, clip("not delivered: "+r.Reply, 250)
	case kannel.DLRSMSCReject:
		u.Status, u.From, u.Reason = StatusFailed, []string{StatusSending, StatusSent}, clip("rejected by the SMSC: "+r.Reply, 250)
	case kannel.DLRBuffered, kannel.DLRSMSCSubmit:
		u.Status, u.From = StatusSent, []string{StatusSending}
	default:
		return Message{}, ErrInvalid.New("type", "unknown delivery report type %d", r.Type)
	}
	out, changed, err := s.cfg.Store.UpdateMessageStatus(ctx, m.AccountID, m.ID, u)
	if err != nil {
		return Message{}, err
	}
	msg := fromStore(out)
	if changed {
		s.mu.Lock()
		hooks := append([]func(Message){}, s.hooks...)
		s.mu.Unlock()
		for _, fn := range hooks {
			fn(msg)
		}
	}
	return msg, nil
}

// SendEmail sends one plain-text mail through the relay to the addresses
// not on the account's email blacklist; "blocked" (Reason "blacklisted")
// when every one is, and nothing is sent. Errors as SendSMS.
func (s *Service) SendEmail(ctx context.Context, in Email) (Message, error) {
	if in.AccountID <= 0 {
		return Message{}, ErrInvalid.New("account_id", "the account is required")
	}
	to, err := checkAddresses(in.To)
	if err != nil {
		return Message{}, err
	}
	subject := strings.TrimSpace(in.Subject)
	if strings.ContainsAny(subject, "\r\n") || !utf8.ValidString(subject) {
		return Message{}, ErrInvalid.New("subject", "the subject must be one line of UTF-8 text")
	}
	if len(subject) > MaxSubject {
		return Message{}, ErrInvalid.New("subject", "the subject is longer than %d bytes", MaxSubject)
	}
	if strings.TrimSpace(in.Text) == "" || !utf8.ValidString(in.Text) {
		return Message{}, ErrInvalid.New("text", "the email text is empty or not UTF-8")
	}
	if len(in.Text) > MaxEmailText {
		return Message{}, ErrInvalid.New("text", "the email text is longer than %d bytes", MaxEmailText)
	}
	if err := checkSource(in.Source); err != nil {
		return Message{}, err
	}
	if s.cfg.Mail == nil {
		return Message{}, ErrOff.New("channel", "email is not configured (no outbound relay)")
	}
	black, err := s.cfg.Store.ListListEntries(ctx, in.AccountID, store.ListBlack, store.KindEmail)
	if err != nil {
		return Message{}, fmt.Errorf("messaging: email blacklist: %w", err)
	}
	var send, dropped []string
	for _, a := range to {
		listed := false
		for _, b := range black {
			listed = listed || strings.EqualFold(strings.TrimSpace(b.Value), a)
		}
		if listed {
			dropped = append(dropped, a)
		} else {
			send = append(send, a)
		}
	}
	row := store.Message{AccountID: in.AccountID, Channel: ChannelEmail, To: strings.Join(to, ", "), Subject: subject, Body: in.Text,
		SourceKind: in.Source.Kind, SourceID: in.Source.ID, SourceRef: in.Source.Ref}
	if len(send) == 0 {
		row.Status, row.Reason = StatusBlocked, "blacklisted"
		m, err := s.cfg.Store.CreateMessage(ctx, row)
		if err != nil {
			return Message{}, fmt.Errorf("messaging: record blocked email: %w", err)
		}
		return fromStore(m), nil
	}
	if len(dropped) > 0 {
		row.Reason = clip("blacklisted, not sent to: "+strings.Join(dropped, ", "), 250)
	}
	row.Status = StatusSending
	m, err := s.cfg.Store.CreateMessage(ctx, row)
	if err != nil {
		return Message{}, fmt.Errorf("messaging: record email: %w", err)
	}
	from, msg := compose.Plain(s.cfg.From, strings.Join(send, ", "), subject, in.Text, s.cfg.Now())
	log := s.log.With("message", m.ID, "account", in.AccountID)
	err = s.retry(ctx, func() error { return s.cfg.Mail.Send(ctx, from, send, msg) }, dialFailed)
	return s.settle(ctx, log, m, err, dialFailed)
}

// dialFailed: the relay could not be connected to, so nothing was sent.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// checkAddresses reads 1..MaxEmailTo bare addresses, lower-cased,
// without repeats.
func checkAddresses(in []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, a := range in {
		for _, part := range strings.Split(a, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			p, err := mail.ParseAddress(part)
			if err != nil || p.Name != "" || p.Address != part || len(part) > 254 {
				return nil, ErrInvalid.New("to", "%q is not an email address", clip(part, 60))
			}
			l := strings.ToLower(p.Address)
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	if len(out) == 0 {
		return nil, ErrInvalid.New("to", "at least one email address is required")
	}
	if len(out) > MaxEmailTo {
		return nil, ErrInvalid.New("to", "at most %d email addresses (got %d)", MaxEmailTo, len(out))
	}
	return out, nil
}
