package flows

// The logic widgets: decision, time_condition, set_variable, goto and
// hangup — config, check and runner of each.

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard/flows/variables"
)

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

// evalCondition evaluates one condition with values already substituted.
func evalCondition(op, left, right string, c *condition) bool {
	switch op {
	case "eq":
		return left == right
	case "ne":
		return left != right
	case "lt", "gt":
		lf, err1 := strconv.ParseFloat(strings.TrimSpace(left), 64)
		rf, err2 := strconv.ParseFloat(strings.TrimSpace(right), 64)
		if err1 == nil && err2 == nil {
			if op == "lt" {
				return lf < rf
			}
			return lf > rf
		}
		if op == "lt" {
			return left < right
		}
		return left > right
	case "contains":
		return strings.Contains(left, right)
	case "regex":
		return c != nil && c.re != nil && c.re.MatchString(left)
	case "empty":
		return strings.TrimSpace(left) == ""
	case "not_empty":
		return strings.TrimSpace(left) != ""
	}
	return false
}

func (r *run) decision(c *decisionCfg, st *Step) result {
	var evals []map[string]any
	match := !c.Any
	for i := range c.Conditions {
		cd := &c.Conditions[i]
		left := r.sub(cd.Left)
		right := cd.Right
		if cd.Op != "regex" {
			right = r.sub(cd.Right)
		}
		ok := evalCondition(cd.Op, left, right, cd)
		evals = append(evals, map[string]any{"left": left, "op": cd.Op, "right": right, "result": ok})
		if c.Any && ok {
			match = true
		}
		if !c.Any && !ok {
			match = false
		}
	}
	st.Outputs["conditions"] = evals
	st.Outputs["result"] = match
	if match {
		return line(0)
	}
	return line(1)
}

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

// timeLine evaluates a time condition at t: 0 open, 1 closed, 2 holiday.
func timeLine(c *timeCfg, t time.Time) int {
	t = t.In(c.Loc)
	if c.Holidays[t.Format("2006-01-02")] {
		return 2
	}
	m := t.Hour()*60 + t.Minute()
	for _, rg := range c.Ranges {
		if rg.days[t.Weekday()] && m >= rg.from && m < rg.to {
			return 0
		}
	}
	return 1
}

func (r *run) timeCondition(n *Node, c *timeCfg, st *Step) result {
	now := r.e.now()
	l := timeLine(c, now)
	st.Inputs["time"] = now.In(c.Loc).Format(time.RFC3339)
	st.Outputs["result"] = []string{"open", "closed", "holiday"}[l]
	if l == 2 && n.Exit(2) == "" {
		l = 1
	}
	return line(l)
}

type assignment struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	target variables.Ref
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

func (r *run) set(ctx context.Context, c *setCfg, st *Step) result {
	for _, a := range c.Assign {
		v, missing := r.subCtx(ctx, a.Value)
		if len(missing) > 0 {
			st.Outputs["unset"] = missing
		}
		st.Outputs[a.target.Full()] = v
		if err := r.assign(ctx, a.target, v); err != nil {
			return lineErr(0, err)
		}
	}
	return line(0)
}

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
