package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Approval states of a version of a transactional flow (FlowVersion.Approval).
const (
	// ApprovalPending: submitted, waiting for the operator; not live.
	ApprovalPending = "pending"
	// ApprovalApproved: the operator approved it; it went live then.
	ApprovalApproved = "approved"
	// ApprovalRejected: the operator refused it (DecisionReason says why);
	// it never goes live.
	ApprovalRejected = "rejected"
	// ApprovalSuperseded: a newer version was submitted (or the flow
	// stopped being transactional) before the operator decided.
	ApprovalSuperseded = "superseded"
)

// exemptCheckInterval is how long a cached "exempt from DNC scrubbing"
// answer is served: another node's approval or the operator switching
// transactional messaging off is seen within it; this node's own changes
// at once.
const exemptCheckInterval = time.Second

// maxDecisionReason bounds the operator's reason for a decision.
const maxDecisionReason = 1000

func limitLen(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// SetAccountTransactional is the operator's switch for transactional
// messaging on an account. Switching it off makes the account's
// transactional flows marketing traffic again at once (scrubbed at intake
// and at dial time); their approvals stay, so switching it on again
// restores the exemption.
func (s *Store) SetAccountTransactional(ctx context.Context, accountID int64, on bool) (err error) {
	defer s.track("SetAccountTransactional", time.Now(), &err)
	defer s.exempt.invalidate()
	res := s.w.WithContext(ctx).Model(&Account{}).Where("id = ?", accountID).
		Updates(map[string]any{"transactional_messaging": on, "updated_at": now()})
	if res.Error != nil {
		return fmt.Errorf("store: transactional messaging of account %d: %w", accountID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
	}
	return nil
}

// RequestTransactional records that the account asked for transactional
// messaging (now) and returns the account.
func (s *Store) RequestTransactional(ctx context.Context, accountID int64) (a Account, err error) {
	defer s.track("RequestTransactional", time.Now(), &err)
	t := now()
	res := s.w.WithContext(ctx).Model(&Account{}).Where("id = ?", accountID).
		Updates(map[string]any{"transactional_requested_at": t, "updated_at": t})
	if res.Error != nil {
		return Account{}, fmt.Errorf("store: request transactional messaging for account %d: %w", accountID, res.Error)
	}
	if res.RowsAffected == 0 {
		return Account{}, fmt.Errorf("store: account %d: %w", accountID, ErrNotFound)
	}
	return s.getAccountW(ctx, accountID)
}

// SetFlowTransactional marks or unmarks one of the account's flows as
// transactional. Marking needs transactional messaging on the account
// (ErrNotGranted, field transactional); which flow types may be marked is
// the flows API's rule (flows that place calls). Unmarking
// supersedes the versions still waiting for approval: the flow then
// publishes as marketing traffic, live at once.
func (s *Store) SetFlowTransactional(ctx context.Context, accountID, flowID int64, on bool) (f Flow, err error) {
	defer s.track("SetFlowTransactional", time.Now(), &err)
	defer s.flows.invalidate()
	defer s.exempt.invalidate()
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("account_id = ? AND id = ?", accountID, flowID)
		if s.driver == DriverPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&f).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: flow %d: %w", flowID, ErrNotFound)
			}
			return fmt.Errorf("store: flow %d: %w", flowID, err)
		}
		if on {
			var a Account
			if err := tx.Where("id = ?", accountID).Take(&a).Error; err != nil {
				return fmt.Errorf("store: account %d: %w", accountID, err)
			}
			if !a.TransactionalMessaging {
				return ErrNotGranted.New("transactional", "transactional messaging is not enabled for this account: request it in the account settings (it needs an extended contract)")
			}
		} else if err := tx.Model(&FlowVersion{}).Where("flow_id = ? AND approval = ?", flowID, ApprovalPending).
			Update("approval", ApprovalSuperseded).Error; err != nil {
			return fmt.Errorf("store: flow %d: supersede: %w", flowID, err)
		}
		if f.Transactional == on {
			return nil
		}
		f.Transactional, f.UpdatedAt = on, now()
		return tx.Model(&Flow{}).Where("id = ?", flowID).Updates(map[string]any{"transactional": on, "updated_at": f.UpdatedAt}).Error
	})
	if err != nil {
		return Flow{}, err
	}
	return s.getFlow(ctx, s.w, accountID, flowID)
}

// PendingFlowVersion is a version waiting for the operator's approval, with
// what the operator's list shows about it.
type PendingFlowVersion struct {
	AccountID   int64     `json:"account_id"`
	AccountName string    `json:"account_name"`
	FlowID      int64     `json:"flow_id"`
	FlowName    string    `json:"flow_name"`
	FlowType    string    `json:"flow_type"`
	Version     int       `json:"version"`
	SubmittedAt time.Time `json:"submitted_at"`
	SubmittedBy string    `json:"submitted_by"`
	// LiveVersion is the flow's live (last approved) version, 0 if none.
	LiveVersion int `json:"live_version"`
}

// ListPendingFlowVersions lists every account's versions waiting for
// approval, oldest first (operator level).
func (s *Store) ListPendingFlowVersions(ctx context.Context) (ps []PendingFlowVersion, err error) {
	defer s.track("ListPendingFlowVersions", time.Now(), &err)
	var rows []struct {
		AccountID   int64
		AccountName string
		FlowID      int64
		FlowName    string
		FlowType    string
		Version     int
		PublishedAt time.Time
		SubmittedBy string
		LiveVersion int
	}
	if err := s.r.WithContext(ctx).Raw(`SELECT v.account_id, a.name AS account_name, v.flow_id, f.name AS flow_name, f.type AS flow_type,
		v.version, v.published_at, v.submitted_by, f.published_version AS live_version
		FROM flow_versions v JOIN flows f ON f.id = v.flow_id JOIN accounts a ON a.id = v.account_id
		WHERE v.approval = ? ORDER BY v.published_at, v.flow_id, v.version`, ApprovalPending).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: pending flow versions: %w", err)
	}
	ps = make([]PendingFlowVersion, 0, len(rows))
	for _, r := range rows {
		ps = append(ps, PendingFlowVersion{AccountID: r.AccountID, AccountName: r.AccountName, FlowID: r.FlowID, FlowName: r.FlowName,
			FlowType: r.FlowType, Version: r.Version, SubmittedAt: r.PublishedAt.UTC(), SubmittedBy: r.SubmittedBy, LiveVersion: r.LiveVersion})
	}
	return ps, nil
}

// FlowVersionReview is what the operator reviews: a version, its flow, and
// the flow's live version (nil when none is live yet).
type FlowVersionReview struct {
	Flow    Flow
	Version FlowVersion
	Live    *FlowVersion
}

// ReviewFlowVersion returns a version of any account's flow with the
// flow's live version (operator level).
func (s *Store) ReviewFlowVersion(ctx context.Context, flowID int64, version int) (r FlowVersionReview, err error) {
	defer s.track("ReviewFlowVersion", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("id = ?", flowID).Take(&r.Flow).Error; err != nil {
		if isNotFound(err) {
			return FlowVersionReview{}, fmt.Errorf("store: flow %d: %w", flowID, ErrNotFound)
		}
		return FlowVersionReview{}, fmt.Errorf("store: flow %d: %w", flowID, err)
	}
	if r.Version, err = s.GetFlowVersion(ctx, r.Flow.AccountID, flowID, version); err != nil {
		return FlowVersionReview{}, err
	}
	if r.Flow.PublishedVersion > 0 && r.Flow.PublishedVersion != version {
		live, err := s.GetFlowVersion(ctx, r.Flow.AccountID, flowID, r.Flow.PublishedVersion)
		if err != nil {
			return FlowVersionReview{}, err
		}
		r.Live = &live
	}
	return r, nil
}

// DecideFlowVersion is the operator's decision on a pending version of a
// transactional flow. Approving makes it the live version
// (published_version moves to it: calls run it from now on); rejecting
// needs a reason, which the account sees, and the live version stays. A
// version not pending (decided, superseded, not transactional) is a
// conflict. It returns the decided version and its flow.
func (s *Store) DecideFlowVersion(ctx context.Context, flowID int64, version int, approve bool, by, reason string) (v FlowVersion, f Flow, err error) {
	defer s.track("DecideFlowVersion", time.Now(), &err)
	defer s.flows.invalidate()
	defer s.exempt.invalidate()
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return FlowVersion{}, Flow{}, ErrInvalid.New("reason", "give the reason for the rejection: the account sees it")
	}
	if utf8.RuneCountInString(reason) > maxDecisionReason {
		return FlowVersion{}, Flow{}, ErrInvalid.New("reason", "the reason is longer than %d characters", maxDecisionReason)
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		q := tx.Where("id = ?", flowID)
		if s.driver == DriverPostgres {
			q = q.Clauses(clause.Locking{Strength: "UPDATE"})
		}
		if err := q.Take(&f).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: flow %d: %w", flowID, ErrNotFound)
			}
			return fmt.Errorf("store: flow %d: %w", flowID, err)
		}
		if err := tx.Where("flow_id = ? AND version = ?", flowID, version).Take(&v).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: flow %d version %d: %w", flowID, version, ErrNotFound)
			}
			return fmt.Errorf("store: flow %d version %d: %w", flowID, version, err)
		}
		if v.Approval != ApprovalPending {
			state := v.Approval
			if state == "" {
				state = "live without approval (the flow was not transactional)"
			}
			return ErrConflict.New("version", "version %d of this flow is not waiting for approval (it is %s)", version, state)
		}
		t := now()
		v.DecidedAt, v.DecidedBy, v.DecisionReason = &t, limitLen(by, 254), reason
		v.Approval = ApprovalRejected
		if approve {
			v.Approval = ApprovalApproved
		}
		if err := tx.Model(&FlowVersion{}).Where("flow_id = ? AND version = ?", flowID, version).Updates(map[string]any{
			"approval": v.Approval, "decided_at": t, "decided_by": v.DecidedBy, "decision_reason": reason}).Error; err != nil {
			return fmt.Errorf("store: decide flow %d version %d: %w", flowID, version, err)
		}
		if approve {
			f.PublishedVersion, f.UpdatedAt = version, t
			if err := tx.Model(&Flow{}).Where("id = ?", flowID).Updates(map[string]any{"published_version": version, "updated_at": t}).Error; err != nil {
				return fmt.Errorf("store: approve flow %d version %d: %w", flowID, version, err)
			}
		}
		return nil
	})
	if err != nil {
		return FlowVersion{}, Flow{}, err
	}
	return v, f, nil
}

// flowExemption is a cached TransactionalExempt answer: the flow's
// account and whether the flow is exempt.
type flowExemption struct {
	account int64
	exempt  bool
}

// TransactionalExempt reports whether the account's flow is an approved
// transactional flow of an account with transactional messaging on: its
// live version was approved by the operator. Such a flow's call-list
// records are not DNC/NDNC scrubbed (transactional traffic is exempt);
// every other flow is marketing traffic and scrubbed. A flow of another
// account is not exempt. The answer is cached (see exemptCheckInterval):
// the dialer asks it per claim without a database read per call.
func (s *Store) TransactionalExempt(ctx context.Context, accountID, flowID int64) (exempt bool, err error) {
	e, _, ok := s.exempt.get(flowID)
	t := time.Now()
	if ok && t.Sub(e.checked) < exemptCheckInterval {
		return e.v.exempt && e.v.account == accountID, nil
	}
	s.exempt.load.Lock()
	defer s.exempt.load.Unlock()
	e, gen, ok := s.exempt.get(flowID)
	if ok && time.Since(e.checked) < exemptCheckInterval {
		return e.v.exempt && e.v.account == accountID, nil
	}
	defer s.track("TransactionalExempt", t, &err)
	var rows []struct {
		AccountID int64
		Exempt    int
	}
	if err := s.r.WithContext(ctx).Raw(`SELECT f.account_id,
		CASE WHEN f.transactional AND a.transactional_messaging AND a.disabled_at IS NULL AND v.approval = ? THEN 1 ELSE 0 END AS exempt
		FROM flows f JOIN accounts a ON a.id = f.account_id
		LEFT JOIN flow_versions v ON v.flow_id = f.id AND v.version = f.published_version
		WHERE f.id = ?`, ApprovalApproved, flowID).Scan(&rows).Error; err != nil {
		return false, fmt.Errorf("store: transactional exemption of flow %d: %w", flowID, err)
	}
	var fe flowExemption
	if len(rows) == 1 {
		fe = flowExemption{account: rows[0].AccountID, exempt: rows[0].Exempt == 1}
	}
	s.exempt.put(flowID, fe, gen, t)
	return fe.exempt && fe.account == accountID, nil
}

// OperatorEmails returns the emails of the active operators (mails about
// requests the operator decides on).
func (s *Store) OperatorEmails(ctx context.Context) (emails []string, err error) {
	defer s.track("OperatorEmails", time.Now(), &err)
	emails = []string{}
	if err := s.r.WithContext(ctx).Model(&Operator{}).Where("disabled_at IS NULL").Order("id").Pluck("email", &emails).Error; err != nil {
		return nil, fmt.Errorf("store: operator emails: %w", err)
	}
	return emails, nil
}

// AwaitingApproval returns, per flow of the account with a version waiting
// for the operator's approval, that version (the flows list shows it).
func (s *Store) AwaitingApproval(ctx context.Context, accountID int64) (m map[int64]int, err error) {
	defer s.track("AwaitingApproval", time.Now(), &err)
	var rows []struct {
		FlowID  int64
		Version int
	}
	if err := s.r.WithContext(ctx).Model(&FlowVersion{}).Select("flow_id, MAX(version) AS version").
		Where("account_id = ? AND approval = ?", accountID, ApprovalPending).Group("flow_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: versions awaiting approval: %w", err)
	}
	m = make(map[int64]int, len(rows))
	for _, r := range rows {
		m[r.FlowID] = r.Version
	}
	return m, nil
}
