package flows

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/fastagi"
)

// ErrNoFlow is returned by a FlowResolver when nothing is mapped.
var ErrNoFlow = errors.New("no flow")

// UnroutedError is a FlowResolver's answer for a DID that belongs to an
// account but has no flow to run (its flow is not published, or was
// deleted): the call is refused but recorded in that account's call
// report with the reason.
type UnroutedError struct {
	AccountID int64
	FlowID    int64
	Reason    string
}

func (e *UnroutedError) Error() string { return e.Reason }

// Unwrap makes it an ErrNoFlow.
func (e *UnroutedError) Unwrap() error { return ErrNoFlow }

// FlowResolver finds the published flow version a new call runs: by the
// dialled DID for inbound calls, by flow id for FastAGI entries. The
// returned version is the one the call keeps until it ends, even if the
// flow is republished meanwhile.
type FlowResolver interface {
	FlowForDID(ctx context.Context, did string) (FlowVersion, error)
	FlowByID(ctx context.Context, flowID int64) (FlowVersion, error)
}

// Stasis argument kinds this package routes.
const (
	KindInbound = "inbound" // Stasis(app,inbound,<DID>) from the from-trunk context
	KindFlow    = "flow"    // Stasis(app,flow,<flowID>) from the FastAGI handler
)

// Route is the Manager's Route function for the kinds above: "inbound"
// calls run the DID's flow; "flow" calls (FastAGI) run the given flow.
// Any other kind, or no flow, gets a nil Handler (the Manager hangs up).
// Compose it with other routers by checking ev.Args[0] first.
func (e *Engine) Route(res FlowResolver) func(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
	return func(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
		if len(ev.Args) < 2 {
			return ari.Route{}
		}
		var fv FlowVersion
		var err error
		did := ev.Channel.GetDialplan().GetExten()
		switch ev.Args[0] {
		case KindInbound:
			did = ev.Args[1]
			fv, err = res.FlowForDID(ctx, did)
		case KindFlow:
			id, perr := strconv.ParseInt(ev.Args[1], 10, 64)
			if perr != nil {
				return ari.Route{}
			}
			fv, err = res.FlowByID(ctx, id)
		default:
			return ari.Route{}
		}
		var ue *UnroutedError
		if errors.As(err, &ue) {
			// Known account, no flow: record the refused call.
			e.log().Warn("call refused: no published flow", "kind", ev.Args[0], "arg", ev.Args[1], "channel", ev.Channel.ID, "reason", ue.Reason)
			flowID := ue.FlowID
			reason := ue.Reason
			return ari.Route{
				Attempt: &ari.Attempt{AccountID: ue.AccountID, Number: 1, Inbound: true, CLI: ev.Channel.GetCaller().GetNumber(), DNIS: did, FlowID: &flowID},
				Handler: func(ctx context.Context, c *ari.Call) error {
					c.SetStatus(ari.StatusNoRoute)
					return errors.New(reason)
				},
			}
		}
		if err != nil {
			e.log().Warn("no flow for call", "kind", ev.Args[0], "arg", ev.Args[1], "channel", ev.Channel.ID, "error", err)
			return ari.Route{}
		}
		flowID := fv.FlowID
		return ari.Route{
			Attempt: &ari.Attempt{AccountID: fv.AccountID, Number: 1, Inbound: true, CLI: ev.Channel.GetCaller().GetNumber(), DNIS: did, FlowID: &flowID},
			Handler: func(ctx context.Context, c *ari.Call) error {
				_, err := e.RunInbound(ctx, c, fv)
				return err
			},
		}
	}
}

// RunInbound answers an inbound call and runs its flow.
func (e *Engine) RunInbound(ctx context.Context, c *ari.Call, fv FlowVersion) (*Journey, error) {
	if err := c.Answer(ctx); err != nil {
		if errors.Is(err, ari.ErrHangup) {
			return nil, nil
		}
		return nil, fmt.Errorf("flows: answer inbound call: %w", err)
	}
	return e.Run(ctx, c, fv, nil)
}

// RunOutbound is the dialer's entry once the customer answered: vars are
// the call-list record's ($flow.key.* names, plus $call.cli, $call.dnis,
// $call.attemptnumber the dialer knows).
func (e *Engine) RunOutbound(ctx context.Context, c *ari.Call, fv FlowVersion, vars map[string]string) (*Journey, error) {
	return e.Run(ctx, c, fv, vars)
}

// AGIHandler serves AGI(agi://host:port/flow/<id>): it checks the flow
// exists and hands the channel to the Stasis application as
// Stasis(<app>,flow,<id>), where Route runs it on ARI like any other call.
// Register it with srv.Handle("flow/", handler).
func (e *Engine) AGIHandler(app string, res FlowResolver) fastagi.Handler {
	return fastagi.HandlerFunc(func(ctx context.Context, s *fastagi.Session) error {
		id, err := strconv.ParseInt(s.Request.Rest, 10, 64)
		if err != nil || id <= 0 {
			_ = s.Verbose(fmt.Sprintf("switchyard: %q is not a flow id", s.Request.Rest), 1)
			_ = s.SetVariable("SWITCHYARD_FLOW", "INVALID")
			return fmt.Errorf("flows: agi: %q is not a flow id", s.Request.Rest)
		}
		lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		_, err = res.FlowByID(lctx, id)
		cancel()
		if err != nil {
			_ = s.SetVariable("SWITCHYARD_FLOW", "NOTFOUND")
			return fmt.Errorf("flows: agi: flow %d: %w", id, err)
		}
		// Blocks until the flow ends (the channel leaves Stasis).
		if _, err := s.Exec("Stasis", fmt.Sprintf("%s,%s,%d", app, KindFlow, id)); err != nil && !s.Hungup() {
			return fmt.Errorf("flows: agi: exec Stasis: %w", err)
		}
		return nil
	})
}
