// Package accounts is who may use Switchyard and how they prove it: the
// users of an account and their roles (owner, admin, supervisor,
// scheduler, agent), email/password login sessions with a lockout on
// failed logins, password change and reset by mail, invitations, API keys
// per user or per integration, and the operator level above the accounts
// (the service operator's support team: accounts, report enablement,
// webhook network grants, time zone and country).
//
// The HTTP handlers (api/accountsapi) and the CLI (cmd/switchyard) call
// the same Service.
package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// RoleOperator is the role of an operator's principal (no account).
const RoleOperator = "operator"

// Coded errors.
var (
	// ErrBadLogin: unknown email or wrong password (the two are not told
	// apart).
	ErrBadLogin = switchyard.Sentinel(switchyard.CodeUnauthorized, http.StatusUnauthorized, "wrong email or password")
	// ErrLocked: too many failed logins for the email.
	ErrLocked = switchyard.Sentinel("locked", http.StatusTooManyRequests, "too many failed logins for this email; try again later")
	// ErrLoginUnavailable: the store could not be reached during a login,
	// so neither the password nor the lockout could be checked: the login
	// is refused (never let through without its lockout check).
	ErrLoginUnavailable = switchyard.Sentinel(switchyard.CodeUnavailable, http.StatusServiceUnavailable,
		"logging in is not possible at the moment; try again in a minute")
	// ErrNoSession: the session is unknown, expired or its user disabled.
	ErrNoSession = switchyard.Sentinel(switchyard.CodeUnauthorized, http.StatusUnauthorized, "not logged in or the session expired")
	// ErrBadToken: a reset or invitation token is unknown, used or
	// expired.
	ErrBadToken = switchyard.Sentinel(switchyard.CodeInvalid, http.StatusUnprocessableEntity, "the link is invalid, expired or was already used")
	// ErrForbidden: the caller's role does not allow the change.
	ErrForbidden = switchyard.Sentinel(switchyard.CodeForbidden, http.StatusForbidden, "your role does not allow this")
)

// Defaults of the Config durations and limits.
const (
	DefaultSessionIdle     = 12 * time.Hour
	DefaultSessionMax      = 7 * 24 * time.Hour
	DefaultResetTTL        = time.Hour
	DefaultInviteTTL       = 7 * 24 * time.Hour
	DefaultLockoutFailures = 5
	DefaultLockoutFor      = 15 * time.Minute
	// touchEvery throttles the session's last_seen_at writes.
	touchEvery = time.Minute
	// resetEvery: at most one reset mail per email in this time (a reset
	// request cannot be used to flood someone's inbox).
	resetEvery = time.Minute
)

// Mailer sends one message (emailreports.SMTPSender implements it).
type Mailer interface {
	Send(ctx context.Context, from string, rcpts []string, msg []byte) error
}

// Config configures the Service.
type Config struct {
	Store Store
	// Mailer and From send reset and invitation mails; a nil Mailer sends
	// none (links are still returned where the API returns them).
	Mailer Mailer
	From   string
	// PublicURL is the console's base URL (links in mails), e.g.
	// "https://switchyard.example.com".
	PublicURL string
	Logger    *slog.Logger
	Now       func() time.Time

	SessionIdle, SessionMax time.Duration
	ResetTTL, InviteTTL     time.Duration
	// LockoutFailures failed logins for an email (per account, and per
	// email when no account is named) within LockoutFor lock it until
	// LockoutFor has passed since the last one, on every node that shares
	// the store.
	LockoutFailures int
	LockoutFor      time.Duration
}

// Service is the accounts domain service.
type Service struct {
	cfg  Config
	log  *slog.Logger
	lock *lockout
	// resets throttles reset mails: one per email per resetEvery.
	resets *throttle
	// mails tracks background mail sends (Close waits for them).
	mails sync.WaitGroup
}

// New builds the service, filling Config defaults.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.SessionIdle, DefaultSessionIdle)
	def(&cfg.SessionMax, DefaultSessionMax)
	def(&cfg.ResetTTL, DefaultResetTTL)
	def(&cfg.InviteTTL, DefaultInviteTTL)
	def(&cfg.LockoutFor, DefaultLockoutFor)
	if cfg.LockoutFailures <= 0 {
		cfg.LockoutFailures = DefaultLockoutFailures
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	log := cfg.Logger.With("component", "accounts")
	return &Service{cfg: cfg, log: log,
		lock:   &lockout{st: cfg.Store, failures: cfg.LockoutFailures, window: cfg.LockoutFor, now: cfg.Now, log: log.WarnContext},
		resets: newThrottle(resetEvery, cfg.Now)}
}

// Close waits (bounded by ctx) for mails still being sent.
func (s *Service) Close(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.mails.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Actor is who calls a service method: an account user (or an API key,
// UserID 0 for an integration key) with a role, or an operator.
type Actor struct {
	AccountID  int64
	UserID     int64
	OperatorID int64
	Role       string
}

// IsOperator reports whether the actor is an operator.
func (a Actor) IsOperator() bool { return a.Role == RoleOperator && a.OperatorID > 0 }

// may reports whether the actor's account role is at least role.
func (a Actor) may(role string) bool {
	return a.AccountID > 0 && store.RoleRank(a.Role) >= store.RoleRank(role) && store.RoleRank(role) > 0
}

// User is a user as the API shows it (operators have Role "operator" and
// no account).
type User struct {
	ID        int64      `json:"id"`
	AccountID int64      `json:"account_id"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      string     `json:"role"`
	Disabled  bool       `json:"disabled"`
	Invited   bool       `json:"invited"` // no password yet: an invitation is pending
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"-"`
}

func userView(u store.User) User {
	return User{ID: u.ID, AccountID: u.AccountID, Email: u.Email, Name: u.Name, Role: u.Role,
		Disabled: u.DisabledAt != nil, Invited: u.PasswordHash == nil, CreatedAt: u.CreatedAt}
}

func operatorView(o store.Operator) User {
	return User{ID: o.ID, Email: o.Email, Name: o.Name, Role: RoleOperator,
		Disabled: o.DisabledAt != nil, Invited: o.PasswordHash == nil, CreatedAt: o.CreatedAt}
}

// AccountBrief is the account as a logged-in user sees it.
type AccountBrief struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	TimeZone string `json:"time_zone"`
}

// Me is a logged-in principal: the user (or operator), the account (nil
// for an operator), and the session's CSRF token.
type Me struct {
	User     User          `json:"user"`
	Account  *AccountBrief `json:"account"`
	CSRF     string        `json:"csrf_token"`
	Operator bool          `json:"operator"`
	// Actor is the caller for the other service methods.
	Actor Actor `json:"-"`
	// SessionHash identifies the session (for logout and password change).
	SessionHash string `json:"-"`
}

// Session is a started session: Token goes into the cookie, once.
type Session struct {
	Me
	Token     string
	ExpiresAt time.Time
}

// ---- tokens ----

// newToken returns 32 random bytes, base64url (43 characters).
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (panics if the OS source does)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is the stored form of a session id or mailed token: a fast
// hash is right for 256 random bits.
func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// csrfFor derives a session's CSRF token from its id: only a holder of
// the (HttpOnly) cookie or of a login response knows it, and nothing more
// is stored.
func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("switchyard csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// validTokenShape bounds what is hashed and looked up.
func validTokenShape(tok string) bool {
	if len(tok) < 20 || len(tok) > 100 {
		return false
	}
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) link(kind, token string) string {
	return s.cfg.PublicURL + "/#/" + kind + "?token=" + token
}
