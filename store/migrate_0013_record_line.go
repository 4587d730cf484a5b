package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0013RecordLine keeps each call-list record's line as uploaded (the ADS
// Detailed Report shows "the full recipient line from your recipients
// file"; records imported before have none and the report rebuilds it),
// and indexes recordings by name (signed recording links name the
// recording). Frozen: do not edit.
func m0013RecordLine(tx *gorm.DB) error {
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
