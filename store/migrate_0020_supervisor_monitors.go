package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0020SupervisorMonitors adds the audit of supervisors listening to,
// whispering to or barging into agents' calls: who (the user or key),
// whom (the agent, the customer's call), the mode, the phone the
// supervisor was called on, when it started and ended and why. Frozen:
// do not edit.
func m0020SupervisorMonitors(tx *gorm.DB) error {
	type supervisorMonitor struct {
		ID           string     `gorm:"column:id;primaryKey;size:64"`
		AccountID    int64      `gorm:"column:account_id;not null"`
		AgentID      int64      `gorm:"column:agent_id;not null"`
		PhoneAgentID int64      `gorm:"column:phone_agent_id;not null"`
		Mode         string     `gorm:"column:mode;size:16;not null"`
		ByUserID     int64      `gorm:"column:by_user_id;not null"`
		ByKeyID      int64      `gorm:"column:by_key_id;not null"`
		By           string     `gorm:"column:by_name;size:254;not null"`
		CallID       string     `gorm:"column:call_id;size:128;not null"`
		StartedAt    time.Time  `gorm:"column:started_at;not null"`
		EndedAt      *time.Time `gorm:"column:ended_at"`
		EndReason    string     `gorm:"column:end_reason;size:32;not null"`
	}
	if err := tx.Migrator().CreateTable(&supervisorMonitor{}); err != nil {
		return fmt.Errorf("0020_supervisor_monitors: create table: %w", err)
	}
	if err := tx.Exec(`CREATE INDEX ix_supervisor_monitors_account_started ON supervisor_monitors (account_id, started_at)`).Error; err != nil {
		return fmt.Errorf("0020_supervisor_monitors: index: %w", err)
	}
	return nil
}
