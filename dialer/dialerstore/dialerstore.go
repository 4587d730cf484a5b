// Package dialerstore adapts the store to the dialer: campaigns in domain
// terms, leased record claims (dialer.Records), dial-time number screening
// and the lifecycle callbacks a dialer.Runner needs.
package dialerstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// ToStore converts a domain campaign to its stored form.
func ToStore(c dialer.Campaign) store.Campaign {
	return store.Campaign{
		ID: c.ID, AccountID: c.AccountID, Type: c.Type, Mode: c.Mode, Name: c.Name,
		Recipients: append([]string(nil), c.Recipients...), CallerID: c.CallerID, EndpointTemplate: c.EndpointTemplate,
		SimultaneousCalls: c.SimultaneousCalls, DialAttempts: c.DialAttempts, DialTimeoutMS: c.DialTimeoutMS,
		OnlyWhenFreeMembers: c.OnlyWhenFreeMembers, Queue: c.Queue, DialToExtension: c.DialToExtension,
		Multiplier: c.Multiplier, RetryIntervalSec: c.RetryIntervalSec,
		WindowStartMinute: c.CallingWindow.StartMinute, WindowEndMinute: c.CallingWindow.EndMinute,
		CallsPerSecond: c.CallsPerSecond, FlowID: c.FlowID, Status: c.Status,
	}
}

// FromStore converts a stored campaign to the domain type.
func FromStore(s store.Campaign) dialer.Campaign {
	return dialer.Campaign{
		ID: s.ID, AccountID: s.AccountID, Type: s.Type, Mode: s.Mode, Name: s.Name,
		Recipients: append([]string(nil), s.Recipients...), CallerID: s.CallerID, EndpointTemplate: s.EndpointTemplate,
		SimultaneousCalls: s.SimultaneousCalls, DialAttempts: s.DialAttempts, DialTimeoutMS: s.DialTimeoutMS,
		OnlyWhenFreeMembers: s.OnlyWhenFreeMembers, Queue: s.Queue, DialToExtension: s.DialToExtension,
		Multiplier: s.Multiplier, RetryIntervalSec: s.RetryIntervalSec,
		CallingWindow:  dialer.Window{StartMinute: s.WindowStartMinute, EndMinute: s.WindowEndMinute},
		CallsPerSecond: s.CallsPerSecond, FlowID: s.FlowID, Status: s.Status,
	}
}

// DefaultLease is how long a claim holds without renewal; the runner
// renews the leases of calls in progress at every step.
const DefaultLease = 2 * time.Minute

// Records implements dialer.Records for one campaign on the store.
type Records struct {
	Store    *store.Store
	Campaign dialer.Campaign
	// Owner identifies this node's process (unique per run).
	Owner string
	Lease time.Duration
}

var _ dialer.Records = (*Records)(nil)

func (r *Records) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

func (r *Records) Claim(ctx context.Context, now time.Time, limit int) ([]dialer.Record, error) {
	rs, err := r.Store.ClaimCampaignRecords(ctx, store.Claim{
		AccountID: r.Campaign.AccountID, RequestIDs: r.Campaign.Recipients, Owner: r.Owner, Now: now,
		Lease: r.lease(), Limit: limit, MaxAttempts: dialer.MaxAttempts(&r.Campaign),
	})
	if err != nil {
		return nil, err
	}
	out := make([]dialer.Record, len(rs))
	for i, x := range rs {
		out[i] = dialer.Record{
			ID: x.ID, AccountID: x.AccountID, RequestID: x.RequestID, ClientIdentifier: x.ClientIdentifier,
			Attempt: x.Attempts, Numbers: x.Numbers, Variables: x.Variables,
		}
	}
	return out, nil
}

func (r *Records) Renew(ctx context.Context, ids []int64, now time.Time) error {
	_, err := r.Store.RenewLeases(ctx, r.Owner, ids, now.Add(r.lease()))
	return err
}

func (r *Records) Finish(ctx context.Context, o dialer.Outcome) error {
	return r.Store.FinishCampaignAttempt(ctx, store.AttemptOutcome{
		AccountID: r.Campaign.AccountID, RecordID: o.RecordID, Owner: r.Owner, Status: o.Status, Reason: o.Reason,
		Retry: o.Retry, NextAttemptAt: o.NextAttemptAt, Release: o.Release,
	})
}

func (r *Records) Remaining(ctx context.Context) (int64, error) {
	c, err := r.Store.CountCampaignRecords(ctx, r.Campaign.AccountID, r.Campaign.Recipients)
	if err != nil {
		return 0, err
	}
	return c.Remaining(), nil
}

// Screen returns the dial-time check: a non-empty reason when the number is
// blacklisted or on the DNC list of the account.
func Screen(s *store.Store) func(ctx context.Context, accountID int64, number string) (string, error) {
	return func(ctx context.Context, accountID int64, number string) (string, error) {
		ns, err := s.LoadNumberScreen(ctx, accountID)
		if err != nil {
			return "", err
		}
		if ns.Blacklisted(number) {
			return "blacklisted", nil
		}
		if p, ok := ns.DNC(number); ok {
			return "DNC " + p, nil
		}
		return "", nil
	}
}

// Status reads a campaign's status (for dialer.Runner.Status).
func Status(s *store.Store, accountID, id int64) func(context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		c, err := s.GetCampaign(ctx, accountID, id)
		if err != nil {
			return "", err
		}
		return c.Status, nil
	}
}

// Finished moves a Running campaign to Finished (for
// dialer.Runner.Finished). A campaign paused or cancelled meanwhile is left
// as it is.
func Finished(s *store.Store, accountID, id int64) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.TransitionCampaign(ctx, accountID, id, func(from string) (string, error) {
			return dialer.Transition(from, dialer.ActionFinish)
		})
		if err != nil && errors.Is(err, dialer.ErrTransition) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dialerstore: finish campaign %d: %w", id, err)
		}
		return nil
	}
}
