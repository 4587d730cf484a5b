package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0018ClaimIndexes gives each kind of due record the dialer claims an
// index that hands it over in claiming order within an account: retries
// by when they are due, first attempts by start time (those without one
// first, in upload order). A claim then reads about the records it takes,
// not every pending record of the list. The index of pending records by
// start time alone goes: the planner, without statistics of a list just
// uploaded, took it and sorted the whole list for each claim. Frozen: do
// not edit.
func m0018ClaimIndexes(tx *gorm.DB) error {
	for _, q := range []string{
		`CREATE INDEX ix_call_list_records_retry_due ON call_list_records (account_id, next_attempt_at, id)
			WHERE status = 'PENDING' AND next_attempt_at IS NOT NULL`,
		`CREATE INDEX ix_call_list_records_first_due ON call_list_records (account_id, start_time, id)
			WHERE status = 'PENDING' AND next_attempt_at IS NULL`,
		`DROP INDEX ix_call_list_records_due`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0018_claim_indexes: %w", err)
		}
	}
	return nil
}
