package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/dialer"
)

// TestCampaignAccountcode: a campaign keeps its accountcode through
// create, read and update; the campaign list and the ADS reports select
// by it; an over-long one is refused.
func TestCampaignAccountcode(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		mk := func(name, code string) Campaign {
			t.Helper()
			c, err := s.CreateCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: fx.a.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast,
				Name: name, Accountcode: code, Status: dialer.StatusCreated, Recipients: []string{fx.req.ID}, SimultaneousCalls: 1, DialAttempts: 1}})
			if err != nil {
				t.Fatalf("create %s: %v", name, err)
			}
			return c
		}
		sales, support := mk("sales", "SALES-1"), mk("support", "")
		if got, err := s.GetCampaign(ctx, fx.a.ID, sales.ID); err != nil || got.Accountcode != "SALES-1" {
			t.Fatalf("read back: %q %v", got.Accountcode, err)
		}
		support.Accountcode = "SUP"
		if _, err := s.UpdateCampaign(ctx, support, func(string) bool { return true }); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			code string
			want []int64
		}{{"SALES-1", []int64{sales.ID}}, {"SUP", []int64{support.ID}}, {"NONE", nil}, {"", []int64{support.ID, sales.ID}}} {
			cs, err := s.SearchCampaigns(ctx, fx.a.ID, CampaignFilter{Accountcode: tc.code})
			if err != nil {
				t.Fatal(err)
			}
			if got := campaignIDs(cs); !equalIDs(got, tc.want) {
				t.Errorf("list accountcode %q: %v, want %v", tc.code, got, tc.want)
			}
			ads, err := s.ADSCampaigns(ctx, ADSFilter{AccountID: fx.a.ID, Accountcode: tc.code})
			if err != nil {
				t.Fatal(err)
			}
			if len(ads) != len(tc.want) {
				t.Errorf("ADS accountcode %q: %v, want %d campaigns", tc.code, campaignIDs(ads), len(tc.want))
			}
		}
		// Another account's campaign with the same accountcode is not seen.
		if cs, err := s.SearchCampaigns(ctx, fx.b.ID, CampaignFilter{Accountcode: "SALES-1"}); err != nil || len(cs) != 0 {
			t.Errorf("other account: %v %v", campaignIDs(cs), err)
		}
		_, err := s.CreateCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: fx.a.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast,
			Name: "long", Accountcode: strings.Repeat("x", 65), Status: dialer.StatusCreated, Recipients: []string{fx.req.ID}, SimultaneousCalls: 1, DialAttempts: 1}})
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("65-character accountcode: %v, want ErrInvalid", err)
		}
	})
}

// TestADSReportsHideFlowCampaigns: the hidden campaign a flow's automatic
// dialing runs is not a campaign of the ADS reports (Statistics by
// Campaign, Detailed Report), even when asked for by id or by period.
func TestADSReportsHideFlowCampaigns(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		made, err := s.CreateCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: fx.a.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast,
			Name: "made", Status: dialer.StatusCreated, Recipients: []string{fx.req.ID}, SimultaneousCalls: 1, DialAttempts: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TransitionCampaign(ctx, fx.a.ID, made.ID, func(string) (string, error) { return dialer.StatusRunning, nil }); err != nil {
			t.Fatal(err)
		}
		auto, err := s.PutFlowCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: fx.a.ID, Type: dialer.TypeTelephone, Mode: dialer.ModeMulticast,
			Name: "flow 77", Source: CampaignSourceFlow, FlowID: "77", Trunk: "test", SimultaneousCalls: 1, DialAttempts: 1, Status: dialer.StatusRunning}}, true)
		if err != nil || auto.StartedAt == nil {
			t.Fatalf("flow campaign: %+v %v", auto, err)
		}
		for _, f := range []ADSFilter{
			{AccountID: fx.a.ID},
			{AccountID: fx.a.ID, Start: fx.base.AddDate(-1, 0, 0)},
			{AccountID: fx.a.ID, CampaignIDs: []int64{made.ID, auto.ID}},
		} {
			st, err := s.ADSStatistics(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(st) != 1 || st[0].CampaignID != made.ID {
				t.Errorf("statistics %+v: %+v, want only campaign %d", f, st, made.ID)
			}
			n := 0
			if err := s.EachADSDetail(ctx, f, func(d *ADSDetail) error {
				if d.CampaignID != made.ID {
					t.Errorf("detailed report lists campaign %d", d.CampaignID)
				}
				n++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Errorf("detailed %+v: %d records, want 3", f, n)
			}
		}
		if st, err := s.ADSStatistics(ctx, ADSFilter{AccountID: fx.a.ID, CampaignIDs: []int64{auto.ID}}); err != nil || len(st) != 0 {
			t.Errorf("the flow campaign asked for by id: %+v %v", st, err)
		}
	})
}

func campaignIDs(cs []Campaign) []int64 {
	var ids []int64
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
