package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0025Messages adds the messages an account sent by SMS and email: one
// row per message with its channel, recipient, text, delivery status and
// what sent it (a flow, a campaign, a notification), plus the hash of the
// token the SMS gateway's delivery reports must carry. Frozen: do not
// edit.
func m0025Messages(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type message struct {
		ID         int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID  int64     `gorm:"column:account_id;not null"`
		Account    account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Channel    string    `gorm:"column:channel;size:8;not null"`
		Recipient  string    `gorm:"column:recipient;size:2600;not null"`
		Subject    string    `gorm:"column:subject;size:255;not null;default:''"`
		Body       string    `gorm:"column:body;type:text;not null"`
		Status     string    `gorm:"column:status;size:16;not null"`
		Reason     string    `gorm:"column:reason;size:255;not null;default:''"`
		SourceKind string    `gorm:"column:source_kind;size:16;not null;default:''"`
		SourceID   int64     `gorm:"column:source_id;not null;default:0"`
		SourceRef  string    `gorm:"column:source_ref;size:255;not null;default:''"`
		GatewayID  string    `gorm:"column:gateway_id;size:255;not null;default:''"`
		TokenHash  string    `gorm:"column:token_hash;size:64;not null;default:''"`
		CreatedAt  time.Time `gorm:"column:created_at;not null"`
		UpdatedAt  time.Time `gorm:"column:updated_at;not null"`
	}
	if err := tx.Migrator().CreateTable(&message{}); err != nil {
		return fmt.Errorf("0025_messages: create table: %w", err)
	}
	for _, ix := range []string{
		// The log by date, and the report's filters: by recipient and by
		// what sent the message.
		`CREATE INDEX ix_messages_account_created ON messages (account_id, created_at, id)`,
		`CREATE INDEX ix_messages_account_recipient ON messages (account_id, recipient, created_at)`,
		`CREATE INDEX ix_messages_account_source ON messages (account_id, source_kind, source_id, created_at)`,
		// The few messages being sent (failed at start-up when a stopped
		// service left them so).
		`CREATE INDEX ix_messages_sending ON messages (updated_at) WHERE status = 'sending'`,
	} {
		if err := tx.Exec(ix).Error; err != nil {
			return fmt.Errorf("0025_messages: index: %w", err)
		}
	}
	return nil
}
