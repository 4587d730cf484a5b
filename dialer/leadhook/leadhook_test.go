package leadhook

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// hooks is a WebhookSource over a map.
type hooks map[string]webhooks.Config

func (h hooks) Webhook(_ context.Context, _ int64, name string) (webhooks.Config, error) {
	w, ok := h[name]
	if !ok {
		return webhooks.Config{}, webhooks.ErrNotFound
	}
	return w, nil
}

var loopback = func(context.Context, int64) webhooks.Policy {
	return webhooks.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}
}

func TestNextLead(t *testing.T) {
	cases := []struct {
		name    string
		handler http.HandlerFunc
		path    string
		want    string
		err     string
	}{
		{name: "plain", handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("+4930123\n")) }, want: "+4930123"},
		{name: "json", handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"number":"0799"}`)) }, want: "0799"},
		{name: "json path", path: "lead.phone", handler: func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"lead":{"phone":"0800"}}`))
		}, want: "0800"},
		{name: "no content", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }, want: ""},
		{name: "empty", handler: func(w http.ResponseWriter, r *http.Request) {}, want: ""},
		{name: "500", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }, err: "SERVER_ERROR"},
		{name: "404", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) }, err: "CLIENT_ERROR"},
		{name: "bad body", handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }, err: "contains"},
		{name: "timeout", handler: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}, err: "TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got http.Header
			var query map[string][]string
			var method string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, query, method = r.Header, r.URL.Query(), r.Method
				tc.handler(w, r)
			}))
			defer srv.Close()
			s := &Source{Webhooks: hooks{"lead": {URL: srv.URL + "/next?key=abc"}}, Policy: loopback, Timeout: 300 * time.Millisecond}
			c := &dialer.Campaign{AccountID: 1, LeadWebhook: "lead", LeadNumberPath: tc.path}
			n, err := s.NextLead(context.Background(), c, map[string]string{"From": "1000001", "Legs[0][Number]": "x"})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %q, %v; want an error with %q", n, err, tc.err)
				}
				return
			}
			if err != nil || n != tc.want {
				t.Fatalf("got %q, %v; want %q", n, err, tc.want)
			}
			if method != http.MethodGet || query["From"][0] != "1000001" || query["key"][0] != "abc" || query["Legs[0][Number]"][0] != "x" {
				t.Errorf("request %s %v", method, query)
			}
			if got.Get("User-Agent") != "Switchyard" {
				t.Errorf("user agent %q", got.Get("User-Agent"))
			}
		})
	}
}

func TestPolicyAndUnknownWebhook(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("1")) }))
	defer srv.Close()
	c := &dialer.Campaign{AccountID: 1, LeadWebhook: "lead", LogWebhook: "gone"}
	// The default policy refuses plain HTTP to loopback.
	s := &Source{Webhooks: hooks{"lead": {URL: srv.URL}}}
	if _, err := s.NextLead(context.Background(), c, nil); !errors.Is(err, ErrWebhook) {
		t.Errorf("default policy: %v", err)
	}
	s.Policy = loopback
	if err := s.CallLog(context.Background(), c, nil); !errors.Is(err, webhooks.ErrNotFound) {
		t.Errorf("unknown webhook: %v", err)
	}
	if err := s.CallLog(context.Background(), &dialer.Campaign{AccountID: 1}, nil); err != nil {
		t.Errorf("no log webhook: %v", err)
	}
}

func TestCallLog(t *testing.T) {
	got := make(chan url.Values, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.URL.Query() }))
	defer srv.Close()
	s := &Source{Webhooks: hooks{"log": {URL: srv.URL}}, Policy: loopback}
	c := &dialer.Campaign{AccountID: 1, LogWebhook: "log"}
	p := dialer.CallLogParams(dialer.LeadCall{AgentNumber: "1000001", Last: dialer.CustomerCall{Number: "busy", Status: "BUSY"}})
	if err := s.CallLog(context.Background(), c, p); err != nil {
		t.Fatal(err)
	}
	q := <-got
	if q.Get("DialCallStatus") != "busy" || q.Get("Legs[0][Number]") != "busy" || q.Get("From") != "1000001" {
		t.Errorf("query %v", q)
	}
}
