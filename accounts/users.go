package accounts

import (
	"context"
	"fmt"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// NewUser is the input of CreateUser.
type NewUser struct {
	Email string
	Name  string
	Role  string
	// Password sets the password now; without one (or with Invite) the
	// user gets an invitation link to choose it.
	Password string
	Invite   bool
}

// account returns the actor's account id, refusing an actor without one.
func (a Actor) account() (int64, error) {
	if a.AccountID <= 0 {
		return 0, fmt.Errorf("accounts: actor has no account: %w", ErrForbidden)
	}
	return a.AccountID, nil
}

// mayManage reports whether the actor may create, change or remove a
// user with role: admins manage everyone but owners; only owners manage
// owners.
func (a Actor) mayManage(role string) error {
	if !a.may(store.RoleAdmin) {
		return fmt.Errorf("accounts: role %s manages no users: %w", a.Role, ErrForbidden)
	}
	if role == store.RoleOwner && a.Role != store.RoleOwner {
		return switchyard.Forbidden("only an owner can make, change or remove an owner")
	}
	return nil
}

// ListUsers returns the users of the actor's account.
func (s *Service) ListUsers(ctx context.Context, actor Actor) ([]User, error) {
	acc, err := actor.account()
	if err != nil {
		return nil, err
	}
	us, err := s.cfg.Store.ListUsers(ctx, acc)
	if err != nil {
		return nil, fmt.Errorf("accounts: list users: %w", err)
	}
	out := make([]User, 0, len(us))
	for _, u := range us {
		out = append(out, userView(u))
	}
	return out, nil
}

// GetUser returns one user of the actor's account.
func (s *Service) GetUser(ctx context.Context, actor Actor, id int64) (User, error) {
	acc, err := actor.account()
	if err != nil {
		return User{}, err
	}
	u, err := s.cfg.Store.GetUser(ctx, acc, id)
	if err != nil {
		return User{}, fmt.Errorf("accounts: get user: %w", err)
	}
	return userView(u), nil
}

// CreateUser adds a user to the actor's account. Without a password the
// user is invited: inviteURL is the link that sets it (also mailed to
// them), valid once for the invitation period.
func (s *Service) CreateUser(ctx context.Context, actor Actor, in NewUser) (u User, inviteURL string, err error) {
	acc, err := actor.account()
	if err != nil {
		return User{}, "", err
	}
	if err := actor.mayManage(in.Role); err != nil {
		return User{}, "", err
	}
	return s.createUser(ctx, acc, in)
}

func (s *Service) createUser(ctx context.Context, acc int64, in NewUser) (User, string, error) {
	if in.Invite && in.Password != "" {
		return User{}, "", switchyard.Invalid("password", "give either a password or invite, not both")
	}
	if in.Password != "" {
		if err := checkPasswordShape("password", in.Password); err != nil {
			return User{}, "", err
		}
	}
	su, err := s.cfg.Store.CreateUser(ctx, store.NewUser{AccountID: acc, Email: in.Email, Name: in.Name, Role: in.Role, Password: in.Password})
	if err != nil {
		return User{}, "", fmt.Errorf("accounts: create user: %w", err)
	}
	s.log.InfoContext(ctx, "user created", "account_id", acc, "user_id", su.ID, "role", su.Role)
	if in.Password != "" {
		return userView(su), "", nil
	}
	link, err := s.invite(ctx, su.ID, 0, su.Email, fmt.Sprintf("You are invited to the Switchyard account %s as %s.", s.accountName(ctx, acc), su.Role))
	if err != nil {
		return User{}, "", err
	}
	return userView(su), link, nil
}

func (s *Service) accountName(ctx context.Context, id int64) string {
	a, err := s.cfg.Store.GetAccount(ctx, id)
	if err != nil {
		return fmt.Sprintf("#%d", id)
	}
	return fmt.Sprintf("%q", a.Name)
}

// invite makes an invitation token, mails its link (in the background)
// and returns the link.
func (s *Service) invite(ctx context.Context, userID, operatorID int64, email, what string) (string, error) {
	tok, err := s.newAuthToken(ctx, store.TokenInvite, userID, operatorID, s.cfg.InviteTTL)
	if err != nil {
		return "", err
	}
	link := s.link("invite", tok)
	s.mailLater(ctx, email, "Your Switchyard login", fmt.Sprintf("%s\r\n\r\nTo choose your password and log in, open this link within %s (it works once):\r\n\r\n%s\r\n",
		what, s.cfg.InviteTTL, link))
	return link, nil
}

// UserPatch is a partial change of a user (nil fields stay).
type UserPatch struct {
	Name     *string
	Role     *string
	Disabled *bool
}

// UpdateUser changes a user of the actor's account. Only owners change
// owners or make someone owner; the last active owner stays an active
// owner. Disabling a user ends their sessions.
func (s *Service) UpdateUser(ctx context.Context, actor Actor, id int64, p UserPatch) (User, error) {
	acc, err := actor.account()
	if err != nil {
		return User{}, err
	}
	cur, err := s.cfg.Store.GetUser(ctx, acc, id)
	if err != nil {
		return User{}, fmt.Errorf("accounts: update user: %w", err)
	}
	if err := actor.mayManage(cur.Role); err != nil {
		return User{}, err
	}
	if p.Role != nil {
		if err := actor.mayManage(*p.Role); err != nil {
			return User{}, err
		}
	}
	u, err := s.cfg.Store.UpdateUser(ctx, acc, id, store.UserUpdate{Name: p.Name, Role: p.Role, Disabled: p.Disabled})
	if err != nil {
		return User{}, fmt.Errorf("accounts: update user: %w", err)
	}
	if u.DisabledAt != nil {
		if err := s.cfg.Store.DeleteSessionsOf(ctx, u.ID, 0, ""); err != nil {
			return User{}, fmt.Errorf("accounts: end sessions of disabled user: %w", err)
		}
	}
	s.log.InfoContext(ctx, "user changed", "account_id", acc, "user_id", id, "by", actor.UserID, "role", u.Role, "disabled", u.DisabledAt != nil)
	return userView(u), nil
}

// DeleteUser removes a user of the actor's account (not the last owner;
// owners only by owners).
func (s *Service) DeleteUser(ctx context.Context, actor Actor, id int64) error {
	acc, err := actor.account()
	if err != nil {
		return err
	}
	cur, err := s.cfg.Store.GetUser(ctx, acc, id)
	if err != nil {
		return fmt.Errorf("accounts: delete user: %w", err)
	}
	if err := actor.mayManage(cur.Role); err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteUser(ctx, acc, id); err != nil {
		return fmt.Errorf("accounts: delete user: %w", err)
	}
	s.log.InfoContext(ctx, "user deleted", "account_id", acc, "user_id", id, "by", actor.UserID)
	return nil
}
