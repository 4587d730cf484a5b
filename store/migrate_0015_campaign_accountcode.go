package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0015CampaignAccountcode gives campaigns an accountcode (as recipients
// lists have): the billing code their calls carry and the key the ADS
// reports select campaigns by. Existing campaigns get none. Frozen: do not
// edit.
func m0015CampaignAccountcode(tx *gorm.DB) error {
	type campaign struct {
		Accountcode string `gorm:"column:accountcode;size:64;not null;default:('')"`
	}
	if err := tx.Migrator().AddColumn(&campaign{}, "Accountcode"); err != nil {
		return fmt.Errorf("0015_campaign_accountcode: add campaigns.accountcode: %w", err)
	}
	if err := tx.Exec(`CREATE INDEX ix_campaigns_accountcode ON campaigns (account_id, accountcode)`).Error; err != nil {
		return fmt.Errorf("0015_campaign_accountcode: index: %w", err)
	}
	return nil
}
