package acd

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

func goid() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseUint(string(b), 10, 64)
	return n
}

// slowJournal stands in for a store: every write takes a few
// milliseconds and notes which goroutine made it.
type slowJournal struct {
	mu     sync.Mutex
	gids   map[uint64]int
	writes int
}

func (j *slowJournal) note() {
	time.Sleep(2 * time.Millisecond)
	j.mu.Lock()
	j.gids[goid()]++
	j.writes++
	j.mu.Unlock()
}
func (j *slowJournal) AgentCall(AgentCall)   { j.note() }
func (j *slowJournal) QueueCall(QueueCall)   { j.note() }
func (j *slowJournal) AgentEvent(AgentEvent) { j.note() }

type reqLog struct {
	path string
	at   time.Time
}

// BenchmarkACDLoad: 50 persistent Local-channel agents logged in,
// customers originated at 500 per minute for ACD_BENCH_SECONDS (default
// 60), each talking 3 s. Reported: p50 / p99 of customer answer (Enqueue
// entry) → the customer's ChannelEnteredBridge into the agent's bridge;
// ARI round trips on that path per call (requests issued between those
// two points that name the call or a bridge it used; target ≤ 2); store
// round trips on it (journal writes made on a call's goroutine: target
// 0 — the journal is written after, on the ACD's own goroutine).
func BenchmarkACDLoad(b *testing.B) {
	secs := 60
	if s, err := strconv.Atoi(os.Getenv("ACD_BENCH_SECONDS")); err == nil && s > 0 {
		secs = s
	}
	const agents, perMinute = 50, 500
	talk := 3 * time.Second
	var reqMu sync.Mutex
	var reqs []reqLog
	m := aritest.StartManager(b, aritest.NewRecorder(), aritest.Options{Prefix: "syacdb", Client: func(o *ari.Options) {
		o.OnRequest = func(method, path string, written bool, at time.Time) {
			if !written {
				reqMu.Lock()
				reqs = append(reqs, reqLog{method + " " + path, at})
				reqMu.Unlock()
			}
		}
		o.Logger = nil
	}})
	type trace struct {
		callID  string
		bridges []string
		t0, t1  time.Time
	}
	var trMu sync.Mutex
	var traces []trace
	j := &slowJournal{gids: map[uint64]int{}}
	a := New(Options{Manager: m, Journal: j, Trunk: simTrunk,
		OnBridged: func(callID string, bridges []string, t0, t1 time.Time) {
			trMu.Lock()
			traces = append(traces, trace{callID, bridges, t0, t1})
			trMu.Unlock()
			time.AfterFunc(talk, func() { _ = m.Client().Hangup(context.Background(), callID, "") })
		}})
	if err := a.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	var members []int64
	for i := int64(1); i <= agents; i++ {
		if err := a.PutAgent(acdconfig.Agent{ID: i, AccountID: 1, Name: fmt.Sprintf("a%02d", i), LoginType: acdconfig.LoginMobile,
			Number: fmt.Sprintf("1000%03d", i), Persistent: true}); err != nil {
			b.Fatal(err)
		}
		members = append(members, i)
	}
	if err := a.PutQueue(acdconfig.Queue{ID: 1, AccountID: 1, Name: "load", Members: members, JoinWhenEmpty: true}); err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, id := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := a.Login(ctx, 1, id); err != nil {
				b.Error(err)
			}
		}()
	}
	wg.Wait()
	if b.Failed() {
		return
	}
	var handlerGids sync.Map
	var answered, other atomic.Int64
	// Warm-up: one call (connections, first bridge operations) not counted.
	warm, err := m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: "Local/answer-silent@customers",
		Handler: func(ctx context.Context, c *ari.Call) error {
			_, err := a.Enqueue(ctx, c, flows.QueueRequest{AccountID: 1, Queue: "load"})
			return err
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	<-warm.Done()
	trMu.Lock()
	traces = nil
	trMu.Unlock()
	for b.Loop() {
		n := perMinute * secs / 60
		gap := time.Minute / perMinute
		var calls []*ari.Call
		tick := time.NewTicker(gap)
		for range n {
			c, err := m.Originate(context.Background(), ari.OriginateParams{
				Endpoint: "Local/answer-silent@customers", CallerID: "+4930555000",
				Handler: func(ctx context.Context, c *ari.Call) error {
					handlerGids.Store(goid(), true)
					res, err := a.Enqueue(ctx, c, flows.QueueRequest{AccountID: 1, Queue: "load", CLI: "+4930555000", DNIS: "+4940111222"})
					if res.Status == QueueAnswer {
						answered.Add(1)
					} else {
						other.Add(1)
					}
					return err
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			calls = append(calls, c)
			<-tick.C
		}
		tick.Stop()
		for _, c := range calls {
			select {
			case <-c.Done():
			case <-time.After(2 * time.Minute):
				b.Fatal("call never finished")
			}
		}
	}
	a.Close()
	trMu.Lock()
	defer trMu.Unlock()
	reqMu.Lock()
	defer reqMu.Unlock()
	var lat []time.Duration
	var rts []int
	for _, tr := range traces {
		lat = append(lat, tr.t1.Sub(tr.t0))
		n := 0
		for _, r := range reqs {
			if r.at.Before(tr.t0) || r.at.After(tr.t1) {
				continue
			}
			hit := strings.Contains(r.path, tr.callID)
			for _, bid := range tr.bridges {
				hit = hit || strings.Contains(r.path, bid)
			}
			if hit {
				n++
			}
		}
		rts = append(rts, n)
	}
	if os.Getenv("ACD_BENCH_VERBOSE") != "" {
		for i, tr := range traces {
			if d := tr.t1.Sub(tr.t0); d > 50*time.Millisecond {
				var path []string
				for _, r := range reqs {
					if r.at.Before(tr.t0) || r.at.After(tr.t1) {
						continue
					}
					if strings.Contains(r.path, tr.callID) || slices.ContainsFunc(tr.bridges, func(id string) bool { return strings.Contains(r.path, id) }) {
						path = append(path, fmt.Sprintf("%s @+%v", r.path[:strings.IndexByte(r.path, '/')+9], r.at.Sub(tr.t0).Round(time.Millisecond)))
					}
				}
				b.Logf("slow: call %d at +%v: %v; requests %v", i, tr.t0.Sub(traces[0].t0), d, path)
			}
		}
	}
	if len(lat) == 0 {
		b.Fatal("no call was bridged")
	}
	slices.Sort(lat)
	slices.Sort(rts)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	meanRT := 0.0
	for _, n := range rts {
		meanRT += float64(n)
	}
	meanRT /= float64(len(rts))
	onPath := 0
	j.mu.Lock()
	for g, n := range j.gids {
		if _, ok := handlerGids.Load(g); ok {
			onPath += n
		}
	}
	writes := j.writes
	j.mu.Unlock()
	b.ReportMetric(float64(pct(0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(pct(0.99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(meanRT, "ari_rt/call")
	b.ReportMetric(float64(rts[len(rts)-1]), "ari_rt_max")
	b.ReportMetric(float64(onPath), "store_rt_on_path")
	msg := fmt.Sprintf("BenchmarkACDLoad: agents=%d rate=%d/min secs=%d bridged=%d answered=%d other=%d p50=%v p99=%v max=%v ari_rt/call mean=%.2f max=%d store_rt_on_path=%d journal_writes=%d",
		agents, perMinute, secs, len(lat), answered.Load(), other.Load(), pct(0.50), pct(0.99), lat[len(lat)-1], meanRT, rts[len(rts)-1], onPath, writes)
	fmt.Println(msg)
	b.Log(msg)
	if other.Load() > 0 {
		b.Errorf("%d calls were not answered", other.Load())
	}
}
