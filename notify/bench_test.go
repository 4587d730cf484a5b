package notify

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows/flowstore"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// Messaging latencies of the fake gateway and relay (one message's
// round trip until it is accepted).
const (
	benchSMSLatency   = 40 * time.Millisecond
	benchEmailLatency = 60 * time.Millisecond
)

// BenchmarkNotificationLoad: one account sends a notification to 10,000
// recipients on voice, SMS and email (30,000 deliveries; voice through the
// real call-list intake into the store, SMS and email through a messaging
// fake answering after 40 ms and 60 ms) while another account sends to 10
// recipients. Reported: the seconds to the last message of the large one
// and of the small one (fairness: the small one is not queued behind the
// large one), the live heap's peak growth while sending (flat: the
// worker holds a batch, not the notification), and the store latency of a
// third account's calls (each call's start, answer and end writes, 8 at a
// time) while nothing else runs and while the notification goes out: its
// calls are not held up behind the notification.
func BenchmarkNotificationLoad(b *testing.B) {
	// Two sizes: the heap growth of the larger is not four times the
	// smaller's when the worker's memory is flat.
	for _, n := range []int{2500, 10000} {
		b.Run(fmt.Sprintf("R=%d", n), func(b *testing.B) { benchNotification(b, n) })
	}
}

func benchNotification(b *testing.B, recipients int) {
	ctx := context.Background()
	st := storetest.Open(b, storetest.Options(b, store.DriverSQLite))
	type tenant struct {
		acc, flow, label int64
	}
	var sent atomic.Int64
	var lastBig, lastSmall atomic.Int64 // unix nanos
	var smallAcc int64
	mark := func(acc int64) {
		sent.Add(1)
		now := time.Now().UnixNano()
		if acc == smallAcc {
			lastSmall.Store(now)
		} else {
			lastBig.Store(now)
		}
	}
	svc := New(Config{Store: st, Calls: intake.New(intake.Config{Store: st, Flows: &flowstore.Adapter{S: st}}), Node: "bench",
		Concurrency: 128, Batch: 500,
		Messages: FuncMessenger{
			SMS: func(ctx context.Context, m SMS) (Message, error) {
				time.Sleep(benchSMSLatency)
				mark(m.AccountID)
				return Message{ID: m.DeliveryID, Status: "sent"}, nil
			},
			Email: func(ctx context.Context, m Email) (Message, error) {
				time.Sleep(benchEmailLatency)
				mark(m.AccountID)
				return Message{ID: m.DeliveryID, Status: "sent"}, nil
			},
		}})
	setup := func(name string, n int) tenant {
		a, err := st.CreateAccount(ctx, name)
		if err != nil {
			b.Fatal(err)
		}
		f, err := st.CreateFlow(ctx, a.ID, store.NewFlow{Name: "Fire drill", Type: "emergency_notification", Draft: []byte(testFlow)})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := st.PublishFlow(ctx, a.ID, f.ID); err != nil {
			b.Fatal(err)
		}
		ids := make([]int64, 0, n)
		for i := range n {
			c, err := st.CreateContact(ctx, store.Contact{AccountID: a.ID, Name: fmt.Sprintf("P%d", i),
				Phone: fmt.Sprintf("+1202%07d", 5550000+i%10000), Emails: []string{fmt.Sprintf("p%d@example.com", i)}})
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		l, err := st.CreateLabel(ctx, store.Label{AccountID: a.ID, Name: "all", Members: ids})
		if err != nil {
			b.Fatal(err)
		}
		return tenant{acc: a.ID, flow: f.ID, label: l.ID}
	}
	big := setup("big", recipients)
	small := setup("small", 10)
	smallAcc = small.acc
	caller := setup("caller", 1)
	// calls runs a third account's calls' store writes until stop closes,
	// 8 at a time, and returns each call's write time.
	calls := func(stop <-chan struct{}) func() []time.Duration {
		var mu sync.Mutex
		var took []time.Duration
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					t0 := time.Now()
					a, err := st.StartAttempt(ctx, store.AttemptStart{AccountID: caller.acc, Direction: store.DirectionOutbound,
						ChannelID: fmt.Sprintf("bench-%d-%d-%d", w, i, t0.UnixNano()), DNIS: "+12025550199", CLI: "+12025550100"})
					if err != nil {
						b.Error(err)
						return
					}
					if err := st.AnswerAttempt(ctx, a.ID, time.Now()); err != nil {
						b.Error(err)
						return
					}
					if _, err := st.FinishAttempt(ctx, a.ID, store.AttemptEnd{Status: "IVR_FINISHED", HangupCause: 16, FinishReason: "hangup"}); err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					took = append(took, time.Since(t0))
					mu.Unlock()
				}
			})
		}
		return func() []time.Duration { wg.Wait(); return took }
	}
	pct := func(d []time.Duration, p float64) float64 {
		if len(d) == 0 {
			return 0
		}
		slices.Sort(d)
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	var quietP50, quietP99, busyP50, busyP99 float64
	all := []string{ChannelVoice, ChannelSMS, ChannelEmail}
	var bigSecs, smallSecs, heapMB float64
	for b.Loop() {
		stopQuiet := make(chan struct{})
		quiet := calls(stopQuiet)
		time.Sleep(2 * time.Second)
		close(stopQuiet)
		q := quiet()
		quietP50, quietP99 = pct(q, 0.5), pct(q, 0.99)
		sent.Store(0)
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		start := time.Now()
		if _, err := svc.Send(ctx, big.acc, SendRequest{FlowID: big.flow, Labels: []int64{big.label}, Channels: all, Params: map[string]string{"site": "HQ"}}, ""); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.Send(ctx, small.acc, SendRequest{FlowID: small.flow, Labels: []int64{small.label}, Channels: all, Params: map[string]string{"site": "B"}}, ""); err != nil {
			b.Fatal(err)
		}
		var peak uint64
		done := make(chan struct{})
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					peak = max(peak, m.HeapAlloc)
				}
			}
		}()
		stopBusy := make(chan struct{})
		busy := calls(stopBusy)
		if err := svc.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		close(done)
		close(stopBusy)
		bc := busy()
		busyP50, busyP99 = pct(bc, 0.5), pct(bc, 0.99)
		if got := sent.Load(); got != int64(2*(recipients+10)) {
			b.Fatalf("%d messages sent, want %d", got, 2*(recipients+10))
		}
		bigSecs = time.Duration(lastBig.Load() - start.UnixNano()).Seconds()
		smallSecs = time.Duration(lastSmall.Load() - start.UnixNano()).Seconds()
		if peak > base {
			heapMB = float64(peak-base) / (1 << 20)
		}
	}
	b.ReportMetric(bigSecs, "s_to_last_message")
	b.ReportMetric(smallSecs, "s_to_last_message_other_tenant")
	b.ReportMetric(heapMB, "peak_heap_growth_MB")
	b.ReportMetric(quietP50, "other_tenant_call_writes_p50_ms_quiet")
	b.ReportMetric(quietP99, "other_tenant_call_writes_p99_ms_quiet")
	b.ReportMetric(busyP50, "other_tenant_call_writes_p50_ms_during")
	b.ReportMetric(busyP99, "other_tenant_call_writes_p99_ms_during")
	b.ReportMetric(0, "ns/op")
}
