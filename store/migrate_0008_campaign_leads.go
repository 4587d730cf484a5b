package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0008CampaignLeads adds the agent-first campaign's lead and call-log
// webhooks (progressive dialer: the next lead of an agent comes from the
// account's webhook; the call log goes to another after each call) and where
// the number is read in a JSON answer. Frozen: do not edit.
func m0008CampaignLeads(tx *gorm.DB) error {
	type campaign struct {
		LeadWebhook    string `gorm:"column:lead_webhook;size:128;not null;default:('')"`
		LeadNumberPath string `gorm:"column:lead_number_path;size:128;not null;default:('')"`
		LogWebhook     string `gorm:"column:log_webhook;size:128;not null;default:('')"`
	}
	for _, f := range []string{"LeadWebhook", "LeadNumberPath", "LogWebhook"} {
		if err := tx.Migrator().AddColumn(&campaign{}, f); err != nil {
			return fmt.Errorf("0008_campaign_leads: add campaigns.%s: %w", f, err)
		}
	}
	return nil
}
