package dialerstore

import (
	"context"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// TestSMSCampaignOnStore: an sms campaign on the store, on both drivers.
// A node died while sending: the record whose send it recorded sent keeps
// it, the one whose answer it lost ends failed and is never sent again,
// the one it had not begun is sent once; the blacklisted and the DNC
// numbers are never sent to (BLOCKED); every other record gets one SMS.
// The call report's SMS filter finds each message's attempt, the ADS
// Detailed Report reads sent / failed, and delivery reports turn a sent
// record failed and the lost one sent.
func TestSMSCampaignOnStore(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			s := open(t, options(t, driver))
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			acc, err := s.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			var recs []store.ImportRecord
			for i := range 6 {
				recs = append(recs, store.ImportRecord{Row: int64(i + 1), Numbers: []string{"+1555000000" + string(rune('1'+i))},
					Variables: map[string]string{"$flow.key.name": "N" + string(rune('1'+i))}, Status: store.RecordPending})
			}
			req, err := s.ImportCallList(ctx, store.CallListImport{AccountID: acc.ID, FlowID: "1", FlowType: "outbound", Source: store.SourceAPI},
				store.ImportRecords(recs))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddListEntry(ctx, acc.ID, store.ListBlack, store.KindPhone, "+15550000005", false); err != nil {
				t.Fatal(err)
			}
			if _, err := s.AddDNCEntries(ctx, acc.ID, "test", []store.DNCEntry{{Value: "+15550000006"}}); err != nil {
				t.Fatal(err)
			}
			dc := dialer.Campaign{AccountID: acc.ID, Type: dialer.TypeSMS, Name: "s", Recipients: []string{req.ID}, CallerID: "+15559999999",
				SimultaneousCalls: 3, DialAttempts: 2, RetryIntervalSec: 3600, SMSText: "Hello ${flow.key.name}"}
			dc.Normalize()
			if err := dc.Validate(); err != nil {
				t.Fatal(err)
			}
			sc, err := s.CreateCampaign(ctx, store.Campaign{Campaign: dc})
			if err != nil {
				t.Fatal(err)
			}
			if sc, err = s.TransitionCampaign(ctx, acc.ID, sc.ID, func(f string) (string, error) { return dialer.Transition(f, dialer.ActionStart) }); err != nil {
				t.Fatal(err)
			}
			dc = sc.Campaign
			if dc.SMSText != "Hello ${flow.key.name}" {
				t.Fatalf("stored sms_text %q", dc.SMSText)
			}
			j := SMSJournal{Store: s}
			// The dead life claimed three records: rs[0] recorded and
			// ended sent, rs[1] recorded (the answer lost), rs[2] not begun.
			dead := &Records{Store: s, Campaign: dc, Owner: "node-a-1"}
			rs, err := dead.Claim(ctx, time.Now(), 3)
			if err != nil || len(rs) != 3 {
				t.Fatalf("claim %v %v", rs, err)
			}
			for i, r := range rs[:2] {
				a := dialer.SMSAttempt{ID: dialer.AttemptID(acc.ID, r.ID, r.Attempt), CampaignID: dc.ID, Record: r, Number: r.Numbers[0], Text: "x"}
				if err := j.BeginSMS(ctx, a); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if err := j.EndSMS(ctx, a, dialer.SMSSent, "", 41); err != nil {
						t.Fatal(err)
					}
				}
			}
			var mu sync.Mutex
			sent := map[string]int{}
			texts := map[string]string{}
			r := &dialer.Runner{
				Campaign: dc, Records: &Records{Store: s, Campaign: dc, Owner: "node-a-2", NodePrefix: "node-a-"},
				Placer: &dialer.SMSPlacer{Journal: j, Sender: dialer.SMSSenderFunc(func(_ context.Context, m dialer.SMS) (dialer.SMSResult, error) {
					mu.Lock()
					defer mu.Unlock()
					sent[m.To]++
					texts[m.To] = m.Text
					return dialer.SMSResult{Status: dialer.SMSSent, MessageID: int64(len(sent))}, nil
				})},
				Screen: CampaignScreen(s, dc), ScreenAll: CampaignScreenAll(s, dc),
				Status:   Status(s, acc.ID, dc.ID),
				Finished: Finished(s, acc.ID, dc.ID),
				Interval: 20 * time.Millisecond,
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				if err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				r.Wait()
				c, err := s.GetCampaign(ctx, acc.ID, dc.ID)
				if err != nil {
					t.Fatal(err)
				}
				if c.Status == dialer.StatusFinished {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("campaign %s", c.Status)
				}
				time.Sleep(20 * time.Millisecond)
			}
			mu.Lock()
			want := map[string]int{rs[2].Numbers[0]: 1, "+15550000004": 1}
			if len(sent) != len(want) {
				t.Errorf("sent %v, want %v", sent, want)
			}
			for n, k := range want {
				if sent[n] != k {
					t.Errorf("sent to %s %d times, want %d (all: %v)", n, sent[n], k, sent)
				}
			}
			if texts["+15550000004"] != "Hello N4" {
				t.Errorf("text %q", texts["+15550000004"])
			}
			mu.Unlock()

			all, err := s.ListCallListRecords(ctx, acc.ID, req.ID, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			byNumber := map[string]store.CallListRecord{}
			for _, x := range all {
				byNumber[x.Numbers[0]] = x
			}
			for n, st := range map[string]string{rs[0].Numbers[0]: "sent", rs[1].Numbers[0]: "failed", rs[2].Numbers[0]: "sent",
				"+15550000004": "sent", "+15550000005": dialer.StatusBlocked, "+15550000006": dialer.StatusBlocked} {
				if x := byNumber[n]; x.Status != store.RecordComplete || x.Attempts != 1 {
					t.Errorf("record %s (want %s): %s after %d attempts", n, st, x.Status, x.Attempts)
				}
			}
			counts, err := s.CountCampaignRecords(ctx, acc.ID, []string{req.ID})
			if err != nil {
				t.Fatal(err)
			}
			if counts.ByStatus["sent"] != 3 || counts.ByStatus["failed"] != 1 || counts.ByStatus[dialer.StatusBlocked] != 2 {
				t.Errorf("by status %v", counts.ByStatus)
			}

			// The call report's SMS filter finds each message's attempt.
			for n, st := range map[string]string{rs[0].Numbers[0]: "sent", rs[1].Numbers[0]: "failed", "+15550000004": "sent"} {
				p, err := s.CallReport(ctx, store.CallReportFilter{AccountID: acc.ID, SMS: n})
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Rows) != 1 || p.Rows[0].Status != st || p.Rows[0].SMSNumber != n || p.Rows[0].RequestID != req.ID || p.Rows[0].EndedAt == nil {
					t.Errorf("call report for sms %s: %+v, want one %s row", n, p.Rows, st)
				}
			}
			if p, err := s.CallReport(ctx, store.CallReportFilter{AccountID: acc.ID, SMS: "+15550000005"}); err != nil || len(p.Rows) != 0 {
				t.Errorf("blocked number in the report: %+v %v", p.Rows, err)
			}

			detail := func() string {
				var out []string
				if err := s.EachADSDetail(ctx, store.ADSFilter{AccountID: acc.ID}, func(d *store.ADSDetail) error {
					out = append(out, strings.SplitN(d.Record, ",", 2)[0]+"="+d.Status)
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				sort.Strings(out)
				return strings.Join(out, " ")
			}
			if got, want := detail(), "+15550000001=sent +15550000002=failed +15550000003=sent +15550000004=sent +15550000005=failed +15550000006=failed"; got != want {
				t.Errorf("detailed report\n got %s\nwant %s", got, want)
			}

			// Delivery reports: a sent message that failed later, the lost
			// one delivered, a repeat and a delivered sent one change nothing.
			for _, tc := range []struct {
				rec     dialer.Record
				status  string
				changed bool
			}{
				{rs[0], "failed", true}, {rs[0], "failed", false}, {rs[1], "delivered", true}, {rs[2], "delivered", false},
			} {
				ch, err := s.UpdateSMSDelivery(ctx, store.SMSDelivery{AccountID: acc.ID, AttemptID: dialer.AttemptID(acc.ID, tc.rec.ID, tc.rec.Attempt),
					RecordID: tc.rec.ID, Status: tc.status, Reason: "expired", UnknownReason: dialer.SMSUnknownReason})
				if err != nil || ch != tc.changed {
					t.Errorf("delivery %s of %d: changed %v, %v", tc.status, tc.rec.ID, ch, err)
				}
			}
			if got, want := detail(), "+15550000001=failed +15550000002=sent +15550000003=sent +15550000004=sent +15550000005=failed +15550000006=failed"; got != want {
				t.Errorf("detailed report after delivery reports\n got %s\nwant %s", got, want)
			}
			p, err := s.CallReport(ctx, store.CallReportFilter{AccountID: acc.ID, SMS: rs[0].Numbers[0]})
			if err != nil || len(p.Rows) != 1 || p.Rows[0].Status != "failed" || !strings.Contains(p.Rows[0].FinishReason, "expired") {
				t.Errorf("failed delivery in the call report: %+v %v", p.Rows, err)
			}
			// Another account's attempt is not found.
			other, err := s.CreateAccount(ctx, "other")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateSMSDelivery(ctx, store.SMSDelivery{AccountID: other.ID, AttemptID: dialer.AttemptID(acc.ID, rs[2].ID, 1),
				Status: "failed"}); err == nil {
				t.Error("another account's sms attempt was updated")
			}
		})
	}
}
