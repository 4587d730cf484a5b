package ari_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
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
	rec := newMemRecorder()
	m, _ := startManager(b, rec, nil)
	var bares, sys, cpus []time.Duration
	for b.Loop() {
		// Alternate the two loops to cancel drift in Asterisk's own state;
		// report the median of three runs of each. A GC before each run
		// keeps one run's garbage out of the next one's CPU time.
		for range 3 {
			runtime.GC()
			bares = append(bares, aritest.BareLoop(b, n, "answer-wait-1", nil))
			aritest.WaitIdle(b, m.Client())
			runtime.GC()
			sd, sc := syLoop(b, m, n, "answer-wait-1")
			sys, cpus = append(sys, sd), append(cpus, sc)
			aritest.WaitIdle(b, m.Client())
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
