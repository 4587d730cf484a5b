package dialer

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Trunks are the operator's named outbound routes (SWITCHYARD_TRUNKS):
// name → Asterisk endpoint template with "{number}" where the dialed
// number goes, e.g. carrier → PJSIP/{number}@carrier. Tenants choose a
// trunk by name; they never write a dial string (one could otherwise ring
// another tenant's agent endpoint).
type Trunks map[string]string

// DefaultTrunkName and DefaultTrunkTemplate: the shipped test trunk
// (asterisk-conf: context test-trunk routes the E.164 test range
// +1 NXX 555 01XX to test customers).
const (
	DefaultTrunkName     = "test"
	DefaultTrunkTemplate = "Local/{number}@test-trunk"
)

// ValidTrunkName: 1-64 letters, digits, '_', '-' or '.'.
func ValidTrunkName(n string) bool { return validWebhookName(n) }

// ParseTrunks reads "name=template,name=template". Every template must
// look like TECH/…{number}… and names must be unique.
func ParseTrunks(spec string) (Trunks, error) {
	t := Trunks{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, tmpl, ok := strings.Cut(part, "=")
		name, tmpl = strings.TrimSpace(name), strings.TrimSpace(tmpl)
		if !ok || !ValidTrunkName(name) {
			return nil, fmt.Errorf("trunk %q: want name=TECH/…{number}… (the name: letters, digits, _, - or . up to 64)", part)
		}
		if err := CheckTemplate(tmpl); err != nil {
			return nil, fmt.Errorf("trunk %s: %w", name, err)
		}
		if _, dup := t[name]; dup {
			return nil, fmt.Errorf("trunk %s is named twice", name)
		}
		t[name] = tmpl
	}
	return t, nil
}

// CheckTemplate checks an endpoint template: TECH/…, one {number}, no
// characters that would split or extend a dial string.
func CheckTemplate(tmpl string) error {
	tech, rest, ok := strings.Cut(tmpl, "/")
	if !ok || tech == "" || rest == "" || strings.Count(tmpl, "{number}") != 1 || strings.ContainsAny(tmpl, "&,;\x00\n\r \t") {
		return fmt.Errorf("endpoint template %q must look like TECH/…{number}… (one {number}; no &, comma, ; or spaces)", tmpl)
	}
	return nil
}

// Names lists the trunk names, sorted.
func (t Trunks) Names() []string {
	var ns []string
	for n := range t {
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns
}

// String is the SWITCHYARD_TRUNKS form, sorted by name.
func (t Trunks) String() string {
	var b strings.Builder
	for i, n := range t.Names() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n + "=" + t[n])
	}
	return b.String()
}

// ValidDialNumber reports whether number may be put into a dial string:
// an optional leading + and 1-32 digits, nothing else (no '@', '/', '&'
// that would reach another endpoint).
func ValidDialNumber(number string) bool {
	d := strings.TrimPrefix(number, "+")
	if d == "" || len(d) > 32 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// GuardNumbers wraps a placer so that a number that is not + and digits
// is never put into a dial string: the attempt ends NONUMBER undialed. The
// wrapper keeps the inner placer's availability (Availability), so a runner
// still waits while Asterisk is unavailable.
func GuardNumbers(p Placer) Placer { return guarded{p} }

type guarded struct{ p Placer }

func (g guarded) Place(ctx context.Context, r PlaceRequest) (Result, error) {
	if !ValidDialNumber(r.Number) {
		return Result{Status: StatusNoNumber}, nil
	}
	return g.p.Place(ctx, r)
}

// Available forwards the inner placer's availability.
func (g guarded) Available() bool {
	a, ok := g.p.(Availability)
	return !ok || a.Available()
}
