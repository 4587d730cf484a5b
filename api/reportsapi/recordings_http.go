package reportsapi

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/reports/recordings"
	"github.com/switchyard/switchyard/store"
)

// RecordingView is a recording as the API lists it.
type RecordingView struct {
	store.Recording
	// Available is false once the recording is older than the window (or
	// purged); DownloadURL then answers 410.
	Available   bool      `json:"available"`
	AvailableTo time.Time `json:"available_until"`
	DownloadURL string    `json:"download_url"`
}

func (h *handler) view(r store.Recording) RecordingView {
	until := r.StartedAt.Add(h.d.Window)
	return RecordingView{
		Recording:   r,
		Available:   r.PurgedAt == nil && h.d.Now().Before(until),
		AvailableTo: until.UTC(),
		DownloadURL: "/api/v1/reports/recordings/" + strconv.FormatInt(r.ID, 10),
	}
}

func (h *handler) attemptRecordings(c echo.Context, acct int64) error {
	rs, err := h.d.Store.ListAttemptRecordings(c.Request().Context(), acct, c.Param("id"))
	if err != nil {
		return err
	}
	out := make([]RecordingView, len(rs))
	for i, r := range rs {
		out[i] = h.view(r)
	}
	return c.JSON(http.StatusOK, map[string]any{"recordings": out})
}

// gone is the 410 answer for a recording past the availability window.
func (h *handler) gone(r store.Recording) error {
	return &api.Error{Code: "gone", Status: http.StatusGone,
		Message: fmt.Sprintf("recording %s started %s and is no longer available: recordings can be downloaded for %d days",
			r.FileName, r.StartedAt.UTC().Format(time.RFC3339), int(h.d.Window/(24*time.Hour)))}
}

func (h *handler) recording(c echo.Context, acct int64) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return api.Invalid("id", "must be a recording id (positive integer), got %q", c.Param("id"))
	}
	ctx := c.Request().Context()
	r, err := h.d.Store.GetRecording(ctx, acct, id)
	if err != nil {
		return err
	}
	if !h.view(r).Available {
		return h.gone(r)
	}
	if h.d.Recordings == nil {
		return &api.Error{Code: api.CodeUnavailable, Message: "recording downloads are not configured on this server"}
	}
	body, err := h.d.Recordings.Open(ctx, r.Name, r.Format)
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
	resp.WriteHeader(http.StatusOK)
	_, err = io.Copy(resp, body)
	if err != nil {
		return h.after(c, fmt.Errorf("send recording %s: %w", r.Name, err))
	}
	return nil
}

func audioType(format string) string {
	switch format {
	case "wav":
		return "audio/wav"
	case "gsm":
		return "audio/gsm"
	case "mp3":
		return "audio/mpeg"
	case "ogg":
		return "audio/ogg"
	}
	return "application/octet-stream"
}

// recordingsZip streams a zip of every available recording of the attempts
// matching the call report's filters ("Download Recordings"). Files are
// stored (audio does not compress), named by the recording file name
// (call_<account_id>_..., record_queue_..., ...); recordings past the window
// are skipped and listed in MISSING.txt with those whose file is gone.
func (h *handler) recordingsZip(c echo.Context, acct int64) error {
	ctx := c.Request().Context()
	loc, err := h.location(ctx, acct)
	if err != nil {
		return err
	}
	f, err := callFilter(c, acct, loc)
	if err != nil {
		return err
	}
	if f.After != "" {
		return api.Invalid("after", "the zip has every matching recording; paging is for the JSON search")
	}
	if h.d.Recordings == nil {
		return &api.Error{Code: api.CodeUnavailable, Message: "recording downloads are not configured on this server"}
	}
	resp := c.Response()
	resp.Header().Set(echo.HeaderContentType, "application/zip")
	resp.Header().Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", "recordings-"+h.d.Now().In(loc).Format("20060102-150405")+".zip"))
	zw := zip.NewWriter(resp)
	var missing []string
	seen := map[string]int{}
	err = h.d.Store.EachRecording(ctx, f, func(r store.Recording) error {
		if !h.view(r).Available {
			missing = append(missing, r.FileName+": older than the availability window")
			return nil
		}
		body, err := h.d.Recordings.Open(ctx, r.Name, r.Format)
		if errors.Is(err, recordings.ErrGone) {
			missing = append(missing, r.FileName+": file no longer on the media server")
			return nil
		}
		if err != nil {
			return fmt.Errorf("open recording %s: %w", r.Name, err)
		}
		defer body.Close()
		name := r.FileName
		if n := seen[name]; n > 0 {
			name = fmt.Sprintf("%d_%s", n, name)
		}
		seen[r.FileName]++
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: r.StartedAt.In(loc)})
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, body); err != nil {
			return fmt.Errorf("zip recording %s: %w", r.Name, err)
		}
		resp.Flush()
		return nil
	})
	if err == nil && len(missing) > 0 {
		var w io.Writer
		if w, err = zw.Create("MISSING.txt"); err == nil {
			for _, m := range missing {
				if _, err = io.WriteString(w, m+"\r\n"); err != nil {
					break
				}
			}
		}
	}
	if err == nil {
		err = zw.Close()
	}
	return h.after(c, err)
}
