package accounts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// Account is an account as the operator sees it.
type Account struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	TimeZone  string    `json:"time_zone"`
	Country   string    `json:"country"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	Reports   []string  `json:"reports"`
	// AvailableReports are the catalogue reports the operator may enable
	// (GetAccount only).
	AvailableReports []string   `json:"available_reports,omitempty"`
	HTTP             *HTTPGrant `json:"http_policy,omitempty"`
	Owners           []string   `json:"owners,omitempty"`
	// TransactionalMessaging is on once the operator enabled it (the
	// extended contract is signed); TransactionalRequestedAt is when the
	// account last asked for it.
	TransactionalMessaging   bool       `json:"transactional_messaging"`
	TransactionalRequestedAt *time.Time `json:"transactional_requested_at,omitempty"`
}

// HTTPGrant is the operator's grant for the account's webhooks: plain
// http:// and loopback/private/link-local networks they may reach.
type HTTPGrant struct {
	AllowHTTP bool     `json:"allow_http"`
	Networks  []string `json:"networks"`
}

func accountView(a store.Account) Account {
	return Account{ID: a.ID, Name: a.Name, TimeZone: a.Timezone, Country: a.Country, Disabled: a.DisabledAt != nil,
		CreatedAt: a.CreatedAt, Reports: []string{}, TransactionalMessaging: a.TransactionalMessaging, TransactionalRequestedAt: a.TransactionalRequestedAt}
}

// ListAccounts lists every account (operator level).
func (s *Service) ListAccounts(ctx context.Context) ([]Account, error) {
	as, err := s.cfg.Store.ListAccounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("accounts: list accounts: %w", err)
	}
	out := make([]Account, 0, len(as))
	for _, a := range as {
		out = append(out, accountView(a))
	}
	return out, nil
}

// GetAccount returns an account with its enabled reports, HTTP grant and
// owners (operator level).
func (s *Service) GetAccount(ctx context.Context, id int64) (Account, error) {
	a, err := s.cfg.Store.GetAccount(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: get account: %w", err)
	}
	v := accountView(a)
	v.AvailableReports = slices.Clone(store.CatalogueReports)
	if v.Reports, err = s.cfg.Store.EnabledReports(ctx, id); err != nil {
		return Account{}, fmt.Errorf("accounts: reports of account %d: %w", id, err)
	}
	p, err := s.cfg.Store.GetHTTPPolicy(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: HTTP policy of account %d: %w", id, err)
	}
	v.HTTP = &HTTPGrant{AllowHTTP: p.GrantHTTP, Networks: []string{}}
	for _, n := range p.GrantNetworks() {
		v.HTTP.Networks = append(v.HTTP.Networks, n.String())
	}
	us, err := s.cfg.Store.ListUsers(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: users of account %d: %w", id, err)
	}
	for _, u := range us {
		if u.Role == store.RoleOwner && u.DisabledAt == nil {
			v.Owners = append(v.Owners, u.Email)
		}
	}
	return v, nil
}

// NewAccount is the input of CreateAccount.
type NewAccount struct {
	Name string
	// OwnerEmail is the account holder (required): the first owner, to
	// whom account mails go.
	OwnerEmail string
	// OwnerPassword sets the owner's password; empty invites them.
	OwnerPassword string
	// APIKey also makes an admin integration key named "initial".
	APIKey bool
}

// Created is what CreateAccount made.
type Created struct {
	Account   Account
	Owner     User
	InviteURL string // when the owner was invited
	APIKey    string // plaintext, when asked for
}

// CreateAccount creates an account with its owner (operator level).
func (s *Service) CreateAccount(ctx context.Context, in NewAccount) (Created, error) {
	if _, err := store.NormalizeEmail(in.OwnerEmail); err != nil {
		return Created{}, switchyard.Invalid("owner_email", "the owner's email is not a plain address like name@example.com")
	}
	if in.OwnerPassword != "" {
		if err := checkPasswordShape("owner_password", in.OwnerPassword); err != nil {
			return Created{}, err
		}
	}
	a, err := s.cfg.Store.CreateAccount(ctx, in.Name)
	if err != nil {
		return Created{}, fmt.Errorf("accounts: create account: %w", err)
	}
	u, link, err := s.createUser(ctx, a.ID, NewUser{Email: in.OwnerEmail, Role: store.RoleOwner, Password: in.OwnerPassword})
	if err != nil {
		// An account nobody can log into is no use: take it back.
		if derr := s.cfg.Store.SetAccountDisabled(ctx, a.ID, true); derr != nil {
			err = errors.Join(err, derr)
		}
		return Created{}, err
	}
	out := Created{Account: accountView(a), Owner: u, InviteURL: link}
	if in.APIKey {
		_, key, err := s.cfg.Store.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: a.ID, Name: "initial", Role: store.RoleAdmin})
		if err != nil {
			return Created{}, fmt.Errorf("accounts: initial API key: %w", err)
		}
		out.APIKey = key
	}
	out.Account.Owners = []string{u.Email}
	s.log.InfoContext(ctx, "account created", "account_id", a.ID, "owner_user_id", u.ID)
	return out, nil
}

// AccountPatch is a partial change of an account by the operator (nil
// fields stay).
type AccountPatch struct {
	Disabled *bool
	// Reports switches catalogue reports on (true) or off (false).
	Reports  map[string]bool
	HTTP     *HTTPGrant
	TimeZone *string
	// Country: "" clears the default country.
	Country *string
	// TransactionalMessaging switches transactional messaging on or off
	// (the extended contract). Off, the account's transactional flows are
	// scrubbed again at once.
	TransactionalMessaging *bool
}

// UpdateAccount applies the operator's changes and returns the account.
func (s *Service) UpdateAccount(ctx context.Context, id int64, p AccountPatch) (Account, error) {
	if _, err := s.cfg.Store.GetAccount(ctx, id); err != nil {
		return Account{}, fmt.Errorf("accounts: update account: %w", err)
	}
	if p.TimeZone != nil {
		tz, err := CheckTimeZone(*p.TimeZone)
		if err != nil {
			return Account{}, err
		}
		if err := s.cfg.Store.SetAccountTimezone(ctx, id, tz); err != nil {
			return Account{}, withField(fmt.Errorf("accounts: time zone: %w", err), "time_zone")
		}
	}
	if p.Country != nil {
		if err := s.cfg.Store.SetAccountCountry(ctx, id, *p.Country); err != nil {
			return Account{}, withField(fmt.Errorf("accounts: country: %w", err), "country")
		}
	}
	for name, on := range p.Reports {
		if err := s.cfg.Store.SetReportEnabled(ctx, id, name, on); err != nil {
			return Account{}, withField(fmt.Errorf("accounts: report %s: %w", name, err), "reports")
		}
	}
	if p.HTTP != nil {
		if _, err := s.cfg.Store.GrantHTTPPolicy(ctx, id, p.HTTP.AllowHTTP, p.HTTP.Networks); err != nil {
			// The grant's only checked input is the network list: the
			// error names it as the client sent it.
			return Account{}, asField(fmt.Errorf("accounts: HTTP policy: %w", err), "http_policy.networks")
		}
	}
	if p.TransactionalMessaging != nil {
		if err := s.cfg.Store.SetAccountTransactional(ctx, id, *p.TransactionalMessaging); err != nil {
			return Account{}, fmt.Errorf("accounts: transactional messaging: %w", err)
		}
		s.log.InfoContext(ctx, "transactional messaging switched by the operator", "account_id", id, "on", *p.TransactionalMessaging)
	}
	if p.Disabled != nil {
		if err := s.cfg.Store.SetAccountDisabled(ctx, id, *p.Disabled); err != nil {
			return Account{}, fmt.Errorf("accounts: disable account: %w", err)
		}
	}
	s.log.InfoContext(ctx, "account changed by the operator", "account_id", id)
	return s.GetAccount(ctx, id)
}

// withField names the input field of a store invalid-input error that
// names none, keeping its client message.
func withField(err error, field string) error {
	var e *switchyard.Error
	if errors.As(err, &e) && e.Field == "" && e.Code == switchyard.CodeInvalid {
		return &switchyard.Error{Code: e.Code, Status: e.Status, Field: field, Message: e.Message, Err: err}
	}
	return err
}

// asField names the input field of a store invalid-input error, whatever
// field the store named (its own column name), keeping its client message.
func asField(err error, field string) error {
	var e *switchyard.Error
	if errors.As(err, &e) && e.Code == switchyard.CodeInvalid {
		return &switchyard.Error{Code: e.Code, Status: e.Status, Field: field, Message: e.Message, Err: err}
	}
	return err
}

// CreateOperator adds an operator; without a password they get an
// invitation link (returned, and mailed).
func (s *Service) CreateOperator(ctx context.Context, email, name, password string) (User, string, error) {
	if password != "" {
		if err := checkPasswordShape("password", password); err != nil {
			return User{}, "", err
		}
	}
	op, err := s.cfg.Store.CreateOperator(ctx, email, name, password)
	if err != nil {
		return User{}, "", fmt.Errorf("accounts: create operator: %w", err)
	}
	s.log.InfoContext(ctx, "operator created", "operator_id", op.ID)
	if password != "" {
		return operatorView(op), "", nil
	}
	link, err := s.invite(ctx, 0, op.ID, op.Email, "You are invited to operate Switchyard.")
	if err != nil {
		return User{}, "", err
	}
	return operatorView(op), link, nil
}

// FirstLogin is the login made on a fresh database.
type FirstLogin struct {
	Account  Account
	Owner    User
	Operator User
	// Password is the one-time password of both (shown once; change it
	// after logging in).
	Password string
}

// EnsureFirstLogin makes, when no user or operator exists yet, an account
// "default" with the owner ownerEmail, and the operator operatorEmail,
// both with one random password, so a new installation can log in
// without any manual step. ok is false when logins existed already.
func (s *Service) EnsureFirstLogin(ctx context.Context, ownerEmail, operatorEmail string) (fl FirstLogin, ok bool, err error) {
	n, err := s.cfg.Store.CountLogins(ctx)
	if err != nil || n > 0 {
		return FirstLogin{}, false, err
	}
	pw := newToken()[:20]
	name := "default"
	if as, err := s.cfg.Store.ListAccounts(ctx); err == nil && len(as) > 0 {
		name = fmt.Sprintf("default-%d", len(as)+1)
	}
	c, err := s.CreateAccount(ctx, NewAccount{Name: name, OwnerEmail: ownerEmail, OwnerPassword: pw})
	if err != nil {
		return FirstLogin{}, false, err
	}
	op, _, err := s.CreateOperator(ctx, operatorEmail, "Operator", pw)
	if err != nil {
		return FirstLogin{}, false, err
	}
	return FirstLogin{Account: c.Account, Owner: c.Owner, Operator: op, Password: pw}, true, nil
}
