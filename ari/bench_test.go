package ari_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// bareLoop originates n calls at once straight over HTTP into a throwaway
// application and counts StasisEnd on a raw websocket: the floor any ARI
// layer is measured against.
func bareLoop(tb testing.TB, info asterisktest.Info, n int, ext string) time.Duration {
	app := "sybare-" + uuid.NewString()[:8]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wsURL := strings.Replace(info.URL, "http", "ws", 1) + "/events?app=" + app
	hdr := http.Header{}
	req, _ := http.NewRequest("GET", "http://x", nil)
	req.SetBasicAuth(info.User, info.Password)
	hdr.Set("Authorization", req.Header.Get("Authorization"))
	conn, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetReadLimit(16 << 20)
	defer conn.CloseNow()
	// The same event filter Switchyard asks for, so Asterisk does the same
	// work for both loops.
	if fc, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app}); err != nil {
		tb.Fatal(err)
	} else if err := fc.SetEventFilter(ctx, ari.DefaultDisallowedEvents); err != nil {
		tb.Fatal(err)
	}
	ended := make(chan struct{}, n)
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if bytes.Contains(data, []byte(`"StasisEnd"`)) {
				ended <- struct{}{}
			}
		}
	}()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(ariv6.OriginateRequest{Endpoint: customer(ext), App: app, Timeout: 30, ChannelID: uuid.NewString()})
			r, _ := http.NewRequest("POST", info.URL+"/channels", bytes.NewReader(body))
			r.SetBasicAuth(info.User, info.Password)
			r.Header.Set("Content-Type", "application/json")
			resp, err := hc.Do(r)
			if err != nil {
				tb.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				tb.Errorf("bare originate: %s", resp.Status)
			}
		}()
	}
	wg.Wait()
	timeout := time.After(5 * time.Minute)
	for i := range n {
		select {
		case <-ended:
		case <-timeout:
			tb.Fatalf("bare loop: only %d of %d calls ended", i, n)
		}
	}
	return time.Since(start)
}

// syLoop originates n calls at once through the Manager: pre-assigned IDs,
// routing, one goroutine per call, records (in memory), hangup handling.
func syLoop(tb testing.TB, m *ari.Manager, n int, ext string) (time.Duration, time.Duration) {
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	calls := make(chan *ari.Call, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := m.Originate(context.Background(), ari.OriginateParams{
				Endpoint: customer(ext), Timeout: 30 * time.Second, Attempt: &ari.Attempt{AccountID: 1},
				Handler: func(ctx context.Context, c *ari.Call) error { return c.WaitHangup(ctx, time.Minute) },
			})
			if err != nil {
				tb.Error(err)
				return
			}
			calls <- c
		}()
	}
	wg.Wait()
	close(calls)
	lost := 0
	for c := range calls {
		select {
		case <-c.Done():
			if !c.Started() {
				lost++
			}
		case <-time.After(5 * time.Minute):
			tb.Fatal("call never finished")
		}
	}
	if lost > 0 {
		tb.Errorf("%d calls never saw StasisStart", lost)
	}
	return time.Since(start), cpuTime() - cpu0
}

// BenchmarkCallRate compares 1,200 concurrent calls (answer, wait 1 s,
// hang up) through Switchyard's ARI layer with a bare originate loop in the
// same run. Reported: sy_calls/s, bare_calls/s, ratio (target ≥ 0.9),
// cpu_ms/call (target ≤ 0.5). Run with -benchtime=1x.
func BenchmarkCallRate(b *testing.B) {
	const n = 1200
	info := asterisktest.Require(b)
	rec := newMemRecorder()
	m, _ := startManager(b, rec, nil)
	var bares, sys, cpus []time.Duration
	for b.Loop() {
		// Alternate the two loops to cancel drift in Asterisk's own state;
		// report the median of three runs of each. A GC before each run
		// keeps one run's garbage out of the next one's CPU time.
		for range 3 {
			runtime.GC()
			bares = append(bares, bareLoop(b, info, n, "answer-wait-1"))
			waitAsteriskIdle(b, m)
			runtime.GC()
			sd, sc := syLoop(b, m, n, "answer-wait-1")
			sys, cpus = append(sys, sd), append(cpus, sc)
			waitAsteriskIdle(b, m)
		}
	}
	bare, sy, cpu := median(bares), median(sys), median(cpus)
	b.ReportMetric(float64(n)/sy.Seconds(), "sy_calls/s")
	b.ReportMetric(float64(n)/bare.Seconds(), "bare_calls/s")
	b.ReportMetric(bare.Seconds()/sy.Seconds(), "ratio")
	b.ReportMetric(float64(cpu.Microseconds())/1000/n, "cpu_ms/call")
	fmt.Printf("BenchmarkCallRate: n=%d sy=%v bare=%v ratio=%.3f cpu/call=%.3fms\n", n, sy, bare, bare.Seconds()/sy.Seconds(), float64(cpu.Microseconds())/1000/n)
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// waitAsteriskIdle waits until Asterisk has torn every channel down, so one
// phase's teardown does not slow the next.
func waitAsteriskIdle(tb testing.TB, m *ari.Manager) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		chs, err := m.Client().Channels(context.Background())
		if err == nil && len(chs) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Fatal("Asterisk still has channels")
}
