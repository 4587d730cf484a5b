package flows

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchyard/switchyard/flows/variables"
)

// Webhook error reasons ($flow.key.error_reason). INVALID_FLOW_VAR and
// SERVER_ERROR are the webhook widget's documented ones; the others name the
// remaining failures the same way.
const (
	ReasonInvalidFlowVar   = "INVALID_FLOW_VAR"
	ReasonServerError      = "SERVER_ERROR"     // 5xx
	ReasonClientError      = "CLIENT_ERROR"     // 4xx
	ReasonRedirection      = "REDIRECTION"      // 3xx (redirects are not followed)
	ReasonTimeout          = "TIMEOUT"          // no complete answer in time
	ReasonConnection       = "CONNECTION_ERROR" // DNS, refused, reset, TLS
	ReasonBlockedTarget    = "BLOCKED_TARGET"   // loopback/private/link-local not allow-listed
	ReasonHTTPNotAllowed   = "HTTP_NOT_ALLOWED" // http:// without the account allowing it
	ReasonInvalidURL       = "INVALID_URL"      // not a URL after interpolation
	ReasonTooLarge         = "RESPONSE_TOO_LARGE"
	ReasonInvalidResponse  = "INVALID_RESPONSE" // not JSON while extraction needs JSON
	ReasonPathNotFound     = "PATH_NOT_FOUND"   // an extract path selected nothing
	ReasonUnknownWebhook   = "UNKNOWN_WEBHOOK"  // configured webhook not found
	ReasonWebhookNotConfig = "NO_WEBHOOK_STORE"
)

// NetPolicy is an account's outbound HTTP policy for webhooks and CRM
// calls.
type NetPolicy struct {
	AllowHTTP bool           // plain http:// URLs (default HTTPS only)
	Allow     []netip.Prefix // loopback/private/link-local targets allowed
	MaxBytes  int64          // response size cap (default 256 KiB)
	// RootCAs, if set, replaces the system roots (a private CA).
	RootCAs *x509.CertPool
}

const defaultMaxResponse = 256 << 10

// errBlocked is returned by the dialer for refused addresses.
var errBlocked = errors.New("target address not allowed")

func (p NetPolicy) allowed(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !special(ip) {
		return true
	}
	for _, pr := range p.Allow {
		if pr.Contains(ip) {
			return true
		}
	}
	return false
}

// clients caches one client per (policy, timeout), so webhook calls reuse
// connections (and TLS sessions) instead of dialling for every call. The
// policy is enforced when a connection is dialled; a kept-alive connection
// goes to an address that was allowed when it was made.
var clients struct {
	sync.Mutex
	m map[string]*http.Client
}

const maxCachedClients = 1024

func (p NetPolicy) cacheKey(timeout time.Duration) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v|%d|%p|%d", p.AllowHTTP, p.MaxBytes, p.RootCAs, timeout)
	for _, pr := range p.Allow {
		b.WriteString("|")
		b.WriteString(pr.String())
	}
	return b.String()
}

// client returns the HTTP client for the policy: it enforces the policy on
// the address actually dialled (no DNS-rebinding bypass) and never follows
// redirects.
func (p NetPolicy) client(timeout time.Duration) *http.Client {
	k := p.cacheKey(timeout)
	clients.Lock()
	defer clients.Unlock()
	if c := clients.m[k]; c != nil {
		return c
	}
	if clients.m == nil || len(clients.m) >= maxCachedClients {
		for _, c := range clients.m {
			c.CloseIdleConnections()
		}
		clients.m = map[string]*http.Client{}
	}
	c := p.newClient(timeout)
	clients.m[k] = c
	return c
}

func (p NetPolicy) newClient(timeout time.Duration) *http.Client {
	d := &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", errBlocked, address)
			}
			if !p.allowed(ap.Addr()) {
				return fmt.Errorf("%w: %s is loopback, private, link-local, metadata or this host's own address and not allow-listed", errBlocked, ap.Addr())
			}
			return nil
		},
	}
	tr := &http.Transport{
		DialContext:           d.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       60 * time.Second,
		Proxy:                 nil,
	}
	if p.RootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: p.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// HTTPResult is one webhook call's outcome, in the webhook widget's terms.
type HTTPResult struct {
	OK         bool
	StatusCode int
	Duration   time.Duration
	Raw        []byte
	Reason     string // error_reason when !OK
	Detail     string // human detail for the journey
}

// StatusType names the class of a status code (as
// $flow.key.response_status_type, e.g. "Redirection").
func StatusType(code int) string {
	switch {
	case code >= 100 && code < 200:
		return "Informational"
	case code >= 200 && code < 300:
		return "Success"
	case code >= 300 && code < 400:
		return "Redirection"
	case code >= 400 && code < 500:
		return "Client Error"
	case code >= 500 && code < 600:
		return "Server Error"
	}
	return "No Response"
}

// preparedRequest is a webhook with every variable substituted.
type preparedRequest struct {
	Method, URL        string
	Username, Password string
	Headers            map[string]string
	Body               []byte
	ContentType        string
}

// prepare substitutes variables in every field of w. missing lists the
// variables that were unset.
func prepare(w WebhookConfig, lookup func(variables.Ref) (string, bool)) (preparedRequest, []string, error) {
	var missing []string
	sub := func(s string) string {
		out, m := variables.Interpolate(s, lookup)
		missing = append(missing, m...)
		return out
	}
	r := preparedRequest{Method: w.Method, Headers: map[string]string{}}
	if r.Method == "" {
		r.Method = http.MethodPost
		if len(w.Body) == 0 {
			r.Method = http.MethodGet
		}
	}
	r.URL = sub(w.URL)
	r.Username, r.Password = sub(w.Username), sub(w.Password)
	for k, v := range w.Headers {
		r.Headers[sub(k)] = sub(v)
	}
	if len(w.Query) > 0 {
		u, err := url.Parse(r.URL)
		if err == nil {
			q := u.Query()
			for k, v := range w.Query {
				q.Set(sub(k), sub(v))
			}
			u.RawQuery = q.Encode()
			r.URL = u.String()
		}
	}
	if len(w.Body) > 0 {
		switch w.BodyType {
		case "raw":
			var s string
			if err := json.Unmarshal(w.Body, &s); err != nil {
				return r, missing, fmt.Errorf("raw body must be a JSON string: %w", err)
			}
			r.Body, r.ContentType = []byte(sub(s)), "text/plain; charset=utf-8"
		case "form":
			var m map[string]string
			if err := json.Unmarshal(w.Body, &m); err != nil {
				return r, missing, fmt.Errorf("form body must be an object of strings: %w", err)
			}
			f := url.Values{}
			for k, v := range m {
				f.Set(sub(k), sub(v))
			}
			r.Body, r.ContentType = []byte(f.Encode()), "application/x-www-form-urlencoded"
		default:
			var v any
			if err := json.Unmarshal(w.Body, &v); err != nil {
				return r, missing, fmt.Errorf("json body: %w", err)
			}
			b, err := json.Marshal(mapStrings(v, sub))
			if err != nil {
				return r, missing, err
			}
			r.Body, r.ContentType = b, "application/json"
		}
	}
	return r, missing, nil
}

// mapStrings substitutes in every string of decoded JSON (keys too), so a
// value with quotes stays valid JSON.
func mapStrings(v any, f func(string) string) any {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for i := range x {
			x[i] = mapStrings(x[i], f)
		}
		return x
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[f(k)] = mapStrings(e, f)
		}
		return out
	}
	return v
}

// doHTTP performs a prepared request under the policy.
func doHTTP(ctx context.Context, pol NetPolicy, timeout time.Duration, userAgent string, r preparedRequest) HTTPResult {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return HTTPResult{Reason: ReasonInvalidURL, Detail: fmt.Sprintf("%q is not an http(s) URL", r.URL)}
	}
	if u.Scheme == "http" && !pol.AllowHTTP {
		return HTTPResult{Reason: ReasonHTTPNotAllowed, Detail: "only https:// URLs are allowed for this account"}
	}
	max := pol.MaxBytes
	if max <= 0 {
		max = defaultMaxResponse
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var body io.Reader
	if r.Body != nil {
		body = strings.NewReader(string(r.Body))
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		return HTTPResult{Reason: ReasonInvalidURL, Detail: err.Error()}
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	if r.ContentType != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if userAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	if r.Username != "" || r.Password != "" {
		req.SetBasicAuth(r.Username, r.Password)
	}
	start := time.Now()
	resp, err := pol.client(timeout).Do(req)
	if err != nil {
		res := HTTPResult{Duration: time.Since(start), Reason: ReasonConnection, Detail: err.Error()}
		var ne net.Error
		switch {
		case errors.Is(err, errBlocked):
			res.Reason = ReasonBlockedTarget
		case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
			res.Reason = ReasonTimeout
		}
		return res
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	res := HTTPResult{StatusCode: resp.StatusCode, Duration: time.Since(start), Raw: raw}
	if err != nil {
		res.Reason, res.Detail = ReasonTimeout, "reading the response: "+err.Error()
		var ne net.Error
		if !errors.Is(err, context.DeadlineExceeded) && !(errors.As(err, &ne) && ne.Timeout()) {
			res.Reason = ReasonConnection
		}
		return res
	}
	if int64(len(raw)) > max {
		res.Raw = raw[:max]
		res.Reason, res.Detail = ReasonTooLarge, "response larger than "+strconv.FormatInt(max, 10)+" bytes"
		return res
	}
	switch {
	case resp.StatusCode >= 500:
		res.Reason = ReasonServerError
	case resp.StatusCode >= 400:
		res.Reason = ReasonClientError
	case resp.StatusCode >= 300:
		res.Reason, res.Detail = ReasonRedirection, "redirect to "+resp.Header.Get("Location")+" not followed"
	case resp.StatusCode < 200:
		res.Reason = ReasonServerError
	default:
		res.OK = true
	}
	return res
}

// WebhookConfig is an HTTP request description: an account's configured
// webhook, or a widget's inline one. Every string may hold variables.
type WebhookConfig struct {
	Method   string            `json:"method"`
	URL      string            `json:"url"`
	Username string            `json:"username,omitempty"`
	Password string            `json:"password,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Query    map[string]string `json:"query,omitempty"`
	BodyType string            `json:"body_type,omitempty"` // json, form, raw
	Body     json.RawMessage   `json:"body,omitempty"`
	// Trigger (account webhooks only) is when the webhook is called
	// besides the widgets that name it: TriggerDisconnect (the default,
	// "" too) at the end of every call of the account, with the call's
	// variables; TriggerWidget only from widgets.
	Trigger string `json:"trigger,omitempty"`
}

// Account webhook triggers.
const (
	TriggerDisconnect = "disconnect"
	TriggerWidget     = "widget"
)

// ValidateWebhook checks a webhook description; it returns the problems
// with field names relative to the webhook.
func ValidateWebhook(w WebhookConfig) []Problem {
	v := &validator{declared: map[string]bool{}}
	n := &Node{}
	p := &paramReader{v: v, node: n, used: map[string]bool{}}
	checkWebhookFields(p, "", &w, true, nil)
	switch w.Trigger {
	case "", TriggerDisconnect, TriggerWidget:
	default:
		p.bad("trigger", "must be %q (called when each call ends, the default) or %q (only from widgets), got %q", TriggerDisconnect, TriggerWidget, w.Trigger)
	}
	return v.problems
}

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// checkWebhookFields checks w; refs in its strings are checked unless
// declared is nil (account-level webhooks: any flow variable).
func checkWebhookFields(p *paramReader, prefix string, w *WebhookConfig, needURL bool, declaredOnly *bool) {
	refs := func(field, s string) {
		if declaredOnly != nil {
			p.checkRefs(field, s)
			return
		}
		_, bad := variables.Scan(s)
		for _, b := range bad {
			p.bad(field, "unknown variable %s", b.Full())
		}
	}
	if w.Method != "" {
		ok := false
		for _, m := range httpMethods {
			ok = ok || w.Method == m
		}
		if !ok {
			p.bad(prefix+"method", "must be one of %s (got %q)", strings.Join(httpMethods, ", "), w.Method)
		}
	}
	if needURL && strings.TrimSpace(w.URL) == "" {
		p.bad(prefix+"url", "is required")
	}
	if w.URL != "" {
		refs(prefix+"url", w.URL)
		if !variables.HasRefs(w.URL) && !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
			p.bad(prefix+"url", "must be an http(s) URL (got %q)", w.URL)
		}
	}
	refs(prefix+"username", w.Username)
	refs(prefix+"password", w.Password)
	for _, k := range sortedKeys(w.Headers) {
		refs(prefix+"headers."+k, k)
		refs(prefix+"headers."+k, w.Headers[k])
	}
	for _, k := range sortedKeys(w.Query) {
		refs(prefix+"query."+k, k)
		refs(prefix+"query."+k, w.Query[k])
	}
	switch w.BodyType {
	case "", "json", "form", "raw":
	default:
		p.bad(prefix+"body_type", "must be json, form or raw (got %q)", w.BodyType)
	}
	if len(w.Body) > 0 {
		switch w.BodyType {
		case "raw":
			var s string
			if json.Unmarshal(w.Body, &s) != nil {
				p.bad(prefix+"body", "a raw body must be a string")
			} else {
				refs(prefix+"body", s)
			}
		case "form":
			var m map[string]string
			if json.Unmarshal(w.Body, &m) != nil {
				p.bad(prefix+"body", "a form body must be an object of strings")
			} else {
				for _, k := range sortedKeys(m) {
					refs(prefix+"body."+k, k)
					refs(prefix+"body."+k, m[k])
				}
			}
		default:
			var anyv any
			if json.Unmarshal(w.Body, &anyv) != nil {
				p.bad(prefix+"body", "a json body must be JSON")
			} else {
				walkStrings(anyv, func(s string) { refs(prefix+"body", s) })
			}
		}
	}
}

func walkStrings(v any, f func(string)) {
	switch x := v.(type) {
	case string:
		f(x)
	case []any:
		for _, e := range x {
			walkStrings(e, f)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			f(k)
			walkStrings(x[k], f)
		}
	}
}

type extraction struct {
	Target variables.Ref
	Path   []pathStep
	Raw    string
}

type webhookCfg struct {
	Configured string // account webhook name; "" = inline
	Inline     WebhookConfig
	Extract    []extraction
	Timeout    time.Duration
}

func checkWebhook(p *paramReader) any {
	c := &webhookCfg{Configured: p.str("webhook", false)}
	if variables.HasRefs(c.Configured) {
		p.bad("webhook", "the webhook name may not contain variables")
	}
	w := &c.Inline
	w.Method = p.str("method", false)
	w.URL = p.str("url", false)
	w.Username = p.str("username", false)
	w.Password = p.str("password", false)
	w.Headers = p.stringMap("headers")
	w.Query = p.stringMap("query")
	w.BodyType = p.str("body_type", false)
	if r, ok := p.raw("body"); ok {
		w.Body = r
	}
	t := true
	checkWebhookFields(p, "", w, c.Configured == "", &t)
	var ex map[string]string
	if p.decodeInto("extract", &ex, false) {
		for _, k := range sortedKeys(ex) {
			field := "extract." + k
			tg := p.target(field, k)
			steps, err := parsePath(ex[k])
			if err != nil {
				p.bad(field, "bad JSON path %q: %v", ex[k], err)
				continue
			}
			c.Extract = append(c.Extract, extraction{Target: tg, Path: steps, Raw: ex[k]})
		}
	}
	c.Timeout = p.seconds("timeout", 10*time.Second, 100*time.Millisecond, 60*time.Second)
	return c
}

// setResponseVars writes the webhook response variables
// ($flow.key.response_status, _status_code, _status_type, _duration, _raw,
// _error).
func (r *run) setResponseVars(res HTTPResult) {
	fv := r.flowVars
	fv["response_status_code"] = strconv.Itoa(res.StatusCode)
	fv["response_duration"] = strconv.FormatFloat(res.Duration.Seconds(), 'f', 2, 64)
	if len(res.Raw) == 0 {
		fv["response_raw"] = "null"
	} else {
		fv["response_raw"] = string(res.Raw)
	}
	if res.OK {
		fv["response_status"] = "SUCCESS"
		fv["response_error"] = "false"
		delete(fv, "response_status_type")
		delete(fv, "error_reason")
		r.callVars["lastWebhookStatus"] = "true"
		return
	}
	fv["response_status"] = "FAILED"
	fv["response_status_type"] = StatusType(res.StatusCode)
	fv["response_error"] = "true"
	fv["error_reason"] = res.Reason
	r.callVars["lastWebhookStatus"] = "false"
}

func (r *run) webhookFail(st *Step, res HTTPResult) result {
	if res.Reason == "" {
		res.Reason = ReasonServerError
	}
	res.OK = false
	r.setResponseVars(res)
	st.Outputs["error_reason"] = res.Reason
	if res.Detail != "" {
		st.Outputs["detail"] = res.Detail
	}
	return line(1)
}

func (r *run) webhook(ctx context.Context, c *webhookCfg, st *Step) result {
	w := c.Inline
	if c.Configured != "" {
		st.Inputs["webhook"] = c.Configured
		if r.e.Webhooks == nil {
			return r.webhookFail(st, HTTPResult{Reason: ReasonWebhookNotConfig, Detail: "no webhook store configured"})
		}
		base, err := r.e.Webhooks.Webhook(ctx, r.fv.AccountID, c.Configured)
		if err != nil {
			return r.webhookFail(st, HTTPResult{Reason: ReasonUnknownWebhook, Detail: err.Error()})
		}
		w = mergeWebhook(base, c.Inline)
	}
	req, missing, err := prepare(w, r.lookupFn(ctx))
	if len(missing) > 0 {
		st.Outputs["unset"] = missing
		return r.webhookFail(st, HTTPResult{Reason: ReasonInvalidFlowVar, Detail: "unset variable(s): " + strings.Join(missing, ", ")})
	}
	if err != nil {
		return r.webhookFail(st, HTTPResult{Reason: ReasonInvalidFlowVar, Detail: err.Error()})
	}
	st.Inputs["method"], st.Inputs["url"] = req.Method, req.URL
	res := doHTTP(ctx, r.netPolicy(ctx), c.Timeout, "Switchyard", req)
	st.Outputs["status_code"] = res.StatusCode
	st.Outputs["duration_s"] = res.Duration.Seconds()
	if !res.OK {
		return r.webhookFail(st, res)
	}
	if len(c.Extract) > 0 {
		var doc any
		if err := json.Unmarshal(res.Raw, &doc); err != nil {
			res.Reason, res.Detail = ReasonInvalidResponse, "response is not JSON: "+err.Error()
			return r.webhookFail(st, res)
		}
		vals := map[variables.Ref]string{}
		for _, ex := range c.Extract {
			v, ok := lookupPath(doc, ex.Path)
			if !ok {
				res.Reason, res.Detail = ReasonPathNotFound, fmt.Sprintf("path %s selects nothing in the response", ex.Raw)
				return r.webhookFail(st, res)
			}
			vals[ex.Target] = jsonText(v)
		}
		for t, v := range vals {
			if err := r.assign(ctx, t, v); err != nil {
				return fail(err)
			}
			st.Outputs[t.Full()] = v
		}
	}
	r.setResponseVars(res)
	return line(0)
}

// jsonText renders an extracted JSON value: strings raw, the rest as JSON.
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// mergeWebhook applies a widget's overrides to a configured webhook: a
// widget body replaces the configured one outright (when both have one,
// only the widget's is sent); headers and query are merged, the widget's
// winning.
func mergeWebhook(base, w WebhookConfig) WebhookConfig {
	out := base
	if w.Method != "" {
		out.Method = w.Method
	}
	if w.URL != "" {
		out.URL = w.URL
	}
	if w.Username != "" || w.Password != "" {
		out.Username, out.Password = w.Username, w.Password
	}
	out.Headers = mergeMap(base.Headers, w.Headers)
	out.Query = mergeMap(base.Query, w.Query)
	if len(w.Body) > 0 {
		out.Body = w.Body
		out.BodyType = w.BodyType
	} else if w.BodyType != "" {
		out.BodyType = w.BodyType
	}
	return out
}

func mergeMap(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
