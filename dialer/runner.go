package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/switchyard/switchyard/dialer/calllist"
)

// Record is a claimed call-list record: Attempt is the 1-based attempt
// number this claim dials.
type Record struct {
	ID               int64
	AccountID        int64
	RequestID        string
	ClientIdentifier string
	Attempt          int
	Numbers          []string
	Variables        map[string]string
}

// Outcome ends one claimed attempt.
type Outcome struct {
	RecordID int64
	Status   string
	Reason   string
	// Retry: dial again at NextAttemptAt; otherwise the record is final.
	Retry         bool
	NextAttemptAt time.Time
	// Release returns a claim that was never dialed (not counted).
	Release bool
}

// Records is the campaign's record source (the store adapter implements
// it with leases, see dialer/dialerstore).
type Records interface {
	// Claim leases up to limit due records.
	Claim(ctx context.Context, now time.Time, limit int) ([]Record, error)
	// Renew extends the leases of records being dialed.
	Renew(ctx context.Context, ids []int64, now time.Time) error
	// Finish records an attempt's outcome.
	Finish(ctx context.Context, o Outcome) error
	// Remaining counts records not yet final.
	Remaining(ctx context.Context) (int64, error)
}

// PlaceRequest is one call the runner wants placed.
type PlaceRequest struct {
	Campaign *Campaign
	Record   Record
	Number   string
	Endpoint string
}

// Result is how a placed call ended.
type Result struct {
	// Status is the seed call status (BUSY, NOANSWER, IVR_FINISHED…).
	Status   string
	Answered bool
	// Rescheduled: the flow set $flow.syskey.rescheduledCall (or another
	// reschedule syskey) to yes; RescheduleAt is its time if given.
	Rescheduled  bool
	RescheduleAt time.Time
}

// Placer places one call and blocks until it has ended (the ari adapter
// originates through ari.Manager and runs the flow when answered). It
// returns an error only when the call was not placed.
type Placer interface {
	Place(ctx context.Context, r PlaceRequest) (Result, error)
}

// PlacerFunc adapts a function to Placer.
type PlacerFunc func(ctx context.Context, r PlaceRequest) (Result, error)

func (f PlacerFunc) Place(ctx context.Context, r PlaceRequest) (Result, error) { return f(ctx, r) }

// Statuses the runner sets itself for records it does not dial.
const (
	// StatusBlocked: the number is on the blacklist or DNC at dial time.
	StatusBlocked = "BLOCKED"
	// StatusNoNumber: the record has no number to dial.
	StatusNoNumber = "NONUMBER"
)

// Runner paces one campaign. Step makes one pacing decision; Run loops
// Step on the clock until ctx ends. Calls run on their own goroutines;
// Wait waits for them.
type Runner struct {
	Campaign Campaign
	Records  Records
	Placer   Placer
	// Agents is required for progressive/multiplied campaigns.
	Agents AgentState
	// Screen returns a non-empty reason when a number must not be dialed
	// (blacklist, DNC); checked right before every dial.
	Screen func(ctx context.Context, accountID int64, number string) (string, error)
	// Status reads the campaign's current status (pause/cancel from the
	// API take effect at the next step).
	Status func(ctx context.Context) (string, error)
	// Finished is called once when a Running campaign has no record left
	// and no call in progress (the caller moves it to Finished).
	Finished func(ctx context.Context) error
	Clock    Clock
	// Interval between steps (default 1 s).
	Interval time.Duration
	// GlobalMultiplier is the ads_multiplier (default 1).
	GlobalMultiplier float64
	// Location is where the calling window is evaluated (the account's
	// time zone; default UTC).
	Location *time.Location
	Logger   *slog.Logger

	mu       sync.Mutex
	active   map[int64]bool
	wg       sync.WaitGroup
	tokens   float64
	lastFill time.Time
	wake     chan struct{}
	once     sync.Once
	stats    Progress
	finished bool // Finished was called
	stopped  bool // the last step saw Finished or Cancelled
}

// Progress is the runner's live view.
type Progress struct {
	Dialed    int64 `json:"dialed"`
	Answered  int64 `json:"answered"`
	Active    int   `json:"active"`
	DialLevel int   `json:"dial_level"` // target concurrent calls at the last step
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.active = map[int64]bool{}
		r.wake = make(chan struct{}, 1)
		if r.Clock == nil {
			r.Clock = SystemClock{}
		}
		if r.Interval <= 0 {
			r.Interval = time.Second
		}
		if r.Logger == nil {
			r.Logger = slog.New(slog.DiscardHandler)
		}
		r.Logger = r.Logger.With("component", "dialer", "campaign", r.Campaign.ID)
	})
}

// Progress returns the live counters.
func (r *Runner) Progress() Progress {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.stats
	p.Active = len(r.active)
	return p
}

// Active is the number of calls in progress.
func (r *Runner) Active() int {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.active)
}

// Wait blocks until every call started so far has ended and its outcome
// is recorded.
func (r *Runner) Wait() { r.wg.Wait() }

// Run steps until ctx ends, the campaign finishes, or a step sees it
// Finished or Cancelled; then it waits for the calls in progress.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	defer r.wg.Wait()
	for {
		if err := r.Step(ctx); err != nil && ctx.Err() == nil {
			r.Logger.Warn("pacing step failed", "error", err)
		}
		if r.isFinished() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.Clock.After(r.Interval):
		case <-r.wake:
		}
	}
}

func (r *Runner) isFinished() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.finished || r.stopped
}

// takeTokens applies the calls-per-second cap: a token bucket refilled at
// CallsPerSecond (burst max(1, cps)).
func (r *Runner) takeTokens(now time.Time, want int) int {
	cps := r.Campaign.CallsPerSecond
	if cps <= 0 {
		return want
	}
	burst := max(1, cps)
	if r.lastFill.IsZero() {
		r.tokens = burst
	} else if d := now.Sub(r.lastFill); d > 0 {
		r.tokens = min(burst, r.tokens+cps*d.Seconds())
	}
	r.lastFill = now
	n := min(want, int(r.tokens+1e-9))
	r.tokens -= float64(n)
	return n
}

// Step makes one pacing decision: reads the status, renews the leases of
// calls in progress, computes how many calls to start (mode, free agents,
// simultaneous calls, calls-per-second cap, calling window), claims that
// many records and starts them.
func (r *Runner) Step(ctx context.Context) error {
	r.init()
	c := &r.Campaign
	now := r.Clock.Now()
	r.mu.Lock()
	ids := make([]int64, 0, len(r.active))
	for id := range r.active {
		ids = append(ids, id)
	}
	active := len(r.active)
	r.mu.Unlock()
	if len(ids) > 0 {
		if err := r.Records.Renew(ctx, ids, now); err != nil {
			r.Logger.Warn("renew leases", "error", err)
		}
	}
	status := StatusRunning
	if r.Status != nil {
		s, err := r.Status(ctx)
		if err != nil {
			return fmt.Errorf("dialer: campaign status: %w", err)
		}
		status = s
	}
	if !Active(status) {
		if status == StatusFinished || status == StatusCancelled {
			// Another node finished the campaign, or it was cancelled:
			// Run returns (after the calls in progress end).
			r.mu.Lock()
			r.stopped = true
			r.mu.Unlock()
		}
		return nil
	}
	r.mu.Lock()
	r.stopped = false
	r.mu.Unlock()
	if !c.CallingWindow.Allows(now, r.Location) {
		return nil
	}
	free := 0
	if NeedsAgents(c) {
		if r.Agents == nil {
			return errors.New("dialer: campaign paces by free agents but no agent state is configured")
		}
		n, err := r.Agents.FreeAgents(ctx, c.Queue)
		if err != nil {
			return fmt.Errorf("dialer: free agents of %q: %w", c.Queue, err)
		}
		free = n
	}
	want := Want(c, active, free, r.GlobalMultiplier)
	r.mu.Lock()
	r.stats.DialLevel = active + want
	want = r.takeTokens(now, want)
	r.mu.Unlock()
	if want == 0 {
		return r.maybeFinish(ctx, active)
	}
	recs, err := r.Records.Claim(ctx, now, want)
	if err != nil {
		return fmt.Errorf("dialer: claim: %w", err)
	}
	if len(recs) == 0 {
		return r.maybeFinish(ctx, active)
	}
	for _, rec := range recs {
		r.start(ctx, rec)
	}
	return nil
}

func (r *Runner) maybeFinish(ctx context.Context, active int) error {
	if active > 0 || r.Finished == nil {
		return nil
	}
	n, err := r.Records.Remaining(ctx)
	if err != nil {
		return fmt.Errorf("dialer: remaining: %w", err)
	}
	if n > 0 {
		return nil
	}
	r.mu.Lock()
	done := r.finished
	r.finished = true
	r.mu.Unlock()
	if done {
		return nil
	}
	return r.Finished(ctx)
}

func (r *Runner) start(ctx context.Context, rec Record) {
	r.mu.Lock()
	r.active[rec.ID] = true
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		o := r.dial(ctx, rec)
		o.RecordID = rec.ID
		// The outcome is recorded even if ctx ended meanwhile.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if err := r.Records.Finish(fctx, o); err != nil {
			r.Logger.Error("record attempt outcome", "record", rec.ID, "status", o.Status, "error", err)
		}
		cancel()
		r.mu.Lock()
		delete(r.active, rec.ID)
		r.mu.Unlock()
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}()
}

// dial places one attempt and decides what follows.
func (r *Runner) dial(ctx context.Context, rec Record) Outcome {
	c := &r.Campaign
	number := calllist.NumberForAttempt(rec.Numbers, rec.Attempt)
	if number == "" {
		return Outcome{Status: StatusNoNumber, Reason: "record has no number"}
	}
	if r.Screen != nil {
		reason, err := r.Screen(ctx, rec.AccountID, number)
		if err != nil {
			// Not dialed: hand the claim back for a later step.
			r.Logger.Warn("screen number", "record", rec.ID, "error", err)
			return Outcome{Release: true}
		}
		if reason != "" {
			return Outcome{Status: StatusBlocked, Reason: reason}
		}
	}
	if ctx.Err() != nil {
		return Outcome{Release: true}
	}
	r.mu.Lock()
	r.stats.Dialed++
	r.mu.Unlock()
	res, err := r.Placer.Place(ctx, PlaceRequest{Campaign: c, Record: rec, Number: number, Endpoint: c.Endpoint(number)})
	if err != nil && ctx.Err() != nil && !res.Answered {
		// Placers return an error only for calls they did not place:
		// shutting down, hand the claim back uncounted.
		return Outcome{Release: true}
	}
	if err != nil && res.Status == "" {
		res.Status = "FAILED"
	}
	if res.Answered {
		r.mu.Lock()
		r.stats.Answered++
		r.mu.Unlock()
	}
	reason := ""
	if err != nil {
		reason = err.Error()
	}
	retry, at := Next(c, res.Status, rec.Attempt, res.Rescheduled, res.RescheduleAt, r.Clock.Now())
	return Outcome{Status: res.Status, Reason: reason, Retry: retry, NextAttemptAt: at}
}
