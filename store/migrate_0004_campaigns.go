package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0004Campaigns creates the dialer's campaigns table and adds the per-record
// dialing state to call_list_records: when the next attempt is due, the
// lease (owner node + expiry) of a record being dialed, and the call status
// of the last attempt. Frozen: do not edit.
func m0004Campaigns(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type campaign struct {
		ID                  int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID           int64      `gorm:"column:account_id;not null"`
		Account             account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Type                string     `gorm:"column:type;size:16;not null"`
		Mode                string     `gorm:"column:mode;size:16;not null"`
		Name                string     `gorm:"column:name;not null"`
		Recipients          string     `gorm:"column:recipients;type:text;not null"`
		CallerID            string     `gorm:"column:caller_id;not null;default:('')"`
		EndpointTemplate    string     `gorm:"column:endpoint_template;not null;default:('')"`
		SimultaneousCalls   int        `gorm:"column:simultaneous_calls;not null"`
		DialAttempts        int        `gorm:"column:dial_attempts;not null"`
		DialTimeoutMS       int        `gorm:"column:dial_timeout_ms;not null;default:0"`
		OnlyWhenFreeMembers bool       `gorm:"column:only_when_free_members;not null;default:false"`
		Queue               string     `gorm:"column:queue;not null;default:('')"`
		DialToExtension     string     `gorm:"column:dial_to_extension;not null;default:('')"`
		Multiplier          float64    `gorm:"column:multiplier;not null;default:0"`
		RetryIntervalSec    int        `gorm:"column:retry_interval_sec;not null;default:0"`
		WindowStartMinute   int        `gorm:"column:window_start_minute;not null;default:0"`
		WindowEndMinute     int        `gorm:"column:window_end_minute;not null;default:0"`
		CallsPerSecond      float64    `gorm:"column:calls_per_second;not null;default:0"`
		FlowID              string     `gorm:"column:flow_id;size:64;not null;default:('')"`
		Status              string     `gorm:"column:status;size:16;not null"`
		StartedAt           *time.Time `gorm:"column:started_at"`
		EndedAt             *time.Time `gorm:"column:ended_at"`
		CreatedAt           time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt           time.Time  `gorm:"column:updated_at;not null"`
	}
	// The new record columns (the table exists since 0003).
	type callListRecord struct {
		NextAttemptAt *time.Time `gorm:"column:next_attempt_at"`
		LeaseOwner    string     `gorm:"column:lease_owner;size:128;not null;default:('')"`
		LeaseUntil    *time.Time `gorm:"column:lease_until"`
		LastStatus    string     `gorm:"column:last_status;size:32;not null;default:('')"`
	}
	if err := tx.Migrator().CreateTable(&campaign{}); err != nil {
		return fmt.Errorf("0004_campaigns: create table campaigns: %w", err)
	}
	for _, f := range []string{"NextAttemptAt", "LeaseOwner", "LeaseUntil", "LastStatus"} {
		if err := tx.Migrator().AddColumn(&callListRecord{}, f); err != nil {
			return fmt.Errorf("0004_campaigns: add call_list_records.%s: %w", f, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_campaigns_account_created ON campaigns (account_id, created_at)`,
		`CREATE INDEX ix_campaigns_status ON campaigns (status)`,
		// Claiming: a campaign's records by request and status.
		`CREATE INDEX ix_call_list_records_claim ON call_list_records (request_id, status, next_attempt_at)`,
		// Lease expiry sweep: only records being dialed.
		`CREATE INDEX ix_call_list_records_lease ON call_list_records (lease_until) WHERE status = 'IN_PROCESS'`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0004_campaigns: %s: %w", q, err)
		}
	}
	return nil
}
