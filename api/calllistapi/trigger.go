package calllistapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// TriggerResponse answers a trigger request: the request id and one status
// per call, in the order of calls[].
type TriggerResponse struct {
	RequestID string        `json:"request-id"`
	Status    string        `json:"status"`
	Accepted  int           `json:"accepted"`
	Rejected  int           `json:"rejected"`
	Calls     []CallOutcome `json:"calls"`
}

// CallOutcome is the status of calls[Index].
type CallOutcome struct {
	Index            int    `json:"index"`
	ClientIdentifier string `json:"client-identifier"`
	Accepted         bool   `json:"accepted"`
	// Status: PENDING (accepted, waiting for its start time), IN_PROCESS
	// or COMPLETE (accepted and already taken by the flow's automatic
	// dialing, which may claim a call due now before this answer is
	// written), INVALID or SCRUBBED (DNC/NDNC).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

func (h *handler) decode(c echo.Context) (calllist.Trigger, error) {
	if err := tooLarge(c, MaxTriggerBody, "the request body"); err != nil {
		return calllist.Trigger{}, err
	}
	capBody(c, MaxTriggerBody)
	t, err := calllist.DecodeTrigger(c.Request().Body)
	if err != nil {
		if isMaxBytes(err) {
			return calllist.Trigger{}, &api.Error{Code: "payload_too_large", Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("the request body exceeds %d bytes", MaxTriggerBody)}
		}
		var te *calllist.TriggerError
		if errors.As(err, &te) {
			if te.Field == "body" {
				return calllist.Trigger{}, &api.Error{Code: api.CodeBadRequest, Field: "body", Message: te.Message}
			}
			return calllist.Trigger{}, api.Invalid(te.Field, "%s", te.Message)
		}
		return calllist.Trigger{}, err
	}
	return t, nil
}

// triggerV1 is POST /api/v1/calllists/trigger: the caller is the Bearer
// key's account; a security-id in the body, if any, must be a key of the
// same account.
func (h *handler) triggerV1(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	t, err := h.decode(c)
	if err != nil {
		return err
	}
	if strings.TrimSpace(t.SecurityID) != "" {
		p, err := h.d.Store.AuthenticateAPIKey(c.Request().Context(), strings.TrimSpace(t.SecurityID))
		if err != nil || p.AccountID != acc {
			api.AuthFailed(c)
			return &api.Error{Code: api.CodeUnauthorized, Field: "security-id", Message: "security-id is not an API key of this account", Err: err}
		}
	}
	return h.trigger(c, acc, t, "")
}

// triggerKairos serves the outbound-flow trigger webservice paths
// (/kairos-apis/outbound/create, /kairos-apis/outbounddialer/create):
// the body's security-id authenticates.
func (h *handler) triggerKairos(c echo.Context, flowType string) error {
	// The key is in the body: these routes count failures themselves.
	if err := api.AuthAllowed(c); err != nil {
		return err
	}
	t, err := h.decode(c)
	if err != nil {
		return err
	}
	key := strings.TrimSpace(t.SecurityID)
	if key == "" {
		api.AuthFailed(c)
		return &api.Error{Code: api.CodeUnauthorized, Field: "security-id", Message: "security-id is required (your account API key)"}
	}
	p, err := h.d.Store.AuthenticateAPIKey(c.Request().Context(), key)
	if err != nil {
		if errors.Is(err, store.ErrUnauthenticated) || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
			api.AuthFailed(c)
			h.log.Info("trigger: security-id rejected", "err", err)
			return &api.Error{Code: api.CodeUnauthorized, Field: "security-id", Message: "invalid security-id", Err: err}
		}
		return err
	}
	return h.trigger(c, p.AccountID, t, flowType)
}

func (h *handler) trigger(c echo.Context, acc int64, t calllist.Trigger, wantType string) error {
	ctx := c.Request().Context()
	if err := h.checkAccess(c, acc); err != nil {
		return err
	}
	f, err := h.flow(ctx, acc, t.FlowID)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Field == "flow_id" {
			ae.Field = "flow-id"
		}
		return err
	}
	if wantType != "" && f.Type != wantType {
		right := "/kairos-apis/outbound/create"
		if f.Type == FlowTypeDialer {
			right = "/kairos-apis/outbounddialer/create"
		}
		return api.Invalid("flow-id", "flow %q is an %s flow: trigger it at %s", f.ID, f.Type, right)
	}
	v, err := h.validator(ctx, acc)
	if err != nil {
		return err
	}
	i := 0
	loc := h.loc(ctx, acc)
	next := func() (calllist.Record, error) {
		if i >= len(t.Calls) {
			return calllist.Record{}, io.EOF
		}
		i++
		return t.Record(i-1, f.Variables, loc)
	}
	req, err := h.d.Store.ImportCallList(ctx, store.CallListImport{
		AccountID: acc, FlowID: f.ID, FlowName: f.Name, FlowType: f.Type, Source: store.SourceAPI,
	}, source(next, v))
	if err != nil {
		return err
	}
	recs, err := h.d.Store.ListCallListRecords(ctx, acc, req.ID, 0, calllist.MaxTriggerCalls)
	if err != nil {
		return err
	}
	resp := TriggerResponse{RequestID: req.ID, Status: req.Status, Calls: make([]CallOutcome, 0, len(recs))}
	for _, r := range recs {
		o := CallOutcome{Index: int(r.Row) - 1, ClientIdentifier: t.Calls[r.Row-1].ClientIdentifier, Status: r.Status, Reason: r.Reason}
		o.Accepted = r.Status != store.RecordInvalid && r.Status != store.RecordScrubbed
		if o.Accepted {
			resp.Accepted++
		} else {
			resp.Rejected++
		}
		resp.Calls = append(resp.Calls, o)
	}
	api.Logger(c).Info("call list triggered", "request_id", req.ID, "flow_id", f.ID, "accepted", resp.Accepted, "rejected", resp.Rejected)
	return c.JSON(http.StatusOK, resp)
}
