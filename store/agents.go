package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// The ACD's configuration: agents, queues and their members, the accounts'
// CRM/popup hook setups and agent-UI embed, stored as the types of
// dialer/acd/acdconfig (which validates the semantics); the store checks
// sizes, uniqueness and that every referenced row belongs to the account.

// Agent is a stored ACD agent: the ACD's agent as it is configured (its
// fields are the columns; the wrap-up is wrap_up_ms). SIPPassword is the
// PJSIP endpoint's secret (SIP login types): the API shows it once, at
// creation.
type Agent struct {
	acdconfig.Agent `gorm:"embedded"`
}

func (Agent) TableName() string { return "agents" }

func (a *Agent) AfterFind(*gorm.DB) error {
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return nil
}

func (a *Agent) check() error {
	if a.AccountID <= 0 {
		return ErrInvalid.New("", "agent account is required")
	}
	name, err := validName("agent", a.Name, true)
	if err != nil {
		return err
	}
	a.Name = name
	if a.LoginType == "" {
		return ErrInvalid.New("", "agent login type is required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"login type", string(a.LoginType), 16}, {"extension", a.Extension, 64}, {"sip password", a.SIPPassword, 128},
		{"number", a.Number, 32}, {"cli", a.CLI, 32},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if a.WrapUp < 0 {
		return ErrInvalid.New("", "agent wrap-up %d ms is negative", a.WrapUp.Milliseconds())
	}
	if a.UserID != nil && *a.UserID <= 0 {
		return ErrInvalid.New("", "agent user_id %d: a positive user id", *a.UserID)
	}
	return nil
}

// checkAgentUser verifies that the user an agent is linked to belongs to
// the agent's account.
func checkAgentUser(ctx context.Context, db *gorm.DB, a Agent) error {
	if a.UserID == nil {
		return nil
	}
	var n int64
	if err := db.WithContext(ctx).Model(&User{}).Where("account_id = ? AND id = ?", a.AccountID, *a.UserID).Count(&n).Error; err != nil {
		return fmt.Errorf("store: agent user: %w", err)
	}
	if n == 0 {
		return ErrInvalid.New("", "agent user_id %d: no such user in the account", *a.UserID)
	}
	if err := db.WithContext(ctx).Model(&Agent{}).Where("user_id = ? AND id <> ?", *a.UserID, a.ID).Count(&n).Error; err != nil {
		return fmt.Errorf("store: agent user: %w", err)
	}
	if n > 0 {
		return ErrConflict.New("", "user %d already works as another agent", *a.UserID)
	}
	return nil
}

// GetAgentByUser returns the agent the console user works as (the agent
// desk); ErrNotFound when no agent is linked to the user.
func (s *Store) GetAgentByUser(ctx context.Context, accountID, userID int64) (a Agent, err error) {
	defer s.track("GetAgentByUser", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND user_id = ?", accountID, userID).Take(&a).Error; err != nil {
		if isNotFound(err) {
			return Agent{}, fmt.Errorf("store: no agent for user %d: %w", userID, ErrNotFound)
		}
		return Agent{}, fmt.Errorf("store: agent of user %d: %w", userID, err)
	}
	return a, nil
}

// Queue is a stored ACD queue: the ACD's queue (durations are the *_ms
// columns); Members are agent IDs of the same account, in order (the
// queue_members table).
type Queue struct {
	acdconfig.Queue `gorm:"embedded"`
}

func (Queue) TableName() string { return "queues" }

func (q *Queue) AfterFind(*gorm.DB) error {
	q.CreatedAt, q.UpdatedAt = q.CreatedAt.UTC(), q.UpdatedAt.UTC()
	return nil
}

func (q *Queue) check() error {
	if q.AccountID <= 0 {
		return ErrInvalid.New("", "queue account is required")
	}
	name, err := validKey("queue", q.Name)
	if err != nil {
		return err
	}
	q.Name = name
	if q.Strategy == "" {
		return ErrInvalid.New("", "queue strategy is required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"queue strategy", string(q.Strategy), 32}, {"queue moh class", q.MOHClass, 128}, {"queue announce", q.Announce, maxLong},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	if q.RingTimeout < 0 || q.Timeout < 0 || q.AnnounceEvery < 0 || q.MaxLen < 0 {
		return ErrInvalid.New("", "queue timeouts, announce interval and max length cannot be negative")
	}
	return nil
}

// QueueMember is one agent of a queue.
type QueueMember struct {
	QueueID   int64 `gorm:"column:queue_id;primaryKey"`
	AgentID   int64 `gorm:"column:agent_id;primaryKey"`
	AccountID int64 `gorm:"column:account_id"`
	Position  int   `gorm:"column:position"`
}

func (QueueMember) TableName() string { return "queue_members" }

// ACDHook is an account's CRM or popup setup: the ACD's hook (the
// configured webhook, by name, invoked on which events, for which flows;
// events and flow_ids are JSON text) and its timestamps.
type ACDHook struct {
	acdconfig.Hook `gorm:"embedded"`
	CreatedAt      time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt      time.Time `gorm:"column:updated_at" json:"updated_at"`
}

func (ACDHook) TableName() string { return "acd_hooks" }

func (h *ACDHook) AfterFind(*gorm.DB) error {
	h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	if h.Events == nil {
		h.Events = []acdconfig.EventKind{}
	}
	if h.FlowIDs == nil {
		h.FlowIDs = []int64{}
	}
	return nil
}

// AgentUI is an account's agent-interface embed settings (the ACD's) and
// when they were last changed.
type AgentUI struct {
	acdconfig.AgentUI `gorm:"embedded"`
	UpdatedAt         time.Time `gorm:"column:updated_at" json:"updated_at"`
}

func (AgentUI) TableName() string { return "agent_ui" }

// --- agents ---------------------------------------------------------------

// CreateAgent stores a new agent (ID and timestamps set here). A SIP
// extension already used by any agent of any account is ErrConflict.
func (s *Store) CreateAgent(ctx context.Context, a Agent) (out Agent, err error) {
	defer s.track("CreateAgent", time.Now(), &err)
	if err := a.check(); err != nil {
		return Agent{}, err
	}
	if err := checkAgentUser(ctx, s.w, a); err != nil {
		return Agent{}, err
	}
	a.ID = 0
	t := now()
	a.CreatedAt, a.UpdatedAt = t, t
	if err := s.w.WithContext(ctx).Create(&a).Error; err != nil {
		return Agent{}, agentWriteErr(err, a)
	}
	return a, nil
}

func agentWriteErr(err error, a Agent) error {
	switch {
	case isDuplicate(err):
		return ErrConflict.New("", "agent extension %q is already in use", a.Extension)
	case isFKViolation(err):
		return fmt.Errorf("store: agent account %d: %w", a.AccountID, ErrNotFound)
	}
	return fmt.Errorf("store: write agent: %w", err)
}

// GetAgent returns one agent of the account.
func (s *Store) GetAgent(ctx context.Context, accountID, id int64) (a Agent, err error) {
	defer s.track("GetAgent", time.Now(), &err)
	return s.getAgent(ctx, s.r, accountID, id)
}

func (s *Store) getAgent(ctx context.Context, db *gorm.DB, accountID, id int64) (Agent, error) {
	var a Agent
	if err := db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&a).Error; err != nil {
		if isNotFound(err) {
			return Agent{}, fmt.Errorf("store: agent %d: %w", id, ErrNotFound)
		}
		return Agent{}, fmt.Errorf("store: get agent %d: %w", id, err)
	}
	return a, nil
}

// ListAgents returns the account's agents by id.
func (s *Store) ListAgents(ctx context.Context, accountID int64) (as []Agent, err error) {
	defer s.track("ListAgents", time.Now(), &err)
	as = []Agent{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: list agents: %w", err)
	}
	return as, nil
}

// ListAllAgents returns every account's agents (system level: the ACD
// loads its configuration at start).
func (s *Store) ListAllAgents(ctx context.Context) (as []Agent, err error) {
	defer s.track("ListAllAgents", time.Now(), &err)
	as = []Agent{}
	if err := s.r.WithContext(ctx).Order("id").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: list all agents: %w", err)
	}
	return as, nil
}

// UpdateAgent replaces an agent's settings. An empty SIPPassword keeps the
// stored one, unless the agent has no extension any more (not SIP), which
// clears it.
func (s *Store) UpdateAgent(ctx context.Context, a Agent) (out Agent, err error) {
	defer s.track("UpdateAgent", time.Now(), &err)
	if err := a.check(); err != nil {
		return Agent{}, err
	}
	if err := checkAgentUser(ctx, s.w, a); err != nil {
		return Agent{}, err
	}
	upd := map[string]any{
		"name": a.Name, "login_type": string(a.LoginType), "extension": a.Extension, "number": a.Number, "cli": a.CLI,
		"wrap_up_ms": a.WrapUp.Milliseconds(), "record": a.Record, "persistent": a.Persistent, "updated_at": now(),
		"user_id": a.UserID, "auto_pause_missed": a.AutoPauseMissed,
	}
	switch {
	case a.Extension == "":
		upd["sip_password"] = ""
	case a.SIPPassword != "":
		upd["sip_password"] = a.SIPPassword
	}
	res := s.w.WithContext(ctx).Model(&Agent{}).Where("account_id = ? AND id = ?", a.AccountID, a.ID).Updates(upd)
	if res.Error != nil {
		return Agent{}, agentWriteErr(res.Error, a)
	}
	if res.RowsAffected == 0 {
		return Agent{}, fmt.Errorf("store: agent %d: %w", a.ID, ErrNotFound)
	}
	return s.getAgent(ctx, s.w, a.AccountID, a.ID)
}

// DeleteAgent deletes an agent of the account and removes it from every
// queue; it returns the deleted agent and the IDs of the queues it left.
// Its journal rows stay (reports).
func (s *Store) DeleteAgent(ctx context.Context, accountID, id int64) (a Agent, queueIDs []int64, err error) {
	defer s.track("DeleteAgent", time.Now(), &err)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		if a, err = s.getAgent(ctx, tx, accountID, id); err != nil {
			return err
		}
		queueIDs = []int64{}
		if err := tx.Model(&QueueMember{}).Where("account_id = ? AND agent_id = ?", accountID, id).
			Order("queue_id").Pluck("queue_id", &queueIDs).Error; err != nil {
			return fmt.Errorf("store: delete agent %d: %w", id, err)
		}
		// Children explicitly: SQLite connections may run without
		// foreign_keys enforcement.
		if err := tx.Where("account_id = ? AND agent_id = ?", accountID, id).Delete(&QueueMember{}).Error; err != nil {
			return fmt.Errorf("store: delete agent %d memberships: %w", id, err)
		}
		if err := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&Agent{}).Error; err != nil {
			return fmt.Errorf("store: delete agent %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return Agent{}, nil, err
	}
	return a, queueIDs, nil
}

// --- queues ---------------------------------------------------------------

// checkMembers verifies that the member list has no duplicates and that
// every agent belongs to the account.
func checkMembers(tx *gorm.DB, accountID int64, members []int64) error {
	if len(members) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	for _, m := range members {
		if seen[m] {
			return ErrInvalid.New("", "queue members: agent %d listed twice", m)
		}
		seen[m] = true
	}
	var found []int64
	if err := tx.Model(&Agent{}).Where("account_id = ? AND id IN ?", accountID, members).Pluck("id", &found).Error; err != nil {
		return fmt.Errorf("store: queue members: %w", err)
	}
	if len(found) == len(members) {
		return nil
	}
	var missing []string
	for _, m := range members {
		if !slices.Contains(found, m) {
			missing = append(missing, fmt.Sprint(m))
		}
	}
	return ErrInvalid.New("", "queue members: agent %s not found in the account", strings.Join(missing, ", "))
}

func writeMembers(tx *gorm.DB, q Queue) error {
	if err := tx.Where("account_id = ? AND queue_id = ?", q.AccountID, q.ID).Delete(&QueueMember{}).Error; err != nil {
		return fmt.Errorf("store: queue %d members: %w", q.ID, err)
	}
	if len(q.Members) == 0 {
		return nil
	}
	rows := make([]QueueMember, len(q.Members))
	for i, m := range q.Members {
		rows[i] = QueueMember{QueueID: q.ID, AgentID: m, AccountID: q.AccountID, Position: i}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store: queue %d members: %w", q.ID, err)
	}
	return nil
}

func queueWriteErr(err error, q Queue) error {
	switch {
	case isDuplicate(err):
		return ErrConflict.New("", "queue %q already exists in the account", q.Name)
	case isFKViolation(err):
		return fmt.Errorf("store: queue account %d: %w", q.AccountID, ErrNotFound)
	}
	return fmt.Errorf("store: write queue %q: %w", q.Name, err)
}

// CreateQueue stores a new queue and its members (agents of the account,
// else ErrInvalid naming them). Names are unique per account (ErrConflict).
func (s *Store) CreateQueue(ctx context.Context, q Queue) (out Queue, err error) {
	defer s.track("CreateQueue", time.Now(), &err)
	if err := q.check(); err != nil {
		return Queue{}, err
	}
	q.ID = 0
	t := now()
	q.CreatedAt, q.UpdatedAt = t, t
	q.Members = append([]int64{}, q.Members...)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkMembers(tx, q.AccountID, q.Members); err != nil {
			return err
		}
		if err := tx.Create(&q).Error; err != nil {
			return queueWriteErr(err, q)
		}
		return writeMembers(tx, q)
	})
	if err != nil {
		return Queue{}, err
	}
	return q, nil
}

// loadMembers fills the Members of qs (one query).
func loadMembers(ctx context.Context, db *gorm.DB, qs []Queue) error {
	if len(qs) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(qs))
	ids := make([]int64, len(qs))
	for i := range qs {
		idx[qs[i].ID] = i
		ids[i] = qs[i].ID
		qs[i].Members = []int64{}
	}
	var ms []QueueMember
	for chunk := range slices.Chunk(ids, 500) {
		var part []QueueMember
		if err := db.WithContext(ctx).Where("queue_id IN ?", chunk).Order("queue_id, position").Find(&part).Error; err != nil {
			return fmt.Errorf("store: queue members: %w", err)
		}
		ms = append(ms, part...)
	}
	for _, m := range ms {
		if i, ok := idx[m.QueueID]; ok && qs[i].AccountID == m.AccountID {
			qs[i].Members = append(qs[i].Members, m.AgentID)
		}
	}
	return nil
}

// GetQueue returns one queue of the account with its members.
func (s *Store) GetQueue(ctx context.Context, accountID, id int64) (q Queue, err error) {
	defer s.track("GetQueue", time.Now(), &err)
	return s.getQueue(ctx, s.r, accountID, id)
}

func (s *Store) getQueue(ctx context.Context, db *gorm.DB, accountID, id int64) (Queue, error) {
	var q Queue
	if err := db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&q).Error; err != nil {
		if isNotFound(err) {
			return Queue{}, fmt.Errorf("store: queue %d: %w", id, ErrNotFound)
		}
		return Queue{}, fmt.Errorf("store: get queue %d: %w", id, err)
	}
	qs := []Queue{q}
	if err := loadMembers(ctx, db, qs); err != nil {
		return Queue{}, err
	}
	return qs[0], nil
}

// GetQueueByName returns the account's queue of that name.
func (s *Store) GetQueueByName(ctx context.Context, accountID int64, name string) (q Queue, err error) {
	defer s.track("GetQueueByName", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND name = ?", accountID, name).Take(&q).Error; err != nil {
		if isNotFound(err) {
			return Queue{}, fmt.Errorf("store: queue %q: %w", name, ErrNotFound)
		}
		return Queue{}, fmt.Errorf("store: get queue %q: %w", name, err)
	}
	qs := []Queue{q}
	if err := loadMembers(ctx, s.r, qs); err != nil {
		return Queue{}, err
	}
	return qs[0], nil
}

// ListQueues returns the account's queues by id, with their members.
func (s *Store) ListQueues(ctx context.Context, accountID int64) (qs []Queue, err error) {
	defer s.track("ListQueues", time.Now(), &err)
	qs = []Queue{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id").Find(&qs).Error; err != nil {
		return nil, fmt.Errorf("store: list queues: %w", err)
	}
	if err := loadMembers(ctx, s.r, qs); err != nil {
		return nil, err
	}
	return qs, nil
}

// ListAllQueues returns every account's queues with their members (system
// level: the ACD loads its configuration at start).
func (s *Store) ListAllQueues(ctx context.Context) (qs []Queue, err error) {
	defer s.track("ListAllQueues", time.Now(), &err)
	qs = []Queue{}
	if err := s.r.WithContext(ctx).Order("id").Find(&qs).Error; err != nil {
		return nil, fmt.Errorf("store: list all queues: %w", err)
	}
	if err := loadMembers(ctx, s.r, qs); err != nil {
		return nil, err
	}
	return qs, nil
}

// UpdateQueue replaces a queue's settings and members.
func (s *Store) UpdateQueue(ctx context.Context, q Queue) (out Queue, err error) {
	defer s.track("UpdateQueue", time.Now(), &err)
	if err := q.check(); err != nil {
		return Queue{}, err
	}
	q.Members = append([]int64{}, q.Members...)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkMembers(tx, q.AccountID, q.Members); err != nil {
			return err
		}
		res := tx.Model(&Queue{}).Where("account_id = ? AND id = ?", q.AccountID, q.ID).Updates(map[string]any{
			"name": q.Name, "strategy": string(q.Strategy), "ring_timeout_ms": q.RingTimeout.Milliseconds(), "timeout_ms": q.Timeout.Milliseconds(),
			"max_len": q.MaxLen, "join_when_empty": q.JoinWhenEmpty, "moh_class": q.MOHClass, "announce": q.Announce,
			"announce_every_ms": q.AnnounceEvery.Milliseconds(), "announce_position": q.AnnouncePosition, "record": q.Record,
			"updated_at": now(),
		})
		if res.Error != nil {
			return queueWriteErr(res.Error, q)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: queue %d: %w", q.ID, ErrNotFound)
		}
		return writeMembers(tx, q)
	})
	if err != nil {
		return Queue{}, err
	}
	return s.getQueue(ctx, s.w, q.AccountID, q.ID)
}

// DeleteQueue deletes a queue of the account and its member list. Its
// journal rows stay.
func (s *Store) DeleteQueue(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteQueue", time.Now(), &err)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("account_id = ? AND queue_id = ?", accountID, id).Delete(&QueueMember{}).Error; err != nil {
			return fmt.Errorf("store: delete queue %d members: %w", id, err)
		}
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&Queue{})
		if res.Error != nil {
			return fmt.Errorf("store: delete queue %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: queue %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// --- CRM / popup hooks ------------------------------------------------------

func (h *ACDHook) check() error {
	if h.AccountID <= 0 {
		return ErrInvalid.New("", "hook account is required")
	}
	if h.Kind == "" {
		return ErrInvalid.New("", "hook kind is required")
	}
	if err := checkLen("hook kind", string(h.Kind), 16); err != nil {
		return err
	}
	name, err := validKey("webhook", h.Webhook)
	if err != nil {
		return err
	}
	h.Webhook = name
	if len(h.Events) > 16 {
		return ErrInvalid.New("", "hook events: at most 16")
	}
	for _, e := range h.Events {
		if err := checkLen("hook event", string(e), 32); err != nil {
			return err
		}
	}
	if len(h.FlowIDs) > 1000 {
		return ErrInvalid.New("", "hook flow_ids: at most 1000")
	}
	if h.Events == nil {
		h.Events = []acdconfig.EventKind{}
	}
	if h.FlowIDs == nil {
		h.FlowIDs = []int64{}
	}
	return nil
}

// checkHookRefs verifies that the webhook and every flow belong to the
// account.
func checkHookRefs(tx *gorm.DB, h ACDHook) error {
	var n int64
	if err := tx.Model(&Webhook{}).Where("account_id = ? AND name = ?", h.AccountID, h.Webhook).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrInvalid.New("", "hook webhook: no webhook named %q is configured in the account", h.Webhook)
	}
	if len(h.FlowIDs) == 0 {
		return nil
	}
	uniq := slices.Compact(slices.Sorted(slices.Values(h.FlowIDs)))
	var found []int64
	if err := tx.Model(&Flow{}).Where("account_id = ? AND id IN ?", h.AccountID, uniq).Pluck("id", &found).Error; err != nil {
		return err
	}
	if len(found) != len(uniq) {
		var missing []string
		for _, id := range uniq {
			if !slices.Contains(found, id) {
				missing = append(missing, fmt.Sprint(id))
			}
		}
		return ErrInvalid.New("", "hook flow_ids: flow %s not found in the account", strings.Join(missing, ", "))
	}
	return nil
}

// PutHook creates (ID 0) or replaces a hook setup of the account. The
// webhook must be configured in the account and the flows must be the
// account's (else ErrInvalid naming them).
func (s *Store) PutHook(ctx context.Context, h ACDHook) (out ACDHook, err error) {
	defer s.track("PutHook", time.Now(), &err)
	if err := h.check(); err != nil {
		return ACDHook{}, err
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkHookRefs(tx, h); err != nil {
			return err
		}
		t := now()
		if h.ID == 0 {
			h.CreatedAt, h.UpdatedAt = t, t
			if err := tx.Create(&h).Error; err != nil {
				if isFKViolation(err) {
					return fmt.Errorf("store: hook account %d: %w", h.AccountID, ErrNotFound)
				}
				return fmt.Errorf("store: create hook: %w", err)
			}
			return nil
		}
		var cur ACDHook
		if err := tx.Where("account_id = ? AND id = ?", h.AccountID, h.ID).Take(&cur).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: hook %d: %w", h.ID, ErrNotFound)
			}
			return fmt.Errorf("store: update hook %d: %w", h.ID, err)
		}
		h.CreatedAt, h.UpdatedAt = cur.CreatedAt, t
		if err := tx.Select("*").Omit("id", "account_id", "created_at").Where("account_id = ?", h.AccountID).Save(&h).Error; err != nil {
			return fmt.Errorf("store: update hook %d: %w", h.ID, err)
		}
		return nil
	})
	if err != nil {
		return ACDHook{}, err
	}
	return s.getHook(ctx, s.w, h.AccountID, h.ID)
}

// GetHook returns one hook setup of the account.
func (s *Store) GetHook(ctx context.Context, accountID, id int64) (h ACDHook, err error) {
	defer s.track("GetHook", time.Now(), &err)
	return s.getHook(ctx, s.r, accountID, id)
}

func (s *Store) getHook(ctx context.Context, db *gorm.DB, accountID, id int64) (ACDHook, error) {
	var h ACDHook
	if err := db.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&h).Error; err != nil {
		if isNotFound(err) {
			return ACDHook{}, fmt.Errorf("store: hook %d: %w", id, ErrNotFound)
		}
		return ACDHook{}, fmt.Errorf("store: get hook %d: %w", id, err)
	}
	return h, nil
}

// ListHooks returns the account's hook setups by id; kind "" means all.
func (s *Store) ListHooks(ctx context.Context, accountID int64, kind string) (hs []ACDHook, err error) {
	defer s.track("ListHooks", time.Now(), &err)
	hs = []ACDHook{}
	q := s.r.WithContext(ctx).Where("account_id = ?", accountID)
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Order("id").Find(&hs).Error; err != nil {
		return nil, fmt.Errorf("store: list hooks: %w", err)
	}
	return hs, nil
}

// DeleteHook deletes a hook setup of the account.
func (s *Store) DeleteHook(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteHook", time.Now(), &err)
	res := s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Delete(&ACDHook{})
	if res.Error != nil {
		return fmt.Errorf("store: delete hook %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: hook %d: %w", id, ErrNotFound)
	}
	return nil
}

// --- agent UI ---------------------------------------------------------------

// GetAgentUI returns the account's agent-UI embed settings (disabled and
// empty when never set).
func (s *Store) GetAgentUI(ctx context.Context, accountID int64) (u AgentUI, err error) {
	defer s.track("GetAgentUI", time.Now(), &err)
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Take(&u).Error; err != nil {
		if isNotFound(err) {
			return AgentUI{AgentUI: acdconfig.AgentUI{AccountID: accountID}}, nil
		}
		return AgentUI{}, fmt.Errorf("store: get agent UI: %w", err)
	}
	u.UpdatedAt = u.UpdatedAt.UTC()
	return u, nil
}

// PutAgentUI stores the account's agent-UI embed settings.
func (s *Store) PutAgentUI(ctx context.Context, u AgentUI) (out AgentUI, err error) {
	defer s.track("PutAgentUI", time.Now(), &err)
	if u.AccountID <= 0 {
		return AgentUI{}, ErrInvalid.New("", "agent UI account is required")
	}
	if err := checkLen("agent UI url", u.URL, maxLong); err != nil {
		return AgentUI{}, err
	}
	if u.Width < 0 || u.Height < 0 {
		return AgentUI{}, ErrInvalid.New("", "agent UI size cannot be negative")
	}
	u.UpdatedAt = now()
	err = s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "account_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"enabled", "url", "width", "height", "updated_at"}),
	}).Create(&u).Error
	if err != nil {
		if isFKViolation(err) {
			return AgentUI{}, fmt.Errorf("store: agent UI account %d: %w", u.AccountID, ErrNotFound)
		}
		return AgentUI{}, fmt.Errorf("store: put agent UI: %w", err)
	}
	return u, nil
}

// --- ACD journal ------------------------------------------------------------

// AgentCall is one offer of a call to an agent (agent report). Zero times
// are stored as NULL.
type AgentCall struct {
	ID          int64      `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID   int64      `gorm:"column:account_id" json:"account_id"`
	AgentID     int64      `gorm:"column:agent_id" json:"agent_id"`
	QueueID     int64      `gorm:"column:queue_id" json:"queue_id"`
	CallID      string     `gorm:"column:call_id" json:"call_id"`
	AttemptID   string     `gorm:"column:attempt_id" json:"attempt_id"`
	Customer    string     `gorm:"column:customer" json:"customer"`
	OfferedAt   time.Time  `gorm:"column:offered_at" json:"offered_at"`
	AnsweredAt  *time.Time `gorm:"column:answered_at" json:"answered_at,omitempty"`
	EndedAt     *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`
	WrapUpEnd   *time.Time `gorm:"column:wrap_up_end" json:"wrap_up_end,omitempty"`
	Outcome     string     `gorm:"column:outcome" json:"outcome"`
	Disposition string     `gorm:"column:disposition" json:"disposition"`
	Recording   string     `gorm:"column:recording" json:"recording"`
}

func (AgentCall) TableName() string { return "agent_calls" }

func (r *AgentCall) AfterFind(*gorm.DB) error {
	r.OfferedAt = r.OfferedAt.UTC()
	r.AnsweredAt, r.EndedAt, r.WrapUpEnd = utcPtr(r.AnsweredAt), utcPtr(r.EndedAt), utcPtr(r.WrapUpEnd)
	return nil
}

func (r *AgentCall) check() error {
	if r.AccountID <= 0 || r.AgentID <= 0 || r.OfferedAt.IsZero() {
		return ErrInvalid.New("", "agent call: account, agent and offered_at are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"agent call call_id", r.CallID, 64}, {"agent call attempt_id", r.AttemptID, 64}, {"agent call customer", r.Customer, maxNumber},
		{"agent call outcome", r.Outcome, 32}, {"agent call disposition", r.Disposition, 64}, {"agent call recording", r.Recording, maxLong},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	r.ID = 0
	r.OfferedAt = norm(r.OfferedAt)
	r.AnsweredAt, r.EndedAt, r.WrapUpEnd = normPtr(r.AnsweredAt), normPtr(r.EndedAt), normPtr(r.WrapUpEnd)
	return nil
}

// QueueCall is one caller's stay in a queue (queue report).
type QueueCall struct {
	ID        int64      `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64      `gorm:"column:account_id" json:"account_id"`
	QueueID   int64      `gorm:"column:queue_id" json:"queue_id"`
	FlowID    int64      `gorm:"column:flow_id" json:"flow_id"`
	CallID    string     `gorm:"column:call_id" json:"call_id"`
	AttemptID string     `gorm:"column:attempt_id" json:"attempt_id"`
	Caller    string     `gorm:"column:caller" json:"caller"`
	JoinedAt  time.Time  `gorm:"column:joined_at" json:"joined_at"`
	EndedAt   *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`
	Outcome   string     `gorm:"column:outcome" json:"outcome"`
	AgentID   int64      `gorm:"column:agent_id" json:"agent_id"`
	Position  int        `gorm:"column:position" json:"position"`
	Recording string     `gorm:"column:recording" json:"recording"`
}

func (QueueCall) TableName() string { return "queue_calls" }

func (r *QueueCall) AfterFind(*gorm.DB) error {
	r.JoinedAt, r.EndedAt = r.JoinedAt.UTC(), utcPtr(r.EndedAt)
	return nil
}

func (r *QueueCall) check() error {
	if r.AccountID <= 0 || r.QueueID <= 0 || r.JoinedAt.IsZero() {
		return ErrInvalid.New("", "queue call: account, queue and joined_at are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"queue call call_id", r.CallID, 64}, {"queue call attempt_id", r.AttemptID, 64}, {"queue call caller", r.Caller, maxNumber},
		{"queue call outcome", r.Outcome, 32}, {"queue call recording", r.Recording, maxLong},
	} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	r.ID = 0
	r.JoinedAt, r.EndedAt = norm(r.JoinedAt), normPtr(r.EndedAt)
	return nil
}

// AgentEvent is one agent state change.
type AgentEvent struct {
	ID        int64     `gorm:"column:id;primaryKey;autoIncrement" json:"id"`
	AccountID int64     `gorm:"column:account_id" json:"account_id"`
	AgentID   int64     `gorm:"column:agent_id" json:"agent_id"`
	At        time.Time `gorm:"column:at" json:"at"`
	FromState string    `gorm:"column:from_state" json:"from"`
	ToState   string    `gorm:"column:to_state" json:"to"`
	Reason    string    `gorm:"column:reason" json:"reason"`
}

func (AgentEvent) TableName() string { return "agent_events" }

func (r *AgentEvent) AfterFind(*gorm.DB) error {
	r.At = r.At.UTC()
	return nil
}

func (r *AgentEvent) check() error {
	if r.AccountID <= 0 || r.AgentID <= 0 || r.At.IsZero() || r.ToState == "" {
		return ErrInvalid.New("", "agent event: account, agent, at and to state are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"agent event from", r.FromState, 16}, {"agent event to", r.ToState, 16}, {"agent event reason", r.Reason, 64}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	r.ID = 0
	r.At = norm(r.At)
	return nil
}

// journalBatch is the rows per INSERT statement (well under both drivers'
// bound-parameter limits: 15 columns × 500).
const journalBatch = 500

// insertJournal checks every row, then inserts them all in one transaction
// (all or nothing).
func insertJournal[T any](ctx context.Context, s *Store, what string, rows []T, check func(*T) error) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		if err := check(&rows[i]); err != nil {
			return fmt.Errorf("%w (row %d)", err, i)
		}
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return tx.CreateInBatches(rows, journalBatch).Error
	})
	if err != nil {
		if isFKViolation(err) {
			return fmt.Errorf("store: insert %s: an account does not exist: %w", what, ErrNotFound)
		}
		return fmt.Errorf("store: insert %s: %w", what, err)
	}
	return nil
}

// InsertAgentCalls writes agent-call journal rows (IDs are set; the slice
// is modified).
func (s *Store) InsertAgentCalls(ctx context.Context, rows []AgentCall) (err error) {
	defer s.track("InsertAgentCalls", time.Now(), &err)
	return insertJournal(ctx, s, "agent calls", rows, (*AgentCall).check)
}

// InsertQueueCalls writes queue-call journal rows.
func (s *Store) InsertQueueCalls(ctx context.Context, rows []QueueCall) (err error) {
	defer s.track("InsertQueueCalls", time.Now(), &err)
	return insertJournal(ctx, s, "queue calls", rows, (*QueueCall).check)
}

// InsertAgentEvents writes agent state-change journal rows.
func (s *Store) InsertAgentEvents(ctx context.Context, rows []AgentEvent) (err error) {
	defer s.track("InsertAgentEvents", time.Now(), &err)
	return insertJournal(ctx, s, "agent events", rows, (*AgentEvent).check)
}

// JournalFilter selects an account's journal rows in [From, To) (zero:
// unbounded), optionally of one agent or queue.
type JournalFilter struct {
	AccountID int64
	From, To  time.Time
	AgentID   int64
	QueueID   int64
	Limit     int // 0 = MaxListLimit
}

func (f JournalFilter) apply(db *gorm.DB, timeCol string) *gorm.DB {
	q := db.Where("account_id = ?", f.AccountID)
	if !f.From.IsZero() {
		q = q.Where(timeCol+" >= ?", norm(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where(timeCol+" < ?", norm(f.To))
	}
	if f.AgentID > 0 {
		q = q.Where("agent_id = ?", f.AgentID)
	}
	if f.QueueID > 0 {
		q = q.Where("queue_id = ?", f.QueueID)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	return q.Order(timeCol + ", id").Limit(limit)
}

// ListAgentCalls returns agent-call rows by offered_at.
func (s *Store) ListAgentCalls(ctx context.Context, f JournalFilter) (rows []AgentCall, err error) {
	defer s.track("ListAgentCalls", time.Now(), &err)
	rows = []AgentCall{}
	if err := f.apply(s.r.WithContext(ctx), "offered_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list agent calls: %w", err)
	}
	return rows, nil
}

// ListQueueCalls returns queue-call rows by joined_at.
func (s *Store) ListQueueCalls(ctx context.Context, f JournalFilter) (rows []QueueCall, err error) {
	defer s.track("ListQueueCalls", time.Now(), &err)
	rows = []QueueCall{}
	if err := f.apply(s.r.WithContext(ctx), "joined_at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list queue calls: %w", err)
	}
	return rows, nil
}

// ListAgentEvents returns agent state changes by time (QueueID is ignored).
func (s *Store) ListAgentEvents(ctx context.Context, f JournalFilter) (rows []AgentEvent, err error) {
	defer s.track("ListAgentEvents", time.Now(), &err)
	rows = []AgentEvent{}
	f.QueueID = 0
	if err := f.apply(s.r.WithContext(ctx), "at").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list agent events: %w", err)
	}
	return rows, nil
}
