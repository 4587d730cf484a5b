// Package grammarsapi serves the accounts' grammars under /api/v1: the
// list (the Sample English Grammar first), one grammar with its document,
// adding a grammar (its JSON document, checked), deleting one, and a
// preview of what a grammar says for a value (the media items the say
// widget plays). The handlers only decode the request, call the grammars
// service and encode its answer.
package grammarsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/grammars"
	"github.com/switchyard/switchyard/store"
)

// Service is the grammars service as the handlers use it
// (*grammars.Service implements it).
type Service interface {
	List(ctx context.Context, accountID int64) ([]grammars.Info, error)
	Get(ctx context.Context, accountID int64, name string) (grammars.Info, error)
	Create(ctx context.Context, accountID int64, name string, document []byte, by string) (grammars.Info, error)
	Delete(ctx context.Context, accountID int64, name string) error
	Say(ctx context.Context, accountID int64, grammar, kind, value string, tts bool) ([]string, error)
}

// Users names the caller who adds a grammar (optional).
type Users interface {
	GetUserByID(ctx context.Context, id int64) (store.User, error)
}

// Deps configures the handlers.
type Deps struct {
	Grammars Service
	Users    Users
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Grammars == nil {
		panic("grammarsapi: Deps.Grammars is required")
	}
	h := &handler{d: d}
	g.GET("/grammars", api.WithAccount(h.list))
	g.POST("/grammars", api.WithAccount(h.create))
	g.GET("/grammars/:name", api.WithAccount(h.get))
	g.DELETE("/grammars/:name", api.WithAccount(h.remove))
	g.POST("/grammars/:name/say", api.WithAccount(h.say))
}

type handler struct{ d Deps }

func (h *handler) list(c echo.Context, acct int64) error {
	list, err := h.d.Grammars.List(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"grammars": list})
}

func (h *handler) get(c echo.Context, acct int64) error {
	g, err := h.d.Grammars.Get(c.Request().Context(), acct, c.Param("name"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, g)
}

// createBody is a new grammar: its name and its document.
type createBody struct {
	Name     string          `json:"name"`
	Document json.RawMessage `json:"document"`
}

func (h *handler) create(c echo.Context, acct int64) error {
	var in createBody
	if err := decode(c, &in); err != nil {
		return err
	}
	if len(in.Document) == 0 || string(in.Document) == "null" {
		return api.Invalid("document", "the grammar document is required")
	}
	g, err := h.d.Grammars.Create(c.Request().Context(), acct, in.Name, in.Document, h.who(c))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, g)
}

func (h *handler) remove(c echo.Context, acct int64) error {
	if err := h.d.Grammars.Delete(c.Request().Context(), acct, c.Param("name")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// sayBody is a value to say.
type sayBody struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// say answers the media items the grammar says the value with.
func (h *handler) say(c echo.Context, acct int64) error {
	var in sayBody
	if err := decode(c, &in); err != nil {
		return err
	}
	items, err := h.d.Grammars.Say(c.Request().Context(), acct, c.Param("name"), in.Type, in.Value, false)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"items": items})
}

// who names the caller: the user's email, or the API key.
func (h *handler) who(c echo.Context) string {
	p, _ := api.PrincipalFrom(c)
	if p.UserID > 0 && h.d.Users != nil {
		if u, err := h.d.Users.GetUserByID(c.Request().Context(), p.UserID); err == nil && u.AccountID == p.AccountID {
			return u.Email
		}
	}
	if p.KeyID > 0 {
		return fmt.Sprintf("API key %d", p.KeyID)
	}
	return ""
}

// decode reads one JSON object (unknown fields refused).
func decode(c echo.Context, dst any) error {
	return api.DecodeJSON(c, dst, grammars.MaxDocumentBytes+4095)
}
