// Package flowstore adapts the store to the flow engine's interfaces:
// flow resolution (DID → published version, flow id → published version),
// configured webhooks, user variables, journeys, the account HTTP policy,
// and the call-list API's flow lookup.
package flowstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/flows/webhooks"
	"github.com/switchyard/switchyard/store"
)

// Store is what the adapter needs (*store.Store implements it).
type Store interface {
	GetDIDRoute(ctx context.Context, did string) (store.DIDRoute, error)
	PublishedFlowVersion(ctx context.Context, flowID int64) (store.FlowVersion, error)
	GetFlow(ctx context.Context, accountID, id int64) (store.Flow, error)
	// TransactionalExempt: the flow is an approved transactional flow of
	// an account with transactional messaging on (cached).
	TransactionalExempt(ctx context.Context, accountID, flowID int64) (bool, error)
	GetWebhook(ctx context.Context, accountID int64, name string) (store.Webhook, error)
	// CallWebhooks is ListWebhooks for calls (cached; a shared slice).
	CallWebhooks(ctx context.Context, accountID int64) ([]store.Webhook, error)
	GetUserVar(ctx context.Context, accountID int64, name string) (string, bool, error)
	SetUserVar(ctx context.Context, accountID int64, name, value string) error
	GetHTTPPolicy(ctx context.Context, accountID int64) (store.HTTPPolicy, error)
	SaveJourney(ctx context.Context, accountID int64, attemptID string, steps json.RawMessage) error
	AddRecording(ctx context.Context, r store.Recording) (store.Recording, error)
	SetAttemptReportFields(ctx context.Context, accountID int64, attemptID string, in store.AttemptReportFields) error
}

// Adapter implements flows.FlowResolver, webhooks.Source,
// flows.UserVarStore, flows.JourneySaver, flows.RecordingSaver,
// flows.ReportFieldsSaver, the Engine.Policy function and
// intake.Flows. Published versions are immutable, so parsed flows
// are cached by (flow, version).
type Adapter struct {
	S        Store
	Features flows.Features
	// MaxResponseBytes caps webhook responses (flows default if 0).
	MaxResponseBytes int64

	cache sync.Map // versionKey -> *flows.Flow
}

type versionKey struct {
	flow    int64
	version int
}

var (
	_ flows.FlowResolver      = (*Adapter)(nil)
	_ webhooks.Source         = (*Adapter)(nil)
	_ flows.UserVarStore      = (*Adapter)(nil)
	_ flows.JourneySaver      = (*Adapter)(nil)
	_ flows.RecordingSaver    = (*Adapter)(nil)
	_ flows.ReportFieldsSaver = (*Adapter)(nil)
	_ intake.Flows            = (*Adapter)(nil)
)

func (a *Adapter) version(v store.FlowVersion) (flows.FlowVersion, error) {
	k := versionKey{v.FlowID, v.Version}
	if f, ok := a.cache.Load(k); ok {
		return flows.FlowVersion{AccountID: v.AccountID, FlowID: v.FlowID, Version: v.Version, Flow: f.(*flows.Flow)}, nil
	}
	f, err := flows.Parse(v.Definition, a.Features)
	if err != nil {
		return flows.FlowVersion{}, fmt.Errorf("flowstore: flow %d version %d: %w", v.FlowID, v.Version, err)
	}
	a.cache.Store(k, f)
	return flows.FlowVersion{AccountID: v.AccountID, FlowID: v.FlowID, Version: v.Version, Flow: f}, nil
}

// FlowForDID returns the published version of the DID's flow.
func (a *Adapter) FlowForDID(ctx context.Context, did string) (flows.FlowVersion, error) {
	r, err := a.S.GetDIDRoute(ctx, did)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return flows.FlowVersion{}, fmt.Errorf("DID %s: %w", did, flows.ErrNoFlow)
		}
		return flows.FlowVersion{}, err
	}
	fv, err := a.FlowByID(ctx, r.FlowID)
	if errors.Is(err, flows.ErrNoFlow) {
		// The DID is the account's: its call goes in the account's report.
		return fv, &flows.UnroutedError{AccountID: r.AccountID, FlowID: r.FlowID,
			Reason: fmt.Sprintf("DID %s: flow %d is not published", did, r.FlowID)}
	}
	return fv, err
}

// FlowByID returns the published version of a flow.
func (a *Adapter) FlowByID(ctx context.Context, flowID int64) (flows.FlowVersion, error) {
	v, err := a.S.PublishedFlowVersion(ctx, flowID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return flows.FlowVersion{}, fmt.Errorf("flow %d: %v: %w", flowID, err, flows.ErrNoFlow)
		}
		return flows.FlowVersion{}, err
	}
	return a.version(v)
}

// Webhook returns a configured webhook.
func (a *Adapter) Webhook(ctx context.Context, accountID int64, name string) (webhooks.Config, error) {
	w, err := a.S.GetWebhook(ctx, accountID, name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return webhooks.Config{}, fmt.Errorf("webhook %q: %w", name, webhooks.ErrNotFound)
		}
		return webhooks.Config{}, err
	}
	var c webhooks.Config
	if err := json.Unmarshal(w.Config, &c); err != nil {
		return webhooks.Config{}, fmt.Errorf("webhook %q: stored config: %w", name, err)
	}
	return c, nil
}

// GetUserVar implements flows.UserVarStore.
func (a *Adapter) GetUserVar(ctx context.Context, accountID int64, name string) (string, bool, error) {
	return a.S.GetUserVar(ctx, accountID, name)
}

// SetUserVar implements flows.UserVarStore.
func (a *Adapter) SetUserVar(ctx context.Context, accountID int64, name, value string) error {
	return a.S.SetUserVar(ctx, accountID, name, value)
}

// SaveJourney implements flows.JourneySaver.
func (a *Adapter) SaveJourney(ctx context.Context, accountID int64, attemptID string, steps json.RawMessage) error {
	return a.S.SaveJourney(ctx, accountID, attemptID, steps)
}

// AddRecording implements flows.RecordingSaver: the recording is indexed
// on its attempt (the store fills in the call id) under the file name
// users download it by, <name>.<format>.
func (a *Adapter) AddRecording(ctx context.Context, r flows.Recording) error {
	_, err := a.S.AddRecording(ctx, store.Recording{
		AccountID: r.AccountID, AttemptID: r.AttemptID, Kind: r.Kind, Name: r.Name, Format: r.Format,
		FileName: r.FileName(), StartedAt: r.StartedAt, DurationMS: r.Duration.Milliseconds(),
	})
	return err
}

// SetReportFields implements flows.ReportFieldsSaver.
func (a *Adapter) SetReportFields(ctx context.Context, accountID int64, attemptID string, f flows.ReportFields) error {
	return a.S.SetAttemptReportFields(ctx, accountID, attemptID, store.AttemptReportFields{Queue: f.Queue, SMSNumber: f.SMSNumber, Email: f.Email,
		Recorded: f.RecordingURI != "", RecordingURI: f.RecordingURI})
}

// DisconnectWebhooks implements flows.DisconnectLister: the account's
// webhooks whose trigger is disconnect (the default), by name.
func (a *Adapter) DisconnectWebhooks(ctx context.Context, accountID int64) ([]flows.NamedWebhook, error) {
	ws, err := a.S.CallWebhooks(ctx, accountID)
	if err != nil {
		return nil, err
	}
	var out []flows.NamedWebhook
	for _, w := range ws {
		var cfg webhooks.Config
		if err := json.Unmarshal(w.Config, &cfg); err != nil {
			return nil, fmt.Errorf("webhook %q: %w", w.Name, err)
		}
		if cfg.Trigger == "" || cfg.Trigger == webhooks.TriggerDisconnect {
			out = append(out, flows.NamedWebhook{Name: w.Name, Config: cfg})
		}
	}
	return out, nil
}

// Policy is the Engine.Policy function: the account's stored policy; on a
// read error the default (HTTPS only, no private targets).
func (a *Adapter) Policy(ctx context.Context, accountID int64) webhooks.Policy {
	p, err := a.S.GetHTTPPolicy(ctx, accountID)
	if err != nil {
		return webhooks.Policy{MaxBytes: a.MaxResponseBytes}
	}
	return webhooks.Policy{AllowHTTP: p.AllowHTTP, Allow: p.Networks(), MaxBytes: a.MaxResponseBytes}
}

// Flow implements intake.Flows from the flow's draft declaration
// (name, type, declared variables). Multicast and emergency flows are
// "outbound", dialer flows "dialer"; other types pass through (the call-list
// API rejects them).
func (a *Adapter) Flow(ctx context.Context, accountID int64, flowID string) (intake.Flow, error) {
	id, err := strconv.ParseInt(flowID, 10, 64)
	if err != nil {
		return intake.Flow{}, fmt.Errorf("flow %q: %w", flowID, intake.ErrFlowNotFound)
	}
	f, err := a.S.GetFlow(ctx, accountID, id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return intake.Flow{}, fmt.Errorf("flow %d: %w", id, intake.ErrFlowNotFound)
		}
		return intake.Flow{}, err
	}
	var typ string
	switch f.Type {
	case flows.TypeOutbound, flows.TypeEmergency:
		typ = intake.FlowTypeOutbound
	case flows.TypeDialer:
		typ = intake.FlowTypeDialer
	default:
		typ = f.Type // calllistapi rejects it with a clear message
	}
	doc, err := flows.Decode(f.Draft)
	if err != nil {
		return intake.Flow{}, fmt.Errorf("flow %d: %w", id, err)
	}
	vars := make([]string, 0, len(doc.Variables))
	for _, v := range doc.Variables {
		vars = append(vars, strings.TrimPrefix(v, "$flow.key."))
	}
	out := intake.Flow{ID: strconv.FormatInt(f.ID, 10), Name: f.Name, Type: typ, Variables: vars}
	if doc.Settings != nil {
		out.StatusEmail = doc.Settings.EmailStatus
		out.StatusRecipients = doc.Settings.StatusRecipients
	}
	if f.Transactional {
		if out.DNCExempt, err = a.S.TransactionalExempt(ctx, accountID, f.ID); err != nil {
			return intake.Flow{}, fmt.Errorf("flow %d: %w", id, err)
		}
	}
	return out, nil
}
