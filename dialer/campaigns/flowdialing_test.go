package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// flowStore has flow 1 (outbound) and 2 (inbound); flow 1's dialing
// campaign is stored when stored is set.
func flowStore(stored *store.Campaign) *fakeStore {
	fs := refStore()
	fs.getFlowC = func(_ int64, flowID string) (store.Campaign, error) {
		if stored == nil || flowID != "1" {
			return store.Campaign{}, store.ErrNotFound
		}
		return *stored, nil
	}
	return fs
}

// TestFlowDialing: an inbound flow has no dialing settings; a flow nobody
// configured shows the defaults through the default trunk; stored
// settings are read back from the flow's dialing campaign.
func TestFlowDialing(t *testing.T) {
	custom := dialer.FlowDialing{Mode: dialer.DialCampaignsOnly, Trunk: "carrier", SimultaneousCalls: 3, DialAttempts: 2, RetryIntervalSec: 30}
	sc := store.Campaign{Campaign: custom.Campaign(acct, "1")}
	tests := []struct {
		name   string
		stored *store.Campaign
		flow   int64
		want   Dialing
		code   string
	}{
		{name: "defaults", flow: 1, want: Dialing{FlowID: 1, FlowDialing: dialer.DefaultFlowDialing("test")}},
		{name: "stored", flow: 1, stored: &sc, want: Dialing{FlowID: 1, FlowDialing: custom, Configured: true}},
		{name: "inbound", flow: 2, code: switchyard.CodeConflict},
		{name: "no such flow", flow: 4, code: switchyard.CodeNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(Config{Store: flowStore(tc.stored), Trunks: testTrunks, DefaultTrunk: "test"}).FlowDialing(context.Background(), acct, tc.flow)
			if tc.code == switchyard.CodeNotFound {
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("error %v, want the store's not found", err)
				}
				return
			}
			wantErr(t, err, tc.code, 0, "", "")
			if tc.code == "" && d != tc.want {
				t.Fatalf("dialing %+v, want %+v", d, tc.want)
			}
		})
	}
}

// TestSetFlowDialingRules: a change is written over the current settings,
// checked (endpoint template, trunk, every field), stored as the flow's
// dialing campaign (Running when automatic, Paused for campaigns only)
// and the dialer told.
func TestSetFlowDialingRules(t *testing.T) {
	tests := []struct {
		name   string
		flow   int64
		change string // JSON over the current settings
		code   string
		status int
		field  string
		msg    string
		want   func(t *testing.T, d Dialing, put store.Campaign)
	}{
		{name: "one field kept the rest", flow: 1, change: `{"simultaneous_calls": 4}`, want: func(t *testing.T, d Dialing, put store.Campaign) {
			if !d.Configured || d.SimultaneousCalls != 4 || d.Trunk != "test" || d.Mode != dialer.DialAutomatic || put.Status != dialer.StatusRunning || put.Source != dialer.SourceFlow {
				t.Fatalf("dialing %+v stored %+v", d, put)
			}
		}},
		{name: "campaigns only pauses", flow: 1, change: `{"mode": "campaigns_only", "trunk": "carrier"}`, want: func(t *testing.T, d Dialing, put store.Campaign) {
			if d.Mode != dialer.DialCampaignsOnly || put.Status != dialer.StatusPaused || put.Trunk != "carrier" {
				t.Fatalf("dialing %+v stored %+v", d, put)
			}
		}},
		{name: "endpoint template", flow: 1, change: `{"endpoint_template": "SIP/x"}`, code: switchyard.CodeBadRequest, status: http.StatusBadRequest, field: "endpoint_template", msg: "no longer accepted"},
		{name: "unknown trunk", flow: 1, change: `{"trunk": "other"}`, code: switchyard.CodeInvalid, field: "trunk", msg: `trunk "other" is not configured`},
		{name: "bad mode", flow: 1, change: `{"mode": "sometimes"}`, code: switchyard.CodeInvalid, status: 422, field: "mode", msg: `mode "sometimes"`},
		{name: "bad field", flow: 1, change: `{"dial_attempts": 0}`, code: switchyard.CodeInvalid, field: "dial_attempts", msg: "dial_attempts 0"},
		{name: "inbound", flow: 2, change: `{}`, code: switchyard.CodeConflict, msg: "flow 2 is an inbound flow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := flowStore(nil)
			var put store.Campaign
			fs.putFlowC = func(c store.Campaign, ifMissing bool) (store.Campaign, error) {
				if ifMissing {
					t.Error("settings a user wrote are stored with ifMissing")
				}
				c.ID = 11
				put = c
				return c, nil
			}
			var notified []int64
			live := &fakeLive{notify: func(_, id int64) error { notified = append(notified, id); return nil }}
			s := New(Config{Store: fs, Live: live, Trunks: testTrunks, DefaultTrunk: "test"})
			d, err := s.SetFlowDialing(context.Background(), acct, tc.flow, func(in *DialingInput) error {
				return json.Unmarshal([]byte(tc.change), in)
			})
			wantErr(t, err, tc.code, tc.status, tc.field, tc.msg)
			if tc.code != "" {
				if put.ID != 0 || len(notified) != 0 {
					t.Fatalf("stored %+v notified %v after a refused change", put, notified)
				}
				return
			}
			if len(notified) != 1 || notified[0] != 11 {
				t.Fatalf("notified %v, want [11]", notified)
			}
			tc.want(t, d, put)
		})
	}
	// The decoder's error is returned as it is.
	bad := switchyard.Invalid("body", "one JSON object expected")
	_, err := New(Config{Store: flowStore(nil)}).SetFlowDialing(context.Background(), acct, 1, func(*DialingInput) error { return bad })
	if err != bad {
		t.Fatalf("error %v, want the change's", err)
	}
}

// TestFlowCampaign: the first import of a flow stores its dialing
// campaign with the defaults (never over settings a user wrote: ifMissing)
// and later imports reuse its id without a store call.
func TestFlowCampaign(t *testing.T) {
	calls := 0
	fs := &fakeStore{putFlowC: func(c store.Campaign, ifMissing bool) (store.Campaign, error) {
		calls++
		if !ifMissing || c.Source != dialer.SourceFlow || c.FlowID != "9" || c.AccountID != acct || c.Trunk != "carrier" || c.Status != dialer.StatusRunning {
			t.Errorf("stored %+v ifMissing %v", c, ifMissing)
		}
		c.ID = 21
		return c, nil
	}}
	s := New(Config{Store: fs, DefaultTrunk: "carrier"})
	for range 3 {
		id, err := s.FlowCampaign(context.Background(), acct, "9")
		if err != nil || id != 21 {
			t.Fatalf("id %d %v", id, err)
		}
	}
	if calls != 1 {
		t.Fatalf("%d store calls, want 1", calls)
	}
	fs.putFlowC = func(store.Campaign, bool) (store.Campaign, error) { return store.Campaign{}, store.ErrNotFound }
	if _, err := s.FlowCampaign(context.Background(), acct, "10"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("error %v, want the store's, wrapped", err)
	}
}
