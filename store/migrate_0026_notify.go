package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0026Notify adds Emergency Notification: the account's address book
// (contacts with a name, up to ten emails and a phone), its labels (named
// groups of contacts, unique per account), and the notifications sent to
// labels with one delivery row per recipient and channel, written before
// anything is sent so that sending resumes after a restart. Frozen: do not
// edit.
func m0026Notify(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type contact struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name      string    `gorm:"column:name;size:128;not null"`
		Phone     string    `gorm:"column:phone;size:20;not null"`
		Emails    string    `gorm:"column:emails;type:text;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type label struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name      string    `gorm:"column:name;size:64;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	type labelMember struct {
		LabelID   int64   `gorm:"column:label_id;primaryKey;autoIncrement:false"`
		Label     label   `gorm:"foreignKey:LabelID;references:ID;constraint:OnDelete:CASCADE"`
		ContactID int64   `gorm:"column:contact_id;primaryKey;autoIncrement:false"`
		Contact   contact `gorm:"foreignKey:ContactID;references:ID;constraint:OnDelete:CASCADE"`
	}
	type notification struct {
		ID           int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID    int64      `gorm:"column:account_id;not null"`
		Account      account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		FlowID       int64      `gorm:"column:flow_id;not null"`
		FlowName     string     `gorm:"column:flow_name;size:255;not null"`
		Channels     string     `gorm:"column:channels;size:64;not null"`
		Labels       string     `gorm:"column:labels;type:text;not null"`
		Params       string     `gorm:"column:params;type:text;not null"`
		SMSText      string     `gorm:"column:sms_text;type:text;not null"`
		EmailSubject string     `gorm:"column:email_subject;type:text;not null"`
		EmailText    string     `gorm:"column:email_text;type:text;not null"`
		Status       string     `gorm:"column:status;size:16;not null"`
		CreatedBy    string     `gorm:"column:created_by;size:254;not null"`
		CreatedAt    time.Time  `gorm:"column:created_at;not null"`
		FinishedAt   *time.Time `gorm:"column:finished_at"`
	}
	type delivery struct {
		ID             int64        `gorm:"column:id;primaryKey;autoIncrement"`
		NotificationID int64        `gorm:"column:notification_id;not null"`
		Notification   notification `gorm:"foreignKey:NotificationID;references:ID;constraint:OnDelete:CASCADE"`
		AccountID      int64        `gorm:"column:account_id;not null"`
		ContactID      int64        `gorm:"column:contact_id;not null"`
		ContactName    string       `gorm:"column:contact_name;size:128;not null"`
		Channel        string       `gorm:"column:channel;size:8;not null"`
		Destination    string       `gorm:"column:destination;type:text;not null"`
		Status         string       `gorm:"column:status;size:16;not null"`
		Reason         string       `gorm:"column:reason;type:text;not null"`
		Claim          string       `gorm:"column:claim;size:64;not null"`
		MessageID      int64        `gorm:"column:message_id;not null"`
		RequestID      string       `gorm:"column:request_id;size:64;not null"`
		UpdatedAt      time.Time    `gorm:"column:updated_at;not null"`
	}
	for _, t := range []struct {
		name  string
		model any
	}{{"contacts", &contact{}}, {"labels", &label{}}, {"label_members", &labelMember{}},
		{"notifications", &notification{}}, {"notification_deliveries", &delivery{}}} {
		if err := tx.Table(t.name).Migrator().CreateTable(t.model); err != nil {
			return fmt.Errorf("0026_notify: create table: %w", err)
		}
	}
	for _, ddl := range []string{
		`CREATE INDEX ix_contacts_account_name_phone ON contacts (account_id, name, phone)`,
		`CREATE UNIQUE INDEX ux_labels_account_name ON labels (account_id, name)`,
		`CREATE INDEX ix_label_members_contact ON label_members (contact_id)`,
		`CREATE INDEX ix_notifications_account ON notifications (account_id, id)`,
		`CREATE INDEX ix_notification_deliveries_notification ON notification_deliveries (notification_id, id)`,
		`CREATE INDEX ix_notification_deliveries_pending ON notification_deliveries (status, account_id, id)`,
		`CREATE INDEX ix_notification_deliveries_message ON notification_deliveries (channel, message_id)`,
	} {
		if err := tx.Exec(ddl).Error; err != nil {
			return fmt.Errorf("0026_notify: index: %w", err)
		}
	}
	return nil
}
