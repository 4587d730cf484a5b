package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// reportFixture is two accounts with flows, a call-list request and a set
// of finished attempts with every filter field varied.
type reportFixture struct {
	a, b        Account
	ivr, dialer Flow
	req         CallListRequest
	base        time.Time
	// attempts by name
	at map[string]Attempt
}

func newReportFixture(t *testing.T, s *Store) *reportFixture {
	t.Helper()
	ctx := ctxT(t)
	fx := &reportFixture{a: mustAccount(t, s, "acme"), b: mustAccount(t, s, "other"), at: map[string]Attempt{}}
	fx.base = time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
	var err error
	if fx.ivr, err = s.CreateFlow(ctx, fx.a.ID, NewFlow{Name: "Support IVR", Type: "inbound", Draft: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if fx.dialer, err = s.CreateFlow(ctx, fx.a.ID, NewFlow{Name: "Reminder", Type: "outbound", Draft: json.RawMessage(`{}`)}); err != nil {
		t.Fatal(err)
	}
	if fx.req, err = s.ImportCallList(ctx, CallListImport{AccountID: fx.a.ID, FlowID: "77", FlowName: "Dialer list", FlowType: "dialer", Source: SourceAPI},
		ImportRecords([]ImportRecord{
			{Row: 1, Numbers: []string{"+15550000001", "+15550000009"}, Status: RecordPending, Variables: map[string]string{"name": "Henry, Case", "tags": "vip, late"}},
			{Row: 2, Numbers: []string{"+15550000002"}, Status: RecordPending, Variables: map[string]string{"tags": "vip"}},
			{Row: 3, Numbers: []string{"+15550000003"}, Status: RecordPending},
		})); err != nil {
		t.Fatal(err)
	}
	ivr, dial := fx.ivr.ID, fx.dialer.ID
	mk := func(name string, acct int64, in AttemptStart, min int, end AttemptEnd, fields AttemptReportFields) {
		in.AccountID = acct
		in.ChannelID = "ch-" + name
		in.StartedAt = fx.base.Add(time.Duration(min) * time.Minute)
		a := mustStart(t, s, in)
		if end.Status == "" {
			end.Status = "IVR_FINISHED"
		}
		end.FinishReason = "hangup"
		end.EndedAt = in.StartedAt.Add(42*time.Second + 600*time.Millisecond)
		if _, err := s.FinishAttempt(ctx, a.ID, end); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAttemptReportFields(ctx, acct, a.ID, fields); err != nil {
			t.Fatal(err)
		}
		fx.at[name] = a
	}
	ans := fx.base.Add(5 * time.Second)
	mk("in1", fx.a.ID, AttemptStart{Direction: DirectionInbound, FlowID: &ivr, CLI: "+4915112345678", DNIS: "+493012345"}, 0,
		AttemptEnd{AnsweredAt: &ans, DTMF: "12"}, AttemptReportFields{Queue: "sales"})
	mk("in2", fx.a.ID, AttemptStart{Direction: DirectionInbound, FlowID: &ivr, CLI: "=cmd|' /C calc'!A0", DNIS: "+493012345"}, 10,
		AttemptEnd{}, AttemptReportFields{SMSNumber: "+4915199999999", Email: "Ops@Example.com"})
	mk("out1", fx.a.ID, AttemptStart{Direction: DirectionOutbound, FlowID: &dial, CLI: "+493012345", DNIS: "+15550000001", RequestID: fx.req.ID}, 20,
		AttemptEnd{Status: "BUSY"}, AttemptReportFields{})
	// Second attempt of the same call.
	mk("out1b", fx.a.ID, AttemptStart{Direction: DirectionOutbound, CallID: fx.at["out1"].CallID, FlowID: &dial, CLI: "+493012345", DNIS: "+15550000009", RequestID: fx.req.ID}, 30,
		AttemptEnd{Status: "IVR_FINISHED"}, AttemptReportFields{Queue: "support"})
	// A request call without a numeric flow (the dialer's): flow from the request.
	mk("req1", fx.a.ID, AttemptStart{Direction: DirectionOutbound, CLI: "+493012345", DNIS: "+15550000002", RequestID: fx.req.ID}, 40,
		AttemptEnd{Status: "NOANSWER"}, AttemptReportFields{})
	// The other account: same numbers, same queue.
	mk("b1", fx.b.ID, AttemptStart{Direction: DirectionInbound, CLI: "+4915112345678", DNIS: "+493012345"}, 5,
		AttemptEnd{}, AttemptReportFields{Queue: "sales", Email: "ops@example.com"})
	return fx
}

func reportNames(fx *reportFixture, rows []CallReportRow) []string {
	byID := map[string]string{}
	for n, a := range fx.at {
		byID[a.ID] = n
	}
	var out []string
	for _, r := range rows {
		out = append(out, byID[r.AttemptID])
	}
	return out
}

func TestCallReportFilters(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		acct := fx.a.ID
		cases := []struct {
			name string
			f    CallReportFilter
			want []string // newest first
		}{
			{"all", CallReportFilter{}, []string{"req1", "out1b", "out1", "in2", "in1"}},
			{"from", CallReportFilter{From: fx.base.Add(20 * time.Minute)}, []string{"req1", "out1b", "out1"}},
			{"to", CallReportFilter{To: fx.base.Add(20 * time.Minute)}, []string{"in2", "in1"}},
			{"range", CallReportFilter{From: fx.base.Add(10 * time.Minute), To: fx.base.Add(31 * time.Minute)}, []string{"out1b", "out1", "in2"}},
			{"flow type inbound", CallReportFilter{FlowType: "inbound"}, []string{"in2", "in1"}},
			{"flow type of a request", CallReportFilter{FlowType: "dialer"}, []string{"req1"}},
			{"flow id numeric", CallReportFilter{FlowID: itoa(fx.dialer.ID)}, []string{"out1b", "out1"}},
			{"flow id of a request", CallReportFilter{FlowID: "77"}, []string{"req1"}},
			{"flow name", CallReportFilter{FlowName: "Support IVR"}, []string{"in2", "in1"}},
			{"flow name of a request", CallReportFilter{FlowName: "Dialer list"}, []string{"req1"}},
			{"call uuid", CallReportFilter{CallID: fx.at["out1"].CallID}, []string{"out1b", "out1"}},
			{"call uuid uppercase", CallReportFilter{CallID: strings.ToUpper(fx.at["in1"].CallID)}, []string{"in1"}},
			{"request id", CallReportFilter{RequestID: fx.req.ID}, []string{"req1", "out1b", "out1"}},
			{"queue", CallReportFilter{Queue: "sales"}, []string{"in1"}},
			{"customer outbound", CallReportFilter{Customer: "+15550000009"}, []string{"out1b"}},
			{"customer inbound", CallReportFilter{Customer: "+4915112345678"}, []string{"in1"}},
			{"customer is not our DID", CallReportFilter{Customer: "+493012345"}, nil},
			{"sms", CallReportFilter{SMS: "+4915199999999"}, []string{"in2"}},
			{"email case-insensitive", CallReportFilter{Email: "ops@example.COM"}, []string{"in2"}},
			{"combined", CallReportFilter{FlowType: "outbound", Queue: "support", From: fx.base}, []string{"out1b"}},
			{"no match", CallReportFilter{Queue: "nope"}, nil},
		}
		for _, c := range cases {
			f := c.f
			f.AccountID = acct
			p, err := s.CallReport(ctx, f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if got := reportNames(fx, p.Rows); !slices.Equal(got, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, got, c.want)
			}
			// The streamed export has the same rows, oldest first.
			var streamed []CallReportRow
			if err := s.EachCallReportRow(ctx, f, func(r *CallReportRow) error { streamed = append(streamed, *r); return nil }); err != nil {
				t.Fatal(err)
			}
			rev := reportNames(fx, streamed)
			slices.Reverse(rev)
			if !slices.Equal(rev, c.want) {
				t.Errorf("%s: streamed %v, want reversed %v", c.name, rev, c.want)
			}
		}

		// Row content.
		p, err := s.CallReport(ctx, CallReportFilter{AccountID: acct, CallID: fx.at["in1"].CallID})
		if err != nil {
			t.Fatal(err)
		}
		r := p.Rows[0]
		if r.FlowName != "Support IVR" || r.FlowType != "inbound" || r.FlowID != itoa(fx.ivr.ID) || r.CustomerNumber != "+4915112345678" ||
			r.DurationS != 43 || r.BillsecS != 38 || r.DTMF != "12" || r.Queue != "sales" || r.Status != "IVR_FINISHED" || r.AnsweredAt == nil {
			t.Errorf("row: %+v", r)
		}
		p, _ = s.CallReport(ctx, CallReportFilter{AccountID: acct, AttemptID: fx.at["req1"].ID})
		if r := p.Rows[0]; r.FlowID != "77" || r.FlowType != "dialer" || r.RequestID != fx.req.ID || r.CustomerNumber != "+15550000002" || r.AttemptNumber != 1 {
			t.Errorf("request row: %+v", r)
		}

		// Pagination: pages of 2 cover everything once.
		var got []string
		f := CallReportFilter{AccountID: acct, Limit: 2}
		for i := 0; ; i++ {
			p, err := s.CallReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, reportNames(fx, p.Rows)...)
			if p.Next == "" {
				break
			}
			f.After = p.Next
			if i > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if want := []string{"req1", "out1b", "out1", "in2", "in1"}; !slices.Equal(got, want) {
			t.Errorf("paged: %v, want %v", got, want)
		}

		// Isolation: the other account sees only its row, whatever the filter.
		for _, f := range []CallReportFilter{{}, {CallID: fx.at["in1"].CallID}, {Queue: "sales"}, {RequestID: fx.req.ID}, {FlowID: itoa(fx.ivr.ID)}} {
			f.AccountID = fx.b.ID
			p, err := s.CallReport(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Rows {
				if r.AttemptID != fx.at["b1"].ID {
					t.Errorf("account b sees attempt %s with %+v", r.AttemptID, f)
				}
			}
		}
		if err := s.SetAttemptReportFields(ctx, fx.b.ID, fx.at["in1"].ID, AttemptReportFields{Queue: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("setting fields of another account's attempt: %v", err)
		}

		// Bad input.
		for _, f := range []CallReportFilter{
			{AccountID: 0},
			{AccountID: acct, CallID: "nope"},
			{AccountID: acct, From: fx.base, To: fx.base},
			{AccountID: acct, Limit: MaxListLimit + 1},
			{AccountID: acct, After: "garbage"},
			{AccountID: acct, Queue: strings.Repeat("q", 300)},
		} {
			if _, err := s.CallReport(ctx, f); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: want ErrInvalid, got %v", f, err)
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCallReportCellsSameOnBothDrivers: the text export (raw pgx cursor on
// PostgreSQL, formatted rows on SQLite) gives the same cells.
func TestCallReportCellsSameOnBothDrivers(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		var lines []string
		err := s.EachCallReportCells(ctx, CallReportFilter{AccountID: fx.a.ID}, berlin, func(cells [][]byte) error {
			if len(cells) != len(CallReportColumns) {
				t.Fatalf("%d cells, want %d", len(cells), len(CallReportColumns))
			}
			parts := make([]string, len(cells))
			for i, c := range cells {
				parts[i] = string(c)
			}
			// Ids differ between runs: keep the rest.
			lines = append(lines, strings.Join(parts[2:3], "|")+"|"+strings.Join(parts[4:], "|"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 5 {
			t.Fatalf("%d lines", len(lines))
		}
		// 08:00 UTC in March is 09:00 in Berlin.
		if !strings.Contains(lines[0], "|2026-03-10 09:00:00|2026-03-10 09:00:05|2026-03-10 09:00:42|43|38|12|sales|") {
			t.Errorf("first line: %s", lines[0])
		}
		out[s.Driver()] = lines
	})
	if a, b := out[DriverSQLite], out[DriverPostgres]; a != nil && b != nil && !slices.Equal(a, b) {
		t.Errorf("drivers differ:\nsqlite:   %q\npostgres: %q", a, b)
	}
}

func TestRecordingsStore(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		in1 := fx.at["in1"]
		r, err := s.AddRecording(ctx, Recording{AccountID: fx.a.ID, AttemptID: in1.ID, Kind: RecordingRecord, Name: "rec-in1", Format: "wav", FileName: "record_1_2_a_b_1.wav"})
		if err != nil {
			t.Fatal(err)
		}
		if r.CallID != in1.CallID || !r.StartedAt.Equal(in1.StartedAt) {
			t.Errorf("recording: %+v", r)
		}
		if _, err := s.AddRecording(ctx, Recording{AccountID: fx.b.ID, AttemptID: in1.ID, Kind: RecordingRecord, Name: "x", Format: "wav", FileName: "x.wav"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("recording on another account's attempt: %v", err)
		}
		for _, bad := range []Recording{
			{Kind: "video", Name: "x", Format: "wav", FileName: "x.wav"},
			{Kind: RecordingCall, Name: "../etc/passwd", Format: "wav", FileName: "x.wav"},
			{Kind: RecordingCall, Name: "x", Format: "wav", FileName: "a/b.wav"},
			{Kind: RecordingCall, Name: "x", Format: "../wav", FileName: "b.wav"},
		} {
			bad.AccountID, bad.AttemptID = fx.a.ID, in1.ID
			if _, err := s.AddRecording(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: want ErrInvalid, got %v", bad, err)
			}
		}
		if _, err := s.GetRecording(ctx, fx.b.ID, r.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account reads the recording: %v", err)
		}
		if _, err := s.ListAttemptRecordings(ctx, fx.b.ID, in1.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account lists the attempt's recordings: %v", err)
		}
		rs, err := s.ListAttemptRecordings(ctx, fx.a.ID, in1.ID)
		if err != nil || len(rs) != 1 {
			t.Fatalf("list: %v %v", rs, err)
		}
		// EachRecording follows the call report's filters and account.
		var n int
		if err := s.EachRecording(ctx, CallReportFilter{AccountID: fx.a.ID, Queue: "sales"}, func(Recording) error { n++; return nil }); err != nil || n != 1 {
			t.Errorf("each recording: %d %v", n, err)
		}
		n = 0
		if err := s.EachRecording(ctx, CallReportFilter{AccountID: fx.b.ID}, func(Recording) error { n++; return nil }); err != nil || n != 0 {
			t.Errorf("other account's zip: %d %v", n, err)
		}
		// Purge list: only before the cutoff, and not again once purged.
		old, _ := s.ListRecordingsToPurge(ctx, in1.StartedAt, 10)
		if len(old) != 0 {
			t.Errorf("recording listed before its time: %v", old)
		}
		old, _ = s.ListRecordingsToPurge(ctx, in1.StartedAt.Add(time.Second), 10)
		if len(old) != 1 {
			t.Fatalf("purge list: %v", old)
		}
		if err := s.MarkRecordingPurged(ctx, r.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		if old, err = s.ListRecordingsToPurge(ctx, in1.StartedAt.Add(time.Hour), 10); err != nil || len(old) != 0 {
			t.Errorf("purged recording listed again: %v %v", old, err)
		}
	})
}

func TestEmailReportsStore(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		r, err := s.PutEmailReport(ctx, EmailReport{AccountID: fx.a.ID, FlowID: fx.ivr.ID, To: "a@example.com, b@example.org,a@example.com", CC: " c@example.com ", BCC: ""})
		if err != nil {
			t.Fatal(err)
		}
		if r.To != "a@example.com, b@example.org" || r.CC != "c@example.com" || r.LastDay == "" {
			t.Errorf("stored: %+v", r)
		}
		for _, bad := range []EmailReport{
			{To: ""}, {To: "not-an-address"}, {To: "Name <a@example.com>"}, {To: "a@example.com", CC: "x@"}, {To: "a@localhost"},
			{To: strings.Repeat("a@example.com,", 0) + strings.TrimSuffix(strings.Repeat("x@example.com,", 1), ",") + "," + manyAddrs(21)},
		} {
			bad.AccountID, bad.FlowID = fx.a.ID, fx.ivr.ID
			if _, err := s.PutEmailReport(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: want ErrInvalid, got %v", bad, err)
			}
		}
		// Another account's flow.
		if _, err := s.PutEmailReport(ctx, EmailReport{AccountID: fx.b.ID, FlowID: fx.ivr.ID, To: "a@example.com"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account's flow: %v", err)
		}
		// Replace keeps one row and LastDay.
		r2, err := s.PutEmailReport(ctx, EmailReport{AccountID: fx.a.ID, FlowID: fx.ivr.ID, To: "z@example.com"})
		if err != nil || r2.ID != r.ID || r2.To != "z@example.com" || r2.CC != "" || r2.LastDay != r.LastDay {
			t.Errorf("replace: %+v %v", r2, err)
		}
		ok, err := s.MarkEmailReportSent(ctx, r.ID, r.LastDay, "2030-01-01")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if ok, err := s.MarkEmailReportSent(ctx, r.ID, r.LastDay, "2030-01-01"); err != nil {
			t.Fatalf("s.MarkEmailReportSent(ctx, r.ID, r.LastDay, '2030-01-01'): %v", err)
		} else if ok {
			t.Error("marked twice from the same previous day")
		}
		if all, err := s.ListEmailReports(ctx, 0); err != nil {
			t.Fatalf("s.ListEmailReports(ctx, 0): %v", err)
		} else if len(all) != 1 {
			t.Errorf("list all: %v", all)
		}
		if mine, err := s.ListEmailReports(ctx, fx.b.ID); err != nil {
			t.Fatalf("s.ListEmailReports(ctx, fx.b.ID): %v", err)
		} else if len(mine) != 0 {
			t.Errorf("other account lists: %v", mine)
		}
		if err := s.DeleteEmailReport(ctx, fx.b.ID, fx.ivr.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account deletes: %v", err)
		}
		if err := s.DeleteEmailReport(ctx, fx.a.ID, fx.ivr.ID); err != nil {
			t.Fatal(err)
		}
		// Time zone and catalogue switches.
		if err := s.SetAccountTimezone(ctx, fx.a.ID, "Mars/Olympus"); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad zone: %v", err)
		}
		if err := s.SetAccountTimezone(ctx, fx.a.ID, "Europe/Berlin"); err != nil {
			t.Fatal(err)
		}
		if loc, err := s.AccountLocation(ctx, fx.a.ID); err != nil {
			t.Fatalf("s.AccountLocation(ctx, fx.a.ID): %v", err)
		} else if loc.String() != "Europe/Berlin" {
			t.Errorf("location %v", loc)
		}
		if err := s.SetReportEnabled(ctx, fx.a.ID, "bogus", true); !errors.Is(err, ErrInvalid) {
			t.Errorf("bogus report: %v", err)
		}
		for _, n := range []string{ReportAgents, ReportCalls, ReportCalls} {
			if err := s.SetReportEnabled(ctx, fx.a.ID, n, true); err != nil {
				t.Fatal(err)
			}
		}
		if on, err := s.EnabledReports(ctx, fx.a.ID); err != nil {
			t.Fatalf("s.EnabledReports(ctx, fx.a.ID): %v", err)
		} else if !slices.Equal(on, []string{ReportAgents, ReportCalls}) {
			t.Errorf("enabled: %v", on)
		}
		if on, err := s.EnabledReports(ctx, fx.b.ID); err != nil {
			t.Fatalf("s.EnabledReports(ctx, fx.b.ID): %v", err)
		} else if len(on) != 0 {
			t.Errorf("other account enabled: %v", on)
		}
		_ = s.SetReportEnabled(ctx, fx.a.ID, ReportAgents, false)
		if on, err := s.EnabledReports(ctx, fx.a.ID); err != nil {
			t.Fatalf("s.EnabledReports(ctx, fx.a.ID): %v", err)
		} else if !slices.Equal(on, []string{ReportCalls}) {
			t.Errorf("after disable: %v", on)
		}
	})
}

func manyAddrs(n int) string {
	var p []string
	for i := 0; i < n; i++ {
		p = append(p, "u"+itoa(int64(i))+"@example.com")
	}
	return strings.Join(p, ",")
}

func TestADSReports(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		c, err := s.CreateCampaign(ctx, Campaign{Campaign: dialer.Campaign{AccountID: fx.a.ID, Type: "call", Mode: "predictive", Name: "March", Status: "Created",
			Recipients: []string{fx.req.ID}, SimultaneousCalls: 1, DialAttempts: 3}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.TransitionCampaign(ctx, fx.a.ID, c.ID, func(string) (string, error) { return "Running", nil }); err != nil {
			t.Fatal(err)
		}
		// Dial the records: record 1 twice (BUSY, then answered), record 2 once (NOANSWER), record 3 not yet.
		claim := func() []CallListRecord {
			rs, err := s.ClaimCampaignRecords(ctx, Claim{AccountID: fx.a.ID, RequestIDs: []string{fx.req.ID}, Owner: "n1", Now: time.Now().Add(time.Hour), Lease: time.Minute, Limit: 2, MaxAttempts: 3})
			if err != nil {
				t.Fatal(err)
			}
			return rs
		}
		rs := claim()
		if len(rs) != 2 {
			t.Fatalf("claimed %d", len(rs))
		}
		for _, r := range rs {
			o := AttemptOutcome{AccountID: fx.a.ID, RecordID: r.ID, Owner: "n1", Status: "NOANSWER"}
			if r.Row == 1 {
				o.Status, o.Retry, o.NextAttemptAt = "BUSY", true, time.Now()
			}
			if err := s.FinishCampaignAttempt(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		rs = claim()
		for _, r := range rs {
			st := "IVR_FINISHED"
			if r.Row == 3 {
				// leave it running
				continue
			}
			if err := s.FinishCampaignAttempt(ctx, AttemptOutcome{AccountID: fx.a.ID, RecordID: r.ID, Owner: "n1", Status: st}); err != nil {
				t.Fatal(err)
			}
		}
		var details []ADSDetail
		if err := s.EachADSDetail(ctx, ADSFilter{AccountID: fx.a.ID}, func(d *ADSDetail) error { details = append(details, *d); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(details) != 3 {
			t.Fatalf("details: %+v", details)
		}
		d1 := details[0]
		if d1.Record != `+15550000001|+15550000009,"Henry, Case","vip, late"` || d1.Tries != 2 || d1.Status != ADSAnswered ||
			!slices.Equal(d1.Tags, []string{"vip", "late"}) {
			t.Errorf("record 1: %+v", d1)
		}
		// Its last attempt is out1b (dnis +15550000009, the second number): 43 s.
		if d1.DurationS != 43 || d1.Time == nil || !d1.Time.Equal(fx.at["out1b"].StartedAt) {
			t.Errorf("record 1 last attempt: %+v (want %v)", d1, fx.at["out1b"].StartedAt)
		}
		if d2 := details[1]; d2.Status != ADSNoAnswer || d2.Tries != 1 || d2.Time == nil || !d2.Time.Equal(fx.at["req1"].StartedAt) {
			t.Errorf("record 2: %+v", d2)
		}
		if d3 := details[2]; d3.Status != ADSRunning || d3.Time != nil || len(d3.Tags) != 0 {
			t.Errorf("record 3: %+v", d3)
		}
		st, err := s.ADSStatistics(ctx, ADSFilter{AccountID: fx.a.ID, CampaignIDs: []int64{c.ID}})
		if err != nil || len(st) != 1 {
			t.Fatal(st, err)
		}
		x := st[0]
		want := []ADSCount{{ADSRunning, 1, 33.33}, {ADSAnswered, 1, 33.33}, {ADSNoAnswer, 1, 33.33}}
		if x.Records != 3 || !slices.Equal(x.ByStatus, want) {
			t.Errorf("by status: %+v", x.ByStatus)
		}
		if want := []ADSCount{{"1", 2, 66.67}, {"2", 1, 33.33}}; !slices.Equal(x.ByAttempts, want) {
			t.Errorf("by attempts: %+v", x.ByAttempts)
		}
		if want := []ADSCount{{"vip", 2, 66.67}, {"late", 1, 33.33}}; !slices.Equal(x.ByTag, want) {
			t.Errorf("by tag: %+v", x.ByTag)
		}
		// Date parameters select campaigns by their start.
		if st, err := s.ADSStatistics(ctx, ADSFilter{AccountID: fx.a.ID, Start: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("s.ADSStatistics: %v", err)
		} else if len(st) != 0 {
			t.Errorf("future start date: %v", st)
		}
		if st, err := s.ADSStatistics(ctx, ADSFilter{AccountID: fx.a.ID, Start: time.Now().Add(-time.Hour), End: time.Now().Add(time.Hour)}); err != nil {
			t.Fatalf("s.ADSStatistics: %v", err)
		} else if len(st) != 1 {
			t.Errorf("period: %v", st)
		}
		// Isolation.
		if st, err := s.ADSStatistics(ctx, ADSFilter{AccountID: fx.b.ID, CampaignIDs: []int64{c.ID}}); err != nil {
			t.Fatalf("s.ADSStatistics: %v", err)
		} else if len(st) != 0 {
			t.Errorf("other account: %v", st)
		}
		cr, err := s.CampaignReport(ctx, PeriodFilter{AccountID: fx.a.ID})
		if err != nil || len(cr) != 1 || cr[0].Records != 3 || cr[0].Attempts != 4 {
			t.Errorf("campaign report: %+v %v", cr, err)
		}
	})
}

func TestQueueAndAgentReports(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		fx := newReportFixture(t, s)
		q, err := s.CreateQueue(ctx, Queue{Queue: acdconfig.Queue{AccountID: fx.a.ID, Name: "sales", Strategy: "ringall", RingTimeout: 15 * time.Second, Timeout: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		ag, err := s.CreateAgent(ctx, Agent{Agent: acdconfig.Agent{AccountID: fx.a.ID, Name: "Ann", LoginType: "sip", Extension: "ann1"}})
		if err != nil {
			t.Fatal(err)
		}
		t0 := fx.base
		tp := func(d time.Duration) *time.Time { v := t0.Add(d); return &v }
		if err := s.InsertQueueCalls(ctx, []QueueCall{
			{AccountID: fx.a.ID, QueueID: q.ID, JoinedAt: t0, EndedAt: tp(10 * time.Second), Outcome: "QUEUE_ANSWER", AgentID: ag.ID},
			{AccountID: fx.a.ID, QueueID: q.ID, JoinedAt: t0, EndedAt: tp(30 * time.Second), Outcome: "QUEUE_JOIN"},
			{AccountID: fx.a.ID, QueueID: q.ID, JoinedAt: t0.Add(48 * time.Hour), EndedAt: tp(48*time.Hour + time.Second), Outcome: "QUEUE_TIMEOUT"},
			{AccountID: fx.b.ID, QueueID: q.ID, JoinedAt: t0, EndedAt: tp(time.Second), Outcome: "QUEUE_ANSWER"},
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.InsertAgentCalls(ctx, []AgentCall{
			{AccountID: fx.a.ID, AgentID: ag.ID, QueueID: q.ID, OfferedAt: t0, AnsweredAt: tp(2 * time.Second), EndedAt: tp(62 * time.Second), WrapUpEnd: tp(72 * time.Second), Outcome: "answered", Recording: "record_agent_x"},
			{AccountID: fx.a.ID, AgentID: ag.ID, QueueID: q.ID, OfferedAt: t0, EndedAt: tp(15 * time.Second), Outcome: "missed"},
			{AccountID: fx.b.ID, AgentID: ag.ID, OfferedAt: t0, Outcome: "answered"},
		}); err != nil {
			t.Fatal(err)
		}
		qr, err := s.QueueReport(ctx, PeriodFilter{AccountID: fx.a.ID, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if len(qr) != 1 || qr[0].QueueName != "sales" || qr[0].Calls != 2 || qr[0].Answered != 1 || qr[0].Abandoned != 1 || qr[0].AvgWaitS != 20 || qr[0].MaxWaitS != 30 {
			t.Errorf("queue report: %+v", qr)
		}
		if all, err := s.QueueReport(ctx, PeriodFilter{AccountID: fx.a.ID}); err != nil {
			t.Fatalf("s.QueueReport(ctx, PeriodFilter{AccountID: fx.a.ID}): %v", err)
		} else if len(all) != 1 || all[0].Calls != 3 || all[0].Timeout != 1 {
			t.Errorf("queue report, open period: %+v", all)
		}
		ar, err := s.AgentReport(ctx, PeriodFilter{AccountID: fx.a.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(ar) != 1 || ar[0].AgentName != "Ann" || ar[0].Offered != 2 || ar[0].Answered != 1 || ar[0].Missed != 1 || ar[0].TalkS != 60 || ar[0].AvgTalkS != 60 || ar[0].WrapUpS != 10 || ar[0].Recordings != 1 {
			t.Errorf("agent report: %+v", ar)
		}
		if br, err := s.AgentReport(ctx, PeriodFilter{AccountID: fx.b.ID}); err != nil {
			t.Fatalf("s.AgentReport(ctx, PeriodFilter{AccountID: fx.b.ID}): %v", err)
		} else if len(br) != 1 || br[0].Offered != 1 || br[0].AgentName != "" {
			t.Errorf("other account's agent report: %+v", br)
		}
	})
}

// FuzzParseAddressList: any input is either refused as ErrInvalid or gives
// a list of plain addresses that parses back to itself.
func FuzzParseAddressList(f *testing.F) {
	for _, s := range []string{"", "a@example.com", "a@example.com, b@example.org", "x@", "Name <a@b.co>", ",,,", "a@b.c,a@B.C", "\"q\"@example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		norm, list, err := ParseAddressList("to", in, false)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v", in, err)
			}
			return
		}
		if len(list) > maxReportRecipients {
			t.Fatalf("%q: %d addresses", in, len(list))
		}
		again, list2, err := ParseAddressList("to", norm, false)
		if err != nil || again != norm || !slices.Equal(list, list2) {
			t.Fatalf("%q → %q does not parse back: %q %v", in, norm, again, err)
		}
		for _, a := range list {
			if strings.ContainsAny(a, ",\r\n<>") {
				t.Fatalf("%q: address %q", in, a)
			}
		}
	})
}

// TestReportFieldsRecordingSurvivesFinish: a flow reports its recording
// before the call manager finishes the attempt; the finish (which knows
// nothing of recordings) keeps it.
func TestReportFieldsRecordingSurvivesFinish(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		acc := mustAccount(t, s, "rec")
		a := mustStart(t, s, AttemptStart{AccountID: acc.ID, Direction: DirectionInbound, ChannelID: "ch-rec", CLI: "+4930111", DNIS: "+4930222"})
		uri := "recording:record_1_2_+4930111_+4930222_1700000000000"
		if err := s.SetAttemptReportFields(ctx, acc.ID, a.ID, AttemptReportFields{Recorded: true, RecordingURI: uri, Queue: "q"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.FinishAttempt(ctx, a.ID, AttemptEnd{Status: "IVR_FINISHED", FinishReason: "hangup"})
		if err != nil {
			t.Fatal(err)
		}
		if !got.Recorded || got.RecordingURI != uri {
			t.Errorf("after finish: recorded=%v uri=%q", got.Recorded, got.RecordingURI)
		}
		if err := s.SetAttemptReportFields(ctx, acc.ID, a.ID, AttemptReportFields{RecordingURI: strings.Repeat("x", 5000)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("over-long uri: %v", err)
		}
	})
}

// TestLoadLocation: an account's zone by IANA name, UTC for none or an
// unknown one; a zone is loaded once and kept.
func TestLoadLocation(t *testing.T) {
	for _, tc := range []struct{ tz, want string }{
		{"", "UTC"}, {"Local", "UTC"}, {"Nowhere/Atlantis", "UTC"}, {"Asia/Kolkata", "Asia/Kolkata"}, {"Europe/Berlin", "Europe/Berlin"},
	} {
		if got := LoadLocation(tc.tz); got.String() != tc.want {
			t.Errorf("LoadLocation(%q) = %s, want %s", tc.tz, got, tc.want)
		}
	}
	if a, b := LoadLocation("Asia/Kolkata"), LoadLocation("Asia/Kolkata"); a != b {
		t.Error("Asia/Kolkata loaded twice, want it kept")
	}
}
