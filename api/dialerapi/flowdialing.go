package dialerapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// Dialing is an outbound flow's dialing settings as the API shows them.
type Dialing struct {
	// FlowID is an integer like every other id (flowIDOut).
	FlowID *int64 `json:"flow_id"`
	dialer.FlowDialing
	// Configured is false while the flow runs on the defaults (nothing
	// stored yet: the first import stores them).
	Configured bool `json:"configured"`
}

// dialingInput is a PUT body: the settings, over the current ones (a
// field left out keeps its value), plus the refused endpoint_template.
type dialingInput struct {
	dialer.FlowDialing
	EndpointTemplate string `json:"endpoint_template"`
}

// outboundFlow reads the flow of the path and checks that it dials out.
func (h *handler) outboundFlow(c echo.Context, acct int64) (string, error) {
	id, err := pathID(c)
	if err != nil {
		return "", err
	}
	f, err := h.d.Store.GetFlow(c.Request().Context(), acct, id)
	if err != nil {
		return "", err
	}
	if f.Type == "inbound" {
		return "", api.Conflict("flow %d is an inbound flow: only outbound flows (multicast, dialer, emergency notification) dial call lists", id)
	}
	return strconv.FormatInt(id, 10), nil
}

// current returns the flow's stored settings, or the defaults.
func (h *handler) current(ctx context.Context, acct int64, flowID string) (Dialing, error) {
	sc, err := h.d.Store.GetFlowCampaign(ctx, acct, flowID)
	if errors.Is(err, store.ErrNotFound) {
		return Dialing{FlowID: flowIDOut(flowID), FlowDialing: dialer.DefaultFlowDialing(h.d.DefaultTrunk)}, nil
	}
	if err != nil {
		return Dialing{}, err
	}
	return Dialing{FlowID: flowIDOut(flowID), FlowDialing: dialer.FlowDialingOf(sc.Campaign), Configured: true}, nil
}

func (h *handler) getDialing(c echo.Context, acct int64) error {
	flowID, err := h.outboundFlow(c, acct)
	if err != nil {
		return err
	}
	d, err := h.current(c.Request().Context(), acct, flowID)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

func (h *handler) putDialing(c echo.Context, acct int64) error {
	flowID, err := h.outboundFlow(c, acct)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	cur, err := h.current(ctx, acct, flowID)
	if err != nil {
		return err
	}
	b, err := io.ReadAll(io.LimitReader(c.Request().Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("read body: %w", err)
	}
	if len(b) > maxBody {
		return &api.Error{Code: "too_large", Status: http.StatusRequestEntityTooLarge, Message: "dialing settings over 64 KiB"}
	}
	in := dialingInput{FlowDialing: cur.FlowDialing}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return api.Invalid(strings.TrimPrefix(te.Field, "FlowDialing."), "must be a JSON %s, got a %s", te.Type.String(), te.Value)
		}
		return api.Invalid("body", "not a dialing-settings JSON object: %v", err)
	}
	if dec.More() {
		return api.Invalid("body", "one JSON object expected")
	}
	if in.EndpointTemplate != "" {
		return errEndpointTemplate(h.d.Trunks)
	}
	d := in.FlowDialing
	if d.Trunk, err = h.trunk(d.Trunk); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return err // coded: names the field, says what is wrong
	}
	sc, err := h.d.Store.PutFlowCampaign(ctx, store.Campaign{Campaign: d.Campaign(acct, flowID)}, false)
	if err != nil {
		return err
	}
	if h.d.Live != nil {
		if err := h.d.Live.Notify(context.WithoutCancel(ctx), acct, sc.ID); err != nil {
			h.d.Logger.Warn("dialer not notified of a flow's dialing settings", "flow", flowID, "error", err)
		}
	}
	return c.JSON(http.StatusOK, Dialing{FlowID: flowIDOut(flowID), FlowDialing: dialer.FlowDialingOf(sc.Campaign), Configured: true})
}
