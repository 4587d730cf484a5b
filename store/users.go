package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrLastOwner: the change would leave an account without an active owner.
var ErrLastOwner = ErrConflict.New("", "an account keeps at least one active owner: make another user owner first")

// FindUsersByEmail returns the users with the email in every account
// (login and password reset resolve the account from the email). System
// level: the caller decides what a client may learn.
func (s *Store) FindUsersByEmail(ctx context.Context, email string) (us []User, err error) {
	defer s.track("FindUsersByEmail", time.Now(), &err)
	us = []User{}
	email, err = NormalizeEmail(email)
	if err != nil {
		return us, nil // no user has a malformed email
	}
	if err := s.r.WithContext(ctx).Where("email = ?", email).Order("id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: find users by email: %w", err)
	}
	return us, nil
}

// GetUserByID returns a user of any account (session and token lookups,
// which know only the user id).
func (s *Store) GetUserByID(ctx context.Context, id int64) (u User, err error) {
	defer s.track("GetUserByID", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&u).Error; err != nil {
		if isNotFound(err) {
			return User{}, fmt.Errorf("store: user %d: %w", id, ErrNotFound)
		}
		return User{}, fmt.Errorf("store: get user %d: %w", id, err)
	}
	return u, nil
}

// UserUpdate is a partial change of a user: nil fields stay.
type UserUpdate struct {
	Name     *string
	Role     *string
	Disabled *bool
}

// UpdateUser changes a user of an account. Demoting or disabling the
// account's last active owner fails with ErrLastOwner.
func (s *Store) UpdateUser(ctx context.Context, accountID, id int64, upd UserUpdate) (u User, err error) {
	defer s.track("UpdateUser", time.Now(), &err)
	set := map[string]any{}
	if upd.Name != nil {
		name, err := validName("user", *upd.Name, false)
		if err != nil {
			return User{}, err
		}
		set["name"] = name
	}
	if upd.Role != nil {
		if !validRole(*upd.Role) {
			return User{}, ErrInvalid.New("role", "user role %q: want one of %v", *upd.Role, Roles)
		}
		set["role"] = *upd.Role
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.lockUser(tx, accountID, id, &u); err != nil {
			return err
		}
		stillOwner := u.Role == RoleOwner
		if upd.Role != nil && *upd.Role != RoleOwner {
			stillOwner = false
		}
		if upd.Disabled != nil {
			switch {
			case *upd.Disabled && u.DisabledAt == nil:
				set["disabled_at"] = now()
				stillOwner = false
			case !*upd.Disabled && u.DisabledAt != nil:
				set["disabled_at"] = nil
			}
		}
		if u.Role == RoleOwner && u.DisabledAt == nil && !stillOwner {
			if err := s.requireOtherOwner(tx, accountID, id); err != nil {
				return err
			}
		}
		if len(set) == 0 {
			return nil
		}
		if err := tx.Model(&User{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return fmt.Errorf("store: update user %d: %w", id, err)
		}
		return tx.Where("id = ?", id).Take(&u).Error
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// DeleteUser removes a user of an account (their sessions, tokens and
// API keys go with them). The last active owner cannot be deleted.
func (s *Store) DeleteUser(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteUser", time.Now(), &err)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var u User
		if err := s.lockUser(tx, accountID, id, &u); err != nil {
			return err
		}
		if u.Role == RoleOwner && u.DisabledAt == nil {
			if err := s.requireOtherOwner(tx, accountID, id); err != nil {
				return err
			}
		}
		// The agent desk link explicitly: SQLite connections may run
		// without foreign_keys enforcement.
		if err := tx.Model(&Agent{}).Where("account_id = ? AND user_id = ?", accountID, id).Update("user_id", nil).Error; err != nil {
			return fmt.Errorf("store: delete user %d: unlink agent: %w", id, err)
		}
		if err := tx.Where("id = ?", id).Delete(&User{}).Error; err != nil {
			return fmt.Errorf("store: delete user %d: %w", id, err)
		}
		return nil
	})
}

// lockUser reads a user of the account inside tx; on PostgreSQL the
// account's owners are locked too, so two concurrent demotions cannot
// both see the other as the remaining owner.
func (s *Store) lockUser(tx *gorm.DB, accountID, id int64, u *User) error {
	if s.driver == DriverPostgres {
		var ids []int64
		if err := tx.Model(&User{}).Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("account_id = ? AND (role = ? OR id = ?)", accountID, RoleOwner, id).Pluck("id", &ids).Error; err != nil {
			return fmt.Errorf("store: lock owners of account %d: %w", accountID, err)
		}
	}
	if err := tx.Where("account_id = ? AND id = ?", accountID, id).Take(u).Error; err != nil {
		if isNotFound(err) {
			return fmt.Errorf("store: user %d in account %d: %w", id, accountID, ErrNotFound)
		}
		return fmt.Errorf("store: get user %d: %w", id, err)
	}
	return nil
}

func (s *Store) requireOtherOwner(tx *gorm.DB, accountID, id int64) error {
	var n int64
	if err := tx.Model(&User{}).Where("account_id = ? AND role = ? AND disabled_at IS NULL AND id <> ?", accountID, RoleOwner, id).
		Count(&n).Error; err != nil {
		return fmt.Errorf("store: count owners of account %d: %w", accountID, err)
	}
	if n == 0 {
		return fmt.Errorf("store: user %d is the last owner of account %d: %w", id, accountID, ErrLastOwner)
	}
	return nil
}

// SetUserPassword stores a new password (8–72 bytes) for a user, and
// optionally a new name ("" keeps it).
func (s *Store) SetUserPassword(ctx context.Context, id int64, password, name string) (err error) {
	defer s.track("SetUserPassword", time.Now(), &err)
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	set := map[string]any{"password_hash": h}
	if name != "" {
		if name, err = validName("user", name, false); err != nil {
			return err
		}
		set["name"] = name
	}
	return s.setRow(ctx, &User{}, id, set, "user")
}

func (s *Store) setRow(ctx context.Context, model any, id int64, set map[string]any, what string) error {
	res := s.w.WithContext(ctx).Model(model).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return fmt.Errorf("store: update %s %d: %w", what, id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: %s %d: %w", what, id, ErrNotFound)
	}
	return nil
}

// AccountOwnerEmails returns the emails of the account's active owners,
// the oldest first: the account holder whom account mails go to.
func (s *Store) AccountOwnerEmails(ctx context.Context, accountID int64) (emails []string, err error) {
	defer s.track("AccountOwnerEmails", time.Now(), &err)
	emails = []string{}
	if err := s.r.WithContext(ctx).Model(&User{}).Where("account_id = ? AND role = ? AND disabled_at IS NULL", accountID, RoleOwner).
		Order("id").Pluck("email", &emails).Error; err != nil {
		return nil, fmt.Errorf("store: owners of account %d: %w", accountID, err)
	}
	return emails, nil
}

// SetAccountDisabled disables (its users cannot log in, its API keys stop
// authenticating) or re-enables an account.
func (s *Store) SetAccountDisabled(ctx context.Context, id int64, disabled bool) (err error) {
	defer s.track("SetAccountDisabled", time.Now(), &err)
	if disabled {
		return s.DisableAccount(ctx, id)
	}
	return s.setRow(ctx, &Account{}, id, map[string]any{"disabled_at": nil, "updated_at": now()}, "account")
}

// ---- operators ----

// CreateOperator adds an operator. The password may be empty (the
// operator then sets one through an invitation).
func (s *Store) CreateOperator(ctx context.Context, email, name, password string) (o Operator, err error) {
	defer s.track("CreateOperator", time.Now(), &err)
	if email, err = NormalizeEmail(email); err != nil {
		return Operator{}, err
	}
	if name, err = validName("operator", name, false); err != nil {
		return Operator{}, err
	}
	o = Operator{Email: email, Name: name, CreatedAt: now()}
	if password != "" {
		h, err := hashPassword(password)
		if err != nil {
			return Operator{}, err
		}
		o.PasswordHash = &h
	}
	if err := s.w.WithContext(ctx).Create(&o).Error; err != nil {
		if isDuplicate(err) {
			return Operator{}, fmt.Errorf("store: operator %q: %w", email, ErrConflict.New("email", "an operator with this email already exists"))
		}
		return Operator{}, fmt.Errorf("store: create operator %q: %w", email, err)
	}
	return o, nil
}

// GetOperator returns one operator.
func (s *Store) GetOperator(ctx context.Context, id int64) (o Operator, err error) {
	defer s.track("GetOperator", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&o).Error; err != nil {
		if isNotFound(err) {
			return Operator{}, fmt.Errorf("store: operator %d: %w", id, ErrNotFound)
		}
		return Operator{}, fmt.Errorf("store: get operator %d: %w", id, err)
	}
	return o, nil
}

// FindOperatorByEmail returns the operator with the email (ErrNotFound if
// none).
func (s *Store) FindOperatorByEmail(ctx context.Context, email string) (o Operator, err error) {
	defer s.track("FindOperatorByEmail", time.Now(), &err)
	email, err = NormalizeEmail(email)
	if err != nil {
		return Operator{}, fmt.Errorf("store: operator: %w", ErrNotFound)
	}
	if err := s.r.WithContext(ctx).Where("email = ?", email).Take(&o).Error; err != nil {
		if isNotFound(err) {
			return Operator{}, fmt.Errorf("store: operator %q: %w", email, ErrNotFound)
		}
		return Operator{}, fmt.Errorf("store: find operator: %w", err)
	}
	return o, nil
}

// SetOperatorPassword stores a new password for an operator, and
// optionally a new name ("" keeps it).
func (s *Store) SetOperatorPassword(ctx context.Context, id int64, password, name string) (err error) {
	defer s.track("SetOperatorPassword", time.Now(), &err)
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	set := map[string]any{"password_hash": h}
	if name != "" {
		if name, err = validName("operator", name, false); err != nil {
			return err
		}
		set["name"] = name
	}
	return s.setRow(ctx, &Operator{}, id, set, "operator")
}

// CountLogins returns how many users and operators exist (a fresh
// database has none: the daemon then makes a first owner).
func (s *Store) CountLogins(ctx context.Context) (n int64, err error) {
	defer s.track("CountLogins", time.Now(), &err)
	var users, ops int64
	if err := s.r.WithContext(ctx).Model(&User{}).Count(&users).Error; err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	if err := s.r.WithContext(ctx).Model(&Operator{}).Count(&ops).Error; err != nil {
		return 0, fmt.Errorf("store: count operators: %w", err)
	}
	return users + ops, nil
}

// ---- sessions ----

// CreateSession stores a session (its hash, never the id).
func (s *Store) CreateSession(ctx context.Context, sess Session) (err error) {
	defer s.track("CreateSession", time.Now(), &err)
	if (sess.UserID == nil) == (sess.OperatorID == nil) || len(sess.Hash) != 64 {
		return fmt.Errorf("store: a session needs a 64-hex hash and exactly one of user and operator: %w", ErrInvalid)
	}
	sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = norm(sess.CreatedAt), norm(sess.LastSeenAt), norm(sess.ExpiresAt)
	if err := s.w.WithContext(ctx).Create(&sess).Error; err != nil {
		if isFKViolation(err) {
			return fmt.Errorf("store: session owner: %w", ErrNotFound)
		}
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// GetSession returns the session with the hash (ErrNotFound if none;
// expiry is the caller's to judge).
func (s *Store) GetSession(ctx context.Context, hash string) (sess Session, err error) {
	defer s.track("GetSession", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("hash = ?", hash).Take(&sess).Error; err != nil {
		if isNotFound(err) {
			return Session{}, fmt.Errorf("store: session: %w", ErrNotFound)
		}
		return Session{}, fmt.Errorf("store: get session: %w", err)
	}
	return sess, nil
}

// TouchSession records activity on a session.
func (s *Store) TouchSession(ctx context.Context, hash string, at time.Time) (err error) {
	defer s.track("TouchSession", time.Now(), &err)
	if err := s.w.WithContext(ctx).Model(&Session{}).Where("hash = ?", hash).Update("last_seen_at", norm(at)).Error; err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session (no error if it is gone already).
func (s *Store) DeleteSession(ctx context.Context, hash string) (err error) {
	defer s.track("DeleteSession", time.Now(), &err)
	if err := s.w.WithContext(ctx).Where("hash = ?", hash).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// DeleteSessionsOf ends every session of a user (userID) or operator
// (operatorID), except the one with hash keep ("" keeps none).
func (s *Store) DeleteSessionsOf(ctx context.Context, userID, operatorID int64, keep string) (err error) {
	defer s.track("DeleteSessionsOf", time.Now(), &err)
	q := s.w.WithContext(ctx).Where("hash <> ?", keep)
	switch {
	case userID > 0:
		q = q.Where("user_id = ?", userID)
	case operatorID > 0:
		q = q.Where("operator_id = ?", operatorID)
	default:
		return errors.New("store: DeleteSessionsOf needs a user or an operator")
	}
	if err := q.Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: delete sessions: %w", err)
	}
	return nil
}

// PurgeAuth deletes sessions and tokens that expired before t.
func (s *Store) PurgeAuth(ctx context.Context, t time.Time) (err error) {
	defer s.track("PurgeAuth", time.Now(), &err)
	db := s.w.WithContext(ctx)
	if err := db.Where("expires_at < ?", norm(t)).Delete(&Session{}).Error; err != nil {
		return fmt.Errorf("store: purge sessions: %w", err)
	}
	if err := db.Where("expires_at < ?", norm(t)).Delete(&AuthToken{}).Error; err != nil {
		return fmt.Errorf("store: purge tokens: %w", err)
	}
	return nil
}

// ---- single-use tokens ----

// CreateAuthToken stores a token (its hash, never the token).
func (s *Store) CreateAuthToken(ctx context.Context, t AuthToken) (err error) {
	defer s.track("CreateAuthToken", time.Now(), &err)
	if (t.UserID == nil) == (t.OperatorID == nil) || len(t.Hash) != 64 || (t.Kind != TokenReset && t.Kind != TokenInvite) {
		return fmt.Errorf("store: a token needs a 64-hex hash, a kind and exactly one of user and operator: %w", ErrInvalid)
	}
	t.CreatedAt, t.ExpiresAt, t.UsedAt = norm(t.CreatedAt), norm(t.ExpiresAt), nil
	if err := s.w.WithContext(ctx).Create(&t).Error; err != nil {
		if isFKViolation(err) {
			return fmt.Errorf("store: token owner: %w", ErrNotFound)
		}
		return fmt.Errorf("store: create token: %w", err)
	}
	return nil
}

// UseAuthToken redeems a token of the kind: it succeeds once, before
// at passes its expiry; afterwards (or for an unknown hash) it fails with
// ErrNotFound. Redeeming it also voids the owner's other tokens of the
// kind.
func (s *Store) UseAuthToken(ctx context.Context, hash, kind string, at time.Time) (t AuthToken, err error) {
	defer s.track("UseAuthToken", time.Now(), &err)
	at = norm(at)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&AuthToken{}).Where("hash = ? AND kind = ? AND used_at IS NULL AND expires_at > ?", hash, kind, at).
			Update("used_at", at)
		if res.Error != nil {
			return fmt.Errorf("store: use token: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("store: token unknown, used or expired: %w", ErrNotFound)
		}
		if err := tx.Where("hash = ?", hash).Take(&t).Error; err != nil {
			return fmt.Errorf("store: read token: %w", err)
		}
		q := tx.Model(&AuthToken{}).Where("kind = ? AND used_at IS NULL", kind)
		if t.UserID != nil {
			q = q.Where("user_id = ?", *t.UserID)
		} else {
			q = q.Where("operator_id = ?", *t.OperatorID)
		}
		if err := q.Update("used_at", at).Error; err != nil {
			return fmt.Errorf("store: void other tokens: %w", err)
		}
		return nil
	})
	if err != nil {
		return AuthToken{}, err
	}
	return t, nil
}
