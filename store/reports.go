package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ---- call report (the account's "Reports" page) ----

// CallReportFilter selects the call report's rows (one per attempt). Every
// field but AccountID is optional; all given filters must match.
type CallReportFilter struct {
	AccountID int64     // required
	From      time.Time // started_at >= From
	To        time.Time // started_at < To
	FlowType  string    // the flow's type (or the request's flow type)
	FlowID    string    // the flow id (numeric flow, or a request's flow id)
	FlowName  string    // the flow's name, exact
	CallID    string    // the call ("Phonon UUID")
	AttemptID string    // one attempt
	RequestID string    // the call-list request
	Queue     string    // the queue the call went through
	Customer  string    // the customer's number (dnis outbound, cli inbound)
	SMS       string    // the number an SMS was sent to
	Email     string    // the address an email was sent to
	Limit     int       // JSON pages: 0 = 50, at most MaxListLimit
	After     string    // JSON pages: CallReportPage.Next of the previous page
}

// CallReportRow is one row of the call report: one attempt.
type CallReportRow struct {
	CallID         string     `json:"call_id"`
	AttemptID      string     `json:"attempt_id"`
	AttemptNumber  int        `json:"attempt_number"`
	RequestID      string     `json:"request_id"`
	FlowType       string     `json:"flow_type"`
	FlowID         string     `json:"flow_id"`
	FlowName       string     `json:"flow_name"`
	Direction      string     `json:"direction"`
	CLI            string     `json:"cli"`
	DNIS           string     `json:"dnis"`
	CustomerNumber string     `json:"customer_number"`
	Status         string     `json:"status"`
	HangupCause    int        `json:"hangup_cause"`
	HangupText     string     `json:"hangup_cause_text"`
	StartedAt      time.Time  `json:"started_at"`
	AnsweredAt     *time.Time `json:"answered_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	DurationS      int64      `json:"duration_s"`
	BillsecS       int64      `json:"billsec_s"`
	DTMF           string     `json:"dtmf"`
	Queue          string     `json:"queue"`
	SMSNumber      string     `json:"sms_number"`
	Email          string     `json:"email"`
	Recorded       bool       `json:"recorded"`
	RecordingURI   string     `json:"recording_uri"`
	FinishReason   string     `json:"finish_reason"`
}

// CallReportColumns is the CSV header of the call report, in column order
// (the JSON field names of CallReportRow).
var CallReportColumns = []string{
	"call_id", "attempt_id", "attempt_number", "request_id", "flow_type", "flow_id", "flow_name",
	"direction", "cli", "dnis", "customer_number", "status", "hangup_cause", "hangup_cause_text",
	"started_at", "answered_at", "ended_at", "duration_s", "billsec_s", "dtmf", "queue",
	"sms_number", "email", "recorded", "recording_uri", "finish_reason",
}

// ReportTimeLayout is how the CSV exports write times (in the account's
// time zone).
const ReportTimeLayout = "2006-01-02 15:04:05"

// CallReportPage is one page of the call report, newest first.
type CallReportPage struct {
	Rows []CallReportRow `json:"rows"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// reportFrom is the FROM clause shared by every call report query: flow
// and request joins are scoped to the attempt's account.
const reportFrom = ` FROM call_attempts a
JOIN calls c ON c.id = a.call_id
LEFT JOIN flows f ON f.id = c.flow_id AND f.account_id = a.account_id
LEFT JOIN call_list_requests r ON r.id = c.request_id AND r.account_id = a.account_id`

const (
	exprFlowType = `COALESCE(f.type, r.flow_type, '')`
	exprFlowID   = `COALESCE(CAST(c.flow_id AS TEXT), r.flow_id, '')`
	exprFlowName = `COALESCE(f.name, r.flow_name, '')`
	exprCustomer = `CASE WHEN a.direction = 'inbound' THEN a.cli ELSE a.dnis END`
)

// sqlArgs builds a WHERE clause with "?" (gorm, database/sql) or "$n"
// (pgx) placeholders.
type sqlArgs struct {
	dollar bool
	args   []any
	conds  []string
}

func (b *sqlArgs) p(v any) string {
	b.args = append(b.args, v)
	if b.dollar {
		return "$" + strconv.Itoa(len(b.args))
	}
	return "?"
}

func (b *sqlArgs) where(format string, vs ...any) {
	ps := make([]any, len(vs))
	for i, v := range vs {
		ps[i] = b.p(v)
	}
	b.conds = append(b.conds, fmt.Sprintf(format, ps...))
}

func (b *sqlArgs) clause() string { return " WHERE " + strings.Join(b.conds, " AND ") }

// validate checks the filter and normalises ids.
func (f *CallReportFilter) validate() error {
	if f.AccountID <= 0 {
		return fmt.Errorf("store: call report: account id %d: %w", f.AccountID, ErrInvalid)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("store: call report: from %s is not before to %s: %w",
			f.From.Format(time.RFC3339), f.To.Format(time.RFC3339), ErrInvalid)
	}
	for _, id := range []struct {
		name string
		v    *string
	}{{"call id", &f.CallID}, {"attempt id", &f.AttemptID}} {
		if *id.v == "" {
			continue
		}
		u, err := uuid.Parse(*id.v)
		if err != nil {
			return fmt.Errorf("store: call report: %s %q is not a UUID: %w", id.name, *id.v, ErrInvalid)
		}
		*id.v = u.String()
	}
	for _, c := range []struct{ name, v string }{
		{"flow type", f.FlowType}, {"flow id", f.FlowID}, {"flow name", f.FlowName}, {"request id", f.RequestID},
		{"queue", f.Queue}, {"customer number", f.Customer}, {"sms number", f.SMS}, {"email", f.Email},
	} {
		if err := checkLen(c.name, c.v, maxShort); err != nil {
			return err
		}
	}
	switch {
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return fmt.Errorf("store: call report: limit %d: want 1..%d: %w", f.Limit, MaxListLimit, ErrInvalid)
	case f.Limit == 0:
		f.Limit = defaultListLimit
	}
	return nil
}

// conds adds the filter's conditions.
func (f *CallReportFilter) conds(b *sqlArgs) {
	b.where("a.account_id = %s", f.AccountID)
	if !f.From.IsZero() {
		b.where("a.started_at >= %s", norm(f.From))
	}
	if !f.To.IsZero() {
		b.where("a.started_at < %s", norm(f.To))
	}
	// Flow type and name: the flow's own, else the request's — written
	// as an OR of plain columns rather than COALESCE(...) = x (the same
	// rows, x being non-empty) so the planner estimates how many rows
	// match from the columns' statistics; on the COALESCE it guesses a
	// handful, sorts the whole account instead of walking the
	// (account_id, started_at, id) index newest first, and a filtered page
	// of a large report takes a second instead of milliseconds.
	if f.FlowType != "" {
		b.where("(f.type = %s OR (f.type IS NULL AND r.flow_type = %s))", f.FlowType, f.FlowType)
	}
	if f.FlowID != "" {
		if n, err := strconv.ParseInt(f.FlowID, 10, 64); err == nil {
			b.where("(c.flow_id = %s OR (c.flow_id IS NULL AND r.flow_id = %s))", n, f.FlowID)
		} else {
			b.where("(c.flow_id IS NULL AND r.flow_id = %s)", f.FlowID)
		}
	}
	if f.FlowName != "" {
		b.where("(f.name = %s OR (f.name IS NULL AND r.flow_name = %s))", f.FlowName, f.FlowName)
	}
	if f.CallID != "" {
		b.where("a.call_id = %s", f.CallID)
	}
	if f.AttemptID != "" {
		b.where("a.id = %s", f.AttemptID)
	}
	if f.RequestID != "" {
		b.where("c.request_id = %s", f.RequestID)
	}
	if f.Queue != "" {
		b.where("a.queue = %s", f.Queue)
	}
	if f.Customer != "" {
		b.where(exprCustomer+" = %s", f.Customer)
	}
	if f.SMS != "" {
		b.where("a.sms_number = %s", f.SMS)
	}
	if f.Email != "" {
		b.where("LOWER(a.email) = %s", strings.ToLower(f.Email))
	}
}

// typedSelect reads the report columns as typed values (JSON pages, SQLite
// export).
const typedSelect = `SELECT a.call_id, a.id, a.attempt_number, COALESCE(c.request_id, ''), ` + exprFlowType + `, ` + exprFlowID + `, ` + exprFlowName + `,
 a.direction, a.cli, a.dnis, ` + exprCustomer + `, a.status, a.hangup_cause, a.hangup_cause_text,
 a.started_at, a.answered_at, a.ended_at, a.duration_ms, a.billsec_ms, a.dtmf, a.queue,
 a.sms_number, a.email, a.recorded, a.recording_uri, a.finish_reason`

// pgTextSelect is the PostgreSQL export select: every column already as
// its CSV text (times in the account's zone, $1), so the export only
// escapes bytes. The COPY baseline of the benchmark runs the same select.
const pgTextSelect = `SELECT a.call_id, a.id, a.attempt_number, COALESCE(c.request_id, ''), ` + exprFlowType + `, ` + exprFlowID + `, ` + exprFlowName + `,
 a.direction, a.cli, a.dnis, ` + exprCustomer + `, a.status, a.hangup_cause, a.hangup_cause_text,
 to_char(a.started_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS'),
 to_char(a.answered_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS'),
 to_char(a.ended_at AT TIME ZONE $1, 'YYYY-MM-DD HH24:MI:SS'),
 (a.duration_ms + 500) / 1000, (a.billsec_ms + 500) / 1000, a.dtmf, a.queue,
 a.sms_number, a.email, CASE WHEN a.recorded THEN 'true' ELSE 'false' END, a.recording_uri, a.finish_reason`

func scanReportRow(rows *sql.Rows, r *CallReportRow) error {
	var durMS, billMS int64
	var answered, ended sql.NullTime
	if err := rows.Scan(&r.CallID, &r.AttemptID, &r.AttemptNumber, &r.RequestID, &r.FlowType, &r.FlowID, &r.FlowName,
		&r.Direction, &r.CLI, &r.DNIS, &r.CustomerNumber, &r.Status, &r.HangupCause, &r.HangupText,
		&r.StartedAt, &answered, &ended, &durMS, &billMS, &r.DTMF, &r.Queue,
		&r.SMSNumber, &r.Email, &r.Recorded, &r.RecordingURI, &r.FinishReason); err != nil {
		return err
	}
	r.StartedAt = r.StartedAt.UTC()
	r.AnsweredAt, r.EndedAt = nil, nil
	if answered.Valid {
		t := answered.Time.UTC()
		r.AnsweredAt = &t
	}
	if ended.Valid {
		t := ended.Time.UTC()
		r.EndedAt = &t
	}
	r.DurationS, r.BillsecS = (durMS+500)/1000, (billMS+500)/1000
	return nil
}

// CallReport returns one page of the call report, newest first, with
// keyset pagination (pass Next back as After).
func (s *Store) CallReport(ctx context.Context, f CallReportFilter) (p CallReportPage, err error) {
	defer s.track("CallReport", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if err := f.validate(); err != nil {
		return CallReportPage{}, err
	}
	var b sqlArgs
	f.conds(&b)
	if f.After != "" {
		at, id, perr := parseCursor(f.After)
		if perr != nil {
			return CallReportPage{}, perr
		}
		// A row-value comparison, not "< OR (= AND <)": both engines turn
		// it into one range of the (account_id, started_at, id) index, so
		// a page deep in the report costs what the first page does.
		b.where("(a.started_at, a.id) < (%s, %s)", at, id)
	}
	q := typedSelect + reportFrom + b.clause() + " ORDER BY a.started_at DESC, a.id DESC LIMIT " + strconv.Itoa(f.Limit+1)
	rows, err := s.rep.WithContext(ctx).Raw(q, b.args...).Rows()
	if err != nil {
		return CallReportPage{}, fmt.Errorf("store: call report: %w", err)
	}
	defer rows.Close()
	p.Rows = make([]CallReportRow, 0, min(f.Limit+1, 64))
	for rows.Next() {
		var r CallReportRow
		if err := scanReportRow(rows, &r); err != nil {
			return CallReportPage{}, fmt.Errorf("store: call report: %w", err)
		}
		p.Rows = append(p.Rows, r)
	}
	if err := rows.Err(); err != nil {
		return CallReportPage{}, fmt.Errorf("store: call report: %w", err)
	}
	if len(p.Rows) > f.Limit {
		p.Rows = p.Rows[:f.Limit]
		last := p.Rows[len(p.Rows)-1]
		p.Next = encodeCursor(last.StartedAt, last.AttemptID)
	}
	return p, nil
}

// EachCallReportRow calls fn for every row of the report, oldest first,
// streaming from the database cursor (constant memory).
func (s *Store) EachCallReportRow(ctx context.Context, f CallReportFilter, fn func(*CallReportRow) error) (err error) {
	defer s.track("EachCallReportRow", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	f.Limit = 1
	if err := f.validate(); err != nil {
		return err
	}
	var b sqlArgs
	f.conds(&b)
	q := typedSelect + reportFrom + b.clause() + " ORDER BY a.started_at, a.id"
	rows, err := s.rep.WithContext(ctx).Raw(q, b.args...).Rows()
	if err != nil {
		return fmt.Errorf("store: call report: %w", err)
	}
	defer rows.Close()
	var r CallReportRow
	for rows.Next() {
		if err := scanReportRow(rows, &r); err != nil {
			return fmt.Errorf("store: call report: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: call report: %w", err)
	}
	return nil
}

// EachCallReportCells streams the report, oldest first, as the text of
// each CSV cell in CallReportColumns order (times in loc, ReportTimeLayout;
// a NULL time is an empty cell). The cells slice and its bytes are only
// valid during the call. On PostgreSQL the rows come from a raw pgx cursor
// in text format (the server formats them; no per-row allocation here); on
// SQLite the typed rows are formatted here.
func (s *Store) EachCallReportCells(ctx context.Context, f CallReportFilter, loc *time.Location, fn func(cells [][]byte) error) (err error) {
	defer s.track("EachCallReportCells", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	if loc == nil {
		loc = time.UTC
	}
	f.Limit = 1
	if err := f.validate(); err != nil {
		return err
	}
	if s.driver != DriverPostgres {
		cells := make([][]byte, len(CallReportColumns))
		var buf []byte
		return s.EachCallReportRow(ctx, f, func(r *CallReportRow) error {
			buf = formatReportRow(buf[:0], cells, r, loc)
			return fn(cells)
		})
	}
	q, args := s.pgExportQuery(f, loc)
	return s.withPgx(ctx, func(pc *pgx.Conn) error {
		rows, err := pc.Query(ctx, q, append([]any{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)...)
		if err != nil {
			return fmt.Errorf("store: call report: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows.RawValues()); err != nil {
				return err
			}
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: call report: %w", err)
		}
		return nil
	})
}

// pgExportQuery is the PostgreSQL export query and its arguments.
func (s *Store) pgExportQuery(f CallReportFilter, loc *time.Location) (string, []any) {
	b := sqlArgs{dollar: true}
	b.p(loc.String())
	f.conds(&b)
	return pgTextSelect + reportFrom + b.clause() + " ORDER BY a.started_at, a.id", b.args
}

// CopyCallReport writes the same rows as EachCallReportCells with
// PostgreSQL's COPY (…) TO STDOUT (CSV, no header): the benchmark's
// baseline. PostgreSQL only.
func (s *Store) CopyCallReport(ctx context.Context, f CallReportFilter, loc *time.Location, w interface{ Write([]byte) (int, error) }) (n int64, err error) {
	if s.driver != DriverPostgres {
		return 0, fmt.Errorf("store: COPY needs PostgreSQL: %w", ErrInvalid)
	}
	f.Limit = 1
	if err := f.validate(); err != nil {
		return 0, err
	}
	q, args := s.pgExportQuery(f, loc)
	// COPY takes no parameters: inline them as literals.
	for i := len(args); i >= 1; i-- {
		q = strings.ReplaceAll(q, "$"+strconv.Itoa(i), pgLiteral(args[i-1]))
	}
	err = s.withPgx(ctx, func(pc *pgx.Conn) error {
		tag, err := pc.PgConn().CopyTo(ctx, w, "COPY ("+q+") TO STDOUT WITH (FORMAT csv)")
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

func pgLiteral(v any) string {
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case time.Time:
		return "'" + x.UTC().Format("2006-01-02 15:04:05.999999") + "+00'::timestamptz"
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		return "'" + strings.ReplaceAll(fmt.Sprint(x), "'", "''") + "'"
	}
}

// withPgx runs fn on a raw pgx connection of the report pool (PostgreSQL).
func (s *Store) withPgx(ctx context.Context, fn func(*pgx.Conn) error) error {
	sqldb, err := s.rep.DB()
	if err != nil {
		return err
	}
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: connection: %w", err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: driver connection is %T, not pgx", dc)
		}
		return fn(sc.Conn())
	})
}

// formatReportRow formats r into cells (CallReportColumns order), using
// buf as the backing store; it returns the grown buffer.
func formatReportRow(buf []byte, cells [][]byte, r *CallReportRow, loc *time.Location) []byte {
	// Append everything to buf first, remembering offsets (buf may move).
	var ends [26]int
	i := 0
	add := func(s string) { buf = append(buf, s...); ends[i] = len(buf); i++ }
	addInt := func(n int64) { buf = strconv.AppendInt(buf, n, 10); ends[i] = len(buf); i++ }
	addTime := func(t *time.Time) {
		if t != nil {
			buf = t.In(loc).AppendFormat(buf, ReportTimeLayout)
		}
		ends[i] = len(buf)
		i++
	}
	add(r.CallID)
	add(r.AttemptID)
	addInt(int64(r.AttemptNumber))
	add(r.RequestID)
	add(r.FlowType)
	add(r.FlowID)
	add(r.FlowName)
	add(r.Direction)
	add(r.CLI)
	add(r.DNIS)
	add(r.CustomerNumber)
	add(r.Status)
	addInt(int64(r.HangupCause))
	add(r.HangupText)
	addTime(&r.StartedAt)
	addTime(r.AnsweredAt)
	addTime(r.EndedAt)
	addInt(r.DurationS)
	addInt(r.BillsecS)
	add(r.DTMF)
	add(r.Queue)
	add(r.SMSNumber)
	add(r.Email)
	add(strconv.FormatBool(r.Recorded))
	add(r.RecordingURI)
	add(r.FinishReason)
	start := 0
	for j := range cells {
		cells[j] = buf[start:ends[j]]
		start = ends[j]
	}
	return buf
}

// AttemptReportFields are the call report's filter fields a flow fills in
// on an attempt (which queue it went through, where an SMS or an email
// went). Empty fields are left unchanged.
type AttemptReportFields struct {
	Queue     string
	SMSNumber string
	Email     string
	// Recorded / RecordingURI: the call has a recording ($call.recorded,
	// $call.recordingUri); false / "" leave them as they are.
	Recorded     bool
	RecordingURI string
}

// SetAttemptReportFields records the report fields of an attempt of the
// account (ErrNotFound if it is not the account's).
func (s *Store) SetAttemptReportFields(ctx context.Context, accountID int64, attemptID string, in AttemptReportFields) (err error) {
	defer s.track("SetAttemptReportFields", time.Now(), &err)
	id, err := parseID("attempt id", attemptID)
	if err != nil {
		return err
	}
	upd := map[string]any{}
	for _, c := range []struct{ col, name, v string }{
		{"queue", "queue", in.Queue}, {"sms_number", "sms number", in.SMSNumber}, {"email", "email", in.Email},
	} {
		if c.v == "" {
			continue
		}
		if err := checkLen(c.name, c.v, maxShort); err != nil {
			return err
		}
		upd[c.col] = c.v
	}
	if in.Recorded {
		upd["recorded"] = true
	}
	if in.RecordingURI != "" {
		if err := checkLen("recording uri", in.RecordingURI, maxLong); err != nil {
			return err
		}
		upd["recording_uri"] = in.RecordingURI
	}
	if len(upd) == 0 {
		return nil
	}
	// The attempt's end merges its recording with these: it reads the
	// row, not the store's copy.
	s.open.Delete(id)
	res := s.w.WithContext(ctx).Model(&Attempt{}).Where("id = ? AND account_id = ?", id, accountID).Updates(upd)
	if res.Error != nil {
		return fmt.Errorf("store: set report fields of attempt %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: attempt %s in account %d: %w", id, accountID, ErrNotFound)
	}
	return nil
}

// SetAccountTimezone sets the account's IANA time zone (reports, the daily
// email report's 00:05).
func (s *Store) SetAccountTimezone(ctx context.Context, accountID int64, tz string) (err error) {
	defer s.track("SetAccountTimezone", time.Now(), &err)
	if tz == "" || tz == "Local" {
		return fmt.Errorf("store: time zone %q: want an IANA name such as Europe/Berlin: %w", tz, ErrInvalid)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("store: time zone %q: %v: %w", tz, err, ErrInvalid)
	}
	res := s.w.WithContext(ctx).Model(&Account{}).Where("id = ?", accountID).Updates(map[string]any{"timezone": tz, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("store: set time zone of account %d: %w", accountID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
	}
	return nil
}

// AccountLocation returns the account's time zone (UTC if unset or
// unknown).
func (s *Store) AccountLocation(ctx context.Context, accountID int64) (*time.Location, error) {
	a, err := s.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return LoadLocation(a.Timezone), nil
}

// LoadLocation loads an IANA zone, UTC when empty or unknown. Zones are
// kept once loaded (time.LoadLocation reads and parses the zone's file on
// every call, and every API request that shows an account's times asks).
func LoadLocation(tz string) *time.Location {
	if tz == "" || tz == "Local" {
		return time.UTC
	}
	if v, ok := zones.Load(tz); ok {
		return v.(*time.Location)
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC // not kept: the names asked for are not bounded
	}
	zones.Store(tz, loc) // at most the database's few hundred zones
	return loc
}

var zones sync.Map // IANA name → *time.Location
