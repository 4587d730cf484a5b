package store

import (
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"
)

func TestAccounts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		first := mustAccount(t, s, "  Acme Corp  ")
		if first.ID <= 0 || first.Name != "Acme Corp" || first.Timezone != "UTC" || first.CreatedAt.IsZero() || first.DisabledAt != nil {
			t.Fatalf("CreateAccount = %+v", first)
		}
		tests := []struct {
			name string
			in   string
			want error
		}{
			{"duplicate", "Acme Corp", ErrConflict},
			{"duplicate after trim", " Acme Corp", ErrConflict},
			{"empty", "   ", ErrInvalid},
			{"control char", "acme\x00", ErrInvalid},
			{"newline", "acme\nx", ErrInvalid},
			{"invalid utf8", "acme\xff", ErrInvalid},
			{"too long", strings.Repeat("x", maxNameLen+1), ErrInvalid},
			{"ok unicode", "Société Générale", nil},
			{"ok max length", strings.Repeat("é", maxNameLen), nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.CreateAccount(ctx, tt.in)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Errorf("CreateAccount(%q) err = %v, want %v", tt.in, err, tt.want)
				}
			})
		}

		got, err := s.GetAccount(ctx, first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != first.Name || !got.CreatedAt.Equal(first.CreatedAt) || got.CreatedAt.Location() != time.UTC {
			t.Errorf("GetAccount = %+v, want %+v", got, first)
		}
		if _, err := s.GetAccount(ctx, first.ID+10000); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetAccount(missing) err = %v", err)
		}
		all, err := s.ListAccounts(ctx)
		if err != nil || len(all) != 3 || all[0].ID != first.ID {
			t.Errorf("ListAccounts = %+v, %v", all, err)
		}

		if err := s.DisableAccount(ctx, first.ID); err != nil {
			t.Fatal(err)
		}
		d1, _ := s.GetAccount(ctx, first.ID)
		if err := s.DisableAccount(ctx, first.ID); err != nil {
			t.Fatalf("second DisableAccount: %v", err)
		}
		d2, _ := s.GetAccount(ctx, first.ID)
		if d1.DisabledAt == nil || !d1.DisabledAt.Equal(*d2.DisabledAt) {
			t.Errorf("disabled_at %v then %v: want set once", d1.DisabledAt, d2.DisabledAt)
		}
		if err := s.DisableAccount(ctx, 999999); !errors.Is(err, ErrNotFound) {
			t.Errorf("DisableAccount(missing) = %v", err)
		}
	})
}

func TestUsers(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		tests := []struct {
			name string
			in   NewUser
			want error
		}{
			{"owner with password", NewUser{AccountID: a.ID, Email: " Ann@Example.com ", Name: "Ann", Role: RoleOwner, Password: "correct horse"}, nil},
			{"agent without password", NewUser{AccountID: a.ID, Email: "bob@example.com", Role: RoleAgent}, nil},
			{"same email other account", NewUser{AccountID: b.ID, Email: "ann@example.com", Role: RoleAdmin}, nil},
			{"duplicate email (case-insensitive)", NewUser{AccountID: a.ID, Email: "ANN@example.com", Role: RoleAgent}, ErrConflict},
			{"bad role", NewUser{AccountID: a.ID, Email: "c@example.com", Role: "root"}, ErrInvalid},
			{"empty email", NewUser{AccountID: a.ID, Role: RoleAgent}, ErrInvalid},
			{"not an email", NewUser{AccountID: a.ID, Email: "nobody", Role: RoleAgent}, ErrInvalid},
			{"display name form", NewUser{AccountID: a.ID, Email: "Ann <x@example.com>", Role: RoleAgent}, ErrInvalid},
			{"short password", NewUser{AccountID: a.ID, Email: "d@example.com", Role: RoleAgent, Password: "short"}, ErrInvalid},
			{"control char in name", NewUser{AccountID: a.ID, Email: "e@example.com", Role: RoleAgent, Name: "a\tb"}, ErrInvalid},
			{"unknown account", NewUser{AccountID: 987654, Email: "f@example.com", Role: RoleAgent}, ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u, err := s.CreateUser(ctx, tt.in)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("CreateUser err = %v, want %v", err, tt.want)
				}
				if err != nil {
					return
				}
				if u.ID <= 0 || u.Email != strings.ToLower(strings.TrimSpace(tt.in.Email)) {
					t.Errorf("CreateUser = %+v", u)
				}
				if (tt.in.Password != "") != (u.PasswordHash != nil) {
					t.Errorf("password hash presence wrong: %v", u.PasswordHash)
				}
				if tt.in.Password != "" {
					if *u.PasswordHash == tt.in.Password || !strings.HasPrefix(*u.PasswordHash, "$2") {
						t.Errorf("password not bcrypt-hashed")
					}
				}
			})
		}
		us, err := s.ListUsers(ctx, a.ID)
		if err != nil || len(us) != 2 {
			t.Fatalf("ListUsers(a) = %+v, %v", us, err)
		}
		ann, err := s.GetUser(ctx, a.ID, us[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if !ann.CheckPassword("correct horse") || ann.CheckPassword("wrong horse") {
			t.Error("CheckPassword does not verify the stored hash")
		}
		if bob, err := s.GetUser(ctx, a.ID, us[1].ID); err != nil {
			t.Fatalf("s.GetUser(ctx, a.ID, us[1].ID): %v", err)
		} else if bob.CheckPassword("") {
			t.Error("user without password accepted an empty password")
		}
	})
}

var keyRE = regexp.MustCompile(`^sy_[0-9a-f]{8}_[0-9a-f]{64}$`)

func TestAPIKeys(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		k, plain, err := s.CreateAPIKey(ctx, a.ID, "ci")
		if err != nil {
			t.Fatal(err)
		}
		if !keyRE.MatchString(plain) || k.Prefix != plain[3:11] || k.Hash != "" || k.ID <= 0 {
			t.Fatalf("CreateAPIKey = %+v, %q", k, plain)
		}
		if _, _, err := s.CreateAPIKey(ctx, 999999, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("CreateAPIKey(unknown account) = %v", err)
		}
		kb, plainB, err := s.CreateAPIKey(ctx, b.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		// A second key that shares the prefix (possible: 32 bits) must not
		// confuse the lookup.
		twin := plain[:12] + strings.Repeat("0", 64)
		if err := s.w.WithContext(ctx).Create(&APIKey{AccountID: b.ID, Name: "twin", Role: RoleAdmin, Prefix: k.Prefix, Hash: hashAPIKey(twin), CreatedAt: now()}).Error; err != nil {
			t.Fatal(err)
		}
		wrongSecret := plain[:len(plain)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", plain[len(plain)-1])+1)%16])

		revoked, plainRevoked, err := s.CreateAPIKey(ctx, a.ID, "old")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RevokeAPIKey(ctx, a.ID, revoked.ID); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name string
			key  string
			want Principal
			err  error
		}{
			{"good", plain, Principal{AccountID: a.ID, KeyID: k.ID, Role: RoleAdmin}, nil},
			{"other account", plainB, Principal{AccountID: b.ID, KeyID: kb.ID, Role: RoleAdmin}, nil},
			{"twin prefix", twin, Principal{AccountID: b.ID, KeyID: k.ID + 2, Role: RoleAdmin}, nil},
			{"wrong secret", wrongSecret, Principal{}, ErrUnauthenticated},
			{"revoked", plainRevoked, Principal{}, ErrUnauthenticated},
			{"empty", "", Principal{}, ErrUnauthenticated},
			{"bearer included", "Bearer " + plain, Principal{}, ErrUnauthenticated},
			{"uppercase", strings.ToUpper(plain), Principal{}, ErrUnauthenticated},
			{"truncated", plain[:len(plain)-1], Principal{}, ErrUnauthenticated},
			{"trailing space", plain + " ", Principal{}, ErrUnauthenticated},
			{"wrong scheme", "sk" + plain[2:], Principal{}, ErrUnauthenticated},
			{"wrong separator", plain[:11] + "-" + plain[12:], Principal{}, ErrUnauthenticated},
			{"non-hex", plain[:20] + "g" + plain[21:], Principal{}, ErrUnauthenticated},
			{"unknown prefix", "sy_ffffffff_" + plain[12:], Principal{}, ErrUnauthenticated},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p, err := s.AuthenticateAPIKey(ctx, tt.key)
				if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
					t.Fatalf("AuthenticateAPIKey err = %v, want %v", err, tt.err)
				}
				if tt.name == "twin prefix" {
					tt.want.KeyID = p.KeyID // id assigned by the database
					if p.KeyID == k.ID {
						t.Fatal("twin key authenticated as the original")
					}
				}
				if p != tt.want {
					t.Errorf("principal = %+v, want %+v", p, tt.want)
				}
				if err != nil && len(tt.key) > 12 && strings.Contains(err.Error(), tt.key[12:]) {
					t.Errorf("error leaks the secret: %v", err)
				}
			})
		}

		// Listing: per account, no secrets.
		ks, err := s.ListAPIKeys(ctx, a.ID)
		if err != nil || len(ks) != 2 {
			t.Fatalf("ListAPIKeys(a) = %+v, %v", ks, err)
		}
		for _, x := range ks {
			if x.AccountID != a.ID || x.Hash != "" {
				t.Errorf("listed key %+v", x)
			}
		}
		if ks[1].RevokedAt == nil {
			t.Error("revoked key listed without revoked_at")
		}
		// Revocation is per account and idempotent.
		if err := s.RevokeAPIKey(ctx, b.ID, k.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("RevokeAPIKey by another account = %v, want ErrNotFound", err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, plain); err != nil {
			t.Errorf("key revoked by another account's request: %v", err)
		}
		before := *ks[1].RevokedAt
		if err := s.RevokeAPIKey(ctx, a.ID, revoked.ID); err != nil {
			t.Errorf("second revoke: %v", err)
		}
		ks, _ = s.ListAPIKeys(ctx, a.ID)
		if !ks[1].RevokedAt.Equal(before) {
			t.Errorf("second revoke moved revoked_at %v -> %v", before, ks[1].RevokedAt)
		}

		// Disabled account: its keys stop working.
		if err := s.DisableAccount(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, plainB); !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "disabled") {
			t.Errorf("key of disabled account: %v", err)
		}
	})
}

func TestAPIKeyLastUsedThrottle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		k, plain, err := s.CreateAPIKey(ctx, a.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		lastUsed := func() *time.Time {
			t.Helper()
			ks, err := s.ListAPIKeys(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return ks[0].LastUsedAt
		}
		if lastUsed() != nil {
			t.Fatal("new key already has last_used_at")
		}
		if _, err := s.AuthenticateAPIKey(ctx, plain); err != nil {
			t.Fatal(err)
		}
		first := lastUsed()
		if first == nil {
			t.Fatal("last_used_at not set by the first use")
		}
		// Count UPDATEs of api_keys from now on: 50 more uses within the
		// minute must not write at all.
		var writes atomic.Int64
		err = s.w.Callback().Update().After("gorm:update").Register("test:count_key_writes", func(db *gorm.DB) {
			if db.Statement.Table == "api_keys" {
				writes.Add(1)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			if _, err := s.AuthenticateAPIKey(ctx, plain); err != nil {
				t.Fatal(err)
			}
		}
		if n := writes.Load(); n != 0 {
			t.Errorf("%d last_used_at writes for 50 uses within a minute, want 0", n)
		}
		if got := lastUsed(); !got.Equal(*first) {
			t.Errorf("last_used_at rewritten within a minute: %v -> %v", first, got)
		}
		// A minute later (simulated: move the stored value and this
		// process's memory back) the next use refreshes it.
		old := first.Add(-2 * time.Minute)
		if err := s.w.WithContext(ctx).Model(&APIKey{}).Where("id = ?", k.ID).Update("last_used_at", old).Error; err != nil {
			t.Fatal(err)
		}
		s.touchMu.Lock()
		s.touched[k.ID] = old
		s.touchMu.Unlock()
		writes.Store(0)
		if _, err := s.AuthenticateAPIKey(ctx, plain); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); got == nil || got.Before(*first) {
			t.Errorf("last_used_at not refreshed after a minute: %v (old %v)", got, old)
		}
		if n := writes.Load(); n != 1 {
			t.Errorf("%d writes for the use after a minute, want 1", n)
		}
	})
}

func TestAccountCountry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "Country Co")
		if cc, err := s.AccountCountry(ctx, a.ID); err != nil || cc != "" {
			t.Fatalf("new account country = %q, %v; want empty", cc, err)
		}
		for _, tt := range []struct {
			in, want string
			err      error
		}{
			{" in ", "IN", nil},
			{"US", "US", nil},
			{"XX", "", ErrInvalid},
			{"IND", "", ErrInvalid},
			{"", "", nil},
		} {
			err := s.SetAccountCountry(ctx, a.ID, tt.in)
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("SetAccountCountry(%q) = %v, want %v", tt.in, err, tt.err)
				continue
			}
			if tt.err != nil {
				continue
			}
			cc, err := s.AccountCountry(ctx, a.ID)
			if err != nil || cc != tt.want {
				t.Errorf("after %q: country %q, %v; want %q", tt.in, cc, err, tt.want)
			}
		}
		if err := s.SetAccountCountry(ctx, 1<<40, "IN"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown account: %v", err)
		}
	})
}
