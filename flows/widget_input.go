package flows

// The gather and menu widgets: config, check, runner, and the collect loop
// they share (tries, no-input and invalid prompts).

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/variables"
)

type gatherCfg struct {
	Prompt, NoInput, Invalid []string
	Min, Max                 int
	Terminator               string
	FirstDigit, InterDigit   time.Duration
	Overall                  time.Duration
	Retries                  int
	Pattern                  *regexp.Regexp
	Variable                 *variables.Ref
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

type menuCfg struct {
	Prompt, NoInput, Invalid []string
	Options                  map[string]int // digit -> exit line
	Timeout                  time.Duration
	Retries                  int
	Variable                 *variables.Ref
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

func (r *run) gather(ctx context.Context, c *gatherCfg, st *Step) result {
	prompt, err := r.resolveMedia(ctx, c.Prompt)
	if err != nil {
		return fail(err)
	}
	var tries []map[string]any
	defer func() { st.Outputs["tries"] = tries }()
	var digits string
	ok, err := r.collect(ctx, collectLoop{
		opts: ari.GatherOptions{
			Min: c.Min, Max: c.Max, Terminators: c.Terminator,
			FirstDigit: c.FirstDigit, InterDigit: c.InterDigit, Overall: c.Overall, Prompt: prompt,
		},
		retries: c.Retries, noInput: c.NoInput, invalid: c.Invalid,
	}, func(g ari.GatherResult) bool {
		valid := g.Valid && (c.Pattern == nil || c.Pattern.MatchString(g.Digits))
		tries = append(tries, map[string]any{"digits": g.Digits, "reason": g.Reason, "valid": valid})
		digits = g.Digits
		return valid
	})
	if err != nil {
		return hangupOr(err)
	}
	if !ok {
		return fail(errors.New("no valid input"))
	}
	st.Outputs["digits"] = digits
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, digits); err != nil {
			return fail(err)
		}
	}
	return line(0)
}

func (r *run) menu(ctx context.Context, c *menuCfg, st *Step) result {
	prompt, err := r.resolveMedia(ctx, c.Prompt)
	if err != nil {
		return fail(err)
	}
	var tries []string
	defer func() { st.Outputs["tries"] = tries }()
	var choice string
	ok, err := r.collect(ctx, collectLoop{
		opts:    ari.GatherOptions{Min: 1, Max: 1, FirstDigit: c.Timeout, InterDigit: c.Timeout, Prompt: prompt},
		retries: c.Retries, noInput: c.NoInput, invalid: c.Invalid,
	}, func(g ari.GatherResult) bool {
		tries = append(tries, g.Digits)
		_, known := c.Options[g.Digits]
		choice = g.Digits
		return known
	})
	if err != nil {
		return hangupOr(err)
	}
	if !ok {
		if len(tries) > 0 && tries[len(tries)-1] == "" {
			return fail(errors.New("no input"))
		}
		return fail(errors.New("invalid choice"))
	}
	st.Outputs["choice"] = choice
	r.flowVars["menu_choice"] = choice
	if c.Variable != nil {
		if err := r.assign(ctx, *c.Variable, choice); err != nil {
			return fail(err)
		}
	}
	return line(c.Options[choice])
}

// collectLoop is how gather and menu ask for digits: up to 1+retries
// tries with the prompt; between tries the no-input prompt (nothing was
// pressed) or the invalid prompt plays.
type collectLoop struct {
	opts             ari.GatherOptions
	retries          int
	noInput, invalid []string
}

// collect runs the tries until accept takes one (true); false when every
// try was refused. An error is the caller hanging up or a prompt failing.
func (r *run) collect(ctx context.Context, l collectLoop, accept func(ari.GatherResult) bool) (bool, error) {
	for attempt := 0; attempt <= l.retries; attempt++ {
		g, err := r.call.Gather(ctx, l.opts)
		if err != nil {
			return false, err
		}
		if accept(g) {
			return true, nil
		}
		if attempt == l.retries {
			break
		}
		r.call.FlushDTMF()
		again := l.invalid
		if g.Digits == "" {
			again = l.noInput
		}
		if err := r.playPrompt(ctx, again); err != nil {
			return false, err
		}
	}
	return false, nil
}
