package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0002Flows creates the flow-engine tables: flows (the editable draft) and
// their immutable published versions, account webhooks, user variables
// ($user.key.*), DID → flow routes and the account's outbound HTTP policy.
// Frozen: do not edit.
func m0002Flows(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type flow struct {
		ID               int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID        int64     `gorm:"column:account_id;not null"`
		Account          account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name             string    `gorm:"column:name;not null"`
		Type             string    `gorm:"column:type;size:32;not null"`
		Draft            string    `gorm:"column:draft;type:text;not null"`
		PublishedVersion int       `gorm:"column:published_version;not null;default:0"`
		CreatedAt        time.Time `gorm:"column:created_at;not null"`
		UpdatedAt        time.Time `gorm:"column:updated_at;not null"`
	}
	type flowVersion struct {
		FlowID      int64     `gorm:"column:flow_id;primaryKey;autoIncrement:false"`
		Flow        flow      `gorm:"foreignKey:FlowID;references:ID;constraint:OnDelete:CASCADE"`
		Version     int       `gorm:"column:version;primaryKey;autoIncrement:false"`
		AccountID   int64     `gorm:"column:account_id;not null"`
		Definition  string    `gorm:"column:definition;type:text;not null"`
		PublishedAt time.Time `gorm:"column:published_at;not null"`
	}
	type webhook struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name      string    `gorm:"column:name;not null"`
		Config    string    `gorm:"column:config;type:text;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type userVariable struct {
		AccountID int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name      string    `gorm:"column:name;primaryKey"`
		Value     string    `gorm:"column:value;type:text;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type didRoute struct {
		DID       string    `gorm:"column:did;primaryKey;size:32"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		FlowID    int64     `gorm:"column:flow_id;not null"`
		Flow      flow      `gorm:"foreignKey:FlowID;references:ID;constraint:OnDelete:CASCADE"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	type accountHTTPPolicy struct {
		AccountID  int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
		Account    account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		AllowHTTP  bool      `gorm:"column:allow_http;not null;default:false"`
		AllowCIDRs string    `gorm:"column:allow_cidrs;type:text;not null;default:('')"`
		UpdatedAt  time.Time `gorm:"column:updated_at;not null"`
	}
	// Parents before children (SQLite needs the foreign keys inline).
	for _, t := range []any{&flow{}, &flowVersion{}, &webhook{}, &userVariable{}, &didRoute{}, &accountHTTPPolicy{}} {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("0002_flows: create table %T: %w", t, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_flows_account ON flows (account_id, id)`,
		`CREATE UNIQUE INDEX ux_webhooks_account_name ON webhooks (account_id, name)`,
		`CREATE INDEX ix_did_routes_account ON did_routes (account_id)`,
		`CREATE INDEX ix_did_routes_flow ON did_routes (flow_id)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0002_flows: %s: %w", q, err)
		}
	}
	return nil
}
