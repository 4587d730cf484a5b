// Package variables is the flow variable model: the namespaces
// ($flow.key.*, $user.key.*, $sys.*, $call.*, $flow.syskey.*), the system
// variables Switchyard fills and their published documentation
// (docs/flow-variables.md), and the scanner and interpolation of
// references ("$flow.key.amount", "${flow.key.amount}") in strings. Flows,
// their webhooks and the event webhooks of the dialer all interpolate
// through it; what a variable holds on a call is the flow engine's
// business (flows), not this package's.
package variables

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Variable namespaces (the product's types of flow variables).
const (
	NSFlow   = "flow.key"    // $flow.key.<name>: declared per flow
	NSUser   = "user.key"    // $user.key.<name>: account-wide, persisted
	NSSys    = "sys"         // $sys.datetime|date|time
	NSCall   = "call"        // $call.*: what the call tells us
	NSSyskey = "flow.syskey" // $flow.syskey.*: system keys a flow may set
)

// Ref is one variable reference inside a string, e.g. "$flow.key.amount"
// or "${flow.key.amount}" (the braced form ends the name explicitly).
type Ref struct {
	NS, Name   string
	Start, End int // byte offsets of the whole reference in the string
	bad        bool
}

// MaxNameLen bounds a $flow.key.* / $user.key.* name.
const MaxNameLen = 64

// ValidName reports a valid $flow.key.* / $user.key.* name: letters,
// digits, _ and -, at most MaxNameLen.
func ValidName(s string) bool {
	if s == "" || len(s) > MaxNameLen {
		return false
	}
	for _, r := range s {
		if !IsNameChar(r) {
			return false
		}
	}
	return true
}

// IsNameChar reports a character of a variable name.
func IsNameChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-'
}

// Full is the canonical spelling, e.g. "$flow.key.amount".
func (r Ref) Full() string { return "$" + r.NS + "." + r.Name }

// sysVars are the $sys.* names.
var sysVars = []string{"datetime", "date", "time"}

// callVars are the product's $call.* variables that Switchyard can fill.
// (The product's names in unsupportedCallVars cannot be filled; referencing
// them is a validation error. Every name here is documented in docs.go
// and published.)
var callVars = []string{
	"cdr", "start", "end", "dtmf", "state", "connect", "isIncoming",
	"cli", "cli.number", "cli.countrycode", "cli.type", "cli.areacode", "cli.numberWithoutArea",
	"dnis", "dnis.number", "dnis.countrycode", "dnis.type", "dnis.areacode", "dnis.numberWithoutArea",
	"remoteHangup", "isdn", "recorded", "recordingUri", "lastdtmfreceived", "attemptnumber",
	"lastWebhookStatus", "duration",
	"agent.connect", "agent.dnis", "agent.dnis.number", "agent.dnis.countrycode",
	"agent.cli", "agent.cli.countrycode", "agent.cli.number", "agent.cli.numberWithoutArea",
	"agent.cli.areaCode", "agent.recordingUri",
	"flow.recordingUri", "play_and_record.recordingUri", "agent_dialer.recordingUri",
	"ivr_recording.recordingUri", "queue.recordingUri",
}

// unsupportedCallVars are product $call.* variables that cannot be known here.
var unsupportedCallVars = map[string]string{
	"cost":              "Switchyard has no rate plans, so the call cost is unknown",
	"cost.currency":     "Switchyard has no rate plans, so the call cost currency is unknown",
	"lastlabelreceived": "the product documents do not define a label a call receives, so it has no value",
	"agent.cdr":         "the agent leg has no CDR of its own: use $call.cdr (the call attempt) and $flow.syskey.agentID",
}

// syskeyVars are the product's $flow.syskey.* variables.
var syskeyVars = []string{
	"rescheduledCall", "reschedule_agent_call", "reschedule_customer_call",
	"agentID", "agent.attempt_number", "agent.type", "loginType",
}

// builtinFlowVars are $flow.key.* names widgets set themselves; a flow may
// read them without declaring them.
var builtinFlowVars = []string{
	"response_status", "response_status_code", "response_status_type",
	"response_duration", "response_raw", "response_error", "error_reason",
	"crm_id", "crm_result", "crm_destination", "crm_reason", "dial_status", "menu_choice",
}

var (
	sysSet     = setOf(sysVars)
	callSet    = setOf(callVars)
	syskeySet  = setOf(syskeyVars)
	builtinSet = setOf(builtinFlowVars)
)

// IsBuiltin reports a $flow.key.* name a widget sets itself (a flow may
// read it without declaring it).
func IsBuiltin(name string) bool { return builtinSet[name] }

// WhyUnsupported says why r, a product variable Switchyard cannot fill
// ($call.cost, ...), is refused; ok is false for every other reference.
func WhyUnsupported(r Ref) (why string, ok bool) {
	if r.NS != NSCall {
		return "", false
	}
	why, ok = unsupportedCallVars[r.Name]
	return why, ok
}

// HasRefs reports whether s holds a valid variable reference.
func HasRefs(s string) bool {
	refs, _ := Scan(s)
	return len(refs) > 0
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// Scan finds every variable reference in s. A "$" that does not start
// a known namespace is literal text. Dotted names ($call.cli.number) take
// the longest known name, so "$call.cli." ends before the final dot.
// Unknown names in the dotted namespaces are returned with ok=false in
// bad (for validation messages).
func Scan(s string) (refs []Ref, bad []Ref) {
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		braced := i+1 < len(s) && s[i+1] == '{'
		body := i + 1
		if braced {
			body++
		}
		var ns string
		for _, cand := range []string{NSFlow + ".", NSUser + ".", NSSyskey + ".", NSSys + ".", NSCall + "."} {
			if strings.HasPrefix(s[body:], cand) {
				ns = cand[:len(cand)-1]
				break
			}
		}
		if ns == "" {
			continue
		}
		nameStart := body + len(ns) + 1
		if braced {
			end := strings.IndexByte(s[nameStart:], '}')
			if end < 0 {
				bad = append(bad, Ref{NS: ns, Name: s[nameStart:], Start: i, End: len(s), bad: true})
				return refs, bad
			}
			r := Ref{NS: ns, Name: s[nameStart : nameStart+end], Start: i, End: nameStart + end + 1}
			if knownName(ns, r.Name) {
				refs = append(refs, r)
			} else {
				r.bad = true
				bad = append(bad, r)
			}
			i = r.End - 1
			continue
		}
		dotted := ns == NSCall || ns == NSSyskey
		j := nameStart
		for j < len(s) && (IsNameChar(rune(s[j])) || dotted && s[j] == '.') {
			j++
		}
		name := s[nameStart:j]
		if dotted {
			// The names are a closed set: take the longest known prefix.
			cand := longestKnown(ns, name)
			if cand == "" {
				bad = append(bad, Ref{NS: ns, Name: strings.TrimRight(name, "."), Start: i, End: j, bad: true})
				i = j - 1
				continue
			}
			name = cand
		}
		r := Ref{NS: ns, Name: name, Start: i, End: nameStart + len(name)}
		if name == "" || !knownName(ns, name) {
			r.bad = true
			bad = append(bad, r)
		} else {
			refs = append(refs, r)
		}
		i = r.End - 1
	}
	return refs, bad
}

func longestKnown(ns, name string) string {
	list := callVars
	if ns == NSSyskey {
		list = syskeyVars
	}
	best := ""
	for _, k := range list {
		if len(k) > len(best) && strings.HasPrefix(name, k) {
			best = k
		}
	}
	return best
}

func knownName(ns, name string) bool {
	switch ns {
	case NSFlow, NSUser:
		return ValidName(name)
	case NSSys:
		return sysSet[name]
	case NSCall:
		return callSet[name]
	case NSSyskey:
		return syskeySet[name]
	}
	return false
}

// Interpolate replaces every reference in s using lookup. It returns the
// references lookup could not resolve (unset variables); their text is
// left empty.
func Interpolate(s string, lookup func(Ref) (string, bool)) (string, []string) {
	if strings.IndexByte(s, '$') < 0 {
		return s, nil
	}
	refs, bad := Scan(s)
	var missing []string
	for _, b := range bad {
		missing = append(missing, b.Full())
	}
	all := mergeRefs(refs, bad)
	if len(all) == 0 {
		return s, nil
	}
	var b strings.Builder
	last := 0
	for _, r := range all {
		b.WriteString(s[last:r.Start])
		last = r.End
		if r.bad {
			continue
		}
		v, ok := lookup(r)
		if !ok {
			missing = append(missing, r.Full())
			continue
		}
		b.WriteString(v)
	}
	b.WriteString(s[last:])
	return b.String(), missing
}

func mergeRefs(a, b []Ref) []Ref {
	out := make([]Ref, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j >= len(b) || i < len(a) && a[i].Start < b[j].Start {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	return out
}

// ParseName parses a variable name a widget writes to: "$flow.key.x",
// "$user.key.x" or "$flow.syskey.x" (or a bare "x", meaning $flow.key.x).
func ParseName(s string) (Ref, bool) {
	if !strings.HasPrefix(s, "$") {
		if ValidName(s) {
			return Ref{NS: NSFlow, Name: s}, true
		}
		return Ref{}, false
	}
	refs, _ := Scan(s)
	if len(refs) != 1 || refs[0].Start != 0 || refs[0].End != len(s) {
		return Ref{}, false
	}
	switch refs[0].NS {
	case NSFlow, NSUser, NSSyskey:
		return refs[0], true
	}
	return Ref{}, false
}

// SplitNumber splits a phone number into country code, national number,
// area code and number without area, and a type. The country code is
// read from E.164 form (+CC… or 00CC…); the area code comes from the
// phone-number tables of that country (github.com/nyaruka/phonenumbers),
// empty for numbers without a geographic area code (mobiles, toll-free).
func SplitNumber(n string) (cc, national, area, withoutArea, typ string) {
	digits := strings.TrimSpace(n)
	intl := false
	switch {
	case strings.HasPrefix(digits, "+"):
		digits, intl = digits[1:], true
	case strings.HasPrefix(digits, "00"):
		digits, intl = digits[2:], true
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", n, "", n, "unknown"
		}
	}
	if digits == "" {
		return "", "", "", "", "unknown"
	}
	if !intl {
		return "", digits, "", digits, "national"
	}
	pn, err := phonenumbers.Parse("+"+digits, "")
	if err != nil || pn.GetCountryCode() == 0 {
		return "", digits, "", digits, "unknown"
	}
	cc = strconv.Itoa(int(pn.GetCountryCode()))
	national = strings.TrimPrefix(digits, cc)
	withoutArea = national
	if l := phonenumbers.GetLengthOfGeographicalAreaCode(pn); l > 0 && l < len(national) {
		nsn := phonenumbers.GetNationalSignificantNumber(pn)
		if strings.HasSuffix(national, nsn) {
			// The area code is read from the significant number (an
			// Italian leading zero stays in front of it).
			off := len(national) - len(nsn)
			area, withoutArea = national[:off+l], national[off+l:]
		}
	}
	return cc, national, area, withoutArea, "international"
}
