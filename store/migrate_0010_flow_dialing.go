package store

import (
	"fmt"

	"gorm.io/gorm"
)

// m0010FlowDialing adds what automatic dialing of call lists needs:
//   - campaigns.trunk: the operator-configured trunk a campaign dials
//     through, by name (tenants no longer write raw Asterisk dial strings);
//     existing campaigns lose their endpoint_template and dial through the
//     default trunk;
//   - campaigns.source: "flow" for the hidden per-flow campaign that holds
//     a flow's dialing settings and dials its requests automatically;
//   - call_list_requests.campaigns_only: the request is dialed only by
//     hand-made campaigns. Every request stored before this migration is
//     reserved that way, so an upgrade never starts dialing old lists;
//   - indexes: one flow campaign per flow; a flow's open requests.
//
// Frozen: do not edit.
func m0010FlowDialing(tx *gorm.DB) error {
	type campaign struct {
		Trunk  string `gorm:"column:trunk;size:64;not null;default:('')"`
		Source string `gorm:"column:source;size:16;not null;default:('')"`
	}
	for _, f := range []string{"Trunk", "Source"} {
		if err := tx.Migrator().AddColumn(&campaign{}, f); err != nil {
			return fmt.Errorf("0010_flow_dialing: add campaigns.%s: %w", f, err)
		}
	}
	type callListRequest struct {
		CampaignsOnly bool `gorm:"column:campaigns_only;not null;default:false"`
	}
	if err := tx.Migrator().AddColumn(&callListRequest{}, "CampaignsOnly"); err != nil {
		return fmt.Errorf("0010_flow_dialing: add call_list_requests.campaigns_only: %w", err)
	}
	for _, q := range []string{
		`UPDATE call_list_requests SET campaigns_only = true`,
		`UPDATE campaigns SET endpoint_template = ''`,
		`CREATE UNIQUE INDEX ux_campaigns_flow ON campaigns (account_id, flow_id) WHERE source = 'flow'`,
		`CREATE INDEX ix_call_list_requests_flow_open ON call_list_requests (account_id, flow_id, campaigns_only, status)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("0010_flow_dialing: %s: %w", q, err)
		}
	}
	return nil
}
