package store

import (
	"context"
	"errors"
	"fmt"

	gosqlite "github.com/glebarez/go-sqlite"
	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
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
func isDuplicate(err error) bool { return errors.Is(translate(err), gorm.ErrDuplicatedKey) }

// isFKViolation reports a foreign key violation on either driver.
func isFKViolation(err error) bool { return errors.Is(translate(err), gorm.ErrForeignKeyViolated) }

// translate maps a driver's constraint error to gorm's (as
// gorm.Config.TranslateError does): gorm does not translate the errors of
// raw queries read with Scan or Rows.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var t error
	var pe *pgconn.PgError
	var se *gosqlite.Error
	switch {
	case errors.As(err, &pe):
		t = (postgres.Dialector{}).Translate(pe)
	case errors.As(err, &se):
		t = (sqlite.Dialector{}).Translate(se)
	default:
		return err
	}
	if errors.Is(t, gorm.ErrDuplicatedKey) || errors.Is(t, gorm.ErrForeignKeyViolated) {
		return fmt.Errorf("%w: %w", t, err)
	}
	return err
}

func isNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

func isCtxErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// isDeadlock reports a transaction PostgreSQL rolled back to break a
// deadlock.
func isDeadlock(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "40P01"
}
