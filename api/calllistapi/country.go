package calllistapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/store"
)

// Country is the account's default country for national numbers (numbers
// written without a country code) in call lists, the trigger API, the
// access lists and the dialer. Empty: numbers need their country code
// (unless the server sets a default).
type Country struct {
	Country string `json:"country"`
}

func (h *handler) getCountry(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	cc, err := h.d.Store.AccountCountry(c.Request().Context(), acc)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, Country{Country: cc})
}

func (h *handler) putCountry(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	var in Country
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: `body must be JSON {"country": "IN"}`, Err: err}
	}
	cc, err := store.NormalizeCountry(in.Country)
	if err != nil {
		return api.Invalid("country", "%q is not an ISO 3166-1 alpha-2 country code with a calling code (e.g. IN, US, DE); empty clears it", in.Country)
	}
	if err := h.d.Store.SetAccountCountry(c.Request().Context(), acc, cc); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return api.Invalid("country", "%q is not an ISO 3166-1 alpha-2 country code", in.Country)
		}
		return err
	}
	return c.JSON(http.StatusOK, Country{Country: cc})
}

// EmailAddress is a flow's email-upload address: a call list mailed to it
// as an attachment is imported for the flow.
type EmailAddress struct {
	FlowID  string `json:"flow_id"`
	Address string `json:"address"`
}

func (h *handler) emailAddress(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	f, err := h.d.Intake.Flow(c.Request().Context(), acc, c.QueryParam("flow_id"))
	if err != nil {
		return err
	}
	addr := ""
	if h.d.MailAddress != nil {
		addr = h.d.MailAddress(acc, f.ID)
	}
	if addr == "" {
		return &api.Error{Code: api.CodeUnavailable, Status: http.StatusServiceUnavailable,
			Message: "email upload is not enabled on this server (SWITCHYARD_SMTP_ADDR)"}
	}
	return c.JSON(http.StatusOK, EmailAddress{FlowID: f.ID, Address: addr})
}
