package flows

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/flows/webhooks"
)

// benchFlow: answer, webhook to a local server, gather one digit, hang up
// (the ARI command timed after the DTMF). The bare loop does the same
// minus the flow: hang up at the first DTMF.
const benchFlow = `{"format":1,"name":"bench","type":"outbound_multicast","start":"a","variables":["d","ok"],"nodes":[
 {"id":"a","type":"answer","exits":["w"]},
 {"id":"w","type":"webhook","params":{"url":"%s/hook","extract":{"ok":"$.ok"}},"exits":["g","g"]},
 {"id":"g","type":"gather","params":{"timeout":8,"retries":0,"variable":"d"},"exits":["h","h"]},
 {"id":"h","type":"hangup"}]}`

// timings records, per channel, when an observer websocket (subscribed to
// every channel) received the DTMF event and the ChannelHangupRequest that
// Switchyard's next ARI command (the hangup) caused.
type timings struct {
	mu     sync.Mutex
	dtmf   map[string]time.Time
	play   map[string]time.Time // hangup request seen
	gather map[string]time.Time // when the flow started waiting for the digit
	got    map[string]time.Time // when the flow had the digit (gather returned)
}

// split returns, for the measured calls, DTMF observed → digit in the flow
// (event delivery through the ARI layer) and digit in the flow → hangup
// request seen (engine + REST round trip to Asterisk).
func (tm *timings) split() (deliver, act []time.Duration) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	for ch, d := range tm.dtmf {
		g, ok1 := tm.got[ch]
		p, ok2 := tm.play[ch]
		if !ok1 || !ok2 || tm.gather[ch].After(d) {
			continue
		}
		deliver = append(deliver, max(g.Sub(d), 0))
		act = append(act, max(p.Sub(g), 0))
	}
	slices.Sort(deliver)
	slices.Sort(act)
	return deliver, act
}

func (tm *timings) latencies() []time.Duration {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	var out []time.Duration
	for ch, d := range tm.dtmf {
		// Only digits that arrived while the flow was waiting for them: a
		// digit typed ahead (the webhook before the gather still running)
		// measures the webhook, not the reaction to the event.
		if g, ok := tm.gather[ch]; !ok || g.After(d) {
			continue
		}
		if p, ok := tm.play[ch]; ok {
			// Negative: Switchyard acted before the observer even read
			// the event; count it as 0.
			out = append(out, max(p.Sub(d), 0))
		}
	}
	slices.Sort(out)
	return out
}

func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(float64(len(ds)-1) * p)
	return ds[i]
}

// BenchmarkFlowCallRate runs n concurrent outbound calls through the whole
// flow engine on the real Asterisk, and a bare originate loop (raw HTTP +
// websocket, no flow) to the same customer in the same run. Reported:
// flow_calls/s, bare_calls/s, ratio (target ≥ 0.8), DTMF → next ARI command
// p50/p99 (target p99 ≤ 20 ms), allocs/event (whole test process, so an
// upper bound). n = SWITCHYARD_FLOW_BENCH_CALLS (default 1000). Three
// alternating rounds of each loop; the medians are reported.
func BenchmarkFlowCallRate(b *testing.B) {
	n := 1000
	if v, err := strconv.Atoi(os.Getenv("SWITCHYARD_FLOW_BENCH_CALLS")); err == nil && v > 0 {
		n = v
	}
	info := asterisktest.Require(b)
	tm := &timings{dtmf: map[string]time.Time{}, play: map[string]time.Time{}, gather: map[string]time.Time{}, got: map[string]time.Time{}}

	// Observer (SWITCHYARD_FLOW_BENCH_OBSERVE=1): a second websocket that
	// sees every event of every channel, to time DTMF → hangup as Asterisk
	// sees them. It reads and parses every event in this process, so it
	// costs the flows CPU; off by default.
	observe := os.Getenv("SWITCHYARD_FLOW_BENCH_OBSERVE") == "1"
	obsCtx, obsCancel := context.WithCancel(context.Background())
	defer obsCancel()
	hdr := http.Header{}
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(info.User, info.Password)
	hdr.Set("Authorization", req.Header.Get("Authorization"))
	wsURL := strings.Replace(info.URL, "http", "ws", 1) + "/events?subscribeAll=true&app=syobs-" + uuid.NewString()[:8]
	var obs *websocket.Conn
	if observe {
		var err error
		if obs, _, err = websocket.Dial(obsCtx, wsURL, &websocket.DialOptions{HTTPHeader: hdr}); err != nil {
			b.Fatal(err)
		}
		obs.SetReadLimit(16 << 20)
		defer obs.CloseNow()
	}
	go func() {
		if obs == nil {
			return
		}
		for {
			_, data, err := obs.Read(obsCtx)
			if err != nil {
				return
			}
			into := tm.dtmf
			switch {
			case bytes.Contains(data, []byte(`"ChannelDtmfReceived"`)):
			case bytes.Contains(data, []byte(`"ChannelHangupRequest"`)):
				into = tm.play
			default:
				continue
			}
			now := time.Now()
			var ev struct {
				Channel struct {
					ID string `json:"id"`
				} `json:"channel"`
			}
			if json.Unmarshal(data, &ev) == nil {
				tm.mu.Lock()
				if _, ok := into[ev.Channel.ID]; !ok {
					into[ev.Channel.ID] = now
				}
				tm.mu.Unlock()
			}
		}
	}()

	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"ok":"yes"}`)
	}))
	defer hook.Close()
	f, err := Parse([]byte(fmt.Sprintf(benchFlow, hook.URL)), Features{})
	if err != nil {
		b.Fatal(err)
	}
	var events atomic.Int64
	var frameAt time.Time
	app := "sybench-" + uuid.NewString()[:8]
	// "DTMF received → next ARI command issued", inside Switchyard: when
	// the frame carrying the digit was read and decoded (the manager's
	// Event hook, on the reader goroutine just before the router
	// dispatches it), and when the hangup that follows it was issued and
	// written to Asterisk.
	var issuedMu sync.Mutex
	dtmfIn, hangupIssued, hangupOut := map[string]time.Time{}, map[string]time.Time{}, map[string]time.Time{}
	// Originates whose answer has not come back yet, counted when each
	// hangup is issued, and how long each originate took (issued →
	// answered, the wait for a connection included): whether a hangup
	// had a burst of originates in front of it for the connections.
	var originating atomic.Int64
	var behind []int64
	var originateRTT []time.Duration
	maxConns, _ := strconv.Atoi(os.Getenv("SWITCHYARD_FLOW_BENCH_CONNS"))
	client, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app, Logger: testLogger(b),
		MaxConns: maxConns,
		OnRequest: func(method, path string, written bool, at time.Time) {
			if id, ok := strings.CutPrefix(path, "/channels/"); ok && method == http.MethodDelete && !strings.Contains(id, "/") {
				into := hangupIssued
				if written {
					into = hangupOut
				}
				issuedMu.Lock()
				if _, seen := into[id]; !seen {
					into[id] = at
					if !written {
						behind = append(behind, originating.Load())
					}
				}
				issuedMu.Unlock()
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	m := ari.NewManager(ari.ManagerConfig{Client: client, Recorder: newMemRecorder(), Node: app, Logger: testLogger(b),
		Hooks: ari.ManagerHooks{Event: func(string) {
			events.Add(1)
			frameAt = time.Now() // reader goroutine only, like the listener below
		}}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for !m.Stream().State().Connected {
		if time.Now().After(deadline) {
			b.Fatal("not connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.Router().Listen("ChannelDtmfReceived", func(ev ariv6.Event) {
		d := ev.(*ariv6.ChannelDtmfReceived)
		issuedMu.Lock()
		if _, seen := dtmfIn[d.Channel.ID]; !seen {
			dtmfIn[d.Channel.ID] = frameAt
		}
		issuedMu.Unlock()
	})
	e := &Engine{Policy: func(context.Context, int64) webhooks.Policy { return loopback }, Logger: testLogger(b)}
	fv := FlowVersion{AccountID: 1, FlowID: 1, Version: 1, Flow: f}

	var flowD, bareD, bareLat []time.Duration
	var bareLatMu sync.Mutex
	var allocs, evs uint64
	var failed atomic.Int64
	for b.Loop() {
		for range 3 {
			runtime.GC()
			bareD = append(bareD, aritest.BareLoop(b, n, "answer-dtmf-1", func(bare *aritest.Bare, frame []byte) {
				// The bare loop's only logic: hang up at the first DTMF.
				if !bytes.Contains(frame, []byte(`"ChannelDtmfReceived"`)) {
					return
				}
				var ev struct {
					Channel struct {
						ID string `json:"id"`
					} `json:"channel"`
				}
				if json.Unmarshal(frame, &ev) != nil {
					return
				}
				since := time.Now()
				go bare.Do(b, http.MethodDelete, "/channels/"+ev.Channel.ID, nil, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) {
					bareLatMu.Lock()
					bareLat = append(bareLat, time.Since(since))
					bareLatMu.Unlock()
				}})
			}))
			aritest.WaitIdle(b, client)
			runtime.GC()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			ev0 := events.Load()
			start := time.Now()
			var wg sync.WaitGroup
			calls := make(chan *ari.Call, n)
			for range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					originating.Add(1)
					sent := time.Now()
					c, err := m.Originate(context.Background(), ari.OriginateParams{
						Endpoint: "Local/answer-dtmf-1@customers", Timeout: 30 * time.Second, Attempt: &ari.Attempt{AccountID: 1},
						Handler: func(ctx context.Context, c *ari.Call) error {
							j, err := e.RunOutbound(ctx, c, fv, nil)
							if g := j.step("g"); g != nil {
								tm.mu.Lock()
								tm.gather[c.ID] = g.Start
								tm.got[c.ID] = g.End
								tm.mu.Unlock()
							}
							if err == nil && j.path() != "a:0 w:0 g:0 h" {
								failed.Add(1)
							}
							return err
						},
					})
					originating.Add(-1)
					issuedMu.Lock()
					originateRTT = append(originateRTT, time.Since(sent))
					issuedMu.Unlock()
					if err != nil {
						b.Error(err)
						return
					}
					calls <- c
				}()
			}
			wg.Wait()
			close(calls)
			for c := range calls {
				select {
				case <-c.Done():
				case <-time.After(5 * time.Minute):
					b.Fatal("call never finished")
				}
			}
			flowD = append(flowD, time.Since(start))
			runtime.ReadMemStats(&ms1)
			allocs += ms1.Mallocs - ms0.Mallocs
			evs += uint64(events.Load() - ev0)
			aritest.WaitIdle(b, client)
		}
	}
	// Under overload a flow may time out (gather, webhook): reported, and
	// the first few paths logged, rather than failing the benchmark.
	b.ReportMetric(float64(failed.Load()), "other_path")
	// Issued latency: only digits that arrived while the gather waited
	// (a digit typed ahead during the webhook measures the webhook).
	var issued, written, wake, react []time.Duration
	issuedMu.Lock()
	tm.mu.Lock()
	for id, in := range dtmfIn {
		if g, waiting := tm.gather[id]; !waiting || g.After(in) {
			continue
		}
		if out, ok := hangupIssued[id]; ok {
			issued = append(issued, max(out.Sub(in), 0))
			wake = append(wake, max(tm.got[id].Sub(in), 0))
			react = append(react, max(out.Sub(tm.got[id]), 0))
		}
		if out, ok := hangupOut[id]; ok {
			written = append(written, max(out.Sub(in), 0))
		}
	}
	tm.mu.Unlock()
	issuedMu.Unlock()
	slices.Sort(issued)
	slices.Sort(written)
	slices.Sort(wake)
	slices.Sort(react)
	b.ReportMetric(float64(pct(issued, 0.5).Microseconds())/1000, "issued_p50_ms")
	b.ReportMetric(float64(pct(issued, 0.99).Microseconds())/1000, "issued_p99_ms")
	b.ReportMetric(float64(pct(written, 0.99).Microseconds())/1000, "written_p99_ms")
	fmt.Printf("BenchmarkFlowCallRate: DTMF received -> next ARI command issued p50=%v p99=%v; -> written to Asterisk (after the connection pool) p50=%v p99=%v (%d samples)\n",
		pct(issued, 0.5), pct(issued, 0.99), pct(written, 0.5), pct(written, 0.99), len(issued))
	fmt.Printf("BenchmarkFlowCallRate: of which frame read -> digit in the flow p50=%v p99=%v, digit -> hangup issued p50=%v p99=%v\n",
		pct(wake, 0.5), pct(wake, 0.99), pct(react, 0.5), pct(react, 0.99))
	slices.Sort(behind)
	slices.Sort(originateRTT)
	fmt.Printf("BenchmarkFlowCallRate: originates awaiting their answer when a hangup was issued p50=%d p99=%d max=%d; originate answered after p50=%v p99=%v max=%v\n",
		pctInt(behind, 0.5), pctInt(behind, 0.99), pctInt(behind, 1), pct(originateRTT, 0.5), pct(originateRTT, 0.99), pct(originateRTT, 1))
	slices.Sort(bareLat)
	fd, bd := median(flowD), median(bareD)
	b.ReportMetric(float64(n)/fd.Seconds(), "flow_calls/s")
	b.ReportMetric(float64(n)/bd.Seconds(), "bare_calls/s")
	b.ReportMetric(bd.Seconds()/fd.Seconds(), "ratio")
	b.ReportMetric(float64(pct(bareLat, 0.99).Microseconds())/1000, "bare_dtmf_p99_ms")
	if evs > 0 {
		b.ReportMetric(float64(allocs)/float64(evs), "allocs/event")
	}
	fmt.Printf("BenchmarkFlowCallRate: n=%d flow=%v bare=%v ratio=%.3f; bare loop dtmf->hangup p50=%v p99=%v; allocs/event=%.0f\n",
		n, fd, bd, bd.Seconds()/fd.Seconds(), pct(bareLat, 0.5), pct(bareLat, 0.99), float64(allocs)/float64(max(evs, 1)))
	if observe {
		lat := tm.latencies()
		deliver, act := tm.split()
		b.ReportMetric(float64(pct(lat, 0.5).Microseconds())/1000, "dtmf_p50_ms")
		b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "dtmf_p99_ms")
		fmt.Printf("BenchmarkFlowCallRate: as Asterisk sees it: DTMF -> hangup request p50=%v p99=%v (%d samples); of which DTMF -> digit in the flow p50=%v p99=%v, digit -> hangup request p50=%v p99=%v\n",
			pct(lat, 0.5), pct(lat, 0.99), len(lat), pct(deliver, 0.5), pct(deliver, 0.99), pct(act, 0.5), pct(act, 0.99))
	}
}

func pctInt(xs []int64, p float64) int64 {
	if len(xs) == 0 {
		return 0
	}
	return xs[int(float64(len(xs)-1)*p)]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// benchIdle waits (up to 30 s: other test processes may share the
// Asterisk) until no channel is left, so one phase's teardown does not
// slow the next.
