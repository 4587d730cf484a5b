package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0017LoginFailures adds the failed-login counters every node shares, so
// that the lockout of an email holds across all the nodes behind a load
// balancer: one row per email and account tried (account 0: none named),
// with the number of failures and the time of the last one. Rows whose
// last failure is older than the lockout window count as none and are
// pruned. Frozen: do not edit.
func m0017LoginFailures(tx *gorm.DB) error {
	type loginFailure struct {
		Email         string    `gorm:"column:email;primaryKey;size:254"`
		AccountID     int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		Failures      int       `gorm:"column:failures;not null"`
		LastFailureAt time.Time `gorm:"column:last_failure_at;not null"`
	}
	if err := tx.Migrator().CreateTable(&loginFailure{}); err != nil {
		return fmt.Errorf("0017_login_failures: create table: %w", err)
	}
	if err := tx.Exec(`CREATE INDEX ix_login_failures_last ON login_failures (last_failure_at)`).Error; err != nil {
		return fmt.Errorf("0017_login_failures: index: %w", err)
	}
	return nil
}
