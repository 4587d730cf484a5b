package acdstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/store"
)

// Writer is the part of the store the journal writes to (*store.Store
// implements it).
type Writer interface {
	InsertAgentCalls(ctx context.Context, rows []store.AgentCall) error
	InsertQueueCalls(ctx context.Context, rows []store.QueueCall) error
	InsertAgentEvents(ctx context.Context, rows []store.AgentEvent) error
}

// RecordingWriter indexes recordings (*store.Store implements it). A
// Writer that also implements it gets the ACD's queue and agent
// recordings (acd.RecordingJournal); otherwise they are dropped.
type RecordingWriter interface {
	AddRecording(ctx context.Context, r store.Recording) (store.Recording, error)
}

// JournalOptions tunes a Journal; zero fields take the defaults.
type JournalOptions struct {
	Logger *slog.Logger
	// FlushEvery is the longest a record waits in memory when the
	// database is healthy (default 250ms).
	FlushEvery time.Duration
	// BatchSize is the rows per store call; reaching it in memory also
	// wakes the writer early (default 1000).
	BatchSize int
	// RetryMin and RetryMax bound the back-off after a failed write
	// (defaults 100ms and 10s).
	RetryMin, RetryMax time.Duration
}

// Journal implements acd.Journal: records are appended to an in-memory
// buffer (never blocking the caller; the buffer grows while the database
// is slow or down) and written in batches by one background goroutine.
// A batch that fails for a transient reason is kept and retried with
// back-off; rows the store refuses for good (ErrInvalid, or ErrNotFound
// when the account was deleted) are isolated one by one, logged and
// dropped. Close flushes everything.
type Journal struct {
	w   Writer
	o   JournalOptions
	log *slog.Logger

	mu       sync.Mutex
	calls    []store.AgentCall
	qcalls   []store.QueueCall
	events   []store.AgentEvent
	recs     []store.Recording
	closed   bool
	closeCtx context.Context

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
	err  error // set by the writer before done is closed

	written, dropped atomic.Int64
	inflight         atomic.Int64 // taken from the buffer by the writer, not yet written or dropped
}

var (
	_ acd.Journal          = (*Journal)(nil)
	_ acd.RecordingJournal = (*Journal)(nil)
)

// NewJournal starts the background writer; Close stops it.
func NewJournal(w Writer, o JournalOptions) *Journal {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 250 * time.Millisecond
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 100 * time.Millisecond
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(10*time.Second, o.RetryMin)
	}
	j := &Journal{w: w, o: o, log: o.Logger.With("component", "acd.journal"),
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go j.run()
	return j
}

func tptr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// AgentCall queues an agent-call record.
func (j *Journal) AgentCall(c acd.AgentCall) {
	r := store.AgentCall{AccountID: c.AccountID, AgentID: c.AgentID, QueueID: c.QueueID, CallID: c.CallID, AttemptID: c.AttemptID,
		Customer: c.Customer, OfferedAt: c.OfferedAt, AnsweredAt: tptr(c.AnsweredAt), EndedAt: tptr(c.EndedAt),
		WrapUpEnd: tptr(c.WrapUpEnd), Outcome: c.Outcome, Disposition: c.Disposition, Recording: c.Recording}
	j.add(func() int { j.calls = append(j.calls, r); return len(j.calls) })
}

// QueueCall queues a queue-call record.
func (j *Journal) QueueCall(c acd.QueueCall) {
	r := store.QueueCall{AccountID: c.AccountID, QueueID: c.QueueID, FlowID: c.FlowID, CallID: c.CallID, AttemptID: c.AttemptID,
		Caller: c.Caller, JoinedAt: c.JoinedAt, EndedAt: tptr(c.EndedAt), Outcome: c.Outcome, AgentID: c.AgentID,
		Position: c.Position, Recording: c.Recording}
	j.add(func() int { j.qcalls = append(j.qcalls, r); return len(j.qcalls) })
}

// AgentEvent queues an agent state change.
func (j *Journal) AgentEvent(e acd.AgentEvent) {
	r := store.AgentEvent{AccountID: e.AccountID, AgentID: e.AgentID, At: e.At, FromState: string(e.From), ToState: string(e.To), Reason: e.Reason}
	j.add(func() int { j.events = append(j.events, r); return len(j.events) })
}

// Recording queues the index row of a queue or agent recording
// (store.AddRecording: one row per recording, attached to the customer's
// attempt). A recording of a call without an attempt record cannot be
// indexed and is dropped.
func (j *Journal) Recording(r acd.Recording) {
	_, ok := j.w.(RecordingWriter)
	if !ok || r.AttemptID == "" {
		j.dropped.Add(1)
		j.log.Debug("recording not indexed (no attempt record or no recording writer)", "recording", r.Name, "attempt", r.AttemptID, "writer", ok)
		return
	}
	row := store.Recording{AccountID: r.AccountID, AttemptID: r.AttemptID, Kind: r.Kind, Name: r.Name, Format: r.Format,
		FileName: r.Name + "." + r.Format, StartedAt: r.StartedAt, DurationMS: r.Duration.Milliseconds()}
	j.add(func() int { j.recs = append(j.recs, row); return len(j.recs) })
}

func (j *Journal) add(push func() int) {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		j.dropped.Add(1)
		j.log.Error("journal record after Close dropped")
		return
	}
	n := push()
	j.mu.Unlock()
	if n >= j.o.BatchSize {
		select {
		case j.wake <- struct{}{}:
		default:
		}
	}
}

// JournalStats counts records.
type JournalStats struct {
	Pending int   // in memory (buffered or being written), not yet written
	Written int64 // written to the store
	Dropped int64 // refused by the store for good, or added after Close
}

// Stats reports the journal's counters.
func (j *Journal) Stats() JournalStats {
	j.mu.Lock()
	p := len(j.calls) + len(j.qcalls) + len(j.events) + len(j.recs) + int(j.inflight.Load())
	j.mu.Unlock()
	return JournalStats{Pending: p, Written: j.written.Load(), Dropped: j.dropped.Load()}
}

// Close stops accepting records and writes every buffered one, retrying
// transient failures until ctx ends; it then reports how many were lost.
func (j *Journal) Close(ctx context.Context) error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		<-j.done
		return j.err
	}
	j.closed, j.closeCtx = true, ctx
	j.mu.Unlock()
	close(j.stop)
	<-j.done
	return j.err
}

// writeTimeout bounds one background flush.
const writeTimeout = 30 * time.Second

func (j *Journal) run() {
	defer close(j.done)
	t := time.NewTicker(j.o.FlushEvery)
	defer t.Stop()
	var (
		backoff time.Duration
		retry   <-chan time.Time // set while failing
	)
	for {
		select {
		case <-j.stop:
			j.err = j.drain()
			return
		case <-retry:
		case <-j.wake:
			if retry != nil {
				continue // failing: wait for the back-off
			}
		case <-t.C:
			if retry != nil {
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := j.flush(ctx)
		cancel()
		if err != nil {
			backoff = min(max(2*backoff, j.o.RetryMin), j.o.RetryMax)
			retry = time.After(backoff)
			j.log.Warn("journal write failed; retrying", "err", err, "pending", j.Stats().Pending, "retry_in", backoff)
			continue
		}
		backoff, retry = 0, nil
	}
}

// drain writes what is left after Close, retrying until the Close context
// ends.
func (j *Journal) drain() error {
	ctx := j.closeCtx
	backoff := j.o.RetryMin
	for {
		err := j.flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			lost := j.Stats().Pending
			j.log.Error("journal closed with records not written", "lost", lost, "err", err)
			return fmt.Errorf("acd journal: %d records not written: %w", lost, err)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, j.o.RetryMax)
	}
}

// flush writes everything buffered; on a transient failure the unwritten
// rows go back to the front of the buffer and the error is returned.
func (j *Journal) flush(ctx context.Context) error {
	j.mu.Lock()
	calls, qcalls, events, recs := j.calls, j.qcalls, j.events, j.recs
	j.calls, j.qcalls, j.events, j.recs = nil, nil, nil, nil
	j.inflight.Store(int64(len(calls) + len(qcalls) + len(events) + len(recs)))
	j.mu.Unlock()

	var errs []error
	rc, err := writeAll(ctx, j, "agent call", calls, j.w.InsertAgentCalls)
	errs = append(errs, err)
	rq, err := writeAll(ctx, j, "queue call", qcalls, j.w.InsertQueueCalls)
	errs = append(errs, err)
	re, err := writeAll(ctx, j, "agent event", events, j.w.InsertAgentEvents)
	errs = append(errs, err)
	rr, err := j.writeRecordings(ctx, recs)
	errs = append(errs, err)

	j.mu.Lock()
	if len(rc)+len(rq)+len(re)+len(rr) > 0 {
		j.calls = append(rc, j.calls...)
		j.qcalls = append(rq, j.qcalls...)
		j.events = append(re, j.events...)
		j.recs = append(rr, j.recs...)
	}
	j.inflight.Store(0)
	j.mu.Unlock()
	return errors.Join(errs...)
}

// writeRecordings indexes recordings one by one (the store adds one row
// per call; a batch is the rows buffered since the last flush). It
// returns the rows left unwritten by a transient failure (and that
// failure); rows refused for good are logged and dropped.
func (j *Journal) writeRecordings(ctx context.Context, rows []store.Recording) ([]store.Recording, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	rw := j.w.(RecordingWriter) // Recording only buffers rows when it is one
	for i, r := range rows {
		_, err := rw.AddRecording(ctx, r)
		switch {
		case err == nil:
			j.written.Add(1)
		case permanent(err):
			j.dropped.Add(1)
			j.log.Error("recording index row refused by the store; dropped", "row", fmt.Sprintf("%+v", r), "err", err)
		default:
			return rows[i:], err
		}
		j.inflight.Add(-1)
	}
	return nil, nil
}

// permanent reports a store refusal that retrying cannot fix.
func permanent(err error) bool {
	return errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound)
}

// writeAll writes rows in batches. It returns the rows left unwritten by a
// transient failure (and that failure).
func writeAll[T any](ctx context.Context, j *Journal, what string, rows []T, insert func(context.Context, []T) error) ([]T, error) {
	for len(rows) > 0 {
		n := min(len(rows), j.o.BatchSize)
		batch := rows[:n]
		err := insert(ctx, batch)
		switch {
		case err == nil:
			j.written.Add(int64(n))
			j.inflight.Add(-int64(n))
		case permanent(err):
			// Isolate the bad rows: write the batch row by row.
			for i := range batch {
				err := insert(ctx, batch[i:i+1])
				switch {
				case err == nil:
					j.written.Add(1)
					j.inflight.Add(-1)
				case permanent(err):
					j.dropped.Add(1)
					j.inflight.Add(-1)
					j.log.Error("journal row refused by the store; dropped", "kind", what, "row", fmt.Sprintf("%+v", batch[i]), "err", err)
				default:
					return rows[i:], err
				}
			}
		default:
			return rows, err
		}
		rows = rows[n:]
	}
	return nil, nil
}
