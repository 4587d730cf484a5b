package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Call-list request sources.
const (
	SourceAPI    = "api"
	SourceUpload = "upload"
	SourceEmail  = "email"
)

// Request summary statuses, as the request summary shows them.
const (
	RequestCompleted = "Completed"
	RequestInProcess = "In process"
	RequestScheduled = "Scheduled"
)

// Record statuses (the same strings as dialer/calllist).
const (
	RecordPending   = "PENDING"
	RecordInProcess = "IN_PROCESS"
	RecordComplete  = "COMPLETE"
	RecordInvalid   = "INVALID"
	RecordScrubbed  = "SCRUBBED"
)

// RequestStatus is a request's status as the request summary shows it:
//
//   - Completed: UploadedRecords = valid + invalid + ncpr scrubbed records;
//   - In process: UploadedRecords > valid + invalid + ncpr scrubbed records;
//   - Scheduled: none of the above — the start time is ahead and execution
//     has not started.
//
// "valid records" in the formulas counts the valid records whose execution
// is over (COMPLETE): counted at upload time every request would satisfy the
// first formula at once. So: every record final → Completed; otherwise
// In process once the dialer has started on the request, Scheduled before.
func RequestStatus(uploaded, completed, invalid, scrubbed int64, started bool) string {
	switch {
	case uploaded == completed+invalid+scrubbed:
		return RequestCompleted
	case uploaded > completed+invalid+scrubbed && started:
		return RequestInProcess
	default:
		return RequestScheduled
	}
}

// CallListRequest is one request: an uploaded file, or one trigger API
// call. Counts: Uploaded = records loaded (every row, bad ones included) =
// Valid + Invalid + Scrubbed; Added = valid records added for execution;
// Completed = records with status COMPLETE.
type CallListRequest struct {
	ID        string     `gorm:"column:id;primaryKey" json:"request_id"`
	AccountID int64      `gorm:"column:account_id" json:"account_id"`
	FlowID    string     `gorm:"column:flow_id" json:"flow_id"`
	FlowName  string     `gorm:"column:flow_name" json:"flow_name"`
	FlowType  string     `gorm:"column:flow_type" json:"flow_type"`
	Source    string     `gorm:"column:source" json:"source"`
	FileName  string     `gorm:"column:file_name" json:"file_name,omitempty"`
	Status    string     `gorm:"column:status" json:"status"`
	Uploaded  int64      `gorm:"column:uploaded" json:"records_loaded"`
	Valid     int64      `gorm:"column:valid" json:"valid"`
	Invalid   int64      `gorm:"column:invalid" json:"invalid"`
	Scrubbed  int64      `gorm:"column:scrubbed" json:"scrubbed"`
	Added     int64      `gorm:"column:added" json:"records_added"`
	Completed int64      `gorm:"column:completed" json:"records_completed"`
	StartTime *time.Time `gorm:"column:start_time" json:"start_time,omitempty"`
	StartedAt *time.Time `gorm:"column:started_at" json:"started_at,omitempty"`
	CreatedAt time.Time  `gorm:"column:created_at" json:"created_at"`
	UpdatedAt time.Time  `gorm:"column:updated_at" json:"-"`
	// Name, Accountcode and ListStatus describe the request as an ADS
	// recipients list; a disabled list cannot be used in campaigns.
	Name        string `gorm:"column:list_name" json:"name"`
	Accountcode string `gorm:"column:accountcode" json:"accountcode"`
	Disabled    bool   `gorm:"column:disabled" json:"-"`
	ListStatus  string `gorm:"-" json:"list_status"` // active | disabled
	// CompletionPercent = Completed / Added × 100 (0 when nothing was added).
	CompletionPercent float64 `gorm:"-" json:"completion_percent"`
	// CampaignsOnly: the request is dialed only by hand-made campaigns
	// that list it, never automatically by its flow's dialing settings
	// (set when a campaign lists it; every request stored before
	// automatic dialing existed has it).
	CampaignsOnly bool `gorm:"column:campaigns_only" json:"campaigns_only"`
}

func (CallListRequest) TableName() string { return "call_list_requests" }

func (r *CallListRequest) AfterFind(*gorm.DB) error {
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	r.StartTime, r.StartedAt = utcPtr(r.StartTime), utcPtr(r.StartedAt)
	r.fill()
	return nil
}

func (r *CallListRequest) fill() {
	r.ListStatus = ListActive
	if r.Disabled {
		r.ListStatus = ListDisabled
	}
	r.CompletionPercent = 0
	if r.Added > 0 {
		r.CompletionPercent = float64(int64(float64(r.Completed)/float64(r.Added)*10000+0.5)) / 100
	}
}

// CallListRecord is one stored record.
type CallListRecord struct {
	ID                int64             `gorm:"column:id;primaryKey" json:"id"`
	RequestID         string            `gorm:"column:request_id" json:"request_id"`
	AccountID         int64             `gorm:"column:account_id" json:"-"`
	Row               int64             `gorm:"column:row_no" json:"row"`
	ClientIdentifier  string            `gorm:"column:client_identifier" json:"client_identifier"`
	PrimaryNumber     string            `gorm:"column:primary_number" json:"primary_number"`
	NumbersText       string            `gorm:"column:numbers" json:"-"`
	Numbers           []string          `gorm:"-" json:"numbers"`
	VariablesJSON     string            `gorm:"column:variables" json:"-"`
	Variables         map[string]string `gorm:"-" json:"variables"`
	StartTime         *time.Time        `gorm:"column:start_time" json:"start_time,omitempty"`
	ScheduleExtension string            `gorm:"column:schedule_extension" json:"schedule_extension,omitempty"`
	Status            string            `gorm:"column:status" json:"status"`
	Reason            string            `gorm:"column:reason" json:"reason,omitempty"`
	Attempts          int               `gorm:"column:attempts" json:"attempts"`
	CreatedAt         time.Time         `gorm:"column:created_at" json:"-"`
	UpdatedAt         time.Time         `gorm:"column:updated_at" json:"updated_at"`
	// Reclaimed (set by ClaimCampaignRecords only): the record was in
	// process under a lease that expired (its node died); Attempts is the
	// attempt that node claimed, which may already have been placed.
	Reclaimed bool `gorm:"-" json:"-"`
}

func (CallListRecord) TableName() string { return "call_list_records" }

func (r *CallListRecord) AfterFind(*gorm.DB) error {
	r.CreatedAt, r.UpdatedAt, r.StartTime = r.CreatedAt.UTC(), r.UpdatedAt.UTC(), utcPtr(r.StartTime)
	r.Numbers = nil
	if r.NumbersText != "" {
		r.Numbers = strings.Split(r.NumbersText, "|")
	}
	r.Variables = map[string]string{}
	if r.VariablesJSON != "" {
		if err := json.Unmarshal([]byte(r.VariablesJSON), &r.Variables); err != nil {
			return fmt.Errorf("store: record %d variables: %w", r.ID, err)
		}
	}
	return nil
}

// CallListImport describes a new request.
type CallListImport struct {
	AccountID int64
	FlowID    string
	FlowName  string
	FlowType  string // e.g. "outbound", "dialer"
	Source    string // SourceAPI, SourceUpload, SourceEmail
	FileName  string
}

// ImportRecord is one record to store, already validated: Status is
// RecordPending (valid), RecordInvalid or RecordScrubbed with a Reason.
// Rejected rows are stored too, so the status report has every row.
type ImportRecord struct {
	Row               int64
	ClientIdentifier  string
	Numbers           []string // E.164 when valid; as given otherwise
	Variables         map[string]string
	StartTime         *time.Time
	ScheduleExtension string
	Status            string
	Reason            string
	// Line is the record's line in the uploaded file, as uploaded (the ADS
	// Detailed Report's "Record"); empty for records not read from a file.
	Line string
}

const recordCols = "request_id, account_id, row_no, client_identifier, primary_number, numbers, variables, start_time, schedule_extension, status, reason, created_at, updated_at, line"

var recordColList = strings.Split(strings.ReplaceAll(recordCols, " ", ""), ",")

func (in *CallListImport) validate() error {
	if in.AccountID <= 0 {
		return ErrInvalid.New("", "call list: account id %d", in.AccountID)
	}
	if strings.TrimSpace(in.FlowID) == "" {
		return ErrInvalid.New("", "call list: flow id is empty")
	}
	switch in.Source {
	case SourceAPI, SourceUpload, SourceEmail:
	default:
		return ErrInvalid.New("", "call list: source %q (want api, upload or email)", in.Source)
	}
	for f, v := range map[string]string{"flow id": in.FlowID, "flow name": in.FlowName, "flow type": in.FlowType, "file name": in.FileName} {
		if err := checkLen(f, v, maxShort); err != nil {
			return err
		}
	}
	return nil
}

// MaxRecordLine is the longest uploaded line kept for a record (longer
// lines are cut).
const MaxRecordLine = 16 << 10

// recordValues is one record as stored: the columns of recordCols.
type recordValues struct {
	requestID                 string
	accountID, row            int64
	clientIdentifier, primary string
	numbers, variables        string
	start                     time.Time
	hasStart                  bool
	scheduleExtension         string
	status, reason            string
	at                        time.Time // created_at and updated_at
	line                      string
}

// values are the columns in recordCols order (for COPY).
func (v *recordValues) values() []any {
	var st any
	if v.hasStart {
		st = v.start
	}
	return []any{v.requestID, v.accountID, v.row, v.clientIdentifier, v.primary, v.numbers, v.variables, st,
		v.scheduleExtension, v.status, v.reason, v.at, v.at, v.line}
}

// recordRow checks an ImportRecord and converts it into column values.
func recordRow(reqID string, accountID int64, r ImportRecord, t time.Time) (recordValues, error) {
	switch r.Status {
	case RecordPending, RecordInvalid, RecordScrubbed:
	default:
		return recordValues{}, ErrInvalid.New("", "row %d: import status %q (want PENDING, INVALID or SCRUBBED)", r.Row, r.Status)
	}
	if r.Status == RecordPending && len(r.Numbers) == 0 {
		return recordValues{}, ErrInvalid.New("", "row %d: a valid record needs a number", r.Row)
	}
	vars := "{}"
	if len(r.Variables) > 0 {
		v, err := encodeVariables(r.Variables)
		if err != nil {
			return recordValues{}, fmt.Errorf("row %d: %w", r.Row, err)
		}
		vars = v
	}
	primary := ""
	if len(r.Numbers) > 0 {
		primary = r.Numbers[0]
	}
	// A reason quotes what was wrong with the row, which may be any byte:
	// make it storable rather than lose the row.
	reason := r.Reason
	if strings.IndexByte(reason, 0) >= 0 {
		reason = strings.ReplaceAll(reason, "\x00", `\0`)
	}
	if len(reason) > maxLong {
		reason = reason[:maxLong]
	}
	if err := checkLen("schedule extension", r.ScheduleExtension, maxShort); err != nil {
		return recordValues{}, fmt.Errorf("row %d: %w", r.Row, err)
	}
	numbers := primary
	if len(r.Numbers) > 1 {
		numbers = strings.Join(r.Numbers, "|")
	}
	if err := checkLen("numbers", numbers, maxLong); err != nil {
		return recordValues{}, fmt.Errorf("row %d: %w", r.Row, err)
	}
	if len(primary) > maxNumber {
		primary = primary[:maxNumber]
	}
	cid := r.ClientIdentifier
	if err := checkLen("client identifier", cid, maxShort); err != nil {
		return recordValues{}, err
	}
	line := r.Line
	if strings.IndexByte(line, 0) >= 0 {
		line = strings.ReplaceAll(line, "\x00", `\0`)
	}
	if len(line) > MaxRecordLine {
		line = line[:MaxRecordLine]
	}
	v := recordValues{requestID: reqID, accountID: accountID, row: r.Row, clientIdentifier: cid, primary: primary,
		numbers: numbers, variables: vars, scheduleExtension: r.ScheduleExtension, status: r.Status, reason: reason, at: t,
		line: line}
	if r.StartTime != nil {
		v.start, v.hasStart = norm(*r.StartTime), true
	}
	return v, nil
}

// ImportRecords yields rs one by one, then io.EOF: ImportCallList's next
// for records already in memory.
func ImportRecords(rs []ImportRecord) func() (ImportRecord, error) {
	i := 0
	return func() (ImportRecord, error) {
		if i >= len(rs) {
			return ImportRecord{}, io.EOF
		}
		i++
		return rs[i-1], nil
	}
}

// ImportCallList stores a request and its records in one transaction:
// next yields records until io.EOF (any other error aborts and nothing is
// stored). Duplicates (a valid record whose primary number an earlier valid
// row of the request already has) are then marked INVALID in one set-based
// statement, and the request's counts and status computed. Memory does not
// grow with the number of records: on PostgreSQL they stream through COPY,
// on SQLite through batched multi-row INSERTs.
func (s *Store) ImportCallList(ctx context.Context, in CallListImport, next func() (ImportRecord, error)) (req CallListRequest, err error) {
	defer s.track("ImportCallList", time.Now(), &err)
	if err := in.validate(); err != nil {
		return CallListRequest{}, err
	}
	// An error of the caller's record source (a rejected file, say) is
	// the caller's: it is returned as it came, not wrapped.
	var srcMu sync.Mutex
	var srcErr error
	src := next
	next = func() (ImportRecord, error) {
		r, err := src()
		if err != nil && !errors.Is(err, io.EOF) {
			srcMu.Lock()
			srcErr = err
			srcMu.Unlock()
		}
		return r, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return CallListRequest{}, fmt.Errorf("store: request id: %w", err)
	}
	t := now()
	req = CallListRequest{
		ID: id.String(), AccountID: in.AccountID, FlowID: strings.TrimSpace(in.FlowID), FlowName: in.FlowName,
		FlowType: in.FlowType, Source: in.Source, FileName: in.FileName, Status: RequestScheduled,
		CreatedAt: t, UpdatedAt: t,
	}
	sqldb, err := s.w.DB()
	if err != nil {
		return CallListRequest{}, err
	}
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return CallListRequest{}, fmt.Errorf("store: import call list: connection: %w", err)
	}
	defer conn.Close()
	if s.driver == DriverPostgres {
		err = conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("store: import call list: driver connection is %T, not pgx", dc)
			}
			return importPostgres(ctx, sc.Conn(), &req, next)
		})
	} else {
		// conn (the single writer) stays checked out: no other write of
		// this process waits on SQLite's lock meanwhile.
		err = s.importSQLite(ctx, &req, next)
	}
	if err != nil {
		if isFKViolation(err) || isLiteFKViolation(err) || strings.Contains(err.Error(), "23503") || strings.Contains(err.Error(), "FOREIGN KEY") {
			return CallListRequest{}, fmt.Errorf("store: import call list: account %d: %w", in.AccountID, ErrNotFound)
		}
		srcMu.Lock()
		se := srcErr
		srcMu.Unlock()
		if se != nil && errors.Is(err, se) {
			return CallListRequest{}, se
		}
		if errors.Is(err, ErrInvalid) || isCtxErr(err) {
			return CallListRequest{}, err
		}
		if ce := ctx.Err(); ce != nil {
			// A cancelled COPY closes PostgreSQL's connection and the driver
			// reports the closed socket; the cause the caller needs is the
			// cancellation.
			return CallListRequest{}, fmt.Errorf("store: import call list: %w (%v)", ce, err)
		}
		return CallListRequest{}, fmt.Errorf("store: import call list: %w", err)
	}
	req.fill()
	return req, nil
}

// errNoRecords rejects a call list without a single row.
var errNoRecords = ErrInvalid.New("", "the call list has no records (a header line only, or empty)")

const insertRequestSQL = `INSERT INTO call_list_requests (id, account_id, flow_id, flow_name, flow_type, source, file_name, status, uploaded, valid, invalid, scrubbed, added, completed, created_at, updated_at)
VALUES (%s)`

func placeholders(n, start int, dollar bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if dollar {
			fmt.Fprintf(&b, "$%d", start+i)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func requestArgs(r *CallListRequest) []any {
	return []any{r.ID, r.AccountID, r.FlowID, r.FlowName, r.FlowType, r.Source, r.FileName, r.Status, 0, 0, 0, 0, 0, 0, r.CreatedAt, r.UpdatedAt}
}

// dedupeSQL marks later valid rows that repeat a valid primary number.
const dedupeSQL = `UPDATE call_list_records SET status = 'INVALID',
 reason = 'duplicate: ' || call_list_records.primary_number || ' is already in row ' || d.first_row
FROM (SELECT id, row_no, min(row_no) OVER (PARTITION BY primary_number) AS first_row
      FROM call_list_records WHERE request_id = %s AND status = 'PENDING') d
WHERE call_list_records.id = d.id AND d.row_no <> d.first_row`

const countSQL = `SELECT status, count(*), min(start_time) FROM call_list_records WHERE request_id = %s GROUP BY status`

const finishRequestSQL = `UPDATE call_list_requests SET status = %s, uploaded = %s, valid = %s, invalid = %s, scrubbed = %s, added = %s, start_time = %s WHERE id = %s`

type statusCount struct {
	status string
	n      int64
	min    *time.Time
}

func (r *CallListRequest) applyCounts(cs []statusCount) {
	r.Uploaded, r.Valid, r.Invalid, r.Scrubbed, r.Added, r.Completed = 0, 0, 0, 0, 0, 0
	r.StartTime = nil
	for _, c := range cs {
		r.Uploaded += c.n
		switch c.status {
		case RecordInvalid:
			r.Invalid += c.n
		case RecordScrubbed:
			r.Scrubbed += c.n
		default:
			r.Valid += c.n
			r.Added += c.n
			if c.status == RecordComplete {
				r.Completed += c.n
			}
			if c.min != nil && (r.StartTime == nil || c.min.Before(*r.StartTime)) {
				v := c.min.UTC()
				r.StartTime = &v
			}
		}
	}
	r.Status = RequestStatus(r.Uploaded, r.Completed, r.Invalid, r.Scrubbed, r.StartedAt != nil)
}

// sqliteImportBatch is how many records one prepared INSERT carries (13
// parameters each: 650 per statement, well under SQLite's limit).
const sqliteImportBatch = 50

// sqliteImportPragmas set up the import's own connection. The WAL is not
// checkpointed at commit (wal_autocheckpoint=0): a million-row import would
// spend a second copying its pages into the database file before
// returning. checkpointLater does it in the background instead.
var sqliteImportPragmas = []string{
	fmt.Sprintf("PRAGMA busy_timeout=%d", sqliteBusyTimeout.Milliseconds()),
	"PRAGMA foreign_keys=ON",
	"PRAGMA synchronous=NORMAL",
	"PRAGMA wal_autocheckpoint=0",
	fmt.Sprintf("PRAGMA journal_size_limit=%d", sqliteJournalSizeLimit),
	"PRAGMA temp_store=MEMORY",
}

// importSQLite stores the request and its records through a direct
// connection to the SQLite C API (liteConn: prepared multi-row INSERTs
// bound from a C buffer). The caller holds the gorm writer connection for
// the whole import, so no other write of this process competes for the
// lock. Counts are kept as the rows go by; duplicates are found with a
// dupTracker and marked in SQL only for the numbers it flags.
//
// Lifetime: c is opened and closed here, outside importSQLiteTx, which
// finalizes every statement it prepares (and ends its producer) before it
// returns. Only then is c handed to the background checkpoint, which
// closes it; nothing else touches c after the handoff. (A statement
// finalized after the checkpoint closed the connection freed SQLite
// memory twice and crashed the process under concurrent imports.)
func (s *Store) importSQLite(ctx context.Context, req *CallListRequest, next func() (ImportRecord, error)) error {
	c, err := openLiteConn(s.sqlitePath, sqliteImportPragmas...)
	if err != nil {
		return err
	}
	stopInterrupt := c.interruptOn(ctx)
	err = s.importSQLiteTx(ctx, c, req, next)
	// The interrupt hook must not fire on a connection the checkpoint owns.
	stopInterrupt()
	if err != nil {
		c.close()
		return err
	}
	s.checkpointLater(c)
	return nil
}

// importSQLiteTx is importSQLite's transaction on c; every statement it
// prepares is finalized before it returns.
func (s *Store) importSQLiteTx(ctx context.Context, c *liteConn, req *CallListRequest, next func() (ImportRecord, error)) (err error) {
	if err := c.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = c.exec("ROLLBACK")
		}
		if isLiteInterrupt(err) && ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
	}()
	if _, err := c.execArgs(fmt.Sprintf(insertRequestSQL, placeholders(16, 1, false)), requestArgs(req)...); err != nil {
		return err
	}

	// The producer (its own goroutine) encodes rows, counts them and
	// tracks numbers; the values it hands over are only strings, int64s
	// and nils. Its state is read after io.EOF, i.e. after it has ended.
	created := req.CreatedAt.Format(sqliteTimeFormat)
	var pending, invalid, scrubbed int64
	var minStart *time.Time
	dups := newDupTracker()
	var lastStart time.Time
	var lastStartText string
	rows, stop := prefetch(func() (liteRecord, error) {
		r, err := next()
		if err != nil {
			return liteRecord{}, err
		}
		v, err := recordRow(req.ID, req.AccountID, r, req.CreatedAt)
		if err != nil {
			return liteRecord{}, err
		}
		lr := liteRecord{recordValues: v, at: created}
		switch r.Status {
		case RecordPending:
			pending++
			if v.hasStart && (minStart == nil || v.start.Before(*minStart)) {
				t := v.start
				minStart = &t
			}
			dups.add(v.primary)
		case RecordInvalid:
			invalid++
		case RecordScrubbed:
			scrubbed++
		}
		if v.hasStart {
			// Rows of a list mostly share their start time: format it once.
			if !lastStart.Equal(v.start) || lastStartText == "" {
				lastStart, lastStartText = v.start, v.start.Format(sqliteTimeFormat)
			}
			lr.start = lastStartText
		}
		if !v.at.Equal(req.CreatedAt) {
			lr.at = v.at.Format(sqliteTimeFormat)
		}
		return lr, nil
	})
	defer stop()

	const head = "INSERT INTO call_list_records (" + recordCols + ") VALUES "
	tuple := "(" + placeholders(len(recordColList), 1, false) + ")"
	prep := func(n int) (*liteStmt, error) {
		var b strings.Builder
		b.WriteString(head)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(tuple)
		}
		return c.prepare(b.String())
	}
	full, err := prep(sqliteImportBatch)
	if err != nil {
		return err
	}
	defer full.finalize()
	batch := make([]liteRecord, 0, sqliteImportBatch)
	flush := func(st *liteStmt) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := st.bindRecords(batch); err != nil {
			return err
		}
		batch = batch[:0]
		return st.step()
	}
	for {
		r, err := rows()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		batch = append(batch, r)
		if len(batch) == cap(batch) {
			if err := flush(full); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		rest, err := prep(len(batch))
		if err != nil {
			return err
		}
		err = flush(rest)
		rest.finalize()
		if err != nil {
			return err
		}
	}
	if pending+invalid+scrubbed == 0 {
		return errNoRecords
	}

	marked, err := markDuplicatesSQLite(c, req.ID, dups)
	if err != nil {
		return fmt.Errorf("mark duplicates: %w", err)
	}
	var cs []statusCount
	if marked == 0 {
		cs = []statusCount{{status: RecordPending, n: pending, min: minStart}, {status: RecordInvalid, n: invalid}, {status: RecordScrubbed, n: scrubbed}}
	} else if cs, err = liteCounts(c, req.ID); err != nil {
		return err
	}
	req.applyCounts(cs)
	if _, err := c.execArgs(fmt.Sprintf(finishRequestSQL, "?", "?", "?", "?", "?", "?", "?", "?"),
		req.Status, req.Uploaded, req.Valid, req.Invalid, req.Scrubbed, req.Added, req.StartTime, req.ID); err != nil {
		return err
	}
	return c.exec("COMMIT")
}

// dedupeCandidatesSQL is dedupeSQL restricted to the primary numbers in
// temp.dedupe_numbers.
const dedupeCandidatesSQL = `UPDATE call_list_records SET status = 'INVALID',
 reason = 'duplicate: ' || call_list_records.primary_number || ' is already in row ' || d.first_row
FROM (SELECT id, row_no, min(row_no) OVER (PARTITION BY primary_number) AS first_row
      FROM call_list_records WHERE request_id = ? AND status = 'PENDING'
       AND primary_number IN (SELECT n FROM temp.dedupe_numbers)) d
WHERE call_list_records.id = d.id AND d.row_no <> d.first_row`

// markDuplicatesSQLite marks later valid rows that repeat a valid primary
// number and returns how many it marked: nothing to do when the tracker
// saw no repeat, only the flagged numbers when it saw some, the whole
// request when it overflowed.
func markDuplicatesSQLite(c *liteConn, reqID string, d *dupTracker) (int64, error) {
	if d.overflow {
		return c.execArgs(fmt.Sprintf(dedupeSQL, "?"), reqID)
	}
	if len(d.cands) == 0 {
		return 0, nil
	}
	if err := c.exec(`CREATE TEMP TABLE IF NOT EXISTS dedupe_numbers (n TEXT PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.dedupe_numbers`); err != nil {
		return 0, err
	}
	ins, err := c.prepare(`INSERT INTO temp.dedupe_numbers (n) VALUES (?)`)
	if err != nil {
		return 0, err
	}
	defer ins.finalize()
	arg := make([]any, 1)
	for n := range d.cands {
		arg[0] = n
		if err := ins.bind(arg); err != nil {
			return 0, err
		}
		if err := ins.step(); err != nil {
			return 0, err
		}
	}
	return c.execArgs(dedupeCandidatesSQL, reqID)
}

// liteCounts is countSQL on a liteConn.
func liteCounts(c *liteConn, reqID string) ([]statusCount, error) {
	var cs []statusCount
	err := c.query(fmt.Sprintf(countSQL, "?"), []any{reqID}, func(st *liteStmt) error {
		sc := statusCount{status: st.columnText(0), n: st.columnInt64(1)}
		if !st.columnIsNull(2) {
			t, err := parseSQLiteTime(st.columnText(2))
			if err != nil {
				return err
			}
			t = t.UTC()
			sc.min = &t
		}
		cs = append(cs, sc)
		return nil
	})
	return cs, err
}

// checkpointLater copies the WAL into the database file in the background
// after a bulk import (PASSIVE: it never blocks readers or writers) and
// takes ownership of c: the caller has finalized every statement and must
// not touch c again. At most one checkpoint runs at a time: when one is
// already running, c is closed at once and the running one checkpoints
// again when it is done (a burst of small imports would otherwise keep a
// connection and a goroutine open per import). Close waits for it.
func (s *Store) checkpointLater(c *liteConn) {
	s.ckptMu.Lock()
	if s.ckptRunning {
		s.ckptAgain = true
		s.ckptMu.Unlock()
		c.close()
		return
	}
	s.ckptRunning = true
	s.ckptMu.Unlock()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer c.close()
		for {
			start := time.Now()
			if err := c.exec("PRAGMA wal_checkpoint(PASSIVE)"); err != nil {
				s.log.Warn("checkpoint after call-list import", "err", err)
			} else {
				s.log.Debug("checkpoint after call-list import", "took", time.Since(start))
			}
			s.ckptMu.Lock()
			if !s.ckptAgain {
				s.ckptRunning = false
				s.ckptMu.Unlock()
				return
			}
			s.ckptAgain = false
			s.ckptMu.Unlock()
		}
	}()
}

// sqliteTimeFormat is how the SQLite driver writes a time.Time (and reads
// it back).
const sqliteTimeFormat = "2006-01-02 15:04:05.999999999-07:00"

// prefetch runs next in its own goroutine, a few chunks ahead, so parsing,
// validation and row encoding overlap with the database work (memory stays
// bounded by the channel). stop ends the goroutine early.
func prefetch[T any](next func() (T, error)) (get func() (T, error), stop func()) {
	const chunk = 256
	type batch struct {
		items []T
		err   error
	}
	ch := make(chan batch, 4)
	// Consumed chunks come back for reuse: a million records would
	// otherwise allocate (and collect) a chunk per 256.
	free := make(chan []T, cap(ch)+2)
	done := make(chan struct{})
	go func() {
		defer close(ch)
		for {
			var b batch
			select {
			case items := <-free:
				b.items = items[:0]
			default:
				b.items = make([]T, 0, chunk)
			}
			for len(b.items) < chunk {
				r, err := next()
				if err != nil {
					b.err = err
					break
				}
				b.items = append(b.items, r)
			}
			select {
			case ch <- b:
			case <-done:
				return
			}
			if b.err != nil {
				return
			}
		}
	}()
	var cur batch
	i := 0
	get = func() (T, error) {
		for i >= len(cur.items) {
			if cur.err != nil {
				var zero T
				return zero, cur.err
			}
			if cur.items != nil {
				select {
				case free <- cur.items:
				default:
				}
				cur.items = nil
			}
			b, ok := <-ch
			if !ok {
				var zero T
				return zero, io.EOF
			}
			cur, i = b, 0
		}
		i++
		return cur.items[i-1], nil
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			for range ch { //nolint:revive // drain so the goroutine exits
			}
		})
	}
	return get, stop
}

func parseSQLiteTime(s string) (time.Time, error) {
	for _, l := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

// copySource feeds pgx CopyFrom from encoded rows.
type copySource struct {
	next func() ([]any, error)
	vals []any
	err  error
}

func (c *copySource) Next() bool {
	v, err := c.next()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		c.err = err
		return false
	}
	c.vals = v
	return true
}
func (c *copySource) Values() ([]any, error) { return c.vals, nil }
func (c *copySource) Err() error             { return c.err }

func importPostgres(ctx context.Context, pc *pgx.Conn, req *CallListRequest, next func() (ImportRecord, error)) (err error) {
	tx, err := pc.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if _, err := tx.Exec(ctx, fmt.Sprintf(insertRequestSQL, placeholders(16, 1, true)), requestArgs(req)...); err != nil {
		return err
	}
	encoded, stop := prefetch(func() ([]any, error) {
		r, err := next()
		if err != nil {
			return nil, err
		}
		v, err := recordRow(req.ID, req.AccountID, r, req.CreatedAt)
		if err != nil {
			return nil, err
		}
		return v.values(), nil
	})
	defer stop()
	src := &copySource{next: encoded}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"call_list_records"}, recordColList, src); err != nil {
		if src.err != nil {
			return src.err
		}
		return fmt.Errorf("copy records: %w", err)
	}
	if src.err != nil {
		return src.err
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(dedupeSQL, "$1"), req.ID); err != nil {
		return fmt.Errorf("mark duplicates: %w", err)
	}
	rows, err := tx.Query(ctx, fmt.Sprintf(countSQL, "$1"), req.ID)
	if err != nil {
		return err
	}
	var cs []statusCount
	for rows.Next() {
		var c statusCount
		if err := rows.Scan(&c.status, &c.n, &c.min); err != nil {
			rows.Close()
			return err
		}
		cs = append(cs, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	req.applyCounts(cs)
	if req.Uploaded == 0 {
		return errNoRecords
	}
	if _, err := tx.Exec(ctx, fmt.Sprintf(finishRequestSQL, "$1", "$2", "$3", "$4", "$5", "$6", "$7", "$8"),
		req.Status, req.Uploaded, req.Valid, req.Invalid, req.Scrubbed, req.Added, req.StartTime, req.ID); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// RequestFilter selects requests for the summary dashboard.
type RequestFilter struct {
	AccountID int64 // required
	From, To  *time.Time
	RequestID string
	FlowType  string
	FlowID    string
	Limit     int // default 50, max MaxListLimit
	Offset    int
}

// ListCallListRequests lists an account's requests, newest first.
func (s *Store) ListCallListRequests(ctx context.Context, f RequestFilter) (rs []CallListRequest, err error) {
	defer s.track("ListCallListRequests", time.Now(), &err)
	if f.AccountID <= 0 {
		return nil, ErrInvalid.New("", "list requests: account id %d", f.AccountID)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = defaultListLimit
	}
	if limit > MaxListLimit {
		return nil, ErrInvalid.New("", "list requests: limit %d exceeds %d", limit, MaxListLimit)
	}
	if f.Offset < 0 {
		return nil, ErrInvalid.New("", "list requests: negative offset")
	}
	q := s.r.WithContext(ctx).Where("account_id = ?", f.AccountID)
	if f.From != nil {
		q = q.Where("created_at >= ?", norm(*f.From))
	}
	if f.To != nil {
		q = q.Where("created_at < ?", norm(*f.To))
	}
	if f.RequestID != "" {
		q = q.Where("id = ?", f.RequestID)
	}
	if f.FlowType != "" {
		q = q.Where("flow_type = ?", f.FlowType)
	}
	if f.FlowID != "" {
		q = q.Where("flow_id = ?", f.FlowID)
	}
	if err := q.Order("created_at DESC, id DESC").Limit(limit).Offset(f.Offset).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: list requests: %w", err)
	}
	return rs, nil
}

// GetCallListRequest returns one request of the account.
func (s *Store) GetCallListRequest(ctx context.Context, accountID int64, id string) (r CallListRequest, err error) {
	defer s.track("GetCallListRequest", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return CallListRequest{}, fmt.Errorf("store: request %q: %w", id, ErrNotFound)
		}
		return CallListRequest{}, fmt.Errorf("store: request %q: %w", id, err)
	}
	return r, nil
}

// ListCallListRecords pages through a request's records in row order
// (rows after afterRow).
func (s *Store) ListCallListRecords(ctx context.Context, accountID int64, requestID string, afterRow int64, limit int) (rs []CallListRecord, err error) {
	defer s.track("ListCallListRecords", time.Now(), &err)
	if limit <= 0 {
		limit = defaultListLimit
	}
	if limit > MaxListLimit {
		return nil, ErrInvalid.New("", "list records: limit %d exceeds %d", limit, MaxListLimit)
	}
	if _, err := s.GetCallListRequest(ctx, accountID, requestID); err != nil {
		return nil, err
	}
	if err := s.r.WithContext(ctx).Where("request_id = ? AND account_id = ? AND row_no > ?", requestID, accountID, afterRow).
		Order("row_no").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: list records: %w", err)
	}
	return rs, nil
}

// EachCallListRecord streams every record of a request in row order (for
// the status report) in pages, so memory stays constant.
func (s *Store) EachCallListRecord(ctx context.Context, accountID int64, requestID string, fn func(CallListRecord) error) error {
	var after int64
	for {
		page, err := s.ListCallListRecords(ctx, accountID, requestID, after, MaxListLimit)
		if err != nil {
			return err
		}
		for _, r := range page {
			if err := fn(r); err != nil {
				return err
			}
			after = r.Row
		}
		if len(page) < MaxListLimit {
			return nil
		}
	}
}

// SetCallListRecordStatus moves a record on (the dialer: PENDING →
// IN_PROCESS → COMPLETE) and keeps its request's counts and status in step.
func (s *Store) SetCallListRecordStatus(ctx context.Context, accountID, recordID int64, status, reason string) (err error) {
	defer s.track("SetCallListRecordStatus", time.Now(), &err)
	switch status {
	case RecordPending, RecordInProcess, RecordComplete:
	default:
		return ErrInvalid.New("", "record status %q (want PENDING, IN_PROCESS or COMPLETE)", status)
	}
	if err := checkLen("reason", reason, maxLong); err != nil {
		return err
	}
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rec CallListRecord
		if err := tx.Where("id = ? AND account_id = ?", recordID, accountID).Take(&rec).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: record %d: %w", recordID, ErrNotFound)
			}
			return err
		}
		if rec.Status == RecordInvalid || rec.Status == RecordScrubbed {
			return ErrConflict.New("", "record %d was rejected (%s): it cannot be dialed", recordID, rec.Status)
		}
		t := now()
		upd := map[string]any{"status": status, "reason": reason, "updated_at": t}
		if status == RecordInProcess && rec.Status != RecordInProcess {
			upd["attempts"] = gorm.Expr("attempts + 1")
		}
		if err := tx.Model(&CallListRecord{}).Where("id = ?", recordID).Updates(upd).Error; err != nil {
			return err
		}
		var req CallListRequest
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", rec.RequestID).Take(&req).Error; err != nil {
			return err
		}
		delta := int64(0)
		if status == RecordComplete && rec.Status != RecordComplete {
			delta = 1
		} else if status != RecordComplete && rec.Status == RecordComplete {
			delta = -1
		}
		req.Completed += delta
		if req.StartedAt == nil && status != RecordPending {
			req.StartedAt = &t
		}
		req.Status = RequestStatus(req.Uploaded, req.Completed, req.Invalid, req.Scrubbed, req.StartedAt != nil)
		return tx.Model(&CallListRequest{}).Where("id = ?", req.ID).Updates(map[string]any{
			"completed": req.Completed, "started_at": req.StartedAt, "status": req.Status, "updated_at": t,
		}).Error
	})
}

// ---- white/blacklists and DNC ----

// Lists and kinds of access-list entries: an account whitelists phone
// numbers, email ids, IPv4 addresses and domains, and blacklists numbers
// and emails.
const (
	ListWhite = "white"
	ListBlack = "black"

	KindPhone  = "phone"
	KindEmail  = "email"
	KindIPv4   = "ipv4"
	KindDomain = "domain"

	// MaxWhitelistedPhones: an account whitelists at most 10 phone numbers.
	MaxWhitelistedPhones = 10
)

// ListEntry is one white/blacklist entry.
type ListEntry struct {
	ID         int64      `gorm:"column:id;primaryKey" json:"id"`
	AccountID  int64      `gorm:"column:account_id" json:"-"`
	List       string     `gorm:"column:list" json:"list"`
	Kind       string     `gorm:"column:kind" json:"kind"`
	Value      string     `gorm:"column:value" json:"value"`
	VerifiedAt *time.Time `gorm:"column:verified_at" json:"verified_at,omitempty"`
	CreatedAt  time.Time  `gorm:"column:created_at" json:"created_at"`
}

func (ListEntry) TableName() string { return "access_list_entries" }

func (e *ListEntry) AfterFind(*gorm.DB) error {
	e.CreatedAt, e.VerifiedAt = e.CreatedAt.UTC(), utcPtr(e.VerifiedAt)
	return nil
}

var (
	e164Re   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	domainRe = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$`)
)

// NormalizeListValue checks and canonicalises a list value of a kind:
// phone numbers must already be E.164 (the caller normalises with its
// default country), emails and domains are lower-cased, IPv4 only.
func NormalizeListValue(kind, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch kind {
	case KindPhone:
		if !e164Re.MatchString(v) {
			return "", ErrInvalid.New("value", "%q is not an E.164 number (+<country code><number>)", v)
		}
		return v, nil
	case KindEmail:
		a, err := mail.ParseAddress(v)
		if err != nil || a.Address != v || len(v) > maxEmailLen {
			return "", ErrInvalid.New("value", "%q is not an email address", v)
		}
		return strings.ToLower(v), nil
	case KindIPv4:
		ip := net.ParseIP(v)
		if ip == nil || ip.To4() == nil || strings.Contains(v, ":") {
			return "", ErrInvalid.New("value", "%q is not an IPv4 address (only IPv4 is supported)", v)
		}
		return ip.To4().String(), nil
	case KindDomain:
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		if len(d) > 253 || !domainRe.MatchString(d) {
			return "", ErrInvalid.New("value", "%q is not a domain name", v)
		}
		return d, nil
	}
	return "", ErrInvalid.New("kind", "list kind %q (want phone, email, ipv4 or domain)", kind)
}

// AddListEntry adds a value to the account's white or blacklist. Blacklists
// hold phone numbers and emails only; at most MaxWhitelistedPhones
// whitelisted numbers. verified marks a whitelisted number as OTP-verified.
func (s *Store) AddListEntry(ctx context.Context, accountID int64, list, kind, value string, verified bool) (e ListEntry, err error) {
	defer s.track("AddListEntry", time.Now(), &err)
	if list != ListWhite && list != ListBlack {
		return ListEntry{}, ErrInvalid.New("list", "list %q (want white or black)", list)
	}
	if list == ListBlack && kind != KindPhone && kind != KindEmail {
		return ListEntry{}, ErrInvalid.New("kind", "the blacklist holds phone numbers and emails, not %s", kind)
	}
	v, err := NormalizeListValue(kind, value)
	if err != nil {
		return ListEntry{}, err
	}
	t := now()
	e = ListEntry{AccountID: accountID, List: list, Kind: kind, Value: v, CreatedAt: t}
	if verified {
		e.VerifiedAt = &t
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if list == ListWhite && kind == KindPhone {
			var n int64
			if err := tx.Model(&ListEntry{}).Where("account_id = ? AND list = ? AND kind = ?", accountID, list, kind).Count(&n).Error; err != nil {
				return err
			}
			if n >= MaxWhitelistedPhones {
				return ErrConflict.New("", "at most %d whitelisted phone numbers per account", MaxWhitelistedPhones)
			}
		}
		return tx.Create(&e).Error
	})
	if err != nil {
		switch {
		case isDuplicate(err):
			return ListEntry{}, ErrConflict.New("", "%s is already %slisted", v, list)
		case isFKViolation(err):
			return ListEntry{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		case errors.Is(err, ErrConflict):
			return ListEntry{}, err
		}
		return ListEntry{}, fmt.Errorf("store: add list entry: %w", err)
	}
	return e, nil
}

// ListListEntries returns the account's entries of a list (and kind, if
// not empty), ordered by kind and value.
func (s *Store) ListListEntries(ctx context.Context, accountID int64, list, kind string) (es []ListEntry, err error) {
	defer s.track("ListListEntries", time.Now(), &err)
	q := s.r.WithContext(ctx).Where("account_id = ? AND list = ?", accountID, list)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Order("kind, value").Find(&es).Error; err != nil {
		return nil, fmt.Errorf("store: list entries: %w", err)
	}
	return es, nil
}

// DeleteListEntry removes an entry of the account.
func (s *Store) DeleteListEntry(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteListEntry", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&ListEntry{})
	if res.Error != nil {
		return fmt.Errorf("store: delete list entry %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: list entry %d: %w", id, ErrNotFound)
	}
	return nil
}

// DNCEntry is a DNC/NDNC number (E.164) or prefix ("+9114").
type DNCEntry struct {
	ID        int64     `gorm:"column:id;primaryKey" json:"id"`
	AccountID int64     `gorm:"column:account_id" json:"-"`
	Value     string    `gorm:"column:value" json:"value"`
	Prefix    bool      `gorm:"column:prefix" json:"prefix"`
	Source    string    `gorm:"column:source" json:"source,omitempty"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
}

func (DNCEntry) TableName() string { return "dnc_entries" }

var dncPrefixRe = regexp.MustCompile(`^\+[1-9][0-9]{0,14}$`)

// AddDNCEntries stores DNC numbers and prefixes for the account (values
// "+<digits>"; numbers must be E.164), ignoring ones already present. It
// returns how many were new.
func (s *Store) AddDNCEntries(ctx context.Context, accountID int64, source string, entries []DNCEntry) (added int64, err error) {
	defer s.track("AddDNCEntries", time.Now(), &err)
	t := now()
	rows := make([]DNCEntry, 0, len(entries))
	for _, e := range entries {
		ok := e164Re.MatchString(e.Value)
		if e.Prefix {
			ok = dncPrefixRe.MatchString(e.Value)
		}
		if !ok {
			return 0, ErrInvalid.New("", "DNC entry %q is not a +<digits> number/prefix", e.Value)
		}
		rows = append(rows, DNCEntry{AccountID: accountID, Value: e.Value, Prefix: e.Prefix, Source: source, CreatedAt: t})
	}
	if len(rows) == 0 {
		return 0, nil
	}
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500)
	if res.Error != nil {
		if isFKViolation(res.Error) {
			return 0, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
		}
		return 0, fmt.Errorf("store: add DNC entries: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// NumberScreen holds one account's number lists in memory for validating a
// call list (it implements dialer/calllist.Screen).
type NumberScreen struct {
	black, white map[string]bool
	dnc          map[string]bool
	prefixes     map[string]bool
}

// Blacklisted reports a blacklisted number.
func (n *NumberScreen) Blacklisted(e164 string) bool { return n.black[e164] }

// Whitelisted reports a whitelisted number.
func (n *NumberScreen) Whitelisted(e164 string) bool { return n.white[e164] }

// DNC reports a DNC number or the longest DNC prefix of it.
func (n *NumberScreen) DNC(e164 string) (string, bool) {
	if n.dnc[e164] {
		return e164, true
	}
	if len(n.prefixes) == 0 {
		return "", false
	}
	for l := len(e164); l >= 2; l-- {
		if p := e164[:l]; n.prefixes[p] {
			return p, true
		}
	}
	return "", false
}

// LoadNumberScreen loads an account's blacklisted and whitelisted numbers
// and its DNC entries.
func (s *Store) LoadNumberScreen(ctx context.Context, accountID int64) (ns *NumberScreen, err error) {
	defer s.track("LoadNumberScreen", time.Now(), &err)
	ns = &NumberScreen{black: map[string]bool{}, white: map[string]bool{}, dnc: map[string]bool{}, prefixes: map[string]bool{}}
	var es []ListEntry
	if err := s.r.WithContext(ctx).Where("account_id = ? AND kind = ?", accountID, KindPhone).Find(&es).Error; err != nil {
		return nil, fmt.Errorf("store: load number lists: %w", err)
	}
	for _, e := range es {
		if e.List == ListBlack {
			ns.black[e.Value] = true
		} else {
			ns.white[e.Value] = true
		}
	}
	rows, err := s.r.WithContext(ctx).Model(&DNCEntry{}).Select("value, prefix").Where("account_id = ?", accountID).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: load DNC entries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var v string
		var p bool
		if err := rows.Scan(&v, &p); err != nil {
			return nil, fmt.Errorf("store: load DNC entries: %w", err)
		}
		if p {
			ns.prefixes[v] = true
		} else {
			ns.dnc[v] = true
		}
	}
	return ns, rows.Err()
}

// DeleteCallListRequest removes a request and its records.
func (s *Store) DeleteCallListRequest(ctx context.Context, accountID int64, id string) (err error) {
	defer s.track("DeleteCallListRequest", time.Now(), &err)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&CallListRequest{})
		if res.Error != nil {
			return fmt.Errorf("store: delete request %q: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: request %q: %w", id, ErrNotFound)
		}
		if err := tx.Where("request_id = ?", id).Delete(&CallListRecord{}).Error; err != nil {
			return fmt.Errorf("store: delete records of request %q: %w", id, err)
		}
		return nil
	})
}

// IsBlacklistedNumber reports whether an E.164 number is on the account's
// blacklist (inbound calls are hung up before any flow runs; the dialer
// checks again at dial time).
func (s *Store) IsBlacklistedNumber(ctx context.Context, accountID int64, e164 string) (ok bool, err error) {
	defer s.track("IsBlacklistedNumber", time.Now(), &err)
	var n int64
	if err := s.r.WithContext(ctx).Model(&ListEntry{}).
		Where("account_id = ? AND list = ? AND kind = ? AND value = ?", accountID, ListBlack, KindPhone, e164).
		Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: blacklist lookup: %w", err)
	}
	return n > 0, nil
}

// ---- OTP verification of whitelisted phone numbers ----

// OTP limits.
const (
	OTPTTL         = 10 * time.Minute
	OTPMaxAttempts = 5
	// OTPResendAfter is how long before a new OTP may be sent to the same
	// number (each one is a phone call).
	OTPResendAfter = time.Minute
)

type phoneOTP struct {
	AccountID int64     `gorm:"column:account_id;primaryKey"`
	Phone     string    `gorm:"column:phone;primaryKey"`
	Salt      string    `gorm:"column:salt"`
	CodeHash  string    `gorm:"column:code_hash"`
	Attempts  int       `gorm:"column:attempts"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (phoneOTP) TableName() string { return "phone_otps" }

func otpHash(salt, code string) string {
	h := sha256.Sum256([]byte(salt + "\x00" + code))
	return hex.EncodeToString(h[:])
}

// SaveOTP stores a new one-time code for whitelisting phone (E.164), valid
// for OTPTTL, replacing an earlier one. It fails with ErrConflict if the
// number is already whitelisted, if the account has MaxWhitelistedPhones
// numbers, or if a code was sent less than OTPResendAfter ago.
func (s *Store) SaveOTP(ctx context.Context, accountID int64, phone, code string) (err error) {
	defer s.track("SaveOTP", time.Now(), &err)
	if _, err := NormalizeListValue(KindPhone, phone); err != nil {
		return err
	}
	if len(code) < 4 || len(code) > 12 {
		return ErrInvalid.New("", "OTP length %d", len(code))
	}
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return err
	}
	t := now()
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var es []ListEntry
		if err := tx.Where("account_id = ? AND list = ? AND kind = ?", accountID, ListWhite, KindPhone).Find(&es).Error; err != nil {
			return err
		}
		for _, e := range es {
			if e.Value == phone {
				return ErrConflict.New("", "%s is already whitelisted", phone)
			}
		}
		if len(es) >= MaxWhitelistedPhones {
			return ErrConflict.New("", "at most %d whitelisted phone numbers per account", MaxWhitelistedPhones)
		}
		var prev phoneOTP
		err := tx.Where("account_id = ? AND phone = ?", accountID, phone).Take(&prev).Error
		switch {
		case err == nil && t.Sub(prev.CreatedAt.UTC()) < OTPResendAfter:
			return ErrConflict.New("", "an OTP was sent to %s less than %v ago", phone, OTPResendAfter)
		case err != nil && !isNotFound(err):
			return err
		}
		row := phoneOTP{AccountID: accountID, Phone: phone, Salt: hex.EncodeToString(salt[:]), ExpiresAt: t.Add(OTPTTL), CreatedAt: t}
		row.CodeHash = otpHash(row.Salt, code)
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			if isFKViolation(err) {
				return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
			}
			return err
		}
		return nil
	})
}

// VerifyOTP checks a code for phone; on success the number is added to the
// whitelist as verified and the code is used up. A wrong code counts
// against OTPMaxAttempts; an expired or exhausted code fails with
// ErrInvalid (a new one must be requested).
func (s *Store) VerifyOTP(ctx context.Context, accountID int64, phone, code string) (e ListEntry, err error) {
	defer s.track("VerifyOTP", time.Now(), &err)
	t := now()
	var failed error
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var row phoneOTP
		if err := tx.Where("account_id = ? AND phone = ?", accountID, phone).Take(&row).Error; err != nil {
			if isNotFound(err) {
				return ErrInvalid.New("otp", "no OTP was sent to %s", phone)
			}
			return err
		}
		switch {
		case t.After(row.ExpiresAt.UTC()):
			return ErrInvalid.New("otp", "the OTP for %s has expired; request a new one", phone)
		case row.Attempts >= OTPMaxAttempts:
			return ErrInvalid.New("otp", "too many wrong OTPs for %s; request a new one", phone)
		}
		if subtle.ConstantTimeCompare([]byte(otpHash(row.Salt, code)), []byte(row.CodeHash)) != 1 {
			if err := tx.Model(&phoneOTP{}).Where("account_id = ? AND phone = ?", accountID, phone).
				Update("attempts", gorm.Expr("attempts + 1")).Error; err != nil {
				return err
			}
			failed = ErrInvalid.New("otp", "wrong OTP for %s (%d attempts left)", phone, OTPMaxAttempts-row.Attempts-1)
			return nil // commit the attempt count
		}
		if err := tx.Where("account_id = ? AND phone = ?", accountID, phone).Delete(&phoneOTP{}).Error; err != nil {
			return err
		}
		var n int64
		if err := tx.Model(&ListEntry{}).Where("account_id = ? AND list = ? AND kind = ?", accountID, ListWhite, KindPhone).Count(&n).Error; err != nil {
			return err
		}
		if n >= MaxWhitelistedPhones {
			return ErrConflict.New("", "at most %d whitelisted phone numbers per account", MaxWhitelistedPhones)
		}
		e = ListEntry{AccountID: accountID, List: ListWhite, Kind: KindPhone, Value: phone, VerifiedAt: &t, CreatedAt: t}
		if err := tx.Create(&e).Error; err != nil {
			if isDuplicate(err) {
				return ErrConflict.New("", "%s is already whitelisted", phone)
			}
			return err
		}
		return nil
	})
	if err == nil && failed != nil {
		err = failed
	}
	if err != nil {
		return ListEntry{}, err
	}
	return e, nil
}

// skipLocked makes a lease query skip rows another node holds locked
// (SELECT … FOR UPDATE SKIP LOCKED) on PostgreSQL; SQLite serialises
// writers, so it needs no row locks.
func (s *Store) skipLocked(q *gorm.DB) *gorm.DB {
	if s.driver == DriverPostgres {
		return q.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"})
	}
	return q
}
