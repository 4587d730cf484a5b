package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0003CallLists creates the call-list tables: requests (one per uploaded
// file / trigger call), their records, the account's white/blacklists and
// DNC entries, and the OTPs that verify whitelisted phone numbers. Frozen:
// do not edit.
func m0003CallLists(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type callListRequest struct {
		ID        string     `gorm:"column:id;primaryKey;size:36"`
		AccountID int64      `gorm:"column:account_id;not null"`
		Account   account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		FlowID    string     `gorm:"column:flow_id;size:64;not null"`
		FlowName  string     `gorm:"column:flow_name;not null;default:('')"`
		FlowType  string     `gorm:"column:flow_type;size:32;not null"`
		Source    string     `gorm:"column:source;size:16;not null"`
		FileName  string     `gorm:"column:file_name;not null;default:('')"`
		Status    string     `gorm:"column:status;size:32;not null"`
		Uploaded  int64      `gorm:"column:uploaded;not null;default:0"`
		Valid     int64      `gorm:"column:valid;not null;default:0"`
		Invalid   int64      `gorm:"column:invalid;not null;default:0"`
		Scrubbed  int64      `gorm:"column:scrubbed;not null;default:0"`
		Added     int64      `gorm:"column:added;not null;default:0"`
		Completed int64      `gorm:"column:completed;not null;default:0"`
		StartTime *time.Time `gorm:"column:start_time"`
		StartedAt *time.Time `gorm:"column:started_at"`
		CreatedAt time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt time.Time  `gorm:"column:updated_at;not null"`
	}
	// No foreign keys on records: a per-row RI check doubles the cost of a
	// bulk COPY. Records are only ever written by ImportCallList, in the
	// same transaction that creates their request, and removed with it
	// (DeleteCallListRequest).
	type callListRecord struct {
		ID                int64      `gorm:"column:id;primaryKey;autoIncrement"`
		RequestID         string     `gorm:"column:request_id;size:36;not null"`
		AccountID         int64      `gorm:"column:account_id;not null"`
		RowNo             int64      `gorm:"column:row_no;not null"`
		ClientIdentifier  string     `gorm:"column:client_identifier;not null;default:('')"`
		PrimaryNumber     string     `gorm:"column:primary_number;not null;default:('')"`
		Numbers           string     `gorm:"column:numbers;type:text;not null;default:('')"`
		Variables         string     `gorm:"column:variables;type:text;not null;default:('{}')"`
		StartTime         *time.Time `gorm:"column:start_time"`
		ScheduleExtension string     `gorm:"column:schedule_extension;not null;default:('')"`
		Status            string     `gorm:"column:status;size:16;not null"`
		Reason            string     `gorm:"column:reason;type:text;not null;default:('')"`
		Attempts          int        `gorm:"column:attempts;not null;default:0"`
		CreatedAt         time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt         time.Time  `gorm:"column:updated_at;not null"`
	}
	type accessListEntry struct {
		ID         int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID  int64      `gorm:"column:account_id;not null"`
		Account    account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		List       string     `gorm:"column:list;size:8;not null"`
		Kind       string     `gorm:"column:kind;size:8;not null"`
		Value      string     `gorm:"column:value;not null"`
		VerifiedAt *time.Time `gorm:"column:verified_at"`
		CreatedAt  time.Time  `gorm:"column:created_at;not null"`
	}
	type dncEntry struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Value     string    `gorm:"column:value;size:32;not null"`
		Prefix    bool      `gorm:"column:prefix;not null;default:false"`
		Source    string    `gorm:"column:source;not null;default:('')"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	type phoneOTP struct {
		AccountID int64     `gorm:"column:account_id;primaryKey"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Phone     string    `gorm:"column:phone;primaryKey;size:32"`
		Salt      string    `gorm:"column:salt;not null"`
		CodeHash  string    `gorm:"column:code_hash;not null"`
		Attempts  int       `gorm:"column:attempts;not null;default:0"`
		ExpiresAt time.Time `gorm:"column:expires_at;not null"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
	}
	for _, t := range []any{&callListRequest{}, &callListRecord{}, &accessListEntry{}, &dncEntry{}, &phoneOTP{}} {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("0003_call_lists: create table %T: %w", t, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_call_list_requests_account_created ON call_list_requests (account_id, created_at)`,
		// Report and detail view in file order; also the ON DELETE CASCADE.
		`CREATE UNIQUE INDEX ux_call_list_records_request_row ON call_list_records (request_id, row_no)`,
		// The dialer picks due records; a partial index stays small.
		`CREATE INDEX ix_call_list_records_due ON call_list_records (start_time) WHERE status = 'PENDING'`,
		`CREATE UNIQUE INDEX ux_access_list_entries ON access_list_entries (account_id, list, kind, value)`,
		`CREATE UNIQUE INDEX ux_dnc_entries ON dnc_entries (account_id, value, prefix)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0003_call_lists: %s: %w", q, err)
		}
	}
	return nil
}
