package accounts

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// APIKey is a key as listed (never its secret).
type APIKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	UserID     *int64     `json:"user_id"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func keyView(k store.APIKey) APIKey {
	return APIKey{ID: k.ID, Name: k.Name, Role: k.Role, UserID: k.UserID, Prefix: k.Prefix,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// NewAPIKey is the input of CreateAPIKey.
type NewAPIKey struct {
	Name string
	Role string
	// UserID binds the key to a user of the account (it then never does
	// more than the user may); 0 makes an integration key.
	UserID int64
}

// mayHoldKey: nobody hands out a key stronger than their own role.
func (a Actor) mayHoldKey(role string) error {
	if !a.may(store.RoleAdmin) {
		return fmt.Errorf("accounts: role %s manages no API keys: %w", a.Role, ErrForbidden)
	}
	if store.RoleRank(role) > store.RoleRank(a.Role) {
		return switchyard.Forbidden("a key cannot have a role above your own (%s)", a.Role)
	}
	return nil
}

// ListAPIKeys lists the account's keys, revoked ones included.
func (s *Service) ListAPIKeys(ctx context.Context, actor Actor) ([]APIKey, error) {
	acc, err := actor.account()
	if err != nil {
		return nil, err
	}
	ks, err := s.cfg.Store.ListAPIKeys(ctx, acc)
	if err != nil {
		return nil, fmt.Errorf("accounts: list API keys: %w", err)
	}
	out := make([]APIKey, 0, len(ks))
	for _, k := range ks {
		out = append(out, keyView(k))
	}
	return out, nil
}

// CreateAPIKey makes a key; plaintext is shown once.
func (s *Service) CreateAPIKey(ctx context.Context, actor Actor, in NewAPIKey) (k APIKey, plaintext string, err error) {
	acc, err := actor.account()
	if err != nil {
		return APIKey{}, "", err
	}
	if in.Role == "" {
		return APIKey{}, "", switchyard.Invalid("role", "give the key a role: one of %v", store.Roles)
	}
	if store.RoleRank(in.Role) == 0 {
		return APIKey{}, "", switchyard.Invalid("role", "role %q: want one of %v", in.Role, store.Roles)
	}
	if err := actor.mayHoldKey(in.Role); err != nil {
		return APIKey{}, "", err
	}
	sk, plain, err := s.cfg.Store.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: acc, Name: in.Name, Role: in.Role, UserID: in.UserID})
	if err != nil {
		return APIKey{}, "", fmt.Errorf("accounts: create API key: %w", err)
	}
	s.log.InfoContext(ctx, "API key created", "account_id", acc, "key_id", sk.ID, "role", sk.Role, "by", actor.UserID)
	return keyView(sk), plain, nil
}

// keyFor loads a key the actor may manage.
func (s *Service) keyFor(ctx context.Context, actor Actor, id int64) (int64, error) {
	acc, err := actor.account()
	if err != nil {
		return 0, err
	}
	k, err := s.cfg.Store.GetAPIKey(ctx, acc, id)
	if err != nil {
		return 0, fmt.Errorf("accounts: API key: %w", err)
	}
	if err := actor.mayHoldKey(k.Role); err != nil {
		return 0, err
	}
	return acc, nil
}

// RotateAPIKey revokes a key and makes its replacement (same name, role
// and user); plaintext is shown once.
func (s *Service) RotateAPIKey(ctx context.Context, actor Actor, id int64) (k APIKey, plaintext string, err error) {
	acc, err := s.keyFor(ctx, actor, id)
	if err != nil {
		return APIKey{}, "", err
	}
	sk, plain, err := s.cfg.Store.RotateAPIKey(ctx, acc, id)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("accounts: rotate API key: %w", err)
	}
	s.log.InfoContext(ctx, "API key rotated", "account_id", acc, "old_key_id", id, "key_id", sk.ID, "by", actor.UserID)
	return keyView(sk), plain, nil
}

// RevokeAPIKey revokes a key (again is fine).
func (s *Service) RevokeAPIKey(ctx context.Context, actor Actor, id int64) error {
	acc, err := s.keyFor(ctx, actor, id)
	if err != nil {
		return err
	}
	if err := s.cfg.Store.RevokeAPIKey(ctx, acc, id); err != nil {
		return fmt.Errorf("accounts: revoke API key: %w", err)
	}
	s.log.InfoContext(ctx, "API key revoked", "account_id", acc, "key_id", id, "by", actor.UserID)
	return nil
}
