// Package intake is the call-list intake service: the one importer every
// transport calls (the HTTP upload and trigger API, the email-upload SMTP
// server, and the CLI through the HTTP upload). It resolves the target
// flow, validates numbers against the account's default country and its
// DNC/blacklist screen, stores each file (CSV, ADS, a zip of them, a
// trigger request, mail attachments) as one call-list request, imports DNC
// lists, sends and checks the OTP that whitelists a phone number, and
// writes a request's per-number status report.
//
// It is a subpackage of dialer/calllist rather than part of it: calllist
// is the pure reader and validator of call-list files (no persistence, no
// flows) that the dialer and tests use on their own, while intake joins it
// to the store, the flows and the OTP call. Its consumer interfaces (Store,
// Flows, OTPCaller) are declared here, in intake terms, and implemented by
// the store, the flow engine's adapter and the call manager.
package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// Flow types: a call list's flow is either outbound (multicast) or dialer.
const (
	FlowTypeOutbound = "outbound" // outbound multicast: /kairos-apis/outbound/create
	FlowTypeDialer   = "dialer"   // outbound dialer: /kairos-apis/outbounddialer/create
)

// Flow is what call lists need to know about a flow.
type Flow struct {
	ID        string
	Name      string
	Type      string   // FlowTypeOutbound or FlowTypeDialer
	Variables []string // declared flow variables (names without "$flow.key.")
	// StatusEmail is the flow's "Email Status" setting: the per-number
	// status of each upload goes to the account holder and to
	// StatusRecipients (only whitelisted ones are used).
	StatusEmail      bool
	StatusRecipients []string
	// DNCExempt: the flow is transactional, its live version approved by
	// the operator, and the account has transactional messaging on. Its
	// records are not DNC/NDNC scrubbed (transactional traffic is exempt;
	// the blacklist still applies). Any other flow is marketing traffic
	// and scrubbed.
	DNCExempt bool
}

// ErrFlowNotFound is returned (wrapped) by Flows for an unknown flow or one
// of another account.
var ErrFlowNotFound = errors.New("flow not found")

// Flows looks flows up (the flow engine's store adapter implements it).
type Flows interface {
	Flow(ctx context.Context, accountID int64, flowID string) (Flow, error)
}

// Store is the persistence intake uses (*store.Store implements it).
type Store interface {
	ImportCallList(ctx context.Context, in store.CallListImport, next func() (store.ImportRecord, error)) (store.CallListRequest, error)
	LoadNumberScreen(ctx context.Context, accountID int64) (*store.NumberScreen, error)
	ListCallListRecords(ctx context.Context, accountID int64, requestID string, afterRow int64, limit int) ([]store.CallListRecord, error)
	EachCallListRecord(ctx context.Context, accountID int64, requestID string, fn func(store.CallListRecord) error) error
	AddDNCEntries(ctx context.Context, accountID int64, source string, entries []store.DNCEntry) (int64, error)
	SaveOTP(ctx context.Context, accountID int64, phone, code string) error
	VerifyOTP(ctx context.Context, accountID int64, phone, code string) (store.ListEntry, error)
	AccountCountry(ctx context.Context, accountID int64) (string, error)
	SetCallListMeta(ctx context.Context, accountID int64, requestID string, m store.CallListMeta) (store.CallListRequest, error)
}

// OTPCaller places the verification call that reads code to phone (E.164)
// for whitelisting it (the call manager: originate, play the digits, hang
// up).
type OTPCaller interface {
	CallOTP(ctx context.Context, accountID int64, phone, code string) error
}

// Config configures the Importer.
type Config struct {
	Store Store
	Flows Flows
	// OTP places verification calls; nil disables whitelisting numbers.
	OTP OTPCaller
	// Region is the server's default country (ISO 3166-1 alpha-2, e.g.
	// "IN") for numbers without a country code, used when the account set
	// none; empty requires the country code.
	Region string
	// Location reads start times without an offset and writes report
	// times when AccountLocation is nil or fails (UTC if nil).
	Location *time.Location
	// AccountLocation gives the account's own time zone.
	AccountLocation func(ctx context.Context, accountID int64) (*time.Location, error)
	Logger          *slog.Logger
}

// Importer is the call-list intake service.
type Importer struct {
	c   Config
	log *slog.Logger
}

// New builds the Importer; Store and Flows are required.
func New(c Config) *Importer {
	if c.Store == nil || c.Flows == nil {
		panic("intake: Config.Store and Config.Flows are required")
	}
	log := c.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	return &Importer{c: c, log: log.With("component", "calllists")}
}

// Location is the time zone for an account's start times and reports: its
// own zone, else Config.Location.
func (im *Importer) Location(ctx context.Context, acc int64) *time.Location {
	if im.c.AccountLocation != nil {
		if l, err := im.c.AccountLocation(ctx, acc); err == nil && l != nil {
			return l
		} else if err != nil {
			im.log.Warn("account time zone unavailable; using the default", "account", acc, "error", err)
		}
	}
	return im.c.Location
}

// Region is the default country of an account's national numbers: the
// account's own, else Config.Region. A failed lookup falls back to
// Config.Region (numbers then need their country code unless the server
// sets one) and is logged.
func (im *Importer) Region(ctx context.Context, acc int64) string {
	cc, err := im.c.Store.AccountCountry(ctx, acc)
	if err != nil {
		im.log.Warn("account country unavailable; using the default", "account", acc, "error", err)
		return im.c.Region
	}
	if cc != "" {
		return cc
	}
	return im.c.Region
}

// Flow resolves a flow of the account that takes call lists: an empty id
// is invalid (field flow_id), an unknown one not found, a flow of another
// type invalid.
func (im *Importer) Flow(ctx context.Context, accountID int64, id string) (Flow, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return Flow{}, switchyard.Invalid("flow_id", "required")
	}
	f, err := im.c.Flows.Flow(ctx, accountID, id)
	if err != nil {
		if errors.Is(err, ErrFlowNotFound) || errors.Is(err, store.ErrNotFound) {
			return Flow{}, switchyard.NotFound("flow %q not found", id)
		}
		return Flow{}, fmt.Errorf("flow %q: %w", id, err)
	}
	if f.Type != FlowTypeOutbound && f.Type != FlowTypeDialer {
		return Flow{}, switchyard.Invalid("flow_id", "flow %q is a %s flow; call lists are for outbound and dialer flows", id, f.Type)
	}
	return f, nil
}

// validator loads the account's number screen and default country for
// records of flow f (an approved transactional flow's records skip the
// DNC/NDNC screen).
func (im *Importer) validator(ctx context.Context, accountID int64, f Flow) (*calllist.Validator, error) {
	scr, err := im.c.Store.LoadNumberScreen(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var screen calllist.Screen = scr
	if f.DNCExempt {
		screen = transactionalScreen{scr}
	}
	return &calllist.Validator{Region: im.Region(ctx, accountID), Screen: screen}, nil
}

// transactionalScreen is the screen of an approved transactional flow's
// records: the account's lists without DNC/NDNC.
type transactionalScreen struct{ calllist.Screen }

func (transactionalScreen) DNC(string) (string, bool) { return "", false }

// source turns parsed records into store rows: row errors become INVALID
// rows with their reason, valid ones go through the validator.
func source(next func() (calllist.Record, error), v *calllist.Validator) func() (store.ImportRecord, error) {
	return func() (store.ImportRecord, error) {
		rec, err := next()
		var re *calllist.RowError
		switch {
		case errors.As(err, &re):
			ir := store.ImportRecord{Row: int64(re.Row), ClientIdentifier: re.ClientIdentifier, Status: store.RecordInvalid, Reason: re.Reason}
			if re.Number != "" {
				ir.Numbers = []string{re.Number}
			}
			return ir, nil
		case err != nil:
			return store.ImportRecord{}, err
		}
		ch := v.Check(rec)
		return store.ImportRecord{
			Row: int64(ch.Row), ClientIdentifier: ch.ClientIdentifier, Numbers: ch.Numbers, Variables: ch.Variables,
			StartTime: ch.StartTime, ScheduleExtension: ch.ScheduleExtension, Status: ch.Status, Reason: ch.Reason,
			Line: ch.Line,
		}, nil
	}
}
