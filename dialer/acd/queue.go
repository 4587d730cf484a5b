package acd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/nyaruka/phonenumbers"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

// queue is a queue's configuration and live state; guarded by ACD.mu.
type queue struct {
	cfg     acdconfig.Queue
	waiting []*waiter // FIFO: position 1 first
	rr      int       // round-robin: index in Members of the last agent picked
	rrSet   bool
	removed bool

	joined, answered, abandoned, timedOut int
	answeredInSL                          int // answered within ServiceLevelTarget

	handles [50]time.Duration // recent handle times (talk + wrap-up)
	hn, hi  int
}

// targets reports whether a caller waits for agentID alone (transferred
// to that agent).
func (q *queue) targets(agentID int64) bool {
	for _, w := range q.waiting {
		if w.target == agentID {
			return true
		}
	}
	return false
}

func (q *queue) has(agentID int64) bool {
	for _, m := range q.cfg.Members {
		if m == agentID {
			return true
		}
	}
	return false
}

// removeLocked takes w out of the waiting list (if still there).
func (q *queue) removeLocked(w *waiter) {
	for i, o := range q.waiting {
		if o == w {
			q.waiting = append(q.waiting[:i], q.waiting[i+1:]...)
			return
		}
	}
}

func (q *queue) addHandle(d time.Duration) {
	q.handles[q.hi] = d
	q.hi = (q.hi + 1) % len(q.handles)
	q.hn = min(q.hn+1, len(q.handles))
}

func (q *queue) avgHandle() time.Duration {
	if q.hn == 0 {
		return 0
	}
	var sum time.Duration
	for i := range q.hn {
		sum += q.handles[i]
	}
	return sum / time.Duration(q.hn)
}

// waiter is one caller in a queue. Fields are guarded by ACD.mu except
// the call, which only the caller's goroutine uses.
type waiter struct {
	call      *ari.Call
	callID    string
	attemptID string
	q         *queue
	req       reqInfo
	joined    time.Time
	wake      chan struct{}
	dialing   bool           // an agent is being offered this call
	tried     map[int64]bool // agents who missed this caller
	// retryAt: agents who all missed this caller are rung again no sooner
	// (busy or broken lines would otherwise be redialed in a loop).
	retryAt time.Time
	// transferTo: where the agent transferred the caller (the caller
	// goes there when the agent's conversation ends).
	transferTo *transfer
	// target: the caller was transferred to this agent and is offered to
	// no one else (0: the queue's members); cleared when the target
	// misses the ring, logs out or goes away.
	target int64
}

// retryDelay is the least time between two rounds over the same agents
// for one caller.
const retryDelay = 2 * time.Second

func (w *waiter) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// kickQueueLocked wakes the first caller not being offered to an agent,
// if a member is free.
func (a *ACD) kickQueueLocked(q *queue) {
	for _, w := range q.waiting {
		if w.dialing {
			continue
		}
		if w.target != 0 {
			// A transferred caller waits for its agent alone and holds
			// up no one behind it.
			if ag := a.agents[key{q.cfg.AccountID, w.target}]; ag == nil || a.freeLocked(ag) || ag.state == StateLoggedOut || ag.removed {
				w.signal()
			}
			continue
		}
		for _, id := range q.cfg.Members {
			if ag := a.agents[key{q.cfg.AccountID, id}]; ag != nil && a.freeLocked(ag) {
				w.signal()
				return
			}
		}
		return
	}
}

// claimLocked picks the agent(s) for w by the queue's strategy and
// reserves them, or returns nil: no free member, or a caller ahead of w
// is not being served yet (FIFO).
func (a *ACD) claimLocked(w *waiter) []*offer {
	q := w.q
	if a.draining {
		return nil
	}
	if w.target != 0 {
		ag := a.agents[key{q.cfg.AccountID, w.target}]
		if ag == nil || ag.removed || ag.state == StateLoggedOut || w.tried[w.target] {
			w.target = 0 // back to the queue's members
		} else {
			if !a.freeLocked(ag) {
				return nil
			}
			w.dialing = true
			o := a.reserveLocked(ag, w)
			o.ag = ag
			if ag.sess != nil {
				o.bridgeID = ag.sess.bridgeID
			}
			a.kickQueueLocked(q)
			return []*offer{o}
		}
	}
	for _, o := range q.waiting {
		if o == w {
			break
		}
		if !o.dialing && o.target == 0 {
			return nil
		}
	}
	now := a.o.Now()
	today := now.Format(time.DateOnly)
	var cands []candidate
	byID := map[int64]*agent{}
	for i, id := range q.cfg.Members {
		ag := a.agents[key{q.cfg.AccountID, id}]
		if ag == nil || !a.freeLocked(ag) {
			continue
		}
		c := candidate{ID: id, Index: i, IdleSince: ag.idleSince, Persistent: ag.cfg.Persistent}
		if ag.day == today {
			c.AnsweredToday = ag.dayAnswered
		}
		cands = append(cands, c)
		byID[id] = ag
	}
	if len(cands) == 0 {
		return nil
	}
	fresh := cands[:0:0]
	for _, c := range cands {
		if !w.tried[c.ID] {
			fresh = append(fresh, c)
		}
	}
	if len(fresh) == 0 {
		// Everyone free missed this caller: ring them again, at most
		// every retryDelay.
		if t := time.Now(); t.Before(w.retryAt) {
			return nil
		}
		w.tried = nil
		fresh = cands
	}
	if len(w.tried) == 0 {
		w.retryAt = time.Now().Add(retryDelay)
	}
	last := -1
	if q.rrSet {
		last = q.rr
	}
	picked := Pick(q.cfg.Strategy, fresh, last, len(q.cfg.Members))
	if len(picked) == 0 {
		return nil
	}
	q.rr, q.rrSet = picked[0].Index, true
	w.dialing = true
	offers := make([]*offer, 0, len(picked))
	for _, c := range picked {
		ag := byID[c.ID]
		o := a.reserveLocked(ag, w)
		o.ag = ag
		if ag.sess != nil {
			o.bridgeID = ag.sess.bridgeID
		}
		offers = append(offers, o)
	}
	a.kickQueueLocked(q)
	return offers
}

// stay is the caller's side of one Enqueue: the waiting bridge and the
// recordings. Only the caller's goroutine uses it.
type stay struct {
	a       *ACD
	call    *ari.Call
	q       acdconfig.Queue
	bridge  *ari.Bridge // waiting bridge (nil until the caller must wait or ring)
	moh     bool
	queued  time.Time   // Enqueue entry (real clock)
	records []Recording // live recordings to stop when the customer leaves
	playing string      // announcement playback in progress
}

// recordFormat is the format of queue and agent recordings (the recording
// file names end in .gsm).
const recordFormat = "gsm"

// recording describes a queue or agent recording just started.
func (s *stay) recording(kind, name string, agentID int64, start time.Time) Recording {
	return Recording{
		AccountID: s.q.AccountID, AttemptID: s.call.AttemptID, CallID: s.call.ID, Kind: kind, Name: name,
		Format: recordFormat, AgentID: agentID, QueueID: s.q.ID, StartedAt: start,
	}
}

// stopRecordings stops the recordings in progress and reports each to
// the journal (RecordingJournal). A recording that already ended (its
// bridge went away) is reported too: its file was stored.
func (s *stay) stopRecordings(ctx context.Context) {
	for _, r := range s.records {
		if err := s.call.Client().StopRecording(ctx, r.Name); err != nil && !errors.Is(err, ari.ErrNotFound) {
			s.a.log.Debug("stop recording", "recording", r.Name, "error", err)
		}
		r.Duration = max(s.a.o.Now().Sub(r.StartedAt), 0)
		s.a.journalRecording(r)
	}
	s.records = nil
}

// stopAnnouncement stops an announcement still playing (before the caller
// is connected or leaves).
func (s *stay) stopAnnouncement(ctx context.Context) {
	if s.playing == "" {
		return
	}
	_ = s.call.StopPlay(context.WithoutCancel(ctx), s.playing)
	s.playing = ""
}

// ensureBridge puts the caller in its own mixing bridge with music on hold.
func (s *stay) ensureBridge(ctx context.Context) error {
	if s.bridge == nil {
		b, err := s.call.CreateBridge(ctx, "mixing")
		if err != nil {
			return err
		}
		s.bridge = b
		if err := b.Add(ctx, s.call.ID); err != nil {
			return err
		}
	}
	if !s.moh && s.playing == "" {
		if err := s.bridge.StartMOH(ctx, s.q.MOHClass); err != nil {
			return fmt.Errorf("queue music on hold: %w", err)
		}
		s.moh = true
	}
	return nil
}

// close stops recordings and takes the caller out of its bridge (waiting
// until it is out: media played to a channel still leaving a bridge can
// be lost, and the flow plays on after the queue), then destroys it.
func (s *stay) close(ctx context.Context) {
	wctx := context.WithoutCancel(ctx)
	if !s.call.HungUp() {
		s.stopAnnouncement(ctx)
	} else if s.playing != "" {
		s.call.ForgetPlay(s.playing)
	}
	s.stopRecordings(wctx)
	if s.bridge == nil {
		return
	}
	if !s.call.HungUp() && ctx.Err() == nil {
		if err := s.bridge.Remove(wctx, s.call.ID); err == nil {
			id := s.bridge.ID
			_, _ = s.call.WaitEvent(ctx, 3*time.Second, func(ev ariv6.Event) bool {
				e, ok := ev.(*ariv6.ChannelLeftBridge)
				return ok && e.Bridge.ID == id && e.Channel.ID == s.call.ID
			})
		}
	}
	_ = s.bridge.Destroy(wctx)
	s.bridge = nil
}

// Enqueue puts the call in the named queue and returns when it left:
// answered and the conversation over (line 0, QUEUE_ANSWER), or
// QUEUE_TIMEOUT, QUEUE_EMPTY, QUEUE_FULL, QUEUE_INVALID, QUEUE_JOIN (the
// caller hung up; the error is then ari.ErrHangup). It runs on the
// call's goroutine and implements flows.QueueRunner.
//
// The steps: join (or be refused: no such queue, nobody logged in, queue
// full) → answer the caller if still ringing → wait, offering the call to
// agents as they free up, with music and announcements meanwhile, until an
// agent answers, the caller hangs up or the wait limit passes → leave
// (journal the stay, wake the next caller).
func (a *ACD) Enqueue(ctx context.Context, call *ari.Call, req flows.QueueRequest) (flows.QueueResult, error) {
	var target int64
	for hops := 0; ; hops++ {
		res, next, err := a.enqueueOnce(ctx, call, req, target)
		// An agent transferred the caller to another queue or agent: the
		// caller joins that queue, or waits in the same one for that
		// agent (the flow sees the last queue's outcome).
		if next == nil || err != nil || call.HungUp() || hops >= maxTransfers {
			return res, err
		}
		if next.queue != "" {
			req.Queue = next.queue
		}
		target = next.agentID
	}
}

// maxTransfers bounds how many times one caller is transferred between
// queues within one queue widget.
const maxTransfers = 10

// enqueueOnce is one stay in a queue; target: the caller was transferred
// to that agent.
func (a *ACD) enqueueOnce(ctx context.Context, call *ari.Call, req flows.QueueRequest, target int64) (flows.QueueResult, *transfer, error) {
	e := &enqueued{a: a, call: call, req: req, queued: time.Now(), res: flows.QueueResult{
		Line: 1, Outputs: map[string]any{"queue": req.Queue},
		CallVars: map[string]string{"agent.connect": "No"}, Syskeys: map[string]string{},
	}}
	if !e.join(target) {
		return e.res, nil, nil
	}
	defer e.leave(ctx)
	if call.Channel.State != "Up" && call.AnsweredAt().IsZero() {
		if err := call.Answer(ctx); err != nil {
			res, err := e.gone(err)
			return res, nil, err
		}
	}
	res, err := e.wait(ctx)
	a.mu.Lock()
	next := e.w.transferTo
	a.mu.Unlock()
	return res, next, err
}

// enqueued is one caller's stay in a queue, from join to leave.
type enqueued struct {
	a      *ACD
	call   *ari.Call
	req    flows.QueueRequest
	res    flows.QueueResult
	queued time.Time // Enqueue entry (real clock)

	q          *queue
	w          *waiter
	cfg        acdconfig.Queue
	st         *stay
	qc         QueueCall // the stay's journal record
	joined     time.Time // the ACD's clock
	answeredAt time.Time
	tries      int // agent offers made for this call ($flow.syskey.agent.attempt_number)
}

func (e *enqueued) set(status string) {
	e.res.Status = status
	e.res.Outputs["status"] = status
	if status == QueueAnswer {
		e.res.Line = 0
	}
}

// join adds the caller to the queue's waiting list; false (with the status
// set) when it may not join: no such queue (QUEUE_INVALID), shutting down
// (QUEUE_TIMEOUT: the flow goes on at once), nobody logged in unless the
// queue takes callers anyway (QUEUE_EMPTY), full (QUEUE_FULL). A refusal
// is journaled too.
func (e *enqueued) join(target int64) bool {
	a, call, req := e.a, e.call, e.req
	a.mu.Lock()
	q := a.queueByName[nameKey{req.AccountID, req.Queue}]
	if q == nil || a.closed {
		a.mu.Unlock()
		e.set(QueueInvalid)
		return false
	}
	if a.draining {
		a.mu.Unlock()
		e.set(QueueTimeout)
		return false
	}
	refuse := func(status string) bool {
		now := a.o.Now()
		qc := QueueCall{
			AccountID: q.cfg.AccountID, QueueID: q.cfg.ID, FlowID: req.FlowID, CallID: call.ID, AttemptID: call.AttemptID,
			Caller: req.CLI, JoinedAt: now, EndedAt: now, Outcome: status,
		}
		a.mu.Unlock()
		a.journal(func(j Journal) { j.QueueCall(qc) })
		e.set(status)
		return false
	}
	if target == 0 && !q.cfg.JoinWhenEmpty && a.loggedInLocked(q) == 0 {
		return refuse(QueueEmpty)
	}
	if q.cfg.MaxLen > 0 && len(q.waiting) >= q.cfg.MaxLen {
		return refuse(QueueFull)
	}
	now := a.o.Now()
	created := now
	if t := call.AnsweredAt(); !t.IsZero() {
		created = t
	}
	w := &waiter{
		call: call, callID: call.ID, attemptID: call.AttemptID, q: q, joined: now, wake: make(chan struct{}, 1),
		req: reqInfo{flowID: req.FlowID, cli: req.CLI, dnis: req.DNIS, outbound: req.Outbound, created: created, queue: req.Queue, widgetID: req.WidgetID,
			customerID: req.CustomerID, flowKeys: req.FlowKeys},
		target: target,
	}
	q.waiting = append(q.waiting, w)
	q.joined++
	position := len(q.waiting)
	e.q, e.w, e.cfg, e.joined = q, w, q.cfg, now
	a.publishQueueLocked(q)
	a.mu.Unlock()
	e.res.Outputs["position"] = position
	e.st = &stay{a: a, call: call, q: e.cfg, queued: e.queued}
	e.qc = QueueCall{
		AccountID: e.cfg.AccountID, QueueID: e.cfg.ID, FlowID: req.FlowID, CallID: call.ID, AttemptID: call.AttemptID,
		Caller: req.CLI, JoinedAt: now, Position: position,
	}
	return true
}

// leave takes the caller out: its bridge and recordings closed, the queue's
// counters and published state updated, the next caller woken, the stay
// journaled with its outcome.
func (e *enqueued) leave(ctx context.Context) {
	a, q := e.a, e.q
	e.st.close(ctx)
	a.mu.Lock()
	q.removeLocked(e.w)
	switch e.res.Status {
	case QueueJoin:
		q.abandoned++
	case QueueTimeout:
		q.timedOut++
	}
	end := a.o.Now()
	a.publishQueueLocked(q)
	a.kickQueueLocked(q)
	a.mu.Unlock()
	if e.answeredAt.IsZero() {
		e.res.Outputs["wait_secs"] = end.Sub(e.joined).Seconds()
	}
	e.qc.EndedAt, e.qc.Outcome = end, e.res.Status
	rec := e.qc
	a.journal(func(j Journal) { j.QueueCall(rec) })
}

// wait is the caller's time in the queue: each round checks it may still
// wait, offers the call to the agents free for it, or holds (music,
// announcements) until woken, an announcement is due or the limit passes.
func (e *enqueued) wait(ctx context.Context) (flows.QueueResult, error) {
	a, w, st, cfg := e.a, e.w, e.st, e.cfg
	limit := cfg.Timeout
	if e.req.Timeout > 0 && e.req.Timeout < limit {
		limit = e.req.Timeout
	}
	deadline := e.queued.Add(limit)
	var nextAnnounce time.Time
	if cfg.AnnounceEvery > 0 {
		nextAnnounce = e.queued.Add(cfg.AnnounceEvery)
	}
	for {
		remaining, done, err := e.mayWait(ctx, deadline)
		if done {
			return e.res, err
		}
		a.mu.Lock()
		offers := a.claimLocked(w)
		a.mu.Unlock()
		if offers != nil {
			if done, err := e.offer(ctx, offers, remaining); done {
				return e.res, err
			}
			continue
		}
		if err := st.ensureBridge(ctx); err != nil {
			return e.gone(err)
		}
		if done, err := e.hold(ctx, remaining, &nextAnnounce); done {
			return e.res, err
		}
	}
}

// mayWait reports the time left to wait, or done (with the status set)
// when the caller hung up, the queue was removed, the ACD is closing or
// the wait limit passed.
func (e *enqueued) mayWait(ctx context.Context, deadline time.Time) (time.Duration, bool, error) {
	if e.call.HungUp() {
		e.set(QueueJoin)
		return 0, true, ari.ErrHangup
	}
	if err := ctx.Err(); err != nil {
		return 0, true, err
	}
	e.a.mu.Lock()
	removed, closed := e.q.removed, e.a.closed || e.a.draining
	e.a.mu.Unlock()
	if removed {
		e.set(QueueInvalid)
		return 0, true, nil
	}
	remaining := time.Until(deadline)
	if remaining <= 0 || closed {
		e.set(QueueTimeout)
		return 0, true, nil
	}
	return remaining, false, nil
}

// offer rings the claimed agents; done when one answered (QUEUE_ANSWER,
// the conversation is over) or the caller hung up. A failed offer is
// logged and the caller waits on.
func (e *enqueued) offer(ctx context.Context, offers []*offer, remaining time.Duration) (bool, error) {
	a := e.a
	e.st.stopAnnouncement(ctx)
	e.tries++
	o, err := a.offer(ctx, e.st, e.w, offers, remaining)
	a.mu.Lock()
	e.w.dialing = false
	a.mu.Unlock()
	if o != nil {
		e.answeredAt = o.rec.AnsweredAt
		e.qc.AgentID, e.qc.Recording = o.ag.cfg.ID, o.queueRec
		e.res.Outputs["agent_id"] = o.ag.cfg.ID
		e.res.Outputs["wait_secs"] = e.answeredAt.Sub(e.joined).Seconds()
		a.fillVars(&e.res, o, e.tries)
		e.set(QueueAnswer)
		return true, err // ari.ErrHangup: the caller hung up after the conversation
	}
	if err != nil {
		if errors.Is(err, ari.ErrHangup) || e.call.HungUp() {
			e.set(QueueJoin)
			return true, ari.ErrHangup
		}
		if ctx.Err() != nil {
			return true, err
		}
		a.log.Warn("queue offer failed", "queue", e.cfg.Name, "call", e.call.ID, "error", err)
	}
	return false, nil
}

// hold keeps the caller on music until woken (an agent freed up), the
// next announcement is due (played, then music again), an agent retry is
// due or the time left passes; done when the caller hung up.
func (e *enqueued) hold(ctx context.Context, remaining time.Duration, nextAnnounce *time.Time) (bool, error) {
	a, call, st, w := e.a, e.call, e.st, e.w
	wait := remaining
	if !nextAnnounce.IsZero() {
		wait = min(wait, time.Until(*nextAnnounce))
	}
	a.mu.Lock()
	if len(w.tried) > 0 {
		if d := time.Until(w.retryAt); d > 0 {
			wait = min(wait, d)
		}
	}
	a.mu.Unlock()
	finished := false
	err := call.WaitWakeFunc(ctx, w.wake, max(wait, time.Millisecond), func(ev ariv6.Event) bool {
		if e, ok := ev.(*ariv6.PlaybackFinished); ok && st.playing != "" && e.Playback.ID == st.playing {
			finished = true
		}
		return finished
	})
	if finished {
		// The announcement is over: music on hold again.
		call.ForgetPlay(st.playing)
		st.playing = ""
		if err := st.ensureBridge(ctx); err != nil {
			_, gerr := e.gone(err)
			return true, gerr
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, ari.ErrTimeout):
		if !nextAnnounce.IsZero() && !time.Now().Before(*nextAnnounce) {
			*nextAnnounce = time.Now().Add(e.cfg.AnnounceEvery)
			if err := a.announce(ctx, st, w); err != nil {
				_, gerr := e.gone(err)
				return true, gerr
			}
		}
	case errors.Is(err, ari.ErrHangup):
		e.set(QueueJoin)
		return true, ari.ErrHangup
	default:
		return true, err
	}
	return false, nil
}

// gone maps an ARI error of the caller's leg: a hangup is QUEUE_JOIN.
func (e *enqueued) gone(err error) (flows.QueueResult, error) {
	if errors.Is(err, ari.ErrHangup) {
		e.set(QueueJoin)
		return e.res, ari.ErrHangup
	}
	return e.res, err
}

// announce plays the periodic announcement / position to the caller
// (music on hold paused meanwhile).
func (a *ACD) announce(ctx context.Context, st *stay, w *waiter) error {
	a.mu.Lock()
	pos := 0
	for i, o := range w.q.waiting {
		if o == w {
			pos = i + 1
			break
		}
	}
	a.mu.Unlock()
	var media []string
	if st.q.AnnouncePosition && pos > 0 {
		if pos == 1 {
			media = append(media, "sound:queue-youarenext")
		} else {
			media = append(media, "sound:queue-thereare", "number:"+strconv.Itoa(pos-1), "sound:queue-callswaiting")
		}
	}
	if st.q.Announce != "" {
		media = append(media, st.q.Announce)
	}
	if len(media) == 0 {
		return nil
	}
	if st.playing != "" {
		return nil // the last one is still playing
	}
	if st.bridge != nil && st.moh {
		if err := st.bridge.StopMOH(ctx); err != nil && !errors.Is(err, ari.ErrNotFound) {
			return err
		}
		st.moh = false
	}
	// Played without waiting: the caller stays responsive to a free agent
	// (the announcement is then cut) and to the timeout; the wait loop
	// restarts music on hold when it finishes.
	id, err := st.call.StartPlay(ctx, media...)
	if err != nil {
		if errors.Is(err, ari.ErrHangup) {
			return err
		}
		a.log.Warn("queue announcement failed", "queue", st.q.Name, "error", err)
		return st.ensureBridge(ctx)
	}
	st.playing = id
	return nil
}

// offer connects the caller to the reserved agent(s): a persistent
// agent's bridge at once, or by dialing (ring-all: every one at once).
// It returns the answered offer (after the conversation) or nil.
func (a *ACD) offer(ctx context.Context, st *stay, w *waiter, offers []*offer, remaining time.Duration) (*offer, error) {
	if len(offers) == 1 && offers[0].ag.cfg.Persistent {
		return a.connectPersistent(ctx, st, offers[0])
	}
	if err := st.ensureBridge(ctx); err != nil {
		a.mu.Lock()
		for _, o := range offers {
			a.releaseLocked(o.ag, o, "")
		}
		a.mu.Unlock()
		return nil, err
	}
	ring := min(st.q.RingTimeout, remaining)
	ring = max(ring, time.Second)
	reqs := make([]ari.LegRequest, len(offers))
	for i, o := range offers {
		cid := o.ag.cfg.CLI
		if cid == "" {
			cid = w.req.customer()
		}
		o.cli = cid
		reqs[i] = ari.LegRequest{Endpoint: a.dialstring(o.ag.cfg), CallerID: cid, Timeout: ring}
	}
	var (
		leg *ari.Leg
		won *offer
		err error
	)
	if len(offers) == 1 {
		leg, err = st.call.Dial(ctx, reqs[0])
		if err == nil {
			won = offers[0]
		} else if leg != nil {
			_ = leg.Hangup(context.WithoutCancel(ctx))
		}
	} else {
		var idx int
		var legs []*ari.Leg
		idx, legs, err = st.call.DialAll(ctx, reqs)
		if err == nil {
			won, leg = offers[idx], legs[idx]
		}
	}
	a.mu.Lock()
	for _, o := range offers {
		if o == won {
			continue
		}
		switch {
		case errors.Is(err, ari.ErrHangup) || st.call.HungUp():
			a.releaseLocked(o.ag, o, "abandoned")
		case won != nil || ctx.Err() != nil:
			a.releaseLocked(o.ag, o, "")
		default:
			if w.tried == nil {
				w.tried = map[int64]bool{}
			}
			w.tried[o.ag.cfg.ID] = true
			a.releaseLocked(o.ag, o, "missed")
		}
	}
	if won != nil {
		if won.ag.cur == won {
			a.answeredLocked(won.ag, won)
		}
	}
	a.mu.Unlock()
	if won == nil {
		if errors.Is(err, ari.ErrLegFailed) {
			err = nil // the caller stays at its position
		}
		return nil, err
	}
	// Connect: the agent joins the caller's bridge, music stops.
	b := st.bridge
	mohErr := make(chan error, 1)
	go func() { mohErr <- st.call.Client().StopBridgeMOH(context.WithoutCancel(ctx), b.ID) }()
	err = st.call.Client().AddToBridge(ctx, b.ID, "", leg.ID)
	if merr := <-mohErr; merr == nil {
		st.moh = false
	}
	if err == nil {
		_, err = st.call.WaitEvent(ctx, 10*time.Second, func(ev ariv6.Event) bool {
			e, ok := ev.(*ariv6.ChannelEnteredBridge)
			return ok && e.Bridge.ID == b.ID && e.Channel.ID == leg.ID
		})
	}
	if err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		a.mu.Lock()
		a.endCallLocked(won.ag, won, true)
		a.mu.Unlock()
		if st.call.HungUp() {
			return nil, ari.ErrHangup
		}
		return nil, fmt.Errorf("connect agent %d: %w", won.ag.cfg.ID, err)
	}
	a.mu.Lock()
	won.legID = leg.ID
	won.agentChan = leg.ID
	a.mu.Unlock()
	a.bridged(ctx, st, won, b.ID)
	for !st.call.HungUp() && !leg.Gone() {
		if _, err = st.call.Next(ctx, 0); err != nil {
			break
		}
	}
	_ = leg.Hangup(context.WithoutCancel(ctx))
	a.mu.Lock()
	a.endCallLocked(won.ag, won, false)
	a.mu.Unlock()
	if err == nil && st.call.HungUp() {
		err = ari.ErrHangup
	}
	return won, err
}

// connectPersistent adds the caller to a persistent agent's bridge.
func (a *ACD) connectPersistent(ctx context.Context, st *stay, o *offer) (*offer, error) {
	client := st.call.Client()
	bid := o.bridgeID
	o.cli = o.ag.cfg.CLI
	if o.cli == "" {
		o.cli = o.req.customer()
	}
	mohErr := make(chan error, 1)
	go func() { mohErr <- client.StopBridgeMOH(context.WithoutCancel(ctx), bid) }()
	err := client.AddToBridge(ctx, bid, "", st.call.ID)
	<-mohErr
	if err == nil {
		_, err = st.call.WaitEvent(ctx, 10*time.Second, func(ev ariv6.Event) bool {
			e, ok := ev.(*ariv6.ChannelEnteredBridge)
			return ok && e.Bridge.ID == bid && e.Channel.ID == st.call.ID
		})
	}
	if err != nil {
		a.mu.Lock()
		// Not connected: the agent is free again (music back on), or its
		// session ended meanwhile.
		if o.ag.sess != nil && o.ag.sess.conv == o {
			o.ag.sess.conv = nil
			o.ag.sess.moh = true
			o.ag.sess.signal()
		}
		o.ag.answered--
		o.ag.dayAnswered--
		o.q.answered--
		if o.inSL {
			o.q.answeredInSL--
		}
		a.releaseLocked(o.ag, o, "")
		a.mu.Unlock()
		if st.call.HungUp() {
			return nil, ari.ErrHangup
		}
		return nil, fmt.Errorf("connect to agent %d's bridge: %w", o.ag.cfg.ID, err)
	}
	if st.bridge != nil {
		st.moh = false
		_ = st.bridge.Destroy(context.WithoutCancel(ctx)) // the caller has moved
		st.bridge = nil
	}
	a.bridged(ctx, st, o, bid)
	left := false
	leftBridge := func(ev ariv6.Event) bool {
		e, ok := ev.(*ariv6.ChannelLeftBridge)
		if ok && e.Bridge.ID == bid && e.Channel.ID == st.call.ID {
			left = true
		}
		return left
	}
	err = st.call.WaitWakeFunc(ctx, o.conv, 0, func(ev ariv6.Event) bool { leftBridge(ev); return false })
	convEnded := err == nil
	a.mu.Lock()
	moved := o.w.transferTo != nil
	a.mu.Unlock()
	// The agent hung up, or transferred the caller (the agent's line
	// stays, music on hold again, wrap-up).
	agentGone := convEnded && !moved
	if convEnded {
		// The caller leaves the agent's bridge (dying, or staying for
		// the agent), and its flow goes on once it is out (media played
		// to a channel still leaving a bridge can be lost).
		if rerr := client.RemoveFromBridge(context.WithoutCancel(ctx), bid, st.call.ID); rerr != nil && !errors.Is(rerr, ari.ErrNotFound) {
			a.log.Debug("remove caller from agent bridge", "error", rerr)
		}
		if !left {
			if _, werr := st.call.WaitEvent(ctx, 3*time.Second, leftBridge); werr != nil && !errors.Is(werr, ari.ErrTimeout) {
				err = werr
				convEnded, agentGone = false, false
			}
		}
	}
	if !agentGone {
		// The recordings of the agent's bridge end with the customer.
		st.stopRecordings(context.WithoutCancel(ctx))
	}
	a.mu.Lock()
	a.endCallLocked(o.ag, o, agentGone)
	a.mu.Unlock()
	if convEnded {
		return o, nil
	}
	return o, err
}

// bridged runs once the caller and the agent share a bridge: timing hook,
// events, recordings.
func (a *ACD) bridged(ctx context.Context, st *stay, o *offer, bridgeID string) {
	at := time.Now()
	if a.o.OnBridged != nil {
		ids := []string{bridgeID}
		if st.bridge != nil && st.bridge.ID != bridgeID {
			ids = append(ids, st.bridge.ID)
		}
		a.o.OnBridged(st.call.ID, ids, st.queued, at)
	}
	a.mu.Lock()
	o.convBridge = bridgeID
	if o.agentChan == "" && o.ag.sess != nil && o.ag.sess.call != nil {
		o.agentChan = o.ag.sess.call.ID
	}
	a.signalMonitorsLocked(o.ag) // a monitor waiting for the bridge joins it
	// The caller no longer waits: out of the queue (positions, max
	// length, waiting count) for the conversation.
	o.q.removeLocked(o.w)
	a.publishQueueLocked(o.q)
	a.kickQueueLocked(o.q)
	a.notify(a.eventLocked(acdconfig.EventAgentConnected, o.ag, o, true))
	a.notify(a.eventLocked(acdconfig.EventPopupAnswered, o.ag, o, true))
	acct, agentID, rec := o.ag.cfg.AccountID, o.ag.cfg.ID, o.ag.cfg.Record
	a.mu.Unlock()
	start := a.o.Now()
	client := st.call.Client()
	if st.q.Record {
		name := flows.QueueRecordingName(acct, o.req.flowID, o.req.cli, o.req.dnis, st.q.ID, start)
		if _, err := client.RecordBridge(ctx, bridgeID, ari.RecordRequest{Name: name, Format: recordFormat, IfExists: "overwrite"}); err != nil {
			a.log.Warn("queue recording failed", "queue", st.q.Name, "error", err)
		} else {
			o.queueRec = name
			st.records = append(st.records, st.recording(RecordingKindQueue, name, agentID, start))
		}
	}
	if rec {
		name := flows.AgentRecordingName(acct, agentID, o.req.cli, o.req.dnis, o.widgetID, start)
		if _, err := client.RecordBridge(ctx, bridgeID, ari.RecordRequest{Name: name, Format: recordFormat, IfExists: "overwrite"}); err != nil {
			a.log.Warn("agent recording failed", "agent", agentID, "error", err)
		} else {
			a.mu.Lock()
			o.rec.Recording = name
			a.mu.Unlock()
			st.records = append(st.records, st.recording(RecordingKindAgent, name, agentID, start))
		}
	}
}

// fillVars sets the $call.agent.* and $flow.syskey.* flow variables;
// tries is the number of agent offers the call took (this one included).
func (a *ACD) fillVars(res *flows.QueueResult, o *offer, tries int) {
	a.mu.Lock()
	cfg := o.ag.cfg
	agentRec := o.rec.Recording
	a.mu.Unlock()
	cv := res.CallVars
	cv["agent.connect"] = "Yes"
	dnis := cfg.Number
	if cfg.LoginType.SIP() {
		dnis = cfg.Extension
	}
	cv["agent.dnis"] = dnis
	cc, national, _, _ := splitNumber(dnis)
	cv["agent.dnis.number"], cv["agent.dnis.countrycode"] = national, cc
	if o.cli != "" {
		cc, national, area, without := splitNumber(o.cli)
		cv["agent.cli"] = o.cli
		cv["agent.cli.countrycode"], cv["agent.cli.number"] = cc, national
		cv["agent.cli.areaCode"], cv["agent.cli.numberWithoutArea"] = area, without
	}
	if agentRec != "" {
		cv["agent.recordingUri"] = "recording:" + agentRec
		if o.req.outbound {
			// A dialer (outbound) flow's agent recording.
			cv["agent_dialer.recordingUri"] = "recording:" + agentRec
		}
	}
	if o.queueRec != "" {
		cv["queue.recordingUri"] = "recording:" + o.queueRec
	}
	res.Syskeys["agentID"] = strconv.FormatInt(cfg.ID, 10)
	res.Syskeys["agent.attempt_number"] = strconv.Itoa(max(tries, 1))
	if cfg.LoginType.SIP() && !cfg.Persistent {
		res.Syskeys["agent.type"] = "direct dial"
	} else {
		res.Syskeys["agent.type"] = "dynamic"
	}
	res.Syskeys["loginType"] = map[acdconfig.LoginType]string{
		acdconfig.LoginSoftphone: "softphone", acdconfig.LoginBrowser: "softphone", acdconfig.LoginDeskPhone: "desk phone", acdconfig.LoginMobile: "mobile phone", acdconfig.LoginLandline: "landline",
	}[cfg.LoginType]
}

// splitNumber splits an E.164 number into country code, national number,
// area code and the number without it. Other numbers (extensions) are
// returned whole as the national number.
func splitNumber(n string) (cc, national, area, without string) {
	if !strings.HasPrefix(n, "+") {
		return "", n, "", n
	}
	pn, err := phonenumbers.Parse(n, "")
	if err != nil {
		d := strings.TrimPrefix(n, "+")
		return "", d, "", d
	}
	cc = strconv.Itoa(int(pn.GetCountryCode()))
	national = phonenumbers.GetNationalSignificantNumber(pn)
	without = national
	if l := phonenumbers.GetLengthOfGeographicalAreaCode(pn); l > 0 && l < len(national) {
		area, without = national[:l], national[l:]
	}
	return cc, national, area, without
}

// loggedInLocked counts the queue's members who are logged in.
func (a *ACD) loggedInLocked(q *queue) int {
	n := 0
	for _, id := range q.cfg.Members {
		if ag := a.agents[key{q.cfg.AccountID, id}]; ag != nil && ag.state != StateLoggedOut {
			n++
		}
	}
	return n
}
