package calllistapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/store"
)

// ListMeta is PATCH /calllists/requests/{id}: a request's recipients-list
// fields (the ADS Recipients form): name, accountcode and status (active,
// or disabled: not usable in campaigns). Absent fields are left as they
// are.
type ListMeta struct {
	Name        *string `json:"name"`
	Accountcode *string `json:"accountcode"`
	ListStatus  *string `json:"list_status"`
}

func (h *handler) patchRequest(c echo.Context) error {
	acc, err := principal(c)
	if err != nil {
		return err
	}
	if !isJSON(c) {
		return &api.Error{Code: "unsupported_media_type", Status: http.StatusUnsupportedMediaType,
			Message: `send {"name","accountcode","list_status"} as JSON with Content-Type: application/json`}
	}
	var in ListMeta
	if err := c.Bind(&in); err != nil {
		return &api.Error{Code: api.CodeBadRequest, Message: `body must be JSON {"name","accountcode","list_status"}`, Err: err}
	}
	r, err := h.d.Store.SetCallListMeta(c.Request().Context(), acc, c.Param("id"), store.CallListMeta{Name: in.Name, Accountcode: in.Accountcode, ListStatus: in.ListStatus})
	// A store.ErrInvalid names its field (name, accountcode, list_status)
	// and says what is wrong: it maps as it is.
	if errors.Is(err, store.ErrNotFound) {
		return api.NotFound("request %q not found", c.Param("id"))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, r)
}
