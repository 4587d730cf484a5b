// Package ttsapi serves text-to-speech under /api/v1: the account's
// engine and voice, the voices of an engine, a spoken preview, and the
// account's cloud speech accounts (CRUD and "Check now"). The handlers
// only decode, call the tts service and encode; who may call which route
// is the access table in package api.
package ttsapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/tts"
)

// Service is the text-to-speech service as the handlers use it
// (*tts.Service implements it).
type Service interface {
	Settings(ctx context.Context, acct int64) (tts.Settings, error)
	SetSettings(ctx context.Context, acct int64, in tts.Settings) (tts.Settings, error)
	Voices(ctx context.Context, acct int64, engine string) ([]tts.Voice, error)
	Preview(ctx context.Context, acct int64, text string) ([]byte, error)

	CloudAccounts(ctx context.Context, acct int64) ([]tts.CloudAccount, error)
	CloudAccount(ctx context.Context, acct, id int64) (tts.CloudAccount, error)
	CreateCloudAccount(ctx context.Context, acct int64, in tts.CloudInput) (tts.CloudAccount, error)
	UpdateCloudAccount(ctx context.Context, acct, id int64, in tts.CloudInput) (tts.CloudAccount, error)
	DeleteCloudAccount(ctx context.Context, acct, id int64) error
	CheckCloudInput(ctx context.Context, acct int64, in tts.CloudInput) ([]tts.ServiceCheck, error)
	CheckCloudAccount(ctx context.Context, acct, id int64) (tts.CloudAccount, error)
}

// Deps configures the handlers.
type Deps struct {
	Service Service
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	if d.Service == nil {
		panic("ttsapi: Deps.Service is required")
	}
	h := &handler{s: d.Service}
	g.GET("/tts/settings", api.WithAccount(h.getSettings))
	g.PUT("/tts/settings", api.WithAccount(h.putSettings))
	g.GET("/tts/voices", api.WithAccount(h.voices))
	g.POST("/tts/preview", api.WithAccount(h.preview))
	g.GET("/cloud-accounts", api.WithAccount(h.list))
	g.POST("/cloud-accounts", api.WithAccount(h.create))
	g.POST("/cloud-accounts/check", api.WithAccount(h.checkInput))
	g.GET("/cloud-accounts/:id", api.WithAccount(h.get))
	g.PUT("/cloud-accounts/:id", api.WithAccount(h.update))
	g.DELETE("/cloud-accounts/:id", api.WithAccount(h.remove))
	g.POST("/cloud-accounts/:id/check", api.WithAccount(h.check))
}

type handler struct{ s Service }

// maxBody bounds a request (Google JSON credentials are a few KiB).
const maxBody = 64 << 10

// decode reads one JSON object into dst, refusing unknown fields so a
// typo does not silently keep a default.
func decode(c echo.Context, dst any) error { return api.DecodeJSON(c, dst, maxBody) }

func (h *handler) getSettings(c echo.Context, acct int64) error {
	st, err := h.s.Settings(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (h *handler) putSettings(c echo.Context, acct int64) error {
	var in struct {
		Engine string `json:"engine"`
		Voice  string `json:"voice"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	st, err := h.s.SetSettings(c.Request().Context(), acct, tts.Settings{Engine: in.Engine, Voice: in.Voice})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, st)
}

func (h *handler) voices(c echo.Context, acct int64) error {
	engine := c.QueryParam("engine")
	vs, err := h.s.Voices(c.Request().Context(), acct, engine)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []tts.Voice{}
	}
	return c.JSON(http.StatusOK, map[string]any{"engine": engine, "voices": vs})
}

// preview speaks a sentence as a "tts:" item would ("[voice] text",
// "[engine/voice] text", SSML) and returns the WAV.
func (h *handler) preview(c echo.Context, acct int64) error {
	var in struct {
		Text string `json:"text"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	wav, err := h.s.Preview(c.Request().Context(), acct, in.Text)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "audio/wav", wav)
}

func (h *handler) list(c echo.Context, acct int64) error {
	as, err := h.s.CloudAccounts(c.Request().Context(), acct)
	if err != nil {
		return err
	}
	if as == nil {
		as = []tts.CloudAccount{}
	}
	return c.JSON(http.StatusOK, map[string]any{"cloud_accounts": as, "providers": tts.Services})
}

func (h *handler) get(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.s.CloudAccount(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *handler) create(c echo.Context, acct int64) error {
	var in tts.CloudInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := h.s.CreateCloudAccount(c.Request().Context(), acct, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, a)
}

func (h *handler) update(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	var in tts.CloudInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := h.s.UpdateCloudAccount(c.Request().Context(), acct, id, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}

func (h *handler) remove(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.s.DeleteCloudAccount(c.Request().Context(), acct, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// checkInput is "Check now" before saving.
func (h *handler) checkInput(c echo.Context, acct int64) error {
	var in tts.CloudInput
	if err := decode(c, &in); err != nil {
		return err
	}
	checks, err := h.s.CheckCloudInput(c.Request().Context(), acct, in)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"checks": checks})
}

// check is "Check now" on a saved account; the result is kept.
func (h *handler) check(c echo.Context, acct int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.s.CheckCloudAccount(c.Request().Context(), acct, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, a)
}
