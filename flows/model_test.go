package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFlow(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "flows", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestExampleFlows(t *testing.T) {
	for _, tc := range []struct {
		file    string
		feat    Features
		wantErr string // "" = valid
	}{
		{"ivr_menu.json", Features{}, ""},
		{"payment_reminder.json", Features{}, ""},
		{"crm_inbound.json", Features{}, ""},
		{"agent_connect.json", Features{}, `node "agents": type: queue widget needs the agents-and-queues feature`},
		{"agent_connect.json", Features{Queues: true}, ""},
		{"recorded_feedback.json", Features{}, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Parse(readFlow(t, tc.file), tc.feat)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if f.Node(f.Start) == nil {
					t.Fatal("start node missing")
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidFlow) {
				t.Fatalf("want *ValidationError, got %v", err)
			}
			if len(ve.Problems) != 1 || !strings.Contains(ve.Problems[0].String(), tc.wantErr) {
				t.Fatalf("problems = %v, want exactly %q", ve.Problems, tc.wantErr)
			}
		})
	}
}

// TestValidateReportsEveryProblem checks that one bad flow yields every
// problem at once, each naming the node and field.
func TestValidateReportsEveryProblem(t *testing.T) {
	doc := `{
	  "format": 1, "name": "bad", "type": "inbound", "start": "a",
	  "variables": ["known", "known", "bad name"],
	  "nodes": [
	    {"id": "a", "type": "play", "params": {"media": ["sound:x", "nope:y", "digits:$flow.key.missing"]}, "exits": ["b", "ghost"]},
	    {"id": "b", "type": "teleport", "exits": ["c"]},
	    {"id": "c", "type": "gather", "params": {"min_digits": 5, "max_digits": 2, "retries": 99, "pattern": "([", "colour": "red"}, "exits": ["a"]},
	    {"id": "d", "type": "hangup", "params": {"cause": 300}},
	    {"id": "e", "type": "decision", "params": {"conditions": [{"left": "$call.cost", "op": "eq", "right": "1"}, {"left": "$flow.key.known", "op": "like"}, {"left": "$flow.key.known", "op": "regex", "right": "(("}]}, "exits": ["a", "a", "a"]},
	    {"id": "f", "type": "queue", "params": {"queue": "sales"}},
	    {"id": "g", "type": "webhook", "params": {"url": "ftp://x", "method": "YEET", "body_type": "xml", "headers": {"X": "$user.key.tok $sys.weather"}}},
	    {"id": "h", "type": "time_condition", "params": {"timezone": "Mars/Olympus", "ranges": [{"days": ["funday"], "from": "25:00", "to": "09:00"}], "holidays": ["12/25"]}},
	    {"id": "i", "type": "set_variable", "params": {"assign": [{"name": "$call.cdr", "value": "x"}, {"name": "$flow.key.nope", "value": "$flow.key.known"}]}},
	    {"id": "j", "type": "caller_id", "params": {"mode": "destination", "audio": "sound:x", "routes": [{"type": 7, "id": "", "exit": 1}]}},
	    {"id": "a", "type": "goto", "params": {"node": "zzz"}}
	  ]
	}`
	_, err := Parse([]byte(doc), Features{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	got := map[string]bool{}
	for _, p := range ve.Problems {
		got[p.String()] = true
	}
	want := []string{
		`variables[1]: variable "known" is declared twice`,
		`variables[2]: "bad name" is not a valid variable name`,
		`node "a": nodes[10].id: duplicate node id`,
		`node "a": params.media[1]: "nope:y" must start with one of`,
		`node "a": params.media[2]: undeclared variable $flow.key.missing`,
		`node "a": exits[1]: dangling exit: no node has id "ghost"`,
		`node "b": type: unknown widget "teleport"`,
		`node "c": params.min_digits: min_digits 5 is more than max_digits 2`,
		`node "c": params.retries: must be between 0 and 10`,
		`node "c": params.pattern: bad regular expression`,
		`node "c": params.colour: unknown parameter for widget gather`,
		`node "c": exits[0]: `, // fine: points to a
		`node "d": params.cause: must be between 1 and 127`,
		`node "d": id: unreachable node`,
		`node "e": params.conditions[0].left: variable $call.cost is not available`,
		`node "e": params.conditions[1].op: must be one of`,
		`node "e": params.conditions[2].right: bad regular expression`,
		`node "e": exits[2]: widget decision has no line 2`,
		`node "f": type: queue widget needs the agents-and-queues feature`,
		`node "g": params.url: must be an http(s) URL`,
		`node "g": params.method: must be one of`,
		`node "g": params.body_type: must be json, form or raw`,
		`node "g": params.headers.X: unknown variable $sys.weather`,
		`node "h": params.timezone: unknown time zone "Mars/Olympus"`,
		`node "h": params.ranges[0].days: "funday" is not a day`,
		`node "h": params.ranges[0].from: "25:00" is not a time HH:MM`,
		`node "h": params.holidays[0]: "12/25" is not a date YYYY-MM-DD`,
		`node "i": params.assign[0].name: "$call.cdr" is not a writable variable`,
		`node "i": params.assign[1].name: undeclared variable $flow.key.nope`,
		`node "j": params.url: is required for mode destination`,
		`node "j": params.routes[0].type: destination type 7 is not one of`,
		`node "j": params.routes[0].id: is required`,
		`node "j": params.routes[0].exit: must be 2-63`,
		`node "a": params.node: no node has id "zzz"`,
	}
	for _, w := range want {
		if strings.HasSuffix(w, "exits[0]: ") {
			continue
		}
		found := false
		for g := range got {
			if strings.HasPrefix(g, w) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("missing problem %q", w)
		}
	}
	if t.Failed() {
		for _, p := range ve.Problems {
			t.Log(p.String())
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`{`, "document: not valid JSON"},
		{`{"format": "one"}`, "format: must be int"},
		{`{"format": 1, "nodes": [], "extra": 1}`, `unknown field "extra"`},
		{`{"format":1} {}`, "trailing data"},
		{`{"format": 2, "name": "x", "type": "weird", "start": "a", "nodes": []}`, "format: must be 1 (got 2); name"},
	} {
		_, err := Parse([]byte(tc.doc), Features{})
		if err == nil {
			t.Errorf("%s: no error", tc.doc)
			continue
		}
		if strings.HasPrefix(tc.doc, `{"format": 2`) {
			if !strings.Contains(err.Error(), "format: must be 1 (got 2)") || !strings.Contains(err.Error(), "type: must be one of") || !strings.Contains(err.Error(), "nodes: a flow needs at least one node") {
				t.Errorf("%s: %v", tc.doc, err)
			}
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not contain %q", tc.doc, err, tc.want)
		}
	}
}

func TestParsePath(t *testing.T) {
	doc := map[string]any{}
	_ = json.Unmarshal([]byte(`{"a":{"b":[{"c":"x"},{"c":2}]},"odd key":true}`), &doc)
	for _, tc := range []struct {
		path, want string
		ok         bool
	}{
		{"$.a.b[0].c", "x", true},
		{"a.b.1.c", "2", true},
		{`$["odd key"]`, "true", true},
		{"$.a.b[5]", "", false},
		{"$.a.z", "", false},
		{"$.a.b", `[{"c":"x"},{"c":2}]`, true},
	} {
		steps, err := parsePath(tc.path)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		v, ok := lookupPath(doc, steps)
		if ok != tc.ok || ok && jsonText(v) != tc.want {
			t.Errorf("%s = %v %v", tc.path, jsonText(v), ok)
		}
	}
	for _, bad := range []string{"", "$", "$..a", "$.a[", "$.a[-1]", `$["x]`} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q): no error", bad)
		}
	}
}

func FuzzParseFlow(f *testing.F) {
	for _, name := range []string{"ivr_menu.json", "payment_reminder.json", "crm_inbound.json", "agent_connect.json", "recorded_feedback.json"} {
		f.Add(readFlow(f, name))
	}
	f.Add([]byte(`{"format":1,"name":"x","type":"inbound","start":"a","nodes":[{"id":"a","type":"goto","params":{"node":"a"}}]}`))
	f.Add([]byte(`{"nodes":[{"id":"a","type":"menu","params":{"options":{"1":5}},"exits":["","","","","",""]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(data, Features{})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error is not a ValidationError with problems: %v", err)
			}
			for _, p := range ve.Problems {
				if p.Field == "" || p.Message == "" {
					t.Fatalf("problem without field or message: %+v", p)
				}
			}
			return
		}
		// A valid flow round-trips and stays valid.
		b, err := json.Marshal(fl)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(b, Features{}); err != nil {
			t.Fatalf("valid flow invalid after round trip: %v\n%s", err, b)
		}
		if fl.Node(fl.Start) == nil {
			t.Fatal("valid flow without start node")
		}
	})
}

func BenchmarkParseFlow(b *testing.B) {
	doc := readFlow(b, "ivr_menu.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, Features{}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSettingsValidation(t *testing.T) {
	base := `{"format":1,"name":"n","type":"outbound_multicast","start":"h","settings":%s,"nodes":[{"id":"h","type":"hangup"}]}`
	cases := []struct {
		settings string
		want     []string // fields with problems
	}{
		{`{"email_status":true,"status_recipients":["a@example.com"]}`, nil},
		{`{"email_status":true}`, nil},
		{`{}`, nil},
		{`{"email_status":true,"status_recipients":["not an address"]}`, []string{"settings.status_recipients[0]"}},
		{`{"email_status":true,"status_recipients":["Bob <bob@example.com>"]}`, []string{"settings.status_recipients[0]"}},
		{`{"status_recipients":["a@example.com"]}`, []string{"settings.email_status"}},
	}
	for _, c := range cases {
		_, err := Parse([]byte(fmt.Sprintf(base, c.settings)), Features{})
		var got []string
		var ve *ValidationError
		if errors.As(err, &ve) {
			for _, p := range ve.Problems {
				got = append(got, p.Field)
			}
		} else if err != nil {
			t.Fatalf("%s: %v", c.settings, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("%s: problems in %v, want %v (%v)", c.settings, got, c.want, err)
		}
	}
}
