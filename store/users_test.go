package store

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func hash64(c string) string { return strings.Repeat(c, 64) }

func mustUser(t *testing.T, s *Store, acc int64, email, role string) User {
	t.Helper()
	u, err := s.CreateUser(ctxT(t), NewUser{AccountID: acc, Email: email, Role: role, Password: "password " + email})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func TestUsersOwnersAndRoles(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		o1 := mustUser(t, s, a.ID, "Boss@Acme.test", RoleOwner)
		sched := mustUser(t, s, a.ID, "sched@acme.test", RoleScheduler)
		mustUser(t, s, b.ID, "boss@acme.test", RoleAdmin)
		if o1.Email != "boss@acme.test" || !o1.CheckPassword("password Boss@Acme.test") || o1.CheckPassword("nope") {
			t.Fatalf("owner %+v", o1)
		}
		if _, err := s.CreateUser(ctx, NewUser{AccountID: a.ID, Email: "x@acme.test", Role: "root"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad role: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{AccountID: a.ID, Email: "y@acme.test", Role: RoleAgent, Password: "short"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("short password: %v", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{AccountID: a.ID, Email: "BOSS@acme.test", Role: RoleAgent}); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate: %v", err)
		}
		us, err := s.FindUsersByEmail(ctx, " BOSS@acme.TEST ")
		if err != nil || len(us) != 2 || us[0].AccountID != a.ID || us[1].AccountID != b.ID {
			t.Fatalf("FindUsersByEmail = %+v, %v", us, err)
		}
		if us, err := s.FindUsersByEmail(ctx, "not an email"); err != nil || len(us) != 0 {
			t.Errorf("malformed email: %+v %v", us, err)
		}

		// The last active owner can be neither demoted, disabled nor deleted.
		agent := RoleAgent
		yes := true
		if _, err := s.UpdateUser(ctx, a.ID, o1.ID, UserUpdate{Role: &agent}); !errors.Is(err, ErrLastOwner) || !errors.Is(err, ErrConflict) {
			t.Errorf("demote last owner: %v", err)
		}
		if _, err := s.UpdateUser(ctx, a.ID, o1.ID, UserUpdate{Disabled: &yes}); !errors.Is(err, ErrLastOwner) {
			t.Errorf("disable last owner: %v", err)
		}
		if err := s.DeleteUser(ctx, a.ID, o1.ID); !errors.Is(err, ErrLastOwner) {
			t.Errorf("delete last owner: %v", err)
		}
		owner, name := RoleOwner, "Sam"
		o2, err := s.UpdateUser(ctx, a.ID, sched.ID, UserUpdate{Role: &owner, Name: &name})
		if err != nil || o2.Role != RoleOwner || o2.Name != "Sam" {
			t.Fatalf("promote: %+v %v", o2, err)
		}
		if got, err := s.AccountOwnerEmails(ctx, a.ID); err != nil || strings.Join(got, ",") != "boss@acme.test,sched@acme.test" {
			t.Errorf("owners %v %v", got, err)
		}
		d, err := s.UpdateUser(ctx, a.ID, o1.ID, UserUpdate{Disabled: &yes})
		if err != nil || d.DisabledAt == nil {
			t.Fatalf("disable one of two owners: %+v %v", d, err)
		}
		if got, _ := s.AccountOwnerEmails(ctx, a.ID); strings.Join(got, ",") != "sched@acme.test" {
			t.Errorf("active owners %v", got)
		}
		if err := s.DeleteUser(ctx, a.ID, o2.ID); !errors.Is(err, ErrLastOwner) {
			t.Errorf("delete the only active owner: %v", err)
		}
		no := false
		if _, err := s.UpdateUser(ctx, a.ID, o1.ID, UserUpdate{Disabled: &no}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteUser(ctx, a.ID, o2.ID); err != nil {
			t.Errorf("delete one of two owners: %v", err)
		}
		// Another account's user is not found.
		if _, err := s.UpdateUser(ctx, b.ID, o1.ID, UserUpdate{Name: &name}); !errors.Is(err, ErrNotFound) {
			t.Errorf("cross-account update: %v", err)
		}
		if err := s.SetUserPassword(ctx, o1.ID, "a new password", "Boss"); err != nil {
			t.Fatal(err)
		}
		u, err := s.GetUserByID(ctx, o1.ID)
		if err != nil || !u.CheckPassword("a new password") || u.Name != "Boss" {
			t.Errorf("after SetUserPassword %+v %v", u, err)
		}
		if err := s.SetAccountDisabled(ctx, a.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAccountDisabled(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if acc, _ := s.GetAccount(ctx, a.ID); acc.DisabledAt != nil {
			t.Error("account still disabled")
		}
		if err := s.SetAccountDisabled(ctx, 999, false); !errors.Is(err, ErrNotFound) {
			t.Errorf("enable missing account: %v", err)
		}
	})
}

func TestSessionsAndTokens(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "acme")
		u := mustUser(t, s, a.ID, "boss@acme.test", RoleOwner)
		op, err := s.CreateOperator(ctx, "Ops@Switchyard.test", "Ops", "operator password")
		if err != nil || op.Email != "ops@switchyard.test" {
			t.Fatalf("CreateOperator %+v %v", op, err)
		}
		if _, err := s.CreateOperator(ctx, "ops@switchyard.test", "", ""); !errors.Is(err, ErrConflict) {
			t.Errorf("duplicate operator: %v", err)
		}
		if got, err := s.FindOperatorByEmail(ctx, "OPS@switchyard.test"); err != nil || got.ID != op.ID || !got.CheckPassword("operator password") {
			t.Errorf("FindOperatorByEmail %+v %v", got, err)
		}
		if _, err := s.FindOperatorByEmail(ctx, "nobody@x.test"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown operator: %v", err)
		}
		if n, err := s.CountLogins(ctx); err != nil || n != 2 {
			t.Errorf("CountLogins = %d %v", n, err)
		}

		now := time.Now()
		uid, oid := u.ID, op.ID
		for i, sess := range []Session{
			{Hash: hash64("a"), UserID: &uid, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: hash64("b"), UserID: &uid, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: hash64("c"), OperatorID: &oid, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: hash64("d"), UserID: &uid, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(-time.Second)},
		} {
			if err := s.CreateSession(ctx, sess); err != nil {
				t.Fatalf("session %d: %v", i, err)
			}
		}
		if err := s.CreateSession(ctx, Session{Hash: hash64("e"), UserID: &uid, OperatorID: &oid}); !errors.Is(err, ErrInvalid) {
			t.Errorf("session with both owners: %v", err)
		}
		got, err := s.GetSession(ctx, hash64("a"))
		if err != nil || got.UserID == nil || *got.UserID != uid || got.OperatorID != nil {
			t.Fatalf("GetSession %+v %v", got, err)
		}
		later := now.Add(time.Minute)
		if err := s.TouchSession(ctx, hash64("a"), later); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.GetSession(ctx, hash64("a")); !got.LastSeenAt.Equal(norm(later)) {
			t.Errorf("LastSeenAt %v, want %v", got.LastSeenAt, norm(later))
		}
		if err := s.DeleteSessionsOf(ctx, uid, 0, hash64("a")); err != nil {
			t.Fatal(err)
		}
		for h, want := range map[string]bool{"a": true, "b": false, "c": true, "d": false} {
			if _, err := s.GetSession(ctx, hash64(h)); (err == nil) != want {
				t.Errorf("session %s after DeleteSessionsOf: %v", h, err)
			}
		}
		if err := s.DeleteSession(ctx, hash64("a")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash64("a")); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleted session: %v", err)
		}

		// Tokens: single use, expiring; redeeming voids the others of the kind.
		for _, tk := range []AuthToken{
			{Hash: hash64("1"), Kind: TokenReset, UserID: &uid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: hash64("2"), Kind: TokenReset, UserID: &uid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
			{Hash: hash64("3"), Kind: TokenReset, UserID: &uid, CreatedAt: now, ExpiresAt: now.Add(-time.Second)},
			{Hash: hash64("4"), Kind: TokenInvite, OperatorID: &oid, CreatedAt: now, ExpiresAt: now.Add(time.Hour)},
		} {
			if err := s.CreateAuthToken(ctx, tk); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.CreateAuthToken(ctx, AuthToken{Hash: hash64("5"), Kind: "magic", UserID: &uid}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad kind: %v", err)
		}
		if _, err := s.UseAuthToken(ctx, hash64("4"), TokenReset, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("wrong kind: %v", err)
		}
		if _, err := s.UseAuthToken(ctx, hash64("3"), TokenReset, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired: %v", err)
		}
		tk, err := s.UseAuthToken(ctx, hash64("1"), TokenReset, now)
		if err != nil || tk.UserID == nil || *tk.UserID != uid || tk.UsedAt == nil {
			t.Fatalf("UseAuthToken %+v %v", tk, err)
		}
		if _, err := s.UseAuthToken(ctx, hash64("1"), TokenReset, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("used twice: %v", err)
		}
		if _, err := s.UseAuthToken(ctx, hash64("2"), TokenReset, now); !errors.Is(err, ErrNotFound) {
			t.Errorf("sibling token still valid: %v", err)
		}
		if tk, err := s.UseAuthToken(ctx, hash64("4"), TokenInvite, now); err != nil || tk.OperatorID == nil || *tk.OperatorID != oid {
			t.Errorf("operator invite %+v %v", tk, err)
		}
		if err := s.PurgeAuth(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash64("d")); !errors.Is(err, ErrNotFound) {
			t.Errorf("expired session kept: %v", err)
		}
		// Deleting a user takes their sessions along.
		if err := s.CreateSession(ctx, Session{Hash: hash64("f"), UserID: &uid, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		mustUser(t, s, a.ID, "o2@acme.test", RoleOwner) // so the first owner may go
		if err := s.DeleteUser(ctx, a.ID, uid); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetSession(ctx, hash64("f")); !errors.Is(err, ErrNotFound) {
			t.Errorf("session of a deleted user: %v", err)
		}
	})
}

func TestAPIKeyRolesAndRotation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a, b := mustAccount(t, s, "acme"), mustAccount(t, s, "beta")
		agent := mustUser(t, s, a.ID, "agent@acme.test", RoleAgent)
		mustUser(t, s, a.ID, "boss@acme.test", RoleOwner)
		k, plain, err := s.CreateAPIKeyFor(ctx, NewAPIKey{AccountID: a.ID, Name: "crm", Role: RoleScheduler})
		if err != nil || k.Role != RoleScheduler || k.UserID != nil {
			t.Fatalf("create %+v %v", k, err)
		}
		p, err := s.AuthenticateAPIKey(ctx, plain)
		if err != nil || p != (Principal{AccountID: a.ID, KeyID: k.ID, Role: RoleScheduler}) {
			t.Fatalf("authenticate %+v %v", p, err)
		}
		if _, _, err := s.CreateAPIKeyFor(ctx, NewAPIKey{AccountID: a.ID, Role: "root"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad role: %v", err)
		}
		if _, _, err := s.CreateAPIKeyFor(ctx, NewAPIKey{AccountID: b.ID, Role: RoleAgent, UserID: agent.ID}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account's user: %v", err)
		}
		// A user's key does no more than the user.
		uk, uplain, err := s.CreateAPIKeyFor(ctx, NewAPIKey{AccountID: a.ID, Name: "desk", Role: RoleAdmin, UserID: agent.ID})
		if err != nil || uk.UserID == nil || *uk.UserID != agent.ID {
			t.Fatalf("user key %+v %v", uk, err)
		}
		if p, err := s.AuthenticateAPIKey(ctx, uplain); err != nil || p.Role != RoleAgent || p.UserID != agent.ID {
			t.Errorf("user key principal %+v %v", p, err)
		}
		yes := true
		if _, err := s.UpdateUser(ctx, a.ID, agent.ID, UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, uplain); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("disabled user's key: %v", err)
		}

		// Rotation: the old key stops, the new one keeps name and role.
		nk, nplain, err := s.RotateAPIKey(ctx, a.ID, k.ID)
		if err != nil || nk.ID == k.ID || nk.Name != "crm" || nk.Role != RoleScheduler || nplain == plain {
			t.Fatalf("rotate %+v %v", nk, err)
		}
		if _, err := s.AuthenticateAPIKey(ctx, plain); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("old key after rotation: %v", err)
		}
		if p, err := s.AuthenticateAPIKey(ctx, nplain); err != nil || p.KeyID != nk.ID {
			t.Errorf("new key %+v %v", p, err)
		}
		if _, _, err := s.RotateAPIKey(ctx, a.ID, k.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("rotate a revoked key: %v", err)
		}
		if _, _, err := s.RotateAPIKey(ctx, b.ID, nk.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("rotate another account's key: %v", err)
		}
		if g, err := s.GetAPIKey(ctx, a.ID, nk.ID); err != nil || g.Hash != "" || g.Role != RoleScheduler {
			t.Errorf("GetAPIKey %+v %v", g, err)
		}
	})
}
