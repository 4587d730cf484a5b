// Package supervisor runs one dialer.Runner per Running campaign: it
// resumes Running campaigns at boot (after a restart), starts a runner when
// a campaign is started or resumed, releases it when the campaign is
// paused (once its calls have ended), cancelled or finished, and stops
// every runner on shutdown.
package supervisor

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/store"
)

// Supervisor owns the campaign runners of this process.
type Supervisor struct {
	// Store holds campaigns and call-list records.
	Store *store.Store
	// Node is this instance's name; the lease owner is Node + a run id
	// unique to this process, so a restarted node never finishes a claim
	// of its previous life.
	Node string
	// Placer places the calls (ariplacer.Placer in the daemon).
	Placer dialer.Placer
	// SMS sends the messages of sms campaigns (the messaging service in
	// the daemon); without it an sms campaign gets no runner (logged,
	// tried again at each resync).
	SMS dialer.SMSSender
	// Agents reports live staffing for agent-paced campaigns (default
	// NoQueues).
	Agents dialer.AgentState
	// GlobalMultiplier is the ads_multiplier (SWITCHYARD_DIAL_MULTIPLIER).
	GlobalMultiplier float64
	// Interval between pacing steps (default 1 s).
	Interval time.Duration
	// Reserver, Sessions and Popup serve agent-first campaigns (the ACD
	// reserves agents; ariplacer.Sessions calls them; Popup goes to the
	// agent popup webhooks).
	Reserver dialer.AgentReserver
	Sessions dialer.SessionPlacer
	Popup    func(dialer.PopupEvent)
	// RecordingURL is the download URL of a recording (agent-first call
	// logs' RecordingUrl).
	RecordingURL func(name string) string
	// Location is the time zone of calling windows for records with no
	// zone of their own (default UTC); DefaultRegion the ISO country of
	// numbers without a country code.
	Location      *time.Location
	DefaultRegion string
	// AccountCountry, when set, gives the campaign account's own default
	// country (PUT /api/v1/account/country), which wins over
	// DefaultRegion for that account's runners.
	AccountCountry func(ctx context.Context, accountID int64) (string, error)
	// AccountLocation, when set, gives the campaign account's own time
	// zone, which wins over Location for that account's runners (read when
	// a runner starts).
	AccountLocation func(ctx context.Context, accountID int64) (*time.Location, error)
	// Leads serves agent-first campaigns with a lead or call-log webhook
	// (dialer/leadhook.Source in the daemon).
	Leads dialer.LeadSource
	// Clock is the runners' clock (default the system clock): it drives
	// the pacing steps. The supervisor's own recurring work runs on a
	// robfig/cron scheduler: SweepSchedule (default DefaultSweep: release
	// paused runners whose calls have ended) and ResyncSchedule (default
	// DefaultResync: adopt Running campaigns this node has no runner for,
	// e.g. started through another node, and settle runners whose campaign
	// changed elsewhere). "-" disables a job; Sweep and Resync can be
	// called directly.
	Clock dialer.Clock
	// Trunks, when set, resolve every campaign's trunk name to its
	// endpoint template (DefaultTrunk for a campaign naming none); a
	// campaign whose trunk is not configured gets no runner (logged, tried
	// again at each resync). A stored template is used only for a campaign
	// naming no trunk (written by the operator, not through the API).
	Trunks         dialer.Trunks
	DefaultTrunk   string
	SweepSchedule  string
	ResyncSchedule string
	Logger         *slog.Logger

	mu      sync.Mutex
	ctx     context.Context
	cancel  context.CancelFunc
	owner   string
	runs    map[int64]*run
	wg      sync.WaitGroup
	started bool
	closing bool
	cron    *cron.Cron
}

type run struct {
	accountID int64
	runner    *dialer.Runner
	cancel    context.CancelFunc
	stopping  bool // cancelled: the runner is ending
	paused    bool // paused: the sweep releases it once its calls ended
	// updated is the campaign's updated_at the runner was built from: a
	// newer one (a flow's dialing settings changed) restarts the runner.
	updated time.Time
}

// ErrNotStarted is returned by Notify before Start.
var ErrNotStarted = errors.New("supervisor: not started")

// NoQueues is the agent state when no ACD is wired: no queue has an agent,
// so agent-paced campaigns (progressive, multiplied, predictive) place no
// calls (multicast campaigns need no agents). It logs once per queue.
type NoQueues struct {
	Logger *slog.Logger
	logged sync.Map
}

// Staffing always reports an empty queue.
func (n *NoQueues) Staffing(_ context.Context, accountID int64, queue string) (dialer.Staffing, error) {
	if _, seen := n.logged.LoadOrStore(fmt.Sprintf("%d/%s", accountID, queue), true); !seen && n.Logger != nil {
		n.Logger.Warn("no agent state is wired: campaigns paced by free agents place no calls", "account", accountID, "queue", queue)
	}
	return dialer.Staffing{}, nil
}

// Owner is the lease owner of this process's claims (after Start).
func (s *Supervisor) Owner() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.owner
}

// Start resumes every Running campaign. Runners live until Stop (or until
// ctx ends).
func (s *Supervisor) Start(ctx context.Context) error {
	if s.Store == nil || s.Placer == nil {
		return errors.New("supervisor: Store and Placer are required")
	}
	for _, spec := range []string{s.SweepSchedule, s.ResyncSchedule} {
		if spec == "" || spec == "-" {
			continue
		}
		if _, err := cron.ParseStandard(spec); err != nil {
			return fmt.Errorf("supervisor: schedule %q: %w", spec, err)
		}
	}
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return errors.New("supervisor: already started")
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Agents == nil {
		s.Agents = &NoQueues{Logger: s.Logger}
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s.owner = s.Node + "-" + hex.EncodeToString(b[:])
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.runs = map[int64]*run{}
	s.started = true
	s.mu.Unlock()
	cs, err := s.Store.ListCampaignsByStatus(ctx, dialer.StatusRunning)
	if err != nil {
		return fmt.Errorf("supervisor: resume campaigns: %w", err)
	}
	for _, c := range cs {
		s.ensure(c)
	}
	if len(cs) > 0 {
		s.Logger.Info("resumed running campaigns", "count", len(cs), "owner", s.owner)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return nil
	}
	return s.startCron()
}

// Notify tells the supervisor that a campaign changed status (the API
// calls it after start/pause/resume/cancel): a Running campaign gets a
// runner, a Paused one's runner is released once its calls have ended, a
// Cancelled or Finished one's runner stops taking calls and ends after the
// calls in progress.
func (s *Supervisor) Notify(ctx context.Context, accountID, id int64) error {
	s.mu.Lock()
	ok := s.started && !s.closing
	s.mu.Unlock()
	if !ok {
		return ErrNotStarted
	}
	sc, err := s.Store.GetCampaign(ctx, accountID, id)
	if err != nil {
		return fmt.Errorf("supervisor: campaign %d: %w", id, err)
	}
	switch sc.Status {
	case dialer.StatusRunning:
		s.mu.Lock()
		if r, ok := s.runs[id]; ok {
			r.paused = false
		}
		s.mu.Unlock()
		s.ensure(sc)
	case dialer.StatusPaused:
		s.watchPause(id)
	default:
		s.stop(id)
	}
	return nil
}

// Progress is the live view of a campaign's runner in this process.
func (s *Supervisor) Progress(accountID, id int64) (dialer.Progress, bool) {
	s.mu.Lock()
	r, ok := s.runs[id]
	s.mu.Unlock()
	if !ok || r.accountID != accountID {
		return dialer.Progress{}, false
	}
	return r.runner.Progress(), true
}

// Wake makes the runners of the account's agent-paced campaigns on queue
// step now (wire it to the ACD's agent-state changes: an agent becoming
// free gets its next call without waiting for the pacing interval).
func (s *Supervisor) Wake(accountID int64, queue string) {
	s.mu.Lock()
	var rs []*dialer.Runner
	for _, r := range s.runs {
		c := &r.runner.Campaign
		if r.accountID == accountID && c.Queue == queue && (dialer.AgentPaced(c) || c.Mode == dialer.ModeAgentFirst) {
			rs = append(rs, r.runner)
		}
	}
	s.mu.Unlock()
	for _, r := range rs {
		r.Wake()
	}
}

// WakeQueues is Wake for each of the queues: an agent of them freed up, so
// the campaigns they pace dial now, not at their next pacing step (the
// ACD's OnAgentFree).
func (s *Supervisor) WakeQueues(accountID int64, queues []string) {
	for _, q := range queues {
		s.Wake(accountID, q)
	}
}

// Poke makes a campaign's runner step now, starting one if the campaign is
// Running and has none here (a flow's dialing campaign after an import).
func (s *Supervisor) Poke(ctx context.Context, accountID, id int64) error {
	s.mu.Lock()
	r, ok := s.runs[id]
	alive := ok && !r.stopping && !r.paused
	s.mu.Unlock()
	if !alive {
		if err := s.Notify(ctx, accountID, id); err != nil {
			return err
		}
		s.mu.Lock()
		r, ok = s.runs[id]
		s.mu.Unlock()
	}
	if ok {
		r.runner.Wake()
	}
	return nil
}

// Running reports how many runners are alive.
func (s *Supervisor) Running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.runs)
}

// Stop makes every runner stop taking calls; the calls in progress end on
// their own (or when the call manager drains). Wait waits for them.
func (s *Supervisor) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started || s.closing {
		return
	}
	s.closing = true
	s.cancel()
	if s.cron != nil {
		s.cron.Stop()
	}
}

// Wait waits until every runner has ended and recorded its outcomes, or
// ctx ends.
func (s *Supervisor) Wait(ctx context.Context) error {
	done := make(chan struct{})
	s.mu.Lock()
	c := s.cron
	s.mu.Unlock()
	go func() {
		if c != nil {
			<-c.Stop().Done() // no job still running
		}
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("supervisor: runners still ending: %w", ctx.Err())
	}
}

// region is the default country of an account's national numbers: its
// own, else DefaultRegion (also when the lookup fails, which is logged).
func (s *Supervisor) region(accountID int64) string {
	if s.AccountCountry == nil {
		return s.DefaultRegion
	}
	base := s.ctx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithTimeout(base, 5*time.Second)
	defer cancel()
	cc, err := s.AccountCountry(ctx, accountID)
	if err != nil {
		s.Logger.Warn("account country unavailable; using the default", "account", accountID, "error", err)
		return s.DefaultRegion
	}
	if cc == "" {
		return s.DefaultRegion
	}
	return cc
}

// location is the time zone of an account's calling windows for records
// with no zone of their own: the account's, else Location (also when the
// lookup fails, which is logged).
func (s *Supervisor) location(accountID int64) *time.Location {
	if s.AccountLocation == nil {
		return s.Location
	}
	base := s.ctx
	if base == nil {
		base = context.Background()
	}
	ctx, cancel := context.WithTimeout(base, 5*time.Second)
	defer cancel()
	loc, err := s.AccountLocation(ctx, accountID)
	if err != nil || loc == nil {
		s.Logger.Warn("account time zone unavailable; using the default", "account", accountID, "error", err)
		return s.Location
	}
	return loc
}

// ensure starts a runner for a Running campaign unless one is alive. A
// runner that is ending is left to end: its goroutine re-reads the status
// and starts a new one if the campaign is Running again.
func (s *Supervisor) ensure(sc store.Campaign) {
	c := sc.Campaign
	region := s.region(c.AccountID)
	loc := s.location(c.AccountID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	if r, ok := s.runs[c.ID]; ok {
		if c.Source == dialer.SourceFlow && !r.stopping && sc.UpdatedAt.After(r.updated) {
			// A flow's dialing settings changed while it runs: this runner
			// ends after its calls, and its goroutine starts one with the
			// new settings.
			s.Logger.Info("dialing settings changed: restarting the runner", "campaign", c.ID, "account", c.AccountID)
			r.stopping = true
			r.cancel()
		}
		return
	}
	log := s.Logger.With("campaign", c.ID, "account", c.AccountID)
	placer := s.Placer
	if c.IsSMS() {
		// Sent through the SMS gateway: no trunk.
		if s.SMS == nil {
			log.Error("sms campaign not sent: no SMS gateway is configured")
			return
		}
		placer = &dialer.SMSPlacer{Sender: s.SMS, Journal: dialerstore.SMSJournal{Store: s.Store}, Logger: log}
	} else if s.Trunks != nil && (c.Trunk != "" || c.EndpointTemplate == "") {
		name := c.Trunk
		if name == "" {
			name = s.DefaultTrunk
		}
		tmpl, ok := s.Trunks[name]
		if !ok {
			log.Error("campaign not dialed: its trunk is not configured (SWITCHYARD_TRUNKS)", "trunk", name)
			return
		}
		c.EndpointTemplate = tmpl
	}
	finished := dialerstore.Finished(s.Store, c.AccountID, c.ID)
	if c.Source == dialer.SourceFlow {
		finished = nil // a flow's dialing never finishes: new lists keep coming
	}
	rctx, cancel := context.WithCancel(s.ctx)
	rn := &dialer.Runner{
		Campaign:         c,
		Records:          &dialerstore.Records{Store: s.Store, Campaign: c, Owner: s.owner, NodePrefix: s.Node + "-"},
		Placer:           placer,
		Agents:           s.Agents,
		Screen:           dialerstore.CampaignScreen(s.Store, c),
		ScreenAll:        dialerstore.CampaignScreenAll(s.Store, c),
		Status:           dialerstore.Status(s.Store, c.AccountID, c.ID),
		Finished:         finished,
		Clock:            s.Clock,
		Interval:         s.Interval,
		RenewAfter:       dialerstore.DefaultLease / 4,
		ClaimAhead:       dialer.ClaimAheadFor(c.SimultaneousCalls),
		GlobalMultiplier: s.GlobalMultiplier,
		Location:         loc,
		Reserver:         s.Reserver,
		Sessions:         s.Sessions,
		Popup:            s.Popup,
		RecordingURL:     s.RecordingURL,
		Leads:            s.Leads,
		DefaultRegion:    region,
		Logger:           s.Logger,
	}
	r := &run{accountID: c.AccountID, runner: rn, cancel: cancel, updated: sc.UpdatedAt}
	s.runs[c.ID] = r
	s.wg.Add(1)
	log.Info("campaign runner started", "mode", c.Mode, "owner", s.owner)
	go func() {
		defer s.wg.Done()
		err := rn.Run(rctx)
		cancel()
		s.mu.Lock()
		delete(s.runs, c.ID)
		closing := s.closing
		s.mu.Unlock()
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Warn("campaign runner ended", "error", err)
		} else {
			log.Info("campaign runner ended")
		}
		if closing {
			return
		}
		// Started or resumed again while this runner was ending?
		gctx, gcancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer gcancel()
		sc, err := s.Store.GetCampaign(gctx, c.AccountID, c.ID)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) && s.ctx.Err() == nil {
				log.Warn("campaign status after runner ended", "error", err)
			}
			return
		}
		if sc.Status == dialer.StatusRunning {
			s.ensure(sc)
		}
	}()
}

// stop cancels a campaign's runner: it claims nothing more and ends after
// its calls in progress.
func (s *Supervisor) stop(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok && !r.stopping {
		r.stopping = true
		r.cancel()
	}
}

// watchPause marks a paused campaign's runner for release: the sweep job
// releases it once it has no call in progress (until then it keeps
// renewing their leases). A paused runner places no calls; if the campaign
// is resumed first, the sweep leaves it.
func (s *Supervisor) watchPause(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[id]; ok && !r.stopping && !s.closing {
		r.paused = true
	}
}

// DefaultSweep and DefaultResync are the schedules of the supervisor's
// recurring jobs (robfig/cron specs).
const (
	DefaultSweep  = "@every 1s"
	DefaultResync = "@every 30s"
)

// startCron schedules the recurring jobs (sweep, resync) on a cron.Cron.
func (s *Supervisor) startCron() error {
	c := cron.New(cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, j := range []struct {
		name, spec string
		def        string
		fn         func(context.Context)
	}{
		{"sweep", s.SweepSchedule, DefaultSweep, s.Sweep},
		{"resync", s.ResyncSchedule, DefaultResync, s.Resync},
	} {
		spec := j.spec
		if spec == "" {
			spec = j.def
		}
		if spec == "-" {
			continue
		}
		fn := j.fn
		if _, err := c.AddFunc(spec, func() { fn(s.ctx) }); err != nil {
			return fmt.Errorf("supervisor: %s schedule %q: %w", j.name, spec, err)
		}
	}
	s.cron = c
	c.Start()
	return nil
}

// Sweep releases the runners of paused campaigns that have no call in
// progress any more (the sweep job; tests may call it directly).
func (s *Supervisor) Sweep(ctx context.Context) {
	s.mu.Lock()
	var ids []int64
	for id, r := range s.runs {
		if r.paused && !r.stopping && r.runner.Active() == 0 {
			ids = append(ids, id)
		}
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.mu.Lock()
		r, ok := s.runs[id]
		s.mu.Unlock()
		if !ok {
			continue
		}
		st, err := dialerstore.Status(s.Store, r.accountID, id)(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, store.ErrNotFound) {
				s.Logger.Warn("sweep: campaign status", "campaign", id, "error", err)
				continue
			}
			if ctx.Err() != nil {
				return
			}
		}
		if st == dialer.StatusRunning {
			// Resumed meanwhile: the runner goes on.
			s.mu.Lock()
			r.paused = false
			s.mu.Unlock()
			continue
		}
		// Paused (a resume racing with this is safe: the runner's
		// goroutine re-reads the status when it ends), or gone.
		s.stop(id)
	}
}

// Resync reconciles the runners with the store (the resync job; tests may
// call it directly): a Running campaign without a runner here gets one
// (started through another node's API, or a notification was lost), and
// a runner whose campaign is no longer Running is handled as Notify would.
func (s *Supervisor) Resync(ctx context.Context) {
	s.mu.Lock()
	ok := s.started && !s.closing
	s.mu.Unlock()
	if !ok {
		return
	}
	cs, err := s.Store.ListCampaignsByStatus(ctx, dialer.StatusRunning)
	if err != nil {
		if ctx.Err() == nil {
			s.Logger.Warn("resync: running campaigns", "error", err)
		}
		return
	}
	running := make(map[int64]bool, len(cs))
	for _, c := range cs {
		running[c.ID] = true
		s.mu.Lock()
		_, alive := s.runs[c.ID]
		s.mu.Unlock()
		if !alive {
			s.Logger.Info("resync: adopting a running campaign", "campaign", c.ID, "account", c.AccountID)
			s.ensure(c)
		} else if c.Source == dialer.SourceFlow {
			s.ensure(c) // restarts the runner if the flow's settings changed elsewhere
		}
	}
	s.mu.Lock()
	type ref struct{ acct, id int64 }
	var others []ref
	for id, r := range s.runs {
		if !running[id] && !r.stopping && !r.paused {
			others = append(others, ref{r.accountID, id})
		}
	}
	s.mu.Unlock()
	for _, o := range others {
		if err := s.Notify(ctx, o.acct, o.id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.stop(o.id)
			} else if ctx.Err() == nil {
				s.Logger.Warn("resync: campaign status", "campaign", o.id, "error", err)
			}
		}
	}
}
