// Package dialerstore adapts the store to the dialer: campaigns in domain
// terms, leased record claims (dialer.Records), dial-time number screening
// and the lifecycle callbacks a dialer.Runner needs.
package dialerstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// DefaultLease is how long a claim holds without renewal; the runner
// renews the leases of calls in progress at every step.
const DefaultLease = 2 * time.Minute

// Records implements dialer.Records for one campaign on the store.
type Records struct {
	Store    *store.Store
	Campaign dialer.Campaign
	// Owner identifies this node's process (unique per run).
	Owner string
	// NodePrefix, if set, is the prefix of every owner this node has had
	// (Node + "-"): claims of its earlier lives are adopted and settled
	// from their call records (dialer.Recoverer).
	NodePrefix string
	Lease      time.Duration
}

var (
	_ dialer.Records        = (*Records)(nil)
	_ dialer.AbandonHistory = (*Records)(nil)
	_ dialer.Recoverer      = (*Records)(nil)
)

func toRecord(x store.CallListRecord) dialer.Record {
	return dialer.Record{
		ID: x.ID, AccountID: x.AccountID, RequestID: x.RequestID, ClientIdentifier: x.ClientIdentifier,
		Attempt: x.Attempts, Numbers: x.Numbers, Variables: x.Variables, ScheduleExtension: x.ScheduleExtension,
		Reclaimed: x.Reclaimed,
	}
}

// Orphans adopts the records this node's previous life was dialing and
// reads their call records (by the deterministic dialer.AttemptID).
func (r *Records) Orphans(ctx context.Context, now time.Time) ([]dialer.Orphan, error) {
	reqs := r.Campaign.Recipients
	if r.fromFlow() {
		ids, err := r.Store.FlowRequestIDs(ctx, r.Campaign.AccountID, r.Campaign.FlowID)
		if err != nil {
			return nil, err
		}
		reqs = ids
	}
	if r.NodePrefix == "" || len(reqs) == 0 {
		return nil, nil // no call list (a lead-webhook campaign): nothing to adopt
	}
	rs, err := r.Store.AdoptCampaignRecords(ctx, store.Adopt{AccountID: r.Campaign.AccountID, RequestIDs: reqs,
		OwnerPrefix: r.NodePrefix, Owner: r.Owner, Until: now.Add(r.lease())})
	if err != nil {
		return nil, err
	}
	out := make([]dialer.Orphan, 0, len(rs))
	for _, x := range rs {
		o, err := r.Settle(ctx, dialer.Orphan{Record: toRecord(x)})
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// Settle reads an orphan's call record.
func (r *Records) Settle(ctx context.Context, o dialer.Orphan) (dialer.Orphan, error) {
	rec := o.Record
	a, err := r.Store.GetAttempt(ctx, rec.AccountID, dialer.AttemptID(rec.AccountID, rec.ID, rec.Attempt))
	if errors.Is(err, store.ErrNotFound) {
		o.Placed, o.Ended = false, false
		return o, nil
	}
	if err != nil {
		return o, err
	}
	o.Placed = true
	o.Ended = a.EndedAt != nil
	o.Status = a.Status
	o.Answered = a.AnsweredAt != nil
	if r.Campaign.IsSMS() {
		return r.settleSMS(ctx, o, a)
	}
	return o, nil
}

// settleSMS settles an sms attempt recorded by a run that ended: one that
// ended has its status; one still open may have been sent (the run ended
// between the send and its answer), so it is ended failed, never sent
// again (dialer.SMSUnknownReason).
func (r *Records) settleSMS(ctx context.Context, o dialer.Orphan, a store.Attempt) (dialer.Orphan, error) {
	if !o.Ended {
		fa, err := r.Store.FinishAttempt(ctx, a.ID, store.AttemptEnd{Status: dialer.SMSFailed, FinishReason: dialer.SMSUnknownReason})
		if err != nil {
			return o, err
		}
		a = fa
		o.Ended, o.Status = true, fa.Status
	}
	if a.FinishReason == dialer.SMSUnknownReason {
		o.Final, o.Reason = true, dialer.SMSUnknownReason
	}
	return o, nil
}

func (r *Records) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	return DefaultLease
}

// fromFlow: a flow's dialing campaign claims from the flow's requests.
func (r *Records) fromFlow() bool {
	return r.Campaign.Source == dialer.SourceFlow && r.Campaign.FlowID != ""
}

func (r *Records) Claim(ctx context.Context, now time.Time, limit int) ([]dialer.Record, error) {
	cl := store.Claim{
		AccountID: r.Campaign.AccountID, RequestIDs: r.Campaign.Recipients, Owner: r.Owner, Now: now,
		Lease: r.lease(), Limit: limit, MaxAttempts: dialer.MaxAttempts(&r.Campaign),
	}
	if r.fromFlow() {
		cl.RequestIDs, cl.FlowID = nil, r.Campaign.FlowID
	} else if len(r.Campaign.Recipients) == 0 {
		return nil, nil // no call list (a lead-webhook campaign)
	}
	rs, err := r.Store.ClaimCampaignRecords(ctx, cl)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.Record, len(rs))
	for i, x := range rs {
		out[i] = toRecord(x)
	}
	return out, nil
}

func (r *Records) Renew(ctx context.Context, ids []int64, now time.Time) error {
	_, err := r.Store.RenewLeases(ctx, r.Owner, ids, now.Add(r.lease()))
	return err
}

// Finish records an attempt's outcome; a lost lease, a missing record or an
// invalid outcome is final (dialer.ErrFinal), anything else is retried.
func (r *Records) Finish(ctx context.Context, o dialer.Outcome) error {
	err := r.Store.FinishCampaignAttempt(ctx, store.AttemptOutcome{
		AccountID: r.Campaign.AccountID, RecordID: o.RecordID, RequestID: o.RequestID, Owner: r.Owner, Status: o.Status, Reason: o.Reason,
		Retry: o.Retry, NextAttemptAt: o.NextAttemptAt, Release: o.Release,
		Rescheduled: o.Rescheduled, CallbackTo: o.CallbackTo,
		CampaignID: r.Campaign.ID, Live: o.Live, Abandoned: o.Abandoned,
	})
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("%w: %w", dialer.ErrFinal, err)
	}
	return err
}

// SMSJournal writes the attempts of sms campaigns (dialer.SMSJournal):
// call attempts with their sms_number, which the call report's SMS filter
// finds.
type SMSJournal struct {
	Store *store.Store
}

var _ dialer.SMSJournal = SMSJournal{}

// BeginSMS records the attempt before its message is sent.
func (j SMSJournal) BeginSMS(ctx context.Context, a dialer.SMSAttempt) error {
	vars := make(map[string]string, len(a.Record.Variables)+1)
	for k, v := range a.Record.Variables {
		vars[k] = v
	}
	vars["sms_text"] = a.Text
	err := j.Store.StartSMSAttempt(ctx, store.SMSAttemptStart{
		AccountID: a.Record.AccountID, AttemptID: a.ID, RequestID: a.Record.RequestID, ClientIdentifier: a.Record.ClientIdentifier,
		CLI: a.CallerID, Number: a.Number, Attempt: a.Record.Attempt, Variables: vars,
	})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", dialer.ErrSMSRecorded, err)
	}
	return err
}

// EndSMS records the gateway's answer.
func (j SMSJournal) EndSMS(ctx context.Context, a dialer.SMSAttempt, status, reason string, messageID int64) error {
	return j.Store.FinishSMSAttempt(ctx, a.ID, status, reason, messageID)
}

// AbandonHours reads the campaign's persisted hourly abandon tallies.
func (r *Records) AbandonHours(ctx context.Context, since time.Time) ([]dialer.HourTally, error) {
	hs, err := r.Store.CampaignAbandonHours(ctx, r.Campaign.ID, since)
	if err != nil {
		return nil, err
	}
	out := make([]dialer.HourTally, len(hs))
	for i, h := range hs {
		out[i] = dialer.HourTally{Hour: h.Hour, Tally: dialer.Tally{Answered: h.Answered, Abandoned: h.Abandoned}}
	}
	return out, nil
}

// StatusRescheduled is the call status of a scheduled call whose
// campaign was cancelled before its time.
const StatusRescheduled = "RESCHEDULED"

// CloseRescheduled ends a cancelled campaign's scheduled records whose
// time has not come (flow reschedules, *Schedule* callbacks) as
// RESCHEDULED; the API calls it after a cancel.
func CloseRescheduled(ctx context.Context, s *store.Store, c dialer.Campaign, now time.Time) (int64, error) {
	return s.CloseRescheduledRecords(ctx, c.AccountID, c.Recipients, now, StatusRescheduled)
}

// Windows reads a campaign's rolling abandon windows from the store (the
// progress API: every node's calls).
func Windows(ctx context.Context, s *store.Store, campaignID int64, now time.Time) (dialer.AbandonWindows, error) {
	hs, err := s.CampaignAbandonHours(ctx, campaignID, now.Add(-dialer.AbandonMonth))
	if err != nil {
		return dialer.AbandonWindows{}, err
	}
	var p dialer.Predictor
	ts := make([]dialer.HourTally, len(hs))
	for i, h := range hs {
		ts[i] = dialer.HourTally{Hour: h.Hour, Tally: dialer.Tally{Answered: h.Answered, Abandoned: h.Abandoned}}
	}
	p.Load(ts)
	return p.Windows(now), nil
}

func (r *Records) Remaining(ctx context.Context) (int64, error) {
	c, err := r.Store.CountCampaignRecords(ctx, r.Campaign.AccountID, r.Campaign.Recipients)
	if err != nil {
		return 0, err
	}
	return c.Remaining(), nil
}

// Screen returns the dial-time check: a non-empty reason when the number is
// blacklisted or on the DNC list of the account (whitelisted numbers are
// exempt from DNC). One indexed query per dial (store.ScreenNumber).
func Screen(s *store.Store) func(ctx context.Context, accountID int64, number string) (string, error) {
	return func(ctx context.Context, accountID int64, number string) (string, error) {
		return s.ScreenNumber(ctx, accountID, number)
	}
}

// ScreenAll is the claim-time check of a batch of numbers (for
// dialer.Runner.ScreenAll): store.ScreenNumbers, one query per 200 numbers.
func ScreenAll(s *store.Store) func(ctx context.Context, accountID int64, numbers []string) (map[string]string, error) {
	return func(ctx context.Context, accountID int64, numbers []string) (map[string]string, error) {
		return s.ScreenNumbers(ctx, accountID, numbers)
	}
}

// CampaignScreen is Screen for the calls of campaign c: when c's flow is
// an approved transactional flow of an account with transactional
// messaging on (store.TransactionalExempt, cached: no database read per
// call), a DNC match does not stop the dial (transactional traffic is
// exempt from NDNC); the blacklist still does. The exemption is asked at
// each dial, so the operator switching the account off stops it at once.
func CampaignScreen(s *store.Store, c dialer.Campaign) func(ctx context.Context, accountID int64, number string) (string, error) {
	return func(ctx context.Context, accountID int64, number string) (string, error) {
		r, err := s.ScreenNumber(ctx, accountID, number)
		if err != nil || r == "" {
			return r, err
		}
		return exemptReason(ctx, s, c, accountID, r)
	}
}

// CampaignScreenAll is ScreenAll for campaign c (see CampaignScreen).
func CampaignScreenAll(s *store.Store, c dialer.Campaign) func(ctx context.Context, accountID int64, numbers []string) (map[string]string, error) {
	return func(ctx context.Context, accountID int64, numbers []string) (map[string]string, error) {
		rs, err := s.ScreenNumbers(ctx, accountID, numbers)
		if err != nil || len(rs) == 0 {
			return rs, err
		}
		for n, r := range rs {
			if rs[n], err = exemptReason(ctx, s, c, accountID, r); err != nil {
				return nil, err
			}
			if rs[n] == "" {
				delete(rs, n)
			}
		}
		return rs, nil
	}
}

// exemptReason drops a DNC reason when c's flow is exempt.
func exemptReason(ctx context.Context, s *store.Store, c dialer.Campaign, accountID int64, reason string) (string, error) {
	if !store.IsDNCReason(reason) {
		return reason, nil
	}
	flowID, err := strconv.ParseInt(c.FlowID, 10, 64)
	if err != nil || flowID <= 0 {
		return reason, nil
	}
	exempt, err := s.TransactionalExempt(ctx, accountID, flowID)
	if err != nil {
		return "", err
	}
	if exempt {
		return "", nil
	}
	return reason, nil
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
