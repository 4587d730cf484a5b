package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0027CampaignSMSText gives campaigns the SMS text an sms campaign sends
// to each record instead of calling it. Existing campaigns get none.
// Frozen: do not edit.
func m0027CampaignSMSText(tx *gorm.DB) error {
	type campaign struct {
		SMSText string `gorm:"column:sms_text;type:text;not null;default:('')"`
	}
	if err := tx.Migrator().AddColumn(&campaign{}, "SMSText"); err != nil {
		return fmt.Errorf("0027_campaign_sms_text: add campaigns.sms_text: %w", err)
	}
	return nil
}
