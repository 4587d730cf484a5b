package store

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/crypto/bcrypt"
)

const (
	maxNameLen  = 200
	maxEmailLen = 254
)

// validName checks a human-entered name (account, user, API key).
func validName(what, name string, required bool) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "" && required:
		return "", ErrInvalid.New("", "%s name is empty", what)
	case !utf8.ValidString(name):
		return "", ErrInvalid.New("", "%s name is not valid UTF-8", what)
	case utf8.RuneCountInString(name) > maxNameLen:
		return "", ErrInvalid.New("", "%s name is longer than %d characters", what, maxNameLen)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", ErrInvalid.New("", "%s name %q contains control characters", what, name)
	}
	return name, nil
}

// CreateAccount creates an account (timezone UTC). Names are unique.
func (s *Store) CreateAccount(ctx context.Context, name string) (a Account, err error) {
	defer s.track("CreateAccount", time.Now(), &err)
	name, err = validName("account", name, true)
	if err != nil {
		return Account{}, err
	}
	t := now()
	a = Account{Name: name, Timezone: "UTC", CreatedAt: t, UpdatedAt: t}
	if err := s.w.WithContext(ctx).Create(&a).Error; err != nil {
		if isDuplicate(err) {
			return Account{}, fmt.Errorf("store: account %q already exists: %w", name, ErrConflict)
		}
		return Account{}, fmt.Errorf("store: create account %q: %w", name, err)
	}
	return a, nil
}

// GetAccount returns one account.
func (s *Store) GetAccount(ctx context.Context, id int64) (a Account, err error) {
	defer s.track("GetAccount", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		if isNotFound(err) {
			return Account{}, fmt.Errorf("store: account %d: %w", id, ErrNotFound)
		}
		return Account{}, fmt.Errorf("store: get account %d: %w", id, err)
	}
	return a, nil
}

// ListAccounts returns all accounts ordered by id. System-level (operator
// CLI); not for tenant-facing endpoints.
func (s *Store) ListAccounts(ctx context.Context) (as []Account, err error) {
	defer s.track("ListAccounts", time.Now(), &err)
	as = []Account{}
	if err := s.r.WithContext(ctx).Order("id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: list accounts: %w", err)
	}
	return as, nil
}

// DisableAccount marks an account disabled: its API keys stop
// authenticating. Disabling twice keeps the first time.
func (s *Store) DisableAccount(ctx context.Context, id int64) (err error) {
	defer s.track("DisableAccount", time.Now(), &err)
	t := now()
	res := s.w.WithContext(ctx).Model(&Account{}).Where("id = ? AND disabled_at IS NULL", id).
		Updates(map[string]any{"disabled_at": t, "updated_at": t})
	if res.Error != nil {
		return fmt.Errorf("store: disable account %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.getAccountW(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// getAccountW reads through the writer (read-your-writes inside a write op).
func (s *Store) getAccountW(ctx context.Context, id int64) (Account, error) {
	var a Account
	if err := s.w.WithContext(ctx).Where("id = ?", id).Take(&a).Error; err != nil {
		if isNotFound(err) {
			return Account{}, fmt.Errorf("store: account %d: %w", id, ErrNotFound)
		}
		return Account{}, fmt.Errorf("store: get account %d: %w", id, err)
	}
	return a, nil
}

// NewUser is the input of CreateUser.
type NewUser struct {
	AccountID int64
	Email     string // required; stored lower-cased; unique per account
	Name      string
	Role      string // one of Roles
	// Password, if not empty, is stored as a bcrypt hash (8–72 bytes).
	Password string
}

func validRole(r string) bool { return RoleRank(r) > 0 }

// CreateUser adds a user to an account.
func (s *Store) CreateUser(ctx context.Context, in NewUser) (u User, err error) {
	defer s.track("CreateUser", time.Now(), &err)
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return User{}, err
	}
	name, err := validName("user", in.Name, false)
	if err != nil {
		return User{}, err
	}
	if !validRole(in.Role) {
		return User{}, ErrInvalid.New("role", "user role %q: want one of %s", in.Role, strings.Join(Roles, ", "))
	}
	u = User{AccountID: in.AccountID, Email: email, Name: name, Role: in.Role, CreatedAt: now()}
	if in.Password != "" {
		h, err := hashPassword(in.Password)
		if err != nil {
			return User{}, err
		}
		u.PasswordHash = &h
	}
	if err := s.w.WithContext(ctx).Create(&u).Error; err != nil {
		switch {
		case isDuplicate(err):
			return User{}, fmt.Errorf("store: user %q already exists in account %d: %w", email, in.AccountID,
				ErrConflict.New("email", "a user with this email already exists in the account"))
		case isFKViolation(err):
			return User{}, fmt.Errorf("store: account %d: %w", in.AccountID, ErrNotFound)
		}
		return User{}, fmt.Errorf("store: create user %q: %w", email, err)
	}
	return u, nil
}

// Password length bounds (bcrypt reads at most 72 bytes).
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// hashPassword checks the length and returns the bcrypt hash.
func hashPassword(password string) (string, error) {
	if len(password) < MinPasswordLen || len(password) > MaxPasswordLen {
		return "", ErrInvalid.New("password", "the password must be %d to %d bytes long", MinPasswordLen, MaxPasswordLen)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("store: hash password: %w", err)
	}
	return string(h), nil
}

// NormalizeEmail lower-cases and checks a login email: a plain address
// like name@example.com.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", ErrInvalid.New("email", "the email is empty")
	}
	if len(email) > maxEmailLen {
		return "", ErrInvalid.New("email", "the email is longer than %d bytes", maxEmailLen)
	}
	if addr, perr := mail.ParseAddress(email); perr != nil || addr.Address != email || addr.Name != "" {
		return "", ErrInvalid.New("email", "the email is not a plain address like name@example.com")
	}
	return email, nil
}

// GetUser returns one user of an account.
func (s *Store) GetUser(ctx context.Context, accountID, id int64) (u User, err error) {
	defer s.track("GetUser", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&u).Error; err != nil {
		if isNotFound(err) {
			return User{}, fmt.Errorf("store: user %d in account %d: %w", id, accountID, ErrNotFound)
		}
		return User{}, fmt.Errorf("store: get user %d: %w", id, err)
	}
	return u, nil
}

// ListUsers returns an account's users ordered by id.
func (s *Store) ListUsers(ctx context.Context, accountID int64) (us []User, err error) {
	defer s.track("ListUsers", time.Now(), &err)
	us = []User{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: list users of account %d: %w", accountID, err)
	}
	return us, nil
}

// CheckPassword reports whether password matches the user's stored
// bcrypt hash (false for users without a password).
func (u User) CheckPassword(password string) bool { return checkPassword(u.PasswordHash, password) }

// CheckPassword reports whether password matches the operator's stored
// bcrypt hash (false for operators without a password).
func (o Operator) CheckPassword(password string) bool { return checkPassword(o.PasswordHash, password) }

// dummyHash is compared against when there is no hash, so a login with
// an unknown email takes as long as one with a wrong password.
// (Made on first use: hashing costs tens of milliseconds, too much for
// every process start.)
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no password set here"), bcrypt.DefaultCost)
	return h
})

func checkPassword(hash *string, password string) bool {
	if hash == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(*hash), []byte(password)) == nil
}

// CheckNoPassword spends the time of a password check (for a login whose
// email matched nobody, so it is not told apart by its speed).
func CheckNoPassword(password string) { checkPassword(nil, password) }

// SetAccountCountry sets the account's default country for national
// numbers (numbers written without a country code): an ISO 3166-1 alpha-2
// code the phone-number tables know (e.g. "IN", "US"), or "" to require
// the country code again.
func (s *Store) SetAccountCountry(ctx context.Context, accountID int64, country string) (err error) {
	defer s.track("SetAccountCountry", time.Now(), &err)
	cc, err := NormalizeCountry(country)
	if err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&Account{}).Where("id = ?", accountID).Updates(map[string]any{"country": cc, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("store: set country of account %d: %w", accountID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
	}
	return nil
}

// AccountCountry returns the account's default country ("" if none).
func (s *Store) AccountCountry(ctx context.Context, accountID int64) (string, error) {
	a, err := s.GetAccount(ctx, accountID)
	if err != nil {
		return "", err
	}
	return a.Country, nil
}

// NormalizeCountry upper-cases and checks a default country: "" or an
// ISO 3166-1 alpha-2 region with a country calling code.
func NormalizeCountry(country string) (string, error) {
	cc := strings.ToUpper(strings.TrimSpace(country))
	if cc == "" {
		return "", nil
	}
	if len(cc) != 2 || phonenumbers.GetCountryCodeForRegion(cc) == 0 {
		return "", fmt.Errorf("store: country %q: want an ISO 3166-1 alpha-2 code such as IN or US: %w", country, ErrInvalid)
	}
	return cc, nil
}
