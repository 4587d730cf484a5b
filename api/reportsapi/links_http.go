package reportsapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// LinkStore is what signed recording links need of the store.
type LinkStore interface {
	GetRecordingByName(ctx context.Context, name string) (store.Recording, error)
}

// LinkDeps configures the signed recording links' endpoint.
type LinkDeps struct {
	Store      LinkStore
	Recordings recordings.Source
	Links      *recordings.Links
	// Window is how long recordings stay downloadable (default 30 days).
	Window time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// RegisterLinks serves GET /recordings/{name}?expires=…&signature=… — the
// recording URLs that flow variables ($call.recordingUri, …), webhooks and
// the call log show — on the router's root: the signature, not an API
// key, authorizes the download. A signature that does not match answers
// 403, an expired link 410, a recording not indexed yet (its call is still
// going on) 404.
func RegisterLinks(e *echo.Echo, d LinkDeps) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Window <= 0 {
		d.Window = recordings.Window
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	e.GET(recordings.LinkPath+":name", func(c echo.Context) error { return serveLink(c, d) })
}

func serveLink(c echo.Context, d LinkDeps) error {
	name, err := url.PathUnescape(c.Param("name"))
	if err != nil || name == "" {
		return &api.Error{Code: api.CodeNotFound, Status: http.StatusNotFound, Message: "no such recording"}
	}
	q := c.QueryParams()
	switch err := d.Links.Check(name, q.Get("expires"), q.Get("signature")); {
	case errors.Is(err, recordings.ErrLinkExpired):
		return &api.Error{Code: "link_expired", Status: http.StatusGone,
			Message: "this recording link has expired; get a fresh one from the call report (GET /api/v1/reports/calls) or the recordings API"}
	case err != nil:
		return &api.Error{Code: api.CodeForbidden, Status: http.StatusForbidden,
			Message: "this recording link's signature is not valid (the link was changed, or signed with another key); use the link exactly as given"}
	}
	ctx := c.Request().Context()
	r, err := d.Store.GetRecordingByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return &api.Error{Code: api.CodeNotFound, Status: http.StatusNotFound,
			Message: "the recording is not available yet: it can be downloaded once its call has ended"}
	}
	if err != nil {
		return err
	}
	if r.PurgedAt != nil || !d.Now().Before(r.StartedAt.Add(d.Window)) {
		return &api.Error{Code: "gone", Status: http.StatusGone,
			Message: fmt.Sprintf("recording %s started %s and is no longer available: recordings can be downloaded for %d days",
				r.FileName, r.StartedAt.UTC().Format(time.RFC3339), int(d.Window/(24*time.Hour)))}
	}
	if d.Recordings == nil {
		return &api.Error{Code: api.CodeUnavailable, Message: "recording downloads are not configured on this server"}
	}
	body, err := d.Recordings.Open(ctx, r.Name, r.Format)
	if err != nil {
		if errors.Is(err, recordings.ErrGone) {
			return &api.Error{Code: "gone", Status: http.StatusGone, Message: fmt.Sprintf("the file of recording %s no longer exists on the media server", r.FileName), Err: err}
		}
		return fmt.Errorf("open recording %s: %w", r.Name, err)
	}
	defer body.Close()
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, audioType(r.Format))
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", r.FileName))
	resp.Header().Set("Cache-Control", "private, no-store")
	resp.WriteHeader(http.StatusOK)
	if _, err := io.Copy(resp, body); err != nil {
		d.Logger.Warn("send recording", "recording", r.Name, "error", err)
	}
	return nil
}
