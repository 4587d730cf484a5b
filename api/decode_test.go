package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestDecodeJSON(t *testing.T) {
	type in struct {
		Name  string   `json:"name"`
		Count int      `json:"count"`
		Tags  []string `json:"tags"`
		On    *bool    `json:"on"`
	}
	for _, tc := range []struct {
		name, body, field, msg string
		status                 int
	}{
		{name: "ok", body: `{"name":"a","count":2,"tags":["x"],"on":true}`},
		{name: "wrong type", body: `{"count":"two"}`, field: "count", msg: "must be a JSON integer, got a string", status: 422},
		{name: "wrong type in array", body: `{"tags":[1]}`, field: "tags", msg: "must be a JSON string, got a number", status: 422},
		{name: "pointer field", body: `{"on":"yes"}`, field: "on", msg: "must be a JSON boolean, got a string", status: 422},
		{name: "unknown field", body: `{"nmae":"a"}`, field: "nmae", msg: `unknown field "nmae"`, status: 422},
		{name: "not an object", body: `[1,2]`, field: "body", msg: "must be a JSON object, got an array", status: 422},
		{name: "syntax", body: `{"name": }`, field: "body", msg: "not valid JSON (at byte 10)", status: 422},
		{name: "cut short", body: `{"name": "a"`, field: "body", msg: "the JSON ends too early", status: 422},
		{name: "empty", body: ``, field: "body", msg: "empty: a JSON object is expected", status: 422},
		{name: "trailing", body: `{"name":"a"} {}`, field: "body", msg: "one JSON object expected, with nothing after it", status: 422},
		{name: "too large", body: `{"name":"` + strings.Repeat("a", 100) + `"}`, msg: "request body too large: this endpoint accepts at most 64 bytes", status: 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			c := echo.New().NewContext(req, httptest.NewRecorder())
			var v in
			err := DecodeJSON(c, &v, 64)
			if tc.status == 0 {
				if err != nil || v.Name != "a" || v.Count != 2 || len(v.Tags) != 1 || v.On == nil || !*v.On {
					t.Fatalf("decoded %+v, %v", v, err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("err %v (%T), want a coded error", err, err)
			}
			if ae.Status != 0 && ae.Status != tc.status || ae.Field != tc.field || ae.Message != tc.msg {
				t.Fatalf("got status %d field %q message %q; want %d %q %q", ae.Status, ae.Field, ae.Message, tc.status, tc.field, tc.msg)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"x"}`, `[`, `{"a":[{"b":null}]}`, "", `{"a":1} x`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var v struct {
			A int `json:"a"`
		}
		err := DecodeJSONBytes([]byte(body), &v)
		var ae *Error
		if err != nil && !errors.As(err, &ae) {
			t.Fatalf("%q: uncoded error %v", body, err)
		}
	})
}
