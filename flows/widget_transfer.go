package flows

// The transfer widget: config, check, runner, and the status a failed leg
// maps to.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// Transfer exit lines.
const (
	TransferAnswered   = 0 // connected; after the bridge ends
	TransferFailed     = 1 // any failure without its own connected line
	TransferBusy       = 2
	TransferNoAnswer   = 3
	TransferCongestion = 4 // congestion or channel unavailable
)

type transferCfg struct {
	Endpoint string
	CallerID string
	Timeout  time.Duration
}

func checkTransfer(p *paramReader) any {
	return &transferCfg{
		Endpoint: p.str("endpoint", true),
		CallerID: p.str("caller_id", false),
		Timeout:  p.seconds("timeout", 30*time.Second, time.Second, 10*time.Minute),
	}
}

// transferStatus maps a failed leg to its IN_* call status and exit line.
func transferStatus(l *ari.Leg, err error) (string, int) {
	if errors.Is(err, ari.ErrHangup) {
		return StatusInCancel, -1
	}
	if l == nil || !errors.Is(err, ari.ErrLegFailed) {
		if errors.Is(err, ari.ErrTimeout) {
			return StatusInNoAnswer, TransferNoAnswer
		}
		return StatusInChanUnavail, TransferCongestion
	}
	// Dial events also carry progress (RINGING, PROGRESS): only a final
	// dial status wins over the hangup cause.
	st := strings.ToUpper(l.DialStatus())
	switch st {
	case "BUSY", "NOANSWER", "CONGESTION", "CHANUNAVAIL", "CANCEL":
	default:
		cause, _ := l.Cause()
		st = ari.StatusFromCause(cause, false)
	}
	switch strings.ToUpper(st) {
	case "BUSY":
		return StatusInBusy, TransferBusy
	case "NOANSWER":
		return StatusInNoAnswer, TransferNoAnswer
	case "CONGESTION":
		return StatusInCongestion, TransferCongestion
	case "CANCEL":
		return StatusInCancel, -1
	}
	return StatusInChanUnavail, TransferCongestion
}

func (r *run) transfer(ctx context.Context, n *Node, c *transferCfg, st *Step) result {
	ep, missing := r.subCtx(ctx, c.Endpoint)
	cid, missing2 := r.subCtx(ctx, c.CallerID)
	st.Inputs["endpoint"] = ep
	if m := append(missing, missing2...); len(m) > 0 {
		r.setStatus(StatusInChanUnavail)
		return lineErr(TransferFailed, fmt.Errorf("unset variable(s) %s", strings.Join(m, ", ")))
	}
	if err := r.call.Answer(ctx); err != nil {
		return hangupOr(err)
	}
	leg, err := r.call.Dial(ctx, ari.LegRequest{Endpoint: ep, CallerID: cid, Timeout: c.Timeout})
	if err != nil {
		status, l := transferStatus(leg, err)
		r.setStatus(status)
		r.flowVars["dial_status"] = status
		st.Outputs["status"] = status
		if leg != nil {
			cause, text := leg.Cause()
			st.Outputs["cause"], st.Outputs["cause_text"] = cause, text
			if ds := leg.DialStatus(); ds != "" {
				st.Outputs["dialstatus"] = ds
			}
		}
		if l < 0 {
			return stop(ari.ErrHangup)
		}
		if n.Exit(l) == "" {
			l = TransferFailed
		}
		return lineErr(l, err)
	}
	r.setStatus(StatusInAnswer)
	r.flowVars["dial_status"] = StatusInAnswer
	st.Outputs["status"] = StatusInAnswer
	b, err := r.call.CreateBridge(ctx, "mixing")
	if err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return hangupOr(err)
	}
	defer func() { _ = b.Destroy(context.WithoutCancel(ctx)) }()
	if err := b.Add(ctx, r.call.ID, leg.ID); err != nil {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return hangupOr(err)
	}
	start := time.Now()
	for !r.call.HungUp() && !leg.Gone() {
		if _, err := r.call.Next(ctx, 0); err != nil {
			_ = leg.Hangup(context.WithoutCancel(ctx))
			return stop(err)
		}
	}
	st.Outputs["talk_s"] = time.Since(start).Seconds()
	if r.call.HungUp() {
		_ = leg.Hangup(context.WithoutCancel(ctx))
		return stop(ari.ErrHangup)
	}
	_ = b.Remove(ctx, r.call.ID)
	return line(TransferAnswered)
}
