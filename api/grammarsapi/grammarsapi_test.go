package grammarsapi

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/grammars"
)

type env struct {
	t          *testing.T
	fx         *apistoretest.Fixture
	key, other string
}

func newEnv(t *testing.T) *env {
	fx := apistoretest.NewFixture(t)
	Register(fx.Server.API(), Deps{Grammars: &grammars.Service{Store: fx.Store}, Users: fx.Store})
	return &env{t: t, fx: fx, key: fx.Key, other: fx.OtherKey}
}

func (e *env) do(key, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.fx.Server.Handler().ServeHTTP(rec, req)
	var out map[string]any
	if rec.Body.Len() > 0 {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			e.t.Fatalf("%s %s: body %q: %v", method, path, rec.Body.String(), err)
		}
	}
	return rec.Code, out
}

func errMessage(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	m, _ := e["message"].(string)
	f, _ := e["field"].(string)
	return f + ": " + m
}

// TestGrammarsAPI: the sample grammar is listed and readable, a grammar
// is added from its JSON document (checked, every problem named), listed
// and read by its account only, says values in the preview, and is
// deleted; the sample grammar is read-only.
func TestGrammarsAPI(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(e.key, "GET", "/api/v1/grammars", "")
	if code != 200 || fmt.Sprint(out["grammars"]) == "" {
		t.Fatalf("list: %d %v", code, out)
	}
	list := out["grammars"].([]any)
	first := list[0].(map[string]any)
	if len(list) != 1 || first["name"] != grammars.SampleName || first["sample"] != true || first["title"] != "Sample English Grammar" {
		t.Fatalf("list: %v", list)
	}
	code, out = e.do(e.key, "GET", "/api/v1/grammars/sample_english", "")
	doc, _ := json.Marshal(out["document"])
	if code != 200 || !strings.Contains(string(doc), `"sound:digits/mon-2"`) {
		t.Fatalf("sample: %d %v", code, out)
	}
	// A custom grammar: the sample's document with prompts for 1 and 2.
	custom := strings.Replace(strings.Replace(string(doc), `"sound:digits/1"`, `"prompt:one_uk"`, 1), `"language":"en"`, `"language":"en-GB"`, 1)
	code, out = e.do(e.key, "POST", "/api/v1/grammars", `{"name":"uk","document":`+custom+`}`)
	if code != 201 || out["name"] != "uk" || out["language"] != "en-GB" || out["created_by"] == "" {
		t.Fatalf("create: %d %v", code, out)
	}
	for _, tc := range []struct {
		body string
		code int
		want string
	}{
		{`{"name":"uk","document":` + custom + `}`, 409, `"uk" already exists`},
		{`{"name":"sample_english","document":` + custom + `}`, 409, "sample grammar's name"},
		{`{"name":"bad name","document":` + custom + `}`, 422, "letters, digits or underscores"},
		{`{"name":"x"}`, 422, "document is required"},
		{`{"name":"x","document":{"format":1,"language":"hi"}}`, 422, "segments.numbers.0 is missing"},
		{`{"name":"x","document":` + strings.Replace(custom, `"sound:digits/h-15"`, `"tts:fifteenth"`, 1) + `}`, 422, `segments.ordinals.15: "tts:fifteenth"`},
		{`{"name":"x","document":{},"extra":1}`, 422, `unknown field "extra"`},
	} {
		code, out := e.do(e.key, "POST", "/api/v1/grammars", tc.body)
		if code != tc.code || !strings.Contains(errMessage(out), tc.want) {
			t.Errorf("create %.60s: %d %v; want %d saying %q", tc.body, code, out, tc.code, tc.want)
		}
	}
	if code, out := e.do(e.key, "GET", "/api/v1/grammars", ""); code != 200 || len(out["grammars"].([]any)) != 2 {
		t.Errorf("list after create: %d %v", code, out)
	}
	if code, out := e.do(e.other, "GET", "/api/v1/grammars/uk", ""); code != 404 {
		t.Errorf("another account reads it: %d %v", code, out)
	}
	for _, tc := range []struct {
		grammar, body string
		code          int
		want          string
	}{
		{"uk", `{"type":"number","value":"21"}`, 200, "[sound:digits/20 prompt:one_uk]"},
		{"sample_english", `{"type":"date","value":"2026-03-15"}`, 200, "[sound:digits/mon-2 sound:digits/h-15 sound:digits/20 sound:digits/20 sound:digits/6]"},
		{"sample_english", `{"type":"time","value":"21:30"}`, 200, "[sound:digits/9 sound:digits/30 sound:digits/p-m]"},
		{"sample_english", `{"type":"date","value":"2026-13-01"}`, 422, "not a date"},
		{"sample_english", `{"type":"money","value":"1"}`, 422, "not a kind of value"},
		{"nope", `{"type":"number","value":"1"}`, 404, `unknown grammar "nope"`},
	} {
		code, out := e.do(e.key, "POST", "/api/v1/grammars/"+tc.grammar+"/say", tc.body)
		got := fmt.Sprint(out["items"])
		if code != 200 {
			got = errMessage(out)
		}
		if code != tc.code || !strings.Contains(got, tc.want) {
			t.Errorf("say %s %s: %d %s; want %d %q", tc.grammar, tc.body, code, got, tc.code, tc.want)
		}
	}
	if code, out := e.do(e.key, "DELETE", "/api/v1/grammars/sample_english", ""); code != 409 {
		t.Errorf("delete the sample: %d %v", code, out)
	}
	if code, out := e.do(e.other, "DELETE", "/api/v1/grammars/uk", ""); code != 404 {
		t.Errorf("another account deletes it: %d %v", code, out)
	}
	if code, out := e.do(e.key, "DELETE", "/api/v1/grammars/uk", ""); code != 204 {
		t.Fatalf("delete: %d %v", code, out)
	}
	if code, out := e.do(e.key, "GET", "/api/v1/grammars/uk", ""); code != 404 {
		t.Errorf("read after delete: %d %v", code, out)
	}
}
