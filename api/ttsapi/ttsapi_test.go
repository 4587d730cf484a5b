package ttsapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/tts"
)

// fakeEngine is a function-field tts.Engine.
type fakeEngine struct {
	synth  func(ctx context.Context, voice, text string, ssml bool) ([]byte, error)
	voices func(ctx context.Context) ([]tts.Voice, error)
}

func (f fakeEngine) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	return f.synth(ctx, voice, text, ssml)
}
func (f fakeEngine) Voices(ctx context.Context) ([]tts.Voice, error) { return f.voices(ctx) }

// fakePublisher is a function-field tts.Publisher.
type fakePublisher struct {
	publish func(ctx context.Context, acct int64, wav []byte) (string, error)
}

func (f fakePublisher) Publish(ctx context.Context, acct int64, wav []byte) (string, error) {
	return f.publish(ctx, acct, wav)
}

// wav8k is a valid 8 kHz mono 16-bit WAV of n samples.
func wav8k(n int) []byte {
	h := []byte("RIFF\x00\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x40\x1f\x00\x00\x80\x3e\x00\x00\x02\x00\x10\x00data")
	size := 2 * n
	h = append(h, byte(size), byte(size>>8), byte(size>>16), byte(size>>24))
	return append(h, make([]byte, size)...)
}

type env struct {
	t                    *testing.T
	fx                   *apistoretest.Fixture
	scheduler            string
	synths, cloudChecks  atomic.Int64
	lastVoice, lastCloud atomic.Value
}

func newEnv(t *testing.T) *env {
	e := &env{t: t, fx: apistoretest.NewFixture(t)}
	local := fakeEngine{
		synth: func(_ context.Context, voice, text string, ssml bool) ([]byte, error) {
			e.synths.Add(1)
			e.lastVoice.Store(voice)
			return wav8k(800), nil
		},
		voices: func(context.Context) ([]tts.Voice, error) {
			return []tts.Voice{{ID: "en-gb", Language: "en-gb", Name: "English (Great Britain)"}, {ID: "en-us", Language: "en-us", Name: "English (America)"}}, nil
		},
	}
	svc, err := tts.New(tts.Config{Store: e.fx.Store, Local: local, SecretKey: []byte("ttsapi-test-key-0123456789"),
		Publisher: fakePublisher{publish: func(_ context.Context, acct int64, wav []byte) (string, error) {
			return fmt.Sprintf("sound:http://media/%d.wav", acct), nil
		}},
		Cloud: func(a tts.CloudAccount, secret string) (tts.Engine, error) {
			return fakeEngine{
				synth: func(_ context.Context, voice, text string, ssml bool) ([]byte, error) {
					e.lastCloud.Store(a.Alias + "/" + voice)
					return wav8k(400), nil
				},
				voices: func(context.Context) ([]tts.Voice, error) {
					e.cloudChecks.Add(1)
					if secret != "right-secret" {
						return nil, tts.ErrEngine.New("", "Amazon Polly refused: InvalidSignatureException")
					}
					return []tts.Voice{{ID: "Joanna", Language: "en-US"}}, nil
				},
			}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	Register(e.fx.Server.API(), Deps{Service: svc})
	_, k, err := e.fx.Store.CreateAPIKeyFor(context.Background(), store.NewAPIKey{AccountID: e.fx.Account, Name: "sched", Role: store.RoleScheduler})
	if err != nil {
		t.Fatal(err)
	}
	e.scheduler = k
	return e
}

func (e *env) raw(key, method, path, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.fx.Server.Handler().ServeHTTP(rec, req)
	return rec
}

func (e *env) do(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	rec := e.raw(key, method, path, body)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

func errField(out map[string]any) (code, field string) {
	eb, _ := out["error"].(map[string]any)
	code, _ = eb["code"].(string)
	field, _ = eb["field"].(string)
	return code, field
}

// TestSettingsVoicesPreview: the account reads and sets its engine and
// voice, lists voices, and hears a preview as WAV; bad input names the
// field; a scheduler reads but does not change.
func TestSettingsVoicesPreview(t *testing.T) {
	e := newEnv(t)
	key := e.fx.Key
	if code, out := e.do(key, "GET", "/api/v1/tts/settings", ""); code != 200 || out["engine"] != "local" || out["voice"] != "en-us" {
		t.Fatalf("default settings: %d %v", code, out)
	}
	if code, out := e.do(key, "PUT", "/api/v1/tts/settings", `{"engine":"local","voice":"en-gb"}`); code != 200 || out["voice"] != "en-gb" {
		t.Fatalf("set: %d %v", code, out)
	}
	if code, out := e.do(e.scheduler, "GET", "/api/v1/tts/settings", ""); code != 200 || out["voice"] != "en-gb" {
		t.Fatalf("scheduler reads: %d %v", code, out)
	}
	if code, _ := e.do(e.scheduler, "PUT", "/api/v1/tts/settings", `{"engine":"local","voice":"en-us"}`); code != 403 {
		t.Fatalf("scheduler sets: %d", code)
	}
	for _, tc := range []struct{ body, field string }{
		{`{"engine":"nosuch","voice":"x"}`, "engine"},
		{`{"engine":"local","voice":"a b"}`, "voice"},
		{`{"engine":"local","voice":"en","extra":1}`, "extra"},
		{`{"engine":7}`, "engine"},
	} {
		if code, out := e.do(key, "PUT", "/api/v1/tts/settings", tc.body); code != 422 {
			t.Errorf("%s: %d %v", tc.body, code, out)
		} else if _, f := errField(out); f != tc.field {
			t.Errorf("%s: field %q, want %q", tc.body, f, tc.field)
		}
	}
	if code, out := e.do(e.scheduler, "GET", "/api/v1/tts/voices", ""); code != 200 || len(out["voices"].([]any)) != 2 {
		t.Fatalf("voices: %d %v", code, out)
	}
	rec := e.raw(key, "POST", "/api/v1/tts/preview", `{"text":"Hello there"}`)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "audio/wav" || !strings.HasPrefix(rec.Body.String(), "RIFF") {
		t.Fatalf("preview: %d %s %.40q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
	if v := e.lastVoice.Load(); v != "en-gb" {
		t.Errorf("preview voice %v; want the account's en-gb", v)
	}
	if code, out := e.do(key, "POST", "/api/v1/tts/preview", `{"text":"  "}`); code != 422 {
		t.Errorf("empty preview: %d %v", code, out)
	} else if _, f := errField(out); f != "text" {
		t.Errorf("empty preview field %q", f)
	}
	if code, _ := e.do(e.scheduler, "POST", "/api/v1/tts/preview", `{"text":"Hi"}`); code != 403 {
		t.Errorf("scheduler preview: %d", code)
	}
}

// TestCloudAccountsAPI: create, list, read, check (before and after
// saving), update, delete a cloud account; secrets never come back;
// another account sees none of it; the account's engine cannot be deleted.
func TestCloudAccountsAPI(t *testing.T) {
	e := newEnv(t)
	key := e.fx.Key
	body := `{"provider":"aws","alias":"polly_main","services":["polly","s3"],"region":"eu-west-1",
		"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"right-secret"}`
	code, out := e.do(key, "POST", "/api/v1/cloud-accounts/check", body)
	if code != 200 {
		t.Fatalf("check input: %d %v", code, out)
	}
	checks := out["checks"].([]any)
	if c0 := checks[0].(map[string]any); len(checks) != 2 || c0["service"] != "polly" || c0["status"] != "ok" {
		t.Fatalf("checks %v", checks)
	}
	if c1 := checks[1].(map[string]any); c1["status"] != "not_checked" {
		t.Fatalf("s3 check %v", c1)
	}
	code, out = e.do(key, "POST", "/api/v1/cloud-accounts", body)
	if code != 201 {
		t.Fatalf("create: %d %v", code, out)
	}
	raw := e.raw(key, "GET", "/api/v1/cloud-accounts", "").Body.String()
	if strings.Contains(raw, "right-secret") || strings.Contains(raw, "secret_access_key") || strings.Contains(raw, "sealed") {
		t.Fatalf("the list shows the secret: %s", raw)
	}
	id := int64(out["id"].(float64))
	if code, out := e.do(key, "POST", "/api/v1/cloud-accounts", body); code != 409 {
		t.Errorf("duplicate alias: %d %v", code, out)
	}
	if code, out := e.do(key, "POST", "/api/v1/cloud-accounts", strings.Replace(body, "polly_main", "bad-alias", 1)); code != 422 {
		t.Errorf("bad alias: %d %v", code, out)
	} else if _, f := errField(out); f != "alias" {
		t.Errorf("bad alias field %q", f)
	}
	code, out = e.do(key, "GET", "/api/v1/cloud-accounts", "")
	if code != 200 || len(out["cloud_accounts"].([]any)) != 1 || out["providers"].(map[string]any)["aws"] == nil {
		t.Fatalf("list: %d %v", code, out)
	}
	path := fmt.Sprintf("/api/v1/cloud-accounts/%d", id)
	if code, out := e.do(e.fx.OtherKey, "GET", path, ""); code != 404 {
		t.Errorf("another account reads it: %d %v", code, out)
	}
	if code, _ := e.do(e.scheduler, "GET", "/api/v1/cloud-accounts", ""); code != 403 {
		t.Errorf("scheduler lists cloud accounts: %d", code)
	}
	// Saved with a wrong secret: its check says so and is kept.
	upd := strings.Replace(body, "right-secret", "wrong-secret", 1)
	if code, out := e.do(key, "PUT", path, upd); code != 200 {
		t.Fatalf("update: %d %v", code, out)
	}
	code, out = e.do(key, "POST", path+"/check", "")
	if code != 200 || out["checks"].([]any)[0].(map[string]any)["status"] != "failed" || out["checked_at"] == nil {
		t.Fatalf("check saved: %d %v", code, out)
	}
	if msg := out["checks"].([]any)[0].(map[string]any)["message"]; !strings.Contains(fmt.Sprint(msg), "InvalidSignatureException") {
		t.Errorf("failed check message %v", msg)
	}
	// An empty secret keeps the saved one.
	keep := strings.Replace(body, `"secret_access_key":"right-secret"`, `"secret_access_key":""`, 1)
	keep = strings.Replace(keep, "eu-west-1", "eu-west-2", 1)
	if code, out := e.do(key, "PUT", path, keep); code != 200 || out["region"] != "eu-west-2" {
		t.Fatalf("update keeping the secret: %d %v", code, out)
	}
	if code, out := e.do(key, "POST", path+"/check", ""); code != 200 || out["checks"].([]any)[0].(map[string]any)["status"] != "failed" {
		t.Fatalf("still the wrong secret: %d %v", code, out)
	}
	// The account speaks through it; then it cannot be deleted.
	if code, out := e.do(key, "PUT", "/api/v1/tts/settings", `{"engine":"polly_main","voice":"Joanna"}`); code != 200 {
		t.Fatalf("cloud engine: %d %v", code, out)
	}
	if rec := e.raw(key, "POST", "/api/v1/tts/preview", `{"text":"Hi"}`); rec.Code != 200 || e.lastCloud.Load() != "polly_main/Joanna" {
		t.Fatalf("cloud preview: %d %v", rec.Code, e.lastCloud.Load())
	}
	if code, out := e.do(key, "DELETE", path, ""); code != 409 {
		t.Errorf("delete the engine in use: %d %v", code, out)
	}
	if code, _ := e.do(key, "PUT", "/api/v1/tts/settings", `{"engine":"local","voice":"en-us"}`); code != 200 {
		t.Fatal(code)
	}
	if code, out := e.do(key, "DELETE", path, ""); code != 204 {
		t.Fatalf("delete: %d %v", code, out)
	}
	if code, _ := e.do(key, "GET", path, ""); code != 404 {
		t.Errorf("deleted: %d", code)
	}
	if code, out := e.do(key, "GET", "/api/v1/cloud-accounts/x", ""); code != 422 {
		t.Errorf("bad id: %d %v", code, out)
	}
}

// TestRoutesInAccessTable: every route registered here has an access level.
func TestRoutesInAccessTable(t *testing.T) {
	e := newEnv(t)
	for _, r := range e.fx.Server.Echo().Routes() {
		if !strings.Contains(r.Path, "/tts/") && !strings.Contains(r.Path, "/cloud-accounts") {
			continue
		}
		if _, ok := api.RouteAccess(r.Method, r.Path); !ok {
			t.Errorf("%s %s is not in the access table", r.Method, r.Path)
		}
	}
}
