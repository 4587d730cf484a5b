// Package ariplacer places dialer calls through ari.Manager: the attempt
// record is written by the Manager (CDR), the answered call is handed to
// the campaign's flow (or a scheduled callback's extension), and the
// outcome is mapped to the report's call statuses (BUSY, NOANSWER, IN_*,
// ...). It also runs answering-machine detection (the dialplan's amd
// context) and the safe-harbor message of agent-paced campaigns.
package ariplacer

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
)

// Answered runs an answered call (the lead wires flows.Engine.RunOutbound
// here; the flow sets IVR_STARTED/IVR_FINISHED with c.SetStatus). It
// reports whether the flow asked to reschedule ($flow.syskey.rescheduledCall
// = yes) and when (zero: after the campaign's retry interval).
//
// Deprecated: set RunFlow, which reads every reschedule syskey itself.
type Answered func(ctx context.Context, c *ari.Call, r dialer.PlaceRequest) (reschedule bool, at time.Time, err error)

// RunFlow runs flow flowID (the campaign's flow, or its leave-a-message
// flow for an answering machine) on an answered call and returns the
// journey (its Syskeys carry the reschedule requests). A nil journey with
// no error means there was nothing to run.
type RunFlow func(ctx context.Context, c *ari.Call, r dialer.PlaceRequest, flowID string) (*flows.Journey, error)

// Placer implements dialer.Placer on an ari.Manager.
type Placer struct {
	Manager *ari.Manager
	// RunFlow runs the campaign's flow (preferred over Answered).
	RunFlow RunFlow
	// Answered is the older hook, used when RunFlow is nil.
	Answered Answered
	// Agents gates answered calls of agent-paced campaigns that have a
	// safe-harbor sound: when no agent of the queue is free within
	// dialer.AbandonAfter, the sound is played and the call hung up.
	Agents dialer.AgentState
	// Connections, if fed by the ACD (agent bridged with a customer),
	// gives the exact answer → agent time of each call; without it an
	// answered queue (QUEUE_ANSWER) or extension (IN_ANSWER) counts as in
	// time.
	Connections *Connections
	// ExtensionEndpoint renders the endpoint of a callback extension
	// (*Schedule* EXTENSION, reschedule_agent_call agent, the campaign's
	// dial-to extension): "{ext}" is replaced. Default "PJSIP/{ext}".
	ExtensionEndpoint string
	// AMDContext is the dialplan context that runs AMD() and then enters
	// Stasis with (amd, AMDSTATUS, AMDCAUSE). Default "amd".
	AMDContext string
	// Now is the clock (default time.Now).
	Now func() time.Time
}

var _ dialer.Placer = (*Placer)(nil)

// Channel variables set on every dialer call.
const (
	VarCampaign = "SWITCHYARD_CAMPAIGN"
	VarRecord   = "SWITCHYARD_RECORD"
	VarAttempt  = "SWITCHYARD_ATTEMPT"
	// VarAccountcode sets the channel's accountcode (a dialplan function
	// set as an originate variable).
	VarAccountcode = "CHANNEL(accountcode)"
)

// Statuses the placer sets (see dialer.StatusMachine, StatusAbandoned).
const (
	StatusMachine   = dialer.StatusMachine
	StatusAbandoned = dialer.StatusAbandoned
)

func (p *Placer) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Place originates the call and blocks until it has ended and its attempt
// is recorded. Cancelling ctx does not abandon a call Asterisk already
// has: the Manager owns it and hangs it up on shutdown.
func (p *Placer) Place(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
	c := r.Campaign
	var (
		mu  sync.Mutex
		res dialer.Result
	)
	params := ari.OriginateParams{
		Endpoint: r.Endpoint,
		CallerID: c.CallerID,
		Timeout:  c.DialTimeout(),
		Variables: map[string]string{
			VarCampaign: strconv.FormatInt(c.ID, 10),
			VarRecord:   strconv.FormatInt(r.Record.ID, 10),
			VarAttempt:  strconv.Itoa(r.Record.Attempt),
		},
		Args: []string{"campaign", strconv.FormatInt(c.ID, 10)},
		Attempt: &ari.Attempt{
			AccountID: r.Record.AccountID, Number: r.Record.Attempt, CLI: c.CallerID, DNIS: r.Number,
			RequestID: r.Record.RequestID,
			// Deterministic: a restarted node finds the call it placed for
			// this claim (no second dial), Asterisk refuses a duplicate.
			AttemptID: dialer.AttemptID(r.Record.AccountID, r.Record.ID, r.Record.Attempt),
		},
		Handler: func(ctx context.Context, call *ari.Call) error {
			out, err := p.answered(ctx, call, r)
			mu.Lock()
			res = out
			mu.Unlock()
			return err
		},
	}
	if c.Accountcode != "" {
		// The call records (CDR, CEL) carry the campaign's accountcode.
		params.Variables[VarAccountcode] = c.Accountcode
	}
	if c.AMD {
		params.Context = p.AMDContext
		if params.Context == "" {
			params.Context = "amd"
		}
		params.Extension = "s"
		// The dialplan enters Stasis(${SWITCHYARD_APP},amd,…): this
		// Manager's application.
		params.Variables["SWITCHYARD_APP"] = p.Manager.Client().App()
	}
	call, err := p.Manager.Originate(ctx, params)
	if err != nil {
		if notPlaced(err) {
			return dialer.Result{}, fmt.Errorf("%w: %w", dialer.ErrNotPlaced, err)
		}
		return dialer.Result{Status: ari.StatusForOriginateError(err)}, err
	}
	// The line is free once the channels are gone; the call's record is
	// written after (Done).
	<-call.Released() // bounded: the Manager ends every call (ring timeout, hangup, shutdown)
	r.LineFree()
	<-call.Done()
	if p.Connections != nil {
		defer p.Connections.Forget(call.ID)
	}
	mu.Lock()
	out := res
	mu.Unlock()
	out.Status = call.Status()
	if out.Status == "" {
		out.Status = ari.DefaultStatus(call)
	}
	out.Answered = call.Started()
	if out.Answered && !out.Machine && !out.SafeHarbor {
		switch out.Status {
		case "QUEUE_ANSWER", flows.StatusInAnswer:
			out.AgentConnected = true
		}
		if p.Connections != nil {
			if at, ok := p.Connections.At(call.ID); ok {
				out.AgentConnected = true
				if a := call.AnsweredAt(); !a.IsZero() {
					out.AgentWait = max(at.Sub(a), 0)
				}
			}
		}
	}
	return out, nil
}

// notPlaced: the originate did not reach Asterisk, or Asterisk could not
// take calls, or the call record could not be written first.
func notPlaced(err error) bool {
	return errors.Is(err, ari.ErrUnavailable) || errors.Is(err, ari.ErrNotRecorded) ||
		errors.Is(err, ari.ErrNotConnected) || errors.Is(err, ari.ErrDraining)
}

// Available reports whether the call manager can place calls now
// (dialer.Availability): the runner waits while Asterisk is away.
func (p *Placer) Available() bool { return p.Manager.Available() }

// amdResult reads the amd context's Stasis arguments: amd, AMDSTATUS,
// AMDCAUSE.
func amdResult(call *ari.Call) (status, cause string, ok bool) {
	if len(call.Args) < 2 || call.Args[0] != "amd" {
		return "", "", false
	}
	if len(call.Args) > 2 {
		cause = call.Args[2]
	}
	return strings.ToUpper(call.Args[1]), cause, true
}

// answered runs on the call's goroutine once the customer answered.
func (p *Placer) answered(ctx context.Context, call *ari.Call, r dialer.PlaceRequest) (dialer.Result, error) {
	r.Answer()
	c := r.Campaign
	var out dialer.Result
	if c.AMD {
		st, _, ok := amdResult(call)
		if ok && st == "MACHINE" {
			out.Machine = true
			if c.MachineAction == dialer.MachineFlow && c.MachineFlowID != "" && p.RunFlow != nil {
				_, err := p.runFlow(ctx, call, r, c.MachineFlowID, &out)
				return out, err
			}
			call.SetStatus(StatusMachine)
			return out, nil // the Manager hangs up after the handler
		}
	}
	if dialer.AgentPaced(c) && c.SafeHarborSound != "" && p.Agents != nil && r.Extension == "" {
		if !p.agentFree(ctx, c) {
			out.SafeHarbor = true
			call.SetStatus(StatusAbandoned)
			if err := call.Answer(ctx); err == nil {
				_, _ = call.Play(ctx, ari.PlayOptions{Timeout: time.Minute}, c.SafeHarborSound)
			}
			return out, nil
		}
	}
	ext := r.Extension
	if ext == "" {
		ext = c.DialToExtension
	}
	if ext != "" {
		return out, p.connect(ctx, call, r, ext)
	}
	if p.RunFlow != nil {
		if c.FlowID == "" {
			return out, nil
		}
		_, err := p.runFlow(ctx, call, r, c.FlowID, &out)
		return out, err
	}
	if p.Answered != nil {
		var err error
		out.Rescheduled, out.RescheduleAt, err = p.Answered(ctx, call, r)
		return out, err
	}
	return out, nil
}

func (p *Placer) runFlow(ctx context.Context, call *ari.Call, r dialer.PlaceRequest, flowID string, out *dialer.Result) (*flows.Journey, error) {
	j, err := p.RunFlow(ctx, call, r, flowID)
	if j != nil {
		out.Rescheduled, out.RescheduleTo = dialer.RescheduleFromSyskeys(j.Syskeys)
	}
	return j, err
}

// agentFree waits up to AbandonAfter for a free agent of the campaign's
// queue (a free agent not already taken by a waiting caller).
func (p *Placer) agentFree(ctx context.Context, c *dialer.Campaign) bool {
	deadline := time.NewTimer(dialer.AbandonAfter)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := p.Agents.Staffing(ctx, c.AccountID, c.Queue)
		if err == nil && st.Free-st.Waiting > 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-deadline.C:
			return false
		case <-tick.C:
		}
	}
}

// connect sends the answered customer to an extension (a scheduled
// callback's agent): a leg to the extension bridged with the customer,
// IN_* statuses as the flow's transfer widget sets them.
func (p *Placer) connect(ctx context.Context, call *ari.Call, r dialer.PlaceRequest, ext string) error {
	tmpl := p.ExtensionEndpoint
	if tmpl == "" {
		tmpl = "PJSIP/{ext}"
	}
	if err := call.Answer(ctx); err != nil {
		return err
	}
	leg, err := call.Dial(ctx, ari.LegRequest{Endpoint: strings.ReplaceAll(tmpl, "{ext}", ext), CallerID: r.Number})
	if err != nil {
		call.SetStatus(legStatus(leg, err))
		if errors.Is(err, ari.ErrHangup) || errors.Is(err, ari.ErrLegFailed) || errors.Is(err, ari.ErrTimeout) {
			return nil
		}
		return err
	}
	call.SetStatus(flows.StatusInAnswer)
	if p.Connections != nil {
		p.Connections.Connected(call.ID, p.now())
	}
	b, err := call.CreateBridge(ctx, "mixing")
	if err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return err
	}
	defer func() { _ = b.Destroy(context.WithoutCancel(ctx)) }()
	if err := b.Add(ctx, call.ID, leg.ID); err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return err
	}
	for !call.HungUp() && !leg.Gone() {
		if _, err := call.Next(ctx, 0); err != nil {
			break
		}
	}
	_ = leg.Hangup(context.WithoutCancel(ctx))
	return nil
}

// legStatus maps a failed extension leg to its IN_* status.
func legStatus(l *ari.Leg, err error) string {
	if errors.Is(err, ari.ErrHangup) {
		return flows.StatusInCancel
	}
	if l == nil || !errors.Is(err, ari.ErrLegFailed) {
		if errors.Is(err, ari.ErrTimeout) {
			return flows.StatusInNoAnswer
		}
		return flows.StatusInChanUnavail
	}
	st := strings.ToUpper(l.DialStatus())
	switch st {
	case "BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL", "CANCEL":
	default:
		cause, _ := l.Cause()
		st = strings.ToUpper(ari.StatusFromCause(cause, false))
	}
	switch st {
	case "BUSY":
		return flows.StatusInBusy
	case "NOANSWER":
		return flows.StatusInNoAnswer
	case "CONGESTION":
		return flows.StatusInCongestion
	case "CANCEL":
		return flows.StatusInCancel
	}
	return flows.StatusInChanUnavail
}

// Connections records when each customer call was bridged with an agent.
// The ACD feeds it (its agent_connected event: Connected(ev.CallID,
// ev.At)); the placer reads the time when the call ends.
type Connections struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// Connected records the first agent connection of a call.
func (c *Connections) Connected(callID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]time.Time{}
	}
	if _, ok := c.m[callID]; !ok {
		c.m[callID] = at
	}
}

// At returns when the call was connected to an agent.
func (c *Connections) At(callID string) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[callID]
	return t, ok
}

// Forget drops a finished call.
func (c *Connections) Forget(callID string) {
	c.mu.Lock()
	delete(c.m, callID)
	c.mu.Unlock()
}
