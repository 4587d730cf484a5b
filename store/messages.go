package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/switchyard/switchyard"
)

// Message channels and statuses. A message is "sending" only while the
// gateway or relay is being asked; "sent" once it accepted the message,
// "delivered" when the SMS gateway reports delivery to the phone,
// "failed" when the gateway refused it or reports it undelivered, and
// "blocked" when the recipient is on the account's blacklist or DNC list
// (nothing was sent).
// (The channel names, ChannelSMS and ChannelEmail, are the notification
// channels' in addressbook.go.)
const (
	MessageSending   = "sending"
	MessageSent      = "sent"
	MessageDelivered = "delivered"
	MessageFailed    = "failed"
	MessageBlocked   = "blocked"
)

// Limits of a message's fields.
const (
	maxMessageRecipient = 2600 // ten email addresses of 254 bytes, separated
	maxMessageBody      = 64 << 10
	// MaxMessageIDs bounds the ids of one GetMessages.
	MaxMessageIDs = MaxListLimit
)

// Message is one SMS or email an account sent: To is the E.164 number or
// the email address(es) (", "-separated); Source says what sent it (a
// flow, a campaign, a notification: kind, id and a free reference such as
// the attempt or recipient). TokenHash is the SHA-256 (hex) of the token
// the SMS gateway's delivery reports carry; never shown.
type Message struct {
	ID         int64     `gorm:"column:id;primaryKey" json:"id"`
	AccountID  int64     `gorm:"column:account_id" json:"account_id"`
	Channel    string    `gorm:"column:channel" json:"channel"`
	To         string    `gorm:"column:recipient" json:"to"`
	Subject    string    `gorm:"column:subject" json:"subject,omitempty"`
	Body       string    `gorm:"column:body" json:"body"`
	Status     string    `gorm:"column:status" json:"status"`
	Reason     string    `gorm:"column:reason" json:"reason,omitempty"`
	SourceKind string    `gorm:"column:source_kind" json:"source_kind,omitempty"`
	SourceID   int64     `gorm:"column:source_id" json:"source_id,omitempty"`
	SourceRef  string    `gorm:"column:source_ref" json:"source_ref,omitempty"`
	GatewayID  string    `gorm:"column:gateway_id" json:"gateway_id,omitempty"`
	TokenHash  string    `gorm:"column:token_hash" json:"-"`
	CreatedAt  time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt  time.Time `gorm:"column:updated_at" json:"updated_at"`
}

// TableName is the messages table.
func (Message) TableName() string { return "messages" }

// AfterFind returns the times in UTC.
func (m *Message) AfterFind(*gorm.DB) error {
	m.CreatedAt, m.UpdatedAt = m.CreatedAt.UTC(), m.UpdatedAt.UTC()
	return nil
}

func validMessageStatus(s string) bool {
	switch s {
	case MessageSending, MessageSent, MessageDelivered, MessageFailed, MessageBlocked:
		return true
	}
	return false
}

func checkMessage(m Message) error {
	if m.AccountID <= 0 {
		return ErrInvalid.New("account_id", "message: the account is required")
	}
	if m.Channel != ChannelSMS && m.Channel != ChannelEmail {
		return ErrInvalid.New("channel", "message: channel must be sms or email (got %q)", switchyard.Clip(m.Channel))
	}
	if m.To == "" {
		return ErrInvalid.New("to", "message: the recipient is required")
	}
	if !validMessageStatus(m.Status) {
		return ErrInvalid.New("status", "message: unknown status %q", switchyard.Clip(m.Status))
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"message recipient", m.To, maxMessageRecipient}, {"message subject", m.Subject, maxShort},
		{"message body", m.Body, maxMessageBody}, {"message reason", m.Reason, maxShort},
		{"message source kind", m.SourceKind, 16}, {"message source ref", m.SourceRef, maxShort},
		{"message gateway id", m.GatewayID, maxShort}, {"message token", m.TokenHash, 64}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	return nil
}

// CreateMessage stores a new message (its id and times are set here).
func (s *Store) CreateMessage(ctx context.Context, m Message) (out Message, err error) {
	defer s.track("CreateMessage", time.Now(), &err)
	if err := checkMessage(m); err != nil {
		return Message{}, err
	}
	m.ID = 0
	m.CreatedAt = now()
	m.UpdatedAt = m.CreatedAt
	if err := s.w.WithContext(ctx).Create(&m).Error; err != nil {
		if isFKViolation(err) {
			return Message{}, fmt.Errorf("store: account %d: %w", m.AccountID, ErrNotFound)
		}
		return Message{}, fmt.Errorf("store: create message: %w", err)
	}
	return m, nil
}

// MessageUpdate changes a message's status: only when its status is one
// of From (so a late report never undoes a later one, and a message is
// never moved out of a final status); Reason and GatewayID replace the
// stored ones when not empty.
type MessageUpdate struct {
	From []string
	// FromFailed: the reasons of "failed" messages the update may replace
	// too (failed without knowing whether the gateway took them: a
	// delivery report then tells what became of them). The message's
	// reason becomes Reason, empty included.
	FromFailed []string
	Status     string
	Reason     string
	GatewayID  string
}

// UpdateMessageStatus applies u to the account's message id; changed is
// false (and m the message as it is) when its status was not in u.From
// (nor failed with a reason in u.FromFailed). ErrNotFound when the
// account has no such message.
func (s *Store) UpdateMessageStatus(ctx context.Context, accountID, id int64, u MessageUpdate) (m Message, changed bool, err error) {
	defer s.track("UpdateMessageStatus", time.Now(), &err)
	if !validMessageStatus(u.Status) || len(u.From) == 0 {
		return Message{}, false, ErrInvalid.New("status", "message update: a known status and the statuses it may replace are required")
	}
	if err := checkLen("message reason", u.Reason, maxShort); err != nil {
		return Message{}, false, err
	}
	if err := checkLen("message gateway id", u.GatewayID, maxShort); err != nil {
		return Message{}, false, err
	}
	upd := map[string]any{"status": u.Status, "updated_at": now()}
	if u.Reason != "" || len(u.FromFailed) > 0 {
		upd["reason"] = u.Reason
	}
	if u.GatewayID != "" {
		upd["gateway_id"] = u.GatewayID
	}
	where, args := "id = ? AND account_id = ? AND status IN ?", []any{id, accountID, u.From}
	if len(u.FromFailed) > 0 {
		where = "id = ? AND account_id = ? AND (status IN ? OR (status = ? AND reason IN ?))"
		args = append(args, MessageFailed, u.FromFailed)
	}
	// The change and the read of its result in one transaction: a
	// concurrent report for the same message waits, so the message read
	// back is the one this update made (the status hooks see each change
	// once).
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Message{}).Where(where, args...).Updates(upd)
		if res.Error != nil {
			return fmt.Errorf("store: update message %d: %w", id, res.Error)
		}
		changed = res.RowsAffected > 0
		if err := tx.Where("id = ? AND account_id = ?", id, accountID).Take(&m).Error; err != nil {
			if isNotFound(err) {
				return fmt.Errorf("store: message %d in account %d: %w", id, accountID, ErrNotFound)
			}
			return fmt.Errorf("store: read message %d: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return Message{}, false, err
	}
	return m, changed, nil
}

// MessageByID returns a message of any account (the SMS gateway's
// delivery reports name the message and carry its token, which the caller
// checks against TokenHash). ErrNotFound when there is none.
func (s *Store) MessageByID(ctx context.Context, id int64) (m Message, err error) {
	defer s.track("MessageByID", time.Now(), &err)
	if err := s.w.WithContext(ctx).Where("id = ?", id).Take(&m).Error; err != nil {
		if isNotFound(err) {
			return Message{}, fmt.Errorf("store: message %d: %w", id, ErrNotFound)
		}
		return Message{}, fmt.Errorf("store: read message %d: %w", id, err)
	}
	return m, nil
}

// GetMessages returns the account's messages among ids, by id (ids of
// other accounts and unknown ids are left out).
func (s *Store) GetMessages(ctx context.Context, accountID int64, ids []int64) (ms []Message, err error) {
	defer s.track("GetMessages", time.Now(), &err)
	ms = []Message{}
	if len(ids) == 0 {
		return ms, nil
	}
	if len(ids) > MaxMessageIDs {
		return nil, ErrInvalid.New("ids", "at most %d messages at a time (got %d)", MaxMessageIDs, len(ids))
	}
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id IN ?", accountID, ids).Order("id").Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: get messages: %w", err)
	}
	return ms, nil
}

// MessageFilter selects an account's messages: each set field narrows the
// list (To exactly; From inclusive, Until exclusive, on the creation
// time). Messages come newest first, at most Limit (default and maximum
// MaxListLimit) with an id below BeforeID when it is set (the next page).
type MessageFilter struct {
	AccountID  int64
	Channel    string
	To         string
	Status     string
	SourceKind string
	SourceID   int64
	From       time.Time
	Until      time.Time
	BeforeID   int64
	Limit      int
}

// ListMessages lists the account's messages matching f.
func (s *Store) ListMessages(ctx context.Context, f MessageFilter) (ms []Message, err error) {
	defer s.track("ListMessages", time.Now(), &err)
	if f.AccountID <= 0 {
		return nil, ErrInvalid.New("account_id", "messages: the account is required")
	}
	if f.Channel != "" && f.Channel != ChannelSMS && f.Channel != ChannelEmail {
		return nil, ErrInvalid.New("channel", "channel must be sms or email (got %q)", switchyard.Clip(f.Channel))
	}
	if f.Status != "" && !validMessageStatus(f.Status) {
		return nil, ErrInvalid.New("status", "unknown status %q (sending, sent, delivered, failed, blocked)", switchyard.Clip(f.Status))
	}
	if !f.From.IsZero() && !f.Until.IsZero() && !f.Until.After(f.From) {
		return nil, ErrInvalid.New("to_date", "the end of the period must be after its start")
	}
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	q := s.r.WithContext(ctx).Where("account_id = ?", f.AccountID)
	if f.Channel != "" {
		q = q.Where("channel = ?", f.Channel)
	}
	if f.To != "" {
		q = q.Where("recipient = ?", f.To)
	}
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.SourceKind != "" {
		q = q.Where("source_kind = ?", f.SourceKind)
	}
	if f.SourceID != 0 {
		q = q.Where("source_id = ?", f.SourceID)
	}
	if !f.From.IsZero() {
		q = q.Where("created_at >= ?", norm(f.From))
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", norm(f.Until))
	}
	if f.BeforeID > 0 {
		q = q.Where("id < ?", f.BeforeID)
	}
	ms = []Message{}
	if err := q.Order("id DESC").Limit(f.Limit).Find(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	return ms, nil
}

// FailInterruptedMessages marks the messages still "sending" since before
// (the service stopped while asking the gateway or relay) as "failed"
// with the reason; they are not sent again, as the gateway may have taken
// them. It returns how many there were.
func (s *Store) FailInterruptedMessages(ctx context.Context, before time.Time, reason string) (n int64, err error) {
	defer s.track("FailInterruptedMessages", time.Now(), &err)
	if err := checkLen("message reason", reason, maxShort); err != nil {
		return 0, err
	}
	res := s.w.WithContext(ctx).Model(&Message{}).Where("status = ? AND updated_at < ?", MessageSending, norm(before)).
		Updates(map[string]any{"status": MessageFailed, "reason": reason, "updated_at": now()})
	if res.Error != nil {
		return 0, fmt.Errorf("store: fail interrupted messages: %w", res.Error)
	}
	return res.RowsAffected, nil
}
