package webhooks

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/flows/variables"
)

// Invocation is one call of a configured webhook outside a flow run (the
// ACD's CRM and popup events, dialer/acd/acdhooks). It goes through the
// same interpolation, HTTP client and Policy as the webhook widget.
type Invocation struct {
	Webhook Config
	// Vars are variable values by name without the "$", e.g.
	// "event.type" or "call.cli". Every field of Webhook may reference
	// them as $event.type or ${event.type}. Names in a namespace of their
	// own ("event.") are matched longest first; a reference to a name of
	// such a namespace that Vars lacks is an unset variable
	// (INVALID_FLOW_VAR), as is any $flow.key.* / $user.key.* reference
	// (there is no flow). $call.* and $flow.syskey.* come from Vars;
	// $sys.* defaults to the current time.
	Vars map[string]string
	// Params are sent as given, never interpolated: in the query string
	// (added to the configured query) when the method is GET or DELETE
	// (an empty method means GET), else as an
	// application/x-www-form-urlencoded body. Either way they replace the
	// configured body.
	Params map[string]string
	// Timeout bounds the request (default 10 s).
	Timeout time.Duration
	// UserAgent is sent unless the webhook sets one (default
	// "Switchyard").
	UserAgent string
	// Now is the clock for $sys.* (default time.Now).
	Now func() time.Time
}

// DefaultTimeout is Invocation.Timeout's default.
const DefaultTimeout = 10 * time.Second

// placeholder names stand for Vars and Params inside the webhook while it
// is prepared: the widget's interpolation (one pass, inserted values are
// never scanned again) then fills them. A flow variable name cannot start
// with "__sy-inv-" by accident in a CRM webhook (there is no flow).
const phPrefix = "__sy-inv-"

// Invoke sends the webhook with the variables and parameters under the
// policy. Like the widget it does not follow redirects and reports the
// outcome in the webhook widget's terms (Result.Reason: INVALID_FLOW_VAR,
// SERVER_ERROR, TIMEOUT, BLOCKED_TARGET, ...). It retries nothing: the
// caller decides.
func Invoke(ctx context.Context, pol Policy, inv Invocation) Result {
	if inv.Timeout <= 0 {
		inv.Timeout = DefaultTimeout
	}
	if inv.UserAgent == "" {
		inv.UserAgent = "Switchyard"
	}
	now := time.Now
	if inv.Now != nil {
		now = inv.Now
	}
	values := map[string]string{} // placeholder name → value
	rw := newRewriter(inv.Vars, values)

	w := inv.Webhook
	w.URL = rw.rewrite(w.URL)
	w.Username, w.Password = rw.rewrite(w.Username), rw.rewrite(w.Password)
	w.Headers = rw.rewriteMap(w.Headers)
	w.Query = rw.rewriteMap(w.Query)
	if len(w.Body) > 0 {
		w.Body = json.RawMessage(rw.rewrite(string(w.Body)))
	}
	if len(inv.Params) > 0 {
		params := make(map[string]string, len(inv.Params))
		for _, k := range slices.Sorted(maps.Keys(inv.Params)) {
			params[rw.literal(k)] = rw.literal(inv.Params[k])
		}
		m := strings.ToUpper(w.Method)
		if m == "" {
			m = http.MethodGet
		}
		w.Method = m
		if m == http.MethodGet || m == http.MethodDelete {
			w.Query = mergeMap(w.Query, params)
			w.Body, w.BodyType = nil, ""
		} else {
			b, err := json.Marshal(params)
			if err != nil {
				return Result{Reason: ReasonInvalidFlowVar, Detail: err.Error()}
			}
			w.Body, w.BodyType = b, "form"
		}
	}
	if len(rw.missing) > 0 {
		return Result{Reason: ReasonInvalidFlowVar, Detail: "unset variable(s): " + strings.Join(rw.missing, ", ")}
	}
	lookup := func(r variables.Ref) (string, bool) {
		switch r.NS {
		case variables.NSFlow:
			v, ok := values[r.Name]
			return v, ok
		case variables.NSSys:
			if v, ok := inv.Vars[variables.NSSys+"."+r.Name]; ok {
				return v, true
			}
			t := now()
			switch r.Name {
			case "datetime":
				return t.Format("2006-01-02 15:04:05"), true
			case "date":
				return t.Format("2006-01-02"), true
			case "time":
				return t.Format("15:04:05"), true
			}
			return "", false
		case variables.NSUser:
			return "", false
		}
		v, ok := inv.Vars[r.NS+"."+r.Name]
		return v, ok
	}
	req, missing, err := Prepare(w, lookup)
	if len(missing) > 0 {
		return Result{Reason: ReasonInvalidFlowVar, Detail: "unset variable(s): " + strings.Join(missing, ", ")}
	}
	if err != nil {
		return Result{Reason: ReasonInvalidFlowVar, Detail: err.Error()}
	}
	return Send(ctx, pol, inv.Timeout, inv.UserAgent, req)
}

// rewriter replaces references to Vars of own namespaces with
// placeholders, and stands literal values in for placeholders.
type rewriter struct {
	names   []string        // own-namespace var names, longest first
	nsSet   map[string]bool // own namespaces ("event")
	vars    map[string]string
	values  map[string]string
	missing []string
	n       int
}

func newRewriter(vars map[string]string, values map[string]string) *rewriter {
	rw := &rewriter{nsSet: map[string]bool{}, vars: vars, values: values}
	for k := range vars {
		ns, _, ok := strings.Cut(k, ".")
		if !ok || ns == "" || isFlowsNS(k) {
			continue
		}
		rw.names = append(rw.names, k)
		rw.nsSet[ns] = true
	}
	slices.SortFunc(rw.names, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	return rw
}

// isFlowsNS reports whether a var name belongs to a namespace the widget's
// interpolation knows ($call.*, $sys.*, ...).
func isFlowsNS(name string) bool {
	for _, ns := range []string{variables.NSFlow, variables.NSUser, variables.NSSyskey, variables.NSSys, variables.NSCall} {
		if strings.HasPrefix(name, ns+".") {
			return true
		}
	}
	return false
}

// literal returns a placeholder reference standing for v.
func (rw *rewriter) literal(v string) string {
	name := phPrefix + strconv.Itoa(rw.n)
	rw.n++
	rw.values[name] = v
	return "${" + variables.NSFlow + "." + name + "}"
}

func (rw *rewriter) rewriteMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[rw.rewrite(k)] = rw.rewrite(v)
	}
	return out
}

// rewrite replaces $ns.name and ${ns.name} of own namespaces.
func (rw *rewriter) rewrite(s string) string {
	if len(rw.names) == 0 || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		braced := i+1 < len(s) && s[i+1] == '{'
		body := i + 1
		if braced {
			body++
		}
		ns, _, ok := strings.Cut(s[body:], ".")
		if !ok || !rw.nsSet[ns] {
			continue
		}
		end, name := -1, ""
		if braced {
			j := strings.IndexByte(s[body:], '}')
			if j < 0 {
				continue
			}
			name, end = s[body:body+j], body+j+1
		} else {
			for _, n := range rw.names {
				if strings.HasPrefix(s[body:], n) {
					k := body + len(n)
					if k == len(s) || !variables.IsNameChar(rune(s[k])) {
						name, end = n, k
						break
					}
				}
			}
			if end < 0 {
				// An unknown name of an own namespace: report it.
				k := body + len(ns) + 1
				for k < len(s) && (variables.IsNameChar(rune(s[k])) || s[k] == '.') {
					k++
				}
				name, end = strings.TrimRight(s[body:k], "."), k
			}
		}
		b.WriteString(s[last:i])
		last = end
		v, ok := rw.vars[name]
		if !ok {
			rw.missing = append(rw.missing, "$"+name)
			continue
		}
		b.WriteString(rw.literal(v))
		i = end - 1
	}
	b.WriteString(s[last:])
	return b.String()
}

func mergeMap(a, b map[string]string) map[string]string {
	if len(a) == 0 && len(b) == 0 {
		return nil
	}
	out := make(map[string]string, len(a)+len(b))
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}
