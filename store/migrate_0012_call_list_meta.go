package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0012CallListMeta gives call-list requests (the ADS recipients lists)
// a name, an accountcode and an active/disabled state: a disabled list
// cannot be used in campaigns. Frozen: do not edit.
func m0012CallListMeta(tx *gorm.DB) error {
	type callListRequest struct {
		ListName    string `gorm:"column:list_name;size:200;not null;default:('')"`
		Accountcode string `gorm:"column:accountcode;size:64;not null;default:('')"`
		Disabled    bool   `gorm:"column:disabled;not null;default:false"`
	}
	for _, f := range []string{"ListName", "Accountcode", "Disabled"} {
		if err := tx.Migrator().AddColumn(&callListRequest{}, f); err != nil {
			return fmt.Errorf("0012_call_list_meta: add call_list_requests.%s: %w", f, err)
		}
	}
	return nil
}
