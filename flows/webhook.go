package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// The webhook widget: an account webhook (by name, through
// Engine.Webhooks) and/or an inline request, sent by flows/webhooks under
// the account's policy, its outcome in $flow.key.response_* and values
// extracted from a JSON answer into variables.

type extraction struct {
	Target variables.Ref
	Path   []pathStep
	Raw    string
}

type webhookCfg struct {
	Configured string // account webhook name; "" = inline
	Inline     webhooks.Config
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
	webhooks.Check(*w, c.Configured == "", p.checkRefs, func(pr webhooks.Problem) { p.bad(pr.Field, "%s", pr.Message) })
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
func (r *run) setResponseVars(res webhooks.Result) {
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
	fv["response_status_type"] = webhooks.StatusType(res.StatusCode)
	fv["response_error"] = "true"
	fv["error_reason"] = res.Reason
	r.callVars["lastWebhookStatus"] = "false"
}

func (r *run) webhookFail(st *Step, res webhooks.Result) result {
	if res.Reason == "" {
		res.Reason = webhooks.ReasonServerError
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
			return r.webhookFail(st, webhooks.Result{Reason: webhooks.ReasonNoWebhookStore, Detail: "no webhook store configured"})
		}
		base, err := r.e.Webhooks.Webhook(ctx, r.fv.AccountID, c.Configured)
		if err != nil {
			return r.webhookFail(st, webhooks.Result{Reason: webhooks.ReasonUnknownWebhook, Detail: err.Error()})
		}
		w = mergeWebhook(base, c.Inline)
	}
	req, missing, err := webhooks.Prepare(w, r.lookupFn(ctx))
	if len(missing) > 0 {
		st.Outputs["unset"] = missing
		return r.webhookFail(st, webhooks.Result{Reason: webhooks.ReasonInvalidFlowVar, Detail: "unset variable(s): " + strings.Join(missing, ", ")})
	}
	if err != nil {
		return r.webhookFail(st, webhooks.Result{Reason: webhooks.ReasonInvalidFlowVar, Detail: err.Error()})
	}
	st.Inputs["method"], st.Inputs["url"] = req.Method, req.URL
	res := webhooks.Send(ctx, r.netPolicy(ctx), c.Timeout, "Switchyard", req)
	st.Outputs["status_code"] = res.StatusCode
	st.Outputs["duration_s"] = res.Duration.Seconds()
	if !res.OK {
		return r.webhookFail(st, res)
	}
	if len(c.Extract) > 0 {
		var doc any
		if err := json.Unmarshal(res.Raw, &doc); err != nil {
			res.Reason, res.Detail = webhooks.ReasonInvalidResponse, "response is not JSON: "+err.Error()
			return r.webhookFail(st, res)
		}
		vals := map[variables.Ref]string{}
		for _, ex := range c.Extract {
			v, ok := lookupPath(doc, ex.Path)
			if !ok {
				res.Reason, res.Detail = webhooks.ReasonPathNotFound, fmt.Sprintf("path %s selects nothing in the response", ex.Raw)
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
func mergeWebhook(base, w webhooks.Config) webhooks.Config {
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
	maps.Copy(out, a)
	maps.Copy(out, b)
	return out
}

// WebhookTarget is an HTTP destination a flow calls: an inline webhook or
// CRM URL, or the name of an account webhook (whose URL the caller looks
// up).
type WebhookTarget struct {
	Node    string // node id
	Webhook string // configured webhook name ("" for an inline URL)
	URL     string // inline URL (may hold variables)
}

// WebhookTargets lists the flow's HTTP destinations (valid flows only).
func (f *Flow) WebhookTargets() []WebhookTarget {
	var out []WebhookTarget
	for i := range f.Nodes {
		n := &f.Nodes[i]
		switch c := n.cfg.(type) {
		case *webhookCfg:
			if c.Configured != "" {
				out = append(out, WebhookTarget{Node: n.ID, Webhook: c.Configured})
			} else {
				out = append(out, WebhookTarget{Node: n.ID, URL: c.Inline.URL})
			}
		case *callerIDCfg:
			if c.URL != "" {
				out = append(out, WebhookTarget{Node: n.ID, URL: c.URL})
			}
		}
	}
	return out
}
