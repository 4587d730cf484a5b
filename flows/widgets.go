package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// widgetSpec describes a widget: its exit lines and how its params are
// read into a typed config (stored on the node for the interpreter).
type widgetSpec struct {
	lines      int  // exit lines 0..lines-1
	extraLines bool // more lines declared by params (menu, caller_id)
	feature    string
	check      func(p *paramReader) any
}

var widgets map[string]widgetSpec

// WidgetTypes lists the widget names.
func WidgetTypes() []string {
	out := make([]string, 0, len(widgets))
	for k := range widgets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func init() {
	widgets = map[string]widgetSpec{
		"answer":          {lines: 2, check: func(p *paramReader) any { return nil }},
		"play":            {lines: 2, check: checkPlay},
		"record":          {lines: 2, check: func(p *paramReader) any { return checkRecord(p, false) }},
		"play_and_record": {lines: 2, check: func(p *paramReader) any { return checkRecord(p, true) }},
		"gather":          {lines: 2, check: checkGather},
		"menu":            {lines: 2, extraLines: true, check: checkMenu},
		"decision":        {lines: 2, check: checkDecision},
		"time_condition":  {lines: 3, check: checkTime},
		"set_variable":    {lines: 1, check: checkSet},
		"webhook":         {lines: 2, check: checkWebhook},
		"caller_id":       {lines: 2, extraLines: true, check: checkCallerID},
		"transfer":        {lines: 5, check: checkTransfer},
		"queue":           {lines: 2, feature: "queues", check: checkQueue},
		"goto":            {lines: 0, check: checkGoto},
		"hangup":          {lines: 0, check: checkHangup},
	}
}

// --- play -------------------------------------------------------------

type playCfg struct {
	Media   []string
	BargeIn bool
}

func checkPlay(p *paramReader) any {
	return &playCfg{Media: p.media("media", true), BargeIn: p.boolean("barge_in", false)}
}

// --- record / play_and_record ------------------------------------------

type recordCfg struct {
	Prompt      []string
	Beep        bool
	MaxDuration time.Duration
	MaxSilence  time.Duration
	Terminator  string
	Format      string
	Variable    *Ref
	PlayFirst   bool
	// Module is play_and_record's moduleName in the recording's name
	// (param "name"; the node id when unset).
	Module string
}

func checkRecord(p *paramReader, withPrompt bool) any {
	c := &recordCfg{
		Prompt:      p.media("prompt", withPrompt),
		Beep:        p.boolean("beep", true),
		MaxDuration: p.seconds("max_duration", 60*time.Second, time.Second, time.Hour),
		MaxSilence:  p.seconds("max_silence", 5*time.Second, 0, 10*time.Minute),
		Terminator:  p.enum("terminator", "#", "none", "any", "*", "#"),
		Format:      p.enum("format", DefaultRecordingFormat, "gsm", "wav", "ulaw", "alaw", "sln"),
		Variable:    p.optTarget("variable"),
		PlayFirst:   withPrompt,
	}
	if withPrompt {
		c.Module = p.str("name", false)
		if hasRefs(c.Module) {
			p.bad("name", "the module name may not contain variables")
		}
		if c.Module != "" && namePart(c.Module) != c.Module {
			p.bad("name", "%q: use letters, digits, '+', '-' and '.' only (it is part of the recording's file name)", c.Module)
		}
	}
	return c
}

// --- gather -------------------------------------------------------------

type gatherCfg struct {
	Prompt, NoInput, Invalid []string
	Min, Max                 int
	Terminator               string
	FirstDigit, InterDigit   time.Duration
	Overall                  time.Duration
	Retries                  int
	Pattern                  *regexp.Regexp
	Variable                 *Ref
}

func checkGather(p *paramReader) any {
	c := &gatherCfg{
		Prompt:     p.media("prompt", false),
		NoInput:    p.media("no_input_prompt", false),
		Invalid:    p.media("invalid_prompt", false),
		Min:        p.integer("min_digits", 1, 1, 64),
		Max:        p.integer("max_digits", 1, 1, 64),
		Terminator: p.str("terminator", false),
		FirstDigit: p.seconds("timeout", 5*time.Second, 500*time.Millisecond, 5*time.Minute),
		InterDigit: p.seconds("inter_digit_timeout", 3*time.Second, 200*time.Millisecond, time.Minute),
		Overall:    p.seconds("overall_timeout", 0, 0, 30*time.Minute),
		Retries:    p.integer("retries", 2, 0, 10),
		Variable:   p.optTarget("variable"),
	}
	if c.Min > c.Max {
		p.bad("min_digits", "min_digits %d is more than max_digits %d", c.Min, c.Max)
	}
	if strings.Trim(c.Terminator, "0123456789*#") != "" {
		p.bad("terminator", "must be DTMF keys (0-9, *, #), got %q", c.Terminator)
	}
	if s := p.str("pattern", false); s != "" {
		c.Pattern = p.regex("pattern", s)
	}
	return c
}

// --- menu ---------------------------------------------------------------

type menuCfg struct {
	Prompt, NoInput, Invalid []string
	Options                  map[string]int // digit -> exit line
	Timeout                  time.Duration
	Retries                  int
	Variable                 *Ref
}

func checkMenu(p *paramReader) any {
	c := &menuCfg{
		Prompt:   p.media("prompt", true),
		NoInput:  p.media("no_input_prompt", false),
		Invalid:  p.media("invalid_prompt", false),
		Timeout:  p.seconds("timeout", 5*time.Second, 500*time.Millisecond, 5*time.Minute),
		Retries:  p.integer("retries", 2, 0, 10),
		Variable: p.optTarget("variable"),
	}
	var opts map[string]int
	if p.decodeInto("options", &opts, true) {
		if len(opts) == 0 {
			p.bad("options", "needs at least one digit")
		}
		c.Options = map[string]int{}
		for _, d := range sortedKeys(opts) {
			line := opts[d]
			field := "options." + d
			if len(d) != 1 || !strings.Contains("0123456789*#", d) {
				p.bad(field, "%q is not a single DTMF key (0-9, *, #)", d)
				continue
			}
			if line == 1 || line < 0 || line >= maxExitsPerNode {
				p.bad(field, "exit line %d is not allowed (line 1 is the no-input/invalid failure line; use 0 or 2-%d)", line, maxExitsPerNode-1)
				continue
			}
			if p.node.Exit(line) == "" {
				p.bad(field, "digit %s goes to exit line %d, which is not connected", d, line)
			}
			c.Options[d] = line
		}
	}
	checkExitsDeclared(p, func(line int) bool {
		if line <= 1 {
			return true
		}
		for _, l := range c.Options {
			if l == line {
				return true
			}
		}
		return false
	})
	return c
}

// checkExitsDeclared reports connected exits no param leads to.
func checkExitsDeclared(p *paramReader, declared func(int) bool) {
	for line, t := range p.node.Exits {
		if t != "" && !declared(line) {
			p.v.add(p.node.ID, fmt.Sprintf("exits[%d]", line), "no option of this widget leads to line %d", line)
		}
	}
}

// --- decision -----------------------------------------------------------

type condition struct {
	Left  string `json:"left"`
	Op    string `json:"op"`
	Right string `json:"right,omitempty"`
	re    *regexp.Regexp
}

type decisionCfg struct {
	Any        bool
	Conditions []condition
}

var decisionOps = []string{"eq", "ne", "lt", "gt", "contains", "regex", "empty", "not_empty"}

func checkDecision(p *paramReader) any {
	c := &decisionCfg{Any: p.enum("match", "all", "all", "any") == "any"}
	if p.decodeInto("conditions", &c.Conditions, true) && len(c.Conditions) == 0 {
		p.bad("conditions", "needs at least one condition")
	}
	for i := range c.Conditions {
		cd := &c.Conditions[i]
		field := fmt.Sprintf("conditions[%d]", i)
		p.checkRefs(field+".left", cd.Left)
		if cd.Left == "" {
			p.bad(field+".left", "is required")
		}
		ok := false
		for _, o := range decisionOps {
			ok = ok || cd.Op == o
		}
		if !ok {
			p.bad(field+".op", "must be one of %s (got %q)", strings.Join(decisionOps, ", "), cd.Op)
			continue
		}
		switch cd.Op {
		case "regex":
			cd.re = p.regex(field+".right", cd.Right)
		case "empty", "not_empty":
			if cd.Right != "" {
				p.bad(field+".right", "op %s takes no right-hand value", cd.Op)
			}
		default:
			p.checkRefs(field+".right", cd.Right)
		}
	}
	return c
}

// --- time_condition -----------------------------------------------------

type timeRange struct {
	Days     []string `json:"days"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	days     [7]bool
	from, to int // minutes of day; to exclusive
}

type timeCfg struct {
	Loc      *time.Location
	Ranges   []timeRange
	Holidays map[string]bool
}

var weekdays = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func parseClock(s string) (int, bool) {
	if s == "24:00" {
		return 24 * 60, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

func checkTime(p *paramReader) any {
	c := &timeCfg{Loc: time.UTC, Holidays: map[string]bool{}}
	tz := p.str("timezone", true)
	if tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			p.bad("timezone", "unknown time zone %q", tz)
		} else {
			c.Loc = loc
		}
	}
	if p.decodeInto("ranges", &c.Ranges, true) && len(c.Ranges) == 0 {
		p.bad("ranges", "needs at least one range")
	}
	for i := range c.Ranges {
		r := &c.Ranges[i]
		field := fmt.Sprintf("ranges[%d]", i)
		if len(r.Days) == 0 {
			p.bad(field+".days", "needs at least one day (mon, tue, wed, thu, fri, sat, sun)")
		}
		for _, d := range r.Days {
			wd, ok := weekdays[strings.ToLower(d)]
			if !ok {
				p.bad(field+".days", "%q is not a day (mon, tue, wed, thu, fri, sat, sun)", d)
				continue
			}
			r.days[wd] = true
		}
		var ok1, ok2 bool
		r.from, ok1 = parseClock(r.From)
		r.to, ok2 = parseClock(r.To)
		if !ok1 {
			p.bad(field+".from", "%q is not a time HH:MM", r.From)
		}
		if !ok2 {
			p.bad(field+".to", "%q is not a time HH:MM", r.To)
		}
		if ok1 && ok2 && r.from >= r.to {
			p.bad(field+".to", "%s is not after from %s", r.To, r.From)
		}
	}
	var hol []string
	if p.decodeInto("holidays", &hol, false) {
		for i, h := range hol {
			if _, err := time.Parse("2006-01-02", h); err != nil {
				p.bad(fmt.Sprintf("holidays[%d]", i), "%q is not a date YYYY-MM-DD", h)
				continue
			}
			c.Holidays[h] = true
		}
	}
	return c
}

// --- set_variable ---------------------------------------------------------

type assignment struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	target Ref
}

type setCfg struct{ Assign []assignment }

func checkSet(p *paramReader) any {
	c := &setCfg{}
	if p.decodeInto("assign", &c.Assign, true) && len(c.Assign) == 0 {
		p.bad("assign", "needs at least one assignment")
	}
	for i := range c.Assign {
		a := &c.Assign[i]
		field := fmt.Sprintf("assign[%d]", i)
		a.target = p.target(field+".name", a.Name)
		p.checkRefs(field+".value", a.Value)
	}
	return c
}

// --- webhook ----------------------------------------------------------------

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
		_, bad := ScanRefs(s)
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
		if !hasRefs(w.URL) && !strings.HasPrefix(w.URL, "https://") && !strings.HasPrefix(w.URL, "http://") {
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
	Target Ref
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
	if hasRefs(c.Configured) {
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

// --- caller_id (CRM customer identification) -------------------------------

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
	Variable *Ref
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

// --- transfer -----------------------------------------------------------------

// Transfer exit lines.
const (
	TransferAnswered   = 0 // connected; after the bridge ends
	TransferFailed     = 1 // any failure without its own connected line
	TransferBusy       = 2
	TransferNoAnswer   = 3
	TransferCongestion = 4 // congestion or channel unavailable
)

type transferCfg struct {
	Endpoint string
	CallerID string
	Timeout  time.Duration
}

func checkTransfer(p *paramReader) any {
	return &transferCfg{
		Endpoint: p.str("endpoint", true),
		CallerID: p.str("caller_id", false),
		Timeout:  p.seconds("timeout", 30*time.Second, time.Second, 10*time.Minute),
	}
}

// --- queue ------------------------------------------------------------------

type queueCfg struct {
	Queue   string
	Timeout time.Duration
}

func checkQueue(p *paramReader) any {
	return &queueCfg{Queue: p.str("queue", true), Timeout: p.seconds("timeout", 5*time.Minute, time.Second, 24*time.Hour)}
}

// --- goto / hangup --------------------------------------------------------------

type gotoCfg struct{ Node string }

func checkGoto(p *paramReader) any {
	c := &gotoCfg{Node: p.str("node", true)}
	if c.Node != "" && p.v.f != nil && p.v.f.byID[c.Node] == nil {
		p.bad("node", "no node has id %q", c.Node)
	}
	return c
}

type hangupCfg struct{ Cause int }

func checkHangup(p *paramReader) any {
	return &hangupCfg{Cause: p.integer("cause", 16, 1, 127)}
}

// strictUnmarshal decodes JSON rejecting unknown fields.
func strictUnmarshal(data []byte, out any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// --- JSON path ---------------------------------------------------------------

type pathStep struct {
	key   string
	index int // -1 for a key step
}

// parsePath reads "$.a.b[0].c", "a.b.0" or `$["odd key"]`.
func parsePath(s string) ([]pathStep, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("empty path")
	}
	s = strings.TrimPrefix(s, "$")
	var steps []pathStep
	for len(s) > 0 {
		switch s[0] {
		case '.':
			s = s[1:]
			j := strings.IndexAny(s, ".[")
			if j < 0 {
				j = len(s)
			}
			if j == 0 {
				return nil, fmt.Errorf("empty key")
			}
			steps = append(steps, keyOrIndex(s[:j]))
			s = s[j:]
		case '[':
			j := strings.IndexByte(s, ']')
			if j < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			in := s[1:j]
			s = s[j+1:]
			if strings.HasPrefix(in, `"`) {
				var k string
				if err := json.Unmarshal([]byte(in), &k); err != nil {
					return nil, fmt.Errorf("bad quoted key %s", in)
				}
				steps = append(steps, pathStep{key: k, index: -1})
				continue
			}
			n, err := strconv.Atoi(in)
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad index [%s]", in)
			}
			steps = append(steps, pathStep{index: n})
		default:
			if len(steps) > 0 {
				return nil, fmt.Errorf("unexpected %q", s[0])
			}
			s = "." + s
		}
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("path selects nothing")
	}
	return steps, nil
}

func keyOrIndex(s string) pathStep {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return pathStep{key: s, index: n}
	}
	return pathStep{key: s, index: -1}
}

// lookupPath walks decoded JSON.
func lookupPath(v any, steps []pathStep) (any, bool) {
	for _, st := range steps {
		switch x := v.(type) {
		case map[string]any:
			e, ok := x[st.key]
			if !ok {
				return nil, false
			}
			v = e
		case []any:
			if st.index < 0 || st.index >= len(x) {
				return nil, false
			}
			v = x[st.index]
		default:
			return nil, false
		}
	}
	return v, true
}
