package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// LoginKey names one failed-login counter: an email and the account it
// was tried against (0: no account named). The counters live in the
// database, so every node behind a load balancer sees the same ones.
type LoginKey struct {
	AccountID int64
	Email     string
}

// LoginFailure is one failed-login counter.
type LoginFailure struct {
	Email         string    `gorm:"column:email;primaryKey"`
	AccountID     int64     `gorm:"column:account_id;primaryKey;autoIncrement:false"`
	Failures      int       `gorm:"column:failures"`
	LastFailureAt time.Time `gorm:"column:last_failure_at"`
}

// TableName is the table of the counters.
func (LoginFailure) TableName() string { return "login_failures" }

// loginEmail is the email as the counters key it: trimmed and lower case
// (as logins look users up), any string up to maxEmailLen bytes — an
// email that is no user's is counted like one that is.
func loginEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || len(email) > maxEmailLen {
		return "", ErrInvalid.New("email", "the email must be 1 to %d bytes long", maxEmailLen)
	}
	return email, nil
}

// normLoginKeys normalises the keys' emails, drops duplicates and sorts
// them (every node takes the row locks in the same order, so two logins
// cannot deadlock).
func normLoginKeys(keys []LoginKey) ([]LoginKey, error) {
	out := make([]LoginKey, 0, len(keys))
	for _, k := range keys {
		e, err := loginEmail(k.Email)
		if err != nil {
			return nil, err
		}
		out = append(out, LoginKey{AccountID: k.AccountID, Email: e})
	}
	slices.SortFunc(out, func(a, b LoginKey) int {
		return cmp.Or(strings.Compare(a.Email, b.Email), cmp.Compare(a.AccountID, b.AccountID))
	})
	return slices.Compact(out), nil
}

// errLoginLocked rolls back the attempt of a locked login.
var errLoginLocked = errors.New("login locked")

// ChargeLoginAttempt counts a login attempt on every key before its
// password is checked, atomically across nodes: a counter whose last
// failure is at least window before at starts over at 1, any other goes
// up by one. If a counter would go past limit the login is locked: it
// returns true and counts nothing (a refused attempt is no failure and
// does not make the lock last longer). Otherwise the attempt stays
// counted as a failure until ClearLoginFailures: parallel attempts on any
// number of nodes get exactly limit tries, never more.
func (s *Store) ChargeLoginAttempt(ctx context.Context, keys []LoginKey, at time.Time, window time.Duration, limit int) (locked bool, err error) {
	defer s.track("ChargeLoginAttempt", time.Now(), &err)
	keys, err = normLoginKeys(keys)
	if err != nil {
		return false, err
	}
	if len(keys) == 0 || limit < 1 || window <= 0 {
		return false, fmt.Errorf("store: a login attempt needs keys, a limit and a window: %w", ErrInvalid)
	}
	at = norm(at)
	expired := at.Add(-window)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, k := range keys {
			// One statement per key: the row is locked from the
			// increment to the commit, so concurrent attempts queue on it.
			var n int
			if err := tx.Raw(`INSERT INTO login_failures (email, account_id, failures, last_failure_at) VALUES (?, ?, 1, ?)
				ON CONFLICT (email, account_id) DO UPDATE SET
					failures = CASE WHEN login_failures.last_failure_at <= ? THEN 1 ELSE login_failures.failures + 1 END,
					last_failure_at = excluded.last_failure_at
				RETURNING failures`, k.Email, k.AccountID, at, expired).Scan(&n).Error; err != nil {
				return fmt.Errorf("store: count login attempt: %w", err)
			}
			if n > limit {
				return errLoginLocked
			}
		}
		return nil
	})
	if errors.Is(err, errLoginLocked) {
		return true, nil
	}
	return false, err
}

// ClearLoginFailures forgets the keys' failures (the password was right).
func (s *Store) ClearLoginFailures(ctx context.Context, keys []LoginKey) (err error) {
	defer s.track("ClearLoginFailures", time.Now(), &err)
	keys, err = normLoginKeys(keys)
	if err != nil {
		return err
	}
	db := s.w.WithContext(ctx)
	for _, k := range keys {
		if err := db.Where("email = ? AND account_id = ?", k.Email, k.AccountID).Delete(&LoginFailure{}).Error; err != nil {
			return fmt.Errorf("store: clear login failures: %w", err)
		}
	}
	return nil
}

// ClearLoginFailuresOf forgets the failures of the email in every account
// (a password reset proved the person owns it).
func (s *Store) ClearLoginFailuresOf(ctx context.Context, email string) (err error) {
	defer s.track("ClearLoginFailuresOf", time.Now(), &err)
	email, err = loginEmail(email)
	if err != nil {
		return err
	}
	if err := s.w.WithContext(ctx).Where("email = ?", email).Delete(&LoginFailure{}).Error; err != nil {
		return fmt.Errorf("store: clear login failures: %w", err)
	}
	return nil
}

// PruneLoginFailures deletes the counters whose last failure is at or
// before before (they count as none anyway) and returns how many went.
func (s *Store) PruneLoginFailures(ctx context.Context, before time.Time) (n int64, err error) {
	defer s.track("PruneLoginFailures", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("last_failure_at <= ?", norm(before)).Delete(&LoginFailure{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: prune login failures: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// GetLoginFailures returns the stored counter of the key (ErrNotFound if
// it has none), expired or not.
func (s *Store) GetLoginFailures(ctx context.Context, key LoginKey) (f LoginFailure, err error) {
	defer s.track("GetLoginFailures", time.Now(), &err)
	if key.Email, err = loginEmail(key.Email); err != nil {
		return LoginFailure{}, err
	}
	if err := s.w.WithContext(ctx).Where("email = ? AND account_id = ?", key.Email, key.AccountID).Take(&f).Error; err != nil {
		if isNotFound(err) {
			return LoginFailure{}, fmt.Errorf("store: login failures of %s: %w", key.Email, ErrNotFound)
		}
		return LoginFailure{}, fmt.Errorf("store: login failures: %w", err)
	}
	return f, nil
}
