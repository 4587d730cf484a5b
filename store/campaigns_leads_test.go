package store

import (
	"errors"
	"testing"

	"github.com/switchyard/switchyard/dialer"
)

// TestCampaignLeadWebhooks: an agent-first campaign with a lead webhook
// needs no call list; its webhook settings round-trip and the record
// queries of a campaign without recipients find nothing.
func TestCampaignLeadWebhooks(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		camp := testCampaign(acc.ID)
		if _, err := s.CreateCampaign(ctx, camp); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no recipients and no lead webhook: %v", err)
		}
		camp.Mode, camp.LeadWebhook, camp.LeadNumberPath, camp.LogWebhook = dialer.ModeAgentFirst, "next-lead", "data.number", "crm-log"
		c, err := s.CreateCampaign(ctx, camp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCampaign(ctx, acc.ID, c.ID)
		if err != nil || got.LeadWebhook != "next-lead" || got.LeadNumberPath != "data.number" || got.LogWebhook != "crm-log" || len(got.Recipients) != 0 {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		got.LogWebhook = ""
		if _, err := s.UpdateCampaign(ctx, got, dialer.Editable); err != nil {
			t.Fatal(err)
		}
		if got, err = s.GetCampaign(ctx, acc.ID, c.ID); err != nil || got.LogWebhook != "" || got.LeadWebhook != "next-lead" {
			t.Fatalf("update: %+v %v", got, err)
		}
		n, err := s.CountCampaignRecords(ctx, acc.ID, got.Recipients)
		if err != nil || n.Remaining() != 0 {
			t.Fatalf("counts %+v %v", n, err)
		}
	})
}
