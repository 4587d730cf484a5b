package ariplacer

import (
	"context"
	"fmt"
	"strconv"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
)

// FlowFinder finds a flow's published version (flowstore.Adapter).
type FlowFinder interface {
	FlowByID(ctx context.Context, flowID int64) (flows.FlowVersion, error)
}

// FlowRunner runs a flow version on an answered outbound call
// (flows.Engine).
type FlowRunner interface {
	RunOutbound(ctx context.Context, c *ari.Call, fv flows.FlowVersion, vars map[string]string) (*flows.Journey, error)
}

// CampaignFlows runs an answered campaign call's flow with the call-list
// record's variables (its Run is the Placer's RunFlow). The flow must be
// published and belong to the campaign's account.
type CampaignFlows struct {
	Flows  FlowFinder
	Engine FlowRunner
}

// Run runs flow flowID on the call. A campaign without a flow runs
// nothing (the call is hung up after the handler).
func (f CampaignFlows) Run(ctx context.Context, c *ari.Call, r dialer.PlaceRequest, flowID string) (*flows.Journey, error) {
	camp := r.Campaign
	if flowID == "" {
		return nil, nil
	}
	id, err := strconv.ParseInt(flowID, 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("campaign %d: flow id %q is not a number", camp.ID, flowID)
	}
	fv, err := f.Flows.FlowByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("campaign %d: flow %d: %w", camp.ID, id, err)
	}
	if fv.AccountID != camp.AccountID {
		return nil, fmt.Errorf("campaign %d: flow %d belongs to another account", camp.ID, id)
	}
	vars := make(map[string]string, len(r.Record.Variables)+3)
	for k, v := range r.Record.Variables {
		vars[k] = v
	}
	vars["$call.cli"] = camp.CallerID
	vars["$call.dnis"] = r.Number
	vars["$call.attemptnumber"] = strconv.Itoa(r.Record.Attempt)
	// The journey's syskeys carry $flow.syskey.* reschedule requests back
	// to the dialer.
	return f.Engine.RunOutbound(ctx, c, fv, vars)
}
