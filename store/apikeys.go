package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// API key format:
//
//	sy_<prefix>_<secret>
//
// prefix: 8 lowercase hex characters (4 random bytes). Stored in clear and
// indexed: it finds the candidate row(s) and lets users tell keys apart.
// secret: 64 lowercase hex characters (32 random bytes from crypto/rand).
//
// Only SHA-256(full key) is stored, as lowercase hex. A fast, unsalted hash is
// the right tool here (unlike passwords): the key carries 256 bits of
// entropy, so neither brute force nor precomputed tables can invert the hash,
// and hashing must stay cheap because it runs on every API request.
const (
	apiKeyScheme    = "sy_"
	apiKeyPrefixLen = 8
	apiKeySecretLen = 64
	apiKeyLen       = len(apiKeyScheme) + apiKeyPrefixLen + 1 + apiKeySecretLen

	// lastUsedEvery throttles last_used_at writes: at most one per key per
	// interval, not one per request.
	lastUsedEvery = time.Minute
)

// Principal is who an API key authenticates as. Role is what the key may
// do: its own role, cut to its user's current role when it is bound to a
// user.
type Principal struct {
	AccountID int64
	KeyID     int64
	UserID    int64 // 0: an integration key, bound to no user
	Role      string
}

// parseAPIKey checks the key's shape and returns its prefix. It never
// echoes the key (it is a secret) in errors.
func parseAPIKey(key string) (prefix string, err error) {
	if len(key) != apiKeyLen {
		return "", fmt.Errorf("store: malformed API key (want %d characters, got %d): %w", apiKeyLen, len(key), ErrUnauthenticated)
	}
	if key[:len(apiKeyScheme)] != apiKeyScheme {
		return "", fmt.Errorf("store: malformed API key (want prefix %q): %w", apiKeyScheme, ErrUnauthenticated)
	}
	rest := key[len(apiKeyScheme):]
	if rest[apiKeyPrefixLen] != '_' {
		return "", fmt.Errorf("store: malformed API key (want sy_<8 hex>_<64 hex>): %w", ErrUnauthenticated)
	}
	prefix, secret := rest[:apiKeyPrefixLen], rest[apiKeyPrefixLen+1:]
	if !isLowerHex(prefix) || !isLowerHex(secret) {
		return "", fmt.Errorf("store: malformed API key (want lowercase hex after sy_): %w", ErrUnauthenticated)
	}
	return prefix, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func hashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// newAPIKey generates a fresh key and its prefix.
func newAPIKey() (key, prefix string) {
	var p [apiKeyPrefixLen / 2]byte
	var sec [apiKeySecretLen / 2]byte
	// crypto/rand.Read never returns an error (it panics if the OS source
	// fails).
	_, _ = rand.Read(p[:])
	_, _ = rand.Read(sec[:])
	prefix = hex.EncodeToString(p[:])
	return apiKeyScheme + prefix + "_" + hex.EncodeToString(sec[:]), prefix
}

// CreateAPIKey creates an admin key for an account (bound to no user) and
// returns it with its plaintext, which is not stored and cannot be shown
// again.
func (s *Store) CreateAPIKey(ctx context.Context, accountID int64, name string) (APIKey, string, error) {
	return s.CreateAPIKeyFor(ctx, NewAPIKey{AccountID: accountID, Name: name, Role: RoleAdmin})
}

// NewAPIKey is the input of CreateAPIKeyFor.
type NewAPIKey struct {
	AccountID int64
	Name      string
	Role      string // one of Roles
	UserID    int64  // 0: an integration key; else a user of the account
}

// CreateAPIKeyFor creates a key with a role, optionally bound to a user of
// the account, and returns it with its plaintext (shown once).
func (s *Store) CreateAPIKeyFor(ctx context.Context, in NewAPIKey) (k APIKey, plaintext string, err error) {
	defer s.track("CreateAPIKey", time.Now(), &err)
	return s.createAPIKey(s.w.WithContext(ctx), in)
}

func (s *Store) createAPIKey(db *gorm.DB, in NewAPIKey) (APIKey, string, error) {
	name, err := validName("API key", in.Name, false)
	if err != nil {
		return APIKey{}, "", err
	}
	if !validRole(in.Role) {
		return APIKey{}, "", ErrInvalid.New("role", "API key role %q: want one of %v", in.Role, Roles)
	}
	key, prefix := newAPIKey()
	k := APIKey{AccountID: in.AccountID, Name: name, Role: in.Role, Prefix: prefix, Hash: hashAPIKey(key), CreatedAt: now()}
	if in.UserID != 0 {
		var n int64
		if err := db.Model(&User{}).Where("id = ? AND account_id = ?", in.UserID, in.AccountID).Count(&n).Error; err != nil {
			return APIKey{}, "", fmt.Errorf("store: API key user: %w", err)
		}
		if n == 0 {
			return APIKey{}, "", fmt.Errorf("store: user %d in account %d: %w", in.UserID, in.AccountID, ErrNotFound)
		}
		uid := in.UserID
		k.UserID = &uid
	}
	if err := db.Create(&k).Error; err != nil {
		if isFKViolation(err) {
			return APIKey{}, "", fmt.Errorf("store: account %d: %w", in.AccountID, ErrNotFound)
		}
		return APIKey{}, "", fmt.Errorf("store: create API key for account %d: %w", in.AccountID, err)
	}
	k.Hash = ""
	return k, key, nil
}

// GetAPIKey returns one key of the account (no secret material).
func (s *Store) GetAPIKey(ctx context.Context, accountID, keyID int64) (k APIKey, err error) {
	defer s.track("GetAPIKey", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("id = ? AND account_id = ?", keyID, accountID).Take(&k).Error; err != nil {
		if isNotFound(err) {
			return APIKey{}, fmt.Errorf("store: API key %d in account %d: %w", keyID, accountID, ErrNotFound)
		}
		return APIKey{}, fmt.Errorf("store: get API key %d: %w", keyID, err)
	}
	k.Hash = ""
	return k, nil
}

// RotateAPIKey replaces a key that is not revoked: the old key is revoked
// and a new one with the same name, role and user is returned with its
// plaintext (shown once), in one transaction.
func (s *Store) RotateAPIKey(ctx context.Context, accountID, keyID int64) (k APIKey, plaintext string, err error) {
	defer s.track("RotateAPIKey", time.Now(), &err)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var old APIKey
		if err := tx.Where("id = ? AND account_id = ? AND revoked_at IS NULL", keyID, accountID).Take(&old).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: API key %d in account %d (or revoked): %w", keyID, accountID, ErrNotFound)
			}
			return fmt.Errorf("store: get API key %d: %w", keyID, err)
		}
		res := tx.Model(&APIKey{}).Where("id = ? AND revoked_at IS NULL", keyID).Update("revoked_at", now())
		if res.Error != nil {
			return fmt.Errorf("store: revoke API key %d: %w", keyID, res.Error)
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("store: API key %d was revoked meanwhile: %w", keyID, ErrNotFound)
		}
		var uid int64
		if old.UserID != nil {
			uid = *old.UserID
		}
		k, plaintext, err = s.createAPIKey(tx, NewAPIKey{AccountID: accountID, Name: old.Name, Role: old.Role, UserID: uid})
		return err
	})
	if err != nil {
		return APIKey{}, "", err
	}
	return k, plaintext, nil
}

// ListAPIKeys returns an account's keys (revoked ones included) without
// any secret material.
func (s *Store) ListAPIKeys(ctx context.Context, accountID int64) (ks []APIKey, err error) {
	defer s.track("ListAPIKeys", time.Now(), &err)
	ks = []APIKey{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&ks).Error; err != nil {
		return nil, fmt.Errorf("store: list API keys of account %d: %w", accountID, err)
	}
	for i := range ks {
		ks[i].Hash = ""
	}
	return ks, nil
}

// RevokeAPIKey revokes a key of the account. Revoking twice keeps the first
// revocation time and is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, accountID, keyID int64) (err error) {
	defer s.track("RevokeAPIKey", time.Now(), &err)
	res := s.w.WithContext(ctx).Model(&APIKey{}).
		Where("id = ? AND account_id = ? AND revoked_at IS NULL", keyID, accountID).
		Update("revoked_at", now())
	if res.Error != nil {
		return fmt.Errorf("store: revoke API key %d: %w", keyID, res.Error)
	}
	if res.RowsAffected == 0 {
		var n int64
		if err := s.w.WithContext(ctx).Model(&APIKey{}).Where("id = ? AND account_id = ?", keyID, accountID).Count(&n).Error; err != nil {
			return fmt.Errorf("store: revoke API key %d: %w", keyID, err)
		}
		if n == 0 {
			return fmt.Errorf("store: API key %d in account %d: %w", keyID, accountID, ErrNotFound)
		}
	}
	return nil
}

// AuthenticateAPIKey resolves a plaintext key to its account. It fails with
// ErrUnauthenticated for a malformed, unknown or revoked key and for a key
// of a disabled account. The hash comparison is constant-time. last_used_at
// is refreshed at most once a minute per key.
func (s *Store) AuthenticateAPIKey(ctx context.Context, key string) (p Principal, err error) {
	defer s.track("AuthenticateAPIKey", time.Now(), &err)
	prefix, err := parseAPIKey(key)
	if err != nil {
		return Principal{}, err
	}
	want := []byte(hashAPIKey(key))
	var rows []struct {
		ID             int64
		AccountID      int64
		Hash           string
		Role           string
		UserID         *int64
		RevokedAt      *time.Time
		LastUsedAt     *time.Time
		DisabledAt     *time.Time
		UserRole       *string
		UserDisabledAt *time.Time
	}
	// (Query builder rather than Raw().Scan: gorm's Scan path would log the
	// bind parameters.)
	err = s.r.WithContext(ctx).Table("api_keys AS k").
		Select("k.id, k.account_id, k.hash, k.role, k.user_id, k.revoked_at, k.last_used_at, a.disabled_at, "+
			"u.role AS user_role, u.disabled_at AS user_disabled_at").
		Joins("JOIN accounts AS a ON a.id = k.account_id").
		Joins("LEFT JOIN users AS u ON u.id = k.user_id").
		Where("k.prefix = ?", prefix).Find(&rows).Error
	if err != nil {
		return Principal{}, fmt.Errorf("store: authenticate API key %s…: %w", prefix, err)
	}
	for _, r := range rows {
		if subtle.ConstantTimeCompare([]byte(r.Hash), want) != 1 {
			continue
		}
		switch {
		case r.RevokedAt != nil:
			return Principal{}, fmt.Errorf("store: API key %d (%s…) is revoked: %w", r.ID, prefix, ErrUnauthenticated)
		case r.DisabledAt != nil:
			return Principal{}, fmt.Errorf("store: API key %d (%s…): account %d is disabled: %w", r.ID, prefix, r.AccountID, ErrUnauthenticated)
		case r.UserID != nil && (r.UserRole == nil || r.UserDisabledAt != nil):
			return Principal{}, fmt.Errorf("store: API key %d (%s…): its user %d is disabled or gone: %w", r.ID, prefix, *r.UserID, ErrUnauthenticated)
		}
		p := Principal{AccountID: r.AccountID, KeyID: r.ID, Role: r.Role}
		if r.UserID != nil {
			p.UserID = *r.UserID
			if RoleRank(*r.UserRole) < RoleRank(p.Role) {
				p.Role = *r.UserRole // never more than the user may do now
			}
		}
		if RoleRank(p.Role) == 0 {
			return Principal{}, fmt.Errorf("store: API key %d (%s…) has no valid role: %w", r.ID, prefix, ErrUnauthenticated)
		}
		t := now()
		if r.LastUsedAt == nil || t.Sub(*r.LastUsedAt) >= lastUsedEvery {
			s.touchAPIKey(ctx, r.ID, t)
		}
		return p, nil
	}
	return Principal{}, fmt.Errorf("store: unknown API key %s…: %w", prefix, ErrUnauthenticated)
}

// touchAPIKey writes last_used_at unless this process did so for the key
// within lastUsedEvery (which absorbs bursts of concurrent requests that all
// read a stale value). The WHERE clause keeps several processes from
// rewriting it more often either. Failures are logged, not returned: they
// must not fail the request.
func (s *Store) touchAPIKey(ctx context.Context, id int64, t time.Time) {
	s.touchMu.Lock()
	if last, ok := s.touched[id]; ok && t.Sub(last) < lastUsedEvery {
		s.touchMu.Unlock()
		return
	}
	s.touched[id] = t
	if len(s.touched) > 10000 {
		for k, v := range s.touched {
			if t.Sub(v) >= lastUsedEvery {
				delete(s.touched, k)
			}
		}
	}
	s.touchMu.Unlock()

	err := s.w.WithContext(ctx).Model(&APIKey{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at <= ?)", id, t.Add(-lastUsedEvery)).
		Update("last_used_at", t).Error
	if err != nil {
		s.log.WarnContext(ctx, "update API key last_used_at", "key_id", id, "err", err)
	}
}
