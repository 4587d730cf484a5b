package campaigns

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/store"
)

const acct = 7

var testTrunks = dialer.Trunks{"test": "Local/{number}@test-trunk", "carrier": "PJSIP/{number}@carrier"}

// wantErr checks err is a coded error with code, status (0: not checked),
// field and a message containing msg; code "" wants no error.
func wantErr(t *testing.T, err error, code string, status int, field, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("error %v, want none", err)
		}
		return
	}
	var e *switchyard.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want a coded %s", err, code)
	}
	st := e.Status
	if st == 0 {
		st = switchyard.StatusForCode(e.Code)
	}
	if e.Code != code || (status != 0 && st != status) || e.Field != field || !strings.Contains(e.Message, msg) {
		t.Fatalf("error %s/%d field %q message %q, want %s/%d field %q message with %q", e.Code, st, e.Field, e.Message, code, status, field, msg)
	}
}

// refStore is a store with flows 1 (published outbound), 2 (inbound), 3
// (unpublished), queue "sales" and webhook "leads"; it stores creations
// and updates as they come (id 5).
func refStore() *fakeStore {
	return &fakeStore{
		getFlow: func(_, id int64) (store.Flow, error) {
			switch id {
			case 1:
				return store.Flow{ID: 1, Type: "outbound_multicast", PublishedVersion: 1}, nil
			case 2:
				return store.Flow{ID: 2, Type: "inbound", PublishedVersion: 1}, nil
			case 3:
				return store.Flow{ID: 3, Type: "outbound_dialer"}, nil
			case 99:
				return store.Flow{}, errors.New("database down")
			}
			return store.Flow{}, fmt.Errorf("flow %d: %w", id, store.ErrNotFound)
		},
		getQueue: func(_ int64, name string) (store.Queue, error) {
			if name == "sales" {
				return store.Queue{Queue: acdconfig.Queue{Name: name}}, nil
			}
			return store.Queue{}, store.ErrNotFound
		},
		getWebhook: func(_ int64, name string) (store.Webhook, error) {
			if name == "leads" {
				return store.Webhook{}, nil
			}
			return store.Webhook{}, store.ErrNotFound
		},
		create: func(c store.Campaign) (store.Campaign, error) { c.ID = 5; return c, nil },
	}
}

func validInput() Input {
	return Input{Name: " March reminders ", Recipients: []string{"req-1"}, FlowID: " 1 ", RetryIntervalSec: 60}
}

// TestCreateRules: every campaign rule of a create, with the error a
// client sees (code, HTTP status, field, message).
func TestCreateRules(t *testing.T) {
	tests := []struct {
		name   string
		trunks dialer.Trunks // nil: testTrunks
		anyTr  bool          // no trunk table: any well-formed name
		in     func(*Input)
		code   string
		status int
		field  string
		msg    string
		check  func(t *testing.T, c Campaign)
	}{
		{name: "defaults filled", in: func(*Input) {}, check: func(t *testing.T, c Campaign) {
			if c.ID != 5 || c.AccountID != acct || c.Name != "March reminders" || c.Trunk != "test" || c.FlowID != "1" ||
				c.Status != dialer.StatusCreated || c.Mode != dialer.ModeMulticast || c.Type != dialer.TypeTelephone ||
				c.DialAttempts != 1 || c.SimultaneousCalls != dialer.DefaultFlowSimultaneousCalls {
				t.Fatalf("created %+v", c.Campaign)
			}
		}},
		{name: "named trunk", in: func(in *Input) { in.Trunk = " carrier " }, check: func(t *testing.T, c Campaign) {
			if c.Trunk != "carrier" {
				t.Fatalf("trunk %q", c.Trunk)
			}
		}},
		{name: "endpoint template refused", in: func(in *Input) { in.EndpointTemplate = "PJSIP/agent1" },
			code: switchyard.CodeBadRequest, status: http.StatusBadRequest, field: "endpoint_template",
			msg: `choose a trunk by name in "trunk" (configured: carrier, test)`},
		{name: "unknown trunk", in: func(in *Input) { in.Trunk = "nope" },
			code: switchyard.CodeInvalid, status: 422, field: "trunk", msg: `trunk "nope" is not configured (configured: carrier, test)`},
		{name: "no trunk table: malformed name", anyTr: true, in: func(in *Input) { in.Trunk = "a b" },
			code: switchyard.CodeInvalid, field: "trunk", msg: "must be a trunk name"},
		{name: "no trunk table: any name", anyTr: true, in: func(in *Input) { in.Trunk = "mine" }, check: func(t *testing.T, c Campaign) {
			if c.Trunk != "mine" {
				t.Fatalf("trunk %q", c.Trunk)
			}
		}},
		{name: "field check", in: func(in *Input) { in.Mode = "loud" }, code: switchyard.CodeInvalid, status: 422, field: "mode", msg: `mode "loud"`},
		{name: "no recipients", in: func(in *Input) { in.Recipients = nil }, code: switchyard.CodeInvalid, field: "recipients", msg: "recipients"},
		{name: "flow id not a number", in: func(in *Input) { in.FlowID = "abc" }, code: switchyard.CodeInvalid, field: "flow_id", msg: `"abc" is not a flow id`},
		{name: "flow missing", in: func(in *Input) { in.FlowID = "4" }, code: CodeFlowNotFound, status: 422, field: "flow_id", msg: "flow 4 does not exist in the account"},
		{name: "flow unpublished", in: func(in *Input) { in.FlowID = "3" }, code: CodeFlowNotPublished, status: 422, field: "flow_id", msg: "publish it first"},
		{name: "flow inbound", in: func(in *Input) { in.FlowID = "2" }, code: CodeFlowTypeMismatch, status: 422, field: "flow_id", msg: "flow 2 is an inbound flow"},
		{name: "machine flow inbound", in: func(in *Input) { in.AMD, in.MachineAction, in.MachineFlowID = true, "flow", "2" },
			code: CodeFlowTypeMismatch, field: "machine_flow_id", msg: "outbound_dialer, outbound_multicast or emergency_notification"},
		{name: "machine flow ok", in: func(in *Input) { in.AMD, in.MachineAction, in.MachineFlowID = true, "flow", "1" }, check: func(t *testing.T, c Campaign) {
			if c.MachineFlowID != "1" {
				t.Fatalf("machine flow %q", c.MachineFlowID)
			}
		}},
		{name: "queue missing", in: func(in *Input) { in.Mode, in.Queue = dialer.ModeProgressive, "support" },
			code: CodeQueueNotFound, status: 422, field: "queue", msg: `queue "support" does not exist`},
		{name: "queue ok", in: func(in *Input) { in.Mode, in.Queue = dialer.ModeProgressive, " sales " }, check: func(t *testing.T, c Campaign) {
			if c.Queue != "sales" {
				t.Fatalf("queue %q", c.Queue)
			}
		}},
		{name: "lead webhook missing", in: func(in *Input) { in.Mode, in.Queue, in.LeadWebhook = dialer.ModeAgentFirst, "sales", "crm" },
			code: switchyard.CodeInvalid, field: "lead_webhook", msg: `webhook "crm" is not configured in the account`},
		{name: "log webhook missing", in: func(in *Input) {
			in.Mode, in.Queue, in.LeadWebhook, in.LogWebhook = dialer.ModeAgentFirst, "sales", "leads", "log"
		}, code: switchyard.CodeInvalid, field: "log_webhook", msg: `webhook "log" is not configured`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Store: refStore(), Trunks: testTrunks, DefaultTrunk: "test"}
			if tc.trunks != nil {
				cfg.Trunks = tc.trunks
			}
			if tc.anyTr {
				cfg.Trunks, cfg.DefaultTrunk = nil, ""
			}
			in := validInput()
			tc.in(&in)
			c, err := New(cfg).Create(context.Background(), acct, in)
			wantErr(t, err, tc.code, tc.status, tc.field, tc.msg)
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestCreateStoreErrors: a store failure is returned as it is (not made a
// client error), and nothing is created after a failed reference check.
func TestCreateStoreErrors(t *testing.T) {
	fs := refStore()
	fs.create = nil // a create call fails the test through errUnexpected
	in := validInput()
	in.FlowID = "99"
	_, err := New(Config{Store: fs}).Create(context.Background(), acct, in)
	if err == nil || err.Error() != "database down" {
		t.Fatalf("error %v, want the store's", err)
	}
}

// storedCampaign is a stored campaign of the fake in status st.
func storedCampaign(id int64, st, source string) store.Campaign {
	return store.Campaign{Campaign: dialer.Campaign{ID: id, AccountID: acct, Type: "telephone", Mode: "multicast", Name: "c", Recipients: []string{"req-1"},
		SimultaneousCalls: 1, DialAttempts: 1, Status: st, Source: source, FlowID: "1"}}
}

// TestUpdateAndDeleteRules: only a Created or Finished campaign is edited,
// a Running or Paused one is not removed, and a flow's dialing campaign is
// not a campaign of these calls.
func TestUpdateAndDeleteRules(t *testing.T) {
	tests := []struct {
		name, status, source string
		op                   string // update or delete
		code, msg            string
	}{
		{name: "edit Created", status: dialer.StatusCreated, op: "update"},
		{name: "edit Finished", status: dialer.StatusFinished, op: "update"},
		{name: "edit Running", status: dialer.StatusRunning, op: "update", code: switchyard.CodeConflict, msg: "campaign 5 is Running: only Created or Finished campaigns can be edited"},
		{name: "edit Paused", status: dialer.StatusPaused, op: "update", code: switchyard.CodeConflict, msg: "is Paused"},
		{name: "edit a flow's campaign", status: dialer.StatusRunning, source: dialer.SourceFlow, op: "update", code: switchyard.CodeNotFound, msg: "campaign 5 not found"},
		{name: "remove Cancelled", status: dialer.StatusCancelled, op: "delete"},
		{name: "remove Created", status: dialer.StatusCreated, op: "delete"},
		{name: "remove Running", status: dialer.StatusRunning, op: "delete", code: switchyard.CodeConflict, msg: "campaign 5 is Running: cancel it before removing it"},
		{name: "remove Paused", status: dialer.StatusPaused, op: "delete", code: switchyard.CodeConflict, msg: "is Paused"},
		{name: "remove a flow's campaign", status: dialer.StatusPaused, source: dialer.SourceFlow, op: "delete", code: switchyard.CodeNotFound, msg: "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := refStore()
			cur := storedCampaign(5, tc.status, tc.source)
			fs.get = func(a, id int64) (store.Campaign, error) {
				if a != acct || id != 5 {
					return store.Campaign{}, store.ErrNotFound
				}
				return cur, nil
			}
			fs.update = func(c store.Campaign, editable func(string) bool) (store.Campaign, error) {
				if !editable(cur.Status) {
					return store.Campaign{}, store.ErrConflict
				}
				c.Status = cur.Status
				return c, nil
			}
			fs.del = func(_, _ int64, deletable func(string) bool) error {
				if !deletable(cur.Status) {
					return store.ErrConflict
				}
				return nil
			}
			s := New(Config{Store: fs, Trunks: testTrunks, DefaultTrunk: "test"})
			var err error
			if tc.op == "update" {
				var c Campaign
				c, err = s.Update(context.Background(), acct, 5, validInput())
				if err == nil && (c.ID != 5 || c.Name != "March reminders") {
					t.Fatalf("updated %+v", c.Campaign)
				}
			} else {
				err = s.Delete(context.Background(), acct, 5)
			}
			wantErr(t, err, tc.code, 0, "", tc.msg)
		})
	}
}

// TestTransitionRules: each action from each status, the conflict a
// client sees, the live dialer told of every change (and only then), and
// a cancel closing the scheduled records as RESCHEDULED.
func TestTransitionRules(t *testing.T) {
	tests := []struct {
		from, action string
		to           string // "" with code
		code, field  string
		msg          string
	}{
		{from: dialer.StatusCreated, action: dialer.ActionStart, to: dialer.StatusRunning},
		{from: dialer.StatusFinished, action: dialer.ActionStart, to: dialer.StatusRunning},
		{from: dialer.StatusCancelled, action: dialer.ActionStart, to: dialer.StatusRunning},
		{from: dialer.StatusRunning, action: dialer.ActionPause, to: dialer.StatusPaused},
		{from: dialer.StatusPaused, action: dialer.ActionResume, to: dialer.StatusRunning},
		{from: dialer.StatusRunning, action: dialer.ActionCancel, to: dialer.StatusCancelled},
		{from: dialer.StatusPaused, action: dialer.ActionCancel, to: dialer.StatusCancelled},
		{from: dialer.StatusRunning, action: dialer.ActionStart, code: switchyard.CodeConflict, msg: "cannot start campaign 5: it is Running"},
		{from: dialer.StatusCreated, action: dialer.ActionPause, code: switchyard.CodeConflict, msg: "cannot pause campaign 5: it is Created"},
		{from: dialer.StatusRunning, action: dialer.ActionResume, code: switchyard.CodeConflict, msg: "cannot resume campaign 5: it is Running"},
		{from: dialer.StatusFinished, action: dialer.ActionCancel, code: switchyard.CodeConflict, msg: "cannot cancel campaign 5: it is Finished"},
		{from: dialer.StatusRunning, action: dialer.ActionFinish, code: switchyard.CodeInvalid, field: "action", msg: `unknown action "finish"`},
	}
	for _, tc := range tests {
		t.Run(tc.from+"/"+tc.action, func(t *testing.T) {
			cur := storedCampaign(5, tc.from, "")
			var notified []int64
			var closed []string
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			fs := &fakeStore{
				get: func(_, _ int64) (store.Campaign, error) { return cur, nil },
				transition: func(_, _ int64, next func(string) (string, error)) (store.Campaign, error) {
					to, err := next(cur.Status)
					if err != nil {
						return store.Campaign{}, err
					}
					c := cur
					c.Status = to
					return c, nil
				},
				closeResch: func(_ int64, reqs []string, at time.Time, status string) (int64, error) {
					if !at.Equal(now) || status != dialerstore.StatusRescheduled {
						t.Errorf("closed at %v as %q", at, status)
					}
					closed = append(closed, reqs...)
					return 1, nil
				},
			}
			live := &fakeLive{notify: func(_, id int64) error {
				notified = append(notified, id)
				return errors.New("node busy") // logged, not returned
			}}
			s := New(Config{Store: fs, Live: live, Now: func() time.Time { return now }})
			c, err := s.Transition(context.Background(), acct, 5, tc.action)
			wantErr(t, err, tc.code, 0, tc.field, tc.msg)
			if tc.code != "" {
				if len(notified) != 0 {
					t.Fatalf("notified %v of a refused action", notified)
				}
				return
			}
			if c.Status != tc.to || !reflect.DeepEqual(notified, []int64{5}) {
				t.Fatalf("status %q notified %v, want %q and [5]", c.Status, notified, tc.to)
			}
			wantClosed := []string(nil)
			if tc.to == dialer.StatusCancelled {
				wantClosed = []string{"req-1"}
			}
			if !reflect.DeepEqual(closed, wantClosed) {
				t.Fatalf("closed %v, want %v", closed, wantClosed)
			}
		})
	}
}

// TestSearchFilters: the filter parameters every transport passes, and
// what reaches the store.
func TestSearchFilters(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		params map[string]string
		want   store.CampaignFilter
		field  string
	}{
		{name: "none", params: nil},
		{name: "status", params: map[string]string{"status": "Paused"}, want: store.CampaignFilter{Status: "Paused"}},
		{name: "unknown status", params: map[string]string{"status": "paused"}, field: "status"},
		{name: "started range", params: map[string]string{"started_from": "2026-03-01T00:00:00Z", "started_to": "2026-03-01T00:00:00Z"},
			want: store.CampaignFilter{StartedFrom: &t0, StartedTo: &t0}},
		{name: "ended range", params: map[string]string{"ended_from": "2026-03-01T00:00:00Z", "ended_to": "2026-03-01T00:00:00Z"},
			want: store.CampaignFilter{EndedFrom: &t0, EndedTo: &t0}},
		{name: "bad time", params: map[string]string{"ended_to": "yesterday"}, field: "ended_to"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got store.CampaignFilter
			fs := &fakeStore{search: func(a int64, f store.CampaignFilter) ([]store.Campaign, error) {
				got = f
				return []store.Campaign{storedCampaign(5, dialer.StatusPaused, "")}, nil
			}}
			s := New(Config{Store: fs})
			f, err := FilterFrom(func(n string) string { return tc.params[n] })
			if tc.field != "" {
				wantErr(t, err, switchyard.CodeInvalid, 422, tc.field, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cs, err := s.Search(context.Background(), acct, f)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != 1 || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("filter %+v, want %+v (%d campaigns)", got, tc.want, len(cs))
			}
		})
	}
	_, err := New(Config{Store: &fakeStore{}}).Search(context.Background(), acct, Filter{Status: "Done"})
	wantErr(t, err, switchyard.CodeInvalid, 422, "status", `unknown status "Done"`)
}

// TestProgress: answered calls are summed from the answered statuses, an
// agent-paced campaign reports its abandon windows against its cap, and
// this node's runner is shown when it has one.
func TestProgress(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		mode    string
		live    bool
		abandon bool
	}{
		{name: "multicast", mode: dialer.ModeMulticast},
		{name: "predictive with a runner", mode: dialer.ModePredictive, live: true, abandon: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sc := storedCampaign(5, dialer.StatusRunning, "")
			sc.Mode, sc.Queue, sc.AbandonCapPct = tc.mode, "sales", 5
			fs := &fakeStore{
				get: func(_, _ int64) (store.Campaign, error) { return sc, nil },
				count: func(_ int64, reqs []string) (store.CampaignRecordCounts, error) {
					return store.CampaignRecordCounts{Attempts: 9, Pending: 2, Complete: 5,
						ByStatus: map[string]int64{"IVR_COMPLETE": 2, "QUEUE_ANSWERED": 1, "NO_ANSWER": 2, dialer.StatusAbandoned: 1}}, nil
				},
				abandon: func(id int64, since time.Time) ([]store.CampaignAbandonHour, error) {
					if !since.Equal(now.Add(-dialer.AbandonMonth)) {
						t.Errorf("abandon since %v", since)
					}
					return []store.CampaignAbandonHour{{Hour: now.Truncate(time.Hour), Answered: 10, Abandoned: 1}}, nil
				},
			}
			live := &fakeLive{progress: func(_, id int64) (dialer.Progress, bool) {
				return dialer.Progress{DialLevel: 4}, tc.live
			}}
			p, err := New(Config{Store: fs, Live: live, Now: func() time.Time { return now }}).Progress(context.Background(), acct, 5)
			if err != nil {
				t.Fatal(err)
			}
			if p.CampaignID != 5 || p.Dialed != 9 || p.Answered != 4 || p.Pending != 2 || p.Complete != 5 {
				t.Fatalf("progress %+v", p)
			}
			if (p.Live != nil) != tc.live || (tc.live && (p.DialLevel == nil || *p.DialLevel != 4)) {
				t.Fatalf("live %+v dial level %v", p.Live, p.DialLevel)
			}
			if !tc.abandon {
				if p.Abandon != nil {
					t.Fatalf("abandon report for %s: %+v", tc.mode, p.Abandon)
				}
				return
			}
			if p.Abandon == nil || p.Abandon.CapPct != 5 || p.Abandon.Day.Abandoned != 1 || p.Abandon.Day.RatePct != 10 || p.Abandoned != 1 {
				t.Fatalf("abandon %+v (abandoned %d)", p.Abandon, p.Abandoned)
			}
		})
	}
}
