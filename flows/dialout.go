package flows

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/switchyard/switchyard/ari"
)

// Originator places a call on Asterisk (the ari.Manager).
type Originator interface {
	Originate(ctx context.Context, p ari.OriginateParams) (*ari.Call, error)
}

// Dialout calls a number and, once answered, runs a given flow version on
// the call: the test call of a flow to a whitelisted number (the draft,
// before it is live) and the connect-to-a-flow call. The call is recorded
// as an outbound attempt of the flow like any other.
type Dialout struct {
	Calls  Originator
	Engine *Engine
	// Endpoint is the dial string template; {number} becomes the E.164
	// number.
	Endpoint string
	Logger   *slog.Logger
}

// dialoutRingTimeout is how long the called number may ring.
const dialoutRingTimeout = 45 * time.Second

var dialoutE164 = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)

// TestCall places a flow's test call. It returns once Asterisk accepted
// the call; the flow runs on the call's goroutine.
func (d Dialout) TestCall(ctx context.Context, fv FlowVersion, number string) (string, error) {
	c, err := d.place(ctx, fv, number, "", true)
	if err != nil {
		return "", err
	}
	// The call is watched from its start (the console's flow editor shows
	// it ringing, then its journey node by node: Engine.Live).
	d.Engine.Live.Open(c.ID, fv.AccountID, fv.FlowID)
	go func() {
		<-c.Done()
		d.Engine.Live.Close(c.ID, "not_answered", "the call ended before the flow ran")
	}()
	return c.ID, nil
}

// Connect is the connect-to-a-flow call: from is called with callerID
// shown and runs the flow once answered.
func (d Dialout) Connect(ctx context.Context, fv FlowVersion, from, callerID string) (string, string, error) {
	c, err := d.place(ctx, fv, from, callerID, false)
	if err != nil {
		return "", "", err
	}
	return c.ID, c.AttemptID, nil
}

func (d Dialout) place(ctx context.Context, fv FlowVersion, number, callerID string, watch bool) (*ari.Call, error) {
	// The number is checked so the dial string cannot be altered through
	// it.
	if !dialoutE164.MatchString(number) {
		return nil, fmt.Errorf("flow call: %q is not an E.164 number", number)
	}
	ep := strings.ReplaceAll(d.Endpoint, "{number}", number)
	flowID := fv.FlowID
	vars := map[string]string{"$call.dnis": number, "$call.attemptnumber": "1"}
	if callerID != "" {
		vars["$call.cli"] = callerID
	}
	engine := d.Engine
	c, err := d.Calls.Originate(ctx, ari.OriginateParams{
		Endpoint: ep,
		CallerID: callerID,
		Timeout:  dialoutRingTimeout,
		Attempt:  &ari.Attempt{AccountID: fv.AccountID, Number: 1, CLI: callerID, DNIS: number, FlowID: &flowID},
		Handler: func(ctx context.Context, c *ari.Call) error {
			if watch {
				engine.Live.Open(c.ID, fv.AccountID, fv.FlowID)
			}
			_, err := engine.RunOutbound(ctx, c, fv, vars)
			return err
		},
	})
	if err != nil {
		return nil, fmt.Errorf("call to %s: %w", number, err)
	}
	d.log().Info("flow call placed", "account_id", fv.AccountID, "flow_id", fv.FlowID, "version", fv.Version, "number", number, "channel", c.ID)
	return c, nil
}

func (d Dialout) log() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}
