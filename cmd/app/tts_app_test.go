package app_test

import (
	"context"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/tts"
)

// TestTTSApp: the daemon's text-to-speech speaks with the real espeak-ng:
// the local voices are listed, the account's voice is set (an unknown one
// is refused with unknown_voice), and a preview is an 8 kHz mono WAV; a
// text over the cap is refused.
func TestTTSApp(t *testing.T) {
	for _, bin := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is required (.ci/ensure-media-tools.sh): %v", bin, err)
		}
	}
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = "http://127.0.0.1:1/ari", "u", "p"
		c.TTSVoice = "en-gb"
	})
	ctx := context.Background()
	acc, err := a.Store().CreateAccount(ctx, "tts-app")
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := a.Store().CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/tts/settings", nil); code != 200 || !strings.Contains(string(body), `"voice":"en-gb"`) {
		t.Fatalf("default settings follow SWITCHYARD_TTS_VOICE: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/tts/voices?engine=local", nil); code != 200 || !strings.Contains(string(body), `"id":"en-us"`) {
		t.Fatalf("voices: %d %.300s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/tts/settings", map[string]string{"engine": "local", "voice": "xx-nope"}); code != 422 || !strings.Contains(string(body), "unknown_voice") {
		t.Fatalf("unknown voice: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/tts/settings", map[string]string{"engine": "local", "voice": "en-us+Alicia"}); code != 200 {
		t.Fatalf("set voice: %d %s", code, body)
	}
	code, wav := apiCall(t, a, key, http.MethodPost, "/api/v1/tts/preview", map[string]string{"text": "Your payment is due tomorrow."})
	if code != 200 {
		t.Fatalf("preview: %d %s", code, wav)
	}
	info, err := tts.ParseWAV(wav)
	if err != nil || info.Rate != 8000 || info.Channels != 1 || info.Bits != 16 || len(info.Data) < 16000 {
		t.Fatalf("preview audio: %+v (%d bytes of samples) %v", info.Rate, len(info.Data), err)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/tts/preview", map[string]string{"text": strings.Repeat("a", tts.MaxTextBytes+1)}); code != 422 {
		t.Fatalf("text too long: %d %s", code, body)
	}
}
