package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// Dialing is an outbound flow's dialing settings.
type Dialing struct {
	FlowID int64 `json:"flow_id"`
	dialer.FlowDialing
	// Configured is false while the flow runs on the defaults (nothing
	// stored yet: the first import stores them).
	Configured bool `json:"configured"`
}

// DialingInput is a change of a flow's dialing settings: the settings,
// plus the refused endpoint_template.
type DialingInput struct {
	dialer.FlowDialing
	// EndpointTemplate is refused (400), as for campaigns.
	EndpointTemplate string `json:"endpoint_template"`
}

// outboundFlow checks that the account's flow exists and dials out.
func (s *Service) outboundFlow(ctx context.Context, acct, id int64) (string, error) {
	f, err := s.c.Store.GetFlow(ctx, acct, id)
	if err != nil {
		return "", err
	}
	if f.Type == flows.TypeInbound {
		return "", switchyard.Conflict("flow %d is an inbound flow: only outbound flows (multicast, dialer, emergency notification) dial call lists", id)
	}
	return strconv.FormatInt(id, 10), nil
}

// current returns the flow's stored settings, or the defaults.
func (s *Service) current(ctx context.Context, acct, id int64, flowID string) (Dialing, error) {
	sc, err := s.c.Store.GetFlowCampaign(ctx, acct, flowID)
	if errors.Is(err, store.ErrNotFound) {
		return Dialing{FlowID: id, FlowDialing: dialer.DefaultFlowDialing(s.c.DefaultTrunk)}, nil
	}
	if err != nil {
		return Dialing{}, err
	}
	return Dialing{FlowID: id, FlowDialing: dialer.FlowDialingOf(sc.Campaign), Configured: true}, nil
}

// FlowDialing reads an outbound flow's dialing settings (the defaults
// while none are stored).
func (s *Service) FlowDialing(ctx context.Context, acct, flowID int64) (Dialing, error) {
	fid, err := s.outboundFlow(ctx, acct, flowID)
	if err != nil {
		return Dialing{}, err
	}
	return s.current(ctx, acct, flowID, fid)
}

// SetFlowDialing changes an outbound flow's dialing settings: change
// writes the new ones over the current ones (a setting it leaves alone
// keeps its value; an error from it is returned as it is), then they are
// validated, stored as the flow's dialing campaign (Running when
// automatic, Paused for campaigns only) and the live dialer is told.
func (s *Service) SetFlowDialing(ctx context.Context, acct, flowID int64, change func(*DialingInput) error) (Dialing, error) {
	fid, err := s.outboundFlow(ctx, acct, flowID)
	if err != nil {
		return Dialing{}, err
	}
	cur, err := s.current(ctx, acct, flowID, fid)
	if err != nil {
		return Dialing{}, err
	}
	in := DialingInput{FlowDialing: cur.FlowDialing}
	if err := change(&in); err != nil {
		return Dialing{}, err
	}
	if in.EndpointTemplate != "" {
		return Dialing{}, errEndpointTemplate(s.c.Trunks)
	}
	d := in.FlowDialing
	if d.Trunk, err = s.trunk(d.Trunk); err != nil {
		return Dialing{}, err
	}
	if err := d.Validate(); err != nil {
		return Dialing{}, err // coded: names the field, says what is wrong
	}
	sc, err := s.c.Store.PutFlowCampaign(ctx, store.Campaign{Campaign: d.Campaign(acct, fid)}, false)
	if err != nil {
		return Dialing{}, err
	}
	s.flows.Store(flowKey(acct, fid), sc.ID)
	s.notify(ctx, acct, sc.ID, "dialer not notified of a flow's dialing settings", "flow", fid)
	return Dialing{FlowID: flowID, FlowDialing: dialer.FlowDialingOf(sc.Campaign), Configured: true}, nil
}

func flowKey(acct int64, flowID string) string { return fmt.Sprintf("%d/%s", acct, flowID) }

// FlowCampaign makes sure a flow has its dialing campaign and returns its
// id: the first time (a list is imported for a flow nobody configured) it
// is stored with the default settings (automatic, through the default
// trunk); settings already stored are kept. The id is remembered, so a
// flow's later imports cost no store call.
func (s *Service) FlowCampaign(ctx context.Context, acct int64, flowID string) (int64, error) {
	key := flowKey(acct, flowID)
	if id, ok := s.flows.Load(key); ok {
		return id.(int64), nil
	}
	c := dialer.DefaultFlowDialing(s.c.DefaultTrunk).Campaign(acct, flowID)
	sc, err := s.c.Store.PutFlowCampaign(ctx, store.Campaign{Campaign: c}, true)
	if err != nil {
		return 0, fmt.Errorf("flow %s dialing campaign: %w", flowID, err)
	}
	s.flows.Store(key, sc.ID)
	return sc.ID, nil
}
