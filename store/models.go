package store

import (
	"time"

	"gorm.io/gorm"
)

// These are the live models: the current shape of each table as the code
// reads and writes it. Migrations never use them (each migration freezes its
// own structs), so changing a model here requires a new migration.

// Account is a tenant.
type Account struct {
	ID       int64  `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	Name     string `gorm:"column:name" json:"name"`
	Timezone string `gorm:"column:timezone" json:"timezone"`
	// Country is the default country (ISO 3166-1 alpha-2) of national
	// numbers; empty requires the country code.
	Country    string     `gorm:"column:country" json:"country"`
	CreatedAt  time.Time  `gorm:"column:created_at" json:"created_at"`
	UpdatedAt  time.Time  `gorm:"column:updated_at" json:"updated_at"`
	DisabledAt *time.Time `gorm:"column:disabled_at" json:"disabled_at,omitempty"`
	// TransactionalMessaging is the operator's switch (the extended
	// contract is signed): the account's approved transactional flows
	// are exempt from DNC/NDNC scrubbing.
	TransactionalMessaging bool `gorm:"column:transactional_messaging" json:"transactional_messaging"`
	// TransactionalRequestedAt is when the account last asked for it.
	TransactionalRequestedAt *time.Time `gorm:"column:transactional_requested_at" json:"transactional_requested_at,omitempty"`
}

func (Account) TableName() string { return "accounts" }

func (a *Account) AfterFind(*gorm.DB) error {
	a.CreatedAt, a.UpdatedAt, a.DisabledAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC(), utcPtr(a.DisabledAt)
	a.TransactionalRequestedAt = utcPtr(a.TransactionalRequestedAt)
	return nil
}

// User roles.
const (
	RoleOwner      = "owner"
	RoleAdmin      = "admin"
	RoleSupervisor = "supervisor"
	RoleScheduler  = "scheduler"
	RoleAgent      = "agent"
)

// Roles lists the account roles from the least to the most powerful.
var Roles = []string{RoleAgent, RoleScheduler, RoleSupervisor, RoleAdmin, RoleOwner}

// RoleRank orders the account roles (agent 1 … owner 5); 0 for anything
// else, which therefore outranks nothing.
func RoleRank(role string) int {
	for i, r := range Roles {
		if r == role {
			return i + 1
		}
	}
	return 0
}

// User is a person who logs into an account (admin UI, agent desktop).
type User struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64  `gorm:"column:account_id" json:"account_id"`
	Email     string `gorm:"column:email" json:"email"`
	Name      string `gorm:"column:name" json:"name"`
	Role      string `gorm:"column:role" json:"role"`
	// PasswordHash is a bcrypt hash, nil for users without a password.
	PasswordHash *string   `gorm:"column:password_hash" json:"-"`
	CreatedAt    time.Time `gorm:"column:created_at" json:"created_at"`
	// DisabledAt: a disabled user cannot log in; their sessions and API
	// keys stop working.
	DisabledAt *time.Time `gorm:"column:disabled_at" json:"disabled_at,omitempty"`
}

func (User) TableName() string { return "users" }

func (u *User) AfterFind(*gorm.DB) error {
	u.CreatedAt, u.DisabledAt = u.CreatedAt.UTC(), utcPtr(u.DisabledAt)
	return nil
}

// Operator is a member of the service operator's support team: the level
// above accounts (creates and disables accounts, grants features). An
// operator belongs to no account.
type Operator struct {
	ID           int64      `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	Email        string     `gorm:"column:email" json:"email"`
	Name         string     `gorm:"column:name" json:"name"`
	PasswordHash *string    `gorm:"column:password_hash" json:"-"`
	CreatedAt    time.Time  `gorm:"column:created_at" json:"created_at"`
	DisabledAt   *time.Time `gorm:"column:disabled_at" json:"disabled_at,omitempty"`
}

func (Operator) TableName() string { return "operators" }

func (o *Operator) AfterFind(*gorm.DB) error {
	o.CreatedAt, o.DisabledAt = o.CreatedAt.UTC(), utcPtr(o.DisabledAt)
	return nil
}

// Session is a login session. Hash is the SHA-256 of the session id the
// browser holds (the id itself is never stored). Exactly one of UserID
// and OperatorID is set.
type Session struct {
	Hash       string    `gorm:"column:hash;primaryKey"`
	UserID     *int64    `gorm:"column:user_id"`
	OperatorID *int64    `gorm:"column:operator_id"`
	CreatedAt  time.Time `gorm:"column:created_at"`
	LastSeenAt time.Time `gorm:"column:last_seen_at"`
	ExpiresAt  time.Time `gorm:"column:expires_at"`
}

func (Session) TableName() string { return "sessions" }

func (s *Session) AfterFind(*gorm.DB) error {
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = s.CreatedAt.UTC(), s.LastSeenAt.UTC(), s.ExpiresAt.UTC()
	return nil
}

// Token kinds.
const (
	TokenReset  = "reset"
	TokenInvite = "invite"
)

// AuthToken is a single-use token mailed or handed to a person (password
// reset, invitation). Hash is the SHA-256 of the token. Exactly one of
// UserID and OperatorID is set.
type AuthToken struct {
	Hash       string     `gorm:"column:hash;primaryKey"`
	Kind       string     `gorm:"column:kind"`
	UserID     *int64     `gorm:"column:user_id"`
	OperatorID *int64     `gorm:"column:operator_id"`
	CreatedAt  time.Time  `gorm:"column:created_at"`
	ExpiresAt  time.Time  `gorm:"column:expires_at"`
	UsedAt     *time.Time `gorm:"column:used_at"`
}

func (AuthToken) TableName() string { return "auth_tokens" }

func (t *AuthToken) AfterFind(*gorm.DB) error {
	t.CreatedAt, t.ExpiresAt, t.UsedAt = t.CreatedAt.UTC(), t.ExpiresAt.UTC(), utcPtr(t.UsedAt)
	return nil
}

// APIKey is the stored (non-secret) part of an API key.
type APIKey struct {
	ID        int64  `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64  `gorm:"column:account_id" json:"account_id"`
	Name      string `gorm:"column:name" json:"name"`
	// Role is the most the key may do (an account role); a key bound to a
	// user (UserID) never does more than the user's current role.
	Role   string `gorm:"column:role" json:"role"`
	UserID *int64 `gorm:"column:user_id" json:"user_id"`
	// Prefix is the public lookup part of the key (shown in listings so a
	// user can tell keys apart).
	Prefix     string     `gorm:"column:prefix" json:"prefix"`
	Hash       string     `gorm:"column:hash" json:"-"`
	CreatedAt  time.Time  `gorm:"column:created_at" json:"created_at"`
	LastUsedAt *time.Time `gorm:"column:last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `gorm:"column:revoked_at" json:"revoked_at,omitempty"`
}

func (APIKey) TableName() string { return "api_keys" }

func (k *APIKey) AfterFind(*gorm.DB) error {
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), utcPtr(k.LastUsedAt), utcPtr(k.RevokedAt)
	return nil
}

// Call directions.
const (
	DirectionInbound  = "inbound"
	DirectionOutbound = "outbound"
)

// Attempt states.
const (
	StateOpen     = "open"
	StateFinished = "finished"
)

// StatusInProgress is the status of a call and of an attempt while an
// attempt is open. Final statuses are free strings chosen by the flow/dialer
// (IVR_FINISHED, BUSY, NOANSWER, CONGESTION, …).
const StatusInProgress = "IN_PROGRESS"

// Call is the logical call (one record of a call list, or one inbound call).
// It has one or more attempts. Its ID is the "Phonon UUID" shown in reports.
type Call struct {
	ID               string     `gorm:"column:id;primaryKey" json:"id"`
	AccountID        int64      `gorm:"column:account_id" json:"account_id"`
	Direction        string     `gorm:"column:direction" json:"direction"`
	FlowID           *int64     `gorm:"column:flow_id" json:"flow_id,omitempty"`
	RequestID        *string    `gorm:"column:request_id" json:"request_id,omitempty"`
	ClientIdentifier string     `gorm:"column:client_identifier" json:"client_identifier"`
	CLI              string     `gorm:"column:cli" json:"cli"`
	DNIS             string     `gorm:"column:dnis" json:"dnis"`
	Status           string     `gorm:"column:status" json:"status"`
	Attempts         int        `gorm:"column:attempts" json:"attempts"`
	CreatedAt        time.Time  `gorm:"column:created_at" json:"created_at"`
	UpdatedAt        time.Time  `gorm:"column:updated_at" json:"updated_at"`
	FinishedAt       *time.Time `gorm:"column:finished_at" json:"finished_at,omitempty"`
}

func (Call) TableName() string { return "calls" }

func (c *Call) AfterFind(*gorm.DB) error {
	c.CreatedAt, c.UpdatedAt, c.FinishedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC(), utcPtr(c.FinishedAt)
	return nil
}

// Attempt is one dial attempt / one channel: the CDR row.
type Attempt struct {
	ID              string            `gorm:"column:id;primaryKey" json:"id"`
	CallID          string            `gorm:"column:call_id" json:"call_id"`
	AccountID       int64             `gorm:"column:account_id" json:"account_id"`
	AttemptNumber   int               `gorm:"column:attempt_number" json:"attempt_number"`
	ChannelID       string            `gorm:"column:channel_id" json:"channel_id"`
	AsteriskNode    string            `gorm:"column:asterisk_node" json:"asterisk_node"`
	Direction       string            `gorm:"column:direction" json:"direction"`
	CLI             string            `gorm:"column:cli" json:"cli"`
	DNIS            string            `gorm:"column:dnis" json:"dnis"`
	State           string            `gorm:"column:state" json:"state"`
	Status          string            `gorm:"column:status" json:"status"`
	HangupCause     int               `gorm:"column:hangup_cause" json:"hangup_cause"`
	HangupCauseText string            `gorm:"column:hangup_cause_text" json:"hangup_cause_text"`
	RemoteHangup    bool              `gorm:"column:remote_hangup" json:"remote_hangup"`
	StartedAt       time.Time         `gorm:"column:started_at" json:"started_at"`
	AnsweredAt      *time.Time        `gorm:"column:answered_at" json:"answered_at,omitempty"`
	EndedAt         *time.Time        `gorm:"column:ended_at" json:"ended_at,omitempty"`
	DurationMS      int64             `gorm:"column:duration_ms" json:"duration_ms"`
	BillsecMS       int64             `gorm:"column:billsec_ms" json:"billsec_ms"`
	DTMF            string            `gorm:"column:dtmf" json:"dtmf"`
	Recorded        bool              `gorm:"column:recorded" json:"recorded"`
	RecordingURI    string            `gorm:"column:recording_uri" json:"recording_uri"`
	FinishReason    string            `gorm:"column:finish_reason" json:"finish_reason"`
	Variables       map[string]string `gorm:"column:variables;serializer:json" json:"variables"`
}

func (Attempt) TableName() string { return "call_attempts" }

func (a *Attempt) AfterFind(*gorm.DB) error {
	a.StartedAt, a.AnsweredAt, a.EndedAt = a.StartedAt.UTC(), utcPtr(a.AnsweredAt), utcPtr(a.EndedAt)
	if a.Variables == nil {
		a.Variables = map[string]string{}
	}
	return nil
}

// journeyRow is the attempt_journeys row (see Journey for the API type).
type journeyRow struct {
	AttemptID string    `gorm:"column:attempt_id;primaryKey"`
	AccountID int64     `gorm:"column:account_id"`
	Steps     string    `gorm:"column:steps"`
	UpdatedAt time.Time `gorm:"column:updated_at"`
}

func (journeyRow) TableName() string { return "attempt_journeys" }

func (j *journeyRow) AfterFind(*gorm.DB) error {
	j.UpdatedAt = j.UpdatedAt.UTC()
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}
