package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0022Prompts adds the audio Switchyard serves to Asterisk and the
// accounts' prompt library. media_blobs keeps audio by the SHA-256 of its
// bytes (the same bytes are kept once, whoever published them), so every
// node sharing the database can serve it. prompts are an account's named
// recordings (name unique per account) with their tags, their approval
// status (pending, approved, rejected with a reason) and the hash of their
// audio. Frozen: do not edit.
func m0022Prompts(tx *gorm.DB) error {
	type mediaBlob struct {
		Hash      string    `gorm:"column:hash;primaryKey;size:64"`
		AccountID int64     `gorm:"column:account_id;not null"`
		SizeBytes int64     `gorm:"column:size_bytes;not null"`
		Data      []byte    `gorm:"column:data;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	type prompt struct {
		ID             int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID      int64      `gorm:"column:account_id;not null"`
		Name           string     `gorm:"column:name;size:64;not null"`
		Tags           string     `gorm:"column:tags;size:1024;not null"`
		Status         string     `gorm:"column:status;size:16;not null"`
		DecisionReason string     `gorm:"column:decision_reason;size:1024;not null"`
		MediaHash      string     `gorm:"column:media_hash;size:64;not null"`
		DurationMS     int64      `gorm:"column:duration_ms;not null"`
		Source         string     `gorm:"column:source;size:16;not null"`
		FileName       string     `gorm:"column:file_name;size:255;not null"`
		CreatedBy      string     `gorm:"column:created_by;size:254;not null"`
		CreatedAt      time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt      time.Time  `gorm:"column:updated_at;not null"`
		DecidedBy      string     `gorm:"column:decided_by;size:254;not null"`
		DecidedAt      *time.Time `gorm:"column:decided_at"`
	}
	if err := tx.Migrator().CreateTable(&mediaBlob{}); err != nil {
		return fmt.Errorf("0022_prompts: create media_blobs: %w", err)
	}
	if err := tx.Migrator().CreateTable(&prompt{}); err != nil {
		return fmt.Errorf("0022_prompts: create prompts: %w", err)
	}
	for _, q := range []string{
		`CREATE UNIQUE INDEX ux_prompts_account_name ON prompts (account_id, name)`,
		`CREATE INDEX ix_prompts_status ON prompts (status, created_at)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0022_prompts: %w", err)
		}
	}
	return nil
}
