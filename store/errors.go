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

	"github.com/switchyard/switchyard"
)

// Coded errors (switchyard.Error sentinels). Every error the store returns
// for one of these conditions is, or wraps, the matching sentinel, so
// errors.Is(err, store.ErrInvalid) holds and the HTTP layer maps it by its
// code (ErrNotFound→404, ErrConflict→409, ErrInvalid→422,
// ErrUnauthenticated→401, ErrNotGranted→403, ErrQueryTimeout→504). An
// error made with the sentinel's New carries a message written for the
// client, which the client sees; a plain %w wrap shows the client only the
// sentinel's generic message, whatever the wrapping text says.
var (
	// ErrNotFound: the row does not exist, or belongs to another account
	// (the two are deliberately indistinguishable).
	ErrNotFound = switchyard.Sentinel(switchyard.CodeNotFound, 0, "not found")
	// ErrConflict: a uniqueness rule was violated (duplicate account name,
	// duplicate user email in an account, reused call id of another account…).
	ErrConflict = switchyard.Sentinel(switchyard.CodeConflict, 0, "conflict")
	// ErrInvalid: the input was rejected before touching the database.
	ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid input")
	// ErrUnauthenticated: an API key is malformed, unknown, revoked, or its
	// account is disabled. The wrapping text says which (for the log);
	// clients are only ever told the generic 401.
	ErrUnauthenticated = switchyard.Sentinel(switchyard.CodeUnauthorized, 0, "missing or invalid API key")
	// ErrNotGranted: an account asked for more than the operator granted
	// it (e.g. an HTTP policy wider than the operator's grant).
	ErrNotGranted = switchyard.Sentinel(switchyard.CodeNotGranted, 0, "not granted by the operator")
	// ErrQueryTimeout: the database cancelled a query at its time limit
	// (the report pool's statement_timeout).
	ErrQueryTimeout = switchyard.Sentinel(switchyard.CodeTimeout, 0, "the report took longer than its time limit; narrow the period or filters")
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
