package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/webhooks"
)

var loopback = webhooks.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

// fakeWebhooks is a function-field webhooks.Source.
type fakeWebhooks struct {
	get func(ctx context.Context, accountID int64, name string) (webhooks.Config, error)
}

func (f fakeWebhooks) Webhook(ctx context.Context, accountID int64, name string) (webhooks.Config, error) {
	return f.get(ctx, accountID, name)
}

// fakeUserVars is a function-field UserVarStore.
type fakeUserVars struct {
	get func(ctx context.Context, accountID int64, name string) (string, bool, error)
	set func(ctx context.Context, accountID int64, name, value string) error
}

func (f fakeUserVars) GetUserVar(ctx context.Context, a int64, n string) (string, bool, error) {
	return f.get(ctx, a, n)
}
func (f fakeUserVars) SetUserVar(ctx context.Context, a int64, n, v string) error {
	return f.set(ctx, a, n, v)
}

// oneNode builds a valid flow around a single node and a run for it on a
// call that has no channel (enough for widgets that do not touch media).
func oneNode(t *testing.T, e *Engine, node string, vars map[string]string, declared ...string) (*run, *Node) {
	t.Helper()
	decl, _ := json.Marshal(declared)
	doc := fmt.Sprintf(`{"format":1,"name":"t","type":"inbound","start":"n","variables":%s,"nodes":[%s,{"id":"ok","type":"hangup"}]}`, decl, node)
	f, err := Parse([]byte(doc), e.Features())
	if err != nil {
		t.Fatalf("flow: %v\n%s", err, doc)
	}
	r := &run{e: e, call: &ari.Call{ID: "test-chan"}, fv: FlowVersion{AccountID: 7, FlowID: 3, Version: 1, Flow: f}, flow: f,
		flowVars: map[string]string{}, syskeys: map[string]string{}, callVars: map[string]string{}, userVars: map[string]string{}}
	for k, v := range vars {
		r.flowVars[k] = v
	}
	return r, f.Node("n")
}

func execNode(r *run, n *Node) (result, Step) {
	st := Step{Inputs: map[string]any{}, Outputs: map[string]any{}}
	res := r.exec(context.Background(), n, &st)
	return res, st
}

func checkVars(t *testing.T, r *run, want map[string]string) {
	t.Helper()
	for k, w := range want {
		got, ok := r.flowVars[k]
		if w == "<unset>" {
			if ok {
				t.Errorf("$flow.key.%s = %q, want unset", k, got)
			}
			continue
		}
		if !ok || got != w {
			t.Errorf("$flow.key.%s = %q (set %v), want %q", k, got, ok, w)
		}
	}
}

func TestWebhookWidget(t *testing.T) {
	var hits atomic.Int32
	var last atomic.Value // *http.Request body summary
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		u, p, _ := r.BasicAuth()
		last.Store(fmt.Sprintf("%s %s ct=%s auth=%s:%s x=%s body=%s", r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), u, p, r.Header.Get("X-Token"), b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"customer":{"name":"Ann \"A\"","tier":2},"tags":["a","b"]}`)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "late")
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		_, _ = io.WriteString(w, `{"error":"down"}`)
	})
	mux.HandleFunc("/unauth", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(401) })
	mux.HandleFunc("/badjson", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, `{"customer": `) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, strings.Repeat("x", 2048)) })
	srv := httptest.NewServer(mux)
	defer srv.Close()

	configured := fakeWebhooks{get: func(_ context.Context, acct int64, name string) (webhooks.Config, error) {
		if acct != 7 || name != "crm" {
			return webhooks.Config{}, webhooks.ErrNotFound
		}
		return webhooks.Config{Method: "POST", URL: srv.URL + "/ok", Username: "svc", Password: "$user.key.pw",
			Headers: map[string]string{"X-Token": "cfg"}, BodyType: "json", Body: json.RawMessage(`{"from":"configured"}`)}, nil
	}}
	users := fakeUserVars{
		get: func(_ context.Context, _ int64, n string) (string, bool, error) {
			if n == "pw" {
				return "s3cret", true, nil
			}
			return "", false, nil
		},
		set: func(context.Context, int64, string, string) error { return nil },
	}

	for _, tc := range []struct {
		name     string
		node     string
		policy   webhooks.Policy
		vars     map[string]string
		wantLine int
		want     map[string]string
		wantReq  string // substring of the request the server saw ("" = no check)
		noHit    bool
	}{
		{
			name: "success with extraction and interpolation everywhere",
			node: `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/ok","method":"POST","username":"u","password":"$flow.key.pin",
			  "headers":{"X-Token":"Bearer $flow.key.pin"},"query":{"who":"$flow.key.name"},"body_type":"json",
			  "body":{"name":"$flow.key.name","n":1},"extract":{"$flow.key.cname":"$.customer.name","$flow.key.tier":"customer.tier","tags":"$.tags"}},"exits":["ok","ok"]}`,
			policy: loopback, vars: map[string]string{"pin": "42", "name": `Bo "B"`}, wantLine: 0,
			want: map[string]string{"response_status": "SUCCESS", "response_status_code": "200", "response_error": "false",
				"cname": `Ann "A"`, "tier": "2", "tags": `["a","b"]`, "error_reason": "<unset>", "response_status_type": "<unset>"},
			wantReq: `POST /ok?who=Bo+%22B%22 ct=application/json auth=u:42 x=Bearer 42 body={"n":1,"name":"Bo \"B\""}`,
		},
		{
			name:   "configured webhook, widget body overrides (form)",
			node:   `{"id":"n","type":"webhook","params":{"webhook":"crm","body_type":"form","body":{"id":"$flow.key.pin"}},"exits":["ok","ok"]}`,
			policy: loopback, vars: map[string]string{"pin": "9 9"}, wantLine: 0,
			want:    map[string]string{"response_status": "SUCCESS"},
			wantReq: `POST /ok ct=application/x-www-form-urlencoded auth=svc:s3cret x=cfg body=id=9+9`,
		},
		{
			name:   "unknown configured webhook",
			node:   `{"id":"n","type":"webhook","params":{"webhook":"nope"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1,
			want: map[string]string{"response_status": "FAILED", "response_error": "true", "error_reason": webhooks.ReasonUnknownWebhook},
		},
		{
			name:   "unset variable",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/ok?x=$flow.key.pin"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1, noHit: true,
			want: map[string]string{"response_status": "FAILED", "response_error": "true", "error_reason": "INVALID_FLOW_VAR"},
		},
		{
			name:   "slow server times out",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/slow","timeout":0.3},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1,
			want: map[string]string{"response_status": "FAILED", "response_error": "true", "error_reason": webhooks.ReasonTimeout, "response_status_code": "0", "response_raw": "null"},
		},
		{
			name:   "server error",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/fail"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1,
			want: map[string]string{"response_status": "FAILED", "response_status_code": "503", "response_status_type": "Server Error",
				"response_error": "true", "error_reason": "SERVER_ERROR", "response_raw": `{"error":"down"}`},
		},
		{
			name:   "401",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/unauth"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1,
			want: map[string]string{"response_status_code": "401", "response_status_type": "Client Error", "error_reason": webhooks.ReasonClientError, "response_raw": "null"},
		},
		{
			name:   "bad JSON when extracting",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/badjson","extract":{"x":"$.customer"}},"exits":["ok","ok"]}`,
			policy: loopback, vars: map[string]string{}, wantLine: 1,
			want: map[string]string{"response_status": "FAILED", "response_status_code": "200", "response_status_type": "Success", "error_reason": webhooks.ReasonInvalidResponse},
		},
		{
			name:   "extract path missing",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/ok","extract":{"x":"$.nobody"}},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1,
			want: map[string]string{"error_reason": webhooks.ReasonPathNotFound, "x": "<unset>"},
		},
		{
			name:   "empty body is null",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/empty"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 0,
			want: map[string]string{"response_status": "SUCCESS", "response_status_code": "204", "response_raw": "null"},
		},
		{
			name:   "redirect not followed",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/redirect"},"exits":["ok","ok"]}`,
			policy: loopback, wantLine: 1, noHit: true,
			want: map[string]string{"response_status_code": "302", "response_status_type": "Redirection", "error_reason": webhooks.ReasonRedirection},
		},
		{
			name:   "response too large",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/big"},"exits":["ok","ok"]}`,
			policy: webhooks.Policy{AllowHTTP: true, Allow: loopback.Allow, MaxBytes: 1024}, wantLine: 1,
			want: map[string]string{"error_reason": webhooks.ReasonTooLarge},
		},
		{
			name:   "loopback refused by default",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/ok"},"exits":["ok","ok"]}`,
			policy: webhooks.Policy{AllowHTTP: true}, wantLine: 1, noHit: true,
			want: map[string]string{"error_reason": webhooks.ReasonBlockedTarget, "response_error": "true"},
		},
		{
			name:   "http refused unless allowed",
			node:   `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/ok"},"exits":["ok","ok"]}`,
			policy: webhooks.Policy{Allow: loopback.Allow}, wantLine: 1, noHit: true,
			want: map[string]string{"error_reason": webhooks.ReasonHTTPNotAllowed},
		},
		{
			name:   "private and link-local refused",
			node:   `{"id":"n","type":"webhook","params":{"url":"http://169.254.169.254/latest","timeout":1},"exits":["ok","ok"]}`,
			policy: webhooks.Policy{AllowHTTP: true}, wantLine: 1,
			want: map[string]string{"error_reason": webhooks.ReasonBlockedTarget},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := tc.policy
			e := &Engine{Webhooks: configured, UserVars: users, Policy: func(context.Context, int64) webhooks.Policy { return pol }}
			r, n := oneNode(t, e, tc.node, tc.vars, "pin", "name", "cname", "tier", "tags", "x")
			before := hits.Load()
			last.Store("")
			res, st := execNode(r, n)
			if res.line != tc.wantLine {
				t.Fatalf("line %d (err %v, outputs %v), want %d", res.line, res.err, st.Outputs, tc.wantLine)
			}
			checkVars(t, r, tc.want)
			if d := r.flowVars["response_duration"]; !strings.Contains(d, ".") || len(strings.SplitN(d, ".", 2)[1]) != 2 {
				t.Errorf("response_duration %q is not seconds with 2 decimals", d)
			}
			if tc.wantReq != "" && last.Load().(string) != tc.wantReq {
				t.Errorf("request\n got %s\nwant %s", last.Load(), tc.wantReq)
			}
			if tc.noHit && hits.Load() != before {
				t.Errorf("/ok was called")
			}
		})
	}
}

func TestWebhookHTTPS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	node := `{"id":"n","type":"webhook","params":{"url":"` + srv.URL + `/x"},"exits":["ok","ok"]}`
	for _, tc := range []struct {
		name   string
		pol    webhooks.Policy
		line   int
		reason string
	}{
		{"https with the CA, loopback allowed", webhooks.Policy{Allow: loopback.Allow, RootCAs: pool}, 0, ""},
		{"untrusted certificate", webhooks.Policy{Allow: loopback.Allow}, 1, webhooks.ReasonConnection},
		{"loopback not allowed", webhooks.Policy{RootCAs: pool}, 1, webhooks.ReasonBlockedTarget},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pol := tc.pol
			r, n := oneNode(t, &Engine{Policy: func(context.Context, int64) webhooks.Policy { return pol }}, node, nil)
			res, st := execNode(r, n)
			if res.line != tc.line || (tc.reason != "" && r.flowVars["error_reason"] != tc.reason) {
				t.Errorf("line %d reason %q (%v)", res.line, r.flowVars["error_reason"], st.Outputs)
			}
			if tc.line == 0 && r.flowVars["response_raw"] != `{"ok":true}` {
				t.Errorf("raw %q", r.flowVars["response_raw"])
			}
		})
	}
}
