package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/prompts"
	"github.com/switchyard/switchyard/store"
)

// soxMake runs sox to make a test file in dir (sox -n <args…> with the
// file's path in place of {}) and returns its bytes.
func soxMake(t *testing.T, dir, name string, args ...string) []byte {
	t.Helper()
	p := filepath.Join(dir, name)
	full := []string{"-n"}
	for _, a := range args {
		if a == "{}" {
			a = p
		}
		full = append(full, a)
	}
	if out, err := exec.Command("sox", full...).CombinedOutput(); err != nil {
		t.Fatalf("sox %q: %v\n%s", full, err, out)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadPrompt posts a prompt as multipart/form-data with an API key.
func uploadPrompt(t *testing.T, a *app.App, key string, fields map[string][]string, fileName string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := w.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if data != nil {
		fw, err := w.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/prompts", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", w.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func decodePrompt(t *testing.T, b []byte) store.Prompt {
	t.Helper()
	var p store.Prompt
	if err := json.Unmarshal(b, &p); err != nil || p.ID == 0 {
		t.Fatalf("prompt %s: %v", b, err)
	}
	return p
}

// TestPromptLibraryAPI: an mp3 and a wav upload become pending prompts in
// Asterisk's format, the owner and the operators are mailed; bad names,
// duplicates, files that are not audio, corrupt files and files over the
// size or duration cap are refused with the reason and store nothing; a
// flow naming a pending or unknown prompt cannot be published; the
// operator rejects (with a reason) or approves and the owner is mailed;
// the approved prompt's media URL serves its audio to Asterisk, a
// tampered one nothing; schedulers read but do not add, another account
// sees nothing.
func TestPromptLibraryAPI(t *testing.T) {
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
		c.PublicURL = "http://console.switchyard.test"
		c.PromptMaxMB = 1
		c.PromptMaxDuration = 5 * time.Second
	})
	ctx := context.Background()
	st := a.Store()
	if _, _, err := a.Accounts().CreateOperator(ctx, "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	acme := newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	beta := newAccount(t, a, "beta", "boss@beta.test", "correct horse")
	_, key, err := st.CreateAPIKey(ctx, acme.Account.ID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	_, schedKey, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: acme.Account.ID, Name: "sched", Role: store.RoleScheduler})
	if err != nil {
		t.Fatal(err)
	}
	_, betaKey, err := st.CreateAPIKey(ctx, beta.Account.ID, "beta")
	if err != nil {
		t.Fatal(err)
	}
	op := newClient(t, a)
	mustCode(t, "operator login", op.login("ops@switchyard.test", "operator password"), 200)

	dir := t.TempDir()
	tone := soxMake(t, dir, "tone.mp3", "-r", "44100", "-c", "2", "{}", "synth", "2", "sine", "440")
	code, body := uploadPrompt(t, a, key, map[string][]string{"name": {"welcome_tone"}, "tags": {"greeting, Main"}}, "tone.mp3", tone)
	if code != http.StatusCreated {
		t.Fatalf("upload mp3: %d %s", code, body)
	}
	welcome := decodePrompt(t, body)
	if welcome.Status != store.PromptPending || welcome.Source != "upload" || welcome.FileName != "tone.mp3" ||
		strings.Join(welcome.Tags, ",") != "greeting,main" || welcome.DurationMS < 1900 || welcome.DurationMS > 2200 {
		t.Fatalf("uploaded prompt %+v", welcome)
	}
	mailTo(t, sink, 2, "boss@acme.test", "submitted for approval")
	mailTo(t, sink, 2, "ops@switchyard.test", "Prompt to approve: welcome_tone")

	wav := soxMake(t, dir, "menu.wav", "-r", "44100", "-c", "2", "-b", "16", "{}", "synth", "1", "sine", "660")
	code, body = uploadPrompt(t, a, key, map[string][]string{"name": {"menu_wav"}, "tags": {"menu", "ivr"}}, "menu.wav", wav)
	if code != http.StatusCreated {
		t.Fatalf("upload wav: %d %s", code, body)
	}
	menu := decodePrompt(t, body)

	long := soxMake(t, dir, "long.ogg", "-r", "22050", "-c", "1", "{}", "synth", "6", "sine", "300")
	big := soxMake(t, dir, "big.wav", "-r", "44100", "-c", "2", "-b", "16", "{}", "synth", "7", "sine", "300")
	corrupt := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), bytes.Repeat([]byte{0x13, 0x37, 0x00, 0x42}, 500)...)
	for _, c := range []struct {
		what   string
		fields map[string][]string
		file   []byte
		code   int
		want   string
	}{
		{"duplicate name", map[string][]string{"name": {"welcome_tone"}}, tone, 409, "already exists"},
		{"bad name", map[string][]string{"name": {"welcome tone"}}, tone, 422, "letters, digits and underscores"},
		{"bad tag", map[string][]string{"name": {"x1"}, "tags": {"50%"}}, tone, 422, "tag"},
		{"no file", map[string][]string{"name": {"x2"}}, nil, 422, "attach the audio file"},
		{"not audio", map[string][]string{"name": {"x3"}}, []byte("name,number\nann,+4930123456\n"), 422, "not an mp3, wav or ogg"},
		{"corrupt mp3", map[string][]string{"name": {"x4"}}, corrupt, 422, "could not be read as mp3"},
		{"too long", map[string][]string{"name": {"x5"}}, long, 422, "longer than 5s"},
		{"too large", map[string][]string{"name": {"x6"}}, big, 422, "at most 1 MB"},
	} {
		code, body := uploadPrompt(t, a, key, c.fields, "f", c.file)
		if code != c.code || !strings.Contains(string(body), c.want) {
			t.Errorf("%s: %d %s; want %d %q", c.what, code, body, c.code, c.want)
		}
	}
	if code, body := uploadPrompt(t, a, schedKey, map[string][]string{"name": {"sched"}}, "t.mp3", tone); code != http.StatusForbidden {
		t.Errorf("scheduler uploads: %d %s", code, body)
	}
	var list struct {
		Prompts []store.Prompt `json:"prompts"`
	}
	listNames := func(k, q string) string {
		t.Helper()
		code, body := apiCall(t, a, k, http.MethodGet, "/api/v1/prompts"+q, nil)
		if code != http.StatusOK {
			t.Fatalf("list %s: %d %s", q, code, body)
		}
		list.Prompts = nil
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, p := range list.Prompts {
			n = append(n, p.Name)
		}
		return strings.Join(n, ",")
	}
	for q, want := range map[string]string{"": "menu_wav,welcome_tone", "?tag=ivr": "menu_wav", "?tag=GREETING": "welcome_tone",
		"?status=pending": "menu_wav,welcome_tone", "?status=approved": ""} {
		if got := listNames(schedKey, q); got != want {
			t.Errorf("list%s: %q; want %q (nothing of the refused uploads)", q, got, want)
		}
	}
	if got := listNames(betaKey, ""); got != "" {
		t.Errorf("another account lists %q", got)
	}
	if code, _ := apiCall(t, a, betaKey, http.MethodGet, fmt.Sprintf("/api/v1/prompts/%d/audio", welcome.ID), nil); code != http.StatusNotFound {
		t.Errorf("another account's audio: %d", code)
	}
	code, audio := apiCall(t, a, schedKey, http.MethodGet, fmt.Sprintf("/api/v1/prompts/%d/audio", welcome.ID), nil)
	if d, err := prompts.WAVDuration(audio); code != http.StatusOK || err != nil || d < 1900*time.Millisecond || d > 2200*time.Millisecond {
		t.Errorf("audio: %d, %v %v (8 kHz mono 16-bit WAV of 2 s wanted)", code, d, err)
	}

	// Publishing: pending and unknown prompts are refused, by node.
	flow := createFlow(t, a, key, `{"format":1,"name":"Welcome","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["prompt:welcome_tone"]},"exits":["bye"]},
	  {"id":"bye","type":"play","params":{"media":["sound:beep","prompt:nope"]}}]}`)
	code, body = apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow+"/publish", nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(body), `prompt \"welcome_tone\" is pending`) ||
		!strings.Contains(string(body), `no prompt named \"nope\"`) || !strings.Contains(string(body), `"node":"bye","field":"params.media[1]"`) {
		t.Fatalf("publish with a pending and an unknown prompt: %d %s", code, body)
	}

	// The operator's decisions.
	r := op.do("GET", "/api/v1/operator/prompts", nil, false)
	mustCode(t, "operator's list", r, 200)
	if r.json(t, &list); len(list.Prompts) != 2 || list.Prompts[0].Name != "welcome_tone" {
		t.Fatalf("operator's pending list: %s", r.body)
	}
	mustCode(t, "operator hears the prompt", op.do("GET", fmt.Sprintf("/api/v1/operator/prompts/%d/audio", menu.ID), nil, false), 200)
	if code, _ := apiCall(t, a, key, http.MethodPost, fmt.Sprintf("/api/v1/operator/prompts/%d/approve", welcome.ID), nil); code != http.StatusForbidden {
		t.Errorf("the account approves its own prompt: %d", code)
	}
	wantFieldError(t, "reject without a reason", op.do("POST", fmt.Sprintf("/api/v1/operator/prompts/%d/reject", menu.ID), map[string]string{}, true), 422, "invalid", "reason")
	r = op.do("POST", fmt.Sprintf("/api/v1/operator/prompts/%d/reject", menu.ID), map[string]string{"reason": "the recording is clipped"}, true)
	mustCode(t, "reject", r, 200)
	mailTo(t, sink, 5, "boss@acme.test", "the recording is clipped")
	r = op.do("POST", fmt.Sprintf("/api/v1/operator/prompts/%d/approve", welcome.ID), nil, true)
	mustCode(t, "approve", r, 200)
	mailTo(t, sink, 6, "boss@acme.test", "approved your prompt \"welcome_tone\"")
	mustCode(t, "approve twice", op.do("POST", fmt.Sprintf("/api/v1/operator/prompts/%d/approve", welcome.ID), nil, true), 409)

	// Still refused: nope is unknown. Fixed, it publishes.
	flow2 := createFlow(t, a, key, `{"format":1,"name":"Welcome 2","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["prompt:welcome_tone"]}}]}`)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow2+"/publish", nil); code != http.StatusCreated {
		t.Fatalf("publish with the approved prompt: %d %s", code, body)
	}
	flow3 := createFlow(t, a, key, `{"format":1,"name":"Menu","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["prompt:menu_wav"]}}]}`)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow3+"/publish", nil); code != 422 || !strings.Contains(string(body), "is rejected") {
		t.Fatalf("publish with a rejected prompt: %d %s", code, body)
	}

	// The media URL Asterisk fetches.
	uri, err := a.Prompts().PromptURI(ctx, acme.Account.ID, "welcome_tone")
	if err != nil {
		t.Fatal(err)
	}
	wantPrefix := "sound:http://" + a.Addr() + "/media/"
	if !strings.HasPrefix(uri, wantPrefix) || !strings.HasSuffix(uri, "/"+welcome.MediaHash+".wav") {
		t.Fatalf("media URI %q", uri)
	}
	res, err := http.Get(strings.TrimPrefix(uri, "sound:"))
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != 200 || res.Header.Get("Content-Type") != "audio/wav" ||
		!strings.Contains(res.Header.Get("Cache-Control"), "immutable") || !bytes.Equal(served, audio) {
		t.Errorf("media: %d %q %q, %d bytes (%v)", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"), len(served), err)
	}
	sig := strings.Split(strings.TrimPrefix(uri, wantPrefix), "/")[0]
	for _, bad := range []string{strings.Replace(uri, sig, "A"+sig[1:], 1), strings.Replace(uri, welcome.MediaHash, menu.MediaHash, 1)} {
		res, err := http.Get(strings.TrimPrefix(bad, "sound:"))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("tampered media URL %s: %d", bad, res.StatusCode)
		}
	}
	if _, err := a.Prompts().PromptURI(ctx, beta.Account.ID, "welcome_tone"); err == nil {
		t.Error("another account's flows play acme's prompt")
	}
	if code, _ := apiCall(t, a, key, http.MethodDelete, "/api/v1/prompts/"+strconv.FormatInt(menu.ID, 10), nil); code != http.StatusNoContent {
		t.Errorf("delete: %d", code)
	}
	if got := listNames(key, ""); got != "welcome_tone" {
		t.Errorf("after delete: %q", got)
	}
	// A prompt a live flow plays is not deleted (every call of that flow
	// would fail at that step); once the flow is published without it,
	// it is.
	welcomeURL := "/api/v1/prompts/" + strconv.FormatInt(welcome.ID, 10)
	if code, body := apiCall(t, a, key, http.MethodDelete, welcomeURL, nil); code != http.StatusConflict ||
		!strings.Contains(string(body), `published flow \"Welcome 2\"`) {
		t.Fatalf("delete a prompt the published flow plays: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow2, []byte(`{"format":1,"name":"Welcome 2","type":"inbound","start":"hi","nodes":[
	  {"id":"hi","type":"play","params":{"media":["sound:hello-world"]}}]}`)); code != http.StatusOK {
		t.Fatalf("edit the flow: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodDelete, welcomeURL, nil); code != http.StatusConflict {
		t.Fatalf("delete while the live version still plays it (only the draft changed): %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+flow2+"/publish", nil); code != http.StatusCreated {
		t.Fatalf("publish without the prompt: %d %s", code, body)
	}
	if code, body := apiCall(t, a, key, http.MethodDelete, welcomeURL, nil); code != http.StatusNoContent {
		t.Fatalf("delete once no live flow plays it: %d %s", code, body)
	}
}
