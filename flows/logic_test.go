package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/webhooks"
)

func TestDecisionWidget(t *testing.T) {
	vars := map[string]string{"amount": "150", "name": "Ann Smith", "blank": "  ", "code": "AB-12"}
	for _, tc := range []struct {
		conds string
		match string
		want  int
	}{
		{`[{"left":"$flow.key.amount","op":"eq","right":"150"}]`, "all", 0},
		{`[{"left":"$flow.key.amount","op":"ne","right":"150"}]`, "all", 1},
		{`[{"left":"$flow.key.amount","op":"gt","right":"99"}]`, "all", 0},   // numeric, not "150" < "99"
		{`[{"left":"$flow.key.amount","op":"lt","right":"1000"}]`, "all", 0}, // numeric
		{`[{"left":"$flow.key.name","op":"lt","right":"Bob"}]`, "all", 0},    // string order
		{`[{"left":"$flow.key.name","op":"contains","right":"Smith"}]`, "all", 0},
		{`[{"left":"$flow.key.code","op":"regex","right":"^[A-Z]{2}-[0-9]+$"}]`, "all", 0},
		{`[{"left":"$flow.key.code","op":"regex","right":"^[0-9]+$"}]`, "all", 1},
		{`[{"left":"$flow.key.blank","op":"empty"}]`, "all", 0},
		{`[{"left":"$flow.key.unset","op":"empty"}]`, "all", 0},
		{`[{"left":"$flow.key.unset","op":"not_empty"}]`, "all", 1},
		{`[{"left":"$flow.key.amount","op":"eq","right":"1"},{"left":"$flow.key.name","op":"contains","right":"Ann"}]`, "any", 0},
		{`[{"left":"$flow.key.amount","op":"eq","right":"1"},{"left":"$flow.key.name","op":"contains","right":"Ann"}]`, "all", 1},
		{`[{"left":"$flow.key.amount","op":"eq","right":"$flow.key.amount"}]`, "all", 0},
	} {
		node := fmt.Sprintf(`{"id":"n","type":"decision","params":{"match":%q,"conditions":%s},"exits":["ok","ok"]}`, tc.match, tc.conds)
		r, n := oneNode(t, &Engine{}, node, vars, "amount", "name", "blank", "code", "unset")
		res, st := execNode(r, n)
		if res.line != tc.want {
			t.Errorf("%s %s: line %d, want %d (%v)", tc.match, tc.conds, res.line, tc.want, st.Outputs)
		}
	}
}

func TestTimeConditionWidget(t *testing.T) {
	node := `{"id":"n","type":"time_condition","params":{"timezone":"America/New_York",
	  "ranges":[{"days":["mon","tue","wed","thu","fri"],"from":"09:00","to":"17:30"},{"days":["sat"],"from":"10:00","to":"12:00"}],
	  "holidays":["2026-07-03"]},"exits":["ok","ok","%s"]}`
	ny, _ := time.LoadLocation("America/New_York")
	for _, tc := range []struct {
		at      time.Time
		holiday string // exit 2 target
		want    int
	}{
		{time.Date(2026, 11, 23, 9, 0, 0, 0, ny), "ok", 0},         // Monday opening minute
		{time.Date(2026, 11, 23, 17, 29, 59, 0, ny), "ok", 0},      // last second
		{time.Date(2026, 11, 23, 17, 30, 0, 0, ny), "ok", 1},       // closed at 17:30
		{time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), "ok", 0},  // 09:00 in NY (UTC given)
		{time.Date(2026, 11, 23, 13, 59, 0, 0, time.UTC), "ok", 1}, // 08:59 in NY
		{time.Date(2026, 11, 28, 11, 0, 0, 0, ny), "ok", 0},        // Saturday
		{time.Date(2026, 11, 29, 11, 0, 0, 0, ny), "ok", 1},        // Sunday
		{time.Date(2026, 7, 3, 11, 0, 0, 0, ny), "ok", 2},          // holiday (a Friday)
		{time.Date(2026, 7, 3, 11, 0, 0, 0, ny), "", 1},            // holiday without line 2 -> closed
		{time.Date(2026, 7, 4, 2, 0, 0, 0, time.UTC), "ok", 2},     // 22:00 Jul 3 in NY: holiday
	} {
		at := tc.at
		e := &Engine{Now: func() time.Time { return at }}
		r, n := oneNode(t, e, fmt.Sprintf(node, tc.holiday), nil)
		res, st := execNode(r, n)
		if res.line != tc.want {
			t.Errorf("%v: line %d, want %d (%v)", tc.at, res.line, tc.want, st.Outputs)
		}
	}
}

func TestSetVariableAndUserVars(t *testing.T) {
	var mu sync.Mutex
	saved := map[string]string{"greeting": "hello"}
	users := fakeUserVars{
		get: func(_ context.Context, acct int64, n string) (string, bool, error) {
			mu.Lock()
			defer mu.Unlock()
			v, ok := saved[n]
			return v, ok, nil
		},
		set: func(_ context.Context, acct int64, n, v string) error {
			mu.Lock()
			defer mu.Unlock()
			if acct != 7 {
				return fmt.Errorf("wrong account %d", acct)
			}
			saved[n] = v
			return nil
		},
	}
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	e := &Engine{UserVars: users, Now: func() time.Time { return now }}
	node := `{"id":"n","type":"set_variable","params":{"assign":[
	  {"name":"$flow.key.full","value":"$user.key.greeting $flow.key.name on $sys.date at $sys.time"},
	  {"name":"$user.key.last_caller","value":"$flow.key.name"},
	  {"name":"$flow.syskey.rescheduledCall","value":"yes"},
	  {"name":"partial","value":"[$flow.key.nothing]"}]},"exits":["ok"]}`
	r, n := oneNode(t, e, node, map[string]string{"name": "Ann"}, "full", "name", "partial", "nothing")
	res, st := execNode(r, n)
	if res.line != 0 || res.err != nil {
		t.Fatalf("line %d err %v", res.line, res.err)
	}
	checkVars(t, r, map[string]string{"full": "hello Ann on 2026-03-04 at 05:06:07", "partial": "[]"})
	if saved["last_caller"] != "Ann" {
		t.Errorf("user var not persisted: %v", saved)
	}
	if r.syskeys["rescheduledCall"] != "yes" {
		t.Errorf("syskey not set")
	}
	if u, _ := st.Outputs["unset"].([]string); len(u) != 1 || u[0] != "$flow.key.nothing" {
		t.Errorf("unset not reported: %v", st.Outputs)
	}
}

// crmServer implements the CRM identification contract: POST, User-Agent,
// idContact. answers maps idContact to the raw JSON reply.
func crmServer(t *testing.T, answers map[string]string) (*httptest.Server, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		b, _ := io.ReadAll(r.Body)
		_ = r.Body.Close()
		r.Body = io.NopCloser(strings.NewReader(string(b)))
		var id string
		if r.Header.Get("Content-Type") == "application/json" {
			var m map[string]string
			_ = json.Unmarshal(b, &m)
			id = m["idContact"]
		} else {
			// text/plain (the default) and form bodies are both
			// idContact=<id>.
			q, _ := url.ParseQuery(string(b))
			id = q.Get("idContact")
		}
		mu.Lock()
		seen = append(seen, r.Header.Get("User-Agent")+" "+string(b))
		mu.Unlock()
		ans, ok := answers[id]
		if !ok {
			w.WriteHeader(404)
			return
		}
		if ans == "SLOW" {
			time.Sleep(2 * time.Second)
			ans = `{"status":"ok","destination":true}`
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, ans)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestParseCRMAnswer(t *testing.T) {
	for _, tc := range []struct {
		mode, body string
		want       CRMAnswer
		err        string
	}{
		{CRMBool, `{"status":"ok","destination":true}`, CRMAnswer{Status: "ok", Bool: true}, ""},
		{CRMBool, `{"status":"ok","destination":"false"}`, CRMAnswer{Status: "ok"}, ""},
		{CRMBool, `{"status":"fail"}`, CRMAnswer{Status: "fail"}, ""},
		{CRMBool, `{"status":"ok","destination":"yes"}`, CRMAnswer{}, `"destination" must be true or false`},
		{CRMBool, `{"status":"ok"}`, CRMAnswer{}, `"destination" is missing`},
		{CRMDestination, `{"status":"ok","destination":"1,3"}`, CRMAnswer{Status: "ok", DestType: 1, DestID: "3"}, ""},
		{CRMDestination, `{"status":"ok","destination":" 5 , 1 "}`, CRMAnswer{Status: "ok", DestType: 5, DestID: "1"}, ""},
		{CRMDestination, `{"status":"ok","destination":"4,3"}`, CRMAnswer{}, "destination type 4 is not"},
		{CRMDestination, `{"status":"ok","destination":"13"}`, CRMAnswer{}, `must be "X,Y"`},
		{CRMDestination, `{"status":"ok","destination":[1,3]}`, CRMAnswer{}, `must be a string "X,Y"`},
		{CRMDestination, `{"status":"OK","destination":"1,3"}`, CRMAnswer{}, `"status" must be "ok" or "fail"`},
		{CRMDestination, `{"status":"ok","destination":"1,3","extra":1}`, CRMAnswer{}, `unknown field "extra"`},
		{CRMDestination, `{"destination":"1,3"}`, CRMAnswer{}, `"status" is missing`},
		{CRMDestination, `<html>`, CRMAnswer{}, "malformed CRM answer"},
		{CRMDestination, `{"status":"ok","destination":"1,3"} {}`, CRMAnswer{}, "trailing data"},
		{CRMDestination, ``, CRMAnswer{}, "malformed CRM answer"},
	} {
		got, err := ParseCRMAnswer([]byte(tc.body), tc.mode)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s %s: err %v, want %q", tc.mode, tc.body, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %+v %v, want %+v", tc.mode, tc.body, got, err, tc.want)
		}
	}
}

func TestAskCRM(t *testing.T) {
	srv, seen := crmServer(t, map[string]string{
		"111111": `{"status":"ok","destination":true}`,
		"222222": `{"status":"ok","destination":"1,3"}`,
		"333333": `not json`,
		"444444": "SLOW",
	})
	node := `{"id":"n","type":"caller_id","params":{"mode":"true_false","audio":"sound:x","url":"` + srv.URL + `/id?acct=$flow.key.acct","user_agent":"%s","http_timeout":0.5,"request_format":"%s"},"exits":["ok","ok"]}`
	for _, tc := range []struct {
		ua, format, id, mode, err string
		want                      CRMAnswer
	}{
		{"", "form", "111111", CRMBool, "", CRMAnswer{Status: "ok", Bool: true}},
		{"Custom/1.0", "json", "222222", CRMDestination, "", CRMAnswer{Status: "ok", DestType: 1, DestID: "3"}},
		{"", "form", "333333", CRMBool, "malformed CRM answer", CRMAnswer{}},
		{"", "form", "444444", CRMBool, "CRM request failed: TIMEOUT", CRMAnswer{}},
		{"", "form", "999999", CRMBool, "CRM request failed: CLIENT_ERROR", CRMAnswer{}},
	} {
		e := &Engine{Policy: func(context.Context, int64) webhooks.Policy { return loopback }}
		r, n := oneNode(t, e, fmt.Sprintf(node, tc.ua, tc.format), map[string]string{"acct": "5"}, "acct")
		c := *n.cfg.(*callerIDCfg)
		c.Mode = tc.mode
		st := Step{Outputs: map[string]any{}}
		got, err := r.askCRM(context.Background(), &c, tc.id, &st)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.id, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v %v", tc.id, got, err)
		}
	}
	s := seen()
	if len(s) < 2 || s[0] != "OMniLeads idContact=111111" || s[1] != `Custom/1.0 {"idContact":"222222"}` {
		t.Errorf("CRM saw %q", s)
	}
}

func TestJourneyJSON(t *testing.T) {
	l := 0
	j := Journey{FlowID: 1, Version: 2, Status: StatusIVRFinished, Outcome: "finished",
		Steps: []Step{{Node: "a", Type: "play", Exit: &l, Next: "b", Inputs: map[string]any{"media": []string{"sound:x"}}}}}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"flow_version":2`, `"status":"IVR_FINISHED"`, `"exit":0`, `"node":"a"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("journey JSON %s lacks %s", b, want)
		}
	}
}

func TestCallVars(t *testing.T) {
	answered := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	now := answered.Add(95 * time.Second)
	in := &ari.Call{ID: "ch1", AttemptID: "att-1", Inbound: true, Args: []string{"inbound", "+12125550199"}}
	in.Channel.Caller = &ariv6.CallerID{Number: "+919898333148"}
	e := &Engine{Now: func() time.Time { return now }}
	r, _ := oneNode(t, e, `{"id":"n","type":"goto","params":{"node":"ok"}}`, nil)
	r.call = in
	r.journey.Start = answered
	r.callVars["attemptnumber"] = "3"
	for name, want := range map[string]string{
		"cdr": "att-1", "isIncoming": "true", "cli": "+919898333148", "cli.countrycode": "91", "cli.number": "9898333148",
		"cli.type": "international", "dnis": "+12125550199", "dnis.areacode": "212", "dnis.numberWithoutArea": "5550199",
		"dnis.countrycode": "1", "attemptnumber": "3", "start": "2026-05-01 10:00:00", "state": "Processing",
		"remoteHangup": "false", "recorded": "No", "duration": "0",
	} {
		got, ok := r.callVar(name)
		if !ok || got != want {
			t.Errorf("$call.%s = %q (%v), want %q", name, got, ok, want)
		}
	}
	for _, name := range []string{"lastdtmfreceived", "cli.areacode", "end", "connect", "agent.cli"} {
		if v, ok := r.callVar(name); ok {
			t.Errorf("$call.%s = %q, want unset", name, v)
		}
	}
	out := &ari.Call{ID: "ch2"}
	out.Channel.Caller = &ariv6.CallerID{Number: "+4930111"}
	out.Channel.Connected = &ariv6.CallerID{Number: "+4930222"}
	r.call = out
	if v, _ := r.callVar("cli"); v != "+4930111" {
		t.Errorf("outbound cli %q", v)
	}
	if v, _ := r.callVar("dnis"); v != "+4930222" {
		t.Errorf("outbound dnis %q", v)
	}
	if v, _ := r.callVar("cdr"); v != "ch2" {
		t.Errorf("cdr without attempt %q", v)
	}
	r.callVars["recordingUri"] = "recording:x"
	if v, _ := r.callVar("recorded"); v != "Yes" {
		t.Errorf("recorded call: $call.recorded = %q, want Yes", v)
	}
}

// TestCallStateAndWithheldCLI: $call.state takes the documented values
// (dialing, connected, Processing, Failed, Hangup) and a withheld caller
// id is an empty, set $call.cli.
func TestCallStateAndWithheldCLI(t *testing.T) {
	e := &Engine{Now: time.Now}
	r, _ := oneNode(t, e, `{"id":"n","type":"goto","params":{"node":"ok"}}`, nil)
	for _, tc := range []struct {
		name              string
		inbound, answered bool
		hungUp            bool
		want              string
	}{
		{"outbound ringing", false, false, false, "dialing"},
		{"outbound answered", false, true, false, "connected"},
		{"outbound unanswered, ended", false, false, true, "Failed"},
		{"outbound answered, ended", false, true, true, "Hangup"},
		{"inbound before answer", true, false, false, "Processing"},
		{"inbound answered", true, true, false, "connected"},
		{"inbound ended", true, false, true, "Hangup"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if v := callState(tc.inbound, tc.answered, tc.hungUp); v != tc.want {
				t.Errorf("$call.state = %q, want %q", v, tc.want)
			}
		})
	}
	r.call = &ari.Call{ID: "o"}
	if v, ok := r.callVar("state"); !ok || v != "dialing" {
		t.Errorf("outbound call before answer: $call.state = %q (%v), want dialing", v, ok)
	}
	for _, withheld := range []string{"", "anonymous", "Anonymous"} {
		c := &ari.Call{ID: "w", Inbound: true, Args: []string{"inbound", "+4930111"}}
		c.Channel.Caller = &ariv6.CallerID{Number: withheld}
		r.call = c
		if v, ok := r.callVar("cli"); !ok || v != "" {
			t.Errorf("withheld %q: $call.cli = %q (set %v), want empty and set", withheld, v, ok)
		}
		out, missing := r.subCtx(context.Background(), "from=$call.cli")
		if out != "from=" || len(missing) != 0 {
			t.Errorf("withheld %q: interpolated %q missing %v", withheld, out, missing)
		}
	}
}

func TestMediaFromVariable(t *testing.T) {
	node := `{"id":"n","type":"play","params":{"media":["$flow.key.m"]},"exits":["ok","ok"]}`
	r, n := oneNode(t, &Engine{}, node, map[string]string{"m": "file:///etc/passwd"}, "m")
	c := n.cfg.(*playCfg)
	if _, err := r.resolveMedia(context.Background(), c.Media); err == nil || !strings.Contains(err.Error(), "not sound:, prompt:") {
		t.Errorf("bad media from variable: %v", err)
	}
	r.flowVars["m"] = "recording:abc"
	if got, err := r.resolveMedia(context.Background(), c.Media); err != nil || got[0] != "recording:abc" {
		t.Errorf("media %v %v", got, err)
	}
	delete(r.flowVars, "m")
	if _, err := r.resolveMedia(context.Background(), c.Media); err == nil || !strings.Contains(err.Error(), "unset variable $flow.key.m") {
		t.Errorf("unset media variable: %v", err)
	}
}
