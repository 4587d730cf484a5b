package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0011AccountCountry adds the account's default country: the ISO 3166-1
// alpha-2 code that numbers written without a country code (national
// numbers) belong to, for call-list intake and the dialer. Empty means
// numbers must carry their country code. Frozen: do not edit.
func m0011AccountCountry(tx *gorm.DB) error {
	type account struct {
		Country string `gorm:"column:country;size:2;not null;default:('')"`
	}
	if err := tx.Migrator().AddColumn(&account{}, "Country"); err != nil {
		return fmt.Errorf("0011_account_country: add accounts.country: %w", err)
	}
	return nil
}
