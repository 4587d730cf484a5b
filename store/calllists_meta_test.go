package store

import (
	"errors"
	"strings"
	"testing"
)

// TestCallListMetaAndDisabledRecipients: a request is a recipients list
// with a name, an accountcode and a status; a disabled list cannot be
// used in a campaign.
func TestCallListMetaAndDisabledRecipients(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "lists")
		req := mustImport(t, s, CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: SourceAPI},
			[]ImportRecord{{Row: 1, Numbers: []string{"+15550001"}, Status: RecordPending}})
		if req.ListStatus != ListActive || req.Name != "" {
			t.Fatalf("new request: %+v", req)
		}
		name, code, off, on, bad := "March leads", "ACC-7", ListDisabled, ListActive, "paused"
		got, err := s.SetCallListMeta(ctx, acc.ID, req.ID, CallListMeta{Name: &name, Accountcode: &code, ListStatus: &off})
		if err != nil || got.Name != name || got.Accountcode != code || got.ListStatus != ListDisabled {
			t.Fatalf("set meta: %+v %v", got, err)
		}
		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID, req.ID)); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "disabled") {
			t.Fatalf("campaign with a disabled list: %v", err)
		}
		if _, err := s.SetCallListMeta(ctx, acc.ID, req.ID, CallListMeta{ListStatus: &on}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCampaign(ctx, testCampaign(acc.ID, req.ID)); err != nil {
			t.Fatalf("campaign with the list enabled again: %v", err)
		}
		if _, err := s.SetCallListMeta(ctx, acc.ID, req.ID, CallListMeta{ListStatus: &bad}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad status: %v", err)
		}
		other := mustAccount(t, s, "other-lists")
		if _, err := s.SetCallListMeta(ctx, other.ID, req.ID, CallListMeta{Name: &name}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account: %v", err)
		}
		got, err = s.GetCallListRequest(ctx, acc.ID, req.ID)
		if err != nil || got.Name != name || got.Accountcode != code || got.ListStatus != ListActive {
			t.Errorf("read back: %+v %v", got, err)
		}
	})
}
