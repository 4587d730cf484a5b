package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// candidate is one login the email may mean: a user of an account, or an
// operator.
type candidate struct {
	user *store.User
	op   *store.Operator
}

func (c candidate) checkPassword(pw string) bool {
	if c.user != nil {
		return c.user.CheckPassword(pw)
	}
	return c.op.CheckPassword(pw)
}

// Login checks an email and password and starts a session. accountID (0:
// any) picks the account when the email is a user of several; operators
// log in without one. Unknown emails and wrong passwords both fail with
// ErrBadLogin, after the same bcrypt work; too many failures for the email
// fail with ErrLocked before the password is looked at (the lockout is
// shared by every node through the store). If the store cannot be reached
// the login fails with ErrLoginUnavailable: it is never let through
// without its lockout check.
func (s *Service) Login(ctx context.Context, email, password string, accountID int64) (Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || len(email) > 254 || password == "" || len(password) > store.MaxPasswordLen*4 {
		return Session{}, ErrBadLogin
	}
	users, err := s.cfg.Store.FindUsersByEmail(ctx, email)
	if err != nil {
		return Session{}, loginUnavailable(err)
	}
	var cands []candidate
	// The failures count per email and the account named; without one,
	// also in every account the email is a user of, so that alternating
	// does not multiply the attempts.
	keys := []store.LoginKey{{AccountID: accountID, Email: email}}
	for i := range users {
		if accountID == 0 || users[i].AccountID == accountID {
			cands = append(cands, candidate{user: &users[i]})
			if accountID == 0 {
				keys = append(keys, store.LoginKey{AccountID: users[i].AccountID, Email: email})
			}
		}
	}
	if accountID == 0 {
		op, err := s.cfg.Store.FindOperatorByEmail(ctx, email)
		switch {
		case err == nil:
			cands = append(cands, candidate{op: &op})
		case !errors.Is(err, store.ErrNotFound):
			return Session{}, loginUnavailable(err)
		}
	}
	// The attempt counts as a failure from here until the password proves
	// right.
	locked, err := s.lock.charge(ctx, keys)
	if err != nil {
		return Session{}, loginUnavailable(err)
	}
	if locked {
		return Session{}, ErrLocked
	}
	var match []candidate
	for _, c := range cands {
		if c.checkPassword(password) {
			match = append(match, c)
		}
	}
	if len(cands) == 0 {
		store.CheckNoPassword(password) // as slow as a wrong password
	}
	if len(match) == 0 {
		s.lock.failed(ctx)
		s.log.InfoContext(ctx, "login failed", "account_id", accountID)
		return Session{}, ErrBadLogin
	}
	if err := s.lock.clear(ctx, keys); err != nil {
		return Session{}, loginUnavailable(err)
	}
	if len(match) > 1 {
		return Session{}, switchyard.Invalid("account_id", "this email is a user of several accounts: choose the account")
	}
	c := match[0]
	var sess store.Session
	if c.user != nil {
		if err := s.usable(ctx, *c.user); err != nil {
			return Session{}, orUnavailable(err)
		}
		sess.UserID = &c.user.ID
	} else {
		if c.op.DisabledAt != nil {
			return Session{}, switchyard.Forbidden("this operator login is disabled")
		}
		sess.OperatorID = &c.op.ID
	}
	out, err := s.startSession(ctx, sess)
	if err != nil {
		return Session{}, orUnavailable(err)
	}
	s.log.InfoContext(ctx, "login", "user_id", out.User.ID, "account_id", out.Actor.AccountID, "role", out.User.Role)
	return out, nil
}

// loginUnavailable turns an error of the store during a login into
// ErrLoginUnavailable ("try again").
func loginUnavailable(err error) error {
	return fmt.Errorf("accounts: login: %w: %w", ErrLoginUnavailable, err)
}

// orUnavailable keeps a coded error meant for the client (the user is
// disabled, ...) and makes any other ErrLoginUnavailable.
func orUnavailable(err error) error {
	var coded *switchyard.Error
	if errors.As(err, &coded) {
		return err
	}
	return loginUnavailable(err)
}

// usable refuses a disabled user or a user of a disabled account (the
// caller knew the password, so it may be told).
func (s *Service) usable(ctx context.Context, u store.User) error {
	if u.DisabledAt != nil {
		return switchyard.Forbidden("this user is disabled; ask an admin of the account")
	}
	a, err := s.cfg.Store.GetAccount(ctx, u.AccountID)
	if err != nil {
		return fmt.Errorf("accounts: account of user %d: %w", u.ID, err)
	}
	if a.DisabledAt != nil {
		return switchyard.Forbidden("this account is disabled")
	}
	return nil
}

// startSession stores a new session for the user or operator in sess.
func (s *Service) startSession(ctx context.Context, sess store.Session) (Session, error) {
	tok := newToken()
	now := s.cfg.Now()
	sess.Hash, sess.CreatedAt, sess.LastSeenAt, sess.ExpiresAt = hashToken(tok), now, now, now.Add(s.cfg.SessionMax)
	if err := s.cfg.Store.CreateSession(ctx, sess); err != nil {
		return Session{}, fmt.Errorf("accounts: create session: %w", err)
	}
	// Expired sessions and tokens go now and then (a login is a fine
	// moment: rare, and never on a hot path).
	if err := s.cfg.Store.PurgeAuth(ctx, now); err != nil {
		s.log.WarnContext(ctx, "purge expired sessions", "err", err)
	}
	me, err := s.me(ctx, sess)
	if err != nil {
		return Session{}, err
	}
	me.CSRF = csrfFor(tok)
	return Session{Me: me, Token: tok, ExpiresAt: sess.ExpiresAt}, nil
}

// me loads the session's user or operator; a disabled one (or a user of
// a disabled account) has no session.
func (s *Service) me(ctx context.Context, sess store.Session) (Me, error) {
	me := Me{SessionHash: sess.Hash}
	if sess.OperatorID != nil {
		op, err := s.cfg.Store.GetOperator(ctx, *sess.OperatorID)
		if err != nil {
			return Me{}, notFoundAs(err, ErrNoSession)
		}
		if op.DisabledAt != nil {
			return Me{}, ErrNoSession
		}
		me.User, me.Operator = operatorView(op), true
		me.Actor = Actor{OperatorID: op.ID, Role: RoleOperator}
		return me, nil
	}
	if sess.UserID == nil {
		return Me{}, ErrNoSession
	}
	u, err := s.cfg.Store.GetUserByID(ctx, *sess.UserID)
	if err != nil {
		return Me{}, notFoundAs(err, ErrNoSession)
	}
	a, err := s.cfg.Store.GetAccount(ctx, u.AccountID)
	if err != nil {
		return Me{}, notFoundAs(err, ErrNoSession)
	}
	if u.DisabledAt != nil || a.DisabledAt != nil {
		return Me{}, ErrNoSession
	}
	me.User = userView(u)
	me.Account = &AccountBrief{ID: a.ID, Name: a.Name, TimeZone: a.Timezone}
	me.Actor = Actor{AccountID: u.AccountID, UserID: u.ID, Role: u.Role}
	return me, nil
}

// notFoundAs turns the store's not-found into want; other errors stay.
func notFoundAs(err, want error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", want, err)
	}
	return err
}

// SessionFor resolves a session token (the cookie) to its principal:
// unknown, expired (idle or absolute) or disabled → ErrNoSession.
func (s *Service) SessionFor(ctx context.Context, token string) (Me, error) {
	if !validTokenShape(token) {
		return Me{}, ErrNoSession
	}
	hash := hashToken(token)
	sess, err := s.cfg.Store.GetSession(ctx, hash)
	if err != nil {
		return Me{}, notFoundAs(err, ErrNoSession)
	}
	now := s.cfg.Now()
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) >= s.cfg.SessionIdle {
		if err := s.cfg.Store.DeleteSession(ctx, hash); err != nil {
			s.log.WarnContext(ctx, "delete expired session", "err", err)
		}
		return Me{}, ErrNoSession
	}
	me, err := s.me(ctx, sess)
	if err != nil {
		return Me{}, err
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.cfg.Store.TouchSession(ctx, hash, now); err != nil {
			s.log.WarnContext(ctx, "touch session", "err", err)
		}
	}
	me.CSRF = csrfFor(token)
	return me, nil
}

// Logout ends the session of the token (no error if there is none).
func (s *Service) Logout(ctx context.Context, token string) error {
	if !validTokenShape(token) {
		return nil
	}
	if err := s.cfg.Store.DeleteSession(ctx, hashToken(token)); err != nil {
		return fmt.Errorf("accounts: logout: %w", err)
	}
	return nil
}

// ChangePassword changes the logged-in principal's password after
// checking the current one; every other session of theirs ends.
func (s *Service) ChangePassword(ctx context.Context, me Me, current, next string) error {
	var ok bool
	if me.Operator {
		op, err := s.cfg.Store.GetOperator(ctx, me.User.ID)
		if err != nil {
			return fmt.Errorf("accounts: change password: %w", err)
		}
		ok = op.CheckPassword(current)
	} else {
		u, err := s.cfg.Store.GetUserByID(ctx, me.User.ID)
		if err != nil {
			return fmt.Errorf("accounts: change password: %w", err)
		}
		ok = u.CheckPassword(current)
	}
	if !ok {
		return switchyard.Invalid("current_password", "the current password is wrong")
	}
	if err := checkPasswordShape("new_password", next); err != nil {
		return err
	}
	if err := s.setPassword(ctx, me.Operator, me.User.ID, next, ""); err != nil {
		return err
	}
	return s.endSessions(ctx, me.Operator, me.User.ID, me.SessionHash)
}

func (s *Service) setPassword(ctx context.Context, operator bool, id int64, pw, name string) error {
	var err error
	if operator {
		err = s.cfg.Store.SetOperatorPassword(ctx, id, pw, name)
	} else {
		err = s.cfg.Store.SetUserPassword(ctx, id, pw, name)
	}
	if err != nil {
		return fmt.Errorf("accounts: set password: %w", err)
	}
	return nil
}

func (s *Service) endSessions(ctx context.Context, operator bool, id int64, keep string) error {
	var err error
	if operator {
		err = s.cfg.Store.DeleteSessionsOf(ctx, 0, id, keep)
	} else {
		err = s.cfg.Store.DeleteSessionsOf(ctx, id, 0, keep)
	}
	if err != nil {
		return fmt.Errorf("accounts: end sessions: %w", err)
	}
	return nil
}

// checkPasswordShape rejects a password the store would refuse, before a
// single-use token is spent on it.
func checkPasswordShape(field, pw string) error {
	if len(pw) < store.MinPasswordLen || len(pw) > store.MaxPasswordLen {
		return switchyard.Invalid(field, "the password must be %d to %d bytes long", store.MinPasswordLen, store.MaxPasswordLen)
	}
	return nil
}

// RequestReset mails a password-reset link to every active user (and the
// operator) with the email. It says nothing about whether there was
// anyone: the lookup and the mail happen in the background, so the
// answer takes as long either way.
func (s *Service) RequestReset(ctx context.Context, email string) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || len(email) > 254 || !s.resets.allow(email) {
		return
	}
	s.mails.Add(1)
	go func() {
		defer s.mails.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if err := s.sendResets(ctx, email); err != nil {
			s.log.ErrorContext(ctx, "password reset mail not sent", "err", err)
		}
	}()
}

func (s *Service) sendResets(ctx context.Context, email string) error {
	users, err := s.cfg.Store.FindUsersByEmail(ctx, email)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.DisabledAt != nil {
			continue
		}
		a, err := s.cfg.Store.GetAccount(ctx, u.AccountID)
		if err != nil {
			return err
		}
		if a.DisabledAt != nil {
			continue
		}
		tok, err := s.newAuthToken(ctx, store.TokenReset, u.ID, 0, s.cfg.ResetTTL)
		if err != nil {
			return err
		}
		if err := s.mail(ctx, u.Email, "Reset your Switchyard password",
			fmt.Sprintf("Someone asked to reset the password of %s in the Switchyard account %q.\r\n\r\n"+
				"To choose a new password, open this link within %s (it works once):\r\n\r\n%s\r\n\r\n"+
				"If it was not you, ignore this mail: your password stays as it is.\r\n",
				u.Email, a.Name, s.cfg.ResetTTL, s.link("reset", tok))); err != nil {
			return err
		}
	}
	op, err := s.cfg.Store.FindOperatorByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case err != nil:
		return err
	case op.DisabledAt != nil:
		return nil
	}
	tok, err := s.newAuthToken(ctx, store.TokenReset, 0, op.ID, s.cfg.ResetTTL)
	if err != nil {
		return err
	}
	return s.mail(ctx, op.Email, "Reset your Switchyard operator password",
		fmt.Sprintf("Someone asked to reset the operator password of %s.\r\n\r\n"+
			"To choose a new password, open this link within %s (it works once):\r\n\r\n%s\r\n\r\n"+
			"If it was not you, ignore this mail.\r\n", op.Email, s.cfg.ResetTTL, s.link("reset", tok)))
}

// newAuthToken stores a single-use token for a user or operator and
// returns its plaintext.
func (s *Service) newAuthToken(ctx context.Context, kind string, userID, operatorID int64, ttl time.Duration) (string, error) {
	tok := newToken()
	now := s.cfg.Now()
	t := store.AuthToken{Hash: hashToken(tok), Kind: kind, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if userID > 0 {
		t.UserID = &userID
	} else {
		t.OperatorID = &operatorID
	}
	if err := s.cfg.Store.CreateAuthToken(ctx, t); err != nil {
		return "", fmt.Errorf("accounts: create %s token: %w", kind, err)
	}
	return tok, nil
}

// useToken redeems a token of the kind.
func (s *Service) useToken(ctx context.Context, token, kind string) (store.AuthToken, error) {
	if !validTokenShape(token) {
		return store.AuthToken{}, ErrBadToken
	}
	t, err := s.cfg.Store.UseAuthToken(ctx, hashToken(token), kind, s.cfg.Now())
	if err != nil {
		return store.AuthToken{}, notFoundAs(err, ErrBadToken)
	}
	return t, nil
}

// ConfirmReset sets a new password with a reset token (once); every
// session of the person ends.
func (s *Service) ConfirmReset(ctx context.Context, token, password string) error {
	if err := checkPasswordShape("password", password); err != nil {
		return err
	}
	t, err := s.useToken(ctx, token, store.TokenReset)
	if err != nil {
		return err
	}
	op, id := tokenOwner(t)
	if err := s.setPassword(ctx, op, id, password, ""); err != nil {
		return err
	}
	s.clearLockout(ctx, op, id)
	return s.endSessions(ctx, op, id, "")
}

func tokenOwner(t store.AuthToken) (operator bool, id int64) {
	if t.OperatorID != nil {
		return true, *t.OperatorID
	}
	return false, *t.UserID
}

// AcceptInvite sets the invited person's password (and name, if given)
// with an invitation token (once) and logs them in.
func (s *Service) AcceptInvite(ctx context.Context, token, name, password string) (Session, error) {
	if err := checkPasswordShape("password", password); err != nil {
		return Session{}, err
	}
	t, err := s.useToken(ctx, token, store.TokenInvite)
	if err != nil {
		return Session{}, err
	}
	op, id := tokenOwner(t)
	if err := s.setPassword(ctx, op, id, password, name); err != nil {
		return Session{}, err
	}
	var sess store.Session
	if op {
		sess.OperatorID = &id
	} else {
		u, err := s.cfg.Store.GetUserByID(ctx, id)
		if err != nil {
			return Session{}, fmt.Errorf("accounts: invited user: %w", err)
		}
		if err := s.usable(ctx, u); err != nil {
			return Session{}, err
		}
		sess.UserID = &id
	}
	return s.startSession(ctx, sess)
}

// clearLockout forgets the failed logins of the person's email (a reset
// proves they own it).
func (s *Service) clearLockout(ctx context.Context, operator bool, id int64) {
	var email string
	if operator {
		o, err := s.cfg.Store.GetOperator(ctx, id)
		if err != nil {
			return
		}
		email = o.Email
	} else {
		u, err := s.cfg.Store.GetUserByID(ctx, id)
		if err != nil {
			return
		}
		email = u.Email
	}
	if err := s.lock.clearEmail(ctx, email); err != nil {
		s.log.WarnContext(ctx, "clear the login failures of a reset password", "err", err)
	}
}
