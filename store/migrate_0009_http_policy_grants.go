package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0009HTTPPolicyGrants adds the operator's grant to the account HTTP
// policy: which loopback/private/link-local networks (and plain http://)
// the operator allows the account to reach. The account's own choice is
// kept within the grant; choices stored before this migration have no
// grant and so no effect until the operator grants them. Frozen: do not
// edit.
func m0009HTTPPolicyGrants(tx *gorm.DB) error {
	type accountHTTPPolicy struct {
		GrantHTTP  bool   `gorm:"column:grant_http;not null;default:false"`
		GrantCIDRs string `gorm:"column:grant_cidrs;type:text;not null;default:('')"`
	}
	// accountHTTPPolicy names the table account_http_policies.
	for _, f := range []string{"GrantHTTP", "GrantCIDRs"} {
		if err := tx.Migrator().AddColumn(&accountHTTPPolicy{}, f); err != nil {
			return fmt.Errorf("0009_http_policy_grants: add account_http_policies.%s: %w", f, err)
		}
	}
	return nil
}
