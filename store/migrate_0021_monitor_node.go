package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0021MonitorNode records which node ran each supervisor monitor: a
// monitor lives in one node's memory, so when that node restarts its open
// audit rows are closed by that node alone (other nodes sharing the
// database keep theirs). An index finds a node's open rows. Frozen: do
// not edit.
func m0021MonitorNode(tx *gorm.DB) error {
	for _, q := range []string{
		`ALTER TABLE supervisor_monitors ADD COLUMN node VARCHAR(64) NOT NULL DEFAULT ''`,
		`CREATE INDEX ix_supervisor_monitors_open ON supervisor_monitors (node) WHERE ended_at IS NULL`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0021_monitor_node: %w", err)
		}
	}
	return nil
}
