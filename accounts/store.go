package accounts

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the service uses (*store.Store implements it).
type Store interface {
	AccountStore
	UserStore
	AuthStore
	KeyStore
	TransactionalStore
	LockoutStore
}

// AccountStore holds accounts and the operator's grants to them.
type AccountStore interface {
	CreateAccount(ctx context.Context, name string) (store.Account, error)
	GetAccount(ctx context.Context, id int64) (store.Account, error)
	ListAccounts(ctx context.Context) ([]store.Account, error)
	SetAccountDisabled(ctx context.Context, id int64, disabled bool) error
	SetAccountTimezone(ctx context.Context, id int64, tz string) error
	SetAccountCountry(ctx context.Context, id int64, country string) error
	SetReportEnabled(ctx context.Context, id int64, report string, enabled bool) error
	EnabledReports(ctx context.Context, id int64) ([]string, error)
	GrantHTTPPolicy(ctx context.Context, id int64, allowHTTP bool, cidrs []string) (store.HTTPPolicy, error)
	GetHTTPPolicy(ctx context.Context, id int64) (store.HTTPPolicy, error)
}

// UserStore holds users and operators.
type UserStore interface {
	CreateUser(ctx context.Context, in store.NewUser) (store.User, error)
	GetUser(ctx context.Context, accountID, id int64) (store.User, error)
	GetUserByID(ctx context.Context, id int64) (store.User, error)
	ListUsers(ctx context.Context, accountID int64) ([]store.User, error)
	FindUsersByEmail(ctx context.Context, email string) ([]store.User, error)
	UpdateUser(ctx context.Context, accountID, id int64, upd store.UserUpdate) (store.User, error)
	DeleteUser(ctx context.Context, accountID, id int64) error
	SetUserPassword(ctx context.Context, id int64, password, name string) error
	CreateOperator(ctx context.Context, email, name, password string) (store.Operator, error)
	GetOperator(ctx context.Context, id int64) (store.Operator, error)
	FindOperatorByEmail(ctx context.Context, email string) (store.Operator, error)
	SetOperatorPassword(ctx context.Context, id int64, password, name string) error
	CountLogins(ctx context.Context) (int64, error)
}

// AuthStore holds sessions and single-use tokens (their hashes).
type AuthStore interface {
	CreateSession(ctx context.Context, s store.Session) error
	GetSession(ctx context.Context, hash string) (store.Session, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	DeleteSession(ctx context.Context, hash string) error
	DeleteSessionsOf(ctx context.Context, userID, operatorID int64, keep string) error
	PurgeAuth(ctx context.Context, before time.Time) error
	CreateAuthToken(ctx context.Context, t store.AuthToken) error
	UseAuthToken(ctx context.Context, hash, kind string, at time.Time) (store.AuthToken, error)
}

// LockoutStore holds the failed-login counters all nodes share.
type LockoutStore interface {
	ChargeLoginAttempt(ctx context.Context, keys []store.LoginKey, at time.Time, window time.Duration, limit int) (bool, error)
	ClearLoginFailures(ctx context.Context, keys []store.LoginKey) error
	ClearLoginFailuresOf(ctx context.Context, email string) error
	PruneLoginFailures(ctx context.Context, before time.Time) (int64, error)
}

// KeyStore holds API keys.
type KeyStore interface {
	CreateAPIKeyFor(ctx context.Context, in store.NewAPIKey) (store.APIKey, string, error)
	GetAPIKey(ctx context.Context, accountID, keyID int64) (store.APIKey, error)
	ListAPIKeys(ctx context.Context, accountID int64) ([]store.APIKey, error)
	RotateAPIKey(ctx context.Context, accountID, keyID int64) (store.APIKey, string, error)
	RevokeAPIKey(ctx context.Context, accountID, keyID int64) error
}

var _ Store = (*store.Store)(nil)
