package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The widget registry. Each widget lives in one file with its config, the
// check that reads its params at validation, and its runner:
// widget_media.go (play, record, play_and_record), widget_say.go (say), widget_input.go (gather,
// menu), widget_logic.go (decision, time_condition, set_variable, goto,
// hangup), webhook.go, crm.go (caller_id), widget_transfer.go and
// widget_queue.go, widget_message.go (sms, email).

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
		"say":             {lines: 2, check: checkSay},
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
		"sms":             {lines: 2, check: checkSMS},
		"email":           {lines: 2, check: checkEmail},
		"goto":            {lines: 0, check: checkGoto},
		"hangup":          {lines: 0, check: checkHangup},
	}
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
