package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fakeSayer is a Sayer of a function field.
type fakeSayer struct {
	say func(accountID int64, grammar, kind, value string, tts bool) ([]string, error)
}

func (f fakeSayer) Say(_ context.Context, accountID int64, grammar, kind, value string, tts bool) ([]string, error) {
	return f.say(accountID, grammar, kind, value, tts)
}

// TestSayValidation: the say widget's params are checked when the flow
// is saved.
func TestSayValidation(t *testing.T) {
	for _, tc := range []struct {
		params string
		want   []string // problems; none when empty
	}{
		{`{"type":"date","value":"$flow.key.due"}`, nil},
		{`{"type":"number","value":"42","grammar":"hindi_1","barge_in":true}`, nil},
		{`{"type":"time","value":"$sys.time","tts":true}`, nil},
		{`{"value":"1"}`, []string{"params.type: is required"}},
		{`{"type":"money","value":"1"}`, []string{"params.type: must be one of number, digits, alphabet, date, time"}},
		{`{"type":"number"}`, []string{"params.value: is required"}},
		{`{"type":"number","value":"$flow.key.nope"}`, []string{"undeclared variable $flow.key.nope"}},
		{`{"type":"number","value":"1","grammar":"uk","tts":true}`, []string{"params.grammar: say with a grammar or with text-to-speech"}},
		{`{"type":"number","value":"1","grammar":"$flow.key.due"}`, []string{"may not contain variables"}},
		{`{"type":"number","value":"1","grammar":"uk-english"}`, []string{`"uk-english" is not a grammar name`}},
		{`{"type":"number","value":"1","voice":"x"}`, []string{"voice"}},
	} {
		doc := `{"format":1,"name":"t","type":"inbound","start":"n","variables":["due"],"nodes":[
		 {"id":"n","type":"say","params":` + tc.params + `,"exits":["ok","ok"]},{"id":"ok","type":"hangup"}]}`
		_, err := Parse([]byte(doc), Features{})
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%s: %v", tc.params, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted; want %v", tc.params, tc.want)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v\n does not say %q", tc.params, err, w)
			}
		}
	}
}

// TestSayFailures: a say widget that cannot say its value takes line 1
// with the reason in its journey step, before anything is played.
func TestSayFailures(t *testing.T) {
	var asked []string
	sayer := fakeSayer{say: func(acct int64, grammar, kind, value string, tts bool) ([]string, error) {
		asked = append(asked, grammar+"|"+kind+"|"+value)
		if acct != 7 {
			t.Errorf("account %d", acct)
		}
		switch grammar {
		case "gone":
			return nil, errors.New(`unknown grammar "gone"`)
		case "bad_items":
			return []string{"video:x"}, nil
		}
		return nil, errors.New(`"2026-02-30" is not a date (YYYY-MM-DD, e.g. 2026-03-15)`)
	}}
	for _, tc := range []struct {
		name   string
		e      *Engine
		node   string
		vars   map[string]string
		reason string
		inputs map[string]any
	}{
		{"bad value", &Engine{Grammars: sayer}, `{"id":"n","type":"say","params":{"type":"date","value":"$flow.key.due"},"exits":["ok","ok"]}`,
			map[string]string{"due": "2026-02-30"}, `say date "2026-02-30": "2026-02-30" is not a date`,
			map[string]any{"type": "date", "value": "2026-02-30", "grammar": "sample_english"}},
		{"unknown grammar", &Engine{Grammars: sayer}, `{"id":"n","type":"say","params":{"type":"number","value":"5","grammar":"gone"},"exits":["ok","ok"]}`,
			nil, `unknown grammar "gone"`, map[string]any{"grammar": "gone"}},
		{"bad media from the grammar", &Engine{Grammars: sayer}, `{"id":"n","type":"say","params":{"type":"number","value":"5","grammar":"bad_items"},"exits":["ok","ok"]}`,
			nil, `"video:x"`, nil},
		{"unset variable", &Engine{Grammars: sayer}, `{"id":"n","type":"say","params":{"type":"date","value":"$flow.key.due"},"exits":["ok","ok"]}`,
			nil, "unset variable $flow.key.due", nil},
		{"no service", &Engine{}, `{"id":"n","type":"say","params":{"type":"number","value":"5"},"exits":["ok","ok"]}`,
			nil, "saying values is not configured", nil},
		{"tts without engine", &Engine{Grammars: fakeSayer{say: func(_ int64, _, kind, value string, tts bool) ([]string, error) {
			if !tts || kind != "time" || value != "09:05" {
				t.Errorf("tts %v kind %s value %s", tts, kind, value)
			}
			return []string{"tts:9:05 AM"}, nil
		}}}, `{"id":"n","type":"say","params":{"type":"time","value":"09:05","tts":true},"exits":["ok","ok"]}`,
			nil, "text-to-speech is not configured", map[string]any{"tts": true}},
	} {
		r, n := oneNode(t, tc.e, tc.node, tc.vars, "due")
		res, st := execNode(r, n)
		if res.line != 1 || res.err == nil || !strings.Contains(res.err.Error(), tc.reason) {
			t.Errorf("%s: line %d err %v; want line 1 saying %q", tc.name, res.line, res.err, tc.reason)
		}
		for k, v := range tc.inputs {
			if st.Inputs[k] != v {
				t.Errorf("%s: step input %s = %v, want %v (inputs %v)", tc.name, k, st.Inputs[k], v, st.Inputs)
			}
		}
	}
	if len(asked) != 3 || asked[0] != "|date|2026-02-30" {
		t.Errorf("asked %v", asked)
	}
}
