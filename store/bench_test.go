package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
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

// BenchmarkClaimLargeList measures one claim of 10 due records (the
// dialer's claim after calls end) from a flow's list of 100,000 pending
// records, as the list is worked through: a claim must not cost more as
// the list grows (each claim's records are completed before the next).
func BenchmarkClaimLargeList(b *testing.B) {
	const size = 100000
	for _, d := range drivers {
		b.Run(d, func(b *testing.B) {
			s, _ := openTestStore(b, d)
			acc := mustAccount(b, s, "bench")
			recs := make([]ImportRecord, size)
			for i := range recs {
				recs[i] = ImportRecord{Row: int64(i + 1), Numbers: []string{fmt.Sprintf("+1555%07d", i)}, Status: RecordPending}
			}
			req := mustImport(b, s, CallListImport{AccountID: acc.ID, FlowID: "7", FlowType: "outbound", Source: SourceAPI}, recs)
			ctx := context.Background()
			at := time.Now()
			claim := Claim{AccountID: acc.ID, FlowID: "7", Owner: "bench", Now: at, Lease: time.Minute, Limit: 10, MaxAttempts: 3}
			claimed := 0
			for b.Loop() {
				rs, err := s.ClaimCampaignRecords(ctx, claim)
				if err != nil || len(rs) != 10 {
					b.Fatalf("claim: %d records, %v", len(rs), err)
				}
				claimed += len(rs)
				b.StopTimer()
				for _, r := range rs {
					if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: acc.ID, RecordID: r.ID, RequestID: req.ID, Owner: "bench", Status: "IVR_FINISHED"}); err != nil {
						b.Fatal(err)
					}
				}
				if claimed+10 > size {
					b.Fatalf("list worked through after %d claims: raise size", claimed/10)
				}
				b.StartTimer()
			}
		})
	}
}
