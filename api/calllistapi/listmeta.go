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

// applyListMeta gives the requests of an upload the name and accountcode
// of the upload's query (?name=&accountcode=).
func (h *handler) applyListMeta(c echo.Context, acc int64, files []FileResult) error {
	name, code := c.QueryParam("name"), c.QueryParam("accountcode")
	if name == "" && code == "" {
		return nil
	}
	m := store.CallListMeta{}
	if name != "" {
		m.Name = &name
	}
	if code != "" {
		m.Accountcode = &code
	}
	for i, f := range files {
		if f.Request == nil {
			continue
		}
		r, err := h.d.Store.SetCallListMeta(c.Request().Context(), acc, f.Request.ID, m)
		if err != nil {
			return err
		}
		files[i].Request = &r
	}
	return nil
}

// checkListMeta refuses a bad ?name= or ?accountcode= before anything is
// imported.
func checkListMeta(c echo.Context) error {
	name, code := c.QueryParam("name"), c.QueryParam("accountcode")
	if err := (store.CallListMeta{Name: &name}).Validate(); err != nil {
		return api.Invalid("name", "at most 200 characters, no control characters")
	}
	if err := (store.CallListMeta{Accountcode: &code}).Validate(); err != nil {
		return api.Invalid("accountcode", "at most 64 printable ASCII characters without spaces")
	}
	return nil
}
