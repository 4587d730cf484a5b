package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Prompt statuses: an uploaded or recorded prompt waits for the
// operator's decision; only approved prompts play in published flows.
const (
	PromptPending  = "pending"
	PromptApproved = "approved"
	PromptRejected = "rejected"
)

// Prompt is one recording in an account's prompt library.
type Prompt struct {
	ID        int64    `json:"id"`
	AccountID int64    `json:"account_id"`
	Name      string   `json:"name"`
	Tags      []string `json:"tags"`
	Status    string   `json:"status"`
	// Reason is the operator's reason for a rejection.
	Reason string `json:"reason,omitempty"`
	// MediaHash is the SHA-256 (hex) of the prompt's audio in media_blobs.
	MediaHash  string `json:"media_hash"`
	DurationMS int64  `json:"duration_ms"`
	// Source says how the audio came: upload, browser or phone.
	Source    string     `json:"source"`
	FileName  string     `json:"file_name,omitempty"`
	CreatedBy string     `json:"created_by,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	DecidedBy string     `json:"decided_by,omitempty"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
}

// promptRow is a prompt as stored (tags comma-joined: a tag has no comma).
type promptRow struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	AccountID      int64      `gorm:"column:account_id"`
	Name           string     `gorm:"column:name"`
	Tags           string     `gorm:"column:tags"`
	Status         string     `gorm:"column:status"`
	DecisionReason string     `gorm:"column:decision_reason"`
	MediaHash      string     `gorm:"column:media_hash"`
	DurationMS     int64      `gorm:"column:duration_ms"`
	Source         string     `gorm:"column:source"`
	FileName       string     `gorm:"column:file_name"`
	CreatedBy      string     `gorm:"column:created_by"`
	CreatedAt      time.Time  `gorm:"column:created_at"`
	UpdatedAt      time.Time  `gorm:"column:updated_at"`
	DecidedBy      string     `gorm:"column:decided_by"`
	DecidedAt      *time.Time `gorm:"column:decided_at"`
}

func (promptRow) TableName() string { return "prompts" }

func (r promptRow) prompt() Prompt {
	p := Prompt{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Tags: []string{}, Status: r.Status, Reason: r.DecisionReason,
		MediaHash: r.MediaHash, DurationMS: r.DurationMS, Source: r.Source, FileName: r.FileName, CreatedBy: r.CreatedBy,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), DecidedBy: r.DecidedBy}
	if r.Tags != "" {
		p.Tags = strings.Split(r.Tags, ",")
	}
	if r.DecidedAt != nil {
		t := r.DecidedAt.UTC()
		p.DecidedAt = &t
	}
	return p
}

// mediaBlobRow is audio kept by the SHA-256 of its bytes.
type mediaBlobRow struct {
	Hash      string    `gorm:"column:hash;primaryKey"`
	AccountID int64     `gorm:"column:account_id"`
	SizeBytes int64     `gorm:"column:size_bytes"`
	Data      []byte    `gorm:"column:data"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (mediaBlobRow) TableName() string { return "media_blobs" }

func checkHash(h string) error {
	if len(h) != 64 {
		return ErrInvalid.New("", "media hash must be 64 hex digits")
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ErrInvalid.New("", "media hash must be 64 lower-case hex digits")
		}
	}
	return nil
}

// PutMedia keeps audio under its SHA-256 (hash, lower-case hex, which the
// caller computed from data). Putting the same bytes again changes
// nothing (the first account that published them stays recorded).
func (s *Store) PutMedia(ctx context.Context, accountID int64, hash string, data []byte) (err error) {
	defer s.track("PutMedia", time.Now(), &err)
	return putMedia(s.w.WithContext(ctx), accountID, hash, data)
}

func putMedia(db *gorm.DB, accountID int64, hash string, data []byte) error {
	if err := checkHash(hash); err != nil {
		return err
	}
	if len(data) == 0 {
		return ErrInvalid.New("", "media has no bytes")
	}
	row := mediaBlobRow{Hash: hash, AccountID: accountID, SizeBytes: int64(len(data)), Data: data, CreatedAt: now()}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return fmt.Errorf("store: put media %s: %w", hash, err)
	}
	return nil
}

// GetMedia returns the audio kept under hash (ErrNotFound when none).
func (s *Store) GetMedia(ctx context.Context, hash string) (data []byte, err error) {
	defer s.track("GetMedia", time.Now(), &err)
	if err := checkHash(hash); err != nil {
		return nil, fmt.Errorf("store: media %q: %w", hash, ErrNotFound)
	}
	var row mediaBlobRow
	if err := s.r.WithContext(ctx).Where("hash = ?", hash).Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, ErrNotFound.New("", "no media %s", hash)
		}
		return nil, fmt.Errorf("store: media %s: %w", hash, err)
	}
	return row.Data, nil
}

func (p *Prompt) check() error {
	if p.AccountID <= 0 || p.Name == "" || p.MediaHash == "" || p.Source == "" {
		return ErrInvalid.New("", "prompt: account, name, audio and source are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"prompt name", p.Name, 64}, {"prompt tags", strings.Join(p.Tags, ","), 1024}, {"prompt source", p.Source, 16},
		{"prompt file name", p.FileName, 255}, {"prompt created by", p.CreatedBy, 254}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	for _, t := range p.Tags {
		if t == "" || strings.Contains(t, ",") {
			return ErrInvalid.New("tags", "a tag may not be empty or contain a comma")
		}
	}
	return nil
}

// CreatePrompt stores a new prompt, pending the operator's decision, with
// its audio (kept by hash, see PutMedia). Names are unique per account
// (ErrConflict).
func (s *Store) CreatePrompt(ctx context.Context, p Prompt, audio []byte) (out Prompt, err error) {
	defer s.track("CreatePrompt", time.Now(), &err)
	if err := p.check(); err != nil {
		return Prompt{}, err
	}
	t := now()
	row := promptRow{AccountID: p.AccountID, Name: p.Name, Tags: strings.Join(p.Tags, ","), Status: PromptPending,
		MediaHash: p.MediaHash, DurationMS: p.DurationMS, Source: p.Source, FileName: p.FileName, CreatedBy: p.CreatedBy,
		CreatedAt: t, UpdatedAt: t}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := putMedia(tx, p.AccountID, p.MediaHash, audio); err != nil {
			return err
		}
		return tx.Create(&row).Error
	})
	switch {
	case err == nil:
		return row.prompt(), nil
	case isDuplicate(err):
		return Prompt{}, ErrConflict.New("name", "a prompt named %q already exists in the account", p.Name)
	case isFKViolation(err):
		return Prompt{}, fmt.Errorf("store: prompt account %d: %w", p.AccountID, ErrNotFound)
	}
	return Prompt{}, fmt.Errorf("store: create prompt %q: %w", p.Name, err)
}

// PromptFilter selects prompts: an account's (0: every account, the
// operator's view), by status ("" any).
type PromptFilter struct {
	AccountID int64
	Status    string
}

// ListPrompts lists prompts by name (the operator's list across accounts
// oldest first).
func (s *Store) ListPrompts(ctx context.Context, f PromptFilter) (out []Prompt, err error) {
	defer s.track("ListPrompts", time.Now(), &err)
	q := s.r.WithContext(ctx).Model(&promptRow{})
	if f.AccountID > 0 {
		q = q.Where("account_id = ?", f.AccountID).Order("name")
	} else {
		q = q.Order("created_at, id")
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	var rows []promptRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list prompts: %w", err)
	}
	out = make([]Prompt, len(rows))
	for i, r := range rows {
		out[i] = r.prompt()
	}
	return out, nil
}

// GetPrompt returns an account's prompt (accountID 0: any account's, for
// the operator).
func (s *Store) GetPrompt(ctx context.Context, accountID, id int64) (p Prompt, err error) {
	defer s.track("GetPrompt", time.Now(), &err)
	q := s.r.WithContext(ctx).Where("id = ?", id)
	if accountID > 0 {
		q = q.Where("account_id = ?", accountID)
	}
	return takePrompt(q, fmt.Sprintf("prompt %d", id))
}

// GetPromptByName returns the account's prompt called name.
func (s *Store) GetPromptByName(ctx context.Context, accountID int64, name string) (p Prompt, err error) {
	defer s.track("GetPromptByName", time.Now(), &err)
	return takePrompt(s.r.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name), fmt.Sprintf("prompt %q", name))
}

func takePrompt(q *gorm.DB, what string) (Prompt, error) {
	var row promptRow
	if err := q.Take(&row).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return Prompt{}, ErrNotFound.New("", "%s not found", what)
		}
		return Prompt{}, fmt.Errorf("store: %s: %w", what, err)
	}
	return row.prompt(), nil
}

// DecidePrompt records the operator's decision on a pending prompt:
// approved, or rejected with a reason. A prompt already decided is
// ErrConflict (a new recording is a new prompt).
func (s *Store) DecidePrompt(ctx context.Context, id int64, approve bool, by, reason string) (p Prompt, err error) {
	defer s.track("DecidePrompt", time.Now(), &err)
	if err := checkLen("decision reason", reason, 1024); err != nil {
		return Prompt{}, err
	}
	if err := checkLen("decided by", by, 254); err != nil {
		return Prompt{}, err
	}
	status := PromptApproved
	if !approve {
		status = PromptRejected
	}
	t := now()
	res := s.w.WithContext(ctx).Model(&promptRow{}).Where("id = ? AND status = ?", id, PromptPending).
		Updates(map[string]any{"status": status, "decision_reason": reason, "decided_by": by, "decided_at": t, "updated_at": t})
	if res.Error != nil {
		return Prompt{}, fmt.Errorf("store: decide prompt %d: %w", id, res.Error)
	}
	p, err = takePrompt(s.w.WithContext(ctx).Where("id = ?", id), fmt.Sprintf("prompt %d", id))
	if err != nil {
		return Prompt{}, err
	}
	if res.RowsAffected == 0 {
		return Prompt{}, ErrConflict.New("", "prompt %q is already %s", p.Name, p.Status)
	}
	return p, nil
}

// DeletePrompt removes an account's prompt (its audio stays: other
// prompts or text-to-speech may play the same bytes).
func (s *Store) DeletePrompt(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeletePrompt", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&promptRow{})
	if res.Error != nil {
		return fmt.Errorf("store: delete prompt %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound.New("", "prompt %d not found", id)
	}
	return nil
}
