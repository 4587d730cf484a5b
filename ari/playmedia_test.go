package ari_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// TestPlaySendsEveryMedia: a playback of several media sends them as one
// comma-separated media parameter, the form in which Asterisk plays them
// all in turn (of repeated media= parameters it plays only the last: a
// said date was heard as its year's last digit).
func TestPlaySendsEveryMedia(t *testing.T) {
	got := make(chan []string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.URL.Query()["media"]
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	c, err := ari.NewClient(ari.Options{URL: srv.URL + "/ari", App: "play", RequestTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	media := []string{"sound:digits/mon-2", "sound:digits/h-15", "recording:x"}
	want := []string{"sound:digits/mon-2,sound:digits/h-15,recording:x"}
	if _, err := c.Play(context.Background(), "ch", "pb", media...); err != nil {
		t.Fatal(err)
	}
	if q := <-got; !slices.Equal(q, want) {
		t.Errorf("channel playback media %q, want %q", q, want)
	}
	if _, err := c.PlayOnBridge(context.Background(), "br", "pb2", media...); err != nil {
		t.Fatal(err)
	}
	if q := <-got; !slices.Equal(q, want) {
		t.Errorf("bridge playback media %q, want %q", q, want)
	}
}

// TestPlayRefusesCommaInMedia: a media URI with a comma would be split by
// Asterisk into other media: refused before it is sent.
func TestPlayRefusesCommaInMedia(t *testing.T) {
	c, err := ari.NewClient(ari.Options{URL: "http://127.0.0.1:1/ari", App: "play"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Play(context.Background(), "ch", "pb", "sound:a", "sound:http://x/a,b.wav"); err == nil || !strings.Contains(err.Error(), "comma") {
		t.Errorf("comma in media: %v", err)
	}
}
