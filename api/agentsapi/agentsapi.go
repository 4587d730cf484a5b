// Package agentsapi serves the ACD's admin API under /api/v1: agents
// (CRUD, login/logout, pause/unpause, disposition), queues and their
// members, CRM/popup hook setups, the agent-UI embed, and the supervisor
// dashboard (agent and queue lists, and a Server-Sent Events stream).
//
// The store is the source of truth for configuration; every change is
// then pushed to the live ACD (and SIP agents' PJSIP endpoints to
// Asterisk through the Provisioner).
package agentsapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/acd/provision"
	"github.com/switchyard/switchyard/store"
)

// Store is the persistence the handlers use (*store.Store implements it).
type Store interface {
	CreateAgent(ctx context.Context, a store.Agent) (store.Agent, error)
	GetAgent(ctx context.Context, accountID, id int64) (store.Agent, error)
	ListAgents(ctx context.Context, accountID int64) ([]store.Agent, error)
	UpdateAgent(ctx context.Context, a store.Agent) (store.Agent, error)
	DeleteAgent(ctx context.Context, accountID, id int64) (store.Agent, []int64, error)
	CreateQueue(ctx context.Context, q store.Queue) (store.Queue, error)
	GetQueue(ctx context.Context, accountID, id int64) (store.Queue, error)
	ListQueues(ctx context.Context, accountID int64) ([]store.Queue, error)
	UpdateQueue(ctx context.Context, q store.Queue) (store.Queue, error)
	DeleteQueue(ctx context.Context, accountID, id int64) error
	PutHook(ctx context.Context, h store.ACDHook) (store.ACDHook, error)
	GetHook(ctx context.Context, accountID, id int64) (store.ACDHook, error)
	ListHooks(ctx context.Context, accountID int64, kind string) ([]store.ACDHook, error)
	DeleteHook(ctx context.Context, accountID, id int64) error
	GetAgentByUser(ctx context.Context, accountID, userID int64) (store.Agent, error)
	ListAgentCalls(ctx context.Context, f store.JournalFilter) ([]store.AgentCall, error)
	GetAgentUI(ctx context.Context, accountID int64) (store.AgentUI, error)
	PutAgentUI(ctx context.Context, u store.AgentUI) (store.AgentUI, error)
}

// ACD is the live engine as the API sees it (*acd.ACD implements it).
type ACD interface {
	PutAgent(ag acdconfig.Agent) error
	RemoveAgent(accountID, agentID int64) error
	PutQueue(q acdconfig.Queue) error
	RemoveQueue(accountID, queueID int64) error
	Login(ctx context.Context, accountID, agentID int64) error
	Logout(ctx context.Context, accountID, agentID int64) error
	Pause(ctx context.Context, accountID, agentID int64, reason string) error
	Unpause(ctx context.Context, accountID, agentID int64) error
	Disposition(ctx context.Context, accountID, agentID int64, code string) error
	Transfer(ctx context.Context, accountID, agentID int64, queue string) error
	TransferToAgent(ctx context.Context, accountID, agentID, targetID int64) error
	Agents(accountID int64, state acd.State) []acd.AgentStatus
	Agent(accountID, agentID int64) (acd.AgentStatus, error)
	Queues(accountID int64) []acd.QueueStatus
	Subscribe(accountID int64) (<-chan acd.Update, func())
}

// Provisioner creates and removes SIP agents' PJSIP endpoints on Asterisk.
// Both must be idempotent.
type Provisioner interface {
	Ensure(ctx context.Context, a acdconfig.Agent) error
	Remove(ctx context.Context, extension string) error
}

// DefaultHeartbeat is the interval of the supervisor stream's comment
// lines, which keep proxies from closing an idle stream.
const DefaultHeartbeat = 15 * time.Second

// Deps configures the handlers.
type Deps struct {
	Store Store
	// ACD is the live engine. Nil: configuration is only stored, and the
	// live routes (login…, supervisor) answer 503.
	ACD ACD
	// Provisioner is nil when Switchyard does not manage PJSIP endpoints.
	Provisioner Provisioner
	Logger      *slog.Logger
	// Heartbeat is the supervisor stream's keep-alive interval
	// (DefaultHeartbeat if zero).
	Heartbeat time.Duration
	// StreamBatch is the supervisor stream's default batch window: changes
	// within it are written together (one flush, the latest row per agent
	// or queue). 0: none, every change is written as it comes (API clients
	// that follow each transition). A client asks for a window with
	// ?batch_ms= (the console's Wallboard asks for 100 ms).
	StreamBatch time.Duration
	// Done, when closed, ends every supervisor stream (server shutdown:
	// http.Server.Shutdown waits for handlers, it does not cancel them).
	Done <-chan struct{}
	// Channels hangs up and holds the desk's calls (nil: the desk's call
	// controls answer 503).
	Channels Channels
	// Phone is how agents' phones reach Asterisk (the desk's phone setup).
	Phone Phone
	// NewPassword generates SIP passwords (tests); nil: 32 random hex
	// characters.
	NewPassword func() (string, error)
	// Node names this Switchyard node in the monitor audit: the node
	// closes its own open rows when it starts again.
	Node string
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Heartbeat <= 0 {
		d.Heartbeat = DefaultHeartbeat
	}
	if d.NewPassword == nil {
		d.NewPassword = newPassword
	}
	h := &handler{d: d, log: d.Logger.With("component", "agentsapi")}
	g.GET("/agents", api.WithAccount(h.listAgents))
	g.POST("/agents", api.WithAccount(h.createAgent))
	g.GET("/agents/:id", api.WithAccount(h.getAgent))
	g.PUT("/agents/:id", api.WithAccount(h.updateAgent))
	g.DELETE("/agents/:id", api.WithAccount(h.deleteAgent))
	g.POST("/agents/:id/login", api.WithAccount(h.action("login")))
	g.POST("/agents/:id/logout", api.WithAccount(h.action("logout")))
	g.POST("/agents/:id/pause", api.WithAccount(h.action("pause")))
	g.POST("/agents/:id/unpause", api.WithAccount(h.action("unpause")))
	g.POST("/agents/:id/disposition", api.WithAccount(h.action("disposition")))

	g.GET("/queues", api.WithAccount(h.listQueues))
	g.POST("/queues", api.WithAccount(h.createQueue))
	g.GET("/queues/:id", api.WithAccount(h.getQueue))
	g.PUT("/queues/:id", api.WithAccount(h.updateQueue))
	g.DELETE("/queues/:id", api.WithAccount(h.deleteQueue))
	g.PUT("/queues/:id/members", api.WithAccount(h.putMembers))
	g.POST("/queues/:id/members/:agent_id", api.WithAccount(h.addMember))
	g.DELETE("/queues/:id/members/:agent_id", api.WithAccount(h.removeMember))

	g.GET("/hooks", api.WithAccount(h.listHooks))
	g.POST("/hooks", api.WithAccount(h.createHook))
	g.GET("/hooks/:id", api.WithAccount(h.getHook))
	g.PUT("/hooks/:id", api.WithAccount(h.updateHook))
	g.DELETE("/hooks/:id", api.WithAccount(h.deleteHook))

	g.GET("/agent-ui", api.WithAccount(h.getUI))
	g.PUT("/agent-ui", api.WithAccount(h.putUI))

	g.GET("/supervisor/agents", api.WithAccount(h.supervisorAgents))
	g.GET("/supervisor/queues", api.WithAccount(h.supervisorQueues))
	g.GET("/supervisor/stream", api.WithAccount(h.stream))
	registerMonitors(g, h)

	registerMe(g, h)
}

type handler struct {
	d   Deps
	log *slog.Logger
}

func newPassword() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

const maxBody = 64 << 10

// decode reads one JSON object into v; unknown fields are refused so a
// typo does not silently keep a default.
func decode(c echo.Context, v any) error { return api.DecodeJSON(c, v, maxBody) }

// invalid turns a domain validation error (acd.ErrInvalid, whose message
// lists every problem for the client) into a 422 naming the first
// problem's field by its JSON name.
func invalid(err error, fields map[string]string) error {
	var se *switchyard.Error
	if !errors.As(err, &se) || !errors.Is(err, acd.ErrInvalid) {
		return err
	}
	field := se.Field
	if f, ok := fields[field]; ok {
		field = f
	}
	return &api.Error{Code: api.CodeInvalid, Field: field, Message: se.Message, Err: err}
}

// storeErr gives the store's coded errors the field of the API: the
// store's client messages start with what they are about ("agent name …",
// "queue members: …"), which fields maps to its JSON name (else "body").
func storeErr(err error, fields map[string]string) error {
	switch {
	case errors.Is(err, store.ErrInvalid):
		msg := switchyard.ClientMessage(err)
		field := "body"
		for prefix, f := range fields {
			if strings.HasPrefix(msg, prefix) {
				field = f
				break
			}
		}
		return &api.Error{Code: api.CodeInvalid, Field: field, Message: msg, Err: err}
	case errors.Is(err, store.ErrConflict):
		return err // says what is already taken
	}
	return err
}

// acdErr: the engine's coded errors (acd.ErrNotFound, ErrInvalid,
// ErrState, ErrUnreachable) carry their client message and map by code;
// a validation error gets its field's JSON name.
func acdErr(err error) error {
	if errors.Is(err, acd.ErrInvalid) {
		return invalid(err, nil)
	}
	return err
}

var errNoACD = &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable,
	Message: "the ACD is not running on this node"}

// ---- agents ----

// AgentInput is an agent as clients send it.
type AgentInput struct {
	Name      string `json:"name"`
	LoginType string `json:"login_type"`
	Extension string `json:"extension"`
	Number    string `json:"number"`
	CLI       string `json:"cli"`
	// WrapUpSecs is the after-call work time (0-3600).
	WrapUpSecs int  `json:"wrap_up_secs"`
	Record     bool `json:"record"`
	Persistent bool `json:"persistent"`
	// UserID links the console user (role agent) who works as this agent
	// in the agent desk. On update, absent keeps the link and 0 removes
	// it.
	UserID *int64 `json:"user_id"`
	// AutoPauseMissed pauses the agent (reason missed_ring) after a call
	// rang them unanswered.
	AutoPauseMissed bool `json:"auto_pause_missed"`
	// RegeneratePassword (update only) replaces the SIP password; the new
	// one is returned once.
	RegeneratePassword bool `json:"regenerate_password"`
}

// AgentView is an agent as the API shows it. SIPPassword is present only
// in the response that created it (or regenerated it).
type AgentView struct {
	ID          int64            `json:"id"`
	AccountID   int64            `json:"account_id"`
	Name        string           `json:"name"`
	LoginType   string           `json:"login_type"`
	Extension   string           `json:"extension,omitempty"`
	Number      string           `json:"number,omitempty"`
	CLI         string           `json:"cli,omitempty"`
	WrapUpSecs  int              `json:"wrap_up_secs"`
	Record      bool             `json:"record"`
	Persistent  bool             `json:"persistent"`
	UserID      *int64           `json:"user_id,omitempty"`
	AutoPause   bool             `json:"auto_pause_missed"`
	SIPPassword string           `json:"sip_password,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	UpdatedAt   time.Time        `json:"updated_at"`
	Status      *acd.AgentStatus `json:"status,omitempty"` // live state (when the ACD runs)
}

func agentView(a store.Agent) AgentView {
	return AgentView{ID: a.ID, AccountID: a.AccountID, Name: a.Name, LoginType: string(a.LoginType), Extension: a.Extension,
		Number: a.Number, CLI: a.CLI, WrapUpSecs: int(a.WrapUp / time.Second), Record: a.Record, Persistent: a.Persistent,
		UserID: a.UserID, AutoPause: a.AutoPauseMissed, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

var agentFields = map[string]string{"wrap_up": "wrap_up_secs", "agent name": "name", "extension": "extension",
	"sip password": "extension", "number": "number", "cli": "cli", "login type": "login_type", "wrap-up": "wrap_up_secs",
	"agent user_id": "user_id", "user": "user_id"}

func (in AgentInput) agent(acct int64) (acdconfig.Agent, error) {
	a := acdconfig.Agent{AccountID: acct, Name: strings.TrimSpace(in.Name), LoginType: acdconfig.LoginType(in.LoginType),
		Extension: strings.TrimSpace(in.Extension), Number: strings.TrimSpace(in.Number), CLI: strings.TrimSpace(in.CLI),
		WrapUp: time.Duration(in.WrapUpSecs) * time.Second, Record: in.Record, Persistent: in.Persistent,
		AutoPauseMissed: in.AutoPauseMissed}
	if in.UserID != nil {
		if *in.UserID < 0 {
			return a, api.Invalid("user_id", "a user id, or 0 for none; got %d", *in.UserID)
		}
		if *in.UserID > 0 {
			a.UserID = in.UserID
		}
	}
	if in.WrapUpSecs < 0 || in.WrapUpSecs > 3600 {
		return a, api.Invalid("wrap_up_secs", "0 to 3600 seconds, got %d", in.WrapUpSecs)
	}
	if err := a.Validate(); err != nil {
		return a, invalid(err, agentFields)
	}
	return a, nil
}

func (h *handler) withStatus(acct int64, v *AgentView) {
	if h.d.ACD == nil {
		return
	}
	if st, err := h.d.ACD.Agent(acct, v.ID); err == nil {
		v.Status = &st
	}
}

func (h *handler) listAgents(c echo.Context, acct int64) error {
	as, err := h.d.Store.ListAgents(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	live := map[int64]acd.AgentStatus{}
	if h.d.ACD != nil {
		for _, s := range h.d.ACD.Agents(acct, "") {
			live[s.AgentID] = s
		}
	}
	out := make([]AgentView, len(as))
	for i, a := range as {
		out[i] = agentView(a)
		if s, ok := live[a.ID]; ok {
			out[i].Status = &s
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": out})
}

func (h *handler) getAgent(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.d.Store.GetAgent(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	v := agentView(a)
	h.withStatus(acct, &v)
	return c.JSON(http.StatusOK, v)
}

// endpointErr is the 503 of a failed PJSIP endpoint change.
func endpointErr(err error, what string) error {
	if errors.Is(err, provision.ErrStatic) {
		// Retrying can never work: say what to do instead.
		return &api.Error{Code: api.CodeConflict, Status: http.StatusConflict, Field: "extension", Err: err,
			Message: "the extension is a static endpoint of Asterisk's pjsip.conf, which Switchyard cannot create, change or delete: " +
				"use another extension (Switchyard then provisions it), or remove the section from pjsip.conf"}
	}
	if errors.Is(err, acd.ErrInvalid) {
		return invalid(err, agentFields)
	}
	return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable, Err: err,
		Message: "Asterisk did not accept the agent's SIP endpoint: " + what}
}

func (h *handler) createAgent(c echo.Context, acct int64) error {
	var in AgentInput
	if err := decode(c, &in); err != nil {
		return err
	}
	if in.RegeneratePassword {
		return api.Invalid("regenerate_password", "only on update: a new agent always gets a new password")
	}
	a, err := in.agent(acct)
	if err != nil {
		return err
	}
	if a.LoginType.SIP() {
		if a.SIPPassword, err = h.d.NewPassword(); err != nil {
			return fmt.Errorf("generate SIP password: %w", err)
		}
	}
	ctx := c.Request().Context()
	sa, err := h.d.Store.CreateAgent(ctx, store.Agent{Agent: a})
	if err != nil {
		return storeErr(err, agentFields)
	}
	a = sa.Agent
	if a.LoginType.SIP() && h.d.Provisioner != nil {
		if err := h.d.Provisioner.Ensure(ctx, a); err != nil {
			// Created means usable: undo.
			if _, _, derr := h.d.Store.DeleteAgent(context.WithoutCancel(ctx), acct, a.ID); derr != nil {
				h.log.Error("agent created without its SIP endpoint, and could not be removed", "agent", a.ID, "err", derr)
			}
			return endpointErr(err, "the agent was not created; try again")
		}
	}
	if h.d.ACD != nil {
		if err := h.d.ACD.PutAgent(a); err != nil {
			h.log.Error("ACD refused a stored agent", "agent", a.ID, "err", err)
		}
	}
	v := agentView(sa)
	v.SIPPassword = sa.SIPPassword
	h.withStatus(acct, &v)
	return c.JSON(http.StatusCreated, v)
}

func (h *handler) updateAgent(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.d.Store.GetAgent(ctx, acct, id)
	if err != nil {
		return err
	}
	var in AgentInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := in.agent(acct)
	if err != nil {
		return err
	}
	a.ID = id
	if in.UserID == nil {
		a.UserID = cur.UserID // absent: the link stays
	}
	newPW := false
	if a.LoginType.SIP() && (cur.SIPPassword == "" || in.RegeneratePassword) {
		if a.SIPPassword, err = h.d.NewPassword(); err != nil {
			return fmt.Errorf("generate SIP password: %w", err)
		}
		newPW = true
	} else if in.RegeneratePassword {
		return api.Invalid("regenerate_password", "only softphone and deskphone agents have a SIP password")
	}
	sa, err := h.d.Store.UpdateAgent(ctx, store.Agent{Agent: a})
	if err != nil {
		return storeErr(err, agentFields)
	}
	a = sa.Agent
	if h.d.ACD != nil {
		if err := h.d.ACD.PutAgent(a); err != nil {
			h.log.Error("ACD refused a stored agent", "agent", a.ID, "err", err)
		}
	}
	if h.d.Provisioner != nil {
		if cur.Extension != "" && cur.Extension != a.Extension {
			if err := h.d.Provisioner.Remove(ctx, cur.Extension); err != nil {
				return endpointErr(err, "the agent is saved but its old endpoint "+cur.Extension+" is still there; PUT again to retry")
			}
		}
		if a.LoginType.SIP() {
			if err := h.d.Provisioner.Ensure(ctx, a); err != nil {
				return endpointErr(err, "the agent is saved but its endpoint is not up to date; PUT again to retry")
			}
		}
	}
	v := agentView(sa)
	if newPW {
		v.SIPPassword = sa.SIPPassword
	}
	h.withStatus(acct, &v)
	return c.JSON(http.StatusOK, v)
}

func (h *handler) deleteAgent(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.d.Store.GetAgent(ctx, acct, id)
	if err != nil {
		return err
	}
	// The endpoint first: if Asterisk refuses, nothing changes and the
	// client retries.
	if cur.Extension != "" && h.d.Provisioner != nil {
		if err := h.d.Provisioner.Remove(ctx, cur.Extension); err != nil {
			return endpointErr(err, "the agent was not deleted; try again")
		}
	}
	_, queueIDs, err := h.d.Store.DeleteAgent(ctx, acct, id)
	if err != nil {
		return err
	}
	if h.d.ACD != nil {
		if err := h.d.ACD.RemoveAgent(acct, id); err != nil && !errors.Is(err, acd.ErrNotFound) {
			h.log.Error("ACD did not remove a deleted agent", "agent", id, "err", err)
		}
		for _, qid := range queueIDs {
			h.pushQueue(ctx, acct, qid)
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// pushQueue sends a queue's stored configuration to the ACD.
func (h *handler) pushQueue(ctx context.Context, acct, id int64) {
	q, err := h.d.Store.GetQueue(context.WithoutCancel(ctx), acct, id)
	if err != nil {
		h.log.Error("queue not reloaded into the ACD", "queue", id, "err", err)
		return
	}
	if err := h.d.ACD.PutQueue(q.Queue); err != nil {
		h.log.Error("ACD refused a stored queue", "queue", id, "err", err)
	}
}

// actionBody reads what an agent action carries: a pause's reason or a
// disposition's code, each required and checked; other actions take no body.
func actionBody(c echo.Context, name string) (reason, code string, err error) {
	var body struct {
		Reason string `json:"reason"`
		Code   string `json:"code"`
	}
	if name != "pause" && name != "disposition" {
		return "", "", nil
	}
	if err := decode(c, &body); err != nil {
		return "", "", err
	}
	field, v := "reason", body.Reason
	if name == "disposition" {
		field, v = "code", body.Code
	}
	if err := acd.ValidReason(v); err != nil {
		return "", "", api.Invalid(field, "required: 1-40 letters, digits, _ . -; got %q", v)
	}
	return body.Reason, body.Code, nil
}

func (h *handler) action(name string) func(c echo.Context, acct int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := api.PathID(c, "id")
		if err != nil {
			return err
		}
		reason, code, err := actionBody(c, name)
		if err != nil {
			return err
		}
		if h.d.ACD == nil {
			return errNoACD
		}
		ctx := c.Request().Context()
		// The agent must be the account's (the ACD would say so too; the
		// store gives the same 404 as every other route).
		if _, err := h.d.Store.GetAgent(ctx, acct, id); err != nil {
			return err
		}
		return h.act(c, acct, id, name, reason, code)
	}
}

// act runs an agent action on the live ACD and answers the agent's status.
func (h *handler) act(c echo.Context, acct, id int64, name, reason, code string) error {
	ctx := c.Request().Context()
	var err error
	{
		switch name {
		case "login":
			err = h.d.ACD.Login(ctx, acct, id)
		case "logout":
			err = h.d.ACD.Logout(ctx, acct, id)
		case "pause":
			err = h.d.ACD.Pause(ctx, acct, id, reason)
		case "unpause":
			err = h.d.ACD.Unpause(ctx, acct, id)
		case "disposition":
			err = h.d.ACD.Disposition(ctx, acct, id, code)
		}
		if err != nil {
			return acdErr(err)
		}
		st, err := h.d.ACD.Agent(acct, id)
		if err != nil {
			return acdErr(err)
		}
		return c.JSON(http.StatusOK, st)
	}
}

// ---- queues ----

// QueueInput is a queue as clients send it; zero durations take the
// defaults (ring 20 s, timeout 300 s).
type QueueInput struct {
	Name              string  `json:"name"`
	Strategy          string  `json:"strategy"`
	Members           []int64 `json:"members"`
	RingTimeoutSecs   int     `json:"ring_timeout_secs"`
	TimeoutSecs       int     `json:"timeout_secs"`
	MaxLen            int     `json:"max_len"`
	JoinWhenEmpty     bool    `json:"join_when_empty"`
	MOHClass          string  `json:"moh_class"`
	Announce          string  `json:"announce"`
	AnnounceEverySecs int     `json:"announce_every_secs"`
	AnnouncePosition  bool    `json:"announce_position"`
	Record            bool    `json:"record"`
}

// QueueView is a queue as the API shows it.
type QueueView struct {
	ID                int64            `json:"id"`
	AccountID         int64            `json:"account_id"`
	Name              string           `json:"name"`
	Strategy          string           `json:"strategy"`
	Members           []int64          `json:"members"`
	RingTimeoutSecs   int              `json:"ring_timeout_secs"`
	TimeoutSecs       int              `json:"timeout_secs"`
	MaxLen            int              `json:"max_len"`
	JoinWhenEmpty     bool             `json:"join_when_empty"`
	MOHClass          string           `json:"moh_class"`
	Announce          string           `json:"announce,omitempty"`
	AnnounceEverySecs int              `json:"announce_every_secs"`
	AnnouncePosition  bool             `json:"announce_position"`
	Record            bool             `json:"record"`
	CreatedAt         time.Time        `json:"created_at"`
	UpdatedAt         time.Time        `json:"updated_at"`
	Status            *acd.QueueStatus `json:"status,omitempty"` // live state (when the ACD runs)
}

func queueView(q store.Queue) QueueView {
	m := q.Members
	if m == nil {
		m = []int64{}
	}
	return QueueView{ID: q.ID, AccountID: q.AccountID, Name: q.Name, Strategy: string(q.Strategy), Members: m,
		RingTimeoutSecs: int(q.RingTimeout / time.Second), TimeoutSecs: int(q.Timeout / time.Second), MaxLen: q.MaxLen,
		JoinWhenEmpty: q.JoinWhenEmpty, MOHClass: q.MOHClass, Announce: q.Announce,
		AnnounceEverySecs: int(q.AnnounceEvery / time.Second), AnnouncePosition: q.AnnouncePosition, Record: q.Record,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
}

var queueFields = map[string]string{"ring_timeout": "ring_timeout_secs", "timeout": "timeout_secs",
	"announce_every": "announce_every_secs", "queue name": "name", "members": "members", "queue members": "members", "queue moh class": "moh_class",
	"queue announce": "announce"}

func (in QueueInput) queue(acct int64) (acdconfig.Queue, error) {
	for _, f := range []struct {
		name string
		v    int
	}{{"ring_timeout_secs", in.RingTimeoutSecs}, {"timeout_secs", in.TimeoutSecs}, {"announce_every_secs", in.AnnounceEverySecs}} {
		if f.v < 0 || f.v > 86400 {
			return acdconfig.Queue{}, api.Invalid(f.name, "0 (default) to 86400 seconds, got %d", f.v)
		}
	}
	q := acdconfig.Queue{AccountID: acct, Name: strings.TrimSpace(in.Name), Strategy: acdconfig.Strategy(in.Strategy),
		Members: append([]int64{}, in.Members...), RingTimeout: time.Duration(in.RingTimeoutSecs) * time.Second,
		Timeout: time.Duration(in.TimeoutSecs) * time.Second, MaxLen: in.MaxLen, JoinWhenEmpty: in.JoinWhenEmpty,
		MOHClass: strings.TrimSpace(in.MOHClass), Announce: strings.TrimSpace(in.Announce),
		AnnounceEvery: time.Duration(in.AnnounceEverySecs) * time.Second, AnnouncePosition: in.AnnouncePosition, Record: in.Record}
	q.Defaults()
	for _, m := range q.Members {
		if m <= 0 {
			return q, api.Invalid("members", "agent ids are positive integers, got %d", m)
		}
	}
	if err := q.Validate(); err != nil {
		return q, invalid(err, queueFields)
	}
	return q, nil
}

func (h *handler) queueStatuses(acct int64) map[int64]acd.QueueStatus {
	live := map[int64]acd.QueueStatus{}
	if h.d.ACD != nil {
		for _, s := range h.d.ACD.Queues(acct) {
			live[s.QueueID] = s
		}
	}
	return live
}

func (h *handler) queueOut(acct int64, q store.Queue) QueueView {
	v := queueView(q)
	if s, ok := h.queueStatuses(acct)[q.ID]; ok {
		v.Status = &s
	}
	return v
}

func (h *handler) listQueues(c echo.Context, acct int64) error {
	qs, err := h.d.Store.ListQueues(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	live := h.queueStatuses(acct)
	out := make([]QueueView, len(qs))
	for i, q := range qs {
		out[i] = queueView(q)
		if s, ok := live[q.ID]; ok {
			out[i].Status = &s
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": out})
}

func (h *handler) getQueue(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	q, err := h.d.Store.GetQueue(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, h.queueOut(acct, q))
}

// saved pushes a stored queue to the ACD.
func (h *handler) saved(q store.Queue) {
	if h.d.ACD == nil {
		return
	}
	if err := h.d.ACD.PutQueue(q.Queue); err != nil {
		h.log.Error("ACD refused a stored queue", "queue", q.ID, "err", err)
	}
}

func (h *handler) createQueue(c echo.Context, acct int64) error {
	var in QueueInput
	if err := decode(c, &in); err != nil {
		return err
	}
	q, err := in.queue(acct)
	if err != nil {
		return err
	}
	sq, err := h.d.Store.CreateQueue(c.Request().Context(), store.Queue{Queue: q})
	if err != nil {
		return storeErr(err, queueFields)
	}
	h.saved(sq)
	return c.JSON(http.StatusCreated, h.queueOut(acct, sq))
}

func (h *handler) updateQueue(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := h.d.Store.GetQueue(ctx, acct, id); err != nil {
		return err
	}
	var in QueueInput
	if err := decode(c, &in); err != nil {
		return err
	}
	q, err := in.queue(acct)
	if err != nil {
		return err
	}
	q.ID = id
	sq, err := h.d.Store.UpdateQueue(ctx, store.Queue{Queue: q})
	if err != nil {
		return storeErr(err, queueFields)
	}
	h.saved(sq)
	return c.JSON(http.StatusOK, h.queueOut(acct, sq))
}

func (h *handler) deleteQueue(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.d.Store.DeleteQueue(c.Request().Context(), acct, id); err != nil {
		return err
	}
	if h.d.ACD != nil {
		if err := h.d.ACD.RemoveQueue(acct, id); err != nil && !errors.Is(err, acd.ErrNotFound) {
			h.log.Error("ACD did not remove a deleted queue", "queue", id, "err", err)
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// setMembers stores a queue's new member list (computed from the current
// one) and pushes it to the ACD.
func (h *handler) setMembers(c echo.Context, acct int64, change func(cur []int64) ([]int64, error)) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.d.Store.GetQueue(ctx, acct, id)
	if err != nil {
		return err
	}
	cur.Members, err = change(cur.Members)
	if err != nil {
		return err
	}
	sq, err := h.d.Store.UpdateQueue(ctx, cur)
	if err != nil {
		return storeErr(err, queueFields)
	}
	h.saved(sq)
	return c.JSON(http.StatusOK, h.queueOut(acct, sq))
}

func (h *handler) putMembers(c echo.Context, acct int64) error {
	return h.setMembers(c, acct, func([]int64) ([]int64, error) {
		var body struct {
			Members []int64 `json:"members"`
		}
		if err := decode(c, &body); err != nil {
			return nil, err
		}
		seen := map[int64]bool{}
		for _, m := range body.Members {
			if m <= 0 {
				return nil, api.Invalid("members", "agent ids are positive integers, got %d", m)
			}
			if seen[m] {
				return nil, api.Invalid("members", "agent %d listed twice", m)
			}
			seen[m] = true
		}
		return append([]int64{}, body.Members...), nil
	})
}

func (h *handler) addMember(c echo.Context, acct int64) error {
	agent, err := api.PathID(c, "agent_id")
	if err != nil {
		return err
	}
	return h.setMembers(c, acct, func(cur []int64) ([]int64, error) {
		for _, m := range cur {
			if m == agent {
				return cur, nil
			}
		}
		return append(cur, agent), nil
	})
}

func (h *handler) removeMember(c echo.Context, acct int64) error {
	agent, err := api.PathID(c, "agent_id")
	if err != nil {
		return err
	}
	return h.setMembers(c, acct, func(cur []int64) ([]int64, error) {
		out := make([]int64, 0, len(cur))
		found := false
		for _, m := range cur {
			if m == agent {
				found = true
				continue
			}
			out = append(out, m)
		}
		if !found {
			return nil, api.NotFound("agent %d is not a member of the queue", agent)
		}
		return out, nil
	})
}

// ---- CRM / popup hooks ----

// HookInput is a CRM or popup setup as clients send it.
type HookInput struct {
	Kind     string   `json:"kind"`
	Webhook  string   `json:"webhook"`
	Events   []string `json:"events"`
	AllFlows bool     `json:"all_flows"`
	FlowIDs  []int64  `json:"flow_ids"`
}

// HookView is a hook setup as the API shows it.
type HookView struct {
	ID        int64     `json:"id"`
	AccountID int64     `json:"account_id"`
	Kind      string    `json:"kind"`
	Webhook   string    `json:"webhook"`
	Events    []string  `json:"events"`
	AllFlows  bool      `json:"all_flows"`
	FlowIDs   []int64   `json:"flow_ids"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func hookView(h store.ACDHook) HookView {
	v := HookView{ID: h.ID, AccountID: h.AccountID, Kind: string(h.Kind), Webhook: h.Webhook, Events: make([]string, len(h.Events)),
		AllFlows: h.AllFlows, FlowIDs: h.FlowIDs, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
	for i, e := range h.Events {
		v.Events[i] = string(e)
	}
	if v.FlowIDs == nil {
		v.FlowIDs = []int64{}
	}
	return v
}

var hookFields = map[string]string{"hook webhook": "webhook", "hook flow_ids": "flow_ids", "webhook name": "webhook",
	"hook kind": "kind", "hook event": "events", "hook events": "events"}

func (in HookInput) hook(acct int64) (acdconfig.Hook, error) {
	h := acdconfig.Hook{AccountID: acct, Kind: acdconfig.HookKind(in.Kind), Webhook: strings.TrimSpace(in.Webhook), AllFlows: in.AllFlows,
		FlowIDs: append([]int64{}, in.FlowIDs...)}
	for _, e := range in.Events {
		h.Events = append(h.Events, acdconfig.EventKind(e))
	}
	if err := h.Validate(); err != nil {
		return h, invalid(err, nil)
	}
	if h.AllFlows && len(h.FlowIDs) > 0 {
		return h, api.Invalid("flow_ids", "leave empty when all_flows is set")
	}
	return h, nil
}

func (h *handler) listHooks(c echo.Context, acct int64) error {
	kind := c.QueryParam("kind")
	switch acdconfig.HookKind(kind) {
	case "", acdconfig.HookCRM, acdconfig.HookPopup:
	default:
		return api.Invalid("kind", "%q is not crm or popup", kind)
	}
	hs, err := h.d.Store.ListHooks(c.Request().Context(), acct, kind)
	if err != nil {
		return err
	}
	out := make([]HookView, len(hs))
	for i, x := range hs {
		out[i] = hookView(x)
	}
	return c.JSON(http.StatusOK, map[string]any{"hooks": out})
}

func (h *handler) getHook(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	x, err := h.d.Store.GetHook(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, hookView(x))
}

func (h *handler) putHook(c echo.Context, acct, id int64) error {
	var in HookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	hk, err := in.hook(acct)
	if err != nil {
		return err
	}
	hk.ID = id
	x, err := h.d.Store.PutHook(c.Request().Context(), store.ACDHook{Hook: hk})
	if err != nil {
		return storeErr(err, hookFields)
	}
	status := http.StatusOK
	if id == 0 {
		status = http.StatusCreated
	}
	return c.JSON(status, hookView(x))
}

func (h *handler) createHook(c echo.Context, acct int64) error { return h.putHook(c, acct, 0) }

func (h *handler) updateHook(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := h.d.Store.GetHook(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return h.putHook(c, acct, id)
}

func (h *handler) deleteHook(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.d.Store.DeleteHook(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// ---- agent UI ----

func (h *handler) getUI(c echo.Context, acct int64) error {
	u, err := h.d.Store.GetAgentUI(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, u.AgentUI)
}

func (h *handler) putUI(c echo.Context, acct int64) error {
	var in struct {
		Enabled bool   `json:"enabled"`
		URL     string `json:"url"`
		Width   int    `json:"width"`
		Height  int    `json:"height"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	u := acdconfig.AgentUI{AccountID: acct, Enabled: in.Enabled, URL: strings.TrimSpace(in.URL), Width: in.Width, Height: in.Height}
	if err := u.Validate(); err != nil {
		return invalid(err, map[string]string{"width/height": "width"})
	}
	su, err := h.d.Store.PutAgentUI(c.Request().Context(), store.AgentUI{AgentUI: u})
	if err != nil {
		return storeErr(err, map[string]string{"agent UI url": "url"})
	}
	return c.JSON(http.StatusOK, su.AgentUI)
}

// ---- supervisor ----

// SupervisorAgent is one row of the supervisor's agent list: the live
// status plus how the agent is reached.
type SupervisorAgent struct {
	acd.AgentStatus
	Extension string `json:"extension,omitempty"`
	Number    string `json:"number,omitempty"`
}

func (h *handler) supervisorAgents(c echo.Context, acct int64) error {
	state := acd.State(c.QueryParam("state"))
	if state != "" && !acd.ValidState(state) {
		return api.Invalid("state", "%q is not one of logged_out, available, ringing, on_call, wrap_up, paused", state)
	}
	q := strings.ToLower(strings.TrimSpace(c.QueryParam("q")))
	if len(q) > 100 {
		return api.Invalid("q", "at most 100 characters")
	}
	if h.d.ACD == nil {
		return errNoACD
	}
	as, err := h.d.Store.ListAgents(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	cfg := make(map[int64]store.Agent, len(as))
	for _, a := range as {
		cfg[a.ID] = a
	}
	out := []SupervisorAgent{}
	for _, s := range h.d.ACD.Agents(acct, state) {
		a := cfg[s.AgentID]
		row := SupervisorAgent{AgentStatus: s, Extension: a.Extension, Number: a.Number}
		if q != "" && !strings.Contains(strings.ToLower(s.Name), q) && !strings.Contains(strings.ToLower(a.Extension), q) &&
			!strings.Contains(a.Number, q) {
			continue
		}
		out = append(out, row)
	}
	return c.JSON(http.StatusOK, map[string]any{"agents": out})
}

func (h *handler) supervisorQueues(c echo.Context, acct int64) error {
	if h.d.ACD == nil {
		return errNoACD
	}
	qs := h.d.ACD.Queues(acct)
	if qs == nil {
		qs = []acd.QueueStatus{}
	}
	return c.JSON(http.StatusOK, map[string]any{"queues": qs})
}

// stream is the supervisor's live feed (Server-Sent Events): every agent
// and queue first (event: agent / event: queue), then "event: ready",
// then each change as it happens; a comment line every Heartbeat. It ends
// when the client goes, the ACD closes the subscription or the server
// shuts down.
func (h *handler) stream(c echo.Context, acct int64) error {
	if h.d.ACD == nil {
		return errNoACD
	}
	batch := h.d.StreamBatch
	if v := c.QueryParam("batch_ms"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 5000 {
			return api.Invalid("batch_ms", "0 to 5000 milliseconds, got %q", v)
		}
		batch = time.Duration(n) * time.Millisecond
	}
	ctx := c.Request().Context()
	// Subscribe before the snapshot: no change falls between them.
	updates, cancel := h.d.ACD.Subscribe(acct)
	defer cancel()

	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set(echo.HeaderConnection, "keep-alive")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	// last is what was sent per row: an update equal to it (the engine's
	// subscription replays the current state first) is not sent again.
	last := map[string]string{}
	send := func(event, key string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if key != "" {
			if last[key] == string(b) {
				return nil
			}
			last[key] = string(b)
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		return nil
	}
	write := func(u acd.Update) error {
		if u.Kind == "agent" {
			return send("agent", fmt.Sprint("a", u.Agent.AgentID), u.Agent)
		}
		return send("queue", fmt.Sprint("q", u.Queue.QueueID), u.Queue)
	}
	for _, s := range h.d.ACD.Agents(acct, "") {
		if err := send("agent", fmt.Sprint("a", s.AgentID), s); err != nil {
			return nil // the client went away
		}
	}
	for _, s := range h.d.ACD.Queues(acct) {
		if err := send("queue", fmt.Sprint("q", s.QueueID), s); err != nil {
			return nil
		}
	}
	if err := send("ready", "", struct{}{}); err != nil {
		return nil
	}
	if err := rc.Flush(); err != nil {
		return nil
	}
	hb := time.NewTicker(h.d.Heartbeat)
	defer hb.Stop()
	// Batching: a change is written at most the batch window after it
	// came; the changes within the window are gathered (the latest row per
	// agent / queue wins) and written together with one flush.
	// At 500 agents changing twice a second that is a few writes a
	// second instead of a thousand, and rows that changed twice within a
	// window are sent once.
	pending := map[string]acd.Update{}
	var order []string
	var flushC <-chan time.Time
	var flushT *time.Timer
	defer func() {
		if flushT != nil {
			flushT.Stop()
		}
	}()
	writeBatch := func() error {
		for _, k := range order {
			u := pending[k]
			if err := write(u); err != nil {
				return err
			}
		}
		clear(pending)
		order = order[:0]
		return rc.Flush()
	}
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-h.d.Done:
			return nil
		case <-hb.C:
			if _, err = io.WriteString(w, ": ping\n\n"); err == nil {
				err = rc.Flush()
			}
		case <-flushC:
			flushC = nil
			err = writeBatch()
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			var k string
			switch {
			case u.Kind == "agent" && u.Agent != nil && u.Agent.AccountID == acct:
				k = fmt.Sprint("a", u.Agent.AgentID)
			case u.Kind == "queue" && u.Queue != nil && u.Queue.AccountID == acct:
				k = fmt.Sprint("q", u.Queue.QueueID)
			default:
				continue
			}
			if batch <= 0 {
				if err = write(u); err == nil {
					err = rc.Flush()
				}
				break
			}
			if _, ok := pending[k]; !ok {
				order = append(order, k)
			}
			pending[k] = u
			if flushC == nil {
				if flushT == nil {
					flushT = time.NewTimer(batch)
				} else {
					flushT.Reset(batch)
				}
				flushC = flushT.C
			}
		}
		if err != nil {
			return nil
		}
	}
}
