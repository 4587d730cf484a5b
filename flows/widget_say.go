package flows

// The say widget: says a value (a number, digits, an alphabet, a date or
// a time) with a grammar's prompt segments or with text-to-speech, then
// plays the result as the play widget does (prompt:, sound: and tts:
// items resolve the same way).

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/variables"
)

// Sayer turns a value into the media items that say it (the grammars
// service): with the named grammar of the account ("" is the sample
// English grammar) or, with tts, as a tts: item. kind is number, digits,
// alphabet, date or time. A bad value, an unknown grammar or a missing
// segment is an error written for the flow's author.
type Sayer interface {
	Say(ctx context.Context, accountID int64, grammar, kind, value string, tts bool) ([]string, error)
}

// SayKinds are the kinds of values the say widget says.
var SayKinds = []string{"number", "digits", "alphabet", "date", "time"}

var grammarNameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

type sayCfg struct {
	Kind    string
	Value   string
	Grammar string
	TTS     bool
	BargeIn bool
}

func checkSay(p *paramReader) any {
	c := &sayCfg{
		Kind:    p.enum("type", "", SayKinds...),
		Value:   p.str("value", true),
		Grammar: p.str("grammar", false),
		TTS:     p.boolean("tts", false),
		BargeIn: p.boolean("barge_in", false),
	}
	switch {
	case c.Grammar == "":
	case c.TTS:
		p.bad("grammar", "say with a grammar or with text-to-speech (tts), not both")
	case variables.HasRefs(c.Grammar):
		p.bad("grammar", "the grammar name may not contain variables")
	case !grammarNameRE.MatchString(c.Grammar):
		p.bad("grammar", "%q is not a grammar name (letters, digits and underscores)", c.Grammar)
	}
	if c.Kind != "" {
		p.v.f.says = append(p.v.f.says, SayRef{Node: p.node.ID, Kind: c.Kind, Value: c.Value, Grammar: c.Grammar, TTS: c.TTS})
	}
	return c
}

func (r *run) say(ctx context.Context, c *sayCfg, st *Step) result {
	value, missing := r.subCtx(ctx, c.Value)
	st.Inputs["type"] = c.Kind
	st.Inputs["value"] = value
	if c.TTS {
		st.Inputs["tts"] = true
	} else {
		grammar := c.Grammar
		if grammar == "" {
			grammar = "sample_english"
		}
		st.Inputs["grammar"] = grammar
	}
	if len(missing) > 0 {
		return fail(fmt.Errorf("value %q: %w %s", c.Value, errUnsetVar, strings.Join(missing, ", ")))
	}
	if r.e.Grammars == nil {
		return fail(errors.New("saying values is not configured (no grammars service)"))
	}
	items, err := r.e.Grammars.Say(ctx, r.fv.AccountID, c.Grammar, c.Kind, value, c.TTS)
	if err != nil {
		return fail(fmt.Errorf("say %s %q: %w", c.Kind, value, err))
	}
	st.Inputs["items"] = items
	media, err := r.resolveMedia(ctx, items)
	st.Inputs["media"] = media
	if err != nil {
		return fail(err)
	}
	res, err := r.call.Play(ctx, ari.PlayOptions{StopOnDTMF: c.BargeIn}, media...)
	st.Outputs["interrupted"] = res.Interrupted
	if err != nil {
		return hangupOr(err)
	}
	return line(0)
}
