// Package emailreports sends the per-flow daily email reports (Phonon's
// "Email Report"): every day at 00:05 in the account's time zone, the CSV
// of the previous local day's calls of the flow (one row per attempt, the
// call report's columns) goes to the flow's To, CC and BCC as an
// attachment through the outbound SMTP relay.
//
// The schedule is a robfig/cron spec ("5 0 * * *") evaluated in each
// account's location (the per-location schedule cron.WithLocation gives a
// cron runner), so the fire time follows DST: the report still goes out
// once at 00:05 local and covers the whole local day — 23 hours on the
// spring-forward day, 25 on the fall-back day. Each schedule remembers
// the last day it sent (store.EmailReport.LastDay), so a restart, several
// nodes or a late wake-up never send a day twice, and days missed while
// the service was down are caught up (at most MaxCatchUp days back).
package emailreports

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/robfig/cron/v3"

	"github.com/switchyard/switchyard/reports/callreport"
	"github.com/switchyard/switchyard/reports/csvout"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// Spec is the daily schedule: 00:05 (the Email Report's "12:05 AM").
const Spec = "5 0 * * *"

// MaxCatchUp bounds how many missed days are sent after downtime.
const MaxCatchUp = 7

// Store is what the scheduler needs (*store.Store implements it).
type Store interface {
	ListEmailReports(ctx context.Context, accountID int64) ([]store.EmailReport, error)
	GetAccount(ctx context.Context, id int64) (store.Account, error)
	GetFlow(ctx context.Context, accountID, id int64) (store.Flow, error)
	EachCallReportCells(ctx context.Context, f store.CallReportFilter, loc *time.Location, fn func(cells [][]byte) error) error
	MarkEmailReportSent(ctx context.Context, id int64, prev, day string) (bool, error)
	ListListEntries(ctx context.Context, accountID int64, list, kind string) ([]store.ListEntry, error)
}

// Sender hands a message to the outbound relay.
type Sender interface {
	Send(ctx context.Context, from string, rcpts []string, msg []byte) error
}

// Clock is the scheduler's time source (injectable for tests).
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Scheduler sends the daily email reports.
type Scheduler struct {
	Store  Store
	Sender Sender
	// From is the sender address (SWITCHYARD_MAIL_FROM / the mail sender).
	From   string
	Clock  Clock
	Logger *slog.Logger
	// Links makes the report's recording URIs download URLs (nil: they
	// stay recording:<name>).
	Links *recordings.Links
}

func (s *Scheduler) clock() Clock {
	if s.Clock == nil {
		return realClock{}
	}
	return s.Clock
}

func (s *Scheduler) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}

// Schedule returns the daily schedule in loc.
func Schedule(loc *time.Location) cron.Schedule {
	sch, err := cron.ParseStandard(Spec)
	if err != nil {
		panic(err) // a constant
	}
	sch.(*cron.SpecSchedule).Location = loc
	return sch
}

// Day is a local calendar day of an account and the instants it spans.
type Day struct {
	Date       string // YYYY-MM-DD
	Start, End time.Time
}

// dayOf returns the local day d (YYYY-MM-DD) in loc.
func dayOf(date string, loc *time.Location) (Day, error) {
	t, err := time.ParseInLocation(time.DateOnly, date, loc)
	if err != nil {
		return Day{}, err
	}
	start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	end := time.Date(t.Year(), t.Month(), t.Day()+1, 0, 0, 0, 0, loc)
	return Day{Date: date, Start: start, End: end}, nil
}

// due returns the days of a report whose 00:05 has passed at now, oldest
// first.
func due(r store.EmailReport, loc *time.Location, now time.Time) []Day {
	sch := Schedule(loc)
	last, err := dayOf(r.LastDay, loc)
	if err != nil {
		// No valid last day: the first report is for yesterday.
		y := now.In(loc).AddDate(0, 0, -2)
		last, _ = dayOf(y.Format(time.DateOnly), loc)
	}
	if floor := now.In(loc).AddDate(0, 0, -MaxCatchUp-1); last.Start.Before(floor) {
		last, _ = dayOf(floor.Format(time.DateOnly), loc)
	}
	var out []Day
	for cur := last; len(out) <= MaxCatchUp; {
		next, _ := dayOf(cur.End.Format(time.DateOnly), loc)
		// The report of day `next` fires at the first 00:05 after it ends.
		if fire := sch.Next(next.End.Add(-time.Second)); fire.IsZero() || fire.After(now) {
			break
		}
		out = append(out, next)
		cur = next
	}
	return out
}

// RunDue sends every report whose time has come and returns how many it
// sent. It goes on after a failed report and returns the first error.
func (s *Scheduler) RunDue(ctx context.Context) (sent int, err error) {
	now := s.clock().Now()
	rs, err := s.Store.ListEmailReports(ctx, 0)
	if err != nil {
		return 0, err
	}
	var firstErr error
	for _, r := range rs {
		a, err := s.Store.GetAccount(ctx, r.AccountID)
		if err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		if a.DisabledAt != nil {
			continue
		}
		loc := store.LoadLocation(a.Timezone)
		prev := r.LastDay
		for _, d := range due(r, loc, now) {
			ok, err := s.Store.MarkEmailReportSent(ctx, r.ID, prev, d.Date)
			if err != nil {
				firstErr = cmp(firstErr, err)
				break
			}
			if !ok {
				break // another node (or run) sent it
			}
			mailed, err := s.send(ctx, r, loc, d)
			if err != nil {
				// Give the day back so the next run retries it.
				if _, uerr := s.Store.MarkEmailReportSent(ctx, r.ID, d.Date, prev); uerr != nil {
					s.log().Error("email report: could not release the day after a failed send", "report", r.ID, "day", d.Date, "error", uerr)
				}
				s.log().Warn("email report not sent", "account", r.AccountID, "flow", r.FlowID, "day", d.Date, "error", err)
				firstErr = cmp(firstErr, err)
				break
			}
			prev = d.Date
			if mailed {
				sent++
				s.log().Info("email report sent", "account", r.AccountID, "flow", r.FlowID, "day", d.Date)
			}
		}
	}
	return sent, firstErr
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// NextFire is the next 00:05 of any account that has an email report
// (now + 1 hour when there is none).
func (s *Scheduler) NextFire(ctx context.Context, now time.Time) time.Time {
	next := now.Add(time.Hour)
	rs, err := s.Store.ListEmailReports(ctx, 0)
	if err != nil {
		return next
	}
	seen := map[int64]bool{}
	for _, r := range rs {
		if seen[r.AccountID] {
			continue
		}
		seen[r.AccountID] = true
		a, err := s.Store.GetAccount(ctx, r.AccountID)
		if err != nil {
			continue
		}
		if t := Schedule(store.LoadLocation(a.Timezone)).Next(now); !t.IsZero() && t.Before(next) {
			next = t
		}
	}
	return next
}

// Run sends due reports, then sleeps until the next 00:05 of any account
// (at most an hour, to notice new schedules and time zone changes), until
// ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log().Warn("email reports", "error", err)
		}
		now := s.clock().Now()
		wait := s.NextFire(ctx, now).Sub(now)
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock().After(max(wait, time.Second)):
		}
	}
}

// send mails one day's report; mailed is false when every recipient is on
// the account's email blacklist.
func (s *Scheduler) send(ctx context.Context, r store.EmailReport, loc *time.Location, d Day) (mailed bool, err error) {
	flowName := strconv.FormatInt(r.FlowID, 10)
	if f, err := s.Store.GetFlow(ctx, r.AccountID, r.FlowID); err == nil {
		flowName = f.Name
	}
	_, to, err := store.ParseAddressList("to", r.To, true)
	if err != nil {
		return false, err
	}
	_, cc, _ := store.ParseAddressList("cc", r.CC, false)
	_, bcc, _ := store.ParseAddressList("bcc", r.BCC, false)
	// The account's email blacklist holds for every mail we send.
	black, err := s.Store.ListListEntries(ctx, r.AccountID, store.ListBlack, store.KindEmail)
	if err != nil {
		return false, fmt.Errorf("email report: blacklist: %w", err)
	}
	to, cc, bcc = notBlacklisted(to, black), notBlacklisted(cc, black), notBlacklisted(bcc, black)
	if len(to)+len(cc)+len(bcc) == 0 {
		s.log().Info("email report not sent: every recipient is blacklisted", "report", r.ID, "flow", r.FlowID, "day", d.Date)
		return false, nil
	}
	if len(to) == 0 {
		// Cc/Bcc only: the header needs an addressee.
		to, cc = cc, nil
		if len(to) == 0 {
			to, bcc = bcc, nil
		}
	}
	msg, rows, err := s.compose(ctx, r, loc, d, flowName, to, cc)
	if err != nil {
		return false, err
	}
	rcpts := append(append(append([]string{}, to...), cc...), bcc...)
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return false, fmt.Errorf("email report: sender %q: %w", s.From, err)
	}
	if err := s.Sender.Send(ctx, from.Address, rcpts, msg); err != nil {
		return false, fmt.Errorf("email report of flow %d for %s (%d calls): %w", r.FlowID, d.Date, rows, err)
	}
	return true, nil
}

// notBlacklisted drops the addresses on the email blacklist.
func notBlacklisted(addrs []string, black []store.ListEntry) []string {
	out := addrs[:0:0]
	for _, a := range addrs {
		listed := false
		for _, b := range black {
			listed = listed || strings.EqualFold(strings.TrimSpace(b.Value), a)
		}
		if !listed {
			out = append(out, a)
		}
	}
	return out
}

// compose builds the message: a short text and the day's CSV attached.
func (s *Scheduler) compose(ctx context.Context, r store.EmailReport, loc *time.Location, d Day, flowName string, to, cc []string) ([]byte, int, error) {
	var csvBuf bytes.Buffer
	w := csvout.NewWriter(&csvBuf)
	rows := -1 // the header
	f := store.CallReportFilter{AccountID: r.AccountID, FlowID: strconv.FormatInt(r.FlowID, 10), From: d.Start, To: d.End}
	err := callreport.WriteCSV(ctx, countingStore{s.Store, &rows}, f, loc, w, s.Links)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, err
	}
	rows++
	var b bytes.Buffer
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	boundary := "sy-" + hex.EncodeToString(rnd[:])
	subject := fmt.Sprintf("Daily call report: %s (%s)", flowName, d.Date)
	domain := "switchyard"
	if a, err := mail.ParseAddress(s.From); err == nil {
		domain = a.Address[strings.LastIndexByte(a.Address, '@')+1:]
	}
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", s.From, strings.Join(to, ", "))
	if len(cc) > 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", strings.Join(cc, ", "))
	}
	fmt.Fprintf(&b, "Subject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\nMIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n",
		mime.QEncoding.Encode("utf-8", subject), s.clock().Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(rnd[:]), domain)
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=%q\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", boundary)
	fmt.Fprintf(&b, "Calls of flow %q (id %d) on %s (%s to %s, %s): %d attempts. The report is attached.\r\n\r\n",
		flowName, r.FlowID, d.Date, d.Start.Format(time.RFC3339), d.End.Format(time.RFC3339), loc.String(), rows)
	name := fmt.Sprintf("calls-flow-%d-%s.csv", r.FlowID, d.Date)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/csv; charset=utf-8; name=%q\r\nContent-Disposition: attachment; filename=%q\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary, name, name)
	lw := &lineWrapper{w: &b}
	enc := base64.NewEncoder(base64.StdEncoding, lw)
	_, _ = enc.Write(csvBuf.Bytes())
	_ = enc.Close()
	fmt.Fprintf(&b, "\r\n--%s--\r\n", boundary)
	return b.Bytes(), rows, nil
}

// countingStore counts the rows it streams.
type countingStore struct {
	Store
	n *int
}

func (c countingStore) EachCallReportCells(ctx context.Context, f store.CallReportFilter, loc *time.Location, fn func(cells [][]byte) error) error {
	return c.Store.EachCallReportCells(ctx, f, loc, func(cells [][]byte) error {
		*c.n++
		return fn(cells)
	})
}

// lineWrapper breaks base64 output into 76-character lines.
type lineWrapper struct {
	w   io.Writer
	col int
}

func (l *lineWrapper) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(76-l.col, len(p))
		if _, err := l.w.Write(p[:k]); err != nil {
			return n, err
		}
		n += k
		l.col += k
		p = p[k:]
		if l.col == 76 {
			if _, err := l.w.Write([]byte("\r\n")); err != nil {
				return n, err
			}
			l.col = 0
		}
	}
	return n, nil
}

// SMTPSender delivers through the outbound relay (the same relay settings
// as smtpin.Config (mail/smtpin): SWITCHYARD_SMTP_RELAY and friends).
type SMTPSender struct {
	Relay          string // host:port
	User, Password string // AUTH PLAIN when User is set (needs StartTLS)
	StartTLS       bool
	Timeout        time.Duration // default 1 minute
}

// Send implements Sender.
func (s SMTPSender) Send(ctx context.Context, from string, rcpts []string, msg []byte) error {
	if s.Relay == "" {
		return errors.New("email report: no outbound SMTP relay configured")
	}
	if s.User != "" && !s.StartTLS {
		return errors.New("email report: relay authentication needs STARTTLS")
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	var c *smtp.Client
	var err error
	if s.StartTLS {
		c, err = smtp.DialStartTLS(s.Relay, nil)
	} else {
		c, err = smtp.Dial(s.Relay)
	}
	if err != nil {
		return fmt.Errorf("email report: relay %s: %w", s.Relay, err)
	}
	defer c.Close()
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if s.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", s.User, s.Password)); err != nil {
			return fmt.Errorf("email report: relay auth: %w", err)
		}
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.Close()
		case <-done:
		}
	}()
	if err := c.SendMail(from, rcpts, bytes.NewReader(msg)); err != nil {
		return fmt.Errorf("email report: relay %s: %w", s.Relay, err)
	}
	return c.Quit()
}
