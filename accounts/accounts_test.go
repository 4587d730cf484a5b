package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// fakeStore is a function-field fake of Store: a test sets the methods it
// expects; any other call fails.
type fakeStore struct {
	createAccount       func(ctx context.Context, name string) (store.Account, error)
	getAccount          func(ctx context.Context, id int64) (store.Account, error)
	listAccounts        func(ctx context.Context) ([]store.Account, error)
	setAccountDisabled  func(ctx context.Context, id int64, disabled bool) error
	setAccountTimezone  func(ctx context.Context, id int64, tz string) error
	setAccountCountry   func(ctx context.Context, id int64, country string) error
	setReportEnabled    func(ctx context.Context, id int64, report string, enabled bool) error
	enabledReports      func(ctx context.Context, id int64) ([]string, error)
	grantHTTPPolicy     func(ctx context.Context, id int64, allowHTTP bool, cidrs []string) (store.HTTPPolicy, error)
	getHTTPPolicy       func(ctx context.Context, id int64) (store.HTTPPolicy, error)
	createUser          func(ctx context.Context, in store.NewUser) (store.User, error)
	getUser             func(ctx context.Context, accountID, id int64) (store.User, error)
	getUserByID         func(ctx context.Context, id int64) (store.User, error)
	listUsers           func(ctx context.Context, accountID int64) ([]store.User, error)
	findUsersByEmail    func(ctx context.Context, email string) ([]store.User, error)
	updateUser          func(ctx context.Context, accountID, id int64, upd store.UserUpdate) (store.User, error)
	deleteUser          func(ctx context.Context, accountID, id int64) error
	setUserPassword     func(ctx context.Context, id int64, password, name string) error
	createOperator      func(ctx context.Context, email, name, password string) (store.Operator, error)
	getOperator         func(ctx context.Context, id int64) (store.Operator, error)
	findOperatorByEmail func(ctx context.Context, email string) (store.Operator, error)
	setOperatorPassword func(ctx context.Context, id int64, password, name string) error
	countLogins         func(ctx context.Context) (int64, error)
	createSession       func(ctx context.Context, s store.Session) error
	getSession          func(ctx context.Context, hash string) (store.Session, error)
	touchSession        func(ctx context.Context, hash string, at time.Time) error
	deleteSession       func(ctx context.Context, hash string) error
	deleteSessionsOf    func(ctx context.Context, userID, operatorID int64, keep string) error
	purgeAuth           func(ctx context.Context, before time.Time) error
	createAuthToken     func(ctx context.Context, t store.AuthToken) error
	useAuthToken        func(ctx context.Context, hash, kind string, at time.Time) (store.AuthToken, error)
	createAPIKeyFor     func(ctx context.Context, in store.NewAPIKey) (store.APIKey, string, error)
	getAPIKey           func(ctx context.Context, accountID, keyID int64) (store.APIKey, error)
	listAPIKeys         func(ctx context.Context, accountID int64) ([]store.APIKey, error)
	rotateAPIKey        func(ctx context.Context, accountID, keyID int64) (store.APIKey, string, error)
	revokeAPIKey        func(ctx context.Context, accountID, keyID int64) error
	chargeLoginAttempt  func(ctx context.Context, keys []store.LoginKey, at time.Time, window time.Duration, limit int) (bool, error)
	clearLoginFailures  func(ctx context.Context, keys []store.LoginKey) error
	clearFailuresOf     func(ctx context.Context, email string) error
	pruneLoginFailures  func(ctx context.Context, before time.Time) (int64, error)
}

func (f *fakeStore) ChargeLoginAttempt(ctx context.Context, keys []store.LoginKey, at time.Time, window time.Duration, limit int) (bool, error) {
	if f.chargeLoginAttempt == nil {
		return false, errNotFaked
	}
	return f.chargeLoginAttempt(ctx, keys, at, window, limit)
}
func (f *fakeStore) ClearLoginFailures(ctx context.Context, keys []store.LoginKey) error {
	if f.clearLoginFailures == nil {
		return errNotFaked
	}
	return f.clearLoginFailures(ctx, keys)
}
func (f *fakeStore) ClearLoginFailuresOf(ctx context.Context, email string) error {
	if f.clearFailuresOf == nil {
		return errNotFaked
	}
	return f.clearFailuresOf(ctx, email)
}
func (f *fakeStore) PruneLoginFailures(ctx context.Context, before time.Time) (int64, error) {
	if f.pruneLoginFailures == nil {
		return 0, errNotFaked
	}
	return f.pruneLoginFailures(ctx, before)
}

var errNotFaked = errors.New("fake store: method not faked")

func (f *fakeStore) CreateAccount(ctx context.Context, name string) (store.Account, error) {
	if f.createAccount == nil {
		return store.Account{}, errNotFaked
	}
	return f.createAccount(ctx, name)
}
func (f *fakeStore) GetAccount(ctx context.Context, id int64) (store.Account, error) {
	if f.getAccount == nil {
		return store.Account{}, errNotFaked
	}
	return f.getAccount(ctx, id)
}
func (f *fakeStore) ListAccounts(ctx context.Context) ([]store.Account, error) {
	if f.listAccounts == nil {
		return nil, errNotFaked
	}
	return f.listAccounts(ctx)
}
func (f *fakeStore) SetAccountDisabled(ctx context.Context, id int64, d bool) error {
	if f.setAccountDisabled == nil {
		return errNotFaked
	}
	return f.setAccountDisabled(ctx, id, d)
}
func (f *fakeStore) SetAccountTimezone(ctx context.Context, id int64, tz string) error {
	if f.setAccountTimezone == nil {
		return errNotFaked
	}
	return f.setAccountTimezone(ctx, id, tz)
}
func (f *fakeStore) SetAccountCountry(ctx context.Context, id int64, c string) error {
	if f.setAccountCountry == nil {
		return errNotFaked
	}
	return f.setAccountCountry(ctx, id, c)
}
func (f *fakeStore) SetReportEnabled(ctx context.Context, id int64, r string, on bool) error {
	if f.setReportEnabled == nil {
		return errNotFaked
	}
	return f.setReportEnabled(ctx, id, r, on)
}
func (f *fakeStore) EnabledReports(ctx context.Context, id int64) ([]string, error) {
	if f.enabledReports == nil {
		return nil, errNotFaked
	}
	return f.enabledReports(ctx, id)
}
func (f *fakeStore) GrantHTTPPolicy(ctx context.Context, id int64, h bool, c []string) (store.HTTPPolicy, error) {
	if f.grantHTTPPolicy == nil {
		return store.HTTPPolicy{}, errNotFaked
	}
	return f.grantHTTPPolicy(ctx, id, h, c)
}
func (f *fakeStore) GetHTTPPolicy(ctx context.Context, id int64) (store.HTTPPolicy, error) {
	if f.getHTTPPolicy == nil {
		return store.HTTPPolicy{}, errNotFaked
	}
	return f.getHTTPPolicy(ctx, id)
}
func (f *fakeStore) CreateUser(ctx context.Context, in store.NewUser) (store.User, error) {
	if f.createUser == nil {
		return store.User{}, errNotFaked
	}
	return f.createUser(ctx, in)
}
func (f *fakeStore) GetUser(ctx context.Context, acc, id int64) (store.User, error) {
	if f.getUser == nil {
		return store.User{}, errNotFaked
	}
	return f.getUser(ctx, acc, id)
}
func (f *fakeStore) GetUserByID(ctx context.Context, id int64) (store.User, error) {
	if f.getUserByID == nil {
		return store.User{}, errNotFaked
	}
	return f.getUserByID(ctx, id)
}
func (f *fakeStore) ListUsers(ctx context.Context, acc int64) ([]store.User, error) {
	if f.listUsers == nil {
		return nil, errNotFaked
	}
	return f.listUsers(ctx, acc)
}
func (f *fakeStore) FindUsersByEmail(ctx context.Context, email string) ([]store.User, error) {
	if f.findUsersByEmail == nil {
		return nil, errNotFaked
	}
	return f.findUsersByEmail(ctx, email)
}
func (f *fakeStore) UpdateUser(ctx context.Context, acc, id int64, u store.UserUpdate) (store.User, error) {
	if f.updateUser == nil {
		return store.User{}, errNotFaked
	}
	return f.updateUser(ctx, acc, id, u)
}
func (f *fakeStore) DeleteUser(ctx context.Context, acc, id int64) error {
	if f.deleteUser == nil {
		return errNotFaked
	}
	return f.deleteUser(ctx, acc, id)
}
func (f *fakeStore) SetUserPassword(ctx context.Context, id int64, pw, name string) error {
	if f.setUserPassword == nil {
		return errNotFaked
	}
	return f.setUserPassword(ctx, id, pw, name)
}
func (f *fakeStore) CreateOperator(ctx context.Context, e, n, pw string) (store.Operator, error) {
	if f.createOperator == nil {
		return store.Operator{}, errNotFaked
	}
	return f.createOperator(ctx, e, n, pw)
}
func (f *fakeStore) GetOperator(ctx context.Context, id int64) (store.Operator, error) {
	if f.getOperator == nil {
		return store.Operator{}, errNotFaked
	}
	return f.getOperator(ctx, id)
}
func (f *fakeStore) FindOperatorByEmail(ctx context.Context, e string) (store.Operator, error) {
	if f.findOperatorByEmail == nil {
		return store.Operator{}, store.ErrNotFound // no operators unless faked
	}
	return f.findOperatorByEmail(ctx, e)
}
func (f *fakeStore) SetOperatorPassword(ctx context.Context, id int64, pw, n string) error {
	if f.setOperatorPassword == nil {
		return errNotFaked
	}
	return f.setOperatorPassword(ctx, id, pw, n)
}
func (f *fakeStore) CountLogins(ctx context.Context) (int64, error) {
	if f.countLogins == nil {
		return 0, errNotFaked
	}
	return f.countLogins(ctx)
}
func (f *fakeStore) CreateSession(ctx context.Context, s store.Session) error {
	if f.createSession == nil {
		return errNotFaked
	}
	return f.createSession(ctx, s)
}
func (f *fakeStore) GetSession(ctx context.Context, h string) (store.Session, error) {
	if f.getSession == nil {
		return store.Session{}, errNotFaked
	}
	return f.getSession(ctx, h)
}
func (f *fakeStore) TouchSession(ctx context.Context, h string, at time.Time) error {
	if f.touchSession == nil {
		return errNotFaked
	}
	return f.touchSession(ctx, h, at)
}
func (f *fakeStore) DeleteSession(ctx context.Context, h string) error {
	if f.deleteSession == nil {
		return errNotFaked
	}
	return f.deleteSession(ctx, h)
}
func (f *fakeStore) DeleteSessionsOf(ctx context.Context, u, o int64, keep string) error {
	if f.deleteSessionsOf == nil {
		return errNotFaked
	}
	return f.deleteSessionsOf(ctx, u, o, keep)
}
func (f *fakeStore) PurgeAuth(ctx context.Context, before time.Time) error {
	if f.purgeAuth == nil {
		return nil // housekeeping: fine to skip
	}
	return f.purgeAuth(ctx, before)
}
func (f *fakeStore) CreateAuthToken(ctx context.Context, t store.AuthToken) error {
	if f.createAuthToken == nil {
		return errNotFaked
	}
	return f.createAuthToken(ctx, t)
}
func (f *fakeStore) UseAuthToken(ctx context.Context, h, k string, at time.Time) (store.AuthToken, error) {
	if f.useAuthToken == nil {
		return store.AuthToken{}, errNotFaked
	}
	return f.useAuthToken(ctx, h, k, at)
}
func (f *fakeStore) CreateAPIKeyFor(ctx context.Context, in store.NewAPIKey) (store.APIKey, string, error) {
	if f.createAPIKeyFor == nil {
		return store.APIKey{}, "", errNotFaked
	}
	return f.createAPIKeyFor(ctx, in)
}
func (f *fakeStore) GetAPIKey(ctx context.Context, acc, id int64) (store.APIKey, error) {
	if f.getAPIKey == nil {
		return store.APIKey{}, errNotFaked
	}
	return f.getAPIKey(ctx, acc, id)
}
func (f *fakeStore) ListAPIKeys(ctx context.Context, acc int64) ([]store.APIKey, error) {
	if f.listAPIKeys == nil {
		return nil, errNotFaked
	}
	return f.listAPIKeys(ctx, acc)
}
func (f *fakeStore) RotateAPIKey(ctx context.Context, acc, id int64) (store.APIKey, string, error) {
	if f.rotateAPIKey == nil {
		return store.APIKey{}, "", errNotFaked
	}
	return f.rotateAPIKey(ctx, acc, id)
}
func (f *fakeStore) RevokeAPIKey(ctx context.Context, acc, id int64) error {
	if f.revokeAPIKey == nil {
		return errNotFaked
	}
	return f.revokeAPIKey(ctx, acc, id)
}

func hashOf(t testing.TB, pw string) *string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	s := string(h)
	return &s
}

// codeOf is the coded error's code ("" if none).
func codeOf(err error) string {
	var e *switchyard.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// loginFake: boss@acme.test is a user of accounts 1 (owner) and 2
// (admin, same password), sam@acme.test of account 1 (disabled), and
// ops@x.test an operator; sessions are recorded.
func loginFake(t *testing.T) (*fakeStore, *[]store.Session) {
	t.Helper()
	pw := hashOf(t, "right password")
	now := time.Now()
	users := []store.User{
		{ID: 10, AccountID: 1, Email: "boss@acme.test", Role: store.RoleOwner, PasswordHash: pw},
		{ID: 20, AccountID: 2, Email: "boss@acme.test", Role: store.RoleAdmin, PasswordHash: pw},
		{ID: 30, AccountID: 1, Email: "sam@acme.test", Role: store.RoleAgent, PasswordHash: pw, DisabledAt: &now},
		{ID: 40, AccountID: 1, Email: "new@acme.test", Role: store.RoleAgent},
	}
	var sessions []store.Session
	f := &fakeStore{
		findUsersByEmail: func(_ context.Context, email string) ([]store.User, error) {
			var out []store.User
			for _, u := range users {
				if u.Email == email {
					out = append(out, u)
				}
			}
			return out, nil
		},
		findOperatorByEmail: func(_ context.Context, email string) (store.Operator, error) {
			if email == "ops@x.test" {
				return store.Operator{ID: 7, Email: email, PasswordHash: pw}, nil
			}
			return store.Operator{}, store.ErrNotFound
		},
		getOperator: func(_ context.Context, id int64) (store.Operator, error) {
			return store.Operator{ID: id, Email: "ops@x.test", PasswordHash: pw}, nil
		},
		getAccount: func(_ context.Context, id int64) (store.Account, error) {
			return store.Account{ID: id, Name: "acc", Timezone: "UTC"}, nil
		},
		getUserByID: func(_ context.Context, id int64) (store.User, error) {
			for _, u := range users {
				if u.ID == id {
					return u, nil
				}
			}
			return store.User{}, store.ErrNotFound
		},
		createSession: func(_ context.Context, s store.Session) error { sessions = append(sessions, s); return nil },
		// The lockout never locks here (lockout_test.go tests it on a
		// real store).
		chargeLoginAttempt: func(context.Context, []store.LoginKey, time.Time, time.Duration, int) (bool, error) {
			return false, nil
		},
		clearLoginFailures: func(context.Context, []store.LoginKey) error { return nil },
		pruneLoginFailures: func(context.Context, time.Time) (int64, error) { return 0, nil },
	}
	return f, &sessions
}

func TestLogin(t *testing.T) {
	tests := []struct {
		name     string
		email    string
		password string
		account  int64
		wantCode string
		wantUser int64
		wantOp   bool
	}{
		{"unknown email", "nobody@acme.test", "right password", 0, switchyard.CodeUnauthorized, 0, false},
		{"wrong password", "boss@acme.test", "wrong password", 1, switchyard.CodeUnauthorized, 0, false},
		{"empty password", "boss@acme.test", "", 1, switchyard.CodeUnauthorized, 0, false},
		{"several accounts, none chosen", "boss@acme.test", "right password", 0, switchyard.CodeInvalid, 0, false},
		{"account chosen", " BOSS@acme.test ", "right password", 2, "", 20, false},
		{"other account chosen", "boss@acme.test", "right password", 1, "", 10, false},
		{"account the email is not in", "boss@acme.test", "right password", 3, switchyard.CodeUnauthorized, 0, false},
		{"disabled user", "sam@acme.test", "right password", 0, switchyard.CodeForbidden, 0, false},
		{"invited user without a password", "new@acme.test", "anything at all", 0, switchyard.CodeUnauthorized, 0, false},
		{"operator", "ops@x.test", "right password", 0, "", 7, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, sessions := loginFake(t)
			s := New(Config{Store: f})
			got, err := s.Login(context.Background(), tt.email, tt.password, tt.account)
			if tt.wantCode != "" {
				if codeOf(err) != tt.wantCode {
					t.Fatalf("err %v (code %q), want code %q", err, codeOf(err), tt.wantCode)
				}
				if tt.wantCode == switchyard.CodeInvalid && !strings.Contains(err.Error(), "account_id") {
					t.Errorf("err %v does not name account_id", err)
				}
				if len(*sessions) != 0 {
					t.Errorf("a session was stored: %+v", *sessions)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.User.ID != tt.wantUser || got.Operator != tt.wantOp || got.CSRF == "" || got.Token == "" {
				t.Fatalf("session %+v", got)
			}
			if len(*sessions) != 1 {
				t.Fatalf("sessions %+v", *sessions)
			}
			st := (*sessions)[0]
			// The store holds the hash, never the token.
			if st.Hash != hashToken(got.Token) || st.Hash == got.Token || strings.Contains(st.Hash, got.Token) {
				t.Errorf("stored %q for token %q", st.Hash, got.Token)
			}
			if got.CSRF != csrfFor(got.Token) || got.CSRF == got.Token {
				t.Errorf("csrf %q", got.CSRF)
			}
			if tt.wantOp != (st.OperatorID != nil) || tt.wantOp == (st.UserID != nil) {
				t.Errorf("session owner %+v", st)
			}
		})
	}
}

func TestSessionFor(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tok := newToken()
	uid := int64(10)
	tests := []struct {
		name      string
		token     string
		sess      store.Session
		wantErr   bool
		wantTouch bool
	}{
		{"fresh", tok, store.Session{LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}, false, false},
		{"touched after a minute", tok, store.Session{LastSeenAt: now.Add(-2 * time.Minute), ExpiresAt: now.Add(time.Hour)}, false, true},
		{"idle too long", tok, store.Session{LastSeenAt: now.Add(-DefaultSessionIdle), ExpiresAt: now.Add(time.Hour)}, true, false},
		{"past its end", tok, store.Session{LastSeenAt: now, ExpiresAt: now}, true, false},
		{"malformed token", "x<script>", store.Session{}, true, false},
		{"empty token", "", store.Session{}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := loginFake(t)
			touched, deleted := false, false
			f.getSession = func(_ context.Context, h string) (store.Session, error) {
				if h != hashToken(tok) {
					return store.Session{}, store.ErrNotFound
				}
				s := tt.sess
				s.Hash, s.UserID = h, &uid
				return s, nil
			}
			f.touchSession = func(context.Context, string, time.Time) error { touched = true; return nil }
			f.deleteSession = func(context.Context, string) error { deleted = true; return nil }
			s := New(Config{Store: f, Now: func() time.Time { return now }})
			me, err := s.SessionFor(context.Background(), tt.token)
			if tt.wantErr {
				if !errors.Is(err, ErrNoSession) {
					t.Fatalf("err %v", err)
				}
				if tt.token == tok && !deleted {
					t.Error("expired session not deleted")
				}
				return
			}
			if err != nil || me.Actor != (Actor{AccountID: 1, UserID: 10, Role: store.RoleOwner}) || me.CSRF != csrfFor(tok) {
				t.Fatalf("me %+v %v", me, err)
			}
			if touched != tt.wantTouch {
				t.Errorf("touched %v", touched)
			}
		})
	}
}

func FuzzSessionFor(f *testing.F) {
	f.Add(newToken())
	f.Add("")
	f.Add(strings.Repeat("a", 101))
	f.Add("abc\x00def-ghi_jkl-mno-pqr")
	f.Fuzz(func(t *testing.T, token string) {
		fs := &fakeStore{getSession: func(context.Context, string) (store.Session, error) { return store.Session{}, store.ErrNotFound }}
		s := New(Config{Store: fs})
		if _, err := s.SessionFor(context.Background(), token); !errors.Is(err, ErrNoSession) {
			t.Fatalf("token %q: %v", token, err)
		}
		if validTokenShape(token) && (len(token) < 20 || len(token) > 100) {
			t.Fatalf("shape accepted %q", token)
		}
	})
}

func TestUserManagementRules(t *testing.T) {
	owner := Actor{AccountID: 1, UserID: 1, Role: store.RoleOwner}
	admin := Actor{AccountID: 1, UserID: 2, Role: store.RoleAdmin}
	super := Actor{AccountID: 1, UserID: 3, Role: store.RoleSupervisor}
	op := Actor{OperatorID: 1, Role: RoleOperator}
	tests := []struct {
		name     string
		actor    Actor
		role     string
		wantCode string
	}{
		{"owner adds owner", owner, store.RoleOwner, ""},
		{"owner adds agent", owner, store.RoleAgent, ""},
		{"admin adds admin", admin, store.RoleAdmin, ""},
		{"admin adds owner", admin, store.RoleOwner, switchyard.CodeForbidden},
		{"supervisor adds agent", super, store.RoleAgent, switchyard.CodeForbidden},
		{"operator has no account", op, store.RoleAgent, switchyard.CodeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := false
			f := &fakeStore{createUser: func(_ context.Context, in store.NewUser) (store.User, error) {
				created = true
				if in.AccountID != tt.actor.AccountID {
					t.Errorf("user created in account %d", in.AccountID)
				}
				return store.User{ID: 9, AccountID: in.AccountID, Email: in.Email, Role: in.Role, PasswordHash: new(string)}, nil
			}}
			s := New(Config{Store: f})
			_, _, err := s.CreateUser(context.Background(), tt.actor, NewUser{Email: "x@acme.test", Role: tt.role, Password: "long enough"})
			if codeOf(err) != tt.wantCode || (tt.wantCode == "") != (err == nil) {
				t.Fatalf("err %v, want code %q", err, tt.wantCode)
			}
			if created != (tt.wantCode == "") {
				t.Errorf("created = %v", created)
			}
		})
	}

	// Changing an owner, or making one, takes an owner.
	f := &fakeStore{
		getUser: func(_ context.Context, _, id int64) (store.User, error) {
			role := store.RoleAgent
			if id == 1 {
				role = store.RoleOwner
			}
			return store.User{ID: id, AccountID: 1, Role: role}, nil
		},
		updateUser: func(_ context.Context, _, id int64, u store.UserUpdate) (store.User, error) {
			return store.User{ID: id, AccountID: 1, Role: *u.Role}, nil
		},
		deleteUser: func(context.Context, int64, int64) error { return nil },
	}
	s := New(Config{Store: f})
	ctx := context.Background()
	ownerRole, agentRole := store.RoleOwner, store.RoleAgent
	if _, err := s.UpdateUser(ctx, admin, 1, UserPatch{Role: &agentRole}); codeOf(err) != switchyard.CodeForbidden {
		t.Errorf("admin demotes owner: %v", err)
	}
	if _, err := s.UpdateUser(ctx, admin, 5, UserPatch{Role: &ownerRole}); codeOf(err) != switchyard.CodeForbidden {
		t.Errorf("admin promotes to owner: %v", err)
	}
	if err := s.DeleteUser(ctx, admin, 1); codeOf(err) != switchyard.CodeForbidden {
		t.Errorf("admin deletes owner: %v", err)
	}
	if _, err := s.UpdateUser(ctx, owner, 5, UserPatch{Role: &ownerRole}); err != nil {
		t.Errorf("owner promotes: %v", err)
	}
	if err := s.DeleteUser(ctx, admin, 5); err != nil {
		t.Errorf("admin deletes agent: %v", err)
	}
}

func TestInviteStoresOnlyTheHash(t *testing.T) {
	var tok store.AuthToken
	var mailed []string
	f := &fakeStore{
		createUser: func(_ context.Context, in store.NewUser) (store.User, error) {
			if in.Password != "" {
				t.Errorf("invited user got a password")
			}
			return store.User{ID: 9, AccountID: 1, Email: in.Email, Role: in.Role}, nil
		},
		getAccount:      func(context.Context, int64) (store.Account, error) { return store.Account{ID: 1, Name: "acme"}, nil },
		createAuthToken: func(_ context.Context, t store.AuthToken) error { tok = t; return nil },
	}
	m := mailerFunc(func(_ context.Context, _ string, to []string, msg []byte) error {
		mailed = append(mailed, to[0]+" "+string(msg))
		return nil
	})
	now := time.Unix(1_800_000_000, 0)
	s := New(Config{Store: f, Mailer: m, PublicURL: "https://console.example/", Now: func() time.Time { return now }})
	u, link, err := s.CreateUser(context.Background(), Actor{AccountID: 1, UserID: 1, Role: store.RoleAdmin},
		NewUser{Email: "new@acme.test", Role: store.RoleAgent, Invite: true})
	if err != nil || !u.Invited {
		t.Fatalf("%+v %v", u, err)
	}
	plain, ok := strings.CutPrefix(link, "https://console.example/#/invite?token=")
	if !ok || len(plain) != 43 {
		t.Fatalf("link %q", link)
	}
	if tok.Hash != hashToken(plain) || tok.Kind != store.TokenInvite || tok.UserID == nil || *tok.UserID != 9 ||
		!tok.ExpiresAt.Equal(now.Add(DefaultInviteTTL)) {
		t.Errorf("stored token %+v", tok)
	}
	s.Close(context.Background())
	if len(mailed) != 1 || !strings.HasPrefix(mailed[0], "new@acme.test ") || !strings.Contains(strings.ReplaceAll(mailed[0], "=\r\n", ""), "token=3D"+plain) {
		t.Errorf("mails %q", mailed)
	}
}

type mailerFunc func(ctx context.Context, from string, to []string, msg []byte) error

func (f mailerFunc) Send(ctx context.Context, from string, to []string, msg []byte) error {
	return f(ctx, from, to, msg)
}

// A refused password does not spend the reset token.
func TestConfirmResetChecksPasswordFirst(t *testing.T) {
	used := 0
	f := &fakeStore{useAuthToken: func(context.Context, string, string, time.Time) (store.AuthToken, error) {
		used++
		return store.AuthToken{}, store.ErrNotFound
	}}
	s := New(Config{Store: f})
	if err := s.ConfirmReset(context.Background(), newToken(), "short"); codeOf(err) != switchyard.CodeInvalid || used != 0 {
		t.Fatalf("short: %v, used %d", err, used)
	}
	if err := s.ConfirmReset(context.Background(), newToken(), "long enough"); !errors.Is(err, ErrBadToken) || used != 1 {
		t.Fatalf("unknown token: %v, used %d", err, used)
	}
	if err := s.ConfirmReset(context.Background(), "bad token!", "long enough"); !errors.Is(err, ErrBadToken) || used != 1 {
		t.Fatalf("malformed token reached the store: %v, used %d", err, used)
	}
}

func TestAPIKeyRoleCap(t *testing.T) {
	tests := []struct {
		name     string
		actor    Actor
		role     string
		wantCode string
	}{
		{"admin makes scheduler key", Actor{AccountID: 1, Role: store.RoleAdmin}, store.RoleScheduler, ""},
		{"admin makes admin key", Actor{AccountID: 1, Role: store.RoleAdmin}, store.RoleAdmin, ""},
		{"admin makes owner key", Actor{AccountID: 1, Role: store.RoleAdmin}, store.RoleOwner, switchyard.CodeForbidden},
		{"owner makes owner key", Actor{AccountID: 1, Role: store.RoleOwner}, store.RoleOwner, ""},
		{"supervisor makes any key", Actor{AccountID: 1, Role: store.RoleSupervisor}, store.RoleAgent, switchyard.CodeForbidden},
		{"no role", Actor{AccountID: 1, Role: store.RoleOwner}, "", switchyard.CodeInvalid},
		{"unknown role", Actor{AccountID: 1, Role: store.RoleOwner}, "operator", switchyard.CodeInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeStore{createAPIKeyFor: func(_ context.Context, in store.NewAPIKey) (store.APIKey, string, error) {
				return store.APIKey{ID: 1, Role: in.Role}, "sy_x", nil
			}}
			_, _, err := New(Config{Store: f}).CreateAPIKey(context.Background(), tt.actor, NewAPIKey{Name: "k", Role: tt.role})
			if codeOf(err) != tt.wantCode || (tt.wantCode == "") != (err == nil) {
				t.Fatalf("err %v, want code %q", err, tt.wantCode)
			}
		})
	}
	// Rotating or revoking a key above one's role is refused too.
	f := &fakeStore{getAPIKey: func(context.Context, int64, int64) (store.APIKey, error) {
		return store.APIKey{ID: 5, Role: store.RoleOwner}, nil
	}}
	if err := New(Config{Store: f}).RevokeAPIKey(context.Background(), Actor{AccountID: 1, Role: store.RoleAdmin}, 5); codeOf(err) != switchyard.CodeForbidden {
		t.Errorf("admin revokes owner key: %v", err)
	}
}

// Reset requests mail at most once a minute per email, and say nothing
// either way.
func TestRequestResetThrottled(t *testing.T) {
	f, _ := loginFake(t)
	var made []store.AuthToken
	f.createAuthToken = func(_ context.Context, tk store.AuthToken) error { made = append(made, tk); return nil }
	now := time.Unix(1_800_000_000, 0)
	var mails []string
	s := New(Config{Store: f, Now: func() time.Time { return now }, Mailer: mailerFunc(func(_ context.Context, _ string, to []string, _ []byte) error {
		mails = append(mails, to[0])
		return nil
	})})
	ctx := context.Background()
	s.RequestReset(ctx, "ops@x.test")
	s.RequestReset(ctx, "OPS@x.test")
	s.RequestReset(ctx, "nobody@x.test")
	s.Close(ctx)
	if len(made) != 1 || made[0].OperatorID == nil || len(mails) != 1 || mails[0] != "ops@x.test" {
		t.Fatalf("tokens %+v, mails %v", made, mails)
	}
	now = now.Add(resetEvery)
	s.RequestReset(ctx, "ops@x.test")
	s.Close(ctx)
	if len(made) != 2 {
		t.Fatalf("after a minute: %d tokens", len(made))
	}
}
