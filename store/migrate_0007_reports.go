package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0007Reports adds what the reports need (issue 7): the call report's
// filter columns on call_attempts (queue, SMS number, email the flow used),
// the recordings index (one row per stored recording, by recording file name),
// the per-flow daily email report schedules and the per-account report
// catalogue switches. Frozen: do not edit.
func m0007Reports(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type flow struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type callAttempt struct {
		ID        string `gorm:"column:id;primaryKey;size:36"`
		Queue     string `gorm:"column:queue;not null;default:('')"`
		SMSNumber string `gorm:"column:sms_number;not null;default:('')"`
		Email     string `gorm:"column:email;not null;default:('')"`
	}
	type recording struct {
		ID          int64       `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID   int64       `gorm:"column:account_id;not null"`
		Account     account     `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		AttemptID   string      `gorm:"column:attempt_id;size:36;not null"`
		CallAttempt callAttempt `gorm:"foreignKey:AttemptID;references:ID;constraint:OnDelete:CASCADE"`
		CallID      string      `gorm:"column:call_id;size:36;not null"`
		Kind        string      `gorm:"column:kind;size:32;not null"`
		Name        string      `gorm:"column:name;not null"`
		Format      string      `gorm:"column:format;size:16;not null"`
		FileName    string      `gorm:"column:file_name;not null"`
		StartedAt   time.Time   `gorm:"column:started_at;not null"`
		DurationMS  int64       `gorm:"column:duration_ms;not null;default:0"`
		CreatedAt   time.Time   `gorm:"column:created_at;not null"`
		PurgedAt    *time.Time  `gorm:"column:purged_at"`
	}
	type emailReport struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		FlowID    int64     `gorm:"column:flow_id;not null"`
		Flow      flow      `gorm:"foreignKey:FlowID;references:ID;constraint:OnDelete:CASCADE"`
		To        string    `gorm:"column:to_addrs;type:text;not null"`
		CC        string    `gorm:"column:cc_addrs;type:text;not null;default:('')"`
		BCC       string    `gorm:"column:bcc_addrs;type:text;not null;default:('')"`
		LastDay   string    `gorm:"column:last_day;size:10;not null;default:('')"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type accountReport struct {
		AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Report    string    `gorm:"column:report;primaryKey;size:32"`
		EnabledAt time.Time `gorm:"column:enabled_at;not null"`
	}
	for _, f := range []string{"Queue", "SMSNumber", "Email"} {
		if err := tx.Migrator().AddColumn(&callAttempt{}, f); err != nil {
			return fmt.Errorf("0007_reports: add call_attempts.%s: %w", f, err)
		}
	}
	for _, t := range []any{&recording{}, &emailReport{}, &accountReport{}} {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("0007_reports: create table %T: %w", t, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_recordings_account_started ON recordings (account_id, started_at)`,
		`CREATE INDEX ix_recordings_attempt ON recordings (attempt_id)`,
		// Retention purge: only recordings still stored.
		`CREATE INDEX ix_recordings_live ON recordings (started_at) WHERE purged_at IS NULL`,
		`CREATE UNIQUE INDEX ux_email_reports_account_flow ON email_reports (account_id, flow_id)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0007_reports: %s: %w", q, err)
		}
	}
	return nil
}
