package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Recording kinds (the "Recording Type" of the call recording format).
const (
	RecordingCall          = "call"
	RecordingPlayAndRecord = "play_and_record"
	RecordingRecord        = "record"
	RecordingAgent         = "agent"
	RecordingQueue         = "queue"
)

// Recording is one stored recording of an attempt.
type Recording struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64  `gorm:"column:account_id" json:"account_id"`
	AttemptID string `gorm:"column:attempt_id" json:"attempt_id"`
	CallID    string `gorm:"column:call_id" json:"call_id"`
	Kind      string `gorm:"column:kind" json:"kind"`
	// Name is the recording's name in Asterisk (ARI stored recording name,
	// or the spool file without extension).
	Name   string `gorm:"column:name" json:"name"`
	Format string `gorm:"column:format" json:"format"`
	// FileName is the download name in the call recording format
	// (call_<account_id>_<flow_id>_<CLI>_<DNIS>_<start ms>, ...), with
	// extension.
	FileName   string     `gorm:"column:file_name" json:"file_name"`
	StartedAt  time.Time  `gorm:"column:started_at" json:"started_at"`
	DurationMS int64      `gorm:"column:duration_ms" json:"duration_ms"`
	CreatedAt  time.Time  `gorm:"column:created_at" json:"created_at"`
	PurgedAt   *time.Time `gorm:"column:purged_at" json:"purged_at,omitempty"`
}

func (Recording) TableName() string { return "recordings" }

func validRecordingName(field, v string) error {
	if v == "" {
		return fmt.Errorf("store: recording %s is empty: %w", field, ErrInvalid)
	}
	if strings.Contains(v, "..") || strings.ContainsAny(v, "\\\x00\r\n") || strings.HasPrefix(v, "/") {
		return fmt.Errorf("store: recording %s %q: no '..', leading '/', backslash or control characters: %w", field, v, ErrInvalid)
	}
	return checkLen("recording "+field, v, maxShort)
}

// AddRecording indexes a recording of an attempt of the account (the
// attempt's call id is filled in here). ErrNotFound if the attempt is not
// the account's.
func (s *Store) AddRecording(ctx context.Context, r Recording) (out Recording, err error) {
	defer s.track("AddRecording", time.Now(), &err)
	switch r.Kind {
	case RecordingCall, RecordingPlayAndRecord, RecordingRecord, RecordingAgent, RecordingQueue:
	default:
		return Recording{}, fmt.Errorf("store: recording kind %q (want call, play_and_record, record, agent or queue): %w", r.Kind, ErrInvalid)
	}
	if err := validRecordingName("name", r.Name); err != nil {
		return Recording{}, err
	}
	if err := validRecordingName("file name", r.FileName); err != nil {
		return Recording{}, err
	}
	if strings.Contains(r.FileName, "/") {
		return Recording{}, fmt.Errorf("store: recording file name %q contains '/': %w", r.FileName, ErrInvalid)
	}
	if r.Format == "" || len(r.Format) > 16 || strings.ContainsAny(r.Format, "/.\\") {
		return Recording{}, fmt.Errorf("store: recording format %q: %w", r.Format, ErrInvalid)
	}
	a, err := s.GetAttempt(ctx, r.AccountID, r.AttemptID)
	if err != nil {
		return Recording{}, err
	}
	r.ID, r.AttemptID, r.CallID, r.PurgedAt = 0, a.ID, a.CallID, nil
	if r.StartedAt.IsZero() {
		r.StartedAt = a.StartedAt
	}
	r.StartedAt, r.CreatedAt = norm(r.StartedAt), now()
	if err := s.w.WithContext(ctx).Create(&r).Error; err != nil {
		return Recording{}, fmt.Errorf("store: add recording %s: %w", r.Name, err)
	}
	return r, nil
}

// GetRecording returns a recording of the account.
func (s *Store) GetRecording(ctx context.Context, accountID, id int64) (r Recording, err error) {
	defer s.track("GetRecording", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return Recording{}, fmt.Errorf("store: recording %d: %w", id, ErrNotFound)
		}
		return Recording{}, fmt.Errorf("store: get recording %d: %w", id, err)
	}
	fixRecording(&r)
	return r, nil
}

func fixRecording(r *Recording) {
	r.StartedAt, r.CreatedAt, r.PurgedAt = r.StartedAt.UTC(), r.CreatedAt.UTC(), utcPtr(r.PurgedAt)
}

// ListAttemptRecordings lists the recordings of an attempt of the account,
// oldest first.
func (s *Store) ListAttemptRecordings(ctx context.Context, accountID int64, attemptID string) (rs []Recording, err error) {
	defer s.track("ListAttemptRecordings", time.Now(), &err)
	if _, err := s.GetAttempt(ctx, accountID, attemptID); err != nil {
		return nil, err
	}
	id, _ := parseID("attempt id", attemptID)
	rs = []Recording{}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND attempt_id = ?", accountID, id).Order("started_at, id").Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: list recordings of attempt %s: %w", id, err)
	}
	for i := range rs {
		fixRecording(&rs[i])
	}
	return rs, nil
}

// EachRecording calls fn for every recording (purged ones included: the
// caller decides) of the attempts matching the call report filter, in
// attempt order, streaming.
func (s *Store) EachRecording(ctx context.Context, f CallReportFilter, fn func(Recording) error) (err error) {
	defer s.track("EachRecording", time.Now(), &err)
	ctx, cancel := s.reportCtx(ctx)
	defer cancel()
	f.Limit = 1
	if err := f.validate(); err != nil {
		return err
	}
	var b sqlArgs
	f.conds(&b)
	q := `SELECT rec.id, rec.account_id, rec.attempt_id, rec.call_id, rec.kind, rec.name, rec.format, rec.file_name, rec.started_at, rec.duration_ms, rec.created_at, rec.purged_at` +
		reportFrom + ` JOIN recordings rec ON rec.attempt_id = a.id AND rec.account_id = a.account_id` +
		b.clause() + ` ORDER BY a.started_at, a.id, rec.started_at, rec.id`
	rows, err := s.rep.WithContext(ctx).Raw(q, b.args...).Rows()
	if err != nil {
		return fmt.Errorf("store: recordings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Recording
		if err := rows.Scan(&r.ID, &r.AccountID, &r.AttemptID, &r.CallID, &r.Kind, &r.Name, &r.Format, &r.FileName, &r.StartedAt, &r.DurationMS, &r.CreatedAt, &r.PurgedAt); err != nil {
			return fmt.Errorf("store: recordings: %w", err)
		}
		fixRecording(&r)
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: recordings: %w", err)
	}
	return nil
}

// ListRecordingsToPurge returns up to limit stored (not yet purged)
// recordings, of every account, that started before cutoff, oldest first:
// the retention job's work list (system-level).
func (s *Store) ListRecordingsToPurge(ctx context.Context, cutoff time.Time, limit int) (rs []Recording, err error) {
	defer s.track("ListRecordingsToPurge", time.Now(), &err)
	if limit <= 0 || limit > MaxListLimit {
		return nil, fmt.Errorf("store: recordings to purge: limit %d: want 1..%d: %w", limit, MaxListLimit, ErrInvalid)
	}
	rs = []Recording{}
	if err := s.r.WithContext(ctx).Where("purged_at IS NULL AND started_at < ?", norm(cutoff)).
		Order("started_at, id").Limit(limit).Find(&rs).Error; err != nil {
		return nil, fmt.Errorf("store: recordings to purge: %w", err)
	}
	for i := range rs {
		fixRecording(&rs[i])
	}
	return rs, nil
}

// MarkRecordingPurged records that a recording's file was deleted.
func (s *Store) MarkRecordingPurged(ctx context.Context, id int64, at time.Time) (err error) {
	defer s.track("MarkRecordingPurged", time.Now(), &err)
	res := s.w.WithContext(ctx).Model(&Recording{}).Where("id = ? AND purged_at IS NULL", id).Update("purged_at", norm(at))
	if res.Error != nil {
		return fmt.Errorf("store: mark recording %d purged: %w", id, res.Error)
	}
	return nil
}

// GetRecordingByName returns the latest recording indexed under the
// Asterisk name (any account: a signed recording link names the recording,
// not the account). ErrNotFound when none is (yet: a recording is indexed
// when its call ends).
func (s *Store) GetRecordingByName(ctx context.Context, name string) (r Recording, err error) {
	defer s.track("GetRecordingByName", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("name = ?", name).Order("id DESC").Limit(1).Take(&r).Error; err != nil {
		if isNotFound(err) {
			return Recording{}, fmt.Errorf("store: recording %q: %w", name, ErrNotFound)
		}
		return Recording{}, fmt.Errorf("store: get recording %q: %w", name, err)
	}
	fixRecording(&r)
	return r, nil
}
