// Package dialerapi serves dialer campaigns under /api/v1: CRUD, the
// lifecycle actions (start, pause, resume, cancel) and live progress.
package dialerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the handlers use (*store.Store implements it).
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
}

// Live is the dialer supervisor as the API sees it.
type Live interface {
	// Notify tells it a campaign changed status.
	Notify(ctx context.Context, accountID, id int64) error
	// Progress is the live view of a campaign being dialed by this node.
	Progress(accountID, id int64) (dialer.Progress, bool)
}

// Deps configures the handlers.
type Deps struct {
	Store Store
	// Live is optional: without it status changes are only stored (a
	// supervisor picks Running campaigns up at its next boot).
	Live Live
	// Trunks are the operator's named trunks (SWITCHYARD_TRUNKS); a
	// campaign or flow names one, DefaultTrunk when it names none. Nil
	// accepts any well-formed name (tests).
	Trunks       dialer.Trunks
	DefaultTrunk string
	Logger       *slog.Logger
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{d: d}
	g.GET("/campaigns", withAccount(h.list))
	g.POST("/campaigns", withAccount(h.create))
	g.GET("/campaigns/:id", withAccount(h.get))
	g.PUT("/campaigns/:id", withAccount(h.update))
	g.DELETE("/campaigns/:id", withAccount(h.remove))
	for _, a := range []string{dialer.ActionStart, dialer.ActionPause, dialer.ActionResume, dialer.ActionCancel} {
		g.POST("/campaigns/:id/"+a, withAccount(h.action(a)))
	}
	g.GET("/campaigns/:id/progress", withAccount(h.progress))
	g.GET("/flows/:id/dialing", withAccount(h.getDialing))
	g.PUT("/flows/:id/dialing", withAccount(h.putDialing))
}

type handler struct{ d Deps }

func withAccount(fn func(c echo.Context, acct int64) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := api.PrincipalFrom(c)
		if !ok || p.AccountID <= 0 {
			return api.ErrUnauthorized
		}
		return fn(c, p.AccountID)
	}
}

func pathID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, api.Invalid("id", "must be a positive integer, got %q", c.Param("id"))
	}
	return id, nil
}

// Input is a campaign as clients send it (id, account and status are the
// server's).
type Input struct {
	Type       string   `json:"type"`
	Mode       string   `json:"mode"`
	Name       string   `json:"name"`
	Recipients []string `json:"recipients"`
	CallerID   string   `json:"caller_id"`
	Trunk      string   `json:"trunk"`
	// EndpointTemplate is refused (400): dial strings are operator
	// configuration (SWITCHYARD_TRUNKS); tenants name a trunk.
	EndpointTemplate    string        `json:"endpoint_template"`
	SimultaneousCalls   int           `json:"simultaneous_calls"`
	DialAttempts        int           `json:"dial_attempts"`
	DialTimeoutMS       int           `json:"dial_timeout_ms"`
	OnlyWhenFreeMembers bool          `json:"only_when_free_members"`
	Queue               string        `json:"queue"`
	DialToExtension     string        `json:"dial_to_extension"`
	Multiplier          float64       `json:"multiplier"`
	RetryIntervalSec    int           `json:"retry_interval_sec"`
	CallingWindow       dialer.Window `json:"calling_window"`
	CallsPerSecond      float64       `json:"calls_per_second"`
	FlowID              FlowRef       `json:"flow_id"`
	AbandonCapPct       float64       `json:"abandon_cap_pct"`
	SafeHarborSound     string        `json:"safe_harbor_sound"`
	AMD                 bool          `json:"amd"`
	MachineAction       string        `json:"machine_action"`
	MachineFlowID       FlowRef       `json:"machine_flow_id"`
	LeadWebhook         string        `json:"lead_webhook"`
	LeadNumberPath      string        `json:"lead_number_path"`
	LogWebhook          string        `json:"log_webhook"`
}

// View is a campaign as the API shows it.
type View struct {
	dialer.Campaign
	// FlowID and MachineFlowID are integers like every other id (they
	// shadow the domain campaign's string fields).
	FlowID        *int64     `json:"flow_id,omitempty"`
	MachineFlowID *int64     `json:"machine_flow_id,omitempty"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	EndedAt       *time.Time `json:"ended_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

func view(s store.Campaign) View {
	c := s.Campaign
	if c.Recipients == nil {
		c.Recipients = []string{}
	}
	return View{Campaign: c, FlowID: flowIDOut(c.FlowID), MachineFlowID: flowIDOut(c.MachineFlowID), StartedAt: s.StartedAt, EndedAt: s.EndedAt, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
}

const maxBody = 64 << 10

// decode reads a campaign input; unknown fields are refused so a typo
// does not silently keep a default.
func decode(c echo.Context) (Input, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return Input{}, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxBody {
		return Input{}, &api.Error{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Message: "campaign document over 64 KiB"}
	}
	var in Input
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		if errors.Is(err, errFlowRef) {
			return Input{}, api.Invalid("flow_id", "flow_id and machine_flow_id are integer flow ids")
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Input{}, api.Invalid(te.Field, "must be a JSON %s, got a %s", te.Type.String(), te.Value)
		}
		return Input{}, api.Invalid("body", "not a campaign JSON object: %v", err)
	}
	if dec.More() {
		return Input{}, api.Invalid("body", "one JSON object expected")
	}
	return in, nil
}

// campaign turns input into a validated domain campaign of the account.
func (h *handler) campaign(ctx context.Context, acct int64, in Input) (dialer.Campaign, error) {
	if in.EndpointTemplate != "" {
		return dialer.Campaign{}, errEndpointTemplate(h.d.Trunks)
	}
	trunk, err := h.trunk(in.Trunk)
	if err != nil {
		return dialer.Campaign{}, err
	}
	c := dialer.Campaign{
		AccountID: acct, Type: in.Type, Mode: in.Mode, Name: in.Name, Recipients: in.Recipients, CallerID: in.CallerID,
		Trunk: trunk, SimultaneousCalls: in.SimultaneousCalls, DialAttempts: in.DialAttempts,
		DialTimeoutMS: in.DialTimeoutMS, OnlyWhenFreeMembers: in.OnlyWhenFreeMembers, Queue: strings.TrimSpace(in.Queue),
		DialToExtension: strings.TrimSpace(in.DialToExtension), Multiplier: in.Multiplier, RetryIntervalSec: in.RetryIntervalSec,
		CallingWindow: in.CallingWindow, CallsPerSecond: in.CallsPerSecond, FlowID: strings.TrimSpace(string(in.FlowID)),
		AbandonCapPct: in.AbandonCapPct, SafeHarborSound: strings.TrimSpace(in.SafeHarborSound), AMD: in.AMD,
		MachineAction: strings.TrimSpace(in.MachineAction), MachineFlowID: strings.TrimSpace(string(in.MachineFlowID)),
		LeadWebhook: in.LeadWebhook, LeadNumberPath: strings.TrimSpace(in.LeadNumberPath), LogWebhook: in.LogWebhook,
		Status: dialer.StatusCreated,
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return c, err // coded: names the field, says what is wrong
	}
	for _, w := range []struct{ field, name string }{{"lead_webhook", c.LeadWebhook}, {"log_webhook", c.LogWebhook}} {
		if w.name == "" {
			continue
		}
		if _, err := h.d.Store.GetWebhook(ctx, acct, w.name); errors.Is(err, store.ErrNotFound) {
			return c, api.Invalid(w.field, "webhook %q is not configured in the account", w.name)
		} else if err != nil {
			return c, err
		}
	}
	if err := h.checkRefs(ctx, acct, c); err != nil {
		return c, err
	}
	return c, nil
}

// checkRefs checks at create/update time what the campaign refers to, so
// it fails now with a clear error instead of when it dials: the queue
// exists in the account, and flow_id and machine_flow_id are published
// outbound flows of the account.
func (h *handler) checkRefs(ctx context.Context, acct int64, c dialer.Campaign) error {
	for _, ref := range []struct{ field, id string }{{"flow_id", c.FlowID}, {"machine_flow_id", c.MachineFlowID}} {
		if ref.id == "" {
			continue
		}
		id, err := strconv.ParseInt(ref.id, 10, 64)
		if err != nil || id <= 0 {
			return api.Invalid(ref.field, "%q is not a flow id", api.Clip(ref.id))
		}
		f, err := h.d.Store.GetFlow(ctx, acct, id)
		if errors.Is(err, store.ErrNotFound) {
			return &api.Error{Code: "flow_not_found", Status: http.StatusUnprocessableEntity, Field: ref.field, Message: fmt.Sprintf("flow %d does not exist in the account", id)}
		}
		if err != nil {
			return err
		}
		if f.PublishedVersion == 0 {
			return &api.Error{Code: "flow_not_published", Status: http.StatusUnprocessableEntity, Field: ref.field, Message: fmt.Sprintf("flow %d is not published; publish it first", id)}
		}
		if f.Type == flows.TypeInbound {
			return &api.Error{Code: "flow_type_mismatch", Status: http.StatusUnprocessableEntity, Field: ref.field,
				Message: fmt.Sprintf("flow %d is an inbound flow; a campaign runs an outbound flow (%s, %s or %s)", id, flows.TypeDialer, flows.TypeOutbound, flows.TypeEmergency)}
		}
	}
	if c.Queue != "" {
		if _, err := h.d.Store.GetQueueByName(ctx, acct, c.Queue); errors.Is(err, store.ErrNotFound) {
			return &api.Error{Code: "queue_not_found", Status: http.StatusUnprocessableEntity, Field: "queue", Message: fmt.Sprintf("queue %q does not exist in the account", api.Clip(c.Queue))}
		} else if err != nil {
			return err
		}
	}
	return nil
}

// errEndpointTemplate refuses a tenant-written dial string.
func errEndpointTemplate(t dialer.Trunks) error {
	return &api.Error{Code: api.CodeBadRequest, Status: http.StatusBadRequest, Field: "endpoint_template",
		Message: fmt.Sprintf("endpoint_template is no longer accepted: dial strings are operator configuration; choose a trunk by name in \"trunk\" (configured: %s)", strings.Join(t.Names(), ", "))}
}

// trunk resolves a trunk name: empty is the default trunk; an unknown one
// is refused.
func (h *handler) trunk(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		name = h.d.DefaultTrunk
	}
	if name == "" && h.d.Trunks == nil {
		return "", nil
	}
	if h.d.Trunks != nil {
		if _, ok := h.d.Trunks[name]; !ok {
			return "", api.Invalid("trunk", "trunk %q is not configured (configured: %s)", name, strings.Join(h.d.Trunks.Names(), ", "))
		}
	} else if !dialer.ValidTrunkName(name) {
		return "", api.Invalid("trunk", "trunk %q must be a trunk name: 1-64 letters, digits, '_', '-' or '.'", name)
	}
	return name, nil
}

// ownCampaign reads a hand-made campaign of the account: a flow's dialing
// campaign is not one (it is served under /flows/{id}/dialing).
func (h *handler) ownCampaign(ctx context.Context, acct, id int64) (store.Campaign, error) {
	sc, err := h.d.Store.GetCampaign(ctx, acct, id)
	if err != nil {
		return store.Campaign{}, err
	}
	if sc.Source != "" {
		return store.Campaign{}, api.NotFound("campaign %d not found", id)
	}
	return sc, nil
}

func (h *handler) list(c echo.Context, acct int64) error {
	status := c.QueryParam("status")
	switch status {
	case "", dialer.StatusCreated, dialer.StatusRunning, dialer.StatusPaused, dialer.StatusFinished, dialer.StatusCancelled:
	default:
		return api.Invalid("status", "unknown status %q (Created, Running, Paused, Finished or Cancelled)", status)
	}
	f := store.CampaignFilter{Status: status}
	for _, q := range []struct {
		name string
		dst  **time.Time
	}{{"started_from", &f.StartedFrom}, {"started_to", &f.StartedTo}, {"ended_from", &f.EndedFrom}, {"ended_to", &f.EndedTo}} {
		v := c.QueryParam(q.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return api.Invalid(q.name, "%q is not an RFC 3339 time such as 2026-03-01T00:00:00Z", v)
		}
		*q.dst = &t
	}
	cs, err := h.d.Store.SearchCampaigns(c.Request().Context(), acct, f)
	if err != nil {
		return err
	}
	out := make([]View, len(cs))
	for i, x := range cs {
		out[i] = view(x)
	}
	return c.JSON(http.StatusOK, map[string]any{"campaigns": out})
}

func (h *handler) create(c echo.Context, acct int64) error {
	in, err := decode(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	camp, err := h.campaign(ctx, acct, in)
	if err != nil {
		return err
	}
	sc, err := h.d.Store.CreateCampaign(ctx, store.Campaign{Campaign: camp})
	if err != nil {
		return err // coded: the store says what is wrong with recipients
	}
	return c.JSON(http.StatusCreated, view(sc))
}

func (h *handler) get(c echo.Context, acct int64) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	sc, err := h.ownCampaign(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view(sc))
}

func (h *handler) update(c echo.Context, acct int64) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.ownCampaign(ctx, acct, id); err != nil {
		return err
	}
	in, err := decode(c)
	if err != nil {
		return err
	}
	camp, err := h.campaign(ctx, acct, in)
	if err != nil {
		return err
	}
	camp.ID = id
	var seen string
	sc, err := h.d.Store.UpdateCampaign(ctx, store.Campaign{Campaign: camp}, func(status string) bool {
		seen = status
		return dialer.Editable(status)
	})
	if errors.Is(err, store.ErrConflict) && seen != "" && !dialer.Editable(seen) {
		return api.Conflict("campaign %d is %s: only Created or Finished campaigns can be edited", id, seen)
	}
	if err != nil {
		return err // coded: the store says what is wrong with recipients
	}
	return c.JSON(http.StatusOK, view(sc))
}

func (h *handler) remove(c echo.Context, acct int64) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if _, err := h.ownCampaign(c.Request().Context(), acct, id); err != nil {
		return err
	}
	var seen string
	err = h.d.Store.DeleteCampaign(c.Request().Context(), acct, id, func(status string) bool {
		seen = status
		return dialer.Deletable(status)
	})
	if errors.Is(err, store.ErrConflict) && seen != "" && !dialer.Deletable(seen) {
		return api.Conflict("campaign %d is %s: cancel it before removing it", id, seen)
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) action(action string) func(c echo.Context, acct int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		if _, err := h.ownCampaign(ctx, acct, id); err != nil {
			return err
		}
		var from string
		sc, err := h.d.Store.TransitionCampaign(ctx, acct, id, func(s string) (string, error) {
			from = s
			return dialer.Transition(s, action)
		})
		if errors.Is(err, dialer.ErrTransition) {
			return api.Conflict("cannot %s campaign %d: it is %s", action, id, from)
		}
		if err != nil {
			return err
		}
		if sc.Status == dialer.StatusCancelled {
			// Seed 003: a scheduled call whose campaign is cancelled before
			// its time ends as RESCHEDULED.
			if n, err := h.d.Store.CloseRescheduledRecords(ctx, acct, sc.Recipients, time.Now(), dialerstore.StatusRescheduled); err != nil {
				h.d.Logger.Warn("scheduled records of a cancelled campaign not closed", "campaign", id, "error", err)
			} else if n > 0 {
				h.d.Logger.Info("scheduled records closed as RESCHEDULED", "campaign", id, "records", n)
			}
		}
		if h.d.Live != nil {
			// The status is stored: a failure here only delays the runner
			// (a Running campaign is resumed at the next boot).
			if err := h.d.Live.Notify(context.WithoutCancel(ctx), acct, id); err != nil {
				h.d.Logger.Warn("dialer not notified of a campaign status change", "campaign", id, "status", sc.Status, "error", err)
			}
		}
		return c.JSON(http.StatusOK, view(sc))
	}
}

// Progress is a campaign's progress: the store's counts (every node, every
// run) and this node's live runner, when it has one.
type Progress struct {
	CampaignID int64  `json:"campaign_id"`
	Status     string `json:"status"`
	// Dialed counts attempts (including calls in progress).
	Dialed int64 `json:"dialed"`
	// Answered counts records whose final status is an answered one.
	Answered int64 `json:"answered"`
	// Abandoned counts abandoned calls of the last 30 days (agent-paced
	// campaigns; see Abandon).
	Abandoned int64            `json:"abandoned"`
	Remaining int64            `json:"remaining"`
	Pending   int64            `json:"pending"`
	InProcess int64            `json:"in_process"`
	Complete  int64            `json:"complete"`
	ByStatus  map[string]int64 `json:"by_status"`
	// DialLevel is the target concurrent calls at the live runner's last
	// pacing step; absent when this node runs no runner for the campaign.
	DialLevel *int `json:"dial_level,omitempty"`
	// Abandon is the rolling abandon rate of agent-paced campaigns (every
	// node's calls).
	Abandon *AbandonReport `json:"abandon,omitempty"`
	// Live is this node's runner since it started (absent without one).
	Live *dialer.Progress `json:"live,omitempty"`
}

// AbandonWindow is one rolling window's abandon figures.
type AbandonWindow struct {
	Answered  int64   `json:"answered"`
	Abandoned int64   `json:"abandoned"`
	RatePct   float64 `json:"rate_pct"`
}

// AbandonReport is the 24 h and 30 d abandon rates against the cap.
type AbandonReport struct {
	Day    AbandonWindow `json:"day"`
	Month  AbandonWindow `json:"month"`
	CapPct float64       `json:"cap_pct"`
}

func abandonWindow(t dialer.Tally) AbandonWindow {
	return AbandonWindow{Answered: t.Answered, Abandoned: t.Abandoned, RatePct: math.Round(t.Rate()*10000) / 100}
}

// answeredStatus reports the seed statuses of answered calls.
func answeredStatus(s string) bool {
	return strings.HasPrefix(s, "IVR_") || strings.HasPrefix(s, "IN_") || strings.HasPrefix(s, "QUEUE_") ||
		s == dialer.StatusMachine || s == dialer.StatusAbandoned
}

func (h *handler) progress(c echo.Context, acct int64) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	sc, err := h.ownCampaign(ctx, acct, id)
	if err != nil {
		return err
	}
	n, err := h.d.Store.CountCampaignRecords(ctx, acct, sc.Recipients)
	if err != nil {
		return err
	}
	p := Progress{CampaignID: id, Status: sc.Status, Dialed: n.Attempts, Remaining: n.Remaining(), Pending: n.Pending,
		InProcess: n.InProcess, Complete: n.Complete, ByStatus: n.ByStatus}
	if p.ByStatus == nil {
		p.ByStatus = map[string]int64{}
	}
	for s, k := range p.ByStatus {
		if answeredStatus(s) {
			p.Answered += k
		}
	}
	if dc := sc.Campaign; dialer.AgentPaced(&dc) {
		now := time.Now()
		hs, err := h.d.Store.CampaignAbandonHours(ctx, id, now.Add(-dialer.AbandonMonth))
		if err != nil {
			return err
		}
		var pr dialer.Predictor
		ts := make([]dialer.HourTally, len(hs))
		for i, x := range hs {
			ts[i] = dialer.HourTally{Hour: x.Hour, Tally: dialer.Tally{Answered: x.Answered, Abandoned: x.Abandoned}}
		}
		pr.Load(ts)
		w := pr.Windows(now)
		p.Abandoned = w.Month.Abandoned
		p.Abandon = &AbandonReport{Day: abandonWindow(w.Day), Month: abandonWindow(w.Month), CapPct: dc.AbandonCap() * 100}
	}
	if h.d.Live != nil {
		if lp, ok := h.d.Live.Progress(acct, id); ok {
			p.Live = &lp
			dl := lp.DialLevel
			p.DialLevel = &dl
		}
	}
	return c.JSON(http.StatusOK, p)
}
