package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0024Grammars adds the accounts' grammars: a named JSON document per
// account that says numbers, digits, alphabets, dates and times from
// prompt segments in a language (the sample grammar is shipped with the
// code, not stored). Frozen: do not edit.
func m0024Grammars(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type grammar struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name      string    `gorm:"column:name;size:64;not null"`
		Language  string    `gorm:"column:language;size:35;not null"`
		Document  string    `gorm:"column:document;type:text;not null"`
		CreatedBy string    `gorm:"column:created_by;size:254;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	if err := tx.Migrator().CreateTable(&grammar{}); err != nil {
		return fmt.Errorf("0024_grammars: create table: %w", err)
	}
	if err := tx.Exec(`CREATE UNIQUE INDEX ux_grammars_account_name ON grammars (account_id, name)`).Error; err != nil {
		return fmt.Errorf("0024_grammars: index: %w", err)
	}
	return nil
}
