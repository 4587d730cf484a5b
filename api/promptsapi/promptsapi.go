// Package promptsapi serves the prompt library under /api/v1: an
// account's prompts (list by status and tag, upload, record by phone,
// listen, delete) and the operator's approval of them.
package promptsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/prompts"
	"github.com/switchyard/switchyard/store"
)

// Service is the prompt library (*prompts.Service).
type Service interface {
	List(ctx context.Context, accountID int64, status, tag string) ([]store.Prompt, error)
	Pending(ctx context.Context, status string) ([]store.Prompt, error)
	Get(ctx context.Context, accountID, id int64) (store.Prompt, error)
	Audio(ctx context.Context, accountID, id int64) (store.Prompt, []byte, error)
	Create(ctx context.Context, actor prompts.Actor, in prompts.NewPrompt) (store.Prompt, error)
	Decide(ctx context.Context, operator string, id int64, approve bool, reason string) (store.Prompt, error)
	Delete(ctx context.Context, accountID, id int64) error
	RecordByPhone(ctx context.Context, actor prompts.Actor, name string, tags []string, number string) (prompts.RecordCall, error)
	RecordCallStatus(accountID int64, id string) (prompts.RecordCall, error)
	MaxBytes() int64
}

// People names who acts (*store.Store).
type People interface {
	GetUserByID(ctx context.Context, id int64) (store.User, error)
	GetOperator(ctx context.Context, id int64) (store.Operator, error)
}

// Deps configures the handlers.
type Deps struct {
	Service Service
	People  People
}

// uploadOverhead is what a multipart body adds to the file it carries
// (the other fields and the part headers).
const uploadOverhead = 1 << 20

// BodyLimits are the routes' own body limits: an upload carries the audio
// file (up to the service's cap).
func BodyLimits(maxFile int64) map[string]int64 {
	return map[string]int64{http.MethodPost + " /api/v1/prompts": maxFile + uploadOverhead}
}

// Register adds the routes to the authenticated /api/v1 group.
func Register(g *echo.Group, d Deps) {
	h := &handler{d: d}
	g.GET("/prompts", h.list)
	g.POST("/prompts", h.create)
	g.POST("/prompts/record-call", h.recordCall)
	g.GET("/prompts/record-calls/:call_id", h.recordCallStatus)
	g.GET("/prompts/:id", h.get)
	g.GET("/prompts/:id/audio", h.audio)
	g.DELETE("/prompts/:id", h.delete)
	g.GET("/operator/prompts", h.operatorList)
	g.GET("/operator/prompts/:id/audio", h.operatorAudio)
	g.POST("/operator/prompts/:id/approve", h.decide(true))
	g.POST("/operator/prompts/:id/reject", h.decide(false))
}

type handler struct{ d Deps }

// actor is the calling user or API key of an account.
func (h *handler) actor(c echo.Context) (prompts.Actor, error) {
	p, ok := api.PrincipalFrom(c)
	if !ok || p.AccountID <= 0 {
		return prompts.Actor{}, api.ErrUnauthorized
	}
	a := prompts.Actor{AccountID: p.AccountID}
	if p.UserID > 0 {
		if u, err := h.d.People.GetUserByID(c.Request().Context(), p.UserID); err == nil && u.AccountID == p.AccountID {
			a.By, a.Email = u.Email, u.Email
		}
	}
	if a.By == "" && p.KeyID > 0 {
		a.By = fmt.Sprintf("API key %d", p.KeyID)
	}
	return a, nil
}

// page is a list of prompts.
type page struct {
	Prompts []store.Prompt `json:"prompts"`
}

func (h *handler) list(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	ps, err := h.d.Service.List(c.Request().Context(), a.AccountID, c.QueryParam("status"), c.QueryParam("tag"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page{Prompts: ps})
}

func (h *handler) get(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	p, err := h.d.Service.Get(c.Request().Context(), a.AccountID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, p)
}

// create takes a multipart form: name, tags (repeated or comma-separated),
// source (upload or browser) and file (mp3, wav or ogg).
func (h *handler) create(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(strings.ToLower(c.Request().Header.Get(echo.HeaderContentType)), echo.MIMEMultipartForm) {
		return api.Invalid("file", "send the prompt as multipart/form-data with the fields name, tags and file")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if _, tooBig := maxBytesErr(err); tooBig {
			return api.PayloadTooLarge(h.d.Service.MaxBytes() + uploadOverhead)
		}
		return api.Invalid("file", "attach the audio file (mp3, wav or ogg) as the form field \"file\"")
	}
	if fh.Size > h.d.Service.MaxBytes() {
		return api.Invalid("file", "the file is %d bytes; a prompt file is at most %d MB", fh.Size, h.d.Service.MaxBytes()>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("prompts: open upload: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, h.d.Service.MaxBytes()+1))
	if err != nil {
		return fmt.Errorf("prompts: read upload: %w", err)
	}
	form, err := c.MultipartForm()
	if err != nil {
		return api.Invalid("", "send the prompt as a multipart form (fields name, tags and file)")
	}
	p, err := h.d.Service.Create(c.Request().Context(), a, prompts.NewPrompt{
		Name: c.FormValue("name"), Tags: form.Value["tags"], FileName: fh.Filename, Data: data, Source: c.FormValue("source")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, p)
}

func maxBytesErr(err error) (*http.MaxBytesError, bool) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return mbe, true
	}
	return nil, strings.Contains(err.Error(), "request body too large")
}

func decodeJSON(c echo.Context, v any) error { return api.DecodeJSON(c, v, 1<<20) }

// recordCall rings the caller's phone to record a prompt:
// {"name": …, "tags": […], "number": "+E.164"} → 202 with the call.
func (h *handler) recordCall(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	var in struct {
		Name   string   `json:"name"`
		Tags   []string `json:"tags"`
		Number string   `json:"number"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	rc, err := h.d.Service.RecordByPhone(c.Request().Context(), a, in.Name, in.Tags, in.Number)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, rc)
}

func (h *handler) recordCallStatus(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	rc, err := h.d.Service.RecordCallStatus(a.AccountID, c.Param("call_id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, rc)
}

func (h *handler) audio(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	return h.serveAudio(c, a.AccountID)
}

func (h *handler) serveAudio(c echo.Context, accountID int64) error {
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	p, data, err := h.d.Service.Audio(c.Request().Context(), accountID, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`inline; filename="%s.wav"`, p.Name))
	c.Response().Header().Set("Cache-Control", "private, max-age=3600")
	return c.Blob(http.StatusOK, "audio/wav", data)
}

func (h *handler) delete(c echo.Context) error {
	a, err := h.actor(c)
	if err != nil {
		return err
	}
	id, err := api.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.d.Service.Delete(c.Request().Context(), a.AccountID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (h *handler) operator(c echo.Context) (string, error) {
	p, ok := api.PrincipalFrom(c)
	if !ok || p.OperatorID <= 0 {
		return "", api.ErrForbidden
	}
	op, err := h.d.People.GetOperator(c.Request().Context(), p.OperatorID)
	if err != nil {
		return "", fmt.Errorf("prompts: operator %d: %w", p.OperatorID, err)
	}
	return op.Email, nil
}

// operatorList lists every account's prompts with the status (default
// pending; "all" for every status), oldest first.
func (h *handler) operatorList(c echo.Context) error {
	if _, err := h.operator(c); err != nil {
		return err
	}
	ps, err := h.d.Service.Pending(c.Request().Context(), c.QueryParam("status"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, page{Prompts: ps})
}

func (h *handler) operatorAudio(c echo.Context) error {
	if _, err := h.operator(c); err != nil {
		return err
	}
	return h.serveAudio(c, 0)
}

// decide approves or rejects ({"reason": …}, required to reject) a
// pending prompt.
func (h *handler) decide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		by, err := h.operator(c)
		if err != nil {
			return err
		}
		id, err := api.PathID(c, "id")
		if err != nil {
			return err
		}
		var in struct {
			Reason string `json:"reason"`
		}
		b, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return fmt.Errorf("prompts: read body: %w", err)
		}
		if len(strings.TrimSpace(string(b))) > 0 {
			if err := api.DecodeJSONBytes(b, &in); err != nil {
				return err // names the field: the body is {"reason": "…"}
			}
		}
		p, err := h.d.Service.Decide(c.Request().Context(), by, id, approve, in.Reason)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, p)
	}
}
