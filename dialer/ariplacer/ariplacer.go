// Package ariplacer places dialer calls through ari.Manager: the attempt
// record is written by the Manager (CDR), the answered call is handed to
// the campaign's flow, and the outcome is mapped to the seed statuses.
package ariplacer

import (
	"context"
	"strconv"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
)

// Answered runs an answered call (the lead wires flows.Engine.RunOutbound
// here; the flow sets IVR_STARTED/IVR_FINISHED with c.SetStatus). It
// reports whether the flow asked to reschedule ($flow.syskey.rescheduledCall
// = yes) and when (zero: after the campaign's retry interval).
type Answered func(ctx context.Context, c *ari.Call, r dialer.PlaceRequest) (reschedule bool, at time.Time, err error)

// Placer implements dialer.Placer on an ari.Manager.
type Placer struct {
	Manager  *ari.Manager
	Answered Answered
}

var _ dialer.Placer = (*Placer)(nil)

// Channel variables set on every dialer call.
const (
	VarCampaign = "SWITCHYARD_CAMPAIGN"
	VarRecord   = "SWITCHYARD_RECORD"
	VarAttempt  = "SWITCHYARD_ATTEMPT"
)

// Place originates the call and blocks until it has ended and its attempt
// is recorded. Cancelling ctx does not abandon a call Asterisk already
// has: the Manager owns it and hangs it up on shutdown.
func (p *Placer) Place(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
	c := r.Campaign
	var (
		resched bool
		at      time.Time
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
		},
		Handler: func(ctx context.Context, call *ari.Call) error {
			if p.Answered == nil {
				return nil
			}
			var err error
			resched, at, err = p.Answered(ctx, call, r)
			return err
		},
	}
	call, err := p.Manager.Originate(ctx, params)
	if err != nil {
		return dialer.Result{Status: ari.StatusForOriginateError(err)}, err
	}
	<-call.Done() // bounded: the Manager ends every call (ring timeout, hangup, shutdown)
	status := call.Status()
	if status == "" {
		status = ari.DefaultStatus(call)
	}
	return dialer.Result{Status: status, Answered: call.Started(), Rescheduled: resched, RescheduleAt: at}, nil
}
