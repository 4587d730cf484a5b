package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestReportPoolIsolation (PostgreSQL): one tenant's heavy reports — many
// at once, each holding its connection while a slow client reads it —
// run on the report pool only, so another tenant's dialer writes
// (StartAttempt/FinishAttempt) and the health check (Ping) keep their
// usual latency; a report query is cancelled by the server at the
// report timeout (statement_timeout) and surfaces as ErrQueryTimeout.
func TestReportPoolIsolation(t *testing.T) {
	const reportConns = 2
	so := freshOptions(t, DriverPostgres)
	so.ReportConns, so.ReportTimeout = reportConns, 3*time.Second
	// The cancelled queries are logged as errors: expected here.
	s, _ := openStoreWith(t, so, testStoreOpts{expectErrorLogs: true})
	ctx := ctxT(t)
	heavy, dialing := mustAccount(t, s, "heavy-reports"), mustAccount(t, s, "campaign")
	for i := range 30 {
		a := mustStart(t, s, AttemptStart{AccountID: heavy.ID, Direction: DirectionOutbound, CLI: "+1", DNIS: fmt.Sprintf("+1555%07d", i), ChannelID: fmt.Sprintf("h-%d", i)})
		if _, err := s.FinishAttempt(ctx, a.ID, AttemptEnd{Status: "IVR_FINISHED", FinishReason: "hangup"}); err != nil {
			t.Fatal(err)
		}
	}

	// 40 concurrent reports (twice the main pool's 20 connections), each
	// reading its rows slowly.
	stop := make(chan struct{})
	var reports sync.WaitGroup
	var done, failed atomic.Int64
	var maxInUse atomic.Int64
	for range 40 {
		reports.Add(1)
		go func() {
			defer reports.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := s.EachCallReportRow(ctx, CallReportFilter{AccountID: heavy.ID}, func(*CallReportRow) error {
					if n, _ := s.ReportPoolStats(); n > maxInUse.Load() {
						maxInUse.Store(n)
					}
					time.Sleep(20 * time.Millisecond) // a slow client
					return nil
				})
				if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, ErrQueryTimeout) {
					failed.Add(1)
					t.Errorf("report: %v", err)
					return
				}
				done.Add(1)
			}
		}()
	}
	time.Sleep(300 * time.Millisecond) // let them take the pool

	// The campaign's writes and the health check meanwhile.
	var worstWrite, worstPing time.Duration
	for i := range 100 {
		start := time.Now()
		a, err := s.StartAttempt(ctx, AttemptStart{AccountID: dialing.ID, Direction: DirectionOutbound, CLI: "+1", DNIS: fmt.Sprintf("+1666%07d", i), ChannelID: fmt.Sprintf("d-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishAttempt(ctx, a.ID, AttemptEnd{Status: "NOANSWER", FinishReason: "noanswer"}); err != nil {
			t.Fatal(err)
		}
		worstWrite = max(worstWrite, time.Since(start))
		start = time.Now()
		if err := s.Ping(ctx); err != nil {
			t.Fatal(err)
		}
		worstPing = max(worstPing, time.Since(start))
	}
	close(stop)
	reports.Wait()
	t.Logf("while 40 slow reports ran (%d finished, report pool at most %d in use): worst write %v, worst ping %v",
		done.Load(), maxInUse.Load(), worstWrite, worstPing)
	if maxInUse.Load() > reportConns {
		t.Errorf("report pool used %d connections, limit %d", maxInUse.Load(), reportConns)
	}
	if worstWrite > 500*time.Millisecond || worstPing > 500*time.Millisecond {
		t.Errorf("writes or the health check starved: worst write %v, worst ping %v", worstWrite, worstPing)
	}
	if done.Load() == 0 || failed.Load() > 0 {
		t.Errorf("reports: %d done, %d failed", done.Load(), failed.Load())
	}

	// The server cancels a report query at the report timeout.
	start := time.Now()
	err := s.rep.WithContext(ctx).Exec("SELECT pg_sleep(30)").Error
	if !isStatementTimeout(err) {
		t.Fatalf("a 30 s query on the report pool: %v, want a statement timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled after %v, timeout 3s", d)
	}
	// And through track it is ErrQueryTimeout.
	tracked := func() (err error) {
		defer s.track("test", time.Now(), &err)
		return s.rep.WithContext(ctx).Exec("SELECT pg_sleep(30)").Error
	}
	if err := tracked(); !errors.Is(err, ErrQueryTimeout) {
		t.Errorf("track: %v, want ErrQueryTimeout", err)
	}
	// The main pool has no such limit.
	if err := s.w.WithContext(ctx).Exec("SELECT pg_sleep(3.5)").Error; err != nil {
		t.Errorf("the main pool: %v", err)
	}
}
