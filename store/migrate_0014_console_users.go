package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0014ConsoleUsers adds what logging into the web console needs: users
// can be disabled; operators (the level above accounts, with no account of
// their own); login sessions and single-use tokens (password reset,
// invitation), both stored only as hashes; and API keys with a role,
// optionally bound to a user. Keys made before roles existed keep the
// access they had: role admin. Frozen: do not edit.
func m0014ConsoleUsers(tx *gorm.DB) error {
	type user struct {
		ID         int64      `gorm:"column:id;primaryKey;autoIncrement"`
		DisabledAt *time.Time `gorm:"column:disabled_at"`
	}
	if err := tx.Migrator().AddColumn(&user{}, "DisabledAt"); err != nil {
		return fmt.Errorf("0014_console_users: add users.disabled_at: %w", err)
	}
	type operator struct {
		ID           int64      `gorm:"column:id;primaryKey;autoIncrement"`
		Email        string     `gorm:"column:email;not null"`
		Name         string     `gorm:"column:name;not null;default:('')"`
		PasswordHash *string    `gorm:"column:password_hash"`
		CreatedAt    time.Time  `gorm:"column:created_at;not null"`
		DisabledAt   *time.Time `gorm:"column:disabled_at"`
	}
	type session struct {
		Hash       string    `gorm:"column:hash;primaryKey;size:64"`
		UserID     *int64    `gorm:"column:user_id"`
		User       *user     `gorm:"foreignKey:UserID;references:ID;constraint:OnDelete:CASCADE"`
		OperatorID *int64    `gorm:"column:operator_id"`
		Operator   *operator `gorm:"foreignKey:OperatorID;references:ID;constraint:OnDelete:CASCADE"`
		CreatedAt  time.Time `gorm:"column:created_at;not null"`
		LastSeenAt time.Time `gorm:"column:last_seen_at;not null"`
		ExpiresAt  time.Time `gorm:"column:expires_at;not null"`
	}
	type authToken struct {
		Hash       string     `gorm:"column:hash;primaryKey;size:64"`
		Kind       string     `gorm:"column:kind;not null"`
		UserID     *int64     `gorm:"column:user_id"`
		User       *user      `gorm:"foreignKey:UserID;references:ID;constraint:OnDelete:CASCADE"`
		OperatorID *int64     `gorm:"column:operator_id"`
		Operator   *operator  `gorm:"foreignKey:OperatorID;references:ID;constraint:OnDelete:CASCADE"`
		CreatedAt  time.Time  `gorm:"column:created_at;not null"`
		ExpiresAt  time.Time  `gorm:"column:expires_at;not null"`
		UsedAt     *time.Time `gorm:"column:used_at"`
	}
	for _, t := range []any{&operator{}, &session{}, &authToken{}} {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("0014_console_users: create table %T: %w", t, err)
		}
	}
	for _, q := range []string{
		`ALTER TABLE api_keys ADD COLUMN role VARCHAR(20) NOT NULL DEFAULT 'admin'`,
		`ALTER TABLE api_keys ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE`,
		`CREATE INDEX ix_api_keys_user ON api_keys (user_id)`,
		`CREATE UNIQUE INDEX ux_operators_email ON operators (email)`,
		`CREATE INDEX ix_users_email ON users (email)`,
		`CREATE INDEX ix_sessions_user ON sessions (user_id)`,
		`CREATE INDEX ix_sessions_operator ON sessions (operator_id)`,
		`CREATE INDEX ix_sessions_expires ON sessions (expires_at)`,
		`CREATE INDEX ix_auth_tokens_user ON auth_tokens (user_id)`,
		`CREATE INDEX ix_auth_tokens_operator ON auth_tokens (operator_id)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0014_console_users: %s: %w", q, err)
		}
	}
	return nil
}
