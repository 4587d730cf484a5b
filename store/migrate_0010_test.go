package store

import (
	"testing"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
)

// TestMigrateFlowDialingUpgrade: upgrading a database with call lists and
// campaigns reserves every existing request for hand-made campaigns (an
// upgrade never starts dialing old lists) and moves existing campaigns off
// their tenant-written dial strings (to the default trunk).
func TestMigrateFlowDialingUpgrade(t *testing.T) {
	for _, d := range drivers {
		t.Run(d, func(t *testing.T) {
			ctx := ctxT(t)
			s, _ := openStoreWith(t, freshOptions(t, d), testStoreOpts{noMigrate: true})
			var before []*gormigrate.Migration
			for _, m := range migrations() {
				if m.ID == "0010_flow_dialing" {
					break
				}
				before = append(before, m)
			}
			if err := gormigrate.New(s.w.WithContext(ctx), &gormigrate.Options{TableName: MigrationsTable, IDColumnName: "id", IDColumnSize: 255,
				UseTransaction: true}, before).Migrate(); err != nil {
				t.Fatal(err)
			}
			// The account as the schema before the migration has it (the
			// live model has columns of later migrations).
			t0 := time.Now().UTC()
			var acc struct{ ID int64 }
			if err := s.w.WithContext(ctx).Exec("INSERT INTO accounts (name, created_at, updated_at) VALUES (?, ?, ?)", "acme", t0, t0).Error; err != nil {
				t.Fatal(err)
			}
			if err := s.w.WithContext(ctx).Raw("SELECT id FROM accounts WHERE name = ?", "acme").Scan(&acc).Error; err != nil || acc.ID == 0 {
				t.Fatalf("account: %v %v", acc, err)
			}
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO call_list_requests (id, account_id, flow_id, flow_name, flow_type, source, file_name, status, uploaded, valid, invalid, scrubbed, added, completed, created_at, updated_at)
			  VALUES ('r1', ?, '7', 'f', 'outbound', 'api', '', 'Scheduled', 1, 1, 0, 0, 1, 0, ?, ?)`, []any{acc.ID, t0, t0}},
				{`INSERT INTO campaigns (account_id, type, mode, name, recipients, endpoint_template, simultaneous_calls, dial_attempts, status, created_at, updated_at)
			  VALUES (?, 'telephone', 'multicast', 'old', '["r1"]', 'PJSIP/agent-of-another-tenant', 1, 1, 'Created', ?, ?)`, []any{acc.ID, t0, t0}},
			} {
				if err := s.w.WithContext(ctx).Exec(q.sql, q.args...).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			r, err := s.GetCallListRequest(ctx, acc.ID, "r1")
			if err != nil || !r.CampaignsOnly {
				t.Errorf("old request after the upgrade: %+v %v, want campaigns_only", r, err)
			}
			if ids, err := s.FlowRequestIDs(ctx, acc.ID, "7"); err != nil || len(ids) != 0 {
				t.Errorf("the flow's automatic dialing would take %v (%v)", ids, err)
			}
			cs, err := s.ListCampaigns(ctx, acc.ID, "")
			if err != nil || len(cs) != 1 || cs[0].EndpointTemplate != "" || cs[0].Trunk != "" {
				t.Errorf("old campaign after the upgrade: %+v %v, want no template (the default trunk)", cs, err)
			}
		})
	}
}
