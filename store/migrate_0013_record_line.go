package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0013RecordLine keeps each call-list record's line as uploaded (the ADS
// Detailed Report shows "the full recipient line from your recipients
// file"; records imported before have none and the report rebuilds it),
// indexes recordings by name (signed recording links name the
// recording), and adds the secrets table (generated keys shared by every
// node, e.g. the recording links' signing key). Frozen: do not edit.
func m0013RecordLine(tx *gorm.DB) error {
	type secret struct {
		Name      string    `gorm:"column:name;primaryKey;size:64"`
		Value     string    `gorm:"column:value;type:text;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	if err := tx.Migrator().CreateTable(&secret{}); err != nil {
		return fmt.Errorf("0013_record_line: create table secrets: %w", err)
	}
	type callListRecord struct {
		Line string `gorm:"column:line;type:text;not null;default:('')"`
	}
	if err := tx.Migrator().AddColumn(&callListRecord{}, "Line"); err != nil {
		return fmt.Errorf("0013_record_line: add call_list_records.line: %w", err)
	}
	if err := tx.Exec(`CREATE INDEX ix_recordings_name ON recordings (name)`).Error; err != nil {
		return fmt.Errorf("0013_record_line: index recordings by name: %w", err)
	}
	return nil
}
