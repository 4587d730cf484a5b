package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Contact is one person of an account's address book (Emergency
// Notification): a name, up to ten emails and a phone number in E.164 (the
// notify service checks and normalises them before they are stored).
// Labels are the ids of the labels the contact belongs to.
type Contact struct {
	ID        int64     `gorm:"column:id;primaryKey" json:"id"`
	AccountID int64     `gorm:"column:account_id" json:"-"`
	Name      string    `gorm:"column:name" json:"name"`
	Phone     string    `gorm:"column:phone" json:"phone"`
	Emails    []string  `gorm:"column:emails;type:text;serializer:json" json:"emails"`
	Labels    []int64   `gorm:"-" json:"labels"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
	UpdatedAt time.Time `gorm:"column:updated_at" json:"updated_at"`
}

// TableName is the address book's table.
func (Contact) TableName() string { return "contacts" }

// AfterFind returns the times in UTC.
func (c *Contact) AfterFind(*gorm.DB) error {
	c.CreatedAt, c.UpdatedAt = c.CreatedAt.UTC(), c.UpdatedAt.UTC()
	if c.Emails == nil {
		c.Emails = []string{}
	}
	return nil
}

// Address book limits.
const (
	MaxContactEmails  = 10
	maxContactName    = 128
	maxContactPhone   = 20
	maxContactEmail   = 254
	maxLabelName      = 64
	maxLabelsPerWrite = 1000
)

// Label is a named group of contacts (unique name per account); Members
// are contact ids (filled by GetLabel), Count their number.
type Label struct {
	ID        int64     `gorm:"column:id;primaryKey" json:"id"`
	AccountID int64     `gorm:"column:account_id" json:"-"`
	Name      string    `gorm:"column:name" json:"name"`
	Members   []int64   `gorm:"-" json:"members,omitempty"`
	Count     int       `gorm:"-" json:"count"`
	CreatedAt time.Time `gorm:"column:created_at" json:"created_at"`
}

// TableName is the labels table.
func (Label) TableName() string { return "labels" }

// AfterFind returns the time in UTC.
func (l *Label) AfterFind(*gorm.DB) error {
	l.CreatedAt = l.CreatedAt.UTC()
	return nil
}

type labelMember struct {
	LabelID   int64 `gorm:"column:label_id;primaryKey"`
	ContactID int64 `gorm:"column:contact_id;primaryKey"`
}

func (labelMember) TableName() string { return "label_members" }

func checkContact(c Contact) error {
	if c.AccountID <= 0 || strings.TrimSpace(c.Name) == "" || c.Phone == "" {
		return ErrInvalid.New("", "contact: account, name and phone are required")
	}
	if err := checkLen("contact name", c.Name, maxContactName); err != nil {
		return err
	}
	if err := checkLen("contact phone", c.Phone, maxContactPhone); err != nil {
		return err
	}
	if len(c.Emails) > MaxContactEmails {
		return ErrInvalid.New("emails", "a contact has at most %d emails (got %d)", MaxContactEmails, len(c.Emails))
	}
	for _, e := range c.Emails {
		if err := checkLen("contact email", e, maxContactEmail); err != nil {
			return err
		}
	}
	return nil
}

// checkLabelIDs checks that every label id is one of the account's.
func checkLabelIDs(tx *gorm.DB, accountID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if len(ids) > maxLabelsPerWrite {
		return ErrInvalid.New("labels", "at most %d labels", maxLabelsPerWrite)
	}
	var n int64
	if err := tx.Model(&Label{}).Where("account_id = ? AND id IN ?", accountID, ids).Count(&n).Error; err != nil {
		return fmt.Errorf("store: check labels: %w", err)
	}
	if int(n) != len(ids) {
		return ErrInvalid.New("labels", "unknown label among %v", ids)
	}
	return nil
}

// checkContactIDs checks that every contact id is one of the account's.
func checkContactIDs(tx *gorm.DB, accountID int64, ids []int64) error {
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		var n int64
		if err := tx.Model(&Contact{}).Where("account_id = ? AND id IN ?", accountID, chunk).Count(&n).Error; err != nil {
			return fmt.Errorf("store: check contacts: %w", err)
		}
		if int(n) != len(chunk) {
			return ErrInvalid.New("members", "unknown contact among the members")
		}
	}
	return nil
}

func uniqIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// CreateContact adds a contact to the address book, in the labels given.
func (s *Store) CreateContact(ctx context.Context, c Contact) (out Contact, err error) {
	defer s.track("CreateContact", time.Now(), &err)
	if err := checkContact(c); err != nil {
		return Contact{}, err
	}
	c.ID = 0
	c.CreatedAt = now()
	c.UpdatedAt = c.CreatedAt
	c.Labels = uniqIDs(c.Labels)
	if c.Emails == nil {
		c.Emails = []string{}
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkLabelIDs(tx, c.AccountID, c.Labels); err != nil {
			return err
		}
		if err := tx.Create(&c).Error; err != nil {
			if isFKViolation(err) {
				return fmt.Errorf("store: account %d: %w", c.AccountID, ErrNotFound)
			}
			return fmt.Errorf("store: create contact: %w", err)
		}
		return setContactLabels(tx, c.ID, c.Labels)
	})
	if err != nil {
		return Contact{}, err
	}
	return c, nil
}

func setContactLabels(tx *gorm.DB, contactID int64, labels []int64) error {
	if err := tx.Where("contact_id = ?", contactID).Delete(&labelMember{}).Error; err != nil {
		return fmt.Errorf("store: contact labels: %w", err)
	}
	if len(labels) == 0 {
		return nil
	}
	rows := make([]labelMember, len(labels))
	for i, l := range labels {
		rows[i] = labelMember{LabelID: l, ContactID: contactID}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("store: contact labels: %w", err)
	}
	return nil
}

// UpdateContact replaces a contact's name, phone, emails and labels.
func (s *Store) UpdateContact(ctx context.Context, c Contact) (out Contact, err error) {
	defer s.track("UpdateContact", time.Now(), &err)
	if err := checkContact(c); err != nil {
		return Contact{}, err
	}
	c.Labels = uniqIDs(c.Labels)
	if c.Emails == nil {
		c.Emails = []string{}
	}
	emails, err := json.Marshal(c.Emails)
	if err != nil {
		return Contact{}, fmt.Errorf("store: contact emails: %w", err)
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkLabelIDs(tx, c.AccountID, c.Labels); err != nil {
			return err
		}
		res := tx.Model(&Contact{}).Where("id = ? AND account_id = ?", c.ID, c.AccountID).
			Updates(map[string]any{"name": c.Name, "phone": c.Phone, "emails": string(emails), "updated_at": now()})
		if res.Error != nil {
			return fmt.Errorf("store: update contact %d: %w", c.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound.New("", "contact %d not found", c.ID)
		}
		return setContactLabels(tx, c.ID, c.Labels)
	})
	if err != nil {
		return Contact{}, err
	}
	return s.GetContact(ctx, c.AccountID, c.ID)
}

// GetContact returns one contact with its labels.
func (s *Store) GetContact(ctx context.Context, accountID, id int64) (c Contact, err error) {
	defer s.track("GetContact", time.Now(), &err)
	err = s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Contact{}, ErrNotFound.New("", "contact %d not found", id)
	}
	if err != nil {
		return Contact{}, fmt.Errorf("store: get contact %d: %w", id, err)
	}
	cs := []Contact{c}
	if err := s.fillContactLabels(ctx, s.w, cs); err != nil {
		return Contact{}, err
	}
	return cs[0], nil
}

func (s *Store) fillContactLabels(ctx context.Context, db *gorm.DB, cs []Contact) error {
	idx := make(map[int64]int, len(cs))
	ids := make([]int64, len(cs))
	for i := range cs {
		idx[cs[i].ID] = i
		ids[i] = cs[i].ID
		cs[i].Labels = []int64{}
	}
	for start := 0; start < len(ids); start += 500 {
		var ms []labelMember
		if err := db.WithContext(ctx).Where("contact_id IN ?", ids[start:min(start+500, len(ids))]).
			Order("contact_id, label_id").Find(&ms).Error; err != nil {
			return fmt.Errorf("store: contact labels: %w", err)
		}
		for _, m := range ms {
			i := idx[m.ContactID]
			cs[i].Labels = append(cs[i].Labels, m.LabelID)
		}
	}
	return nil
}

// ContactFilter selects address book contacts: Text is found in the
// name, phone or emails (case-insensitive); AfterID pages by id.
type ContactFilter struct {
	Text    string
	AfterID int64
	Limit   int
}

func likeEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + strings.ToLower(r.Replace(s)) + "%"
}

// ListContacts lists an account's contacts by id (at most MaxListLimit,
// or f.Limit when smaller).
func (s *Store) ListContacts(ctx context.Context, accountID int64, f ContactFilter) (cs []Contact, err error) {
	defer s.track("ListContacts", time.Now(), &err)
	if f.Limit <= 0 || f.Limit > MaxListLimit {
		f.Limit = MaxListLimit
	}
	q := s.r.WithContext(ctx).Where("account_id = ? AND id > ?", accountID, f.AfterID)
	if t := strings.TrimSpace(f.Text); t != "" {
		p := likeEscape(t)
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR phone LIKE ? ESCAPE '\' OR LOWER(emails) LIKE ? ESCAPE '\')`, p, p, p)
	}
	cs = []Contact{}
	if err := q.Order("id").Limit(f.Limit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: list contacts: %w", err)
	}
	if err := s.fillContactLabels(ctx, s.r, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// FindContacts returns the account's contacts with that name and phone
// (the bulk add's duplicate rule), oldest first.
func (s *Store) FindContacts(ctx context.Context, accountID int64, name, phone string) (cs []Contact, err error) {
	defer s.track("FindContacts", time.Now(), &err)
	cs = []Contact{}
	if err := s.w.WithContext(ctx).Where("account_id = ? AND name = ? AND phone = ?", accountID, name, phone).
		Order("id").Limit(MaxListLimit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: find contacts: %w", err)
	}
	if err := s.fillContactLabels(ctx, s.w, cs); err != nil {
		return nil, err
	}
	return cs, nil
}

// DeleteContact removes a contact (and it from its labels).
func (s *Store) DeleteContact(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteContact", time.Now(), &err)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&Contact{})
		if res.Error != nil {
			return fmt.Errorf("store: delete contact %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound.New("", "contact %d not found", id)
		}
		return tx.Where("contact_id = ?", id).Delete(&labelMember{}).Error
	})
}

// CreateLabel adds a label with its members; a name the account already
// uses is ErrConflict.
func (s *Store) CreateLabel(ctx context.Context, l Label) (out Label, err error) {
	defer s.track("CreateLabel", time.Now(), &err)
	l.Name = strings.TrimSpace(l.Name)
	if l.AccountID <= 0 || l.Name == "" {
		return Label{}, ErrInvalid.New("name", "the label name is required")
	}
	if err := checkLen("label name", l.Name, maxLabelName); err != nil {
		return Label{}, err
	}
	l.ID = 0
	l.CreatedAt = now()
	l.Members = uniqIDs(l.Members)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkContactIDs(tx, l.AccountID, l.Members); err != nil {
			return err
		}
		if err := tx.Create(&l).Error; err != nil {
			if isDuplicate(err) {
				return ErrConflict.New("name", "a label named %q already exists", l.Name)
			}
			if isFKViolation(err) {
				return fmt.Errorf("store: account %d: %w", l.AccountID, ErrNotFound)
			}
			return fmt.Errorf("store: create label: %w", err)
		}
		return setLabelMembers(tx, l.ID, l.Members)
	})
	if err != nil {
		return Label{}, err
	}
	l.Count = len(l.Members)
	return l, nil
}

func setLabelMembers(tx *gorm.DB, labelID int64, members []int64) error {
	if err := tx.Where("label_id = ?", labelID).Delete(&labelMember{}).Error; err != nil {
		return fmt.Errorf("store: label members: %w", err)
	}
	rows := make([]labelMember, len(members))
	for i, m := range members {
		rows[i] = labelMember{LabelID: labelID, ContactID: m}
	}
	if len(rows) > 0 {
		if err := tx.CreateInBatches(rows, 500).Error; err != nil {
			return fmt.Errorf("store: label members: %w", err)
		}
	}
	return nil
}

// UpdateLabel renames a label and replaces its members.
func (s *Store) UpdateLabel(ctx context.Context, l Label) (out Label, err error) {
	defer s.track("UpdateLabel", time.Now(), &err)
	l.Name = strings.TrimSpace(l.Name)
	if l.Name == "" {
		return Label{}, ErrInvalid.New("name", "the label name is required")
	}
	if err := checkLen("label name", l.Name, maxLabelName); err != nil {
		return Label{}, err
	}
	l.Members = uniqIDs(l.Members)
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := checkContactIDs(tx, l.AccountID, l.Members); err != nil {
			return err
		}
		res := tx.Model(&Label{}).Where("id = ? AND account_id = ?", l.ID, l.AccountID).Update("name", l.Name)
		if res.Error != nil {
			if isDuplicate(res.Error) {
				return ErrConflict.New("name", "a label named %q already exists", l.Name)
			}
			return fmt.Errorf("store: update label %d: %w", l.ID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound.New("", "label %d not found", l.ID)
		}
		return setLabelMembers(tx, l.ID, l.Members)
	})
	if err != nil {
		return Label{}, err
	}
	return s.GetLabel(ctx, l.AccountID, l.ID)
}

// GetLabel returns a label with its members.
func (s *Store) GetLabel(ctx context.Context, accountID, id int64) (l Label, err error) {
	defer s.track("GetLabel", time.Now(), &err)
	err = s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Label{}, ErrNotFound.New("", "label %d not found", id)
	}
	if err != nil {
		return Label{}, fmt.Errorf("store: get label %d: %w", id, err)
	}
	l.Members = []int64{}
	if err := s.w.WithContext(ctx).Model(&labelMember{}).Where("label_id = ?", id).Order("contact_id").
		Pluck("contact_id", &l.Members).Error; err != nil {
		return Label{}, fmt.Errorf("store: label members: %w", err)
	}
	l.Count = len(l.Members)
	return l, nil
}

// ListLabels lists an account's labels by name, with their member counts.
func (s *Store) ListLabels(ctx context.Context, accountID int64) (ls []Label, err error) {
	defer s.track("ListLabels", time.Now(), &err)
	ls = []Label{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("name").Limit(MaxListLimit).Find(&ls).Error; err != nil {
		return nil, fmt.Errorf("store: list labels: %w", err)
	}
	var counts []struct {
		LabelID int64 `gorm:"column:label_id"`
		N       int   `gorm:"column:n"`
	}
	if err := s.r.WithContext(ctx).Table("label_members").Select("label_members.label_id, COUNT(*) AS n").
		Joins("JOIN labels ON labels.id = label_members.label_id").Where("labels.account_id = ?", accountID).
		Group("label_members.label_id").Scan(&counts).Error; err != nil {
		return nil, fmt.Errorf("store: label counts: %w", err)
	}
	byID := map[int64]int{}
	for _, c := range counts {
		byID[c.LabelID] = c.N
	}
	for i := range ls {
		ls[i].Count = byID[ls[i].ID]
	}
	return ls, nil
}

// DeleteLabel deletes a label (its contacts stay in the address book).
func (s *Store) DeleteLabel(ctx context.Context, accountID, id int64) (err error) {
	defer s.track("DeleteLabel", time.Now(), &err)
	return s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Where("account_id = ? AND id = ?", accountID, id).Delete(&Label{})
		if res.Error != nil {
			return fmt.Errorf("store: delete label %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound.New("", "label %d not found", id)
		}
		return tx.Where("label_id = ?", id).Delete(&labelMember{}).Error
	})
}

// LabelRecipients returns the distinct contacts of the labels (each
// once, by id); an unknown label id is ErrInvalid.
func (s *Store) LabelRecipients(ctx context.Context, accountID int64, labelIDs []int64) (cs []Contact, err error) {
	defer s.track("LabelRecipients", time.Now(), &err)
	labelIDs = uniqIDs(labelIDs)
	if err := checkLabelIDs(s.r.WithContext(ctx), accountID, labelIDs); err != nil {
		return nil, err
	}
	cs = []Contact{}
	if len(labelIDs) == 0 {
		return cs, nil
	}
	sub := s.r.Model(&labelMember{}).Select("contact_id").Where("label_id IN ?", labelIDs)
	if err := s.r.WithContext(ctx).Where("account_id = ? AND id IN (?)", accountID, sub).Order("id").Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: label recipients: %w", err)
	}
	return cs, nil
}

// Notification channels and delivery statuses.
const (
	ChannelVoice = "voice"
	ChannelSMS   = "sms"
	ChannelEmail = "email"

	// DeliveryPending: written, not yet handed to its channel.
	DeliveryPending = "pending"
	// DeliverySending: claimed by a sender (or, for voice, being put on a
	// call list).
	DeliverySending = "sending"
	// DeliverySent: accepted by the gateway / relay, or a call queued on
	// the flow's call list.
	DeliverySent = "sent"
	// DeliveryDelivered: the delivery report (or the answered call) came back.
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
	// DeliveryBlocked: screened out (blacklist, DNC).
	DeliveryBlocked = "blocked"

	NotificationSending = "sending"
	NotificationDone    = "done"
)

// DeliveryFinal reports a status that no longer changes by itself.
func DeliveryFinal(status string) bool {
	return status == DeliveryDelivered || status == DeliveryFailed || status == DeliveryBlocked
}

// Notification is one emergency notification sent to labels: the flow,
// channels, parameters and the SMS/email texts rendered from the flow's
// template (per-recipient values are filled at sending).
type Notification struct {
	ID           int64             `gorm:"column:id;primaryKey" json:"id"`
	AccountID    int64             `gorm:"column:account_id" json:"-"`
	FlowID       int64             `gorm:"column:flow_id" json:"flow_id"`
	FlowName     string            `gorm:"column:flow_name" json:"flow_name"`
	Channels     []string          `gorm:"column:channels;serializer:json" json:"channels"`
	Labels       []int64           `gorm:"column:labels;type:text;serializer:json" json:"labels"`
	Params       map[string]string `gorm:"column:params;type:text;serializer:json" json:"params"`
	SMSText      string            `gorm:"column:sms_text" json:"sms_text,omitempty"`
	EmailSubject string            `gorm:"column:email_subject" json:"email_subject,omitempty"`
	EmailText    string            `gorm:"column:email_text" json:"email_text,omitempty"`
	Status       string            `gorm:"column:status" json:"status"`
	CreatedBy    string            `gorm:"column:created_by" json:"created_by"`
	CreatedAt    time.Time         `gorm:"column:created_at" json:"created_at"`
	FinishedAt   *time.Time        `gorm:"column:finished_at" json:"finished_at,omitempty"`
}

// TableName is the notifications table.
func (Notification) TableName() string { return "notifications" }

// AfterFind returns the times in UTC.
func (n *Notification) AfterFind(*gorm.DB) error {
	n.CreatedAt, n.FinishedAt = n.CreatedAt.UTC(), utcPtr(n.FinishedAt)
	return nil
}

// Delivery is one recipient on one channel of a notification.
// Destination is the phone (voice, SMS) or the comma-separated emails.
// MessageID is the messaging service's message (SMS, email); RequestID
// the call-list request that carries the call (voice).
type Delivery struct {
	ID             int64     `gorm:"column:id;primaryKey" json:"id"`
	NotificationID int64     `gorm:"column:notification_id" json:"notification_id"`
	AccountID      int64     `gorm:"column:account_id" json:"-"`
	ContactID      int64     `gorm:"column:contact_id" json:"contact_id"`
	ContactName    string    `gorm:"column:contact_name" json:"recipient"`
	Channel        string    `gorm:"column:channel" json:"channel"`
	Destination    string    `gorm:"column:destination" json:"destination"`
	Status         string    `gorm:"column:status" json:"status"`
	Reason         string    `gorm:"column:reason" json:"reason"`
	Claim          string    `gorm:"column:claim" json:"-"`
	MessageID      int64     `gorm:"column:message_id" json:"message_id,omitempty"`
	RequestID      string    `gorm:"column:request_id" json:"request_id,omitempty"`
	UpdatedAt      time.Time `gorm:"column:updated_at" json:"time"`
}

// TableName is the deliveries table.
func (Delivery) TableName() string { return "notification_deliveries" }

// AfterFind returns the time in UTC.
func (d *Delivery) AfterFind(*gorm.DB) error {
	d.UpdatedAt = d.UpdatedAt.UTC()
	return nil
}

// CreateNotification stores a notification and all its deliveries (status
// pending) in one transaction: nothing is sent before every row exists.
func (s *Store) CreateNotification(ctx context.Context, n Notification, ds []Delivery) (out Notification, err error) {
	defer s.track("CreateNotification", time.Now(), &err)
	if n.AccountID <= 0 || n.FlowID <= 0 || len(n.Channels) == 0 {
		return Notification{}, ErrInvalid.New("", "notification: account, flow and channels are required")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"flow name", n.FlowName, 255}, {"author", n.CreatedBy, 254}, {"sms text", n.SMSText, 64 << 10},
		{"email subject", n.EmailSubject, 64 << 10}, {"email text", n.EmailText, 64 << 10}} {
		if err := checkLen(f.name, f.v, f.max); err != nil {
			return Notification{}, err
		}
	}
	n.ID = 0
	n.Status = NotificationSending
	n.CreatedAt = now()
	n.FinishedAt = nil
	if n.Params == nil {
		n.Params = map[string]string{}
	}
	if n.Labels == nil {
		n.Labels = []int64{}
	}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(&n).Error; err != nil {
			if isFKViolation(err) {
				return fmt.Errorf("store: account %d: %w", n.AccountID, ErrNotFound)
			}
			return fmt.Errorf("store: create notification: %w", err)
		}
		for i := range ds {
			ds[i].ID = 0
			ds[i].NotificationID, ds[i].AccountID = n.ID, n.AccountID
			ds[i].Status, ds[i].Claim, ds[i].UpdatedAt = DeliveryPending, "", n.CreatedAt
		}
		if len(ds) > 0 {
			if err := tx.CreateInBatches(ds, 400).Error; err != nil {
				return fmt.Errorf("store: notification deliveries: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return Notification{}, err
	}
	return n, nil
}

// GetNotification returns one notification of the account.
func (s *Store) GetNotification(ctx context.Context, accountID, id int64) (n Notification, err error) {
	defer s.track("GetNotification", time.Now(), &err)
	err = s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&n).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Notification{}, ErrNotFound.New("", "notification %d not found", id)
	}
	if err != nil {
		return Notification{}, fmt.Errorf("store: get notification %d: %w", id, err)
	}
	return n, nil
}

// ListNotifications lists the account's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, accountID int64, limit int) (ns []Notification, err error) {
	defer s.track("ListNotifications", time.Now(), &err)
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	ns = []Notification{}
	if err := s.r.WithContext(ctx).Where("account_id = ?", accountID).Order("id DESC").Limit(limit).Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("store: list notifications: %w", err)
	}
	return ns, nil
}

// ListDeliveries pages a notification's deliveries by id.
func (s *Store) ListDeliveries(ctx context.Context, accountID, notificationID, afterID int64, limit int) (ds []Delivery, err error) {
	defer s.track("ListDeliveries", time.Now(), &err)
	if limit <= 0 || limit > MaxListLimit {
		limit = MaxListLimit
	}
	ds = []Delivery{}
	if err := s.w.WithContext(ctx).Where("account_id = ? AND notification_id = ? AND id > ?", accountID, notificationID, afterID).
		Order("id").Limit(limit).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("store: list deliveries: %w", err)
	}
	return ds, nil
}

// DeliveryCount is how many deliveries of a channel have a status.
type DeliveryCount struct {
	Channel string `gorm:"column:channel" json:"channel"`
	Status  string `gorm:"column:status" json:"status"`
	N       int    `gorm:"column:n" json:"count"`
}

// DeliveryCounts counts a notification's deliveries by channel and status.
func (s *Store) DeliveryCounts(ctx context.Context, accountID, notificationID int64) (cs []DeliveryCount, err error) {
	defer s.track("DeliveryCounts", time.Now(), &err)
	cs = []DeliveryCount{}
	if err := s.w.WithContext(ctx).Model(&Delivery{}).Select("channel, status, COUNT(*) AS n").
		Where("account_id = ? AND notification_id = ?", accountID, notificationID).
		Group("channel, status").Order("channel, status").Scan(&cs).Error; err != nil {
		return nil, fmt.Errorf("store: delivery counts: %w", err)
	}
	return cs, nil
}

// PendingDeliveryAccounts lists the accounts with deliveries waiting to
// be sent.
func (s *Store) PendingDeliveryAccounts(ctx context.Context) (ids []int64, err error) {
	defer s.track("PendingDeliveryAccounts", time.Now(), &err)
	ids = []int64{}
	if err := s.w.WithContext(ctx).Model(&Delivery{}).Distinct("account_id").Where("status = ?", DeliveryPending).
		Order("account_id").Pluck("account_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: pending delivery accounts: %w", err)
	}
	return ids, nil
}

// ClaimDeliveries marks up to limit of the account's pending deliveries
// of a channel as sending under claim, oldest first, and returns them.
// A delivery is claimed once: a second claim does not see it.
func (s *Store) ClaimDeliveries(ctx context.Context, accountID int64, channel string, limit int, claim string) (ds []Delivery, err error) {
	defer s.track("ClaimDeliveries", time.Now(), &err)
	if claim == "" || limit <= 0 {
		return nil, ErrInvalid.New("", "claim: a claim and a positive limit are required")
	}
	ds = []Delivery{}
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []int64
		if err := tx.Model(&Delivery{}).Where("account_id = ? AND channel = ? AND status = ?", accountID, channel, DeliveryPending).
			Order("id").Limit(limit).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.Model(&Delivery{}).Where("id IN ? AND status = ?", ids, DeliveryPending).
			Updates(map[string]any{"status": DeliverySending, "claim": claim, "updated_at": now()}).Error; err != nil {
			return err
		}
		return tx.Where("claim = ? AND status = ? AND id IN ?", claim, DeliverySending, ids).Order("id").Find(&ds).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: claim deliveries: %w", err)
	}
	return ds, nil
}

// StaleDeliveries returns the deliveries left in sending (a sender
// stopped between claiming and recording the outcome), at most limit:
// those claimed under claimPrefix (this node's claims) and those of any
// node claimed before before (a node that never came back).
func (s *Store) StaleDeliveries(ctx context.Context, claimPrefix string, before time.Time, limit int) (ds []Delivery, err error) {
	defer s.track("StaleDeliveries", time.Now(), &err)
	if claimPrefix == "" || limit <= 0 {
		return nil, ErrInvalid.New("", "stale deliveries: a claim prefix and a positive limit are required")
	}
	ds = []Delivery{}
	if err := s.w.WithContext(ctx).Where("status = ? AND (substr(claim, 1, ?) = ? OR updated_at < ?)",
		DeliverySending, len(claimPrefix), claimPrefix, norm(before)).Order("id").Limit(limit).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("store: stale deliveries: %w", err)
	}
	return ds, nil
}

// DeliveryUpdate is a delivery's new state. Delivered and blocked
// deliveries no longer change; sent and pending replace only pending or
// sending (a delivery report that arrived before the sender recorded the
// gateway's answer stays); failed may become delivered (a voice call
// retried and answered).
type DeliveryUpdate struct {
	ID        int64
	Status    string
	Reason    string
	MessageID int64
	RequestID string
}

// UpdateDeliveries records new states; it returns how many changed.
func (s *Store) UpdateDeliveries(ctx context.Context, us []DeliveryUpdate) (n int64, err error) {
	defer s.track("UpdateDeliveries", time.Now(), &err)
	if len(us) == 0 {
		return 0, nil
	}
	t := now()
	err = s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, u := range us {
			if len(u.Reason) > 1000 {
				u.Reason = u.Reason[:1000]
			}
			upd := map[string]any{"status": u.Status, "reason": u.Reason, "updated_at": t}
			if u.MessageID != 0 {
				upd["message_id"] = u.MessageID
			}
			if u.RequestID != "" {
				upd["request_id"] = u.RequestID
			}
			q := tx.Model(&Delivery{}).Where("id = ?", u.ID)
			switch u.Status {
			case DeliverySent, DeliveryPending:
				// The sender's own outcome: it never overrides a delivery
				// report that came first.
				q = q.Where("status IN ?", []string{DeliveryPending, DeliverySending})
			default:
				q = q.Where("status NOT IN ?", []string{DeliveryDelivered, DeliveryBlocked})
			}
			res := q.Updates(upd)
			if res.Error != nil {
				return res.Error
			}
			n += res.RowsAffected
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: update deliveries: %w", err)
	}
	return n, nil
}

// GetDelivery returns one delivery of the account.
func (s *Store) GetDelivery(ctx context.Context, accountID, id int64) (d Delivery, err error) {
	defer s.track("GetDelivery", time.Now(), &err)
	err = s.w.WithContext(ctx).Where("account_id = ? AND id = ?", accountID, id).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Delivery{}, ErrNotFound.New("", "delivery %d not found", id)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: get delivery %d: %w", id, err)
	}
	return d, nil
}

// DeliveryByMessage finds the delivery of a messaging message.
func (s *Store) DeliveryByMessage(ctx context.Context, accountID int64, channel string, messageID int64) (d Delivery, err error) {
	defer s.track("DeliveryByMessage", time.Now(), &err)
	err = s.w.WithContext(ctx).Where("account_id = ? AND channel = ? AND message_id = ?", accountID, channel, messageID).Take(&d).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Delivery{}, ErrNotFound.New("", "no delivery of message %d", messageID)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery of message %d: %w", messageID, err)
	}
	return d, nil
}

// OpenVoiceRequests lists the call-list requests of a notification's
// voice deliveries that are not final yet.
func (s *Store) OpenVoiceRequests(ctx context.Context, accountID, notificationID int64) (ids []string, err error) {
	defer s.track("OpenVoiceRequests", time.Now(), &err)
	ids = []string{}
	if err := s.w.WithContext(ctx).Model(&Delivery{}).Distinct("request_id").
		Where("account_id = ? AND notification_id = ? AND channel = ? AND status = ? AND request_id <> ''",
			accountID, notificationID, ChannelVoice, DeliverySent).Pluck("request_id", &ids).Error; err != nil {
		return nil, fmt.Errorf("store: open voice requests: %w", err)
	}
	return ids, nil
}

// CallOutcome is a call-list record as a notification reads it: the
// client identifier it was given, its status (PENDING … COMPLETE), the
// last attempt's call status (IVR_FINISHED, BUSY…) and the reason.
type CallOutcome struct {
	RequestID        string `gorm:"column:request_id"`
	ClientIdentifier string `gorm:"column:client_identifier"`
	Status           string `gorm:"column:status"`
	LastStatus       string `gorm:"column:last_status"`
	Reason           string `gorm:"column:reason"`
}

// CallOutcomes reads the records of a call-list request of the account.
func (s *Store) CallOutcomes(ctx context.Context, accountID int64, requestID string) (os []CallOutcome, err error) {
	defer s.track("CallOutcomes", time.Now(), &err)
	os = []CallOutcome{}
	if err := s.w.WithContext(ctx).Table("call_list_records").
		Select("request_id, client_identifier, status, COALESCE(last_status, '') AS last_status, COALESCE(reason, '') AS reason").
		Where("account_id = ? AND request_id = ?", accountID, requestID).Order("row_no").Scan(&os).Error; err != nil {
		return nil, fmt.Errorf("store: call outcomes of %s: %w", requestID, err)
	}
	return os, nil
}

// CallOutcomeByClient finds the account's call-list record with that
// client identifier (a voice delivery put on a call list before a restart).
func (s *Store) CallOutcomeByClient(ctx context.Context, accountID int64, clientID string) (o CallOutcome, ok bool, err error) {
	defer s.track("CallOutcomeByClient", time.Now(), &err)
	var os []CallOutcome
	if err := s.w.WithContext(ctx).Table("call_list_records").
		Select("request_id, client_identifier, status, COALESCE(last_status, '') AS last_status, COALESCE(reason, '') AS reason").
		Where("account_id = ? AND client_identifier = ?", accountID, clientID).Limit(1).Scan(&os).Error; err != nil {
		return CallOutcome{}, false, fmt.Errorf("store: call of %s: %w", clientID, err)
	}
	if len(os) == 0 {
		return CallOutcome{}, false, nil
	}
	return os[0], true, nil
}

// FinishNotifications marks done the sending notifications whose every
// delivery is final, and returns their ids.
func (s *Store) FinishNotifications(ctx context.Context) (ids []int64, err error) {
	defer s.track("FinishNotifications", time.Now(), &err)
	ids = []int64{}
	// An email the relay took is as far as email goes (no delivery
	// report); SMS and calls wait for theirs.
	open := s.w.Model(&Delivery{}).Select("notification_id").
		Where("status IN ? OR (status = ? AND channel <> ?)", []string{DeliveryPending, DeliverySending}, DeliverySent, ChannelEmail)
	var cand []int64
	if err := s.w.WithContext(ctx).Model(&Notification{}).Where("status = ? AND id NOT IN (?)", NotificationSending, open).
		Pluck("id", &cand).Error; err != nil {
		return nil, fmt.Errorf("store: finish notifications: %w", err)
	}
	for _, id := range cand {
		res := s.w.WithContext(ctx).Model(&Notification{}).Where("id = ? AND status = ?", id, NotificationSending).
			Updates(map[string]any{"status": NotificationDone, "finished_at": now()})
		if res.Error != nil {
			return nil, fmt.Errorf("store: finish notification %d: %w", id, res.Error)
		}
		if res.RowsAffected > 0 {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

// SendingNotifications lists the notifications still sending (any account).
func (s *Store) SendingNotifications(ctx context.Context) (ns []Notification, err error) {
	defer s.track("SendingNotifications", time.Now(), &err)
	ns = []Notification{}
	if err := s.w.WithContext(ctx).Where("status = ?", NotificationSending).Order("id").Limit(MaxListLimit).Find(&ns).Error; err != nil {
		return nil, fmt.Errorf("store: sending notifications: %w", err)
	}
	return ns, nil
}

// VoiceClientID is the client identifier of a voice delivery's call-list
// record ("notification-<notification id>-<delivery id>").
func VoiceClientID(notificationID, deliveryID int64) string {
	return "notification-" + strconv.FormatInt(notificationID, 10) + "-" + strconv.FormatInt(deliveryID, 10)
}

// ParseVoiceClientID reads VoiceClientID's delivery id.
func ParseVoiceClientID(s string) (notificationID, deliveryID int64, ok bool) {
	rest, ok := strings.CutPrefix(s, "notification-")
	if !ok {
		return 0, 0, false
	}
	a, b, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, 0, false
	}
	n, err1 := strconv.ParseInt(a, 10, 64)
	d, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || d <= 0 {
		return 0, 0, false
	}
	return n, d, true
}
