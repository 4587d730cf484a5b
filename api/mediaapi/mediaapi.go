// Package mediaapi serves the audio Asterisk fetches from Switchyard
// (prompts, synthesised speech): GET /media/<signature>/<sha256>.wav,
// outside the authenticated /api/v1 (the signature is the credential).
package mediaapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/media"
)

// Opener finds the audio of a signed media URL (*media.Service).
type Opener interface {
	Open(ctx context.Context, signature, file string) ([]byte, error)
}

// Register adds GET and HEAD /media/:signature/:file to e.
func Register(e *echo.Echo, o Opener) {
	h := func(c echo.Context) error { return serve(c, o) }
	e.GET(media.Path+":signature/:file", h)
	e.HEAD(media.Path+":signature/:file", h)
}

// serve answers the audio with headers that let Asterisk's media cache
// (and any proxy) keep it for good: the bytes under a URL never change.
// A wrong signature and an unknown hash are both 404.
func serve(c echo.Context, o Opener) error {
	data, err := o.Open(c.Request().Context(), c.Param("signature"), c.Param("file"))
	if errors.Is(err, switchyard.ErrNotFound) || errors.Is(err, media.ErrBadSignature) {
		return &api.Error{Code: api.CodeNotFound, Status: http.StatusNotFound, Message: "no such media"}
	}
	if err != nil {
		return err
	}
	etag := `"` + media.Hash(data) + `"`
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	if c.Request().Header.Get("If-None-Match") == etag {
		return c.NoContent(http.StatusNotModified)
	}
	if c.Request().Method == http.MethodHead {
		h.Set(echo.HeaderContentType, "audio/wav")
		h.Set(echo.HeaderContentLength, strconv.Itoa(len(data)))
		return c.NoContent(http.StatusOK)
	}
	return c.Blob(http.StatusOK, "audio/wav", data)
}
