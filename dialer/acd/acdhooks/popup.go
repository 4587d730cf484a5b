package acdhooks

import (
	"cmp"
	"fmt"
	"strconv"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// CampaignPopup sends an agent-first campaign's popup events (the agent is
// shown the customer being called, then the call's outcome) through the
// account's popup webhooks, like the ACD's own (the supervisor's Popup).
func (n *Notifier) CampaignPopup(p dialer.PopupEvent) {
	agentID, _ := strconv.ParseInt(p.Agent.AgentID, 10, 64)
	n.Notify(acd.Event{
		Kind: acdconfig.EventKind(p.Kind), AccountID: p.AccountID, CallID: cmp.Or(p.CallID, fmt.Sprintf("campaign-%d-record-%d", p.CampaignID, p.RecordID)),
		AgentID: agentID, AgentNumber: p.Agent.Number, Customer: p.Customer, CallFrom: p.Agent.Number, CallTo: p.Customer,
		Direction: "outbound-dial", At: p.At, Created: p.At, Busy: p.Busy,
	})
}
