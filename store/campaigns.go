package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchyard/switchyard/dialer"
)

// Campaign is a stored dialer campaign: the dialer's campaign (its columns
// are the domain fields; the calling window is window_start_minute and
// window_end_minute) and the lifecycle timestamps the store keeps. The
// store checks sizes and ownership; package dialer validates the semantics
// and owns the lifecycle (the store applies the transition function it is
// given).
type Campaign struct {
	dialer.Campaign `gorm:"embedded"`
	StartedAt       *time.Time `gorm:"column:started_at" json:"started_at,omitempty"`
	EndedAt         *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`
	CreatedAt       time.Time  `gorm:"column:created_at" json:"created_at"`
	UpdatedAt       time.Time  `gorm:"column:updated_at" json:"updated_at"`
}

func (Campaign) TableName() string { return "campaigns" }

func (c *Campaign) AfterFind(*gorm.DB) error {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	c.StartedAt, c.EndedAt = utcPtr(c.StartedAt), utcPtr(c.EndedAt)
	return nil
}

// CampaignSourceFlow marks a flow's hidden dialing campaign: it holds the
// flow's dialing settings and dials the flow's requests automatically
// (every request of the flow not reserved for hand-made campaigns).
const CampaignSourceFlow = "flow"

// maxSMSText bounds an sms campaign's text in bytes (the dialer's limit
// is in characters).
const maxSMSText = 4 * dialer.MaxSMSText

// Campaign statuses the store itself relies on (the dialer's strings).
const (
	campaignRunning = "Running"
	campaignPaused  = "Paused"
)

func (c *Campaign) check() error {
	if c.AccountID <= 0 {
		return fmt.Errorf("store: campaign account is required: %w", ErrInvalid)
	}
	if c.Name == "" || c.Status == "" || c.Type == "" || c.Mode == "" {
		return fmt.Errorf("store: campaign name, status, type and mode are required: %w", ErrInvalid)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"name", c.Name, maxShort}, {"accountcode", c.Accountcode, 64}, {"type", c.Type, 16}, {"mode", c.Mode, 16}, {"status", c.Status, 16},
		{"caller id", c.CallerID, maxNumber}, {"endpoint template", c.EndpointTemplate, maxShort},
		{"trunk", c.Trunk, 64}, {"source", c.Source, 16},
		{"queue", c.Queue, maxShort}, {"dial-to extension", c.DialToExtension, maxShort}, {"flow id", c.FlowID, 64},
		{"safe-harbor sound", c.SafeHarborSound, maxShort}, {"machine action", c.MachineAction, 16}, {"machine flow id", c.MachineFlowID, 64},
		{"lead webhook", c.LeadWebhook, 128}, {"lead number path", c.LeadNumberPath, 128}, {"log webhook", c.LogWebhook, 128},
		{"sms text", c.SMSText, maxSMSText},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if c.Recipients == nil {
		c.Recipients = []string{} // stored as [], never null
	}
	if c.Source == CampaignSourceFlow {
		if c.FlowID == "" || len(c.Recipients) > 0 {
			return ErrInvalid.New("recipients", "a flow's dialing campaign needs its flow id and lists no recipients")
		}
		return nil
	}
	if c.Source != "" {
		return fmt.Errorf("store: campaign source %q: %w", c.Source, ErrInvalid)
	}
	if len(c.Recipients) == 0 && c.LeadWebhook == "" {
		return ErrInvalid.New("recipients", "a campaign needs at least one recipients list (or a lead webhook)")
	}
	return nil
}

// checkRecipients verifies that every request id belongs to the account
// and reserves the requests for hand-made campaigns (campaigns_only), so
// their flow's automatic dialing leaves them alone. A request that
// automatic dialing has already started on cannot be listed: ErrConflict
// (it would be dialed twice).
func checkRecipients(tx *gorm.DB, accountID int64, ids []string) error {
	if len(ids) == 0 {
		return nil // a lead-webhook campaign (check requires one or the other)
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(ids)))
	var reqs []CallListRequest
	q := tx.Select("id", "campaigns_only", "started_at").Where("account_id = ? AND id IN ?", accountID, uniq)
	if tx.Dialector.Name() == "postgres" {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Find(&reqs).Error; err != nil {
		return err
	}
	if len(reqs) != len(uniq) {
		return ErrInvalid.New("recipients", "%d of %d call-list requests not found in the account", len(uniq)-len(reqs), len(uniq))
	}
	var reserve []string
	for _, r := range reqs {
		if r.CampaignsOnly {
			continue
		}
		if r.StartedAt != nil {
			return ErrConflict.New("", "a request in recipients is already being dialed automatically by its flow; a campaign can list only requests its flow does not dial (upload them with a later start time, or set the flow's dialing mode to campaigns_only)")
		}
		reserve = append(reserve, r.ID)
	}
	if len(reserve) > 0 {
		if err := tx.Model(&CallListRequest{}).Where("id IN ?", reserve).Update("campaigns_only", true).Error; err != nil {
			return err
		}
	}
	// Disabled recipients lists cannot be used in campaigns.
	var disabled []string
	if err := tx.Model(&CallListRequest{}).Where("account_id = ? AND id IN ? AND disabled = ?", accountID, uniq, true).Order("id").Pluck("id", &disabled).Error; err != nil {
		return err
	}
	if len(disabled) > 0 {
		return ErrInvalid.New("recipients", "list %s is disabled (enable it first)", strings.Join(disabled, ", "))
	}
	return nil
}

// CreateCampaign stores a new campaign (ID, timestamps set here).
func (s *Store) CreateCampaign(ctx context.Context, c Campaign) (out Campaign, err error) {
	defer s.track("CreateCampaign", time.Now(), &err)
	if err := c.check(); err != nil {
		return Campaign{}, err
	}
	c.ID = 0
	c.StartedAt, c.EndedAt = nil, nil
	t := now()
	c.CreatedAt, c.UpdatedAt = t, t
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkRecipients(tx, c.AccountID, c.Recipients); err != nil {
			return err
		}
		return tx.Create(&c).Error
	})
	if err != nil {
		if isFKViolation(err) {
			return Campaign{}, fmt.Errorf("store: campaign account %d: %w", c.AccountID, ErrNotFound)
		}
		return Campaign{}, fmt.Errorf("store: create campaign: %w", err)
	}
	return c, nil
}

// GetCampaign returns one campaign of the account.
func (s *Store) GetCampaign(ctx context.Context, accountID, id int64) (c Campaign, err error) {
	defer s.track("GetCampaign", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&c).Error; err != nil {
		if isNotFound(err) {
			return Campaign{}, fmt.Errorf("store: campaign %d: %w", id, ErrNotFound)
		}
		return Campaign{}, fmt.Errorf("store: get campaign %d: %w", id, err)
	}
	return c, nil
}

// ListCampaigns lists the account's campaigns, newest first; status ""
// means all. Flows' dialing campaigns are not listed (see GetFlowCampaign).
func (s *Store) ListCampaigns(ctx context.Context, accountID int64, status string) (cs []Campaign, err error) {
	return s.SearchCampaigns(ctx, accountID, CampaignFilter{Status: status})
}

// CampaignFilter narrows a campaign search: by status, and by when the
// campaign started and ended (From inclusive, To exclusive; a bound on
// StartedAt/EndedAt leaves out campaigns that have not started/ended).
type CampaignFilter struct {
	Status string
	// Accountcode selects the campaigns with this accountcode ("": any).
	Accountcode            string
	StartedFrom, StartedTo *time.Time
	EndedFrom, EndedTo     *time.Time
}

// SearchCampaigns lists an account's campaigns matching f, newest first
// (at most MaxListLimit).
func (s *Store) SearchCampaigns(ctx context.Context, accountID int64, f CampaignFilter) (cs []Campaign, err error) {
	defer s.track("SearchCampaigns", time.Now(), &err)
	q := s.r.WithContext(ctx).Where("account_id = ? AND source = ?", accountID, "")
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.Accountcode != "" {
		q = q.Where("accountcode = ?", f.Accountcode)
	}
	for _, b := range []struct {
		cond string
		t    *time.Time
	}{{"started_at >= ?", f.StartedFrom}, {"started_at < ?", f.StartedTo}, {"ended_at >= ?", f.EndedFrom}, {"ended_at < ?", f.EndedTo}} {
		if b.t != nil {
			q = q.Where(b.cond, norm(*b.t))
		}
	}
	if err := q.Order("created_at DESC, id DESC").Limit(MaxListLimit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: list campaigns: %w", err)
	}
	return cs, nil
}

// ListCampaignsByStatus lists campaigns of every account in the given
// statuses (the dialer resumes Running campaigns after a restart).
func (s *Store) ListCampaignsByStatus(ctx context.Context, statuses ...string) (cs []Campaign, err error) {
	defer s.track("ListCampaignsByStatus", time.Now(), &err)
	if len(statuses) == 0 {
		return nil, fmt.Errorf("store: list campaigns: no status given: %w", ErrInvalid)
	}
	if err := s.r.WithContext(ctx).Where("status IN ?", statuses).Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: list campaigns by status: %w", err)
	}
	return cs, nil
}

// UpdateCampaign replaces a campaign's settings (not its status) if
// editable(current status) allows it; otherwise ErrConflict.
func (s *Store) UpdateCampaign(ctx context.Context, c Campaign, editable func(status string) bool) (out Campaign, err error) {
	defer s.track("UpdateCampaign", time.Now(), &err)
	if editable == nil {
		return Campaign{}, fmt.Errorf("store: update campaign: no edit rule: %w", ErrInvalid)
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur Campaign
		if err := lockCampaign(tx, s.driver, c.AccountID, c.ID, &cur); err != nil {
			return err
		}
		if !editable(cur.Status) {
			return fmt.Errorf("store: campaign %d is %s: it cannot be edited: %w", c.ID, cur.Status, ErrConflict)
		}
		c.Status, c.StartedAt, c.EndedAt, c.CreatedAt = cur.Status, cur.StartedAt, cur.EndedAt, cur.CreatedAt
		if err := c.check(); err != nil {
			return err
		}
		if err := checkRecipients(tx, c.AccountID, c.Recipients); err != nil {
			return err
		}
		c.UpdatedAt = now()
		return tx.Select("*").Omit("id", "account_id", "created_at").Save(&c).Error
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("store: update campaign %d: %w", c.ID, err)
	}
	return s.GetCampaign(ctx, c.AccountID, c.ID)
}

func lockCampaign(tx *gorm.DB, driver string, accountID, id int64, c *Campaign) error {
	q := tx.Where("account_id = ? AND id = ?", accountID, id)
	if driver == DriverPostgres {
		q = q.Clauses(clause.Locking{Strength: "UPDATE"})
	}
	if err := q.Take(c).Error; err != nil {
		if isNotFound(err) {
			return fmt.Errorf("campaign %d: %w", id, ErrNotFound)
		}
		return err
	}
	return nil
}

// DeleteCampaign removes a campaign if deletable(current status) allows it
// (its call lists stay).
func (s *Store) DeleteCampaign(ctx context.Context, accountID, id int64, deletable func(status string) bool) (err error) {
	defer s.track("DeleteCampaign", time.Now(), &err)
	if deletable == nil {
		return fmt.Errorf("store: delete campaign: no rule: %w", ErrInvalid)
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur Campaign
		if err := lockCampaign(tx, s.driver, accountID, id, &cur); err != nil {
			return err
		}
		if !deletable(cur.Status) {
			return fmt.Errorf("campaign %d is %s: it cannot be removed: %w", id, cur.Status, ErrConflict)
		}
		return tx.Where("id = ?", id).Delete(&Campaign{}).Error
	})
	if err != nil {
		return fmt.Errorf("store: delete campaign: %w", err)
	}
	return nil
}

// TransitionCampaign moves a campaign through its lifecycle atomically:
// next(current status) returns the new status or an error (returned
// wrapped, with ErrConflict added when it is not already a store error).
// Entering Running from anything but Paused stamps started_at and clears
// ended_at; leaving Running/Paused for any other status stamps ended_at.
func (s *Store) TransitionCampaign(ctx context.Context, accountID, id int64, next func(from string) (string, error)) (c Campaign, err error) {
	defer s.track("TransitionCampaign", time.Now(), &err)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockCampaign(tx, s.driver, accountID, id, &c); err != nil {
			return err
		}
		to, err := next(c.Status)
		if err != nil {
			return fmt.Errorf("%w (%w)", err, ErrConflict)
		}
		if err := checkLen("status", to, 16); err != nil || to == "" {
			return fmt.Errorf("status %q: %w", to, ErrInvalid)
		}
		t := now()
		upd := map[string]any{"status": to, "updated_at": t}
		if to == campaignRunning && c.Status != campaignPaused {
			upd["started_at"], upd["ended_at"] = t, nil
			c.StartedAt, c.EndedAt = &t, nil
		}
		if to != campaignRunning && to != campaignPaused && (c.Status == campaignRunning || c.Status == campaignPaused) {
			upd["ended_at"] = t
			c.EndedAt = &t
		}
		c.Status, c.UpdatedAt = to, t
		return tx.Model(&Campaign{}).Where("id = ?", id).Updates(upd).Error
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("store: campaign %d: %w", id, err)
	}
	return c, nil
}

// ---- record claiming with leases ----

// Claim describes one claim of due records for a campaign.
type Claim struct {
	AccountID  int64
	RequestIDs []string
	// Owner identifies the claiming node (unique per process run).
	Owner string
	Now   time.Time
	// Lease is how long the claim holds; the owner renews it while a call
	// is in progress (RenewLeases). An expired lease is abandoned: the
	// record is reclaimed for the same attempt (Reclaimed).
	Lease time.Duration
	Limit int
	// FlowID, instead of RequestIDs, claims from every request of the
	// flow that is not reserved for hand-made campaigns and not Completed
	// (a flow's automatic dialing).
	FlowID string
	// MaxAttempts: pending records that already had this many attempts
	// are not claimed (a reclaimed one starts no new attempt).
	MaxAttempts int
}

// Last status of a record closed because its attempt was lost (kept for
// records closed so by earlier versions).
const (
	LastStatusAbandoned = "ABANDONED"
)

// ClaimCampaignRecords claims up to Limit due records of the campaign's
// call-list requests for Owner: PENDING ones whose start time and next
// attempt time have passed, and IN_PROCESS ones whose lease expired
// (abandoned by a crashed node). A PENDING record's claim is a new attempt
// (attempts + 1, so Attempts is the attempt number to dial); an expired one
// is reclaimed with the SAME attempt number and Reclaimed set: that attempt
// may already have been placed, so the claimer settles it from its call
// record and dials it only if it was never placed — a record is never
// dialed twice for one attempt. Either moves the record to IN_PROCESS with
// the lease set, in one transaction: PostgreSQL locks the rows with FOR
// UPDATE SKIP LOCKED, SQLite runs the whole claim as the single writer, so
// no record is handed to two claimers at once.
func (s *Store) ClaimCampaignRecords(ctx context.Context, c Claim) (rs []CallListRecord, err error) {
	defer s.track("ClaimCampaignRecords", time.Now(), &err)
	switch {
	case c.Limit <= 0 || c.Limit > MaxListLimit:
		return nil, fmt.Errorf("store: claim: limit %d (1…%d): %w", c.Limit, MaxListLimit, ErrInvalid)
	case c.Owner == "" || len(c.Owner) > 128:
		return nil, fmt.Errorf("store: claim: owner must be 1…128 bytes: %w", ErrInvalid)
	case c.Lease <= 0:
		return nil, fmt.Errorf("store: claim: lease %v must be positive: %w", c.Lease, ErrInvalid)
	case c.MaxAttempts <= 0:
		return nil, fmt.Errorf("store: claim: max attempts %d must be positive: %w", c.MaxAttempts, ErrInvalid)
	case (len(c.RequestIDs) == 0) == (c.FlowID == "") || c.AccountID <= 0:
		return nil, fmt.Errorf("store: claim: account and request ids or a flow id are required: %w", ErrInvalid)
	}
	at := norm(c.Now)
	until := norm(c.Now.Add(c.Lease))
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		t := now()
		touched := map[string]bool{}
		// Due records in order of priority, each kind from an index that
		// gives it in that order, so a claim reads about the records it
		// takes however long the list (one query sorting every pending
		// record of a 100,000-record list took 66 ms on SQLite and 195 ms
		// on PostgreSQL): expired leases, oldest first; then retries due,
		// earliest first; then first attempts without a start time, in
		// upload order; then first attempts whose start time has come, by
		// start time. The status and NULL tests are literals: SQLite uses
		// a partial index only for terms it can match to the index's.
		kinds := []struct{ where, order string }{
			{"status = '" + RecordInProcess + "' AND lease_until < ?", "lease_until, id"},
			{"status = '" + RecordPending + "' AND next_attempt_at IS NOT NULL AND next_attempt_at <= ? AND (start_time IS NULL OR start_time <= ?) AND attempts < ?", "next_attempt_at, id"},
			{"status = '" + RecordPending + "' AND next_attempt_at IS NULL AND start_time IS NULL AND attempts < ?", "start_time, id"},
			{"status = '" + RecordPending + "' AND next_attempt_at IS NULL AND start_time <= ? AND attempts < ?", "start_time, id"},
		}
		args := [][]any{{at}, {at, at, c.MaxAttempts}, {c.MaxAttempts}, {at, c.MaxAttempts}}
		for i, k := range kinds {
			if len(rs) >= c.Limit {
				break
			}
			var got []CallListRecord
			var reqs any = c.RequestIDs
			if c.FlowID != "" {
				reqs = flowRequests(tx, c.AccountID, c.FlowID)
			}
			q := tx.Where("account_id = ? AND request_id IN (?)", c.AccountID, reqs).
				Where(k.where, args[i]...).Order(k.order).Limit(c.Limit - len(rs))
			if err := s.skipLocked(q).Find(&got).Error; err != nil {
				return err
			}
			rs = append(rs, got...)
		}
		var fresh, reclaimed []int64
		for i, r := range rs {
			touched[r.RequestID] = true
			if r.Status == RecordInProcess {
				reclaimed = append(reclaimed, r.ID)
				rs[i].Reclaimed = true
			} else {
				fresh = append(fresh, r.ID)
				rs[i].Attempts++
			}
			rs[i].Status, rs[i].UpdatedAt = RecordInProcess, t
		}
		if len(fresh) > 0 {
			if err := tx.Model(&CallListRecord{}).Where("id IN ?", fresh).Updates(map[string]any{
				"status": RecordInProcess, "attempts": gorm.Expr("attempts + 1"),
				"lease_owner": c.Owner, "lease_until": until, "updated_at": t,
			}).Error; err != nil {
				return err
			}
		}
		if len(reclaimed) > 0 {
			if err := tx.Model(&CallListRecord{}).Where("id IN ?", reclaimed).Updates(map[string]any{
				"lease_owner": c.Owner, "lease_until": until, "updated_at": t,
			}).Error; err != nil {
				return err
			}
		}
		// A claim starts its requests without recounting their records.
		return markStarted(tx, touched, t)
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim campaign records: %w", err)
	}
	return rs, nil
}

// flowRequests is the subquery of a flow's requests that its automatic
// dialing serves: not reserved for hand-made campaigns, not Completed
// (index ix_call_list_requests_flow_open).
func flowRequests(tx *gorm.DB, accountID int64, flowID string) *gorm.DB {
	return tx.Session(&gorm.Session{NewDB: true}).Model(&CallListRequest{}).Select("id").
		Where("account_id = ? AND flow_id = ? AND campaigns_only = ? AND status <> ?", accountID, flowID, false, RequestCompleted)
}

// FlowRequestIDs lists the requests a flow's automatic dialing serves (see
// Claim.FlowID), oldest first, at most MaxListLimit.
func (s *Store) FlowRequestIDs(ctx context.Context, accountID int64, flowID string) (ids []string, err error) {
	defer s.track("FlowRequestIDs", time.Now(), &err)
	if err := flowRequests(s.r.WithContext(ctx), accountID, flowID).Order("created_at, id").Limit(MaxListLimit).Pluck("id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: requests of flow %s: %w", flowID, err)
	}
	return ids, nil
}

// GetFlowCampaign returns a flow's dialing campaign (ErrNotFound if the
// flow has none yet).
func (s *Store) GetFlowCampaign(ctx context.Context, accountID int64, flowID string) (c Campaign, err error) {
	defer s.track("GetFlowCampaign", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND flow_id = ? AND source = ?", accountID, flowID, CampaignSourceFlow).Take(&c).Error; err != nil {
		if isNotFound(err) {
			return Campaign{}, fmt.Errorf("store: dialing settings of flow %s: %w", flowID, ErrNotFound)
		}
		return Campaign{}, fmt.Errorf("store: dialing settings of flow %s: %w", flowID, err)
	}
	return c, nil
}

// PutFlowCampaign stores a flow's dialing campaign: c.Source must be
// CampaignSourceFlow. ifMissing only creates it (a concurrent or earlier
// one is kept: the import path's default settings never overwrite what a
// user set); otherwise settings and status are replaced. One campaign per
// flow (unique index).
func (s *Store) PutFlowCampaign(ctx context.Context, c Campaign, ifMissing bool) (out Campaign, err error) {
	defer s.track("PutFlowCampaign", time.Now(), &err)
	if c.Source != CampaignSourceFlow {
		return Campaign{}, fmt.Errorf("store: put flow campaign: source must be %q: %w", CampaignSourceFlow, ErrInvalid)
	}
	if err := c.check(); err != nil {
		return Campaign{}, err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var cur Campaign
		q := tx.Where("account_id = ? AND flow_id = ? AND source = ?", c.AccountID, c.FlowID, CampaignSourceFlow)
		if s.driver == DriverPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		err := q.Take(&cur).Error
		t := now()
		switch {
		case isNotFound(err):
			c.ID, c.CreatedAt, c.UpdatedAt, c.StartedAt, c.EndedAt = 0, t, t, nil, nil
			if c.Status == campaignRunning {
				c.StartedAt = &t
			}
			// A concurrent creator wins; this one then reads its row.
			return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&c).Error
		case err != nil:
			return err
		case ifMissing:
			return nil
		}
		c.ID, c.CreatedAt, c.UpdatedAt, c.StartedAt, c.EndedAt = cur.ID, cur.CreatedAt, t, cur.StartedAt, cur.EndedAt
		if c.Status == campaignRunning && cur.Status != campaignRunning && cur.Status != campaignPaused {
			c.StartedAt = &t
		}
		return tx.Select("*").Omit("id", "account_id", "created_at").Save(&c).Error
	})
	if err != nil {
		if isFKViolation(err) {
			return Campaign{}, fmt.Errorf("store: flow campaign account %d: %w", c.AccountID, ErrNotFound)
		}
		return Campaign{}, fmt.Errorf("store: put flow campaign: %w", err)
	}
	return s.GetFlowCampaign(ctx, c.AccountID, c.FlowID)
}

// refreshRequests recounts completed records and the status of requests.
// The request rows are locked first (in id order, so two transactions never
// deadlock): on PostgreSQL a concurrent finisher then waits, and its count —
// a new statement under READ COMMITTED — sees this one's committed record.
func refreshRequests(tx *gorm.DB, ids map[string]bool, t time.Time) error {
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		var req CallListRequest
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&req).Error; err != nil {
			return err
		}
		var done int64
		if err := tx.Model(&CallListRecord{}).Where("request_id = ? AND status = ?", id, RecordComplete).Count(&done).Error; err != nil {
			return err
		}
		started := req.StartedAt
		if started == nil {
			started = &t
		}
		status := RequestStatus(req.Uploaded, done, req.Invalid, req.Scrubbed, true)
		if err := tx.Model(&CallListRequest{}).Where("id = ?", id).Updates(map[string]any{
			"completed": done, "started_at": started, "status": status, "updated_at": t,
		}).Error; err != nil {
			return err
		}
	}
	return nil
}

// addCompleted adds n[id] newly completed records to each request's
// completed count and sets its status from the new count, in one UPDATE per
// request (in id order): the request row is locked only from this statement
// to the commit, and nothing counts the request's records. The caller's
// transaction moved exactly those records to COMPLETE (a lease-checked
// UPDATE), so the count stays equal to the records with status COMPLETE.
func addCompleted(tx *gorm.DB, n map[string]int64, t time.Time) error {
	for _, id := range slices.Sorted(maps.Keys(n)) {
		k := n[id]
		if k == 0 {
			continue
		}
		if err := tx.Model(&CallListRequest{}).Where("id = ?", id).Updates(map[string]any{
			"completed": gorm.Expr("completed + ?", k),
			"status": gorm.Expr("CASE WHEN uploaded <= completed + ? + invalid + scrubbed THEN ? ELSE ? END",
				k, RequestCompleted, RequestInProcess),
			"started_at": gorm.Expr("COALESCE(started_at, ?)", t),
			"updated_at": t,
		}).Error; err != nil {
			return fmt.Errorf("store: completed count of request %s: %w", id, err)
		}
	}
	return nil
}

// markStarted moves requests the dialer claimed records of to In process
// (started_at set once; a request with a record to dial is not complete).
func markStarted(tx *gorm.DB, ids map[string]bool, t time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Model(&CallListRequest{}).Where("id IN ? AND started_at IS NULL", slices.Sorted(maps.Keys(ids))).
		Updates(map[string]any{"started_at": t, "status": RequestInProcess, "updated_at": t}).Error; err != nil {
		return fmt.Errorf("store: start requests: %w", err)
	}
	return nil
}

// RenewLeases extends the leases Owner holds on the given records; it
// returns how many it still held.
func (s *Store) RenewLeases(ctx context.Context, owner string, recordIDs []int64, until time.Time) (n int64, err error) {
	defer s.track("RenewLeases", time.Now(), &err)
	if owner == "" || len(recordIDs) == 0 {
		return 0, nil
	}
	q := s.w.WithContext(ctx).Model(&CallListRecord{})
	if s.driver == DriverPostgres {
		// Rows locked now are being finished (their outcome's group
		// transaction): skipped, so a renewal never waits for a group
		// that waits for one of its rows (a deadlock).
		q = q.Where("id IN (?)", s.skipLocked(s.w.Model(&CallListRecord{}).Select("id").
			Where("id IN ? AND status = ? AND lease_owner = ?", recordIDs, RecordInProcess, owner)))
	} else {
		q = q.Where("id IN ? AND status = ? AND lease_owner = ?", recordIDs, RecordInProcess, owner)
	}
	res := q.Updates(map[string]any{"lease_until": norm(until)})
	if res.Error != nil {
		return 0, fmt.Errorf("store: renew leases: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// AttemptOutcome ends one claimed attempt.
type AttemptOutcome struct {
	AccountID int64
	RecordID  int64
	// RequestID, when the caller knows it, is the record's request: on
	// PostgreSQL the outcomes of one request then commit in one lane, a
	// group after another, instead of every lane's group waiting for the
	// others' commits to update the request's completed count.
	RequestID string
	Owner     string
	// Status is the attempt's call status as reports show it (BUSY,
	// IVR_FINISHED…).
	Status string
	Reason string
	// Retry puts the record back to PENDING, due at NextAttemptAt;
	// otherwise it is COMPLETE.
	Retry         bool
	NextAttemptAt time.Time
	// Release returns a claim that was never dialed (pause, cancel,
	// calling window): the attempt is not counted. With NextAttemptAt set
	// the record is not due again before it.
	Release bool
	// Rescheduled marks a Retry asked for by the call's flow
	// ($flow.syskey.reschedule…): cancelling the campaign before
	// NextAttemptAt ends the record as RESCHEDULED. CallbackTo, if set,
	// becomes the record's schedule extension (the agent to connect).
	Rescheduled bool
	CallbackTo  string
	// CampaignID, with Live set, adds the attempt to the campaign's hourly
	// abandon tally (live-answered calls of agent-paced campaigns, and
	// Abandoned among them), in the same transaction.
	CampaignID int64
	Live       bool
	Abandoned  bool
}

// FinishCampaignAttempt records the outcome of an attempt. The record must
// still be leased by Owner (else ErrConflict: the lease expired and the
// record may have been claimed again).
func (s *Store) FinishCampaignAttempt(ctx context.Context, o AttemptOutcome) (err error) {
	defer s.track("FinishCampaignAttempt", time.Now(), &err)
	if o.Owner == "" {
		return fmt.Errorf("store: finish attempt: owner is required: %w", ErrInvalid)
	}
	if err := checkLen("status", o.Status, 32); err != nil {
		return err
	}
	if err := checkLen("callback extension", o.CallbackTo, maxShort); err != nil {
		return err
	}
	if len(o.Reason) > maxLong {
		o.Reason = o.Reason[:maxLong]
	}
	// On PostgreSQL the common outcome (complete) is one statement, sent
	// pipelined with its group's others.
	var pipe *pipeStep
	if !o.Release && !o.Retry {
		t := now()
		var reqID string
		pipe = &pipeStep{stmt: completeRecord, args: []any{o.Status, o.Reason, t, o.RecordID, o.AccountID, RecordInProcess, o.Owner},
			scan: func(rows rowScanner) error { return rows.Scan(&reqID) },
			done: func(n int64, totals *groupTotals) bool {
				if n == 0 {
					return false // missing or not leased: the full form tells which
				}
				if o.Live && o.CampaignID > 0 {
					totals.abandonHour(o.CampaignID, t, o.Abandoned)
				}
				totals.complete(reqID)
				return true
			}}
	}
	key := uint64(o.RecordID)
	if o.RequestID != "" {
		key = laneKey(o.RequestID)
	}
	return s.groupedLazy(ctx, key, pipe, func(tx *gorm.DB, totals *groupTotals) error {
		t := now()
		upd := map[string]any{"lease_owner": "", "lease_until": nil, "updated_at": t}
		switch {
		case o.Release:
			upd["status"], upd["attempts"] = RecordPending, gorm.Expr("CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END")
			if !o.NextAttemptAt.IsZero() {
				upd["next_attempt_at"] = norm(o.NextAttemptAt)
			}
		case o.Retry:
			upd["status"], upd["next_attempt_at"], upd["last_status"], upd["reason"] = RecordPending, norm(o.NextAttemptAt), o.Status, o.Reason
			upd["rescheduled"] = o.Rescheduled
			if o.CallbackTo != "" {
				upd["schedule_extension"] = o.CallbackTo
			}
		default:
			upd["status"], upd["last_status"], upd["reason"], upd["rescheduled"] = RecordComplete, o.Status, o.Reason, false
		}
		var recs []CallListRecord
		var err error
		if !o.Release && !o.Retry {
			// The common outcome, without gorm's statement building.
			err = s.rawQuery(tx, completeRecord, []any{o.Status, o.Reason, t, o.RecordID, o.AccountID, RecordInProcess, o.Owner},
				func(rows rowScanner) error {
					var r CallListRecord
					err := rows.Scan(&r.RequestID)
					recs = append(recs, r)
					return err
				})
		} else {
			err = tx.Model(&recs).Clauses(clause.Returning{Columns: []clause.Column{{Name: "request_id"}}}).
				Where("id = ? AND account_id = ? AND status = ? AND lease_owner = ?", o.RecordID, o.AccountID, RecordInProcess, o.Owner).Updates(upd).Error
		}
		if err != nil {
			return fmt.Errorf("store: finish attempt of record %d: %w", o.RecordID, err)
		}
		if len(recs) == 0 {
			var n int64
			if err := tx.Model(&CallListRecord{}).Where("id = ? AND account_id = ?", o.RecordID, o.AccountID).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("store: record %d: %w", o.RecordID, ErrNotFound)
			}
			return fmt.Errorf("store: record %d is not leased by %s (lease lost): %w", o.RecordID, o.Owner, ErrConflict)
		}
		rec := recs[0]
		if o.Live && o.CampaignID > 0 && !o.Release {
			totals.abandonHour(o.CampaignID, t, o.Abandoned)
		}
		if !o.Release && !o.Retry {
			totals.complete(rec.RequestID)
		}
		return nil
	})
}

// completeRecord ends a leased record's last attempt: COMPLETE.
var completeRecord = raw(`UPDATE call_list_records SET status = '` + RecordComplete + `', last_status = ?, reason = ?, rescheduled = false,
	lease_owner = '', lease_until = NULL, updated_at = ?
	WHERE id = ? AND account_id = ? AND status = ? AND lease_owner = ? RETURNING request_id`)

// CampaignRecordCounts summarises a campaign's records.
type CampaignRecordCounts struct {
	Pending   int64            `json:"pending"`
	InProcess int64            `json:"in_process"`
	Complete  int64            `json:"complete"`
	Attempts  int64            `json:"attempts"`
	ByStatus  map[string]int64 `json:"by_status"` // last call status of complete records
}

// Remaining is the number of records not yet final.
func (c CampaignRecordCounts) Remaining() int64 { return c.Pending + c.InProcess }

// CountCampaignRecords counts the records of the given requests by state.
func (s *Store) CountCampaignRecords(ctx context.Context, accountID int64, requestIDs []string) (c CampaignRecordCounts, err error) {
	defer s.track("CountCampaignRecords", time.Now(), &err)
	c.ByStatus = map[string]int64{}
	var rows []struct {
		Status     string
		LastStatus string
		N          int64
		A          int64
	}
	if len(requestIDs) == 0 {
		return c, nil
	}
	if err := s.r.WithContext(ctx).Model(&CallListRecord{}).
		Select("status, last_status, COUNT(*) AS n, COALESCE(SUM(attempts), 0) AS a").
		Where("account_id = ? AND request_id IN ?", accountID, requestIDs).
		Group("status, last_status").Scan(&rows).Error; err != nil {
		return c, fmt.Errorf("store: count campaign records: %w", err)
	}
	for _, r := range rows {
		c.Attempts += r.A
		switch r.Status {
		case RecordPending:
			c.Pending += r.N
		case RecordInProcess:
			c.InProcess += r.N
		case RecordComplete:
			c.Complete += r.N
			if r.LastStatus != "" {
				c.ByStatus[r.LastStatus] += r.N
			}
		}
	}
	return c, nil
}

// ---- abandon tallies and reschedules ----

// CampaignAbandonHour is one clock hour of a campaign's abandon tally:
// live-answered calls of an agent-paced campaign and the abandoned ones
// among them.
type CampaignAbandonHour struct {
	CampaignID int64     `gorm:"column:campaign_id;primaryKey" json:"-"`
	Hour       time.Time `gorm:"column:hour;primaryKey" json:"hour"`
	Answered   int64     `gorm:"column:answered" json:"answered"`
	Abandoned  int64     `gorm:"column:abandoned" json:"abandoned"`
}

func (CampaignAbandonHour) TableName() string { return "campaign_abandon_hours" }

// CampaignAbandonHours returns the campaign's hourly abandon tallies from
// the hour containing since on, oldest first.
func (s *Store) CampaignAbandonHours(ctx context.Context, campaignID int64, since time.Time) (hs []CampaignAbandonHour, err error) {
	defer s.track("CampaignAbandonHours", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("campaign_id = ? AND hour >= ?", campaignID, norm(since.Truncate(time.Hour))).
		Order("hour").Limit(24 * 31).Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("store: abandon tallies of campaign %d: %w", campaignID, err)
	}
	for i := range hs {
		hs[i].Hour = hs[i].Hour.UTC()
	}
	return hs, nil
}

// CloseRescheduledRecords ends the scheduled records of a campaign's
// requests whose time has not come yet — reschedules asked for by a flow
// and *Schedule* callbacks — as COMPLETE with last status status
// (RESCHEDULED: "the call was rescheduled but the campaign was canceled
// before the defined time had been reached"). It returns how
// many it closed.
func (s *Store) CloseRescheduledRecords(ctx context.Context, accountID int64, requestIDs []string, at time.Time, status string) (n int64, err error) {
	defer s.track("CloseRescheduledRecords", time.Now(), &err)
	if accountID <= 0 || len(requestIDs) == 0 {
		return 0, fmt.Errorf("store: close rescheduled records: account and request ids are required: %w", ErrInvalid)
	}
	if err := checkLen("status", status, 32); err != nil || status == "" {
		return 0, fmt.Errorf("store: close rescheduled records: status %q: %w", status, ErrInvalid)
	}
	t := norm(at)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var recs []CallListRecord
		q := tx.Select("id", "request_id").Where("account_id = ? AND request_id IN ? AND status = ?", accountID, requestIDs, RecordPending).
			Where(tx.Where("rescheduled = ? AND next_attempt_at > ?", true, t).
				Or("schedule_extension <> '' AND start_time > ? AND attempts = 0", t))
		q = s.skipLocked(q)
		if err := q.Find(&recs).Error; err != nil {
			return err
		}
		if len(recs) == 0 {
			return nil
		}
		ids := make([]int64, len(recs))
		touched := map[string]bool{}
		for i, r := range recs {
			ids[i] = r.ID
			touched[r.RequestID] = true
		}
		now := now()
		res := tx.Model(&CallListRecord{}).Where("id IN ? AND status = ?", ids, RecordPending).Updates(map[string]any{
			"status": RecordComplete, "last_status": status, "reason": "campaign cancelled before the scheduled time",
			"rescheduled": false, "updated_at": now,
		})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		return refreshRequests(tx, touched, now)
	})
	if err != nil {
		return 0, fmt.Errorf("store: close rescheduled records: %w", err)
	}
	return n, nil
}

// Adopt describes a restarted node taking over the records its previous
// life was dialing (their leases carry the node's name).
type Adopt struct {
	AccountID  int64
	RequestIDs []string
	// OwnerPrefix matches the lease owners of the node's earlier lives
	// (Node + "-"); Owner is the current one, excluded.
	OwnerPrefix string
	Owner       string
	Until       time.Time
}

// AdoptCampaignRecords moves the leases of records IN_PROCESS under an
// earlier life of this node to Owner (whether their lease has expired or
// not) and returns them: the caller settles each from its call record
// instead of dialing it again.
func (s *Store) AdoptCampaignRecords(ctx context.Context, a Adopt) (rs []CallListRecord, err error) {
	defer s.track("AdoptCampaignRecords", time.Now(), &err)
	if a.AccountID <= 0 || len(a.RequestIDs) == 0 || a.OwnerPrefix == "" || a.Owner == "" || strings.HasPrefix(a.OwnerPrefix, "%") {
		return nil, fmt.Errorf("store: adopt records: account, request ids, owner prefix and owner are required: %w", ErrInvalid)
	}
	like := strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(a.OwnerPrefix) + "%"
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("account_id = ? AND request_id IN ? AND status = ? AND lease_owner LIKE ? ESCAPE '\\' AND lease_owner <> ?",
			a.AccountID, a.RequestIDs, RecordInProcess, like, a.Owner).Order("id").Limit(MaxListLimit)
		q = s.skipLocked(q)
		if err := q.Find(&rs).Error; err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		ids := make([]int64, len(rs))
		for i, r := range rs {
			ids[i] = r.ID
		}
		return tx.Model(&CallListRecord{}).Where("id IN ?", ids).
			Updates(map[string]any{"lease_owner": a.Owner, "lease_until": norm(a.Until), "updated_at": now()}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: adopt records: %w", err)
	}
	return rs, nil
}

// dncReason starts the dial-time screen's reason for a number on the DNC
// list ("DNC <entry>").
const dncReason = "DNC "

// IsDNCReason reports whether a reason of ScreenNumber(s) is a DNC/NDNC
// match (not the blacklist): what an approved transactional flow is exempt
// from.
func IsDNCReason(reason string) bool { return strings.HasPrefix(reason, dncReason) }

// ScreenNumber is the dial-time check of one number against the account's
// blacklist and DNC list (exact entries and prefixes; a whitelisted number
// is exempt from DNC). It returns "" when the number may be dialed, else
// "blacklisted" or "DNC <entry>". One indexed statement: the lists are
// never loaded whole.
func (s *Store) ScreenNumber(ctx context.Context, accountID int64, number string) (reason string, err error) {
	if number == "" {
		return "", fmt.Errorf("store: screen number: account and number are required: %w", ErrInvalid)
	}
	r, err := s.ScreenNumbers(ctx, accountID, []string{number})
	return r[number], err
}

// screenChunk is how many numbers one screening statement checks (each
// brings up to ~15 prefix candidates as parameters).
const screenChunk = 200

// ScreenNumbers screens a batch of numbers as ScreenNumber does, in one
// indexed statement per screenChunk numbers (the dialer screens a claim's
// records together). The map holds a reason for each number that must not
// be dialed; numbers that may be dialed are absent.
func (s *Store) ScreenNumbers(ctx context.Context, accountID int64, numbers []string) (reasons map[string]string, err error) {
	defer s.track("ScreenNumbers", time.Now(), &err)
	if accountID <= 0 {
		return nil, fmt.Errorf("store: screen numbers: account is required: %w", ErrInvalid)
	}
	reasons = map[string]string{}
	for len(numbers) > 0 {
		chunk := numbers[:min(len(numbers), screenChunk)]
		numbers = numbers[len(chunk):]
		if err := s.screenChunk(ctx, accountID, chunk, reasons); err != nil {
			return nil, err
		}
	}
	return reasons, nil
}

func (s *Store) screenChunk(ctx context.Context, accountID int64, numbers []string, reasons map[string]string) error {
	seen := map[string]bool{}
	var cands []string
	for _, n := range numbers {
		if n == "" {
			return fmt.Errorf("store: screen numbers: empty number: %w", ErrInvalid)
		}
		for l := len(n); l >= 2; l-- {
			if !seen[n[:l]] {
				seen[n[:l]] = true
				cands = append(cands, n[:l])
			}
		}
	}
	var rows []struct {
		K string
		V string
	}
	if err := s.r.WithContext(ctx).Raw(`SELECT 'list:' || list AS k, value AS v FROM access_list_entries WHERE account_id = ? AND kind = ? AND value IN ?
		UNION ALL
		SELECT CASE WHEN prefix THEN 'prefix' ELSE 'dnc' END AS k, value AS v FROM dnc_entries WHERE account_id = ? AND value IN ?`,
		accountID, KindPhone, numbers, accountID, cands).Scan(&rows).Error; err != nil {
		return fmt.Errorf("store: screen numbers: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	black, white := map[string]bool{}, map[string]bool{}
	dnc, prefixes := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		switch r.K {
		case "list:" + ListBlack:
			black[r.V] = true
		case "list:" + ListWhite:
			white[r.V] = true
		case "dnc":
			dnc[r.V] = true
		case "prefix":
			prefixes[r.V] = true
		}
	}
	for _, n := range numbers {
		switch {
		case black[n]:
			reasons[n] = "blacklisted"
		case white[n]:
		case dnc[n]:
			reasons[n] = dncReason + n
		default:
			// The longest DNC prefix entry (a value that is the whole
			// number but marked prefix counts too).
			for l := len(n); l >= 2; l-- {
				if prefixes[n[:l]] {
					reasons[n] = dncReason + n[:l]
					break
				}
			}
		}
	}
	return nil
}
