package accounts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// CheckTimeZone trims and checks an account time zone: an IANA name such
// as Europe/Berlin that this server knows ("Local" is this server's own
// zone, not a tenant's, and is refused). The error names the field
// time_zone.
func CheckTimeZone(tz string) (string, error) {
	tz = strings.TrimSpace(tz)
	if tz == "" {
		return "", switchyard.Invalid("time_zone", "enter a time zone, an IANA name such as Europe/Berlin or Asia/Kolkata")
	}
	if tz == "Local" {
		return "", switchyard.Invalid("time_zone", "\"Local\" is not a time zone name: enter an IANA name such as Europe/Berlin")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return "", switchyard.Invalid("time_zone", "%q is not a known IANA time zone (such as Europe/Berlin or Asia/Kolkata; names are case-sensitive)", switchyard.Clip(tz))
	}
	return tz, nil
}

// AccountTimeZone returns the actor's account time zone ("UTC" when never
// set).
func (s *Service) AccountTimeZone(ctx context.Context, actor Actor) (string, error) {
	acc, err := actor.account()
	if err != nil {
		return "", err
	}
	a, err := s.cfg.Store.GetAccount(ctx, acc)
	if err != nil {
		return "", fmt.Errorf("accounts: time zone of account %d: %w", acc, err)
	}
	if a.Timezone == "" {
		return "UTC", nil
	}
	return a.Timezone, nil
}

// SetAccountTimeZone sets the actor's account time zone (owners and
// admins). Everything that reads it (reports, the daily email reports,
// call-list start times, the console) reads it at use time, so the change
// takes effect at once.
func (s *Service) SetAccountTimeZone(ctx context.Context, actor Actor, tz string) (string, error) {
	if !actor.may(store.RoleAdmin) {
		return "", fmt.Errorf("accounts: role %s cannot change the time zone: %w", actor.Role, ErrForbidden)
	}
	tz, err := CheckTimeZone(tz)
	if err != nil {
		return "", err
	}
	if err := s.cfg.Store.SetAccountTimezone(ctx, actor.AccountID, tz); err != nil {
		return "", withField(fmt.Errorf("accounts: set time zone: %w", err), "time_zone")
	}
	s.log.InfoContext(ctx, "account time zone changed", "account_id", actor.AccountID, "user_id", actor.UserID, "time_zone", tz)
	return tz, nil
}
