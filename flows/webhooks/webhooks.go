// Package webhooks is Switchyard's outbound HTTP to customers' systems: an
// account's configured webhooks (Config, found by name through a Source)
// and a flow widget's inline ones, the substitution of variables into
// every field (Prepare), the HTTP client under the account's network
// policy (Policy: HTTPS only unless allowed, no loopback, private,
// link-local, metadata or own-host targets unless allow-listed, checked on
// the address actually dialled), the outcome in the webhook widget's terms
// (Result, Reason*) and Invoke, the same for callers outside a flow run:
// the dialer's lead hooks (dialer/leadhook) and the ACD's CRM and popup
// events (dialer/acd/acdhooks). The webhook widget itself and the caller-ID
// (CRM) widget are in flows.
package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/switchyard/switchyard/flows/variables"
)

// Config is an HTTP request description: an account's configured
// webhook, or a widget's inline one. Every string may hold variables.
type Config struct {
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

// Source finds an account's configured webhook by name.
type Source interface {
	Webhook(ctx context.Context, accountID int64, name string) (Config, error)
}

// ErrNotFound is what a Source returns for an unknown name.
var ErrNotFound = errors.New("webhook not found")

// Webhook error reasons ($flow.key.error_reason). INVALID_FLOW_VAR and
// SERVER_ERROR are the webhook widget's documented ones; the others name the
// remaining failures the same way.
const (
	ReasonInvalidFlowVar  = "INVALID_FLOW_VAR"
	ReasonServerError     = "SERVER_ERROR"     // 5xx
	ReasonClientError     = "CLIENT_ERROR"     // 4xx
	ReasonRedirection     = "REDIRECTION"      // 3xx (redirects are not followed)
	ReasonTimeout         = "TIMEOUT"          // no complete answer in time
	ReasonConnection      = "CONNECTION_ERROR" // DNS, refused, reset, TLS
	ReasonBlockedTarget   = "BLOCKED_TARGET"   // loopback/private/link-local not allow-listed
	ReasonHTTPNotAllowed  = "HTTP_NOT_ALLOWED" // http:// without the account allowing it
	ReasonInvalidURL      = "INVALID_URL"      // not a URL after interpolation
	ReasonTooLarge        = "RESPONSE_TOO_LARGE"
	ReasonInvalidResponse = "INVALID_RESPONSE" // not JSON while extraction needs JSON
	ReasonPathNotFound    = "PATH_NOT_FOUND"   // an extract path selected nothing
	ReasonUnknownWebhook  = "UNKNOWN_WEBHOOK"  // configured webhook not found
	ReasonNoWebhookStore  = "NO_WEBHOOK_STORE" // the engine has no Source
)

// Problem is one finding of Check or Validate; Field is relative to the
// webhook ("url", "headers.X-Token", "body").
type Problem struct {
	Field   string
	Message string
}

func (p Problem) String() string { return p.Field + ": " + p.Message }

// Validate checks an account webhook: its fields (Check), any known
// variable in its strings (an account webhook serves every flow, so no
// flow's declarations apply) and its trigger.
func Validate(w Config) []Problem {
	var out []Problem
	bad := func(p Problem) { out = append(out, p) }
	Check(w, true, func(field, s string) {
		_, unknown := variables.Scan(s)
		for _, u := range unknown {
			bad(Problem{field, "unknown variable " + u.Full()})
		}
	}, bad)
	switch w.Trigger {
	case "", TriggerDisconnect, TriggerWidget:
	default:
		bad(Problem{"trigger", fmt.Sprintf("must be %q (called when each call ends, the default) or %q (only from widgets), got %q", TriggerDisconnect, TriggerWidget, w.Trigger)})
	}
	return out
}

var httpMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Check checks w's fields: bad gets each problem, refs every string that
// may hold variables (with its field) to check the references in it.
// needURL makes an empty URL a problem (a widget that names an account
// webhook need not repeat it).
func Check(w Config, needURL bool, refs func(field, s string), bad func(Problem)) {
	badf := func(field, format string, args ...any) { bad(Problem{field, fmt.Sprintf(format, args...)}) }
	if w.Method != "" {
		ok := false
		for _, m := range httpMethods {
			ok = ok || w.Method == m
		}
		if !ok {
			badf("method", "must be one of %s (got %q)", strings.Join(httpMethods, ", "), w.Method)
		}
	}
	if needURL && strings.TrimSpace(w.URL) == "" {
		badf("url", "is required")
	}
	if w.URL != "" {
		refs("url", w.URL)
		if !variables.HasRefs(w.URL) && !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
			badf("url", "must be an http(s) URL (got %q)", w.URL)
		}
	}
	refs("username", w.Username)
	refs("password", w.Password)
	for _, k := range sortedKeys(w.Headers) {
		refs("headers."+k, k)
		refs("headers."+k, w.Headers[k])
	}
	for _, k := range sortedKeys(w.Query) {
		refs("query."+k, k)
		refs("query."+k, w.Query[k])
	}
	switch w.BodyType {
	case "", "json", "form", "raw":
	default:
		badf("body_type", "must be json, form or raw (got %q)", w.BodyType)
	}
	if len(w.Body) > 0 {
		switch w.BodyType {
		case "raw":
			var s string
			if json.Unmarshal(w.Body, &s) != nil {
				badf("body", "a raw body must be a string")
			} else {
				refs("body", s)
			}
		case "form":
			var m map[string]string
			if json.Unmarshal(w.Body, &m) != nil {
				badf("body", "a form body must be an object of strings")
			} else {
				for _, k := range sortedKeys(m) {
					refs("body."+k, k)
					refs("body."+k, m[k])
				}
			}
		default:
			var anyv any
			if json.Unmarshal(w.Body, &anyv) != nil {
				badf("body", "a json body must be JSON")
			} else {
				walkStrings(anyv, func(s string) { refs("body", s) })
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

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
