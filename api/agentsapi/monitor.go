package agentsapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/store"
)

// MonitorACD is the live engine's side of supervisor listen / whisper /
// barge (*acd.ACD implements it).
type MonitorACD interface {
	StartMonitor(ctx context.Context, r acd.MonitorRequest) (acd.Monitor, error)
	StopMonitor(accountID int64, id string) error
	Monitors(accountID int64) []acd.Monitor
}

// MonitorStore keeps the audit of monitors (*store.Store implements it).
type MonitorStore interface {
	AddSupervisorMonitor(ctx context.Context, m store.SupervisorMonitor) error
	EndSupervisorMonitor(ctx context.Context, accountID int64, id string, at time.Time, reason string) error
	ListSupervisorMonitors(ctx context.Context, f store.JournalFilter) ([]store.SupervisorMonitor, error)
	GetUserByID(ctx context.Context, id int64) (store.User, error)
}

func registerMonitors(g *echo.Group, h *handler) {
	g.POST("/supervisor/agents/:id/monitor", api.WithAccount(h.startMonitor))
	g.GET("/supervisor/monitors", api.WithAccount(h.listMonitors))
	g.DELETE("/supervisor/monitors/:id", api.WithAccount(h.stopMonitor))
	g.GET("/supervisor/monitor-audit", api.WithAccount(h.monitorAudit))
	g.GET("/supervisor/day", api.WithAccount(h.supervisorDay))
}

func (h *handler) monitorDeps() (MonitorACD, MonitorStore, error) {
	m, ok := h.d.ACD.(MonitorACD)
	if h.d.ACD == nil || !ok {
		return nil, nil, errNoACD
	}
	s, ok := h.d.Store.(MonitorStore)
	if !ok {
		return nil, nil, errNoACD
	}
	return m, s, nil
}

// startMonitor calls the supervisor's phone (an agent line of the same
// account) and connects it to the agent's call: listen, whisper or barge.
// The audit record is written before the phone rings; its end when the
// monitor ends.
func (h *handler) startMonitor(c echo.Context, acct int64) error {
	m, st, err := h.monitorDeps()
	if err != nil {
		return err
	}
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	var in struct {
		Mode         string `json:"mode"`
		PhoneAgentID int64  `json:"phone_agent_id"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	if !acd.ValidMonitorMode(acd.MonitorMode(in.Mode)) {
		return api.Invalid("mode", "%q is not one of listen, whisper, barge", in.Mode)
	}
	if in.PhoneAgentID <= 0 {
		return api.Invalid("phone_agent_id", "the agent whose line is the supervisor's phone is required")
	}
	p, _ := api.PrincipalFrom(c)
	by := fmt.Sprintf("api key %d", p.KeyID)
	if p.UserID > 0 {
		by = fmt.Sprintf("user %d", p.UserID)
		if u, err := st.GetUserByID(c.Request().Context(), p.UserID); err == nil && u.AccountID == acct {
			by = u.Email
		}
	}
	ctx := context.WithoutCancel(c.Request().Context())
	log := h.log
	mon, err := m.StartMonitor(ctx, acd.MonitorRequest{
		AccountID: acct, AgentID: id, Mode: acd.MonitorMode(in.Mode), PhoneAgentID: in.PhoneAgentID, By: by,
		// No monitor without its audit record: written before the
		// supervisor's phone is dialed.
		OnStart: func(x acd.Monitor) error {
			rec := store.SupervisorMonitor{ID: x.ID, AccountID: acct, AgentID: id, PhoneAgentID: in.PhoneAgentID, Mode: in.Mode,
				ByUserID: p.UserID, ByKeyID: p.KeyID, By: by, CallID: x.CallID, StartedAt: x.StartedAt, Node: h.d.Node}
			if err := st.AddSupervisorMonitor(ctx, rec); err != nil {
				return fmt.Errorf("audit supervisor monitor: %w", err)
			}
			return nil
		},
		OnEnd: func(x acd.Monitor) {
			ectx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := st.EndSupervisorMonitor(ectx, x.AccountID, x.ID, x.EndedAt, x.EndReason); err != nil {
				log.Warn("supervisor monitor audit end not written", "monitor", x.ID, "error", err)
			}
		},
	})
	if err != nil {
		return err
	}
	h.log.Info("supervisor monitor started", "account", acct, "monitor", mon.ID, "agent", id, "mode", in.Mode, "by", by)
	return c.JSON(http.StatusCreated, mon)
}

func (h *handler) listMonitors(c echo.Context, acct int64) error {
	m, _, err := h.monitorDeps()
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"monitors": m.Monitors(acct)})
}

func (h *handler) stopMonitor(c echo.Context, acct int64) error {
	m, _, err := h.monitorDeps()
	if err != nil {
		return err
	}
	if err := m.StopMonitor(acct, c.Param("id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// monitorAudit lists who listened to, whispered to or barged into whom
// (admins).
func (h *handler) monitorAudit(c echo.Context, acct int64) error {
	_, st, err := h.monitorDeps()
	if err != nil {
		return err
	}
	f := store.JournalFilter{AccountID: acct}
	if v := c.QueryParam("agent_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return api.Invalid("agent_id", "must be a positive integer")
		}
		f.AgentID = n
	}
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.QueryParam(p.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return api.Invalid(p.name, "an RFC 3339 time, got %q", v)
			}
			*p.t = t
		}
	}
	rows, err := st.ListSupervisorMonitors(c.Request().Context(), f)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"monitors": rows})
}
