package calllistapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

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
	resp, err := h.d.Intake.Trigger(ctx, acc, t, wantType)
	if err != nil {
		return err
	}
	api.Logger(c).Info("call list triggered", "request_id", resp.RequestID, "flow_id", strings.TrimSpace(t.FlowID), "accepted", resp.Accepted, "rejected", resp.Rejected)
	return c.JSON(http.StatusOK, resp)
}
