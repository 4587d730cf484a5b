package store

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// m0005Agents creates the ACD's tables (issue 6): agents, queues and their
// members, the accounts' CRM/popup hook setups and agent-UI embed, and the
// after-the-fact journal the reports read (agent calls, queue calls, agent
// state changes). Frozen: do not edit.
//
// The journal tables reference the account only: an agent or queue deleted
// later keeps its history.
func m0005Agents(tx *gorm.DB) error {
	type account struct {
		ID int64 `gorm:"column:id;primaryKey"`
	}
	type agent struct {
		ID          int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID   int64     `gorm:"column:account_id;not null"`
		Account     account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name        string    `gorm:"column:name;not null"`
		LoginType   string    `gorm:"column:login_type;size:16;not null"`
		Extension   string    `gorm:"column:extension;size:64;not null;default:('')"`
		SIPPassword string    `gorm:"column:sip_password;size:128;not null;default:('')"`
		Number      string    `gorm:"column:number;size:32;not null;default:('')"`
		CLI         string    `gorm:"column:cli;size:32;not null;default:('')"`
		WrapUpMS    int64     `gorm:"column:wrap_up_ms;not null;default:0"`
		Record      bool      `gorm:"column:record;not null;default:false"`
		Persistent  bool      `gorm:"column:persistent;not null;default:false"`
		CreatedAt   time.Time `gorm:"column:created_at;not null"`
		UpdatedAt   time.Time `gorm:"column:updated_at;not null"`
	}
	type queue struct {
		ID               int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID        int64     `gorm:"column:account_id;not null"`
		Account          account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Name             string    `gorm:"column:name;size:64;not null"`
		Strategy         string    `gorm:"column:strategy;size:32;not null"`
		RingTimeoutMS    int64     `gorm:"column:ring_timeout_ms;not null"`
		TimeoutMS        int64     `gorm:"column:timeout_ms;not null"`
		MaxLen           int       `gorm:"column:max_len;not null;default:0"`
		JoinWhenEmpty    bool      `gorm:"column:join_when_empty;not null;default:false"`
		MOHClass         string    `gorm:"column:moh_class;size:128;not null;default:('')"`
		Announce         string    `gorm:"column:announce;not null;default:('')"`
		AnnounceEveryMS  int64     `gorm:"column:announce_every_ms;not null;default:0"`
		AnnouncePosition bool      `gorm:"column:announce_position;not null;default:false"`
		Record           bool      `gorm:"column:record;not null;default:false"`
		CreatedAt        time.Time `gorm:"column:created_at;not null"`
		UpdatedAt        time.Time `gorm:"column:updated_at;not null"`
	}
	type queueMember struct {
		QueueID   int64   `gorm:"column:queue_id;primaryKey"`
		Queue     queue   `gorm:"foreignKey:QueueID;references:ID;constraint:OnDelete:CASCADE"`
		AgentID   int64   `gorm:"column:agent_id;primaryKey"`
		Agent     agent   `gorm:"foreignKey:AgentID;references:ID;constraint:OnDelete:CASCADE"`
		AccountID int64   `gorm:"column:account_id;not null"`
		Account   account `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Position  int     `gorm:"column:position;not null;default:0"`
	}
	type acdHook struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Kind      string    `gorm:"column:kind;size:16;not null"`
		Webhook   string    `gorm:"column:webhook;size:64;not null"`
		Events    string    `gorm:"column:events;type:text;not null;default:('[]')"`
		AllFlows  bool      `gorm:"column:all_flows;not null;default:false"`
		FlowIDs   string    `gorm:"column:flow_ids;type:text;not null;default:('[]')"`
		CreatedAt time.Time `gorm:"column:created_at;not null"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type agentUI struct {
		AccountID int64     `gorm:"column:account_id;primaryKey"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		Enabled   bool      `gorm:"column:enabled;not null;default:false"`
		URL       string    `gorm:"column:url;not null;default:('')"`
		Width     int       `gorm:"column:width;not null;default:0"`
		Height    int       `gorm:"column:height;not null;default:0"`
		UpdatedAt time.Time `gorm:"column:updated_at;not null"`
	}
	type agentCall struct {
		ID          int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID   int64      `gorm:"column:account_id;not null"`
		Account     account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		AgentID     int64      `gorm:"column:agent_id;not null"`
		QueueID     int64      `gorm:"column:queue_id;not null;default:0"`
		CallID      string     `gorm:"column:call_id;size:64;not null;default:('')"`
		AttemptID   string     `gorm:"column:attempt_id;size:64;not null;default:('')"`
		Customer    string     `gorm:"column:customer;size:128;not null;default:('')"`
		OfferedAt   time.Time  `gorm:"column:offered_at;not null"`
		AnsweredAt  *time.Time `gorm:"column:answered_at"`
		EndedAt     *time.Time `gorm:"column:ended_at"`
		WrapUpEnd   *time.Time `gorm:"column:wrap_up_end"`
		Outcome     string     `gorm:"column:outcome;size:32;not null;default:('')"`
		Disposition string     `gorm:"column:disposition;size:64;not null;default:('')"`
		Recording   string     `gorm:"column:recording;not null;default:('')"`
	}
	type queueCall struct {
		ID        int64      `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64      `gorm:"column:account_id;not null"`
		Account   account    `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		QueueID   int64      `gorm:"column:queue_id;not null"`
		FlowID    int64      `gorm:"column:flow_id;not null;default:0"`
		CallID    string     `gorm:"column:call_id;size:64;not null;default:('')"`
		AttemptID string     `gorm:"column:attempt_id;size:64;not null;default:('')"`
		Caller    string     `gorm:"column:caller;size:128;not null;default:('')"`
		JoinedAt  time.Time  `gorm:"column:joined_at;not null"`
		EndedAt   *time.Time `gorm:"column:ended_at"`
		Outcome   string     `gorm:"column:outcome;size:32;not null;default:('')"`
		AgentID   int64      `gorm:"column:agent_id;not null;default:0"`
		Position  int        `gorm:"column:position;not null;default:0"`
		Recording string     `gorm:"column:recording;not null;default:('')"`
	}
	type agentEvent struct {
		ID        int64     `gorm:"column:id;primaryKey;autoIncrement"`
		AccountID int64     `gorm:"column:account_id;not null"`
		Account   account   `gorm:"foreignKey:AccountID;references:ID;constraint:OnDelete:CASCADE"`
		AgentID   int64     `gorm:"column:agent_id;not null"`
		At        time.Time `gorm:"column:at;not null"`
		FromState string    `gorm:"column:from_state;size:16;not null;default:('')"`
		ToState   string    `gorm:"column:to_state;size:16;not null"`
		Reason    string    `gorm:"column:reason;size:64;not null;default:('')"`
	}
	// Table names are explicit where gorm's pluralisation would differ.
	tables := []struct {
		name string
		v    any
	}{
		{"agents", &agent{}}, {"queues", &queue{}}, {"queue_members", &queueMember{}}, {"acd_hooks", &acdHook{}},
		{"agent_ui", &agentUI{}}, {"agent_calls", &agentCall{}}, {"queue_calls", &queueCall{}}, {"agent_events", &agentEvent{}},
	}
	for _, t := range tables {
		if err := tx.Table(t.name).Migrator().CreateTable(t.v); err != nil {
			return fmt.Errorf("0005_agents: create table %s: %w", t.name, err)
		}
	}
	for _, q := range []string{
		`CREATE INDEX ix_agents_account ON agents (account_id, id)`,
		// A SIP extension is a PJSIP endpoint of the one Asterisk: unique
		// across the deployment (mobile/landline agents have none).
		`CREATE UNIQUE INDEX ux_agents_extension ON agents (extension) WHERE extension <> ''`,
		`CREATE UNIQUE INDEX ux_queues_account_name ON queues (account_id, name)`,
		`CREATE INDEX ix_queue_members_agent ON queue_members (agent_id)`,
		`CREATE INDEX ix_acd_hooks_account ON acd_hooks (account_id, id)`,
		// Reports: an account's rows in a time range, optionally per agent
		// or queue.
		`CREATE INDEX ix_agent_calls_account_offered ON agent_calls (account_id, offered_at)`,
		`CREATE INDEX ix_agent_calls_account_agent ON agent_calls (account_id, agent_id, offered_at)`,
		`CREATE INDEX ix_queue_calls_account_joined ON queue_calls (account_id, joined_at)`,
		`CREATE INDEX ix_queue_calls_account_queue ON queue_calls (account_id, queue_id, joined_at)`,
		`CREATE INDEX ix_agent_events_account_at ON agent_events (account_id, at)`,
		`CREATE INDEX ix_agent_events_account_agent ON agent_events (account_id, agent_id, at)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0005_agents: %s: %w", q, err)
		}
	}
	return nil
}
