package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/media"
)

// TestPromptTTSAndGrammarOnAsterisk: one published flow plays an uploaded
// mp3 prompt (1 s of 440 Hz, approved by the operator), a text-to-speech
// sentence (espeak-ng, handed to Asterisk by the daemon's own media
// service) and a date said with the Sample English Grammar, to a caller
// on the real Asterisk who records what reaches them. The caller hears
// the tone first, then speech as long as the sentence and the date's
// segments together, with real energy.
func TestPromptTTSAndGrammarOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	if info.Root == "" {
		t.Fatal("measuring the date's segments needs the local dev Asterisk's root (asterisk-conf/local/up.sh)")
	}
	for _, tool := range []string{"sox", "espeak-ng"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed (.ci/ensure-media-tools.sh installs it)", tool)
		}
	}
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	acc, key := apiAccount(t, a)
	dir := t.TempDir()

	name := "tone_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	tone := soxMake(t, dir, "tone.mp3", "-r", "44100", "-c", "2", "{}", "synth", "1", "sine", "440")
	code, body := uploadPrompt(t, a, key, map[string][]string{"name": {name}}, "tone.mp3", tone)
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	if _, err := a.Prompts().Decide(context.Background(), "ops@switchyard.test", decodePrompt(t, body).ID, true, ""); err != nil {
		t.Fatal(err)
	}
	const sentence = "Your payment is due on"
	flow := createFlow(t, a, key, fmt.Sprintf(`{"format":1,"name":"Reminder","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["prompt:%s","tts:%s"]},"exits":["date"]},
	  {"id":"date","type":"say","params":{"type":"date","value":"2026-03-15"},"exits":["bye","bye"]},
	  {"id":"bye","type":"hangup"}]}`, name, sentence))
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code != http.StatusCreated {
		t.Fatalf("publish: %d %s", code, body)
	}
	did, heard := "+4930556"+fmt.Sprintf("%04d", time.Now().UnixNano()%10000), "sy-heard-speech-"+uuid.NewString()[:8]
	callListening(t, a, key, flow, did, heard)
	at := finishedAttempt(t, a.Store(), acc.ID, did)

	// What the flow played: the prompt and the sentence from the daemon's
	// media URLs, then the date's five core sounds.
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil)
	var journey struct {
		Steps struct {
			Steps []struct {
				Node   string         `json:"node"`
				Exit   *int           `json:"exit"`
				Inputs map[string]any `json:"inputs"`
				Error  string         `json:"error"`
			} `json:"steps"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(body, &journey); err != nil || code != http.StatusOK {
		t.Fatalf("journey: %d %s (%v)", code, body, err)
	}
	var played, said []string
	for _, s := range journey.Steps.Steps {
		if s.Node != "hi" && s.Node != "date" {
			continue
		}
		if s.Exit == nil || *s.Exit != 0 || s.Error != "" {
			t.Fatalf("step %s did not succeed: %s", s.Node, body)
		}
		items, _ := s.Inputs["media"].([]any)
		if s.Node == "date" {
			items, _ = s.Inputs["items"].([]any)
		}
		for _, it := range items {
			str, ok := it.(string)
			if !ok {
				t.Fatalf("step %s: media item %v is not a string", s.Node, it)
			}
			if s.Node == "date" {
				said = append(said, str)
			} else {
				played = append(played, str)
			}
		}
	}
	if len(played) != 2 || len(said) != 5 {
		t.Fatalf("played %v and said %v; want the prompt and the sentence, then five segments", played, said)
	}
	// Both come from this daemon's signed media URLs; their length is
	// what the caller should hear.
	var expected float64
	for _, uri := range played {
		u, ok := strings.CutPrefix(uri, "sound:")
		if !ok || !strings.Contains(u, "/media/") {
			t.Fatalf("media item %q is not served by the daemon's media service", uri)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		wav, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", u, resp.StatusCode, err)
		}
		d, err := media.WAVDuration(wav)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		expected += d.Seconds()
	}
	tts := expected - 1
	if tts < 0.8 {
		t.Fatalf("the sentence lasts %.2f s: not spoken", tts)
	}
	for _, it := range said {
		expected += soxStat(t, soundFile(info.Root, "en", strings.TrimPrefix(it, "sound:")), "Length (seconds)")
	}

	path := heardOnAsterisk(t, a, heard, dir)
	speech := dir + "/speech.wav"
	if out, err := exec.Command("sox", path, speech, "silence", "1", "0.05", "1%", "reverse", "silence", "1", "0.05", "1%", "reverse").CombinedOutput(); err != nil {
		t.Fatalf("sox trim: %v: %s", err, out)
	}
	raw, err := os.ReadFile(speech)
	if err != nil {
		t.Fatal(err)
	}
	line := heardTimeline(raw[44:], 300, 440)
	t.Logf("what the caller heard, 200 ms each (T: 440 Hz, m: other sound, .: silence): %s", line)
	if !strings.HasPrefix(line, "TTTT") || strings.Count(line, "T") > 7 {
		t.Errorf("the caller did not hear the 1 s tone first: %s", line)
	}
	if !strings.Contains(line[min(len(line), 5):], "mmmm") {
		t.Errorf("the caller heard no speech after the tone: %s", line)
	}
	got, rms := soxStat(t, speech, "Length (seconds)"), soxStat(t, speech, "RMS     amplitude")
	t.Logf("heard %.2f s (RMS %.3f); the prompt, the sentence (%.2f s) and the date's segments last %.2f s", got, rms, tts, expected)
	if got < expected*0.8 || got > expected*1.3 {
		t.Errorf("the caller heard %.2f s; what was played lasts %.2f s", got, expected)
	}
	if rms < 0.02 {
		t.Errorf("RMS amplitude %.3f: no real sound", rms)
	}
}
