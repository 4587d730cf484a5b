package webhooks

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type seenRequest struct {
	Method, Path, Query, Body, ContentType, Auth string
	Header                                       http.Header
}

func recordServer(t *testing.T, status int) (*httptest.Server, func() []seenRequest) {
	t.Helper()
	var mu sync.Mutex
	var seen []seenRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		mu.Lock()
		seen = append(seen, seenRequest{r.Method, r.URL.Path, r.URL.RawQuery, string(b), r.Header.Get("Content-Type"), u + ":" + p, r.Header.Clone()})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seenRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]seenRequest(nil), seen...)
	}
}

var invLoopback = Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func TestInvokeInterpolates(t *testing.T) {
	srv, seen := recordServer(t, 200)
	vars := map[string]string{
		"event.type": "agent_connected", "event.agent_id": "7", "event.agent": "Ann",
		"event.customer": `+49 "quoted" $call.cli`, "call.cli": "+4930111",
	}
	w := Config{
		Method:   "POST",
		URL:      srv.URL + "/crm/${event.type}?agent=$event.agent_id",
		Username: "u-$event.agent_id", Password: "p",
		Headers: map[string]string{"X-Event": "$event.type", "X-$event.agent": "yes"},
		Query:   map[string]string{"cli": "$call.cli", "d": "$sys.date"},
		Body:    json.RawMessage(`{"type":"$event.type","who":"$event.agent/$event.agent_id","customer":"$event.customer","n":[1,"${event.agent_id}"]}`),
	}
	now := time.Date(2017, 3, 3, 12, 30, 24, 0, time.UTC)
	res := Invoke(context.Background(), invLoopback, Invocation{Webhook: w, Vars: vars, Now: func() time.Time { return now }})
	if !res.OK {
		t.Fatalf("Invoke: %+v", res)
	}
	got := seen()
	if len(got) != 1 {
		t.Fatalf("requests: %d", len(got))
	}
	r := got[0]
	if r.Method != "POST" || r.Path != "/crm/agent_connected" {
		t.Errorf("method/path: %s %s", r.Method, r.Path)
	}
	q, _ := url.ParseQuery(r.Query)
	if q.Get("agent") != "7" || q.Get("cli") != "+4930111" || q.Get("d") != "2017-03-03" {
		t.Errorf("query: %s", r.Query)
	}
	if r.Auth != "u-7:p" || r.Header.Get("X-Event") != "agent_connected" || r.Header.Get("X-Ann") != "yes" {
		t.Errorf("auth %q headers %v", r.Auth, r.Header)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
		t.Fatalf("body %q: %v", r.Body, err)
	}
	// A value with quotes and a $call reference stays literal, valid JSON.
	if body["type"] != "agent_connected" || body["who"] != "Ann/7" || body["customer"] != `+49 "quoted" $call.cli` {
		t.Errorf("body: %v", body)
	}
	if n, _ := body["n"].([]any); len(n) != 2 || n[1] != "7" {
		t.Errorf("body n: %v", body["n"])
	}
	if r.ContentType != "application/json" || r.Header.Get("User-Agent") != "Switchyard" {
		t.Errorf("content type %q UA %q", r.ContentType, r.Header.Get("User-Agent"))
	}
}

func TestInvokeParams(t *testing.T) {
	params := map[string]string{"CallSid": "abc", "From": "+4930$event.x", "Event Type": "Dial"}
	for _, method := range []string{"", "GET", "POST"} {
		t.Run("method="+method, func(t *testing.T) {
			srv, seen := recordServer(t, 204)
			w := Config{Method: method, URL: srv.URL + "/popup?fixed=1",
				Body: json.RawMessage(`{"ignored":"yes"}`)}
			res := Invoke(context.Background(), invLoopback, Invocation{Webhook: w, Params: params})
			if !res.OK {
				t.Fatalf("Invoke: %+v", res)
			}
			r := seen()[0]
			var vals url.Values
			if method == "POST" {
				if r.Method != "POST" || r.ContentType != "application/x-www-form-urlencoded" {
					t.Errorf("POST: %s %s", r.Method, r.ContentType)
				}
				vals, _ = url.ParseQuery(r.Body)
			} else {
				if r.Method != "GET" || r.Body != "" {
					t.Errorf("GET: %s body %q", r.Method, r.Body)
				}
				vals, _ = url.ParseQuery(r.Query)
				if vals.Get("fixed") != "1" {
					t.Errorf("configured query lost: %s", r.Query)
				}
			}
			for k, v := range params {
				if vals.Get(k) != v {
					t.Errorf("%s = %q; want %q (all: %v)", k, vals.Get(k), v, vals)
				}
			}
		})
	}
}

func TestInvokeErrors(t *testing.T) {
	srv, seen := recordServer(t, 503)
	cases := []struct {
		name   string
		pol    Policy
		w      Config
		vars   map[string]string
		reason string
	}{
		{"unknown event var", invLoopback, Config{URL: srv.URL + "/$event.nope"}, map[string]string{"event.type": "x"}, ReasonInvalidFlowVar},
		{"flow var", invLoopback, Config{URL: srv.URL + "/$flow.key.x"}, nil, ReasonInvalidFlowVar},
		{"unset call var", invLoopback, Config{URL: srv.URL + "/$call.cli"}, map[string]string{"event.type": "x"}, ReasonInvalidFlowVar},
		{"invLoopback blocked", Policy{AllowHTTP: true}, Config{URL: srv.URL}, nil, ReasonBlockedTarget},
		{"http blocked", Policy{}, Config{URL: srv.URL}, nil, ReasonHTTPNotAllowed},
		{"server error", invLoopback, Config{URL: srv.URL}, nil, ReasonServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := Invoke(context.Background(), c.pol, Invocation{Webhook: c.w, Vars: c.vars})
			if res.OK || res.Reason != c.reason {
				t.Errorf("Invoke = %+v; want reason %s", res, c.reason)
			}
			if c.name == "unknown event var" && !strings.Contains(res.Detail, "$event.nope") {
				t.Errorf("detail %q does not name $event.nope", res.Detail)
			}
		})
	}
	if n := len(seen()); n != 1 {
		t.Errorf("server saw %d requests; want 1 (only the server-error case)", n)
	}
}

func TestInvokeTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	res := Invoke(context.Background(), invLoopback, Invocation{Webhook: Config{URL: srv.URL}, Timeout: 200 * time.Millisecond})
	if res.Reason != ReasonTimeout || time.Since(start) > 2*time.Second {
		t.Errorf("Invoke = %+v after %v; want TIMEOUT after ~200ms", res, time.Since(start))
	}
}

// FuzzInvokeRewrite: the $event.* rewriter never panics, leaves text
// without "$" alone, and every reference it replaces becomes a placeholder
// whose value is one of the variables.
func FuzzInvokeRewrite(f *testing.F) {
	for _, s := range []string{"", "plain", "$event.type", "${event.type}", "a$event.agent_id.b", "$event.", "${event.x",
		"$$event.type$", "${event.}", "$call.cli $event.agent $event.agent_number", "$event.type-x"} {
		f.Add(s)
	}
	vars := map[string]string{"event.type": "T", "event.agent": "A", "event.agent_number": "N", "call.cli": "C"}
	f.Fuzz(func(t *testing.T, s string) {
		values := map[string]string{}
		rw := newRewriter(vars, values)
		out := rw.rewrite(s)
		if !strings.Contains(s, "$") && out != s {
			t.Fatalf("rewrite(%q) = %q; want it unchanged", s, out)
		}
		for name, v := range values {
			if !strings.Contains(out, "${flow.key."+name+"}") {
				t.Fatalf("placeholder %s missing from %q", name, out)
			}
			if v != "T" && v != "A" && v != "N" {
				t.Fatalf("placeholder value %q is not a variable's", v)
			}
		}
	})
}
