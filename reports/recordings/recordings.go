// Package recordings names, fetches and purges call recordings (the call
// report's "Download Recordings", per attempt or as a zip, for 30 days).
//
// Recordings are made by Asterisk and reach Switchyard in one of two ways:
//
//   - ARI (the default, works with a remote Asterisk box): a recording made
//     with ARI's record (ari.Call.Record, the flows record widgets) is a
//     "stored recording"; ARISource downloads it with
//     GET /ari/recordings/stored/{name}/file and deletes it with
//     DELETE /ari/recordings/stored/{name}. Nothing needs to be shared
//     between the hosts: only the ARI HTTP port.
//   - a shared spool directory (SpoolSource): Asterisk's recordings
//     directory (astspooldir/recording, /var/spool/asterisk/recording by
//     default) mounted on the Switchyard host (NFS, a shared volume, rsync).
//     Files are <dir>/<name>.<format>. Use it when the ARI port should not
//     carry bulk audio or when recordings are made outside ARI (MixMonitor
//     into the spool).
//
// Availability: a recording can be downloaded for Window (30 days) after it
// started; Purger deletes older files and marks them purged.
package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/store"
)

// Window is how long a recording stays downloadable: 30 days.
const Window = 30 * 24 * time.Hour

// ErrGone means the recording's file no longer exists (purged or deleted
// on the Asterisk side).
var ErrGone = errors.New("recordings: the recording file no longer exists")

// Source reads and deletes recording files.
type Source interface {
	// Open returns the audio of a recording; ErrGone if it does not exist.
	Open(ctx context.Context, name, format string) (io.ReadCloser, error)
	// Delete removes it; deleting a missing recording is not an error.
	Delete(ctx context.Context, name, format string) error
}

// ARIClient is what ARISource needs of ari.Client.
type ARIClient interface {
	StoredRecordingFile(ctx context.Context, name string) (io.ReadCloser, string, error)
	DeleteStoredRecording(ctx context.Context, name string) error
}

// ARISource reads Asterisk's stored recordings over ARI. Use ARIHTTP as the
// client: recording names contain '+' (E.164 CLI/DNIS), which ari.Client
// sends unescaped and Asterisk's HTTP server decodes as a space (404).
// ari.Client works too once ari's path escaping encodes '+' as %2B.
type ARISource struct{ Client ARIClient }

// ARIHTTP is a minimal ARI client for stored recordings that escapes the
// name fully (RFC 3986 path segment, '+' included).
type ARIHTTP struct {
	URL            string // e.g. http://asterisk:8088/ari
	User, Password string
	HTTP           *http.Client // default: 5-minute timeout
}

func (a ARIHTTP) req(ctx context.Context, method, name, suffix string) (*http.Response, error) {
	u := strings.TrimRight(a.URL, "/") + "/recordings/stored/" + strings.ReplaceAll(url.PathEscape(name), "+", "%2B") + suffix
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(a.User, a.Password)
	hc := a.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ari %s stored recording %s: %w", method, name, err)
	}
	if resp.StatusCode/100 != 2 {
		resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("ari %s stored recording %s: %w", method, name, ari.ErrNotFound)
		}
		return nil, fmt.Errorf("ari %s stored recording %s: HTTP %d", method, name, resp.StatusCode)
	}
	return resp, nil
}

// StoredRecordingFile implements ARIClient.
func (a ARIHTTP) StoredRecordingFile(ctx context.Context, name string) (io.ReadCloser, string, error) {
	resp, err := a.req(ctx, http.MethodGet, name, "/file")
	if err != nil {
		return nil, "", err
	}
	return resp.Body, resp.Header.Get("Content-Type"), nil
}

// DeleteStoredRecording implements ARIClient.
func (a ARIHTTP) DeleteStoredRecording(ctx context.Context, name string) error {
	resp, err := a.req(ctx, http.MethodDelete, name, "")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// Open implements Source.
func (s ARISource) Open(ctx context.Context, name, _ string) (io.ReadCloser, error) {
	body, _, err := s.Client.StoredRecordingFile(ctx, name)
	if errors.Is(err, ari.ErrNotFound) {
		return nil, fmt.Errorf("%w: stored recording %s", ErrGone, name)
	}
	return body, err
}

// Delete implements Source.
func (s ARISource) Delete(ctx context.Context, name, _ string) error {
	if err := s.Client.DeleteStoredRecording(ctx, name); err != nil && !errors.Is(err, ari.ErrNotFound) {
		return err
	}
	return nil
}

// SpoolSource reads recordings from a directory (Asterisk's recording
// spool, shared with this host).
type SpoolSource struct{ Dir string }

func (s SpoolSource) path(name, format string) (string, error) {
	if name == "" || strings.Contains(name, "..") || strings.ContainsAny(format, "/\\.") || format == "" {
		return "", fmt.Errorf("recordings: bad recording name %q / format %q", name, format)
	}
	p := filepath.Join(s.Dir, filepath.FromSlash(name)+"."+format)
	if rel, err := filepath.Rel(s.Dir, p); err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("recordings: recording %q is outside the spool", name)
	}
	return p, nil
}

// Open implements Source.
func (s SpoolSource) Open(_ context.Context, name, format string) (io.ReadCloser, error) {
	p, err := s.path(name, format)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrGone, p)
	}
	return f, err
}

// Delete implements Source.
func (s SpoolSource) Delete(_ context.Context, name, format string) error {
	p, err := s.path(name, format)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// PurgeStore is what the purge job needs of the store.
type PurgeStore interface {
	ListRecordingsToPurge(ctx context.Context, cutoff time.Time, limit int) ([]store.Recording, error)
	MarkRecordingPurged(ctx context.Context, id int64, at time.Time) error
}

// Purger deletes recordings older than Window (retention).
type Purger struct {
	Store  PurgeStore
	Source Source
	// Window defaults to the package Window.
	Window time.Duration
	// Every is the pause between purge runs (default 1 hour).
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// PurgeOnce deletes every recording that started before now − Window and
// returns how many it purged. A recording whose delete fails stays listed
// (retried on the next run) and the first such error is returned after the
// rest were tried.
func (p *Purger) PurgeOnce(ctx context.Context) (n int, err error) {
	now := time.Now
	if p.Now != nil {
		now = p.Now
	}
	w := p.Window
	if w <= 0 {
		w = Window
	}
	cutoff := now().Add(-w)
	failed := map[int64]bool{}
	var firstErr error
	for {
		rs, err := p.Store.ListRecordingsToPurge(ctx, cutoff, 500)
		if err != nil {
			return n, err
		}
		progress := false
		for _, r := range rs {
			if failed[r.ID] {
				continue
			}
			if err := p.Source.Delete(ctx, r.Name, r.Format); err != nil {
				failed[r.ID] = true
				if firstErr == nil {
					firstErr = fmt.Errorf("recordings: purge %s: %w", r.Name, err)
				}
				continue
			}
			if err := p.Store.MarkRecordingPurged(ctx, r.ID, now()); err != nil {
				return n, err
			}
			n++
			progress = true
		}
		if len(rs) < 500 || !progress {
			return n, firstErr
		}
	}
}

// Run purges every Every until ctx ends.
func (p *Purger) Run(ctx context.Context) error {
	log := p.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	every := p.Every
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := p.PurgeOnce(ctx)
		if err != nil && ctx.Err() == nil {
			log.Warn("recording purge", "purged", n, "error", err)
		} else if n > 0 {
			log.Info("recordings purged", "purged", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
