package flows

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/switchyard/switchyard/flows/variables"
)

// paramReader decodes one node's params, reporting each problem with the
// node id and field, and remembering which params were read.
type paramReader struct {
	v    *validator
	node *Node
	used map[string]bool
}

func (p *paramReader) bad(field, format string, args ...any) {
	p.v.add(p.node.ID, "params."+field, format, args...)
}

func (p *paramReader) raw(name string) (json.RawMessage, bool) {
	p.used[name] = true
	r, ok := p.node.Params[name]
	if ok && string(r) == "null" {
		return nil, false
	}
	return r, ok
}

// checkRefs validates the variable references in a string param.
func (p *paramReader) checkRefs(field, s string) {
	refs, bad := variables.Scan(s)
	for _, b := range bad {
		if why, ok := variables.WhyUnsupported(b); ok {
			p.bad(field, "variable %s is not available: %s", b.Full(), why)
			continue
		}
		p.bad(field, "unknown variable %s", b.Full())
	}
	for _, r := range refs {
		if r.NS == variables.NSFlow && !p.v.declared[r.Name] && !variables.IsBuiltin(r.Name) {
			p.bad(field, "undeclared variable %s (declare %q in the flow's variables)", r.Full(), r.Name)
		}
	}
}

func (p *paramReader) str(name string, required bool) string {
	r, ok := p.raw(name)
	if !ok {
		if required {
			p.bad(name, "is required")
		}
		return ""
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		p.bad(name, "must be a string")
		return ""
	}
	if required && strings.TrimSpace(s) == "" {
		p.bad(name, "must not be empty")
	}
	p.checkRefs(name, s)
	return s
}

func (p *paramReader) enum(name, def string, allowed ...string) string {
	s := p.str(name, def == "")
	if s == "" {
		return def
	}
	for _, a := range allowed {
		if s == a {
			return s
		}
	}
	p.bad(name, "must be one of %s (got %q)", strings.Join(allowed, ", "), s)
	return def
}

func (p *paramReader) boolean(name string, def bool) bool {
	r, ok := p.raw(name)
	if !ok {
		return def
	}
	var b bool
	if err := json.Unmarshal(r, &b); err != nil {
		p.bad(name, "must be true or false")
		return def
	}
	return b
}

func (p *paramReader) integer(name string, def, min, max int) int {
	r, ok := p.raw(name)
	if !ok {
		return def
	}
	var f float64
	if err := json.Unmarshal(r, &f); err != nil || f != math.Trunc(f) {
		p.bad(name, "must be a whole number")
		return def
	}
	if f < float64(min) || f > float64(max) {
		p.bad(name, "must be between %d and %d (got %v)", min, max, f)
		return def
	}
	return int(f)
}

// seconds reads a duration given in (possibly fractional) seconds.
func (p *paramReader) seconds(name string, def, min, max time.Duration) time.Duration {
	r, ok := p.raw(name)
	if !ok {
		return def
	}
	var f float64
	if err := json.Unmarshal(r, &f); err != nil {
		p.bad(name, "must be a number of seconds")
		return def
	}
	d := time.Duration(f * float64(time.Second))
	if d < min || d > max {
		p.bad(name, "must be between %v and %v seconds (got %v)", min.Seconds(), max.Seconds(), f)
		return def
	}
	return d
}

// media reads a list of media items (a single string is a list of one).
func (p *paramReader) media(name string, required bool) []string {
	r, ok := p.raw(name)
	if !ok {
		if required {
			p.bad(name, "is required")
		}
		return nil
	}
	var list []string
	if err := json.Unmarshal(r, &list); err != nil {
		var one string
		if err := json.Unmarshal(r, &one); err != nil {
			p.bad(name, "must be a media string or a list of them")
			return nil
		}
		list = []string{one}
	}
	if required && len(list) == 0 {
		p.bad(name, "needs at least one media item")
	}
	for i, m := range list {
		field := fmt.Sprintf("%s[%d]", name, i)
		if strings.HasPrefix(m, "$") && variables.HasRefs(m) {
			// A variable holding a whole media URI (e.g. a recording's
			// $call.ivr_recording.recordingUri): checked when played.
			p.checkRefs(field, m)
			continue
		}
		kind, rest, ok := strings.Cut(m, ":")
		if !ok || !mediaKinds[kind] {
			p.bad(field, "%q must start with one of sound:, prompt:, recording:, digits:, number:, tts:", m)
			continue
		}
		if strings.TrimSpace(rest) == "" {
			p.bad(field, "%q names no media", m)
		}
		if kind == "prompt" && rest != "" && !variables.HasRefs(rest) {
			p.v.f.prompts = append(p.v.f.prompts, PromptRef{Node: p.node.ID, Field: "params." + field, Name: rest})
		}
		p.checkRefs(field, m)
	}
	return list
}

var mediaKinds = setOf([]string{"sound", "prompt", "recording", "digits", "number", "tts"})

func (p *paramReader) stringMap(name string) map[string]string {
	r, ok := p.raw(name)
	if !ok {
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(r, &m); err != nil {
		p.bad(name, "must be an object of strings")
		return nil
	}
	for _, k := range sortedKeys(m) {
		p.checkRefs(name+"."+k, k)
		p.checkRefs(name+"."+k, m[k])
	}
	return m
}

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// target reads a variable name a widget writes to.
func (p *paramReader) target(field, s string) variables.Ref {
	r, ok := variables.ParseName(s)
	if !ok {
		p.bad(field, "%q is not a writable variable ($flow.key.<name>, $user.key.<name> or $flow.syskey.<name>)", s)
		return variables.Ref{}
	}
	if r.NS == variables.NSFlow && !p.v.declared[r.Name] && !variables.IsBuiltin(r.Name) {
		p.bad(field, "undeclared variable %s (declare %q in the flow's variables)", r.Full(), r.Name)
	}
	return r
}

func (p *paramReader) optTarget(name string) *variables.Ref {
	r, ok := p.raw(name)
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(r, &s); err != nil {
		p.bad(name, "must be a variable name string")
		return nil
	}
	t := p.target(name, s)
	if t.Name == "" {
		return nil
	}
	return &t
}

func (p *paramReader) regex(field, s string) *regexp.Regexp {
	if strings.Contains(s, "$") && variables.HasRefs(s) {
		p.bad(field, "a regular expression may not contain variables")
		return nil
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.bad(field, "bad regular expression: %v", err)
		return nil
	}
	return re
}

// decodeInto decodes a structured param strictly.
func (p *paramReader) decodeInto(name string, out any, required bool) bool {
	r, ok := p.raw(name)
	if !ok {
		if required {
			p.bad(name, "is required")
		}
		return false
	}
	if err := strictUnmarshal(r, out); err != nil {
		p.bad(name, "%v", err)
		return false
	}
	return true
}
