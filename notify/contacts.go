// Package notify is Emergency Notification: the account's address book
// (contacts with a name, up to ten emails and a phone, single and bulk
// add), its labels (named groups of contacts), and sending a notification
// flow to labels by voice, SMS and email with a preview, a per-recipient
// per-channel status report, and a worker that sends asynchronously,
// fairly across accounts, and resumes after a restart without sending
// anything twice. The HTTP API and the console call this one service.
package notify

import (
	"context"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence notify uses (*store.Store implements it).
type Store interface {
	CreateContact(ctx context.Context, c store.Contact) (store.Contact, error)
	UpdateContact(ctx context.Context, c store.Contact) (store.Contact, error)
	GetContact(ctx context.Context, accountID, id int64) (store.Contact, error)
	ListContacts(ctx context.Context, accountID int64, f store.ContactFilter) ([]store.Contact, error)
	FindContacts(ctx context.Context, accountID int64, name, phone string) ([]store.Contact, error)
	DeleteContact(ctx context.Context, accountID, id int64) error

	CreateLabel(ctx context.Context, l store.Label) (store.Label, error)
	UpdateLabel(ctx context.Context, l store.Label) (store.Label, error)
	GetLabel(ctx context.Context, accountID, id int64) (store.Label, error)
	ListLabels(ctx context.Context, accountID int64) ([]store.Label, error)
	DeleteLabel(ctx context.Context, accountID, id int64) error
	LabelRecipients(ctx context.Context, accountID int64, labelIDs []int64) ([]store.Contact, error)

	GetFlow(ctx context.Context, accountID, id int64) (store.Flow, error)
	GetFlowVersion(ctx context.Context, accountID, flowID int64, version int) (store.FlowVersion, error)
	AccountCountry(ctx context.Context, accountID int64) (string, error)
	// ScreenNumbers is the account's blacklist and DNC screening: a reason
	// for each number that must not be called or sent to.
	ScreenNumbers(ctx context.Context, accountID int64, numbers []string) (map[string]string, error)

	CreateNotification(ctx context.Context, n store.Notification, ds []store.Delivery) (store.Notification, error)
	GetNotification(ctx context.Context, accountID, id int64) (store.Notification, error)
	ListNotifications(ctx context.Context, accountID int64, limit int) ([]store.Notification, error)
	ListDeliveries(ctx context.Context, accountID, notificationID, afterID int64, limit int) ([]store.Delivery, error)
	DeliveryCounts(ctx context.Context, accountID, notificationID int64) ([]store.DeliveryCount, error)
	PendingDeliveryAccounts(ctx context.Context) ([]int64, error)
	ClaimDeliveries(ctx context.Context, accountID int64, channel string, limit int, claim string) ([]store.Delivery, error)
	StaleDeliveries(ctx context.Context, claimPrefix string, before time.Time, limit int) ([]store.Delivery, error)
	UpdateDeliveries(ctx context.Context, us []store.DeliveryUpdate) (int64, error)
	DeliveryByMessage(ctx context.Context, accountID int64, channel string, messageID int64) (store.Delivery, error)
	GetDelivery(ctx context.Context, accountID, id int64) (store.Delivery, error)
	OpenVoiceRequests(ctx context.Context, accountID, notificationID int64) ([]string, error)
	CallOutcomes(ctx context.Context, accountID int64, requestID string) ([]store.CallOutcome, error)
	CallOutcomeByClient(ctx context.Context, accountID int64, clientID string) (store.CallOutcome, bool, error)
	FinishNotifications(ctx context.Context) ([]int64, error)
	SendingNotifications(ctx context.Context) ([]store.Notification, error)
}

// Config configures the Service.
type Config struct {
	Store Store
	// Calls puts voice recipients on the flow's call list (the call-list
	// intake; the flow's dialing settings dial it). Nil refuses voice.
	Calls Calls
	// Messages sends SMS and email (the messaging service). Nil refuses
	// those channels.
	Messages Messenger
	// Region is the server's default country for national numbers when
	// the account set none.
	Region string
	// Node names this process in its claims (several nodes may send).
	Node string
	// Concurrency bounds the SMS and emails in flight (default 32); one
	// account gets at most half of it while others wait.
	Concurrency int
	// Batch is how many deliveries of one account and channel a round
	// takes before the next account's turn (default 100; voice takes up
	// to a call-list request's 500).
	Batch int
	// Interval is how often the worker looks for work and status changes
	// when nothing wakes it (default 2 s).
	Interval time.Duration
	// StaleClaim is how long a delivery may stay claimed (sending) by a
	// node before the others settle it (default 10 minutes: a handover
	// takes seconds, so a claim this old is a node's that stopped and has
	// not come back).
	StaleClaim time.Duration
	Logger     *slog.Logger
}

// Service is Emergency Notification.
type Service struct {
	c    Config
	log  *slog.Logger
	wake chan struct{}
	now  func() time.Time
}

// New builds the service; Store is required.
func New(c Config) *Service {
	if c.Store == nil {
		panic("notify: Config.Store is required")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 32
	}
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.StaleClaim <= 0 {
		c.StaleClaim = 10 * time.Minute
	}
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Node == "" {
		c.Node = "node"
	}
	return &Service{c: c, log: c.Logger.With("component", "notify"), wake: make(chan struct{}, 1), now: time.Now}
}

// ContactInput is a contact as the single add form and the API give it.
type ContactInput struct {
	Name   string   `json:"name"`
	Phone  string   `json:"phone"`
	Emails []string `json:"emails"`
	Labels []int64  `json:"labels"`
}

// region is the account's country for national numbers.
func (s *Service) region(ctx context.Context, acc int64) (string, error) {
	cc, err := s.c.Store.AccountCountry(ctx, acc)
	if err != nil {
		// A national number read in another country would be a wrong
		// number: nothing is saved without the account's country.
		return "", fmt.Errorf("notify: country of account %d: %w", acc, err)
	}
	if cc == "" {
		return s.c.Region, nil
	}
	return cc, nil
}

// checkContact validates and normalises a contact: a name, a valid phone
// (E.164; a national number of the account's country is accepted), at
// most ten valid, distinct emails.
func checkContact(in ContactInput, region string) (store.Contact, error) {
	c := store.Contact{Name: strings.TrimSpace(in.Name), Labels: in.Labels}
	switch {
	case c.Name == "":
		return store.Contact{}, switchyard.Invalid("name", "the name is required")
	case len(c.Name) > 128:
		return store.Contact{}, switchyard.Invalid("name", "the name is %d bytes long, at most 128", len(c.Name))
	case strings.ContainsAny(c.Name, "\x00\r\n"):
		return store.Contact{}, switchyard.Invalid("name", "the name must be one line")
	}
	if strings.TrimSpace(in.Phone) == "" {
		return store.Contact{}, switchyard.Invalid("phone", "the phone number is required")
	}
	phone, err := calllist.Normalize(in.Phone, region)
	if err != nil {
		return store.Contact{}, switchyard.Invalid("phone", "%v", err)
	}
	c.Phone = phone
	c.Emails = []string{}
	seen := map[string]bool{}
	for _, e := range in.Emails {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e || a.Name != "" || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
			return store.Contact{}, switchyard.Invalid("emails", "%q is not a valid email address (like help@example.com)", e)
		}
		if seen[strings.ToLower(e)] {
			continue
		}
		seen[strings.ToLower(e)] = true
		c.Emails = append(c.Emails, e)
	}
	if len(c.Emails) > store.MaxContactEmails {
		return store.Contact{}, switchyard.Invalid("emails", "a contact has at most %d emails (got %d)", store.MaxContactEmails, len(c.Emails))
	}
	return c, nil
}

// CreateContact adds a contact (Single Add).
func (s *Service) CreateContact(ctx context.Context, acc int64, in ContactInput) (store.Contact, error) {
	region, err := s.region(ctx, acc)
	if err != nil {
		return store.Contact{}, err
	}
	c, err := checkContact(in, region)
	if err != nil {
		return store.Contact{}, err
	}
	c.AccountID = acc
	return s.c.Store.CreateContact(ctx, c)
}

// UpdateContact replaces a contact's details and labels.
func (s *Service) UpdateContact(ctx context.Context, acc, id int64, in ContactInput) (store.Contact, error) {
	region, err := s.region(ctx, acc)
	if err != nil {
		return store.Contact{}, err
	}
	c, err := checkContact(in, region)
	if err != nil {
		return store.Contact{}, err
	}
	c.AccountID, c.ID = acc, id
	return s.c.Store.UpdateContact(ctx, c)
}

// GetContact returns one contact.
func (s *Service) GetContact(ctx context.Context, acc, id int64) (store.Contact, error) {
	return s.c.Store.GetContact(ctx, acc, id)
}

// ListContacts lists contacts (filter text on name, phone and emails).
func (s *Service) ListContacts(ctx context.Context, acc int64, f store.ContactFilter) ([]store.Contact, error) {
	return s.c.Store.ListContacts(ctx, acc, f)
}

// DeleteContact removes a contact.
func (s *Service) DeleteContact(ctx context.Context, acc, id int64) error {
	return s.c.Store.DeleteContact(ctx, acc, id)
}

// LabelInput is a label: its unique name and its members (contact ids).
type LabelInput struct {
	Name    string  `json:"name"`
	Members []int64 `json:"members"`
}

func checkLabel(in LabelInput) (store.Label, error) {
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		return store.Label{}, switchyard.Invalid("name", "the label name is required")
	case len(name) > 64:
		return store.Label{}, switchyard.Invalid("name", "the label name is %d bytes long, at most 64", len(name))
	case strings.ContainsAny(name, "\x00\r\n;"):
		return store.Label{}, switchyard.Invalid("name", "the label name must be one line without ';' (it separates labels in the bulk add file)")
	}
	return store.Label{Name: name, Members: in.Members}, nil
}

// CreateLabel adds a label (its name unique in the account).
func (s *Service) CreateLabel(ctx context.Context, acc int64, in LabelInput) (store.Label, error) {
	l, err := checkLabel(in)
	if err != nil {
		return store.Label{}, err
	}
	l.AccountID = acc
	out, err := s.c.Store.CreateLabel(ctx, l)
	if err != nil {
		return store.Label{}, err
	}
	return s.c.Store.GetLabel(ctx, acc, out.ID)
}

// UpdateLabel renames a label and replaces its members.
func (s *Service) UpdateLabel(ctx context.Context, acc, id int64, in LabelInput) (store.Label, error) {
	l, err := checkLabel(in)
	if err != nil {
		return store.Label{}, err
	}
	l.AccountID, l.ID = acc, id
	return s.c.Store.UpdateLabel(ctx, l)
}

// GetLabel returns a label with its members.
func (s *Service) GetLabel(ctx context.Context, acc, id int64) (store.Label, error) {
	return s.c.Store.GetLabel(ctx, acc, id)
}

// ListLabels lists the labels with their member counts.
func (s *Service) ListLabels(ctx context.Context, acc int64) ([]store.Label, error) {
	return s.c.Store.ListLabels(ctx, acc)
}

// DeleteLabel deletes a label.
func (s *Service) DeleteLabel(ctx context.Context, acc, id int64) error {
	return s.c.Store.DeleteLabel(ctx, acc, id)
}

// labelIDs maps label names to ids (the bulk add file names labels).
func (s *Service) labelIDs(ctx context.Context, acc int64) (map[string]int64, error) {
	ls, err := s.c.Store.ListLabels(ctx, acc)
	if err != nil {
		return nil, fmt.Errorf("notify: labels: %w", err)
	}
	m := make(map[string]int64, len(ls))
	for _, l := range ls {
		m[strings.ToLower(l.Name)] = l.ID
	}
	return m, nil
}
