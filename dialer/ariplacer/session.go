package ariplacer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
)

// Sessions implements dialer.SessionPlacer (agent-first campaigns) on an
// ari.Manager: the agent is originated (with an attempt record), and once
// answered each customer is dialed as a leg of the agent's call and
// bridged with the agent; the agent stays in the call between customers.
// Each customer leg gets its own attempt record (through the Manager's
// Recorder), so agent-first calls appear in the call report.
//
// When the agent's calls are recorded (Reservation.Record), each answered
// customer's conversation is recorded from the bridge as an agent
// recording (file name record_agent_<account>_<agent>_<cli>_<dnis>_
// <campaign id in place of the widget id>_<start ms>.gsm), indexed with the
// customer's attempt through Recordings, and named in the Result.
type Sessions struct {
	Manager *ari.Manager
	// Recordings indexes agent recordings (nil: conversations are not
	// recorded).
	Recordings RecordingIndex
	Logger     *slog.Logger
}

func (p *Sessions) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

// RecordingIndex indexes a conversation's recording with the customer's
// attempt and marks the attempt recorded (the call report's recorded and
// recording_uri).
type RecordingIndex interface {
	AgentRecording(ctx context.Context, r AgentRecording) error
}

// AgentRecording is one recorded agent-first conversation.
type AgentRecording = dialer.AgentRecording

// recordingFormat is the agent recordings' format (as the ACD's).
const recordingFormat = "gsm"

var _ dialer.SessionPlacer = (*Sessions)(nil)

type dialReq struct {
	r   dialer.PlaceRequest
	out chan dialResult
}

type dialResult struct {
	res dialer.Result
	err error
}

type session struct {
	m     *ari.Manager
	p     *Sessions
	agent dialer.Reservation
	reqs  chan dialReq
	close chan struct{}
	once  sync.Once
	done  <-chan struct{}
	id    string
}

func (s *session) Done() <-chan struct{} { return s.done }

// ID is the agent call's id (the CallSid of the session's lead, popup
// and call log parameters).
func (s *session) ID() string { return s.id }

// Close hangs up the agent and waits until the call is over and recorded.
func (s *session) Close() {
	s.once.Do(func() { close(s.close) })
	<-s.done // bounded: the Manager ends every call
}

// Place hands the customer to the agent call's goroutine.
func (s *session) Place(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
	q := dialReq{r: r, out: make(chan dialResult, 1)}
	select {
	case s.reqs <- q:
	case <-s.done:
		return dialer.Result{}, fmt.Errorf("agent-first: the agent hung up: %w", ari.ErrHangup)
	case <-ctx.Done():
		return dialer.Result{}, ctx.Err()
	}
	out := <-q.out // the call's goroutine always answers a taken request
	return out.res, out.err
}

// Open calls the agent and returns once the agent answered.
func (p *Sessions) Open(ctx context.Context, c *dialer.Campaign, agent dialer.Reservation) (dialer.Session, error) {
	s := &session{m: p.Manager, p: p, agent: agent, reqs: make(chan dialReq), close: make(chan struct{})}
	answered := make(chan struct{})
	call, err := p.Manager.Originate(ctx, ari.OriginateParams{
		Endpoint: agent.Endpoint,
		CallerID: c.CallerID,
		Timeout:  c.DialTimeout(),
		Variables: map[string]string{
			VarCampaign: strconv.FormatInt(c.ID, 10),
		},
		Args:    []string{"campaign", strconv.FormatInt(c.ID, 10), "agent"},
		Attempt: &ari.Attempt{AccountID: c.AccountID, Number: 1, CLI: c.CallerID, DNIS: agent.Number},
		Handler: func(ctx context.Context, call *ari.Call) error {
			close(answered)
			return s.serve(ctx, call)
		},
	})
	if err != nil {
		return nil, fmt.Errorf("agent-first: call agent %s: %w", agent.AgentID, err)
	}
	s.done, s.id = call.Done(), call.ID
	select {
	case <-answered:
		return s, nil
	case <-call.Done():
		return nil, fmt.Errorf("agent-first: agent %s did not answer (%s)", agent.AgentID, call.Status())
	case <-ctx.Done():
		s.once.Do(func() { close(s.close) })
		return nil, ctx.Err()
	}
}

// serve runs on the agent call's goroutine: it dials the customers asked
// for until the session is closed or the agent hangs up.
func (s *session) serve(ctx context.Context, call *ari.Call) error {
	call.SetStatus(flows.StatusInAnswer)
	if err := call.Answer(ctx); err != nil {
		return err
	}
	b, err := call.CreateBridge(ctx, "mixing")
	if err != nil {
		return err
	}
	defer func() { _ = b.Destroy(context.WithoutCancel(ctx)) }()
	if err := b.Add(ctx, call.ID); err != nil {
		return err
	}
	for {
		// Wait for the next customer while following the agent's events
		// (a hangup ends the session).
		var q dialReq
		for got := false; !got; {
			select {
			case q = <-s.reqs:
				got = true
			case <-s.close:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			default:
				if call.HungUp() {
					return nil
				}
				if _, err := call.Next(ctx, 200*time.Millisecond); err != nil && !errors.Is(err, ari.ErrTimeout) {
					return nil
				}
			}
		}
		res, err := s.customer(ctx, call, b, q.r)
		q.out <- dialResult{res: res, err: err}
		if call.HungUp() {
			return nil
		}
	}
}

// customer dials one customer as a leg of the agent's call and bridges it.
func (s *session) customer(ctx context.Context, call *ari.Call, b *ari.Bridge, r dialer.PlaceRequest) (res dialer.Result, err error) {
	c := r.Campaign
	legID := uuid.NewString()
	var leg *ari.Leg
	if rec := s.m.Recorder(); rec != nil {
		// The customer's own attempt record: written before the dial,
		// finished when the leg is over (reconciliation settles it by the
		// channel ID after a crash).
		a := ari.Attempt{AttemptID: legID, CallID: legID, AccountID: c.AccountID, Number: max(1, r.Record.Attempt),
			ChannelID: legID, Node: s.m.Node(), CLI: c.CallerID, DNIS: r.Number, RequestID: r.Record.RequestID,
			StartedAt: time.Now()}
		if rerr := rec.AttemptStarted(ctx, a); rerr != nil {
			return dialer.Result{}, fmt.Errorf("agent-first: record the customer call: %w", rerr)
		}
		defer func() {
			end := ari.AttemptEnd{EndedAt: time.Now(), Status: res.Status, FinishReason: "hangup"}
			if leg != nil {
				end.HangupCause, end.CauseText = leg.Cause()
				end.AnsweredAt = leg.AnsweredAt()
			}
			if end.Status == "" {
				end.Status = ari.StatusFailed
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			if ferr := rec.AttemptFinished(fctx, legID, end); ferr != nil && err == nil {
				err = fmt.Errorf("agent-first: finish the customer's record: %w", ferr)
			}
		}()
	}
	vars := map[string]string{VarCampaign: strconv.FormatInt(c.ID, 10), VarRecord: strconv.FormatInt(r.Record.ID, 10),
		VarAttempt: strconv.Itoa(r.Record.Attempt)}
	if c.Accountcode != "" {
		vars[VarAccountcode] = c.Accountcode
	}
	leg, err = call.Dial(ctx, ari.LegRequest{ID: legID, Endpoint: r.Endpoint, CallerID: c.CallerID, Timeout: c.DialTimeout(),
		Variables: vars})
	if err != nil {
		if errors.Is(err, ari.ErrHangup) && call.HungUp() {
			return dialer.Result{Status: "CANCEL"}, dialer.ErrAgentGone
		}
		st := strings.TrimPrefix(legStatus(leg, err), "IN_")
		if st == "CHANUNAVAIL" {
			st = "chanunavail"
		}
		return dialer.Result{Status: st}, nil
	}
	r.Answer()
	if err := b.Add(ctx, leg.ID); err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return dialer.Result{Status: flows.StatusInAnswer, Answered: true}, err
	}
	recording := s.startRecording(ctx, call, b, r, legID)
	for !call.HungUp() && !leg.Gone() {
		if _, err := call.Next(ctx, 0); err != nil {
			break
		}
	}
	_ = leg.Hangup(context.WithoutCancel(ctx))
	res = dialer.Result{Status: flows.StatusInAnswer, Answered: true, AgentConnected: true}
	if recording != nil {
		res.Recording = recording.finish(ctx, call, s.p.Recordings, s.p.log())
	}
	if call.HungUp() {
		return res, dialer.ErrAgentGone
	}
	return res, nil
}

// liveRecording is a conversation being recorded.
type liveRecording struct {
	AgentRecording
}

// startRecording records the bridge (agent and customer) when the agent's
// calls are recorded; nil when not recorded or the recording could not
// start (logged: the conversation goes on).
func (s *session) startRecording(ctx context.Context, call *ari.Call, b *ari.Bridge, r dialer.PlaceRequest, attemptID string) *liveRecording {
	if !s.agent.Record || s.p == nil || s.p.Recordings == nil || s.m.Recorder() == nil {
		return nil
	}
	c := r.Campaign
	agentID, _ := strconv.ParseInt(s.agent.AgentID, 10, 64)
	start := time.Now()
	name := flows.AgentRecordingName(c.AccountID, agentID, c.CallerID, r.Number, strconv.FormatInt(c.ID, 10), start)
	if _, err := call.Client().RecordBridge(ctx, b.ID, ari.RecordRequest{Name: name, Format: recordingFormat, IfExists: "overwrite"}); err != nil {
		s.p.log().Warn("agent-first: agent recording failed", "agent", s.agent.AgentID, "campaign", c.ID, "error", err)
		return nil
	}
	return &liveRecording{AgentRecording{AccountID: c.AccountID, AttemptID: attemptID, AgentID: agentID, Name: name,
		Format: recordingFormat, StartedAt: start}}
}

// finish stops the recording (the bridge stays for the agent's next
// customer), indexes it and returns its name ("" if it could not be
// indexed).
func (l *liveRecording) finish(ctx context.Context, call *ari.Call, idx RecordingIndex, log *slog.Logger) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	l.Duration = time.Since(l.StartedAt)
	// Not found: it already stopped (the bridge went away with the agent).
	if err := call.Client().StopRecording(ctx, l.Name); err != nil && !errors.Is(err, ari.ErrNotFound) {
		log.Warn("agent-first: stop the agent recording", "recording", l.Name, "error", err)
		return ""
	}
	if err := idx.AgentRecording(ctx, l.AgentRecording); err != nil {
		log.Warn("agent-first: index the agent recording", "recording", l.Name, "error", err)
		return ""
	}
	return l.Name
}
