package api

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestWithAccount(t *testing.T) {
	cases := []struct {
		name     string
		set      bool
		p        Principal
		wantAcct int64 // 0: refused with ErrUnauthorized
	}{
		{"no principal", false, Principal{}, 0},
		{"no account (operator)", true, Principal{OperatorID: 1, Role: RoleOperator}, 0},
		{"negative account", true, Principal{AccountID: -1}, 0},
		{"account user", true, Principal{AccountID: 7, UserID: 2, Role: RoleOwner}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			if tc.set {
				c.Set(ctxKeyPrincipal, tc.p)
			}
			var got int64
			called := false
			err := WithAccount(func(_ echo.Context, acct int64) error {
				called, got = true, acct
				return nil
			})(c)
			if tc.wantAcct == 0 {
				if called || !errors.Is(err, ErrUnauthorized) {
					t.Fatalf("called=%v err=%v, want refused with ErrUnauthorized", called, err)
				}
				return
			}
			if err != nil || !called || got != tc.wantAcct {
				t.Fatalf("called=%v acct=%d err=%v, want acct %d", called, got, err, tc.wantAcct)
			}
		})
	}
}

func TestPathID(t *testing.T) {
	long := strings.Repeat("9", 600)
	cases := []struct {
		name, param, value string
		want               int64
		wantMsg            string // "": no error
	}{
		{"id", "id", "42", 42, ""},
		{"named", "flow_id", "9223372036854775807", 9223372036854775807, ""},
		{"zero", "id", "0", 0, `must be a positive integer, got "0"`},
		{"negative", "id", "-3", 0, `must be a positive integer, got "-3"`},
		{"word", "agent_id", "abc", 0, `must be a positive integer, got "abc"`},
		{"empty", "id", "", 0, `must be a positive integer, got ""`},
		{"overflow", "id", "9223372036854775808", 0, `must be a positive integer, got "9223372036854775808"`},
		{"long, clipped", "id", long, 0, `must be a positive integer, got "` + long[:512] + `…(600 bytes)"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
			c.SetParamNames(tc.param)
			c.SetParamValues(tc.value)
			got, err := PathID(c, tc.param)
			if tc.wantMsg == "" {
				if err != nil || got != tc.want {
					t.Fatalf("PathID = %d, %v; want %d", got, err, tc.want)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || got != 0 {
				t.Fatalf("PathID = %d, %v; want an *Error", got, err)
			}
			if e.Code != "invalid" || e.Field != tc.param || e.Message != tc.wantMsg {
				t.Fatalf("error = {%q %q %q}, want {invalid %q %q}", e.Code, e.Field, e.Message, tc.param, tc.wantMsg)
			}
		})
	}
}
