package agentsapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/store"
)

// The agent desk: a console user linked to an agent (AgentInput.UserID)
// works as that agent under /api/v1/me/agent — only ever on themselves:
// the agent is the caller's, never taken from the path.

// Channels is what the desk's call controls need from Asterisk
// (*ari.Client implements it).
type Channels interface {
	Hangup(ctx context.Context, id, reason string) error
	StartMOH(ctx context.Context, channelID, class string) error
	StopMOH(ctx context.Context, channelID string) error
}

// Phone is how agents' phones reach Asterisk (the desk's phone setup).
type Phone struct {
	// WebRTCURL is the websocket the browser phone registers on.
	WebRTCURL string
	// SIPHost is the host[:port] softphones and desk phones register with.
	SIPHost string
}

// MeAgent is the desk's view of the caller's agent.
type MeAgent struct {
	Agent  AgentView        `json:"agent"`
	Status *acd.AgentStatus `json:"status,omitempty"`
	// LoginTypes are the login types the agent may choose at login: the
	// SIP ones for an agent with an extension, its own otherwise.
	LoginTypes []string `json:"login_types"`
	// TransferQueues are the account's queues a call can be transferred
	// to.
	TransferQueues []string `json:"transfer_queues"`
}

// PhoneSetup is what a phone needs to register as the agent. Password is
// present only in the answer that generated it (softphone / desk phone:
// a one-time display) or for the browser phone, which registers with it.
type PhoneSetup struct {
	LoginType string `json:"login_type"`
	Host      string `json:"host,omitempty"`
	WebRTCURL string `json:"webrtc_url,omitempty"`
	User      string `json:"user,omitempty"`
	Password  string `json:"password,omitempty"`
}

// DeskCall is one call of the desk's history.
type DeskCall struct {
	CallID      string     `json:"call_id"`
	QueueID     int64      `json:"queue_id,omitempty"`
	Customer    string     `json:"customer"`
	OfferedAt   time.Time  `json:"offered_at"`
	AnsweredAt  *time.Time `json:"answered_at,omitempty"`
	EndedAt     *time.Time `json:"ended_at,omitempty"`
	Outcome     string     `json:"outcome"`
	Disposition string     `json:"disposition,omitempty"`
}

func registerMe(g *echo.Group, h *handler) {
	g.GET("/me/agent", h.me(h.meGet))
	g.POST("/me/agent/login", h.me(h.meLogin))
	g.POST("/me/agent/logout", h.me(h.meAction("logout")))
	g.POST("/me/agent/pause", h.me(h.meAction("pause")))
	g.POST("/me/agent/unpause", h.me(h.meAction("unpause")))
	g.POST("/me/agent/disposition", h.me(h.meAction("disposition")))
	g.POST("/me/agent/hangup", h.me(h.meHangup))
	g.POST("/me/agent/hold", h.me(h.meHold))
	g.POST("/me/agent/transfer", h.me(h.meTransfer))
	g.GET("/me/agent/transfer", h.me(h.meTransferTargets))
	g.GET("/me/agent/calls", h.me(h.meCalls))
	g.GET("/me/agent/phone", h.me(h.mePhone))
	g.POST("/me/agent/phone/password", h.me(h.mePassword))
	g.GET("/me/agent/stream", h.me(h.meStream))
}

var errNoAgent = &api.Error{Code: api.CodeNotFound, Status: http.StatusNotFound,
	Message: "no agent is linked to your user: an admin sets user_id on the agent"}

// me resolves the caller's agent (a user's session or a key bound to a
// user) before the handler.
func (h *handler) me(fn func(c echo.Context, a store.Agent) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		p, ok := api.PrincipalFrom(c)
		if !ok || p.AccountID <= 0 {
			return api.ErrUnauthorized
		}
		if p.UserID <= 0 {
			return errNoAgent
		}
		a, err := h.d.Store.GetAgentByUser(c.Request().Context(), p.AccountID, p.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return errNoAgent
		}
		if err != nil {
			return err
		}
		return fn(c, a)
	}
}

func loginTypes(a store.Agent) []string {
	if a.Extension != "" {
		return []string{string(acdconfig.LoginBrowser), string(acdconfig.LoginSoftphone), string(acdconfig.LoginDeskPhone)}
	}
	return []string{string(a.LoginType)}
}

func (h *handler) meGet(c echo.Context, a store.Agent) error {
	v := agentView(a)
	h.withStatus(a.AccountID, &v)
	qs, err := h.d.Store.ListQueues(c.Request().Context(), a.AccountID)
	if err != nil {
		return err
	}
	out := MeAgent{Agent: v, Status: v.Status, LoginTypes: loginTypes(a), TransferQueues: make([]string, 0, len(qs))}
	for _, q := range qs {
		out.TransferQueues = append(out.TransferQueues, q.Name)
	}
	out.Agent.Status = nil
	return c.JSON(http.StatusOK, out)
}

// meLogin logs the agent in, first switching to the login type chosen
// (browser phone, softphone, desk phone: the endpoint is re-provisioned
// for it).
func (h *handler) meLogin(c echo.Context, a store.Agent) error {
	var body struct {
		LoginType string `json:"login_type"`
	}
	if c.Request().ContentLength != 0 {
		if err := decode(c, &body); err != nil {
			return err
		}
	}
	if h.d.ACD == nil {
		return errNoACD
	}
	if lt := acdconfig.LoginType(body.LoginType); lt != "" && lt != a.LoginType {
		if !slices.Contains(loginTypes(a), body.LoginType) {
			return api.Invalid("login_type", "%q: this agent can log in with %v", body.LoginType, loginTypes(a))
		}
		if st, err := h.d.ACD.Agent(a.AccountID, a.ID); err == nil && st.State != acd.StateLoggedOut {
			return &api.Error{Code: api.CodeConflict, Status: http.StatusConflict, Field: "login_type",
				Message: "log out before changing the login type"}
		}
		a.LoginType = lt
		ctx := c.Request().Context()
		sa, err := h.d.Store.UpdateAgent(ctx, a)
		if err != nil {
			return storeErr(err, agentFields)
		}
		a = sa
		if err := h.d.ACD.PutAgent(a.Agent); err != nil {
			return acdErr(err)
		}
		if h.d.Provisioner != nil {
			if err := h.d.Provisioner.Ensure(ctx, a.Agent); err != nil {
				return endpointErr(err, "your phone's endpoint is not ready; try again")
			}
		}
	}
	return h.act(c, a.AccountID, a.ID, "login", "", "")
}

func (h *handler) meAction(name string) func(c echo.Context, a store.Agent) error {
	return func(c echo.Context, a store.Agent) error {
		reason, code, err := actionBody(c, name)
		if err != nil {
			return err
		}
		if h.d.ACD == nil {
			return errNoACD
		}
		return h.act(c, a.AccountID, a.ID, name, reason, code)
	}
}

// currentCall is the customer's channel of the agent's call in progress.
func (h *handler) currentCall(a store.Agent) (string, error) {
	if h.d.ACD == nil {
		return "", errNoACD
	}
	st, err := h.d.ACD.Agent(a.AccountID, a.ID)
	if err != nil {
		return "", acdErr(err)
	}
	if st.State != acd.StateOnCall || st.CallID == "" {
		return "", &api.Error{Code: api.CodeConflict, Status: http.StatusConflict,
			Message: fmt.Sprintf("no call in progress (%s)", st.State)}
	}
	if h.d.Channels == nil {
		return "", errNoACD
	}
	return st.CallID, nil
}

// meHangup ends the call in progress (the customer's side: the agent
// goes to wrap-up as when the customer hangs up).
func (h *handler) meHangup(c echo.Context, a store.Agent) error {
	ch, err := h.currentCall(a)
	if err != nil {
		return err
	}
	if err := h.d.Channels.Hangup(c.Request().Context(), ch, "normal"); err != nil {
		return fmt.Errorf("hang up %s: %w", ch, err)
	}
	return c.NoContent(http.StatusNoContent)
}

// meHold puts the customer on hold (music) or takes them off it.
func (h *handler) meHold(c echo.Context, a store.Agent) error {
	var body struct {
		Hold bool `json:"hold"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	ch, err := h.currentCall(a)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if body.Hold {
		err = h.d.Channels.StartMOH(ctx, ch, "")
	} else {
		err = h.d.Channels.StopMOH(ctx, ch)
	}
	if err != nil {
		return fmt.Errorf("hold %s: %w", ch, err)
	}
	return c.JSON(http.StatusOK, map[string]bool{"hold": body.Hold})
}

// TransferTargets is where the desk can transfer a call now: the
// account's queues, and its other agents logged in and available.
type TransferTargets struct {
	Queues []string         `json:"queues"`
	Agents []TransferTarget `json:"agents"`
}

// TransferTarget is an agent a call can be transferred to.
type TransferTarget struct {
	AgentID int64  `json:"agent_id"`
	Name    string `json:"name"`
}

// meTransferTargets lists the queues and the available agents a call can
// be transferred to.
func (h *handler) meTransferTargets(c echo.Context, a store.Agent) error {
	qs, err := h.d.Store.ListQueues(c.Request().Context(), a.AccountID)
	if err != nil {
		return err
	}
	out := TransferTargets{Queues: make([]string, 0, len(qs)), Agents: []TransferTarget{}}
	for _, q := range qs {
		out.Queues = append(out.Queues, q.Name)
	}
	if h.d.ACD != nil {
		for _, s := range h.d.ACD.Agents(a.AccountID, acd.StateAvailable) {
			if s.AgentID != a.ID {
				out.Agents = append(out.Agents, TransferTarget{AgentID: s.AgentID, Name: s.Name})
			}
		}
		slices.SortFunc(out.Agents, func(x, y TransferTarget) int {
			if x.Name != y.Name {
				if x.Name < y.Name {
					return -1
				}
				return 1
			}
			return int(x.AgentID - y.AgentID)
		})
	}
	return c.JSON(http.StatusOK, out)
}

// meTransfer sends the caller of the call in progress to another queue or
// to another available agent of the account (the agent goes to wrap-up).
func (h *handler) meTransfer(c echo.Context, a store.Agent) error {
	var body struct {
		Queue   string `json:"queue"`
		AgentID int64  `json:"agent_id"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	switch {
	case body.Queue == "" && body.AgentID == 0:
		return api.Invalid("queue", "required: the name of a queue of the account, or agent_id")
	case body.Queue != "" && body.AgentID != 0:
		return api.Invalid("agent_id", "give either queue or agent_id, not both")
	case body.AgentID < 0:
		return api.Invalid("agent_id", "an agent id of the account, got %d", body.AgentID)
	}
	if h.d.ACD == nil {
		return errNoACD
	}
	ctx := c.Request().Context()
	var err error
	if body.AgentID != 0 {
		err = h.d.ACD.TransferToAgent(ctx, a.AccountID, a.ID, body.AgentID)
	} else {
		err = h.d.ACD.Transfer(ctx, a.AccountID, a.ID, body.Queue)
	}
	if err != nil {
		return acdErr(err)
	}
	st, err := h.d.ACD.Agent(a.AccountID, a.ID)
	if err != nil {
		return acdErr(err)
	}
	return c.JSON(http.StatusOK, st)
}

// meCalls is the agent's calls of the day (since local midnight of the
// server, or since the RFC 3339 time in ?since=).
func (h *handler) meCalls(c echo.Context, a store.Agent) error {
	now := time.Now()
	since := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
	if v := c.QueryParam("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return api.Invalid("since", "an RFC 3339 time, got %q", v)
		}
		since = t
	}
	rows, err := h.d.Store.ListAgentCalls(c.Request().Context(), store.JournalFilter{AccountID: a.AccountID, AgentID: a.ID, From: since})
	if err != nil {
		return err
	}
	out := make([]DeskCall, 0, len(rows))
	for i := len(rows) - 1; i >= 0; i-- { // newest first
		r := rows[i]
		out = append(out, DeskCall{CallID: r.CallID, QueueID: r.QueueID, Customer: r.Customer, OfferedAt: r.OfferedAt,
			AnsweredAt: r.AnsweredAt, EndedAt: r.EndedAt, Outcome: r.Outcome, Disposition: r.Disposition})
	}
	return c.JSON(http.StatusOK, map[string]any{"calls": out})
}

func (h *handler) phoneSetup(a store.Agent) PhoneSetup {
	ps := PhoneSetup{LoginType: string(a.LoginType)}
	if !a.LoginType.SIP() {
		return ps
	}
	ps.User = a.Extension
	ps.Host = h.d.Phone.SIPHost
	if a.LoginType == acdconfig.LoginBrowser {
		ps.WebRTCURL = h.d.Phone.WebRTCURL
		ps.Password = a.SIPPassword // the desk's own phone registers with it
	}
	return ps
}

// mePhone is the phone setup of the agent's login type.
func (h *handler) mePhone(c echo.Context, a store.Agent) error {
	return c.JSON(http.StatusOK, h.phoneSetup(a))
}

// mePassword gives the agent's softphone or desk phone a new password,
// shown once (the old one stops working).
func (h *handler) mePassword(c echo.Context, a store.Agent) error {
	if !a.LoginType.SIP() || a.Extension == "" {
		return &api.Error{Code: api.CodeConflict, Status: http.StatusConflict,
			Message: "only softphone, desk phone and browser agents register a phone"}
	}
	pw, err := h.d.NewPassword()
	if err != nil {
		return fmt.Errorf("generate SIP password: %w", err)
	}
	a.SIPPassword = pw
	ctx := c.Request().Context()
	sa, err := h.d.Store.UpdateAgent(ctx, a)
	if err != nil {
		return storeErr(err, agentFields)
	}
	if h.d.ACD != nil {
		if err := h.d.ACD.PutAgent(sa.Agent); err != nil {
			h.log.Error("ACD refused a stored agent", "agent", a.ID, "err", err)
		}
	}
	if h.d.Provisioner != nil {
		if err := h.d.Provisioner.Ensure(ctx, sa.Agent); err != nil {
			return endpointErr(err, "the new password is saved but not on Asterisk yet; try again")
		}
	}
	ps := h.phoneSetup(sa)
	ps.Password = pw
	return c.JSON(http.StatusOK, ps)
}

// meStream is the desk's live feed (Server-Sent Events): the agent's own
// status (event: agent) first and at every change — state, the call
// offered or in progress with the customer's number and id (the desk's
// popup) — and a comment line every Heartbeat.
func (h *handler) meStream(c echo.Context, a store.Agent) error {
	if h.d.ACD == nil {
		return errNoACD
	}
	ctx := c.Request().Context()
	updates, cancel := h.d.ACD.Subscribe(a.AccountID)
	defer cancel()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w.Writer)
	last := ""
	send := func(st acd.AgentStatus) error {
		b, err := json.Marshal(st)
		if err != nil {
			return err
		}
		if string(b) == last {
			return nil
		}
		last = string(b)
		if _, err := fmt.Fprintf(w, "event: agent\ndata: %s\n\n", b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if st, err := h.d.ACD.Agent(a.AccountID, a.ID); err == nil {
		if send(st) != nil {
			return nil
		}
	}
	hb := time.NewTicker(h.d.Heartbeat)
	defer hb.Stop()
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
		case u, ok := <-updates:
			if !ok {
				return nil
			}
			if u.Kind == "agent" && u.Agent != nil && u.Agent.AccountID == a.AccountID && u.Agent.AgentID == a.ID {
				err = send(*u.Agent)
			}
		}
		if err != nil {
			return nil
		}
	}
}
