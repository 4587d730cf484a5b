package store

import (
	"context"
	"fmt"
	"math"
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
	// Node is the Switchyard node that ran the monitor (its restart
	// closes the row).
	Node string `gorm:"column:node" json:"node,omitempty"`
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
	}{{"monitor id", m.ID, 64}, {"monitor mode", m.Mode, 16}, {"monitor by", m.By, 254}, {"monitor call", m.CallID, 128}, {"monitor end reason", m.EndReason, 32}, {"monitor node", m.Node, 64}} {
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

// MonitorEndRestart is the end reason of the monitors a node had in
// progress when it stopped: closed when it starts again.
const MonitorEndRestart = "restart"

// CloseNodeMonitors ends, at the given time with reason "restart", the
// open monitor audit rows of a node (every account): a monitor lives in
// its node's memory, so when the node starts none of its rows is still
// in progress. Rows of other nodes are untouched; rows written before
// monitors recorded their node (node "") are closed too (their real end,
// if one is still written, replaces it). It returns how many rows it
// closed.
func (s *Store) CloseNodeMonitors(ctx context.Context, node string, at time.Time) (n int64, err error) {
	defer s.track("CloseNodeMonitors", time.Now(), &err)
	if err := checkLen("monitor node", node, 64); err != nil {
		return 0, err
	}
	nodes := []string{node}
	if node != "" {
		nodes = append(nodes, "")
	}
	res := s.w.WithContext(ctx).Model(&SupervisorMonitor{}).Where("ended_at IS NULL AND node IN ?", nodes).
		Updates(map[string]any{"ended_at": norm(at), "end_reason": MonitorEndRestart})
	if res.Error != nil {
		return 0, fmt.Errorf("store: close node monitors: %w", res.Error)
	}
	return res.RowsAffected, nil
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

// bucketCount is how many intervals of width step cover [from, to) (the
// last one may be partial); at most 10,000.
func bucketCount(what string, from, to time.Time, step time.Duration) (int, error) {
	if step <= 0 || !to.After(from) || to.Sub(from)/step > 10000 {
		return 0, ErrInvalid.New("", "%s: bad range or step", what)
	}
	return int((to.Sub(from) + step - 1) / step), nil
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
	n, err := bucketCount("queue call buckets", from, to, step)
	if err != nil {
		return nil, err
	}
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

// AgentStateBucket is one interval of an account's agents by state: the
// mean number of agents in each state over the interval (time-weighted:
// an agent on a call for half of it counts 0.5). The current interval is
// averaged over its elapsed part.
type AgentStateBucket struct {
	Start     time.Time `json:"start"`
	Available float64   `json:"available"`
	Ringing   float64   `json:"ringing"`
	OnCall    float64   `json:"on_call"`
	WrapUp    float64   `json:"wrap_up"`
	Paused    float64   `json:"paused"`
}

// AgentStateBuckets is an account's agents by state in [from, to) per
// interval of width step (the wallboard's chart over the day), from the
// agent state journal: each agent's state at from (its last change
// before it: one index lookup per agent), then the changes in the range
// (a range scan of the account's journal by time). Agents with no
// change before from were logged out.
func (s *Store) AgentStateBuckets(ctx context.Context, accountID int64, from, to time.Time, step time.Duration) (out []AgentStateBucket, err error) {
	defer s.track("AgentStateBuckets", time.Now(), &err)
	from, to = norm(from), norm(to)
	n, err := bucketCount("agent state buckets", from, to, step)
	if err != nil {
		return nil, err
	}
	acc := make([][nStates]time.Duration, n)
	cur := map[int64]string{}
	var counts [nStates]int
	// Each agent's state at from.
	rows, err := s.r.WithContext(ctx).Raw(`SELECT a.id, (SELECT e.to_state FROM agent_events e
		WHERE e.account_id = a.account_id AND e.agent_id = a.id AND e.at < ? ORDER BY e.at DESC, e.id DESC LIMIT 1)
		FROM agents a WHERE a.account_id = ?`, from, accountID).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: agent state buckets: %w", err)
	}
	for rows.Next() {
		var id int64
		var st *string
		if err := rows.Scan(&id, &st); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: agent state buckets: %w", err)
		}
		if st != nil {
			cur[id] = *st
			if i := stateIndex(*st); i >= 0 {
				counts[i]++
			}
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: agent state buckets: %w", err)
	}
	// Time spent at the current counts from t to until.
	t := from
	advance := func(until time.Time) {
		for t.Before(until) {
			i := int(t.Sub(from) / step)
			end := from.Add(time.Duration(i+1) * step)
			if end.After(until) {
				end = until
			}
			for k, c := range counts {
				acc[i][k] += time.Duration(c) * end.Sub(t)
			}
			t = end
		}
	}
	ev, err := s.r.WithContext(ctx).Model(&AgentEvent{}).Select("agent_id, at, to_state").
		Where("account_id = ? AND at >= ? AND at < ?", accountID, from, to).Order("at, id").Rows()
	if err != nil {
		return nil, fmt.Errorf("store: agent state buckets: %w", err)
	}
	defer ev.Close()
	for ev.Next() {
		var id int64
		var at time.Time
		var st string
		if err := ev.Scan(&id, &at, &st); err != nil {
			return nil, fmt.Errorf("store: agent state buckets: %w", err)
		}
		at = at.UTC()
		if at.Before(t) {
			at = t
		}
		advance(at)
		if i := stateIndex(cur[id]); i >= 0 {
			counts[i]--
		}
		cur[id] = st
		if i := stateIndex(st); i >= 0 {
			counts[i]++
		}
	}
	if err := ev.Err(); err != nil {
		return nil, fmt.Errorf("store: agent state buckets: %w", err)
	}
	advance(to)
	out = make([]AgentStateBucket, n)
	for i := range out {
		start := from.Add(time.Duration(i) * step)
		width := min(step, to.Sub(start))
		mean := func(k int) float64 {
			return math.Round(float64(acc[i][k])/float64(width)*100) / 100
		}
		out[i] = AgentStateBucket{Start: start.UTC(), Available: mean(0), Ringing: mean(1), OnCall: mean(2), WrapUp: mean(3), Paused: mean(4)}
	}
	return out, nil
}

// The states the agents-by-state chart counts (logged out is not).
const nStates = 5

func stateIndex(s string) int {
	switch s {
	case "available":
		return 0
	case "ringing":
		return 1
	case "on_call":
		return 2
	case "wrap_up":
		return 3
	case "paused":
		return 4
	}
	return -1
}
