package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Limits on free-text CDR fields (bytes). Longer input is rejected with
// ErrInvalid rather than truncated silently.
const (
	maxShort        = 255
	maxNumber       = 128
	maxStatus       = 64
	maxLong         = 2048
	maxVariablesLen = 64 << 10
	maxJourneyLen   = 4 << 20

	defaultListLimit = 50
	// MaxListLimit caps AttemptFilter.Limit.
	MaxListLimit = 1000
)

// checkLen checks a text field's length, and that it holds no NUL byte
// (PostgreSQL text cannot store one; SQLite would, so both refuse alike).
func checkLen(field, v string, maxLen int) error {
	if len(v) > maxLen {
		return ErrInvalid.New("", "%s is %d bytes long, limit %d", field, len(v), maxLen)
	}
	if strings.IndexByte(v, 0) >= 0 {
		return ErrInvalid.New("", "%s contains a NUL byte", field)
	}
	return nil
}

// normUUID validates and canonicalises a UUID; empty generates a new one
// (version 7: time-ordered, which keeps B-tree inserts local).
func normUUID(field, v string) (string, error) {
	if v == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return "", fmt.Errorf("store: generate %s: %w", field, err)
		}
		return id.String(), nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fmt.Errorf("store: %s %q is not a UUID: %w", field, v, ErrInvalid)
	}
	return id.String(), nil
}

// parseID validates and canonicalises a required UUID argument.
func parseID(field, v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("store: %s is empty: %w", field, ErrInvalid)
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return "", fmt.Errorf("store: %s %q is not a UUID: %w", field, v, ErrInvalid)
	}
	return id.String(), nil
}

func encodeVariables(vars map[string]string) (string, error) {
	if len(vars) == 0 {
		return "{}", nil
	}
	// The same bytes json.Marshal writes for the map (keys sorted,
	// encoding/json's escaping; FuzzEncodeVariables checks it), without
	// reflection: a million-row call list encodes a map per record.
	keys := make([]string, 0, len(vars))
	size := 2
	for k, v := range vars {
		if k == "" {
			return "", ErrInvalid.New("", "variables: empty variable name")
		}
		keys = append(keys, k)
		size += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, vars[k])
	}
	b = append(b, '}')
	if len(b) > maxVariablesLen {
		return "", ErrInvalid.New("", "variables are %d bytes as JSON, limit %d", len(b), maxVariablesLen)
	}
	return string(b), nil
}

// appendJSONString appends s as a JSON string the way encoding/json does:
// ", \\ and the control characters escaped (\b \f \n \r \t or \u00XX),
// <, > and & as \u003c \u003e \u0026 (HTML-safe), invalid UTF-8 as
// \ufffd, and U+2028 / U+2029 as \u2028 / \u2029.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	from := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[from:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			from = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[from:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[from:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		from = i
	}
	b = append(b, s[from:]...)
	return append(b, '"')
}

// AttemptStart describes a new attempt (a channel entering Switchyard).
type AttemptStart struct {
	AccountID int64 // required
	// CallID is the logical call ("Phonon UUID"). Empty creates a new call;
	// an existing call of the same account gets its next attempt.
	CallID string
	// AttemptID is the CDR row id. Empty generates one.
	AttemptID        string
	Direction        string // DirectionInbound or DirectionOutbound
	FlowID           *int64
	RequestID        string // caller's correlation id; empty = none
	ClientIdentifier string
	CLI              string // calling number
	DNIS             string // called number
	ChannelID        string // Asterisk channel id; required
	AsteriskNode     string // Asterisk node / entity id that owns the channel
	StartedAt        time.Time
	Variables        map[string]string
	// Number is the caller's try number (the dialer's attempt of a call
	// list record), recorded as the attempt number; 0 numbers attempts of
	// the call in order (1, 2, …).
	Number int
}

func (in *AttemptStart) validate() error {
	if in.AccountID <= 0 {
		return fmt.Errorf("store: start attempt: account id %d: %w", in.AccountID, ErrInvalid)
	}
	if in.Number < 0 || in.Number > 1_000_000 {
		return fmt.Errorf("store: start attempt: attempt number %d: %w", in.Number, ErrInvalid)
	}
	if in.Direction != DirectionInbound && in.Direction != DirectionOutbound {
		return fmt.Errorf("store: start attempt: direction %q: want %q or %q: %w", in.Direction, DirectionInbound, DirectionOutbound, ErrInvalid)
	}
	if strings.TrimSpace(in.ChannelID) == "" {
		return fmt.Errorf("store: start attempt: channel id is empty: %w", ErrInvalid)
	}
	for _, c := range []struct {
		f, v string
		n    int
	}{
		{"channel id", in.ChannelID, maxShort},
		{"asterisk node", in.AsteriskNode, maxShort},
		{"request id", in.RequestID, maxShort},
		{"client identifier", in.ClientIdentifier, maxShort},
		{"cli", in.CLI, maxNumber},
		{"dnis", in.DNIS, maxNumber},
	} {
		if err := checkLen(c.f, c.v, c.n); err != nil {
			return err
		}
	}
	return nil
}

// upsertCallSQL upserts a call and returns its attempt counter (no row:
// the call id is another account's). greatest is the SQL function of the
// larger of two values (GREATEST on PostgreSQL, MAX on SQLite). The WHERE
// on the conflict branch makes a call id of another account a no-op
// instead of a takeover; the upsert holds the call's row lock (PostgreSQL)
// or the write lock (SQLite) until commit, so the counter it returns is
// this attempt's number.
func upsertCallSQL(greatest string) string {
	return `INSERT INTO calls (id, account_id, direction, flow_id, request_id, client_identifier, cli, dnis, status, attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET attempts = ` + greatest + `(calls.attempts + 1, excluded.attempts), status = excluded.status,
			finished_at = NULL, updated_at = excluded.updated_at
		WHERE calls.account_id = excluded.account_id
		RETURNING attempts`
}

// attemptColumns are the columns StartAttempt writes.
const attemptColumns = `id, call_id, account_id, attempt_number, channel_id, asterisk_node, direction, cli, dnis, state, status,
	hangup_cause, hangup_cause_text, remote_hangup, started_at, duration_ms, billsec_ms, dtmf, recorded, recording_uri, finish_reason, variables`

var (
	// startAttemptPG: the call's upsert feeds the attempt's insert its
	// number (the select list's parameters are typed: they have no
	// target column to take a type from).
	startAttemptPG = rawPG(`WITH c AS (` + upsertCallSQL("GREATEST") + `)
		INSERT INTO call_attempts (` + attemptColumns + `)
		SELECT CAST(? AS varchar), CAST(? AS varchar), CAST(? AS bigint), c.attempts, CAST(? AS text), CAST(? AS text), CAST(? AS text),
			CAST(? AS text), CAST(? AS text), CAST(? AS text), CAST(? AS text), 0, '', false, CAST(? AS timestamptz), 0, 0, '', false, '', '', CAST(? AS text)
		FROM c RETURNING attempt_number`)
	upsertCallSQLite    = raw(upsertCallSQL("MAX"))
	insertAttemptSQLite = raw(`INSERT INTO call_attempts (` + attemptColumns + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', false, ?, 0, 0, '', false, '', '', ?)`)
)

// StartAttempt records a new open attempt. In one transaction it creates the
// call row if missing (or, for an existing call of the same account, bumps
// its attempt counter, sets it back to IN_PROGRESS and clears finished_at)
// and inserts the attempt with the next attempt number.
//
// Errors: ErrInvalid for bad input; ErrNotFound if the account does not
// exist; ErrConflict if CallID belongs to another account or AttemptID
// already exists.
func (s *Store) StartAttempt(ctx context.Context, in AttemptStart) (a Attempt, err error) {
	defer s.track("StartAttempt", time.Now(), &err)
	if err := in.validate(); err != nil {
		return Attempt{}, err
	}
	if in.CallID, err = normUUID("call id", in.CallID); err != nil {
		return Attempt{}, err
	}
	if in.AttemptID, err = normUUID("attempt id", in.AttemptID); err != nil {
		return Attempt{}, err
	}
	vars, err := encodeVariables(in.Variables)
	if err != nil {
		return Attempt{}, err
	}
	t := now()
	started := t
	if !in.StartedAt.IsZero() {
		started = norm(in.StartedAt)
	}
	var reqID *string
	if in.RequestID != "" {
		reqID = &in.RequestID
	}

	a = Attempt{
		ID:           in.AttemptID,
		CallID:       in.CallID,
		AccountID:    in.AccountID,
		ChannelID:    in.ChannelID,
		AsteriskNode: in.AsteriskNode,
		Direction:    in.Direction,
		CLI:          in.CLI,
		DNIS:         in.DNIS,
		State:        StateOpen,
		Status:       StatusInProgress,
		StartedAt:    started,
	}
	// The call's attempt counter: one more than before (1 for a new
	// call), or the caller's try number if that is higher (tries that
	// never reached a channel, a refused originate, still count).
	callArgs := []any{in.CallID, in.AccountID, in.Direction, in.FlowID, reqID, in.ClientIdentifier, in.CLI, in.DNIS, StatusInProgress, max(1, in.Number), t, t}
	// The attempt's values after its number.
	attemptArgs := []any{a.ChannelID, a.AsteriskNode, a.Direction, a.CLI, a.DNIS, a.State, a.Status, a.StartedAt, vars}
	pipe := &pipeStep{stmt: startAttemptPG, args: slices.Concat(callArgs, []any{a.ID, a.CallID, a.AccountID}, attemptArgs),
		scan: func(rows rowScanner) error { return rows.Scan(&a.AttemptNumber) },
		// None: the call is another account's (the full form says so).
		done: func(n int64, _ *groupTotals) bool { return n == 1 }}
	err = s.grouped(ctx, laneKey(in.CallID), pipe, func(tx *gorm.DB, _ *groupTotals) error {
		var n []int
		scan := func(rows rowScanner) error {
			var k int
			err := rows.Scan(&k)
			n = append(n, k)
			return err
		}
		var err error
		if s.driver == DriverPostgres {
			// One statement: the call's upsert feeds the attempt's
			// insert its number.
			err = s.rawQuery(tx, startAttemptPG, slices.Concat(callArgs, []any{a.ID, a.CallID, a.AccountID}, attemptArgs), scan)
		} else {
			err = s.rawQuery(tx, upsertCallSQLite, callArgs, scan)
		}
		if err != nil {
			switch {
			case isFKViolation(err):
				return fmt.Errorf("store: start attempt: account %d: %w", in.AccountID, ErrNotFound)
			case isDuplicate(err):
				return fmt.Errorf("store: start attempt: attempt id %s already exists: %w", a.ID, ErrConflict)
			}
			return fmt.Errorf("store: start attempt %s of call %s: %w", a.ID, in.CallID, err)
		}
		if len(n) == 0 {
			// The upsert's WHERE made it a no-op.
			return fmt.Errorf("store: start attempt: call id %s belongs to another account: %w", in.CallID, ErrConflict)
		}
		a.AttemptNumber = n[0]
		if s.driver == DriverPostgres {
			return nil
		}
		// The upsert holds the write lock until commit, so this is the
		// number it just set.
		if _, err := s.rawExec(tx, insertAttemptSQLite, slices.Concat([]any{a.ID, a.CallID, a.AccountID, a.AttemptNumber}, attemptArgs)...); err != nil {
			if isDuplicate(err) {
				return fmt.Errorf("store: start attempt: attempt id %s already exists: %w", a.ID, ErrConflict)
			}
			return fmt.Errorf("store: start attempt: insert attempt %s: %w", a.ID, err)
		}
		return nil
	})
	if err != nil {
		return Attempt{}, err
	}
	a.Variables = map[string]string{}
	for k, v := range in.Variables {
		a.Variables[k] = v
	}
	s.open.Store(a.ID, &openAttempt{a: a})
	return a, nil
}

// openAttempt is an attempt as this store wrote it, from its start to its
// end: every write of an attempt's row while it is open is made by the
// node that runs its call, through its store, which keeps this copy
// current (AnswerAttempt) or drops it (SetAttemptReportFields,
// DiscardAttempt). The attempt's end writes from it without reading the
// row back, on the condition that the row still holds what the copy
// says; otherwise it reads the row as before.
type openAttempt struct {
	mu sync.Mutex
	a  Attempt
}

// openCopy returns the store's copy of an open attempt (with its own
// variables map).
func (s *Store) openCopy(id string) (Attempt, bool) {
	v, ok := s.open.Load(id)
	if !ok {
		return Attempt{}, false
	}
	o := v.(*openAttempt)
	o.mu.Lock()
	defer o.mu.Unlock()
	a := o.a
	a.AnsweredAt = normPtr(o.a.AnsweredAt)
	a.Variables = make(map[string]string, len(o.a.Variables))
	for k, v := range o.a.Variables {
		a.Variables[k] = v
	}
	return a, true
}

var answerAttempt = raw(`UPDATE call_attempts SET answered_at = ? WHERE id = ? AND state = ? AND answered_at IS NULL`)

// AnswerAttempt records when an open attempt was answered. Only the first
// answer time is kept; answering a finished attempt is a no-op.
func (s *Store) AnswerAttempt(ctx context.Context, id string, at time.Time) (err error) {
	defer s.track("AnswerAttempt", time.Now(), &err)
	if id, err = parseID("attempt id", id); err != nil {
		return err
	}
	if at.IsZero() {
		at = now()
	}
	at = norm(at)
	answered := false
	defer func() {
		if v, ok := s.open.Load(id); ok && err == nil && answered {
			o := v.(*openAttempt)
			o.mu.Lock()
			if o.a.AnsweredAt == nil {
				o.a.AnsweredAt = &at
			}
			o.mu.Unlock()
		}
	}()
	pipe := &pipeStep{stmt: answerAttempt, args: []any{at, id, StateOpen},
		// None: answered before, finished or missing (the full form
		// tells which).
		done: func(n int64, _ *groupTotals) bool { answered = n > 0; return answered }}
	return s.groupedLazy(ctx, laneKey(id), pipe, func(tx *gorm.DB, _ *groupTotals) error {
		n, err := s.rawExec(tx, answerAttempt, at, id, StateOpen)
		answered = n > 0
		if err != nil {
			return fmt.Errorf("store: answer attempt %s: %w", id, err)
		}
		if n == 0 {
			var n int64
			if err := tx.Model(&Attempt{}).Where("id = ?", id).Count(&n).Error; err != nil {
				return fmt.Errorf("store: answer attempt %s: %w", id, err)
			}
			if n == 0 {
				return fmt.Errorf("store: attempt %s: %w", id, ErrNotFound)
			}
		}
		return nil
	})
}

// AttemptEnd describes how an attempt ended.
type AttemptEnd struct {
	EndedAt time.Time // zero = now
	// AnsweredAt is used if AnswerAttempt was never called (e.g. the answer
	// event was missed); an earlier recorded answer time wins.
	AnsweredAt *time.Time
	Status     string // required: IVR_FINISHED, BUSY, NOANSWER, CONGESTION, …
	// IfAnswered, when set, replaces Status if the attempt has an answer
	// time (a call cut by a crash or outage after its answer, closed by
	// reconciliation, is recorded answered).
	IfAnswered      string
	HangupCause     int // Q.850 cause code
	HangupCauseText string
	RemoteHangup    bool
	// FinishReason is required: why the record was closed, e.g. "hangup",
	// "reconciled: channel gone after ARI reconnect", "shutdown".
	FinishReason string
	DTMF         string
	Recorded     bool
	RecordingURI string
	// Variables are merged over the attempt's start variables.
	Variables map[string]string
}

func (e *AttemptEnd) validate() error {
	if strings.TrimSpace(e.Status) == "" {
		return fmt.Errorf("store: finish attempt: status is empty: %w", ErrInvalid)
	}
	if strings.TrimSpace(e.FinishReason) == "" {
		return fmt.Errorf("store: finish attempt: finish reason is empty: %w", ErrInvalid)
	}
	for _, c := range []struct {
		f, v string
		n    int
	}{
		{"status", e.Status, maxStatus},
		{"status if answered", e.IfAnswered, maxStatus},
		{"hangup cause text", e.HangupCauseText, maxShort},
		{"finish reason", e.FinishReason, maxLong},
		{"dtmf", e.DTMF, maxLong},
		{"recording uri", e.RecordingURI, maxLong},
	} {
		if err := checkLen(c.f, c.v, c.n); err != nil {
			return err
		}
	}
	return nil
}

// FinishAttempt closes an open attempt: it records the end, computes
// duration and billable time, and — if this is the call's latest attempt —
// sets the call's status and finished_at. It is idempotent: finishing an
// already finished attempt returns the stored record unchanged and no error
// (the first finish wins, including under concurrent finishes).
func (s *Store) FinishAttempt(ctx context.Context, id string, end AttemptEnd) (a Attempt, err error) {
	defer s.track("FinishAttempt", time.Now(), &err)
	if err := end.validate(); err != nil {
		return Attempt{}, err
	}
	if id, err = parseID("attempt id", id); err != nil {
		return Attempt{}, err
	}
	t := now()
	ended := t
	if !end.EndedAt.IsZero() {
		ended = norm(end.EndedAt)
	}

	// On PostgreSQL the end of an attempt this store holds a copy of is
	// one statement, sent pipelined with its group's others.
	var pipe *pipeStep
	if c, ok := s.openCopy(id); ok && s.driver == DriverPostgres {
		fin := c
		args, callArgs, err := finishArgs(&fin, end, ended, t, true)
		if err != nil {
			return Attempt{}, err
		}
		var updated int64
		pipe = &pipeStep{stmt: finishCopyPG, args: slices.Concat(args, callArgs),
			scan: func(rows rowScanner) error { return rows.Scan(&updated) },
			done: func(int64, *groupTotals) bool {
				if updated == 0 {
					return false // finished, or changed behind the copy: the full form reads the row
				}
				a = fin
				return true
			}}
	}
	err = s.groupedLazy(ctx, laneKey(id), pipe, func(tx *gorm.DB, _ *groupTotals) error {
		if c, ok := s.openCopy(id); ok {
			// Started by this store and still open as far as it knows:
			// written from its copy, unless the row says otherwise.
			a = c
			done, err := s.finishAttempt(tx, &a, end, ended, t, true)
			if err != nil || done {
				return err
			}
		}
		a = Attempt{}
		if err := tx.Where("id = ?", id).Take(&a).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: attempt %s: %w", id, ErrNotFound)
			}
			return fmt.Errorf("store: finish attempt %s: %w", id, err)
		}
		if a.State != StateOpen {
			return nil // already finished: keep the first finish
		}
		_, err := s.finishAttempt(tx, &a, end, ended, t, false)
		return err
	})
	if err == nil || errors.Is(err, ErrNotFound) {
		s.open.Delete(id)
	}
	if err != nil {
		return Attempt{}, err
	}
	return a, nil
}

// finishAttempt writes the end of the open attempt a (read from its row,
// or the store's copy when fromCopy) and sets a to the finished record.
// From the copy the row is written only if it still holds the copy's
// answer time and recording (the values the end merges with); done is
// false when it did not, and nothing was written.
func (s *Store) finishAttempt(tx *gorm.DB, a *Attempt, end AttemptEnd, ended, t time.Time, fromCopy bool) (done bool, err error) {
	id := a.ID
	args, callArgs, err := finishArgs(a, end, ended, t, fromCopy)
	if err != nil {
		return false, err
	}
	var updated int64
	if s.driver == DriverPostgres {
		// One statement: the call is updated only if the attempt was.
		stmt := finishAttemptPG
		if fromCopy {
			stmt = finishCopyPG
		}
		if err := s.rawQuery(tx, stmt, slices.Concat(args, callArgs), func(rows rowScanner) error {
			return rows.Scan(&updated)
		}); err != nil {
			return false, fmt.Errorf("store: finish attempt %s: %w", id, err)
		}
	} else {
		stmt := finishAttemptSQLite
		if fromCopy {
			stmt = finishCopySQLite
		}
		n, err := s.rawExec(tx, stmt, args...)
		if err != nil {
			return false, fmt.Errorf("store: finish attempt %s: %w", id, err)
		}
		updated = n
		if updated > 0 {
			if _, err := s.rawExec(tx, finishCallSQLite, callArgs...); err != nil {
				return false, fmt.Errorf("store: finish attempt %s: update call %s: %w", id, a.CallID, err)
			}
		}
	}
	if updated > 0 {
		return true, nil
	}
	if fromCopy {
		// Finished meanwhile, or answered or recorded by a write this
		// store's copy missed: the caller reads the row.
		return false, nil
	}
	// A concurrent FinishAttempt won (PostgreSQL READ COMMITTED re-checks
	// state after waiting for its row lock): return its record.
	*a = Attempt{}
	if err := tx.Where("id = ?", id).Take(a).Error; err != nil {
		return false, fmt.Errorf("store: finish attempt %s: re-read: %w", id, err)
	}
	return true, nil
}

// finishArgs sets a, open, to its finished record and returns the
// arguments of the statements that write it: the attempt's update (with,
// fromCopy, the values the row must still hold: the answer time and
// recording the end merges with) and the call's.
func finishArgs(a *Attempt, end AttemptEnd, ended, t time.Time, fromCopy bool) (args, callArgs []any, err error) {
	guard := []any{a.AnsweredAt, a.Recorded, a.RecordingURI}
	if a.AnsweredAt == nil && end.AnsweredAt != nil {
		a.AnsweredAt = normPtr(end.AnsweredAt)
	}
	a.State = StateFinished
	a.Status = end.Status
	if a.AnsweredAt != nil && end.IfAnswered != "" {
		a.Status = end.IfAnswered
	}
	a.HangupCause = end.HangupCause
	a.HangupCauseText = end.HangupCauseText
	a.RemoteHangup = end.RemoteHangup
	a.FinishReason = end.FinishReason
	a.DTMF = end.DTMF
	// The flow may have reported its recordings already
	// (SetAttemptReportFields): keep them unless the end says more.
	a.Recorded = a.Recorded || end.Recorded
	if end.RecordingURI != "" {
		a.RecordingURI = end.RecordingURI
	}
	a.EndedAt = &ended
	a.DurationMS = max(0, ended.Sub(a.StartedAt).Milliseconds())
	a.BillsecMS = 0
	if a.AnsweredAt != nil {
		a.BillsecMS = max(0, ended.Sub(*a.AnsweredAt).Milliseconds())
	}
	if a.Variables == nil {
		a.Variables = map[string]string{}
	}
	for k, v := range end.Variables {
		a.Variables[k] = v
	}
	vars, err := encodeVariables(a.Variables)
	if err != nil {
		return nil, nil, err
	}
	args = []any{a.State, a.Status, a.HangupCause, a.HangupCauseText, a.RemoteHangup, a.FinishReason, a.DTMF, a.Recorded,
		a.RecordingURI, a.AnsweredAt, a.EndedAt, a.DurationMS, a.BillsecMS, vars, a.ID, StateOpen}
	if fromCopy {
		args = append(args, guard...)
	}
	// Only the latest attempt decides the call's outcome: a late finish
	// of attempt 1 must not overwrite a running attempt 2.
	callArgs = []any{a.Status, ended, t, a.CallID, a.AttemptNumber}
	return args, callArgs, nil
}

// finishAttemptSQL closes an open attempt.
const finishAttemptSQL = `UPDATE call_attempts SET state = ?, status = ?, hangup_cause = ?, hangup_cause_text = ?, remote_hangup = ?,
	finish_reason = ?, dtmf = ?, recorded = ?, recording_uri = ?, answered_at = ?, ended_at = ?, duration_ms = ?, billsec_ms = ?, variables = ?
	WHERE id = ? AND state = ?`

// finishCopySQL closes an open attempt whose answer time and recording
// are still those of the store's copy (finishAttempt).
const (
	finishCopyPGSQL     = finishAttemptSQL + ` AND answered_at IS NOT DISTINCT FROM ? AND recorded = ? AND recording_uri = ?`
	finishCopySQLiteSQL = finishAttemptSQL + ` AND answered_at IS ? AND recorded = ? AND recording_uri = ?`
)

var (
	finishAttemptSQLite = raw(finishAttemptSQL)
	finishCopySQLite    = raw(finishCopySQLiteSQL)
	finishCallSQLite    = raw(`UPDATE calls SET status = ?, finished_at = ?, updated_at = ? WHERE id = ? AND attempts <= ?`)
	finishAttemptPG     = rawPG(finishPGSQL(finishAttemptSQL))
	finishCopyPG        = rawPG(finishPGSQL(finishCopyPGSQL))
)

// finishPGSQL is one statement that closes the attempt (update) and, if
// it did, its call.
func finishPGSQL(update string) string {
	return `WITH a AS (` + update + ` RETURNING 1),
		c AS (UPDATE calls SET status = ?, finished_at = ?, updated_at = ? WHERE id = ? AND attempts <= ? AND EXISTS (SELECT 1 FROM a))
		SELECT count(*) FROM a`
}

// DiscardAttempt deletes an open attempt that was never placed (Asterisk
// refused the originate as unavailable), and its call if that was the
// call's only attempt, so the same attempt can be started again under the
// same ID. A missing attempt is not an error (an earlier discard won); a
// finished one is kept (ErrConflict).
func (s *Store) DiscardAttempt(ctx context.Context, id string) (err error) {
	defer s.track("DiscardAttempt", time.Now(), &err)
	if id, err = parseID("attempt id", id); err != nil {
		return err
	}
	s.open.Delete(id)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var a Attempt
		if err := tx.Where("id = ?", id).Take(&a).Error; err != nil {
			if isNotFound(err) {
				return nil
			}
			return fmt.Errorf("store: discard attempt %s: %w", id, err)
		}
		if a.State != StateOpen {
			return fmt.Errorf("store: discard attempt %s: already finished: %w", id, ErrConflict)
		}
		if err := tx.Where("id = ? AND state = ?", id, StateOpen).Delete(&Attempt{}).Error; err != nil {
			return fmt.Errorf("store: discard attempt %s: %w", id, err)
		}
		var left int64
		if err := tx.Model(&Attempt{}).Where("call_id = ?", a.CallID).Count(&left).Error; err != nil {
			return fmt.Errorf("store: discard attempt %s: count call attempts: %w", id, err)
		}
		if left == 0 {
			if err := tx.Where("id = ?", a.CallID).Delete(&Call{}).Error; err != nil {
				return fmt.Errorf("store: discard attempt %s: delete call %s: %w", id, a.CallID, err)
			}
			return nil
		}
		return tx.Model(&Call{}).Where("id = ? AND attempts > 0", a.CallID).
			Update("attempts", gorm.Expr("attempts - 1")).Error
	})
}

// GetAttempt returns one attempt of the account.
func (s *Store) GetAttempt(ctx context.Context, accountID int64, id string) (a Attempt, err error) {
	defer s.track("GetAttempt", time.Now(), &err)
	uid, perr := uuid.Parse(id)
	if perr != nil {
		return Attempt{}, fmt.Errorf("store: attempt %q: %w", id, ErrNotFound)
	}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, uid.String()).Take(&a).Error; err != nil {
		if isNotFound(err) {
			return Attempt{}, fmt.Errorf("store: attempt %s in account %d: %w", id, accountID, ErrNotFound)
		}
		return Attempt{}, fmt.Errorf("store: get attempt %s: %w", id, err)
	}
	return a, nil
}

// GetCall returns one call of the account.
func (s *Store) GetCall(ctx context.Context, accountID int64, id string) (c Call, err error) {
	defer s.track("GetCall", time.Now(), &err)
	uid, perr := uuid.Parse(id)
	if perr != nil {
		return Call{}, fmt.Errorf("store: call %q: %w", id, ErrNotFound)
	}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, uid.String()).Take(&c).Error; err != nil {
		if isNotFound(err) {
			return Call{}, fmt.Errorf("store: call %s in account %d: %w", id, accountID, ErrNotFound)
		}
		return Call{}, fmt.Errorf("store: get call %s: %w", id, err)
	}
	return c, nil
}

// ListOpenAttempts returns the attempts still open on an Asterisk node
// (all nodes if node is empty), oldest first. It is system-level — for
// reconciliation after an ARI reconnect and at start-up — and spans
// accounts.
func (s *Store) ListOpenAttempts(ctx context.Context, node string) (as []Attempt, err error) {
	defer s.track("ListOpenAttempts", time.Now(), &err)
	q := s.r.WithContext(ctx).Where("state = ?", StateOpen)
	if node != "" {
		q = q.Where("asterisk_node = ?", node)
	}
	as = []Attempt{}
	if err := q.Order("started_at, id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: list open attempts (node %q): %w", node, err)
	}
	return as, nil
}

// AttemptFilter selects attempts for ListAttempts.
type AttemptFilter struct {
	AccountID int64     // required
	From      time.Time // started_at >= From (zero: no bound)
	To        time.Time // started_at < To (zero: no bound)
	State     string    // "", StateOpen or StateFinished
	CallID    string    // only this call's attempts
	Limit     int       // 0 = 50; at most MaxListLimit
	After     string    // AttemptPage.Next of the previous page
}

// AttemptPage is one page of ListAttempts, newest first.
type AttemptPage struct {
	Attempts []Attempt `json:"attempts"`
	// Next is the cursor for the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// ListAttempts lists an account's attempts newest first (started_at, then
// id, descending) with keyset pagination: pass Next back as After.
func (s *Store) ListAttempts(ctx context.Context, f AttemptFilter) (p AttemptPage, err error) {
	defer s.track("ListAttempts", time.Now(), &err)
	if f.AccountID <= 0 {
		return AttemptPage{}, fmt.Errorf("store: list attempts: account id %d: %w", f.AccountID, ErrInvalid)
	}
	switch {
	case f.Limit < 0 || f.Limit > MaxListLimit:
		return AttemptPage{}, fmt.Errorf("store: list attempts: limit %d: want 1..%d: %w", f.Limit, MaxListLimit, ErrInvalid)
	case f.Limit == 0:
		f.Limit = defaultListLimit
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return AttemptPage{}, fmt.Errorf("store: list attempts: from %s is not before to %s: %w",
			f.From.Format(time.RFC3339), f.To.Format(time.RFC3339), ErrInvalid)
	}
	q := s.r.WithContext(ctx).Where("account_id = ?", f.AccountID)
	if !f.From.IsZero() {
		q = q.Where("started_at >= ?", norm(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("started_at < ?", norm(f.To))
	}
	switch f.State {
	case "":
	case StateOpen, StateFinished:
		q = q.Where("state = ?", f.State)
	default:
		return AttemptPage{}, fmt.Errorf("store: list attempts: state %q: want %q or %q: %w", f.State, StateOpen, StateFinished, ErrInvalid)
	}
	if f.CallID != "" {
		cid, perr := uuid.Parse(f.CallID)
		if perr != nil {
			return AttemptPage{}, fmt.Errorf("store: list attempts: call id %q is not a UUID: %w", f.CallID, ErrInvalid)
		}
		q = q.Where("call_id = ?", cid.String())
	}
	if f.After != "" {
		at, id, perr := parseCursor(f.After)
		if perr != nil {
			return AttemptPage{}, perr
		}
		q = q.Where("(started_at, id) < (?, ?)", at, id) // one index range, like the call report
	}
	rows := make([]Attempt, 0, f.Limit+1)
	if err := q.Order(clause.OrderBy{Columns: []clause.OrderByColumn{
		{Column: clause.Column{Name: "started_at"}, Desc: true},
		{Column: clause.Column{Name: "id"}, Desc: true},
	}}).Limit(f.Limit + 1).Find(&rows).Error; err != nil {
		return AttemptPage{}, fmt.Errorf("store: list attempts of account %d: %w", f.AccountID, err)
	}
	if len(rows) > f.Limit {
		rows = rows[:f.Limit]
		last := rows[len(rows)-1]
		p.Next = encodeCursor(last.StartedAt, last.ID)
	}
	p.Attempts = rows
	return p, nil
}

const cursorVersion = "a1"

// encodeCursor makes an opaque keyset cursor from the last row of a page.
func encodeCursor(t time.Time, id string) string {
	raw := cursorVersion + "|" + strconv.FormatInt(t.UnixMicro(), 10) + "|" + id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// parseCursor is the inverse of encodeCursor. Any other input is ErrInvalid.
func parseCursor(c string) (time.Time, string, error) {
	bad := func(why string) (time.Time, string, error) {
		return time.Time{}, "", fmt.Errorf("store: invalid page cursor (%s): %w", why, ErrInvalid)
	}
	if len(c) > 200 {
		return bad("too long")
	}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return bad("not base64url")
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return bad("unknown format")
	}
	us, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return bad("bad time")
	}
	id, err := uuid.Parse(parts[2])
	if err != nil || id.String() != parts[2] {
		return bad("bad id")
	}
	return time.UnixMicro(us).UTC(), parts[2], nil
}

// Journey is the per-attempt customer journey through the flow (the
// report's "View JSON"): one JSON document per attempt.
type Journey struct {
	AttemptID string          `json:"attempt_id"`
	AccountID int64           `json:"account_id"`
	Steps     json.RawMessage `json:"steps"`
	UpdatedAt time.Time       `json:"updated_at"`
}

// SaveJourney stores (replaces) the journey JSON of an attempt of the
// account. steps must be valid JSON. ErrNotFound if the attempt does not
// exist in that account.
func (s *Store) SaveJourney(ctx context.Context, accountID int64, attemptID string, steps json.RawMessage) (err error) {
	defer s.track("SaveJourney", time.Now(), &err)
	if len(steps) == 0 || !json.Valid(steps) {
		return fmt.Errorf("store: save journey: steps are not valid JSON: %w", ErrInvalid)
	}
	if len(steps) > maxJourneyLen {
		return fmt.Errorf("store: save journey: steps are %d bytes, limit %d: %w", len(steps), maxJourneyLen, ErrInvalid)
	}
	uid, perr := uuid.Parse(attemptID)
	if perr != nil {
		return fmt.Errorf("store: save journey: attempt id %q is not a UUID: %w", attemptID, ErrInvalid)
	}
	attemptID = uid.String()
	// One statement (every call saves its journey): the row is inserted
	// only if the attempt exists in the account.
	t := now()
	pipe := &pipeStep{stmt: saveJourney, args: []any{string(steps), t, attemptID, accountID},
		done: func(n int64, _ *groupTotals) bool { return n > 0 }}
	return s.groupedLazy(ctx, laneKey(attemptID), pipe, func(tx *gorm.DB, _ *groupTotals) error {
		n, err := s.rawExec(tx, saveJourney, string(steps), t, attemptID, accountID)
		if err != nil {
			return fmt.Errorf("store: save journey %s: %w", attemptID, err)
		}
		if n == 0 {
			return fmt.Errorf("store: save journey: attempt %s in account %d: %w", attemptID, accountID, ErrNotFound)
		}
		return nil
	})
}

var saveJourney = raw(`INSERT INTO ` + journeyRow{}.TableName() + ` (attempt_id, account_id, steps, updated_at)
	SELECT id, account_id, ?, ? FROM ` + Attempt{}.TableName() + ` WHERE id = ? AND account_id = ?
	ON CONFLICT (attempt_id) DO UPDATE SET steps = excluded.steps, updated_at = excluded.updated_at`)

// GetJourney returns the journey of an attempt of the account.
func (s *Store) GetJourney(ctx context.Context, accountID int64, attemptID string) (d Journey, err error) {
	defer s.track("GetJourney", time.Now(), &err)
	uid, perr := uuid.Parse(attemptID)
	if perr != nil {
		return Journey{}, fmt.Errorf("store: journey of attempt %q: %w", attemptID, ErrNotFound)
	}
	var j journeyRow
	if err := s.r.WithContext(ctx).Where("account_id = ? AND attempt_id = ?", accountID, uid.String()).Take(&j).Error; err != nil {
		if isNotFound(err) {
			return Journey{}, fmt.Errorf("store: journey of attempt %s in account %d: %w", attemptID, accountID, ErrNotFound)
		}
		return Journey{}, fmt.Errorf("store: get journey %s: %w", attemptID, err)
	}
	return Journey{AttemptID: j.AttemptID, AccountID: j.AccountID, Steps: json.RawMessage(j.Steps), UpdatedAt: j.UpdatedAt}, nil
}
