package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0016TransactionalFlows adds transactional messaging: the operator's
// switch on an account (and when the account last asked for it), the
// flow's transactional mark, and the operator's approval of each version
// of a transactional flow (who submitted it, the decision, by whom, when
// and why). Versions published before have no approval (they went live
// as before). Frozen: do not edit.
func m0016TransactionalFlows(tx *gorm.DB) error {
	type account struct {
		TransactionalMessaging   bool       `gorm:"column:transactional_messaging;not null;default:false"`
		TransactionalRequestedAt *time.Time `gorm:"column:transactional_requested_at"`
	}
	for _, c := range []string{"TransactionalMessaging", "TransactionalRequestedAt"} {
		if err := tx.Migrator().AddColumn(&account{}, c); err != nil {
			return fmt.Errorf("0016_transactional_flows: add accounts.%s: %w", c, err)
		}
	}
	type flow struct {
		Transactional bool `gorm:"column:transactional;not null;default:false"`
	}
	if err := tx.Migrator().AddColumn(&flow{}, "Transactional"); err != nil {
		return fmt.Errorf("0016_transactional_flows: add flows.transactional: %w", err)
	}
	type flowVersion struct {
		Approval       string     `gorm:"column:approval;size:16;not null;default:('')"`
		SubmittedBy    string     `gorm:"column:submitted_by;size:254;not null;default:('')"`
		DecidedBy      string     `gorm:"column:decided_by;size:254;not null;default:('')"`
		DecidedAt      *time.Time `gorm:"column:decided_at"`
		DecisionReason string     `gorm:"column:decision_reason;size:1000;not null;default:('')"`
	}
	for _, c := range []string{"Approval", "SubmittedBy", "DecidedBy", "DecidedAt", "DecisionReason"} {
		if err := tx.Migrator().AddColumn(&flowVersion{}, c); err != nil {
			return fmt.Errorf("0016_transactional_flows: add flow_versions.%s: %w", c, err)
		}
	}
	if err := tx.Exec(`CREATE INDEX ix_flow_versions_approval ON flow_versions (approval)`).Error; err != nil {
		return fmt.Errorf("0016_transactional_flows: index: %w", err)
	}
	return nil
}
