package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SupervisorMonitor is the audit record of one supervisor listening to,
// whispering to or barging into an agent's call.
type SupervisorMonitor struct {
	ID           string     `gorm:"column:id;primaryKey" json:"id"`
	AccountID    int64      `gorm:"column:account_id" json:"account_id"`
	AgentID      int64      `gorm:"column:agent_id" json:"agent_id"`
	PhoneAgentID int64      `gorm:"column:phone_agent_id" json:"phone_agent_id"`
	Mode         string     `gorm:"column:mode" json:"mode"`
	ByUserID     int64      `gorm:"column:by_user_id" json:"by_user_id,omitempty"`
	ByKeyID      int64      `gorm:"column:by_key_id" json:"by_key_id,omitempty"`
	By           string     `gorm:"column:by_name" json:"by"`
	CallID       string     `gorm:"column:call_id" json:"call_id"`
	StartedAt    time.Time  `gorm:"column:started_at" json:"started_at"`
	EndedAt      *time.Time `gorm:"column:ended_at" json:"ended_at,omitempty"`
	EndReason    string     `gorm:"column:end_reason" json:"end_reason,omitempty"`
}

// TableName is the audit table.
func (SupervisorMonitor) TableName() string { return "supervisor_monitors" }

// AfterFind returns the times in UTC.
func (m *SupervisorMonitor) AfterFind(*gorm.DB) error {
	m.StartedAt = m.StartedAt.UTC()
	if m.EndedAt != nil {
		t := m.EndedAt.UTC()
		m.EndedAt = &t
	}
	return nil
}

// AddSupervisorMonitor writes the audit record of a monitor as it starts.
func (s *Store) AddSupervisorMonitor(ctx context.Context, m SupervisorMonitor) (err error) {
	defer s.track("AddSupervisorMonitor", time.Now(), &err)
	if m.ID == "" || m.AccountID <= 0 || m.AgentID <= 0 || m.Mode == "" || m.StartedAt.IsZero() {
		return ErrInvalid.New("", "supervisor monitor: id, account, agent, mode and start are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"monitor id", m.ID, 64}, {"monitor mode", m.Mode, 16}, {"monitor by", m.By, 254}, {"monitor call", m.CallID, 128}, {"monitor end reason", m.EndReason, 32}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	m.StartedAt = norm(m.StartedAt)
	m.EndedAt = normPtr(m.EndedAt)
	if err := s.w.WithContext(ctx).Create(&m).Error; err != nil {
		return fmt.Errorf("store: add supervisor monitor: %w", err)
	}
	return nil
}

// EndSupervisorMonitor records when and why a monitor ended.
func (s *Store) EndSupervisorMonitor(ctx context.Context, accountID int64, id string, at time.Time, reason string) (err error) {
	defer s.track("EndSupervisorMonitor", time.Now(), &err)
	if err := checkLen("monitor end reason", reason, 32); err != nil {
		return err
	}
	res := s.w.WithContext(ctx).Model(&SupervisorMonitor{}).Where("account_id = ? AND id = ?", accountID, id).
		Updates(map[string]any{"ended_at": norm(at), "end_reason": reason})
	if res.Error != nil {
		return fmt.Errorf("store: end supervisor monitor: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound.New("", "supervisor monitor %s not found", id)
	}
	return nil
}

// ListSupervisorMonitors lists an account's monitor audit records, newest
// first, started in [From, To) (zero: unbounded), optionally of one agent.
func (s *Store) ListSupervisorMonitors(ctx context.Context, f JournalFilter) (rows []SupervisorMonitor, err error) {
	defer s.track("ListSupervisorMonitors", time.Now(), &err)
	rows = []SupervisorMonitor{}
	q := s.r.WithContext(ctx).Where("account_id = ?", f.AccountID)
	if !f.From.IsZero() {
		q = q.Where("started_at >= ?", norm(f.From))
	}
	if !f.To.IsZero() {
		q = q.Where("started_at < ?", norm(f.To))
	}
	if f.AgentID > 0 {
		q = q.Where("agent_id = ?", f.AgentID)
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	if err := q.Order("started_at DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: list supervisor monitors: %w", err)
	}
	return rows, nil
}

// QueueCallBucket is one interval of an account's queue calls (joined in
// it) by outcome.
type QueueCallBucket struct {
	Start     time.Time `json:"start"`
	Joined    int       `json:"joined"`
	Answered  int       `json:"answered"`
	Abandoned int       `json:"abandoned"`
	TimedOut  int       `json:"timed_out"`
	Other     int       `json:"other"`
}

// QueueCallBuckets counts an account's queue calls joined in [from, to)
// per interval of width step (the wallboard's charts over the day). It
// reads only the join time and outcome of each row, with no row limit.
func (s *Store) QueueCallBuckets(ctx context.Context, accountID int64, from, to time.Time, step time.Duration) (out []QueueCallBucket, err error) {
	defer s.track("QueueCallBuckets", time.Now(), &err)
	if step <= 0 || !to.After(from) || to.Sub(from)/step > 10000 {
		return nil, ErrInvalid.New("", "queue call buckets: bad range or step")
	}
	n := int((to.Sub(from) + step - 1) / step)
	out = make([]QueueCallBucket, n)
	for i := range out {
		out[i].Start = from.Add(time.Duration(i) * step).UTC()
	}
	rows, err := s.r.WithContext(ctx).Model(&QueueCall{}).Select("joined_at, outcome").
		Where("account_id = ? AND joined_at >= ? AND joined_at < ?", accountID, norm(from), norm(to)).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: queue call buckets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var at time.Time
		var outcome string
		if err := rows.Scan(&at, &outcome); err != nil {
			return nil, fmt.Errorf("store: queue call buckets: %w", err)
		}
		i := int(at.Sub(from) / step)
		if i < 0 || i >= n {
			continue
		}
		b := &out[i]
		b.Joined++
		switch outcome {
		case "QUEUE_ANSWER":
			b.Answered++
		case "QUEUE_JOIN":
			b.Abandoned++
		case "QUEUE_TIMEOUT":
			b.TimedOut++
		default:
			b.Other++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: queue call buckets: %w", err)
	}
	return out, nil
}
