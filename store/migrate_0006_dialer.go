package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0006Dialer adds the dialer's predictive, safe-harbor and AMD campaign
// settings, marks rescheduled records (so a cancel can end them as
// RESCHEDULED), and creates the per-hour abandon tallies behind the
// rolling 24 h / 30 d abandon rates. Frozen: do not edit.
func m0006Dialer(tx *gorm.DB) error {
	type campaign struct {
		AbandonCapPct   float64 `gorm:"column:abandon_cap_pct;not null;default:0"`
		SafeHarborSound string  `gorm:"column:safe_harbor_sound;not null;default:('')"`
		AMD             bool    `gorm:"column:amd;not null;default:false"`
		MachineAction   string  `gorm:"column:machine_action;size:16;not null;default:('')"`
		MachineFlowID   string  `gorm:"column:machine_flow_id;size:64;not null;default:('')"`
	}
	type callListRecord struct {
		Rescheduled bool `gorm:"column:rescheduled;not null;default:false"`
	}
	type campaignAbandonHour struct {
		CampaignID int64     `gorm:"column:campaign_id;primaryKey;autoIncrement:false"`
		Hour       time.Time `gorm:"column:hour;primaryKey"`
		Answered   int64     `gorm:"column:answered;not null;default:0"`
		Abandoned  int64     `gorm:"column:abandoned;not null;default:0"`
	}
	for _, f := range []string{"AbandonCapPct", "SafeHarborSound", "AMD", "MachineAction", "MachineFlowID"} {
		if err := tx.Migrator().AddColumn(&campaign{}, f); err != nil {
			return fmt.Errorf("0006_dialer: add campaigns.%s: %w", f, err)
		}
	}
	if err := tx.Migrator().AddColumn(&callListRecord{}, "Rescheduled"); err != nil {
		return fmt.Errorf("0006_dialer: add call_list_records.rescheduled: %w", err)
	}
	// No foreign key: the tallies outlive a removed campaign only until
	// the rows age out of the 30-day window; campaign ids are never reused.
	if err := tx.Migrator().CreateTable(&campaignAbandonHour{}); err != nil {
		return fmt.Errorf("0006_dialer: create table campaign_abandon_hours: %w", err)
	}
	return nil
}
