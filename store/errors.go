package store

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// Coded errors. Every error the store returns for one of these conditions
// wraps the matching sentinel, so the HTTP layer maps them with errors.Is
// (ErrNotFound→404, ErrConflict→409, ErrInvalid→400, ErrUnauthenticated→401)
// while the message says what exactly was wrong.
var (
	// ErrNotFound: the row does not exist, or belongs to another account
	// (the two are deliberately indistinguishable).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a uniqueness rule was violated (duplicate account name,
	// duplicate user email in an account, reused call id of another account…).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input was rejected before touching the database.
	ErrInvalid = errors.New("invalid input")
	// ErrUnauthenticated: an API key is malformed, unknown, revoked, or its
	// account is disabled. The message says which; show clients only a
	// generic 401.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrNotGranted: an account asked for more than the operator granted
	// it (e.g. an HTTP policy wider than the operator's grant).
	ErrNotGranted = errors.New("not granted by the operator")
	// ErrQueryTimeout: the database cancelled a query at its time limit
	// (the report pool's statement_timeout).
	ErrQueryTimeout = errors.New("query timed out")
)

// isDuplicate reports a unique/primary key violation on either driver
// (gorm.Config.TranslateError maps both to gorm.ErrDuplicatedKey).
func isDuplicate(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// isFKViolation reports a foreign key violation on either driver.
func isFKViolation(err error) bool { return errors.Is(err, gorm.ErrForeignKeyViolated) }

func isNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
