package webhooks

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

// Policy is an account's outbound HTTP policy for webhooks and CRM
// calls (the flows' caller-ID widget).
type Policy struct {
	AllowHTTP bool           // plain http:// URLs (default HTTPS only)
	Allow     []netip.Prefix // loopback/private/link-local targets allowed
	MaxBytes  int64          // response size cap (default 256 KiB)
	// RootCAs, if set, replaces the system roots (a private CA).
	RootCAs *x509.CertPool
}

const defaultMaxResponse = 256 << 10

// errBlocked is returned by the dialer for refused addresses.
var errBlocked = errors.New("target address not allowed")

func (p Policy) allowed(ip netip.Addr) bool {
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

func (p Policy) cacheKey(timeout time.Duration) string {
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
func (p Policy) client(timeout time.Duration) *http.Client {
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

func (p Policy) newClient(timeout time.Duration) *http.Client {
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

// Result is one webhook call's outcome, in the webhook widget's terms.
type Result struct {
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

// Request is a webhook with every variable substituted, ready for Send.
type Request struct {
	Method, URL        string
	Username, Password string
	Headers            map[string]string
	Body               []byte
	ContentType        string
}

// prepare substitutes variables in every field of w. missing lists the
// variables that were unset.
func Prepare(w Config, lookup func(variables.Ref) (string, bool)) (Request, []string, error) {
	var missing []string
	sub := func(s string) string {
		out, m := variables.Interpolate(s, lookup)
		missing = append(missing, m...)
		return out
	}
	r := Request{Method: w.Method, Headers: map[string]string{}}
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
func Send(ctx context.Context, pol Policy, timeout time.Duration, userAgent string, r Request) Result {
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Result{Reason: ReasonInvalidURL, Detail: fmt.Sprintf("%q is not an http(s) URL", r.URL)}
	}
	if u.Scheme == "http" && !pol.AllowHTTP {
		return Result{Reason: ReasonHTTPNotAllowed, Detail: "only https:// URLs are allowed for this account"}
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
		return Result{Reason: ReasonInvalidURL, Detail: err.Error()}
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
		res := Result{Duration: time.Since(start), Reason: ReasonConnection, Detail: err.Error()}
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
	res := Result{StatusCode: resp.StatusCode, Duration: time.Since(start), Raw: raw}
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
