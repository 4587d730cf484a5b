// Package campaigns is the campaign service: the one place the campaign
// rules live, called by every transport (the HTTP API in api/dialerapi,
// the supervisor's automatic dialing of imported call lists, and through
// the HTTP API the CLI). It validates every campaign field and what the
// campaign refers to (trunk, webhooks, flows, queue), creates, updates,
// reads, searches (status, started-at and ended-at ranges) and removes
// hand-made campaigns, moves them through the lifecycle (start, pause,
// resume, cancel; a cancel closes the scheduled records as RESCHEDULED)
// and tells the live dialer, reports progress, and keeps each outbound
// flow's dialing settings, including the flow's automatic dialing
// campaign made the first time a list is imported for it.
//
// It is a subpackage of dialer: dialer holds the campaign type, its
// field checks and the pacer, with no persistence; this package joins
// them to the store. Errors a client may see are switchyard.Error values
// whose Message and Field are written for the client. Its consumer
// interfaces (Store, Live) are declared here and implemented by the store
// and the dialer supervisor.
package campaigns

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the service uses (*store.Store implements it).
type Store interface {
	CreateCampaign(ctx context.Context, c store.Campaign) (store.Campaign, error)
	GetCampaign(ctx context.Context, accountID, id int64) (store.Campaign, error)
	SearchCampaigns(ctx context.Context, accountID int64, f store.CampaignFilter) ([]store.Campaign, error)
	UpdateCampaign(ctx context.Context, c store.Campaign, editable func(status string) bool) (store.Campaign, error)
	DeleteCampaign(ctx context.Context, accountID, id int64, deletable func(status string) bool) error
	TransitionCampaign(ctx context.Context, accountID, id int64, next func(from string) (string, error)) (store.Campaign, error)
	CountCampaignRecords(ctx context.Context, accountID int64, requestIDs []string) (store.CampaignRecordCounts, error)
	CampaignAbandonHours(ctx context.Context, campaignID int64, since time.Time) ([]store.CampaignAbandonHour, error)
	CloseRescheduledRecords(ctx context.Context, accountID int64, requestIDs []string, at time.Time, status string) (int64, error)
	GetFlow(ctx context.Context, accountID, id int64) (store.Flow, error)
	GetWebhook(ctx context.Context, accountID int64, name string) (store.Webhook, error)
	GetQueueByName(ctx context.Context, accountID int64, name string) (store.Queue, error)
	GetFlowCampaign(ctx context.Context, accountID int64, flowID string) (store.Campaign, error)
	PutFlowCampaign(ctx context.Context, c store.Campaign, ifMissing bool) (store.Campaign, error)
	UpdateSMSDelivery(ctx context.Context, d store.SMSDelivery) (bool, error)
}

// Live is the dialer supervisor as the service sees it.
type Live interface {
	// Notify tells it a campaign changed status or settings.
	Notify(ctx context.Context, accountID, id int64) error
	// Progress is the live view of a campaign being dialed by this node.
	Progress(accountID, id int64) (dialer.Progress, bool)
}

// Config configures the Service.
type Config struct {
	Store Store
	// Live is optional: without it status changes are only stored (a
	// supervisor picks Running campaigns up at its next boot).
	Live Live
	// Trunks are the operator's named trunks (SWITCHYARD_TRUNKS); a
	// campaign or flow names one, DefaultTrunk when it names none. Nil
	// accepts any well-formed name (tests).
	Trunks       dialer.Trunks
	DefaultTrunk string
	// SMSUnavailable, when set, says why this server sends no SMS (no
	// gateway configured): creating or starting an sms campaign is then
	// refused with it, not accepted to sit unsent.
	SMSUnavailable string
	Logger         *slog.Logger
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

// Service is the campaign service.
type Service struct {
	c   Config
	log *slog.Logger

	flows sync.Map // "account/flow" → the flow's dialing campaign id
}

// New builds the Service; Store is required.
func New(c Config) *Service {
	if c.Store == nil {
		panic("campaigns: Config.Store is required")
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return &Service{c: c, log: log}
}

// Campaign is a stored campaign: the domain campaign and its times.
type Campaign struct {
	dialer.Campaign
	StartedAt *time.Time
	EndedAt   *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func fromStore(s store.Campaign) Campaign {
	c := s.Campaign
	if c.Recipients == nil {
		c.Recipients = []string{}
	}
	return Campaign{Campaign: c, StartedAt: s.StartedAt, EndedAt: s.EndedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

// statuses are the campaign statuses a search may filter on.
var statuses = []string{dialer.StatusCreated, dialer.StatusRunning, dialer.StatusPaused, dialer.StatusFinished, dialer.StatusCancelled}

// Filter selects campaigns in Search; zero fields select all.
type Filter struct {
	Status string
	// Accountcode selects the campaigns with this accountcode.
	Accountcode            string
	StartedFrom, StartedTo *time.Time
	EndedFrom, EndedTo     *time.Time
}

// Filter parameter names, as every transport spells them.
const (
	ParamStatus      = "status"
	ParamAccountcode = "accountcode"
	ParamStartedFrom = "started_from"
	ParamStartedTo   = "started_to"
	ParamEndedFrom   = "ended_from"
	ParamEndedTo     = "ended_to"
)

// FilterFrom reads a Filter from named parameters (a query string, CLI
// flags): status, accountcode, and started_from, started_to, ended_from, ended_to as
// RFC 3339 times; param returns "" for one not given. The error names the
// parameter.
func FilterFrom(param func(name string) string) (Filter, error) {
	f := Filter{Status: param(ParamStatus), Accountcode: strings.TrimSpace(param(ParamAccountcode))}
	if err := checkStatus(f.Status); err != nil {
		return Filter{}, err
	}
	if !dialer.ValidAccountcode(f.Accountcode) {
		return Filter{}, switchyard.Invalid(ParamAccountcode, "accountcode: at most %d printable ASCII characters without spaces", dialer.MaxAccountcode)
	}
	for _, q := range []struct {
		name string
		dst  **time.Time
	}{{ParamStartedFrom, &f.StartedFrom}, {ParamStartedTo, &f.StartedTo}, {ParamEndedFrom, &f.EndedFrom}, {ParamEndedTo, &f.EndedTo}} {
		v := param(q.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return Filter{}, switchyard.Invalid(q.name, "%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", v)
		}
		*q.dst = &t
	}
	return f, nil
}

func checkStatus(s string) error {
	if s == "" {
		return nil
	}
	for _, x := range statuses {
		if s == x {
			return nil
		}
	}
	return switchyard.Invalid(ParamStatus, "unknown status %q (Created, Running, Paused, Finished or Cancelled)", s)
}

// Search lists the account's hand-made campaigns matching f, newest first
// (flows' dialing campaigns are not listed).
func (s *Service) Search(ctx context.Context, acct int64, f Filter) ([]Campaign, error) {
	if err := checkStatus(f.Status); err != nil {
		return nil, err
	}
	cs, err := s.c.Store.SearchCampaigns(ctx, acct, store.CampaignFilter{Status: f.Status, Accountcode: f.Accountcode,
		StartedFrom: f.StartedFrom, StartedTo: f.StartedTo, EndedFrom: f.EndedFrom, EndedTo: f.EndedTo})
	if err != nil {
		return nil, err
	}
	out := make([]Campaign, len(cs))
	for i, x := range cs {
		out[i] = fromStore(x)
	}
	return out, nil
}

// own reads a hand-made campaign of the account: a flow's dialing
// campaign is not one (it is reached through its flow's dialing settings).
func (s *Service) own(ctx context.Context, acct, id int64) (store.Campaign, error) {
	sc, err := s.c.Store.GetCampaign(ctx, acct, id)
	if err != nil {
		return store.Campaign{}, err
	}
	if sc.Source != "" {
		return store.Campaign{}, switchyard.NotFound("campaign %d not found", id)
	}
	return sc, nil
}

// Get reads a hand-made campaign of the account.
func (s *Service) Get(ctx context.Context, acct, id int64) (Campaign, error) {
	sc, err := s.own(ctx, acct, id)
	if err != nil {
		return Campaign{}, err
	}
	return fromStore(sc), nil
}

// Create validates in and stores it as a Created campaign of the account.
func (s *Service) Create(ctx context.Context, acct int64, in Input) (Campaign, error) {
	c, err := s.campaign(ctx, acct, in)
	if err != nil {
		return Campaign{}, err
	}
	sc, err := s.c.Store.CreateCampaign(ctx, store.Campaign{Campaign: c})
	if err != nil {
		return Campaign{}, err // coded: the store says what is wrong with recipients
	}
	return fromStore(sc), nil
}

// Update replaces a hand-made campaign's fields with in; only a Created or
// Finished campaign can be edited.
func (s *Service) Update(ctx context.Context, acct, id int64, in Input) (Campaign, error) {
	if _, err := s.own(ctx, acct, id); err != nil {
		return Campaign{}, err
	}
	c, err := s.campaign(ctx, acct, in)
	if err != nil {
		return Campaign{}, err
	}
	c.ID = id
	var seen string
	sc, err := s.c.Store.UpdateCampaign(ctx, store.Campaign{Campaign: c}, func(status string) bool {
		seen = status
		return dialer.Editable(status)
	})
	if errors.Is(err, store.ErrConflict) && seen != "" && !dialer.Editable(seen) {
		return Campaign{}, switchyard.Conflict("campaign %d is %s: only Created or Finished campaigns can be edited", id, seen)
	}
	if err != nil {
		return Campaign{}, err // coded: the store says what is wrong with recipients
	}
	return fromStore(sc), nil
}

// Delete removes a hand-made campaign that is not executing (Running or
// Paused).
func (s *Service) Delete(ctx context.Context, acct, id int64) error {
	if _, err := s.own(ctx, acct, id); err != nil {
		return err
	}
	var seen string
	err := s.c.Store.DeleteCampaign(ctx, acct, id, func(status string) bool {
		seen = status
		return dialer.Deletable(status)
	})
	if errors.Is(err, store.ErrConflict) && seen != "" && !dialer.Deletable(seen) {
		return switchyard.Conflict("campaign %d is %s: cancel it before removing it", id, seen)
	}
	return err
}
