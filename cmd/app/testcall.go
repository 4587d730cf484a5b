package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows"
)

// testCaller places a flow's test call (flowsapi.TestCaller): it calls a
// whitelisted number through the endpoint template and, once answered,
// runs the given flow version — the draft, before it is live. The call is
// recorded as an outbound attempt of the flow like any other.
type testCaller struct {
	calls    *ari.Manager
	engine   *flows.Engine
	endpoint string // template; {number} becomes the E.164 number
	log      *slog.Logger
}

// TestCall returns once Asterisk accepted the call; the flow runs on the
// call's goroutine.
func (t testCaller) TestCall(ctx context.Context, fv flows.FlowVersion, number string) (string, error) {
	c, err := t.place(ctx, fv, number, "")
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

// Connect is the connect-to-a-flow call (flowsapi.Connector): from is
// called with callerID shown and runs the flow once answered.
func (t testCaller) Connect(ctx context.Context, fv flows.FlowVersion, from, callerID string) (string, string, error) {
	c, err := t.place(ctx, fv, from, callerID)
	if err != nil {
		return "", "", err
	}
	return c.ID, c.AttemptID, nil
}

func (t testCaller) place(ctx context.Context, fv flows.FlowVersion, number, callerID string) (*ari.Call, error) {
	ep, err := otpEndpoint(t.endpoint, number)
	if err != nil {
		return nil, err
	}
	flowID := fv.FlowID
	vars := map[string]string{"$call.dnis": number, "$call.attemptnumber": "1"}
	if callerID != "" {
		vars["$call.cli"] = callerID
	}
	c, err := t.calls.Originate(ctx, ari.OriginateParams{
		Endpoint: ep,
		CallerID: callerID,
		Timeout:  otpRingTimeout,
		Attempt:  &ari.Attempt{AccountID: fv.AccountID, Number: 1, CLI: callerID, DNIS: number, FlowID: &flowID},
		Handler: func(ctx context.Context, c *ari.Call) error {
			_, err := t.engine.RunOutbound(ctx, c, fv, vars)
			return err
		},
	})
	if err != nil {
		return nil, fmt.Errorf("call to %s: %w", number, err)
	}
	t.log.Info("flow call placed", "account_id", fv.AccountID, "flow_id", fv.FlowID, "version", fv.Version, "number", number, "channel", c.ID)
	return c, nil
}
