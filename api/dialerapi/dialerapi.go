// Package dialerapi serves dialer campaigns under /api/v1: CRUD, the
// lifecycle actions (start, pause, resume, cancel), live progress and an
// outbound flow's dialing settings. The handlers only decode the request,
// call the campaign service (dialer/campaigns, where every campaign rule
// lives) and encode its answer.
package dialerapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/campaigns"
)

// Campaigns is the campaign service as the handlers use it
// (*campaigns.Service implements it).
type Campaigns interface {
	Search(ctx context.Context, acct int64, f campaigns.Filter) ([]campaigns.Campaign, error)
	Get(ctx context.Context, acct, id int64) (campaigns.Campaign, error)
	Create(ctx context.Context, acct int64, in campaigns.Input) (campaigns.Campaign, error)
	Update(ctx context.Context, acct, id int64, in campaigns.Input) (campaigns.Campaign, error)
	Delete(ctx context.Context, acct, id int64) error
	Transition(ctx context.Context, acct, id int64, action string) (campaigns.Campaign, error)
	Progress(ctx context.Context, acct, id int64) (campaigns.Progress, error)
	FlowDialing(ctx context.Context, acct, flowID int64) (campaigns.Dialing, error)
	SetFlowDialing(ctx context.Context, acct, flowID int64, change func(*campaigns.DialingInput) error) (campaigns.Dialing, error)
	Trunks() []campaigns.Trunk
}

// Deps configures the handlers.
type Deps struct {
	Campaigns Campaigns
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Campaigns == nil {
		panic("dialerapi: Deps.Campaigns is required")
	}
	h := &handler{s: d.Campaigns}
	g.GET("/campaigns", api.WithAccount(h.list))
	g.POST("/campaigns", api.WithAccount(h.create))
	g.GET("/campaigns/:id", api.WithAccount(h.get))
	g.PUT("/campaigns/:id", api.WithAccount(h.update))
	g.DELETE("/campaigns/:id", api.WithAccount(h.remove))
	for _, a := range campaigns.Actions {
		g.POST("/campaigns/:id/"+a, api.WithAccount(h.action(a)))
	}
	g.GET("/campaigns/:id/progress", api.WithAccount(h.progress))
	g.GET("/flows/:id/dialing", api.WithAccount(h.getDialing))
	g.PUT("/flows/:id/dialing", api.WithAccount(h.putDialing))
	g.GET("/trunks", api.WithAccount(h.trunks))
}

// trunks lists the trunks the account's campaigns and flows may name.
func (h *handler) trunks(c echo.Context, _ int64) error {
	return c.JSON(http.StatusOK, map[string]any{"trunks": h.s.Trunks()})
}

type handler struct{ s Campaigns }

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

func view(c campaigns.Campaign) View {
	return View{Campaign: c.Campaign, FlowID: campaigns.FlowIDOut(c.FlowID), MachineFlowID: campaigns.FlowIDOut(c.MachineFlowID),
		StartedAt: c.StartedAt, EndedAt: c.EndedAt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

const maxBody = 64 << 10

// readBody reads a JSON document of at most maxBody bytes.
func readBody(c echo.Context, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxBody {
		return nil, &api.Error{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Message: what + " over 64 KiB"}
	}
	return b, nil
}

// decodeInto decodes one JSON object into dst; unknown fields are refused
// so a typo does not silently keep a default. A type error names the
// field as clients spell it.
func decodeInto(b []byte, dst any, what string) error {
	err := api.DecodeJSONBytes(b, dst)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, campaigns.ErrFlowRef):
		return api.Invalid("flow_id", "flow_id and machine_flow_id are integer flow ids")
	}
	var ae *api.Error
	if errors.As(err, &ae) {
		// The flow dialing settings are embedded: clients spell their
		// fields without the Go prefix.
		ae.Field = strings.TrimPrefix(ae.Field, "FlowDialing.")
		if ae.Field == "body" {
			ae.Message = "the " + what + ": " + ae.Message
		}
	}
	return err
}

// decode reads a campaign input.
func decode(c echo.Context) (campaigns.Input, error) {
	b, err := readBody(c, "campaign document")
	if err != nil {
		return campaigns.Input{}, err
	}
	var in campaigns.Input
	if err := decodeInto(b, &in, "campaign"); err != nil {
		return campaigns.Input{}, err
	}
	return in, nil
}

func (h *handler) list(c echo.Context, acct int64) error {
	f, err := campaigns.FilterFrom(c.QueryParam)
	if err != nil {
		return err
	}
	cs, err := h.s.Search(c.Request().Context(), acct, f)
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
	cp, err := h.s.Create(c.Request().Context(), acct, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, view(cp))
}

func (h *handler) get(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	cp, err := h.s.Get(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view(cp))
}

func (h *handler) update(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	// An unknown campaign is a 404 before a bad body is a 422.
	if _, err := h.s.Get(ctx, acct, id); err != nil {
		return err
	}
	in, err := decode(c)
	if err != nil {
		return err
	}
	cp, err := h.s.Update(ctx, acct, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, view(cp))
}

func (h *handler) remove(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.s.Delete(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) action(action string) func(c echo.Context, acct int64) error {
	return func(c echo.Context, acct int64) error {
		id, err := api.PathID(c, "id")
		if err != nil {
			return err
		}
		cp, err := h.s.Transition(c.Request().Context(), acct, id, action)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, view(cp))
	}
}

func (h *handler) progress(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.s.Progress(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

func (h *handler) getDialing(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.s.FlowDialing(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// putDialing writes the body over the current settings: a field left out
// keeps its value.
func (h *handler) putDialing(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	d, err := h.s.SetFlowDialing(c.Request().Context(), acct, id, func(in *campaigns.DialingInput) error {
		b, err := readBody(c, "dialing settings")
		if err != nil {
			return err
		}
		return decodeInto(b, in, "dialing-settings")
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}
