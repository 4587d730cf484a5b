package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0019AgentDesk links agents to the console users who work as them in the
// agent desk (one agent per user; the link goes when the user is deleted)
// and lets an agent be paused automatically after a missed ring. Frozen:
// do not edit.
func m0019AgentDesk(tx *gorm.DB) error {
	for _, q := range []string{
		`ALTER TABLE agents ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE SET NULL`,
		`ALTER TABLE agents ADD COLUMN auto_pause_missed BOOLEAN NOT NULL DEFAULT false`,
		`CREATE UNIQUE INDEX ux_agents_user ON agents (user_id)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0019_agent_desk: %s: %w", q, err)
		}
	}
	return nil
}
