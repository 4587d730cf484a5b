package mediaapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/media"
	"github.com/switchyard/switchyard/store"
)

// openerFake is a function-field fake of Opener.
type openerFake struct {
	open func(ctx context.Context, signature, file string) ([]byte, error)
}

func (o openerFake) Open(ctx context.Context, s, f string) ([]byte, error) { return o.open(ctx, s, f) }

// TestServe: good URLs answer the audio with immutable caching and an
// ETag (304 when the client has it, HEAD without a body); a bad
// signature and an unknown hash are both 404; other errors are 500.
func TestServe(t *testing.T) {
	audio := []byte("RIFF....WAVE and the rest of a wav")
	srv := api.New(api.Deps{}, nil)
	Register(srv.Echo(), openerFake{open: func(_ context.Context, sig, file string) ([]byte, error) {
		switch {
		case sig == "good" && file == "h.wav":
			return audio, nil
		case sig == "good":
			return nil, store.ErrNotFound.New("", "no media")
		case sig == "boom":
			return nil, errors.New("the database is down")
		}
		return nil, media.ErrBadSignature
	}})
	etag := `"` + media.Hash(audio) + `"`
	for _, c := range []struct {
		method, path, inm string
		code              int
		body              bool
	}{
		{http.MethodGet, "/media/good/h.wav", "", 200, true},
		{http.MethodHead, "/media/good/h.wav", "", 200, false},
		{http.MethodGet, "/media/good/h.wav", etag, 304, false},
		{http.MethodGet, "/media/bad/h.wav", "", 404, true},
		{http.MethodGet, "/media/good/other.wav", "", 404, true},
		{http.MethodGet, "/media/boom/h.wav", "", 500, true},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		if c.inm != "" {
			req.Header.Set("If-None-Match", c.inm)
		}
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, req)
		if rec.Code != c.code || (rec.Body.Len() > 0) != c.body {
			t.Errorf("%s %s: %d, %d bytes; want %d (body %v)", c.method, c.path, rec.Code, rec.Body.Len(), c.code, c.body)
		}
		if c.code == 200 {
			h := rec.Header()
			if h.Get("Content-Type") != "audio/wav" || h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("ETag") != etag {
				t.Errorf("%s %s headers: %v", c.method, c.path, h)
			}
			if c.body && rec.Body.String() != string(audio) {
				t.Errorf("body %q", rec.Body.String())
			}
		}
	}
}
