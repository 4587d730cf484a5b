package asterisktest_test

// These tests are the proof that the dialplan in asterisk-conf/extensions.conf
// behaves like real customers, trunks, AMD and FastAGI: every case originates
// real channels through ARI on a real Asterisk 22 and checks the ARI events.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// event is the part of an ARI event these tests look at.
type event struct {
	Type     string   `json:"type"`
	Args     []string `json:"args"`
	Digit    string   `json:"digit"`
	Cause    int      `json:"cause"`
	CauseTxt string   `json:"cause_txt"`
	Channel  *struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		State string `json:"state"`
	} `json:"channel"`
	at time.Time
}

func (e event) String() string {
	s := e.Type
	switch {
	case e.Digit != "":
		s += " digit=" + e.Digit
	case e.Type == "ChannelDestroyed" || e.Type == "ChannelHangupRequest":
		s += fmt.Sprintf(" cause=%d(%s)", e.Cause, e.CauseTxt)
	case len(e.Args) > 0:
		s += fmt.Sprintf(" args=%q", e.Args)
	}
	return s
}

// ari is one ARI app connection: a websocket whose events are routed by
// channel id into per-channel queues that never drop, plus REST calls.
type ari struct {
	info asterisktest.Info
	app  string
	http *http.Client

	mu     sync.Mutex
	queues map[string]*queue
	err    error // websocket read error, once closed
}

type queue struct {
	mu     sync.Mutex
	events []event
	notify chan struct{} // signalled (non-blocking) on every append
}

func dial(t *testing.T, info asterisktest.Info, app string) *ari {
	t.Helper()
	a := &ari{info: info, app: app, http: &http.Client{Timeout: 10 * time.Second}, queues: map[string]*queue{}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := info.WSURL + "?" + url.Values{"app": {app}, "subscribeAll": {"false"}}.Encode()
	ws, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": {info.BasicAuth()}},
	})
	if err != nil {
		if resp != nil {
			t.Fatalf("ARI websocket %s: %v (HTTP %d)", info.WSURL, err, resp.StatusCode)
		}
		t.Fatalf("ARI websocket %s: %v", info.WSURL, err)
	}
	ws.SetReadLimit(4 << 20)
	readCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, data, err := ws.Read(readCtx)
			if err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
				return
			}
			var ev event
			if err := json.Unmarshal(data, &ev); err != nil {
				continue
			}
			ev.at = time.Now()
			if ev.Channel == nil {
				continue
			}
			a.queue(ev.Channel.ID).push(ev)
		}
	}()
	t.Cleanup(func() {
		// A clean close handshake (the reader goroutine reads the reply),
		// so Asterisk does not log "Web socket closed abruptly".
		_ = ws.Close(websocket.StatusNormalClosure, "")
		stop()
		<-done
	})
	// The app exists once Asterisk has registered the websocket.
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, _ := a.do(t, http.MethodGet, "/applications/"+url.PathEscape(app), nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ARI application %q not registered after connecting the websocket (HTTP %d)", app, code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return a
}

func (a *ari) queue(id string) *queue {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := a.queues[id]
	if q == nil {
		q = &queue{notify: make(chan struct{}, 1)}
		a.queues[id] = q
	}
	return q
}

func (q *queue) push(ev event) {
	q.mu.Lock()
	q.events = append(q.events, ev)
	q.mu.Unlock()
	select {
	case q.notify <- struct{}{}:
	default:
	}
}

// watcher reads one channel's events in order.
type watcher struct {
	a    *ari
	id   string
	q    *queue
	next int
	seen []event
}

func (a *ari) watch(id string) *watcher { return &watcher{a: a, id: id, q: a.queue(id)} }

// until returns the first further event that satisfies match, failing the
// test after timeout. Every event passed on the way is kept in w.seen.
func (w *watcher) until(t *testing.T, timeout time.Duration, what string, match func(event) bool) event {
	t.Helper()
	ev, ok := w.within(timeout, match)
	if !ok {
		w.a.mu.Lock()
		werr := w.a.err
		w.a.mu.Unlock()
		t.Fatalf("channel %s: no %s within %v; events so far: %v (websocket error: %v)", w.id, what, timeout, w.seen, werr)
	}
	return ev
}

// within is until without failing: ok=false on timeout.
func (w *watcher) within(timeout time.Duration, match func(event) bool) (event, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.q.mu.Lock()
		for w.next < len(w.q.events) {
			ev := w.q.events[w.next]
			w.next++
			w.seen = append(w.seen, ev)
			if match(ev) {
				w.q.mu.Unlock()
				return ev, true
			}
		}
		w.q.mu.Unlock()
		select {
		case <-w.q.notify:
		case <-deadline.C:
			return event{}, false
		}
	}
}

func typ(name string) func(event) bool { return func(e event) bool { return e.Type == name } }

// do sends one REST request (JSON body if body != nil) and returns the status
// and response body.
func (a *ari) do(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	return a.info.Do(t, method, path, body)
}

// originate POSTs /channels and fails the test unless Asterisk accepts it.
func (a *ari) originate(t *testing.T, params map[string]any) {
	t.Helper()
	code, body := a.do(t, http.MethodPost, "/channels", params)
	if code != http.StatusOK {
		t.Fatalf("originate %v: HTTP %d: %s", params, code, body)
	}
}

// hangup DELETEs a channel (404: already gone is fine).
func (a *ari) hangup(t *testing.T, id string) {
	t.Helper()
	code, body := a.do(t, http.MethodDelete, "/channels/"+id, nil)
	if code != http.StatusNoContent && code != http.StatusNotFound {
		t.Errorf("hangup %s: HTTP %d: %s", id, code, body)
	}
}

var idSeq struct {
	sync.Mutex
	n int
}

// newID returns a fresh channel id. Fixed width on purpose: Asterisk 22
// refuses (409) a channelId that is a prefix of a live channel's id, so
// "x-1" fails while "x-10" is up.
func newID(name string) string {
	idSeq.Lock()
	defer idSeq.Unlock()
	idSeq.n++
	return fmt.Sprintf("conftest-%08d-%06d-%s", os.Getpid(), idSeq.n, name)
}

// appName is this process's ARI app: one websocket per app is allowed, so a
// second `go test` of this package running at the same time must not steal
// our events.
func appName() string { return fmt.Sprintf("switchyard-conftest-%d", os.Getpid()) }

func TestRequire(t *testing.T) {
	info := asterisktest.Require(t)
	if !strings.HasPrefix(info.URL, "http") || !strings.HasPrefix(info.WSURL, "ws") || !strings.HasSuffix(info.WSURL, "/events") {
		t.Fatalf("implausible Info: %+v", info)
	}
	if info.User == "" || info.Password == "" {
		t.Fatalf("Info without credentials: user %q, password set: %v", info.User, info.Password != "")
	}
	// Wrong credentials must be refused: the config really enforces auth.
	req, _ := http.NewRequest(http.MethodGet, info.URL+"/asterisk/info", nil)
	req.SetBasicAuth(info.User, info.Password+"-wrong")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong ARI password: HTTP %d, want 401", resp.StatusCode)
	}
	if info.Root == "" {
		t.Logf("not the local dev Asterisk (%s): CLI checks skipped", info.URL)
		return
	}
	if v := info.CLI(t, "core show version"); !strings.Contains(v, "Asterisk 22") {
		t.Fatalf("core show version: %q, want Asterisk 22", v)
	}
	mods := info.CLI(t, "module show like .so")
	for _, m := range []string{"res_ari.so", "res_stasis.so", "app_stasis.so", "app_amd.so", "res_agi.so", "chan_pjsip.so", "res_http_websocket.so", "res_musiconhold.so"} {
		if !strings.Contains(mods, m) {
			t.Errorf("module %s not loaded", m)
		}
	}
	// Only our modules: an AMI, chan_iax2 or voicemail would mean Debian's
	// autoload crept back in.
	for _, m := range []string{"chan_iax2.so", "app_voicemail.so", "cdr_csv.so"} {
		if strings.Contains(mods, m) {
			t.Errorf("module %s is loaded; modules.conf should keep it out", m)
		}
	}
	for _, ep := range []string{"agent1", "agent2", "agent3", "agent4", "offline"} {
		if out := info.CLI(t, "pjsip show endpoint "+ep); !strings.Contains(out, "Endpoint:  "+ep) {
			t.Errorf("pjsip endpoint %s missing: %s", ep, out)
		}
	}
	if out := info.CLI(t, "pjsip show transports"); !strings.Contains(out, "127.0.0.1:5060") {
		t.Errorf("pjsip transport not on 127.0.0.1:5060: %s", out)
	}
	if out := info.CLI(t, "moh show classes"); !strings.Contains(out, "Class: default") {
		t.Errorf("no MOH class default: %s", out)
	}
}

// TestCustomers originates one call per test customer and checks what ARI
// reports, the way Switchyard's dialer will see it.
func TestCustomers(t *testing.T) {
	t.Parallel()
	info := asterisktest.Require(t)
	a := dial(t, info, appName())

	// Hang-up causes (Q.850) Asterisk 22 really reports for a customer that
	// never answers. ChannelDestroyed carries them.
	tests := []struct {
		name     string
		endpoint string
		timeout  int // originate timeout, seconds (0: Asterisk's 30)
		check    func(t *testing.T, a *ari, w *watcher, id string)
	}{
		{
			name: "answer-dtmf presses its digits", endpoint: "Local/answer-dtmf-123@customers",
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
				var got []string
				for range 3 {
					ev := w.until(t, 5*time.Second, "ChannelDtmfReceived", typ("ChannelDtmfReceived"))
					got = append(got, ev.Digit)
				}
				if strings.Join(got, "") != "123" {
					t.Fatalf("digits %v, want 1 2 3", got)
				}
				a.hangup(t, id)
				w.until(t, 5*time.Second, "StasisEnd", typ("StasisEnd"))
			},
		},
		{
			name: "answer-dtmf star and hash", endpoint: "Local/answer-dtmf-*9#@customers",
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
				var got []string
				for range 3 {
					got = append(got, w.until(t, 5*time.Second, "ChannelDtmfReceived", typ("ChannelDtmfReceived")).Digit)
				}
				if strings.Join(got, "") != "*9#" {
					t.Fatalf("digits %v, want * 9 #", got)
				}
				a.hangup(t, id)
			},
		},
		{
			name: "answer-silent stays and says nothing", endpoint: "Local/answer-silent@customers",
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
				if ev, ok := w.within(3*time.Second, func(e event) bool {
					return e.Type == "ChannelDtmfReceived" || e.Type == "StasisEnd" || e.Type == "ChannelHangupRequest"
				}); ok {
					t.Fatalf("silent customer produced %v", ev)
				}
				a.hangup(t, id)
				w.until(t, 5*time.Second, "StasisEnd", typ("StasisEnd"))
			},
		},
		{
			name: "answer-hangup-2 hangs up after 2 s", endpoint: "Local/answer-hangup-2@customers",
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				start := w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
				end := w.until(t, 6*time.Second, "StasisEnd", typ("StasisEnd"))
				if d := end.at.Sub(start.at); d < 1500*time.Millisecond || d > 4*time.Second {
					t.Fatalf("customer hung up after %v, want about 2 s", d)
				}
			},
		},
		{
			name: "answer-wait-1 hangs up after 1 s", endpoint: "Local/answer-wait-1@customers",
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				start := w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
				end := w.until(t, 5*time.Second, "StasisEnd", typ("StasisEnd"))
				if d := end.at.Sub(start.at); d < 700*time.Millisecond || d > 3*time.Second {
					t.Fatalf("customer hung up after %v, want about 1 s", d)
				}
			},
		},
		{
			name: "busy", endpoint: "Local/busy@customers",
			check: neverAnswers(17),
		},
		{
			name: "congestion", endpoint: "Local/congestion@customers",
			check: neverAnswers(34),
		},
		{
			// The customer rings; the originate timeout (3 s) gives up.
			name: "noanswer", endpoint: "Local/noanswer@customers", timeout: 3,
			check: func(t *testing.T, a *ari, w *watcher, id string) {
				start := time.Now()
				neverAnswers(19)(t, a, w, id)
				if d := time.Since(start); d < 2500*time.Millisecond || d > 8*time.Second {
					t.Fatalf("no-answer ended after %v, want the 3 s originate timeout", d)
				}
			},
		},
		{
			name: "chanunavail", endpoint: "Local/chanunavail@customers",
			check: neverAnswers(3),
		},
		{
			name: "unreachable", endpoint: "Local/unreachable@customers",
			check: neverAnswers(3),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			id := newID("c")
			w := a.watch(id)
			params := map[string]any{
				"endpoint":  tc.endpoint,
				"app":       a.app,
				"channelId": id,
			}
			if tc.timeout > 0 {
				params["timeout"] = tc.timeout
			}
			a.originate(t, params)
			t.Cleanup(func() { a.hangup(t, id) })
			tc.check(t, a, w, id)
			t.Logf("%s: events %v", tc.endpoint, w.seen)
		})
	}
}

// neverAnswers checks a customer that fails before answering: no
// StasisStart, and ChannelDestroyed with the wanted Q.850 cause.
func neverAnswers(cause int) func(t *testing.T, a *ari, w *watcher, id string) {
	return func(t *testing.T, a *ari, w *watcher, id string) {
		t.Helper()
		ev := w.until(t, 10*time.Second, "ChannelDestroyed", typ("ChannelDestroyed"))
		for _, e := range w.seen {
			if e.Type == "StasisStart" {
				t.Fatalf("customer answered (StasisStart) but must not: %v", w.seen)
			}
		}
		if ev.Cause != cause {
			t.Fatalf("ChannelDestroyed cause %d (%s), want %d; events %v", ev.Cause, ev.CauseTxt, cause, w.seen)
		}
	}
}

// TestAMD originates customers into context `amd`: the originated channel
// runs AMD() on the customer's audio and enters Stasis with AMDSTATUS.
func TestAMD(t *testing.T) {
	t.Parallel()
	info := asterisktest.Require(t)
	a := dial(t, info, appName()+"-amd")
	for _, tc := range []struct{ customer, extension, want string }{
		{"machine", "s", "MACHINE"},
		{"human", "s", "HUMAN"},
		{"machine", "5551234", "MACHINE"}, // dialled number as extension: 4th arg
	} {
		t.Run(tc.customer+"/"+tc.extension, func(t *testing.T) {
			t.Parallel()
			id := newID("amd")
			w := a.watch(id)
			a.originate(t, map[string]any{
				"endpoint":  "Local/" + tc.customer + "@customers",
				"context":   "amd",
				"extension": tc.extension,
				"priority":  1,
				"channelId": id,
				// Stasis(${SWITCHYARD_APP},...): our app instead of `switchyard`.
				"variables": map[string]string{"SWITCHYARD_APP": a.app},
			})
			t.Cleanup(func() { a.hangup(t, id) })
			ev := w.until(t, 12*time.Second, "StasisStart", typ("StasisStart"))
			if len(ev.Args) < 3 || ev.Args[0] != "amd" || ev.Args[1] != tc.want {
				t.Fatalf("StasisStart args %q, want [amd %s <cause>]", ev.Args, tc.want)
			}
			if tc.extension != "s" && (len(ev.Args) < 4 || ev.Args[3] != tc.extension) {
				t.Fatalf("StasisStart args %q, want the dialled number %s as 4th", ev.Args, tc.extension)
			}
			t.Logf("%s: AMDSTATUS=%s AMDCAUSE=%s", tc.customer, ev.Args[1], ev.Args[2])
			a.hangup(t, id)
		})
	}
}

// TestInbound plays a trunk: the Local channel's far half runs `from-trunk`
// (or `inbound`) with the DID as extension and must reach Stasis with
// [inbound, DID]; Switchyard answering it connects the caller.
func TestInbound(t *testing.T) {
	t.Parallel()
	info := asterisktest.Require(t)
	a := dial(t, info, appName()+"-in")
	for _, tc := range []struct{ context, did string }{
		{"from-trunk", "4930123456"},
		{"from-trunk", "+4930123456"},
		{"from-trunk", "7"},
		{"from-trunk", "s"},
		{"inbound", "5551234"},
	} {
		t.Run(tc.context+"/"+tc.did, func(t *testing.T) {
			t.Parallel()
			caller, callee := newID("caller"), newID("did")
			wCaller, wCallee := a.watch(caller), a.watch(callee)
			a.originate(t, map[string]any{
				"endpoint":       "Local/" + tc.did + "@" + tc.context,
				"app":            a.app,
				"channelId":      caller,
				"otherChannelId": callee,
				"variables":      map[string]string{"SWITCHYARD_APP": a.app},
			})
			t.Cleanup(func() { a.hangup(t, caller); a.hangup(t, callee) })
			ev := wCallee.until(t, 5*time.Second, "StasisStart on the DID leg", typ("StasisStart"))
			if len(ev.Args) != 2 || ev.Args[0] != "inbound" || ev.Args[1] != tc.did {
				t.Fatalf("StasisStart args %q, want [inbound %s]", ev.Args, tc.did)
			}
			if code, body := a.do(t, http.MethodPost, "/channels/"+callee+"/answer", nil); code != http.StatusNoContent {
				t.Fatalf("answer: HTTP %d: %s", code, body)
			}
			wCaller.until(t, 5*time.Second, "StasisStart on the caller (answered)", typ("StasisStart"))
			a.hangup(t, callee)
			wCaller.until(t, 5*time.Second, "StasisEnd of the caller", typ("StasisEnd"))
		})
	}
}

// TestAGI runs context `agi-test` against a FastAGI server on a random
// loopback port: Asterisk connects with the request path from AGI_URL, the
// server answers the call and sends a DTMF digit that ARI must report.
func TestAGI(t *testing.T) {
	t.Parallel()
	info := asterisktest.Require(t)
	a := dial(t, info, appName()+"-agi")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })

	type agiResult struct {
		env     map[string]string
		replies []string
		err     error
	}
	results := make(chan agiResult, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			results <- agiResult{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		r := bufio.NewReader(conn)
		res := agiResult{env: map[string]string{}}
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				res.err = fmt.Errorf("reading AGI environment: %w", err)
				results <- res
				return
			}
			line = strings.TrimRight(line, "\r\n")
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ": ")
			res.env[k] = v
		}
		for _, cmd := range []string{"ANSWER", "EXEC SendDTMF 7", "EXEC Wait 1"} {
			if _, err := fmt.Fprintf(conn, "%s\n", cmd); err != nil {
				res.err = err
				break
			}
			reply, err := r.ReadString('\n')
			if err != nil {
				res.err = fmt.Errorf("%s: %w", cmd, err)
				break
			}
			res.replies = append(res.replies, strings.TrimSpace(reply))
		}
		results <- res
	}()

	id := newID("agi")
	w := a.watch(id)
	agiURL := "agi://" + ln.Addr().String() + "/conftest?from=asterisktest"
	a.originate(t, map[string]any{
		"endpoint":  "Local/s@agi-test",
		"app":       a.app,
		"channelId": id,
		"variables": map[string]string{"AGI_URL": agiURL},
	})
	t.Cleanup(func() { a.hangup(t, id) })
	w.until(t, 10*time.Second, "StasisStart (FastAGI answered)", typ("StasisStart"))
	if ev := w.until(t, 5*time.Second, "ChannelDtmfReceived", typ("ChannelDtmfReceived")); ev.Digit != "7" {
		t.Fatalf("digit %q, want 7", ev.Digit)
	}
	res := <-results
	if res.err != nil {
		t.Fatalf("FastAGI server: %v (replies %q)", res.err, res.replies)
	}
	if got := res.env["agi_network_script"]; got != "conftest?from=asterisktest" {
		t.Errorf("agi_network_script %q, want conftest?from=asterisktest", got)
	}
	if got := res.env["agi_context"]; got != "agi-test" {
		t.Errorf("agi_context %q, want agi-test", got)
	}
	for i, r := range res.replies {
		if !strings.HasPrefix(r, "200 result=") {
			t.Errorf("AGI reply %d: %q, want 200 result=...", i, r)
		}
	}
	// AGI over: the dialplan hangs up, the caller leaves Stasis.
	w.until(t, 5*time.Second, "StasisEnd after the AGI script", typ("StasisEnd"))
}

// TestTestTrunk originates one call per line of the test trunk
// (Local/{number}@test-trunk, the default trunk of `make run`) and checks
// what ARI reports, for both written forms of a number in the range.
func TestTestTrunk(t *testing.T) {
	t.Parallel()
	info := asterisktest.Require(t)
	a := dial(t, info, appName()+"-trunk")

	answersThenHangsUp := func(min, max time.Duration) func(t *testing.T, a *ari, w *watcher, id string) {
		return func(t *testing.T, a *ari, w *watcher, id string) {
			start := w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
			end := w.until(t, max+3*time.Second, "StasisEnd", typ("StasisEnd"))
			if d := end.at.Sub(start.at); d < min || d > max {
				t.Fatalf("customer hung up after %v, want %v..%v", d, min, max)
			}
		}
	}
	dtmf := func(digit string) func(t *testing.T, a *ari, w *watcher, id string) {
		return func(t *testing.T, a *ari, w *watcher, id string) {
			w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
			ev := w.until(t, 5*time.Second, "ChannelDtmfReceived", typ("ChannelDtmfReceived"))
			if ev.Digit != digit {
				t.Fatalf("digit %q, want %q", ev.Digit, digit)
			}
			a.hangup(t, id)
		}
	}
	tests := []struct {
		number  string
		timeout int
		check   func(t *testing.T, a *ari, w *watcher, id string)
	}{
		{number: "+12025550100", check: func(t *testing.T, a *ari, w *watcher, id string) {
			w.until(t, 5*time.Second, "StasisStart", typ("StasisStart"))
			if ev, ok := w.within(3*time.Second, func(e event) bool {
				return e.Type == "ChannelDtmfReceived" || e.Type == "StasisEnd" || e.Type == "ChannelHangupRequest"
			}); ok {
				t.Fatalf("silent line produced %v", ev)
			}
			a.hangup(t, id)
			w.until(t, 5*time.Second, "StasisEnd", typ("StasisEnd"))
		}},
		{number: "+12025550102", check: answersThenHangsUp(1500*time.Millisecond, 4*time.Second)},
		{number: "19175550103", check: answersThenHangsUp(2500*time.Millisecond, 5*time.Second)},
		{number: "+12025550110", check: dtmf("0")},
		{number: "+13125550117", check: dtmf("7")},
		{number: "+12025550122", check: answersThenHangsUp(700*time.Millisecond, 3*time.Second)},
		{number: "+12025550130", check: neverAnswers(17)},
		{number: "12025550130", check: neverAnswers(17)},
		{number: "+12025550131", timeout: 3, check: func(t *testing.T, a *ari, w *watcher, id string) {
			start := time.Now()
			neverAnswers(19)(t, a, w, id)
			if d := time.Since(start); d < 2500*time.Millisecond || d > 8*time.Second {
				t.Fatalf("no-answer ended after %v, want the 3 s originate timeout", d)
			}
		}},
		{number: "+12025550132", check: neverAnswers(34)},
		{number: "+12025550133", check: neverAnswers(20)},
		{number: "+12025550150", check: neverAnswers(1)}, // in the range, unassigned
		{number: "+12025550200", check: neverAnswers(3)}, // outside the range
		{number: "+12021550100", check: neverAnswers(3)}, // exchange 155, not 555
		{number: "+4930123456", check: neverAnswers(3)},  // another country
		{number: "+11025550100", check: neverAnswers(3)}, // area code starting with 1
	}
	for _, tc := range tests {
		t.Run(tc.number, func(t *testing.T) {
			t.Parallel()
			id := newID("tt")
			w := a.watch(id)
			params := map[string]any{"endpoint": "Local/" + tc.number + "@test-trunk", "app": a.app, "channelId": id}
			if tc.timeout > 0 {
				params["timeout"] = tc.timeout
			}
			a.originate(t, params)
			t.Cleanup(func() { a.hangup(t, id) })
			tc.check(t, a, w, id)
			t.Logf("%s: events %v", tc.number, w.seen)
		})
	}

	// AMD on the trunk's person and machine lines.
	for _, tc := range []struct{ number, want string }{{"+12025550120", "HUMAN"}, {"+12025550121", "MACHINE"}} {
		t.Run("amd/"+tc.number, func(t *testing.T) {
			t.Parallel()
			id := newID("tta")
			w := a.watch(id)
			a.originate(t, map[string]any{
				"endpoint": "Local/" + tc.number + "@test-trunk", "context": "amd", "extension": "s", "priority": 1,
				"channelId": id, "variables": map[string]string{"SWITCHYARD_APP": a.app},
			})
			t.Cleanup(func() { a.hangup(t, id) })
			ev := w.until(t, 12*time.Second, "StasisStart", typ("StasisStart"))
			if len(ev.Args) < 2 || ev.Args[0] != "amd" || ev.Args[1] != tc.want {
				t.Fatalf("StasisStart args %q, want [amd %s …]", ev.Args, tc.want)
			}
			a.hangup(t, id)
		})
	}
}
