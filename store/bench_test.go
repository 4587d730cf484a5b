package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkStartFinishAttempt measures one CDR lifecycle (StartAttempt +
// FinishAttempt: two write transactions) per op, serially (latency) and
// from many goroutines (throughput of the pool design).
func BenchmarkStartFinishAttempt(b *testing.B) {
	for _, d := range drivers {
		b.Run(d, func(b *testing.B) {
			s, _ := openTestStore(b, d)
			acc := mustAccount(b, s, "bench")
			ctx := context.Background()
			var n atomic.Int64
			one := func() error {
				i := n.Add(1)
				at, err := s.StartAttempt(ctx, inbound(acc.ID, fmt.Sprintf("bench-%d", i)))
				if err != nil {
					return err
				}
				_, err = s.FinishAttempt(ctx, at.ID, finish("IVR_FINISHED"))
				return err
			}
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					if err := one(); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("parallel", func(b *testing.B) {
				b.SetParallelism(32) // 32 × GOMAXPROCS goroutines
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := one(); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
