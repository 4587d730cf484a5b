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
	// ScheduleExtension is where an answered call goes instead of the
	// campaign's flow: the EXTENSION of an ADS *Schedule* cell, or the
	// agent of a reschedule_agent_call.
	ScheduleExtension string
	// Reclaimed: the claim took over this attempt from a node whose lease
	// expired; it may have been placed already (see Runner.reclaim).
	Reclaimed bool

	// screened: the claim's batch screening (Runner.ScreenAll) checked
	// the number to dial; blocked is its reason not to dial ("" = dial).
	screened bool
	blocked  string
}

// Outcome ends one claimed attempt.
type Outcome struct {
	RecordID int64
	// RequestID is the record's call-list request: the store commits a
	// request's outcomes one group after another, so its completed count
	// is not fought over.
	RequestID string
	Status    string
	Reason    string
	// Retry: dial again at NextAttemptAt; otherwise the record is final.
	Retry         bool
	NextAttemptAt time.Time
	// Release returns a claim that was never dialed (not counted); with
	// NextAttemptAt set, the record is not due before it (calling window).
	Release bool
	// Rescheduled: the retry was asked for by the flow (a cancel before
	// NextAttemptAt ends the record as RESCHEDULED); CallbackTo is the
	// agent the rescheduled call goes to.
	Rescheduled bool
	CallbackTo  string
	// Live: a live-answered call of an agent-paced campaign (counts in the
	// abandon rate); Abandoned: it found no agent within AbandonAfter.
	Live      bool
	Abandoned bool
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
	// Extension, when set, is where the answered call goes (a *Schedule*
	// or agent callback; else the campaign's DialToExtension or flow).
	Extension string
	// OnAnswer, if set, is called once when the customer answers (the
	// pacer counts calls still ringing); nil-safe: use Answer.
	OnAnswer func()
	// OnLineFree, if set, is called when the call's channels are gone,
	// before Place returns (which may wait for the call's record to be
	// written): the line is free for the pacer's next call. Nil-safe: use
	// LineFree.
	OnLineFree func()
}

// LineFree reports to the pacer that the call's line is free.
func (r PlaceRequest) LineFree() {
	if r.OnLineFree != nil {
		r.OnLineFree()
	}
}

// Answer reports the customer's answer to the pacer.
func (r PlaceRequest) Answer() {
	if r.OnAnswer != nil {
		r.OnAnswer()
	}
}

// Result is how a placed call ended.
type Result struct {
	// Status is the ADS call status (BUSY, NOANSWER, IVR_FINISHED…).
	Status   string
	Answered bool
	// Rescheduled: the flow set $flow.syskey.rescheduledCall (or another
	// reschedule syskey) to yes; RescheduleAt is its time if given.
	Rescheduled  bool
	RescheduleAt time.Time
	// RescheduleTo is the agent a reschedule_agent_call goes back to.
	RescheduleTo string
	// Machine: AMD classified the answer as an answering machine.
	Machine bool
	// AgentConnected: the answered customer was connected to an agent
	// (queue answered, or the extension answered), AgentWait after the
	// customer's answer (0: unknown, taken as in time).
	AgentConnected bool
	AgentWait      time.Duration
	// SafeHarbor: no agent was free in time; the safe-harbor message was
	// played and the call hung up (abandoned).
	SafeHarbor bool
	// Recording names the call's recording (an agent-first conversation
	// with an agent whose calls are recorded); empty: none.
	Recording string
	// Reason says why the attempt ended as it did, when the placer
	// returns no error (an SMS the gateway refused, a blocked number).
	Reason string
	// Final: the record is not attempted again whatever its status (an
	// SMS whose send may have been accepted, input that fails alike).
	Final bool
}

// Abandoned reports whether an attempt's result counts as an abandoned
// call: for agent-paced campaigns, a live-answered customer not connected
// to an agent within AbandonAfter of answering — safe-harbor calls and
// AMD-dropped calls (a machine hung up on) included.
func Abandoned(c *Campaign, res Result) bool {
	if !AgentPaced(c) || !res.Answered {
		return false
	}
	if res.Machine {
		return c.MachineAction != MachineFlow
	}
	if res.SafeHarbor {
		return true
	}
	return !res.AgentConnected || res.AgentWait > AbandonAfter
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
	// StatusMachine: AMD heard an answering machine and the call was hung
	// up (the ADS Detailed Report's status "answmachine").
	StatusMachine = "answmachine"
	// StatusAbandoned: answered, no agent free within AbandonAfter; the
	// safe-harbor message was played.
	StatusAbandoned = "ABANDONED"
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
	// ScreenAll, if set, screens the numbers of a step's claimed records in
	// one batch (a reason per number not to dial); Screen then checks only
	// records the batch could not.
	ScreenAll func(ctx context.Context, accountID int64, numbers []string) (map[string]string, error)
	// Status reads the campaign's current status (pause/cancel from the
	// API take effect at the next step).
	Status func(ctx context.Context) (string, error)
	// Finished is called once when a Running campaign has no record left
	// and no call in progress (the caller moves it to Finished).
	Finished func(ctx context.Context) error
	Clock    Clock
	// Interval between steps (default 1 s).
	Interval time.Duration
	// RenewAfter is how long a record being dialed holds its lease before
	// the runner renews it (default Interval). Set it well under the
	// store's lease (a quarter, say): a call shorter than RenewAfter never
	// has its lease written again, where renewing every call's lease at
	// every interval wrote each record in progress once a second.
	RenewAfter time.Duration
	// GlobalMultiplier is the ads_multiplier (default 1).
	GlobalMultiplier float64
	// Location is where the calling window is evaluated for a record with
	// no time zone of its own (neither a time-zone variable nor a number
	// whose country has one zone): the account's time zone; default UTC.
	Location *time.Location
	// DefaultRegion is the ISO country of numbers written without a
	// country code (for their time zone), e.g. "US".
	DefaultRegion string
	// Agent-first campaigns: free agents are reserved from Reserver, called
	// through Sessions, and Popup (optional) gets the agent popup events
	// (Dial, Answered, Terminal).
	Reserver AgentReserver
	Sessions SessionPlacer
	Popup    func(PopupEvent)
	// RecordingURL, if set, is the download URL of a recording (the call
	// log's RecordingUrl of recorded agent-first conversations).
	RecordingURL func(name string) string
	// Leads serves agent-first campaigns with a lead webhook (see
	// Campaign.LeadWebhook) and the call-log webhook.
	Leads LeadSource
	// OnDial, if set, is called right before every originate (pacing
	// latency measurements).
	OnDial func(PlaceRequest)
	// ClaimAhead, if positive, is how many records the runner keeps
	// claimed before a line is free for them (see claimahead.go;
	// ClaimAheadFor gives the usual figure).
	ClaimAhead int
	Logger     *slog.Logger

	mu     sync.Mutex
	active map[int64]*inflight
	ready  []readyRecord // claimed ahead, oldest first
	// drainedAt: a claim of a runner that claims ahead got fewer records
	// than it asked for (the list is drained for now); Wake clears it.
	drainedAt time.Time
	pred      predictorState
	wg        sync.WaitGroup
	tokens    float64
	lastFill  time.Time
	// renewedAt is when the leases of the calls in progress were last
	// looked at for renewal.
	renewedAt time.Time
	// lastStatus is the campaign status read at lastStatusAt.
	lastStatus   string
	lastStatusAt time.Time
	// ended is signalled when a call ends (Run coalesces these).
	ended    chan struct{}
	wake     chan struct{}
	once     sync.Once
	stats    Progress
	finished bool // Finished was called
	stopped  bool // the last step saw Finished or Cancelled
	adopted  bool // orphans of the previous run recovered
	sessions int  // agent-first sessions open
	af       agentFirstState
}

// Progress is the runner's live view.
type Progress struct {
	Dialed    int64 `json:"dialed"`
	Answered  int64 `json:"answered"`
	Abandoned int64 `json:"abandoned"`
	Active    int   `json:"active"`
	Ringing   int   `json:"ringing"`
	DialLevel int   `json:"dial_level"` // target concurrent calls at the last step
	// Agent-paced campaigns: the abandon windows (this runner's view,
	// including other nodes' calls as of its last reload).
	Abandon *AbandonWindows `json:"abandon,omitempty"`
	// Predictive campaigns.
	AnswerRate float64 `json:"answer_rate,omitempty"`
	Gain       float64 `json:"gain,omitempty"`
	// Fallback: the abandon cap is exceeded, pacing as progressive.
	Fallback bool `json:"fallback,omitempty"`
}

// inflight is one call in progress.
type inflight struct {
	dialedAt time.Time
	// leasedAt is when the record's lease was taken or last renewed.
	leasedAt   time.Time
	answered   bool
	answeredAt time.Time
	// ended: the call is over and its outcome is being recorded; it no
	// longer holds a line (the pacer may dial the next record), but its
	// lease is still renewed until the outcome is written.
	ended bool
}

// linesLocked counts the calls in progress that still hold a line.
func (r *Runner) linesLocked() int {
	n := 0
	for _, c := range r.active {
		if !c.ended {
			n++
		}
	}
	return n
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.active = map[int64]*inflight{}
		r.wake = make(chan struct{}, 1)
		r.ended = make(chan struct{}, 1)
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
	p := r.stats
	p.Active = len(r.active)
	p.Ringing = r.ringingLocked()
	r.mu.Unlock()
	if AgentPaced(&r.Campaign) {
		r.pred.mu.Lock()
		w := r.pred.p.Windows(r.Clock.Now())
		p.Abandon = &w
		if r.Campaign.Mode == ModePredictive {
			p.AnswerRate, p.Gain, p.Fallback = r.pred.p.AnswerRate(), r.pred.p.Gain(), r.pred.p.FallingBack()
		}
		r.pred.mu.Unlock()
	}
	return p
}

// ringingLocked counts the calls that hold no agent yet: not answered, or
// answered less than AbandonAfter ago (on their way to the queue, where
// the ACD counts them as waiting or their agent as busy).
func (r *Runner) ringingLocked() int {
	n := 0
	now := r.Clock.Now()
	for _, c := range r.active {
		if c.ended {
			continue
		}
		if !c.answered || now.Sub(c.answeredAt) < AbandonAfter {
			n++
		}
	}
	return n
}

// Active is the number of calls in progress.
func (r *Runner) Active() int {
	r.init()
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.active)
}

// Wake makes Run step now instead of at the next interval (the ACD calls
// it, through the supervisor, when an agent of the campaign's queue
// becomes free).
func (r *Runner) Wake() {
	r.init()
	r.mu.Lock()
	r.drainedAt = time.Time{} // new records may be due: claim at once
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Wait blocks until every call started so far has ended and its outcome
// is recorded.
func (r *Runner) Wait() { r.wg.Wait() }

// Run steps until ctx ends, the campaign finishes, or a step sees it
// Finished or Cancelled; then it waits for the calls in progress.
func (r *Runner) Run(ctx context.Context) error {
	r.init()
	defer r.wg.Wait()
	// Before waiting for the calls: hand back what was claimed ahead.
	defer r.releaseOnStop(ctx)
	ended := false
	for {
		if err := r.step(ctx, ended); err != nil && ctx.Err() == nil {
			r.Logger.Warn("pacing step failed", "error", err)
		}
		if r.isFinished() {
			return nil
		}
		ended = false
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.Clock.After(r.Interval):
		case <-r.wake:
		case <-r.ended:
			// Calls ending together are paced by one step (one claim,
			// one status read): wait a moment for the others.
			ended = true
			t := time.NewTimer(endedCoalesce)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-r.wake:
				t.Stop()
			case <-t.C:
			}
		}
	}
}

// endedCoalesce is how long Run waits after a call ended for other calls
// ending, so that one step replaces them all.
const endedCoalesce = 5 * time.Millisecond

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
func (r *Runner) Step(ctx context.Context) error { return r.step(ctx, false) }

// step is Step; afterEnded (a step run because calls ended) reuses a
// campaign status read less than an interval ago: pause and cancel take
// effect within an interval, and a busy campaign does not read its status
// once per call.
func (r *Runner) step(ctx context.Context, afterEnded bool) error {
	r.init()
	c := &r.Campaign
	now := r.Clock.Now()
	// Leases are looked at once per interval, not at every step (a step
	// runs whenever a call ends), and only those held RenewAfter or longer
	// are renewed: each renewal writes its records.
	r.mu.Lock()
	active := r.linesLocked()
	ringing := r.ringingLocked()
	var ids []int64
	if len(r.active)+len(r.ready) > 0 && (r.renewedAt.IsZero() || now.Sub(r.renewedAt) >= r.Interval || now.Before(r.renewedAt)) {
		r.renewedAt = now
		after := r.RenewAfter
		if after <= 0 {
			after = r.Interval
		}
		due := func(at time.Time) bool { return at.IsZero() || now.Sub(at) >= after || now.Before(at) }
		for id, f := range r.active {
			if due(f.leasedAt) {
				ids = append(ids, id)
				f.leasedAt = now
			}
		}
		// Records claimed ahead hold leases too.
		for i := range r.ready {
			if rr := &r.ready[i]; due(rr.leasedAt) {
				ids = append(ids, rr.rec.ID)
				rr.leasedAt = now
			}
		}
	}
	r.mu.Unlock()
	if len(ids) > 0 {
		if err := r.Records.Renew(ctx, ids, now); err != nil {
			r.Logger.Warn("renew leases", "error", err)
		}
	}
	status := StatusRunning
	if r.Status != nil {
		r.mu.Lock()
		fresh := afterEnded && r.lastStatus != "" && now.Sub(r.lastStatusAt) < r.Interval && !now.Before(r.lastStatusAt)
		status = r.lastStatus
		r.mu.Unlock()
		if !fresh {
			s, err := r.Status(ctx)
			if err != nil {
				return fmt.Errorf("dialer: campaign status: %w", err)
			}
			status = s
			r.mu.Lock()
			r.lastStatus, r.lastStatusAt = s, now
			r.mu.Unlock()
		}
	}
	if !Active(status) {
		// Paused, cancelled or finished: the records claimed ahead go back.
		r.releaseReady(ctx)
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
	adopted := r.adopted
	r.adopted = true
	r.mu.Unlock()
	if !adopted {
		if err := r.recoverOrphans(ctx); err != nil {
			r.mu.Lock()
			r.adopted = false
			r.mu.Unlock()
			return err
		}
		r.mu.Lock()
		active = r.linesLocked()
		ringing = r.ringingLocked()
		r.mu.Unlock()
	}
	if c.Mode == ModeAgentFirst {
		return r.stepAgentFirst(ctx)
	}
	var want int
	if NeedsAgents(c) {
		if r.Agents == nil {
			return errors.New("dialer: campaign paces by free agents but no agent state is configured")
		}
		st, err := r.Agents.Staffing(ctx, c.AccountID, c.Queue)
		if err != nil {
			return fmt.Errorf("dialer: staffing of queue %q: %w", c.Queue, err)
		}
		r.loadHistory(ctx, now)
		if c.Mode == ModePredictive {
			r.pred.mu.Lock()
			want = r.pred.p.Want(c, ringing, st, now)
			r.pred.mu.Unlock()
		} else {
			want = Want(c, ringing, st, r.GlobalMultiplier)
		}
		// Answered calls beyond the ringing ones still hold lines.
		want = min(want, max(c.SimultaneousCalls-active, 0))
	} else {
		want = Want(c, active, Staffing{}, r.GlobalMultiplier)
	}
	r.mu.Lock()
	r.stats.DialLevel = ringing + want
	if !NeedsAgents(c) {
		r.stats.DialLevel = active + want
	}
	want = r.takeTokens(now, want)
	r.mu.Unlock()
	if want == 0 && r.ClaimAhead <= 0 {
		return r.maybeFinish(ctx, active)
	}
	if !r.placerAvailable() {
		// Asterisk is restarting or unreachable: wait, do not dial into it.
		return nil
	}
	r.mu.Lock()
	starts := r.takeReadyLocked(want, now)
	need := want - len(starts)
	ahead := r.claimAheadLocked(need)
	if r.drainedLocked(now) {
		need, ahead = 0, 0
	}
	r.mu.Unlock()
	if need > 0 || ahead > 0 {
		recs, err := r.Records.Claim(ctx, now, need+ahead)
		if err != nil {
			r.startAll(ctx, starts)
			return fmt.Errorf("dialer: claim: %w", err)
		}
		r.screenClaimed(ctx, recs)
		n := min(need, len(recs))
		starts = append(starts, recs[:n]...)
		r.mu.Lock()
		for _, rec := range recs[n:] {
			r.ready = append(r.ready, readyRecord{rec: rec, claimedAt: now, leasedAt: now})
		}
		r.drainedAt = time.Time{}
		if r.ClaimAhead > 0 && len(recs) < need+ahead {
			r.drainedAt = now
		}
		r.mu.Unlock()
	}
	if len(starts) == 0 {
		return r.maybeFinish(ctx, active)
	}
	r.startAll(ctx, starts)
	return nil
}

// startAll starts each record's attempt; a record reclaimed from a node
// whose lease expired is settled from its call record first (reclaim).
func (r *Runner) startAll(ctx context.Context, recs []Record) {
	for _, rec := range recs {
		if rec.Reclaimed {
			r.reclaim(ctx, rec)
			continue
		}
		r.start(ctx, rec)
	}
}

// screenClaimed screens the claimed records' numbers with ScreenAll, one
// batch per account; when it fails, each record is screened at its dial.
func (r *Runner) screenClaimed(ctx context.Context, recs []Record) {
	if r.ScreenAll == nil {
		return
	}
	byAccount := map[int64][]string{}
	for _, rec := range recs {
		if n := calllist.NumberForAttempt(rec.Numbers, rec.Attempt); n != "" {
			byAccount[rec.AccountID] = append(byAccount[rec.AccountID], n)
		}
	}
	for acc, nums := range byAccount {
		reasons, err := r.ScreenAll(ctx, acc, nums)
		if err != nil {
			r.Logger.Warn("screen claimed numbers (each is screened at its dial)", "account", acc, "error", err)
			continue
		}
		for i := range recs {
			if recs[i].AccountID == acc {
				recs[i].screened = true
				recs[i].blocked = reasons[calllist.NumberForAttempt(recs[i].Numbers, recs[i].Attempt)]
			}
		}
	}
}

func (r *Runner) maybeFinish(ctx context.Context, active int) error {
	r.mu.Lock()
	writing := len(r.active) // calls ended but not yet recorded count too
	ready := len(r.ready)
	r.mu.Unlock()
	if active > 0 || writing > 0 || ready > 0 || r.Finished == nil {
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

// historyReload is how often the abandon history is reloaded from the
// store (other nodes' calls; this runner's own are counted as they end).
const historyReload = 5 * time.Minute

// loadHistory (re)loads the persisted abandon history when the records
// source keeps one.
func (r *Runner) loadHistory(ctx context.Context, now time.Time) {
	h, ok := r.Records.(AbandonHistory)
	if !ok {
		return
	}
	r.pred.mu.Lock()
	due := r.pred.loadedAt.IsZero() || now.Sub(r.pred.loadedAt) >= historyReload || now.Before(r.pred.loadedAt)
	r.pred.mu.Unlock()
	if !due {
		return
	}
	hours, err := h.AbandonHours(ctx, now.Add(-AbandonMonth))
	if err != nil {
		r.Logger.Warn("load abandon history", "error", err)
		return
	}
	r.pred.mu.Lock()
	r.pred.p.Load(hours)
	r.pred.loadedAt = now
	r.pred.mu.Unlock()
}

func (r *Runner) start(ctx context.Context, rec Record) {
	r.mu.Lock()
	now := r.Clock.Now()
	r.active[rec.ID] = &inflight{dialedAt: now, leasedAt: now} // leased by its claim, just now
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		o := r.dial(ctx, rec)
		o.RecordID, o.RequestID = rec.ID, rec.RequestID
		// The line is free (if the placer did not say so earlier): the
		// pacer may dial the next record while this outcome is written.
		r.lineFree(rec.ID)
		// The outcome is recorded even through a store outage (finish
		// retries until shutdown; the lease is renewed meanwhile).
		if err := r.finish(ctx, o); err != nil {
			r.Logger.Error("record attempt outcome", "record", rec.ID, "status", o.Status, "error", err)
		}
		r.mu.Lock()
		delete(r.active, rec.ID)
		r.mu.Unlock()
		select {
		case r.ended <- struct{}{}:
		default:
		}
	}()
}

// lineFree marks a record's call ended (its line free for the pacer) and
// wakes the pacer, once.
func (r *Runner) lineFree(id int64) {
	r.mu.Lock()
	f := r.active[id]
	wake := f != nil && !f.ended
	if wake {
		f.ended = true
	}
	r.mu.Unlock()
	if wake {
		select {
		case r.ended <- struct{}{}:
		default:
		}
	}
}

// windowLocation is the time zone the campaign's calling hours apply in
// for the record (RecordLocation), or nil when the campaign has none.
func (r *Runner) windowLocation(rec Record, number string) *time.Location {
	if r.Campaign.CallingWindow.IsZero() {
		return nil
	}
	return RecordLocation(rec, number, r.DefaultRegion, r.Location)
}

// dial places one attempt and decides what follows.
func (r *Runner) dial(ctx context.Context, rec Record) Outcome {
	return r.dialWith(ctx, rec, r.Placer)
}

// dialWith places one attempt through p.
func (r *Runner) dialWith(ctx context.Context, rec Record, p Placer) Outcome {
	c := &r.Campaign
	number := calllist.NumberForAttempt(rec.Numbers, rec.Attempt)
	if number == "" {
		return Outcome{Status: StatusNoNumber, Reason: "record has no number"}
	}
	if rec.screened {
		if rec.blocked != "" {
			return Outcome{Status: StatusBlocked, Reason: rec.blocked}
		}
	} else if r.Screen != nil {
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
	now := r.Clock.Now()
	// Calling hours apply in the record's time zone; without hours the
	// zone is not looked up (parsing the number against the numbering
	// plan was a third of a dial's own CPU in a profile).
	if loc := r.windowLocation(rec, number); !c.CallingWindow.Allows(now, loc) {
		// Outside the record's calling hours: not dialed, due again when
		// its window opens.
		return Outcome{Release: true, NextAttemptAt: c.CallingWindow.NextOpen(now, loc)}
	}
	r.mu.Lock()
	r.stats.Dialed++
	r.mu.Unlock()
	var answeredAt time.Time
	req := PlaceRequest{Campaign: c, Record: rec, Number: number, Endpoint: c.Endpoint(number), Extension: rec.ScheduleExtension}
	req.OnAnswer = func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if f := r.active[rec.ID]; f != nil && !f.answered {
			answeredAt = r.Clock.Now()
			f.answered, f.answeredAt = true, answeredAt
		}
	}
	req.OnLineFree = func() { r.lineFree(rec.ID) }
	if r.OnDial != nil {
		r.OnDial(req)
	}
	res, err := p.Place(ctx, req)
	if err != nil && !res.Answered && (ctx.Err() != nil || errors.Is(err, ErrNotPlaced)) {
		// Placers return an error only for calls they did not place:
		// shutting down, or the platform cannot take calls (Asterisk
		// restarting, store down). Hand the claim back uncounted; the
		// runner waits for the placer to be available again.
		if ctx.Err() == nil {
			r.Logger.Warn("call not placed; the record is dialed once the platform is back", "record", rec.ID, "error", err)
		}
		r.mu.Lock()
		r.stats.Dialed--
		r.mu.Unlock()
		return Outcome{Release: true}
	}
	if err != nil && res.Status == "" {
		res.Status = "FAILED"
	}
	abandoned := Abandoned(c, res)
	r.mu.Lock()
	if res.Answered {
		r.stats.Answered++
	}
	if abandoned {
		r.stats.Abandoned++
	}
	var ring time.Duration
	if f := r.active[rec.ID]; f != nil && !answeredAt.IsZero() {
		ring = answeredAt.Sub(f.dialedAt)
	}
	r.mu.Unlock()
	end := r.Clock.Now()
	live := AgentPaced(c) && res.Answered
	if AgentPaced(c) {
		r.pred.mu.Lock()
		r.pred.p.Dialed(res.Answered && !res.Machine, ring)
		if live {
			r.pred.p.Connected(end, abandoned, c.AbandonCap())
		}
		r.pred.mu.Unlock()
	}
	reason := res.Reason
	if err != nil {
		reason = err.Error()
	}
	retry, at := Next(c, res.Status, rec.Attempt, res.Rescheduled, res.RescheduleAt, end)
	if res.Final {
		retry, at = false, time.Time{}
	}
	o := Outcome{Status: res.Status, Reason: reason, Retry: retry, NextAttemptAt: at, Live: live, Abandoned: abandoned}
	if retry && res.Rescheduled {
		o.Rescheduled, o.CallbackTo = true, res.RescheduleTo
	}
	return o
}
