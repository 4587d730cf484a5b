package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/internal/testkit"
)

// heardOnAsterisk waits for the stored recording name (what a customer
// of answer-listen heard, written when its call ends) and returns its
// path in dir, fetched over ARI (the Asterisk box may be remote).
func heardOnAsterisk(t *testing.T, a *app.App, name, dir string) string {
	t.Helper()
	ctx := context.Background()
	cl := a.Calls().Client()
	var data []byte
	testkit.Eventually(t, 45*time.Second, func() bool {
		body, _, err := cl.StoredRecordingFile(ctx, name)
		if err != nil {
			return false
		}
		defer body.Close()
		b, err := io.ReadAll(body)
		if err != nil || len(b) <= 44 {
			return false
		}
		data = b
		return true
	}, "the customer's recording %s", name)
	t.Cleanup(func() { _ = cl.DeleteStoredRecording(context.Background(), name) })
	p := filepath.Join(dir, name+".wav")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// callListening routes the DID to the published flow and calls it from
// the answer-listen customer, who keeps what it hears as the stored
// recording heard (read it with heardOnAsterisk).
func callListening(t *testing.T, a *app.App, key, flow, did, heard string) {
	t.Helper()
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/dids/"+url.PathEscape(did), map[string]any{"flow_id": json64(t, flow)}); code != http.StatusOK {
		t.Fatalf("route the DID: %d %s", code, body)
	}
	if _, err := a.Calls().Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-listen", Priority: 1,
		CallerID: "+4930777000111", Timeout: 30,
		Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp, "HEARD": "/var/spool/asterisk/recording/" + heard},
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPromptPlaysOnAsterisk: an mp3 made with sox (2 s of 440 Hz) is
// uploaded; while pending, a flow playing it cannot be published; once
// the operator approves it the flow publishes, and a caller to its DID
// (the answer-listen customer, who records what reaches it) hears about
// 2 s of the 440 Hz tone with real energy: Asterisk fetched the prompt
// from Switchyard over HTTP (no shared disk).
func TestPromptPlaysOnAsterisk(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	acc, key := apiAccount(t, a)
	dir := t.TempDir()
	name := "tone_" + strings.ReplaceAll(uuid.NewString()[:8], "-", "")
	tone := soxMake(t, dir, "tone.mp3", "-r", "44100", "-c", "2", "{}", "synth", "2", "sine", "440")
	code, body := uploadPrompt(t, a, key, map[string][]string{"name": {name}}, "tone.mp3", tone)
	if code != http.StatusCreated {
		t.Fatalf("upload: %d %s", code, body)
	}
	p := decodePrompt(t, body)
	flow := createFlow(t, a, key, fmt.Sprintf(`{"format":1,"name":"Tone","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["prompt:%s"]},"exits":["bye"]},
	  {"id":"bye","type":"hangup"}]}`, name))
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code != http.StatusUnprocessableEntity ||
		!strings.Contains(string(body), "is pending") {
		t.Fatalf("publish with the prompt pending: %d %s", code, body)
	}
	if _, err := a.Prompts().Decide(context.Background(), "ops@switchyard.test", p.ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil); code != http.StatusCreated {
		t.Fatalf("publish with the prompt approved: %d %s", code, body)
	}
	did, heard := "+4930559"+fmt.Sprintf("%04d", time.Now().UnixNano()%10000), "sy-heard-prompt-"+uuid.NewString()[:8]
	callListening(t, a, key, flow, did, heard)
	at := finishedAttempt(t, a.Store(), acc.ID, did)
	if at.Status == "" {
		t.Fatalf("attempt %+v", at)
	}
	path := heardOnAsterisk(t, a, heard, dir)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := heardTimeline(raw[44:], 300, 440)
	t.Logf("what the caller heard, 200 ms each (T: 440 Hz, m: other sound, .: silence): %s", line)
	tones := strings.Count(line, "T")
	if tones < 8 || tones > 12 || !strings.Contains(line, "TTTTTTTT") {
		t.Errorf("the caller heard %d × 200 ms of the 440 Hz tone; want about 2 s in one piece", tones)
	}
	length, rms := soxStat(t, path, "Length (seconds)"), soxStat(t, path, "RMS     amplitude")
	t.Logf("sox stat of what the caller heard: %.2f s, RMS amplitude %.3f", length, rms)
	// The tone's 2 s of the whole file carry its energy: a full-scale
	// sine has an RMS of 0.7; over the whole recording well above 0.05.
	if length < 1.9 || rms < 0.05 || math.IsNaN(rms) {
		t.Errorf("sox stat: %.2f s, RMS %.3f; want at least 2 s with real energy", length, rms)
	}
}

func json64(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestPromptRecordByPhone: "call me" rings a test-trunk line that acts as
// a person (after the beep it says "hello world", presses # to stop, and
// presses 1 while hearing the take back); the saved take becomes the
// prompt, pending, with the speech's length and energy, and the call's
// state says saved. A number that is not E.164 and a name in use are
// refused before anything is dialed.
func TestPromptRecordByPhone(t *testing.T) {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.AgentEndpoint = "Local/{number}@test-trunk"
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	acc, key := apiAccount(t, a)
	number := testArea() + "5550140"
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/prompts/record-call",
		map[string]any{"name": "by_phone", "number": "030 1234"}); code != http.StatusUnprocessableEntity || !strings.Contains(string(body), "E.164") {
		t.Errorf("a national number: %d %s", code, body)
	}
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/prompts/record-call",
		map[string]any{"name": "by_phone", "tags": []string{"Phone"}, "number": number})
	if code != http.StatusAccepted {
		t.Fatalf("record call: %d %s", code, body)
	}
	var rc struct {
		ID       string `json:"id"`
		State    string `json:"state"`
		PromptID int64  `json:"prompt_id"`
		Error    string `json:"error"`
	}
	if err := jsonUnmarshal(body, &rc); err != nil || rc.ID == "" {
		t.Fatalf("record call answer %s: %v", body, err)
	}
	testkit.Eventually(t, 60*time.Second, func() bool {
		code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/prompts/record-calls/"+rc.ID, nil)
		return code == http.StatusOK && jsonUnmarshal(body, &rc) == nil && rc.State != "ringing" && rc.State != "recording" && rc.State != "reviewing"
	}, "the record-by-phone call ended")
	if rc.State != "saved" || rc.PromptID == 0 {
		t.Fatalf("record call ended %+v", rc)
	}
	code, body = apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/prompts/%d", rc.PromptID), nil)
	if code != http.StatusOK {
		t.Fatalf("prompt: %d %s", code, body)
	}
	p := decodePrompt(t, body)
	// "hello world" is 1.3 s (the line sends no audio before it, so the
	// take holds little more).
	if p.Name != "by_phone" || p.Source != "phone" || p.Status != "pending" || p.AccountID != acc.ID ||
		strings.Join(p.Tags, ",") != "phone" || p.DurationMS < 1000 || p.DurationMS > 4000 {
		t.Errorf("recorded prompt %+v", p)
	}
	code, audio := apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/prompts/%d/audio", rc.PromptID), nil)
	if code != http.StatusOK {
		t.Fatalf("audio: %d", code)
	}
	path := filepath.Join(t.TempDir(), "by_phone.wav")
	if err := os.WriteFile(path, audio, 0o600); err != nil {
		t.Fatal(err)
	}
	line := heardTimeline(audio[44:], 300, 440)
	t.Logf("the take, 200 ms each (m: sound, .: silence): %s", line)
	if !strings.Contains(line, "mmmm") {
		t.Errorf("the take has no 0.8 s of speech: %s", line)
	}
	if rms := soxStat(t, path, "RMS     amplitude"); rms < 0.01 {
		t.Errorf("the take's RMS amplitude is %.4f: no speech", rms)
	}
	// The take lives on in the database only.
	testkit.Eventually(t, 10*time.Second, func() bool {
		recs, err := a.Calls().Client().StoredRecordings(context.Background())
		if err != nil {
			return false
		}
		for _, r := range recs {
			if strings.HasPrefix(r.Name, "sy-prompt-") {
				return false
			}
		}
		return true
	}, "the take deleted on Asterisk")
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/prompts/record-call",
		map[string]any{"name": "by_phone", "number": number}); code != http.StatusConflict {
		t.Errorf("a name in use: %d %s", code, body)
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
