package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// MigrationsTable records applied migration IDs.
const MigrationsTable = "schema_migrations"

// pgMigrateLockKey is the PostgreSQL advisory lock key that serialises
// concurrent Migrate calls from several processes ("switchy" in ASCII).
const pgMigrateLockKey int64 = 0x73776974636879

// migrations is the schema history, in order. Rules for adding one:
//   - append; never edit, reorder or remove an entry that has shipped;
//   - ID is "NNNN_short_name", NNNN one more than the previous;
//   - declare the structs the migration needs INSIDE the migration function
//     with explicit column tags (never the live models in models.go), so a
//     later model change cannot rewrite history;
//   - the SQL must run on both SQLite and PostgreSQL (check s.Driver() via
//     tx.Dialector.Name() when it cannot) — the store suite runs on both.
func migrations() []*gormigrate.Migration {
	return []*gormigrate.Migration{
		{ID: "0001_initial", Migrate: m0001Initial},
		{ID: "0002_flows", Migrate: m0002Flows},
		{ID: "0003_call_lists", Migrate: m0003CallLists},
		{ID: "0004_campaigns", Migrate: m0004Campaigns},
		{ID: "0005_agents", Migrate: m0005Agents},
		{ID: "0006_dialer", Migrate: m0006Dialer},
		{ID: "0007_reports", Migrate: m0007Reports},
		{ID: "0008_campaign_leads", Migrate: m0008CampaignLeads},
		{ID: "0009_http_policy_grants", Migrate: m0009HTTPPolicyGrants},
		{ID: "0010_flow_dialing", Migrate: m0010FlowDialing},
		{ID: "0011_account_country", Migrate: m0011AccountCountry},
		{ID: "0012_call_list_meta", Migrate: m0012CallListMeta},
		{ID: "0013_record_line", Migrate: m0013RecordLine},
		{ID: "0014_console_users", Migrate: m0014ConsoleUsers},
		{ID: "0015_campaign_accountcode", Migrate: m0015CampaignAccountcode},
		{ID: "0016_transactional_flows", Migrate: m0016TransactionalFlows},
		{ID: "0017_login_failures", Migrate: m0017LoginFailures},
		{ID: "0018_claim_indexes", Migrate: m0018ClaimIndexes},
		{ID: "0019_agent_desk", Migrate: m0019AgentDesk},
		{ID: "0020_supervisor_monitors", Migrate: m0020SupervisorMonitors},
		{ID: "0021_monitor_node", Migrate: m0021MonitorNode},
		{ID: "0022_prompts", Migrate: m0022Prompts},
		{ID: "0023_tts", Migrate: m0023TTS},
		{ID: "0024_grammars", Migrate: m0024Grammars},
		{ID: "0025_messages", Migrate: m0025Messages},
		{ID: "0026_notify", Migrate: m0026Notify},
		{ID: "0027_campaign_sms_text", Migrate: m0027CampaignSMSText},
	}
}

// migrations returns the store's migration list (tests may append to it).
func (s *Store) migrations() []*gormigrate.Migration {
	if s.extraMigrations == nil {
		return migrations()
	}
	return append(migrations(), s.extraMigrations...)
}

// MigrationIDs lists the IDs of all migrations this binary knows, in order.
func MigrationIDs() []string {
	var ids []string
	for _, m := range migrations() {
		ids = append(ids, m.ID)
	}
	return ids
}

// Migrate applies all pending migrations in one transaction (DDL is
// transactional on both SQLite and PostgreSQL, so a failure leaves the schema
// untouched). Running it again is a no-op. It fails if the database has
// migrations this binary does not know (it was migrated by a newer version).
// Concurrent Migrate calls from several processes are serialised: on
// PostgreSQL by a transaction-scoped advisory lock, on SQLite by BEGIN
// IMMEDIATE.
//
// On SQLite the migration runs with foreign_keys OFF (the procedure SQLite
// documents for schema changes: a table rebuild — CREATE new, copy, DROP old,
// RENAME — would otherwise cascade-delete the children of the dropped
// table), and PRAGMA foreign_key_check must come back clean before commit.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer s.track("Migrate", time.Now(), &err)
	start := time.Now()
	var applied []string
	run := func(db *gorm.DB) error {
		return db.Transaction(func(tx *gorm.DB) error {
			if s.driver == DriverPostgres {
				if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", pgMigrateLockKey).Error; err != nil {
					return fmt.Errorf("advisory lock: %w", err)
				}
			}
			done := map[string]bool{}
			if tx.Migrator().HasTable(MigrationsTable) {
				var ids []string
				if err := tx.Table(MigrationsTable).Pluck("id", &ids).Error; err != nil {
					return fmt.Errorf("read %s: %w", MigrationsTable, err)
				}
				for _, id := range ids {
					done[id] = true
				}
			}
			m := gormigrate.New(tx, &gormigrate.Options{
				TableName:                 MigrationsTable,
				IDColumnName:              "id",
				IDColumnSize:              255,
				UseTransaction:            false, // we already are in one
				ValidateUnknownMigrations: true,
			}, s.migrations())
			if err := m.Migrate(); err != nil {
				if errors.Is(err, gormigrate.ErrUnknownPastMigration) {
					return fmt.Errorf("the database was migrated by a newer Switchyard (this one knows %v): %w", MigrationIDs(), err)
				}
				return err
			}
			if s.driver == DriverSQLite {
				if err := sqliteForeignKeyCheck(tx); err != nil {
					return err
				}
			}
			for _, mg := range s.migrations() {
				if id := mg.ID; !done[id] {
					applied = append(applied, id)
				}
			}
			return nil
		})
	}

	if s.driver == DriverSQLite {
		err = s.withSQLiteForeignKeysOff(ctx, run)
	} else {
		err = run(s.w.WithContext(ctx))
	}
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	s.log.Info("store migrated", "driver", s.driver, "applied", applied, "elapsed", time.Since(start))
	return nil
}

// withSQLiteForeignKeysOff runs fn on the writer connection with foreign key
// enforcement off (the pragma is a no-op inside a transaction, so it is set
// on the connection first) and turns it back on afterwards. If it cannot be
// turned back on, the connection is discarded so the pool never hands out a
// connection without enforcement.
func (s *Store) withSQLiteForeignKeysOff(ctx context.Context, fn func(*gorm.DB) error) error {
	sqldb, err := s.w.DB()
	if err != nil {
		return err
	}
	conn, err := sqldb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("foreign_keys off: %w", err)
	}
	defer func() {
		// A fresh context: ctx may be cancelled by now.
		bg, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.ExecContext(bg, "PRAGMA foreign_keys = ON"); err != nil {
			s.log.Error("sqlite: could not re-enable foreign keys; discarding the connection", "err", err)
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	db := s.w.WithContext(ctx)
	db.Statement.ConnPool = conn
	return fn(db)
}

// sqliteForeignKeyCheck fails if any row violates a foreign key.
func sqliteForeignKeyCheck(tx *gorm.DB) error {
	rows, err := tx.Raw("PRAGMA foreign_key_check").Rows()
	if err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() && len(problems) < 10 {
		var table, parent string
		var rowid, fkid any
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign_key_check: %w", err)
		}
		problems = append(problems, fmt.Sprintf("%s rowid %v -> %s", table, rowid, parent))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign_key_check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("migration leaves foreign key violations: %v", problems)
	}
	return nil
}

// AppliedMigrations returns the IDs recorded in the migrations table.
func (s *Store) AppliedMigrations(ctx context.Context) (ids []string, err error) {
	defer s.track("AppliedMigrations", time.Now(), &err)
	db := s.r.WithContext(ctx)
	if !db.Migrator().HasTable(MigrationsTable) {
		return nil, nil
	}
	if err := db.Table(MigrationsTable).Order("id").Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: applied migrations: %w", err)
	}
	return ids, nil
}

// m0001Initial creates the multi-tenant base schema. Frozen: do not edit.
//
// The local type names matter: gorm derives the table name of a foreign-key
// target from them (account → accounts, callAttempt → call_attempts).
func m0001Initial(tx *gorm.DB) error {
	type account struct {
		ID         int64      `gorm:"column:id;primaryKey;autoIncrement"`
		Name       string     `gorm:"column:name;not null"`
		Timezone   string     `gorm:"column:timezone;not null;default:('UTC')"`
		CreatedAt  time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt  time.Time  `gorm:"column:updated_at;not null"`
		DisabledAt *time.Time `gorm:"column:disabled_at"`
	}
	type user struct {
		ID           int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID    int64     `gorm:"column:account_id;not null"`
		Account      account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Email        string    `gorm:"column:email;not null"`
		Name         string    `gorm:"column:name;not null;default:('')"`
		Role         string    `gorm:"column:role;not null"`
		PasswordHash *string   `gorm:"column:password_hash"`
		CreatedAt    time.Time `gorm:"column:created_at;not null"`
	}
	type apiKey struct {
		ID         int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID  int64      `gorm:"column:account_id;not null"`
		Account    account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name       string     `gorm:"column:name;not null;default:('')"`
		Prefix     string     `gorm:"column:prefix;not null"`
		Hash       string     `gorm:"column:hash;not null"`
		CreatedAt  time.Time  `gorm:"column:created_at;not null"`
		LastUsedAt *time.Time `gorm:"column:last_used_at"`
		RevokedAt  *time.Time `gorm:"column:revoked_at"`
	}
	type call struct {
		ID               string     `gorm:"column:id;primaryKey;size:36"`
		AccountID        int64      `gorm:"column:account_id;not null"`
		Account          account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Direction        string     `gorm:"column:direction;not null"`
		FlowID           *int64     `gorm:"column:flow_id"`
		RequestID        *string    `gorm:"column:request_id"`
		ClientIdentifier string     `gorm:"column:client_identifier;not null;default:('')"`
		CLI              string     `gorm:"column:cli;not null;default:('')"`
		DNIS             string     `gorm:"column:dnis;not null;default:('')"`
		Status           string     `gorm:"column:status;not null"`
		Attempts         int        `gorm:"column:attempts;not null;default:0"`
		CreatedAt        time.Time  `gorm:"column:created_at;not null"`
		UpdatedAt        time.Time  `gorm:"column:updated_at;not null"`
		FinishedAt       *time.Time `gorm:"column:finished_at"`
	}
	type callAttempt struct {
		ID              string     `gorm:"column:id;primaryKey;size:36"`
		CallID          string     `gorm:"column:call_id;size:36;not null"`
		Call            call       `gorm:"foreignKey:CallID;references:ID;constraint:OnDelete:CASCADE"`
		AccountID       int64      `gorm:"column:account_id;not null"`
		Account         account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		AttemptNumber   int        `gorm:"column:attempt_number;not null"`
		ChannelID       string     `gorm:"column:channel_id;not null"`
		AsteriskNode    string     `gorm:"column:asterisk_node;not null;default:('')"`
		Direction       string     `gorm:"column:direction;not null"`
		CLI             string     `gorm:"column:cli;not null;default:('')"`
		DNIS            string     `gorm:"column:dnis;not null;default:('')"`
		State           string     `gorm:"column:state;not null"`
		Status          string     `gorm:"column:status;not null"`
		HangupCause     int        `gorm:"column:hangup_cause;not null;default:0"`
		HangupCauseText string     `gorm:"column:hangup_cause_text;not null;default:('')"`
		RemoteHangup    bool       `gorm:"column:remote_hangup;not null;default:false"`
		StartedAt       time.Time  `gorm:"column:started_at;not null"`
		AnsweredAt      *time.Time `gorm:"column:answered_at"`
		EndedAt         *time.Time `gorm:"column:ended_at"`
		DurationMS      int64      `gorm:"column:duration_ms;not null;default:0"`
		BillsecMS       int64      `gorm:"column:billsec_ms;not null;default:0"`
		DTMF            string     `gorm:"column:dtmf;not null;default:('')"`
		Recorded        bool       `gorm:"column:recorded;not null;default:false"`
		RecordingURI    string     `gorm:"column:recording_uri;not null;default:('')"`
		FinishReason    string     `gorm:"column:finish_reason;not null;default:('')"`
		Variables       string     `gorm:"column:variables;type:text;not null;default:('{}')"`
	}
	type attemptJourney struct {
		AttemptID   string      `gorm:"column:attempt_id;primaryKey;size:36"`
		CallAttempt callAttempt `gorm:"foreignKey:AttemptID;references:ID;constraint:OnDelete:CASCADE"`
		AccountID   int64       `gorm:"column:account_id;not null"`
		Account     account     `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Steps       string      `gorm:"column:steps;type:text;not null"`
		UpdatedAt   time.Time   `gorm:"column:updated_at;not null"`
	}

	// Parents before children (the foreign keys are inline: SQLite cannot
	// add them later).
	for _, t := range []any{&account{}, &user{}, &apiKey{}, &call{}, &callAttempt{}, &attemptJourney{}} {
		if err := tx.Migrator().CreateTable(t); err != nil {
			return fmt.Errorf("0001_initial: create table %T: %w", t, err)
		}
	}
	for _, q := range []string{
		`CREATE UNIQUE INDEX ux_accounts_name ON accounts (name)`,
		`CREATE UNIQUE INDEX ux_users_account_email ON users (account_id, email)`,
		`CREATE INDEX ix_api_keys_prefix ON api_keys (prefix)`,
		`CREATE INDEX ix_api_keys_account ON api_keys (account_id)`,
		`CREATE INDEX ix_calls_account_created ON calls (account_id, created_at)`,
		`CREATE INDEX ix_calls_account_request ON calls (account_id, request_id)`,
		// CDR listing: account, time range, keyset cursor (started_at, id).
		`CREATE INDEX ix_call_attempts_account_started ON call_attempts (account_id, started_at, id)`,
		// Attempt numbers are unique per call; also serves call_id lookups
		// and the ON DELETE CASCADE from calls.
		`CREATE UNIQUE INDEX ux_call_attempts_call_number ON call_attempts (call_id, attempt_number)`,
		// Event → attempt lookups by Asterisk channel id.
		`CREATE INDEX ix_call_attempts_channel ON call_attempts (channel_id)`,
		// Reconciliation after an ARI reconnect scans only open attempts; a
		// partial index stays tiny however large the CDR table grows.
		`CREATE INDEX ix_call_attempts_open ON call_attempts (asterisk_node, started_at) WHERE state = 'open'`,
		`CREATE INDEX ix_attempt_journeys_account ON attempt_journeys (account_id)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0001_initial: %s: %w", q, err)
		}
	}
	return nil
}
