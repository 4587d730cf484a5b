package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// CRMAnswer is the CRM's reply (the identification contract): {"status":
// "ok"|"fail", "destination": true | false | "X,Y"}.
type CRMAnswer struct {
	Status string
	// Bool is the true/false answer (mode true_false).
	Bool bool
	// DestType/DestID are "X,Y" (mode destination).
	DestType int
	DestID   string
}

// ParseCRMAnswer parses a CRM reply strictly for the given mode: exactly
// the keys status and destination, status ok or fail, and a destination
// of the mode's kind. "true"/"false" are accepted as JSON booleans or
// strings.
func ParseCRMAnswer(body []byte, mode string) (CRMAnswer, error) {
	var raw struct {
		Status      *string          `json:"status"`
		Destination *json.RawMessage `json:"destination"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return CRMAnswer{}, fmt.Errorf("malformed CRM answer: %v", err)
	}
	if dec.More() {
		return CRMAnswer{}, errors.New("malformed CRM answer: trailing data after the JSON object")
	}
	if raw.Status == nil {
		return CRMAnswer{}, errors.New(`malformed CRM answer: "status" is missing`)
	}
	a := CRMAnswer{Status: *raw.Status}
	if a.Status != "ok" && a.Status != "fail" {
		return a, fmt.Errorf(`malformed CRM answer: "status" must be "ok" or "fail", got %q`, a.Status)
	}
	if a.Status == "fail" {
		return a, nil
	}
	if raw.Destination == nil {
		return a, errors.New(`malformed CRM answer: "destination" is missing`)
	}
	d := []byte(*raw.Destination)
	switch mode {
	case CRMBool:
		var b bool
		if err := json.Unmarshal(d, &b); err == nil {
			a.Bool = b
			return a, nil
		}
		var s string
		if err := json.Unmarshal(d, &s); err == nil && (s == "true" || s == "false") {
			a.Bool = s == "true"
			return a, nil
		}
		return a, fmt.Errorf(`malformed CRM answer: "destination" must be true or false, got %s`, d)
	case CRMDestination:
		var s string
		if err := json.Unmarshal(d, &s); err != nil {
			return a, fmt.Errorf(`malformed CRM answer: "destination" must be a string "X,Y", got %s`, d)
		}
		x, y, ok := strings.Cut(s, ",")
		x, y = strings.TrimSpace(x), strings.TrimSpace(y)
		n, err := strconv.Atoi(x)
		if !ok || err != nil || y == "" {
			return a, fmt.Errorf(`malformed CRM answer: "destination" must be "X,Y" (type,id), got %q`, s)
		}
		switch n {
		case DestInboundCampaign, DestTimeCondition, DestIVR, DestHangup, DestIdentification:
		default:
			return a, fmt.Errorf("malformed CRM answer: destination type %d is not 1, 2, 3, 5 or 9", n)
		}
		a.DestType, a.DestID = n, y
		return a, nil
	}
	return a, fmt.Errorf("mode %s does not ask the CRM", mode)
}

// askCRM posts the id as idContact and parses the answer.
func (r *run) askCRM(ctx context.Context, c *callerIDCfg, id string, st *Step) (CRMAnswer, error) {
	u, missing := r.subCtx(ctx, c.URL)
	if len(missing) > 0 {
		return CRMAnswer{}, fmt.Errorf("unset variable(s) in url: %s", strings.Join(missing, ", "))
	}
	ua := r.sub(c.UserAgent)
	// The CRM contract's POST is plain/text carrying idContact=<id> (the
	// default); form and json are for CRMs that want those.
	req := webhooks.Request{Method: "POST", URL: u, Headers: map[string]string{},
		Body: []byte(url.Values{"idContact": {id}}.Encode()), ContentType: "text/plain; charset=utf-8"}
	switch c.Format {
	case "form":
		req.ContentType = "application/x-www-form-urlencoded"
	case "json":
		b, _ := json.Marshal(map[string]string{"idContact": id})
		req.Body, req.ContentType = b, "application/json"
	}
	res := webhooks.Send(ctx, r.netPolicy(ctx), c.HTTP, ua, req)
	st.Outputs["crm_status_code"] = res.StatusCode
	st.Outputs["crm_raw"] = string(res.Raw)
	if !res.OK {
		d := res.Reason
		if res.Detail != "" {
			d += ": " + res.Detail
		}
		return CRMAnswer{}, fmt.Errorf("CRM request failed: %s", d)
	}
	return ParseCRMAnswer(res.Raw, c.Mode)
}

func (r *run) callerID(ctx context.Context, n *Node, c *callerIDCfg, st *Step) result {
	audio, err := r.resolveMedia(ctx, c.Audio)
	if err != nil {
		return fail(err)
	}
	negative := func(reason string) result {
		r.flowVars["crm_result"] = "negative"
		r.flowVars["crm_reason"] = reason
		st.Outputs["result"], st.Outputs["reason"] = "negative", reason
		return line(1)
	}
	max := c.Length
	if max == 0 {
		max = 32
	}
	min := c.Length
	if min == 0 {
		min = 1
	}
	var id string
	var tries []string
	for attempt := 0; attempt < c.Attempts; attempt++ {
		if attempt > 0 {
			r.call.FlushDTMF()
		}
		g, err := r.call.Gather(ctx, ari.GatherOptions{Min: min, Max: max, Terminators: "#", FirstDigit: c.Timeout, InterDigit: c.Timeout, Prompt: audio})
		if err != nil {
			st.Outputs["tries"] = tries
			return hangupOr(err)
		}
		tries = append(tries, g.Digits)
		if g.Valid && (c.Length == 0 || len(g.Digits) == c.Length) {
			id = g.Digits
			break
		}
	}
	st.Outputs["tries"] = tries
	if id == "" {
		return negative("no valid identification entered")
	}
	r.flowVars["crm_id"] = id
	st.Outputs["id"] = id
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, id); err != nil {
			return fail(err)
		}
	}
	if c.Mode == CRMNone {
		r.flowVars["crm_result"] = "positive"
		st.Outputs["result"] = "positive"
		return line(0)
	}
	ans, err := r.askCRM(ctx, c, id, st)
	if err != nil {
		return negative(err.Error())
	}
	if ans.Status == "fail" {
		return negative(`CRM answered status "fail"`)
	}
	if c.Mode == CRMBool {
		if !ans.Bool {
			return negative("CRM answered false")
		}
		r.flowVars["crm_result"] = "positive"
		st.Outputs["result"] = "positive"
		return line(0)
	}
	dest := fmt.Sprintf("%d,%s", ans.DestType, ans.DestID)
	r.flowVars["crm_destination"] = dest
	st.Outputs["destination"] = dest
	for _, rt := range c.Routes {
		if rt.Type == ans.DestType && rt.ID == ans.DestID {
			if n.Exit(rt.Exit) == "" && rt.Type == DestHangup {
				break
			}
			r.flowVars["crm_result"] = "routed"
			st.Outputs["result"] = "routed"
			return line(rt.Exit)
		}
	}
	if ans.DestType == DestHangup {
		r.flowVars["crm_result"] = "hangup"
		st.Outputs["result"] = "hangup"
		if err := r.call.Hangup(ctx, ""); err != nil {
			return stop(err)
		}
		return stop(errFlowHangup)
	}
	return negative("no route for CRM destination " + dest)
}

// CRM interaction modes of customer identification.
const (
	CRMNone        = "none"        // no interaction: was an id entered?
	CRMBool        = "true_false"  // external interaction type 1
	CRMDestination = "destination" // external interaction type 2: "X,Y"
)

// Destination types a CRM destination answer ("type,id") names.
const (
	DestInboundCampaign = 1
	DestTimeCondition   = 2
	DestIVR             = 3
	DestHangup          = 5
	DestIdentification  = 9
)

// CRMRoute maps a CRM destination "type,id" to an exit line.
type CRMRoute struct {
	Type int    `json:"type"`
	ID   string `json:"id"`
	Exit int    `json:"exit"`
}

type callerIDCfg struct {
	Mode      string
	Length    int
	Audio     []string
	URL       string
	Attempts  int
	Timeout   time.Duration
	HTTP      time.Duration
	UserAgent string
	// Format of the POST body: "text" (the default: text/plain
	// "idContact=<id>", the plain/text POST the CRM of the product
	// documents expects), "form" (the same body as
	// application/x-www-form-urlencoded) or "json" ({"idContact": "<id>"}).
	Format   string
	Routes   []CRMRoute
	Variable *variables.Ref
}

// DefaultCRMUserAgent is the User-Agent the CRM contract says it receives.
const DefaultCRMUserAgent = "OMniLeads"

func checkCallerID(p *paramReader) any {
	c := &callerIDCfg{
		Mode:      p.enum("mode", "", CRMNone, CRMBool, CRMDestination),
		Length:    p.integer("id_length", 0, 0, 64),
		Audio:     p.media("audio", true),
		URL:       p.str("url", false),
		Attempts:  p.integer("attempts", 3, 1, 10),
		Timeout:   p.seconds("timeout", 5*time.Second, time.Second, 2*time.Minute),
		HTTP:      p.seconds("http_timeout", 5*time.Second, 100*time.Millisecond, time.Minute),
		UserAgent: p.str("user_agent", false),
		Format:    p.enum("request_format", "text", "text", "form", "json"),
		Variable:  p.optTarget("variable"),
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultCRMUserAgent
	}
	if c.Mode != CRMNone && c.Mode != "" && c.URL == "" {
		p.bad("url", "is required for mode %s", c.Mode)
	}
	if c.Mode == CRMNone && c.URL != "" {
		p.bad("url", "mode none does not call a service; remove url or pick true_false/destination")
	}
	if p.decodeInto("routes", &c.Routes, false) {
		if c.Mode != CRMDestination {
			p.bad("routes", "routes are only used in mode destination")
		}
		for i, r := range c.Routes {
			field := fmt.Sprintf("routes[%d]", i)
			switch r.Type {
			case DestInboundCampaign, DestTimeCondition, DestIVR, DestHangup, DestIdentification:
			default:
				p.bad(field+".type", "destination type %d is not one of 1 (inbound campaign), 2 (time condition), 3 (IVR), 5 (hangup), 9 (identification)", r.Type)
			}
			if r.ID == "" {
				p.bad(field+".id", "is required")
			}
			if r.Exit < 2 || r.Exit >= maxExitsPerNode {
				p.bad(field+".exit", "must be 2-%d (lines 0 and 1 are the positive and negative destinations)", maxExitsPerNode-1)
			} else if p.node.Exit(r.Exit) == "" && r.Type != DestHangup {
				p.bad(field+".exit", "exit line %d is not connected", r.Exit)
			}
		}
	}
	checkExitsDeclared(p, func(line int) bool {
		if line <= 1 {
			return true
		}
		for _, r := range c.Routes {
			if r.Exit == line {
				return true
			}
		}
		return false
	})
	return c
}
