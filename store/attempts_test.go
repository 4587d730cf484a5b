package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func inbound(accountID int64, channel string) AttemptStart {
	return AttemptStart{AccountID: accountID, Direction: DirectionInbound, ChannelID: channel, AsteriskNode: "node-a", CLI: "+15550001", DNIS: "+15550002"}
}

func finish(status string) AttemptEnd {
	return AttemptEnd{Status: status, FinishReason: "hangup", HangupCause: 16, HangupCauseText: "Normal Clearing"}
}

func TestStartAttemptValidation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		ofB := mustStart(t, s, inbound(b.ID, "chan-b"))
		dupAttempt := mustStart(t, s, inbound(a.ID, "chan-a"))
		tests := []struct {
			name string
			mod  func(*AttemptStart)
			want error
		}{
			{"no account", func(in *AttemptStart) { in.AccountID = 0 }, ErrInvalid},
			{"unknown account", func(in *AttemptStart) { in.AccountID = 987654 }, ErrNotFound},
			{"bad direction", func(in *AttemptStart) { in.Direction = "sideways" }, ErrInvalid},
			{"no channel", func(in *AttemptStart) { in.ChannelID = " " }, ErrInvalid},
			{"bad call id", func(in *AttemptStart) { in.CallID = "call-1" }, ErrInvalid},
			{"bad attempt id", func(in *AttemptStart) { in.AttemptID = "123" }, ErrInvalid},
			{"cli too long", func(in *AttemptStart) { in.CLI = strings.Repeat("1", maxNumber+1) }, ErrInvalid},
			{"empty variable name", func(in *AttemptStart) { in.Variables = map[string]string{"": "x"} }, ErrInvalid},
			{"huge variables", func(in *AttemptStart) {
				in.Variables = map[string]string{"x": strings.Repeat("v", maxVariablesLen)}
			}, ErrInvalid},
			{"call id of another account", func(in *AttemptStart) { in.CallID = ofB.CallID }, ErrConflict},
			{"attempt id reused", func(in *AttemptStart) { in.AttemptID = dupAttempt.ID }, ErrConflict},
			{"ok outbound", func(in *AttemptStart) { in.Direction = DirectionOutbound }, nil},
			{"ok uppercase ids", func(in *AttemptStart) {
				in.CallID = strings.ToUpper(uuid.NewString())
				in.AttemptID = strings.ToUpper(uuid.NewString())
			}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				in := inbound(a.ID, "chan-x")
				tt.mod(&in)
				got, err := s.StartAttempt(ctx, in)
				if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("StartAttempt err = %v, want %v", err, tt.want)
				}
				if err == nil && (got.CallID != strings.ToLower(got.CallID) || got.ID != strings.ToLower(got.ID)) {
					t.Errorf("ids not canonical: %+v", got)
				}
			})
		}
		// The foreign call was not touched by the conflicting start.
		c, err := s.GetCall(ctx, b.ID, ofB.CallID)
		if err != nil || c.Attempts != 1 || c.AccountID != b.ID {
			t.Errorf("call of b after conflict = %+v, %v", c, err)
		}
	})
}

func TestAttemptLifecycle(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		flow := int64(99)
		t0 := time.Date(2025, 3, 1, 10, 0, 0, 123456789, time.FixedZone("X", 3600))
		in := AttemptStart{
			AccountID: acc.ID, Direction: DirectionOutbound, FlowID: &flow, RequestID: "req-7",
			ClientIdentifier: "crm-1", CLI: "100", DNIS: "+4915112345", ChannelID: "1700000000.1",
			AsteriskNode: "ast-1", StartedAt: t0, Variables: map[string]string{"lang": "en"},
		}
		a1 := mustStart(t, s, in)
		if a1.AttemptNumber != 1 || a1.State != StateOpen || a1.Status != StatusInProgress ||
			!a1.StartedAt.Equal(t0.Truncate(time.Microsecond)) || a1.StartedAt.Location() != time.UTC {
			t.Fatalf("first attempt = %+v", a1)
		}
		got, err := s.GetAttempt(ctx, acc.ID, a1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.StartedAt.Equal(a1.StartedAt) || got.Variables["lang"] != "en" || got.ChannelID != in.ChannelID || got.AsteriskNode != "ast-1" {
			t.Errorf("GetAttempt = %+v", got)
		}
		c, err := s.GetCall(ctx, acc.ID, a1.CallID)
		if err != nil {
			t.Fatal(err)
		}
		if c.Attempts != 1 || c.Status != StatusInProgress || c.FlowID == nil || *c.FlowID != 99 ||
			c.RequestID == nil || *c.RequestID != "req-7" || c.FinishedAt != nil || c.Direction != DirectionOutbound {
			t.Errorf("call after first start = %+v", c)
		}

		// Answer: first answer time wins.
		if err := s.AnswerAttempt(ctx, a1.ID, t0.Add(2*time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := s.AnswerAttempt(ctx, a1.ID, t0.Add(5*time.Second)); err != nil {
			t.Fatalf("second answer: %v", err)
		}
		for _, tc := range []struct {
			id   string
			want error
		}{{uuid.NewString(), ErrNotFound}, {"nope", ErrInvalid}, {"", ErrInvalid}} {
			if err := s.AnswerAttempt(ctx, tc.id, t0); !errors.Is(err, tc.want) {
				t.Errorf("AnswerAttempt(%q) = %v, want %v", tc.id, err, tc.want)
			}
		}

		// Finish with bad input.
		for _, e := range []AttemptEnd{{FinishReason: "hangup"}, {Status: "BUSY"}, {Status: strings.Repeat("X", maxStatus+1), FinishReason: "hangup"}} {
			if _, err := s.FinishAttempt(ctx, a1.ID, e); !errors.Is(err, ErrInvalid) {
				t.Errorf("FinishAttempt(%+v) = %v, want ErrInvalid", e, err)
			}
		}
		if _, err := s.FinishAttempt(ctx, uuid.NewString(), finish("BUSY")); !errors.Is(err, ErrNotFound) {
			t.Errorf("FinishAttempt(unknown) = %v", err)
		}

		end := AttemptEnd{
			EndedAt: t0.Add(10 * time.Second), Status: "IVR_FINISHED", HangupCause: 16, HangupCauseText: "Normal Clearing",
			RemoteHangup: true, FinishReason: "hangup", DTMF: "12#", Recorded: true, RecordingURI: "file:///rec/call_1_99_x.wav",
			Variables: map[string]string{"amd": "HUMAN", "lang": "de"},
		}
		f1, err := s.FinishAttempt(ctx, a1.ID, end)
		if err != nil {
			t.Fatal(err)
		}
		if f1.State != StateFinished || f1.Status != "IVR_FINISHED" || f1.DurationMS != 10000 || f1.BillsecMS != 8000 ||
			!f1.RemoteHangup || f1.DTMF != "12#" || !f1.Recorded || f1.HangupCause != 16 ||
			!maps.Equal(f1.Variables, map[string]string{"amd": "HUMAN", "lang": "de"}) {
			t.Errorf("finished attempt = %+v", f1)
		}
		stored, _ := s.GetAttempt(ctx, acc.ID, a1.ID)
		if stored.DurationMS != 10000 || stored.BillsecMS != 8000 || stored.EndedAt == nil || !stored.EndedAt.Equal(t0.Add(10*time.Second).Truncate(time.Microsecond)) ||
			!stored.AnsweredAt.Equal(t0.Add(2*time.Second).Truncate(time.Microsecond)) || stored.Variables["amd"] != "HUMAN" || stored.FinishReason != "hangup" {
			t.Errorf("stored finished attempt = %+v", stored)
		}
		c, _ = s.GetCall(ctx, acc.ID, a1.CallID)
		if c.Status != "IVR_FINISHED" || c.FinishedAt == nil || c.Attempts != 1 {
			t.Errorf("call after finish = %+v", c)
		}
		// Answering a finished attempt changes nothing.
		if err := s.AnswerAttempt(ctx, a1.ID, t0); err != nil {
			t.Errorf("AnswerAttempt(finished) = %v", err)
		}

		// Retry: attempt 2 of the same call; the call is back in progress.
		in2 := in
		in2.CallID, in2.ChannelID, in2.StartedAt = a1.CallID, "1700000000.2", t0.Add(time.Minute)
		a2 := mustStart(t, s, in2)
		a3in := in2
		a3in.ChannelID, a3in.StartedAt = "1700000000.3", t0.Add(2*time.Minute)
		a3 := mustStart(t, s, a3in)
		if a2.AttemptNumber != 2 || a3.AttemptNumber != 3 || a2.CallID != a1.CallID {
			t.Fatalf("retry attempts = %d, %d", a2.AttemptNumber, a3.AttemptNumber)
		}
		c, _ = s.GetCall(ctx, acc.ID, a1.CallID)
		if c.Attempts != 3 || c.Status != StatusInProgress || c.FinishedAt != nil {
			t.Errorf("call during retry = %+v", c)
		}
		// Attempt 3 finishes first; the late finish of attempt 2 must not
		// overwrite the call's outcome.
		if _, err := s.FinishAttempt(ctx, a3.ID, finish("NOANSWER")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FinishAttempt(ctx, a2.ID, finish("BUSY")); err != nil {
			t.Fatal(err)
		}
		c, _ = s.GetCall(ctx, acc.ID, a1.CallID)
		if c.Status != "NOANSWER" || c.FinishedAt == nil {
			t.Errorf("call outcome = %q, want the latest attempt's NOANSWER", c.Status)
		}
		// Unanswered attempt: no billable time; answer from AttemptEnd used
		// when AnswerAttempt was missed.
		a4in := in2
		a4in.ChannelID, a4in.StartedAt = "1700000000.4", t0
		a4 := mustStart(t, s, a4in)
		ans := t0.Add(time.Second)
		f4, err := s.FinishAttempt(ctx, a4.ID, AttemptEnd{EndedAt: t0.Add(3 * time.Second), AnsweredAt: &ans, Status: "IVR_STARTED", FinishReason: "hangup"})
		if err != nil || f4.BillsecMS != 2000 || f4.DurationMS != 3000 {
			t.Errorf("finish with missed answer = %+v, %v", f4, err)
		}
	})
}

func TestFinishAttemptIdempotent(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		a := mustStart(t, s, inbound(acc.ID, "c1"))
		first, err := s.FinishAttempt(ctx, a.ID, finish("IVR_FINISHED"))
		if err != nil {
			t.Fatal(err)
		}
		second, err := s.FinishAttempt(ctx, a.ID, AttemptEnd{Status: "BUSY", FinishReason: "reconciled: channel gone after ARI reconnect", EndedAt: time.Now().Add(time.Hour)})
		if err != nil {
			t.Fatalf("second finish: %v", err)
		}
		if second.Status != "IVR_FINISHED" || second.FinishReason != "hangup" || !second.EndedAt.Equal(*first.EndedAt) {
			t.Errorf("second finish returned %+v, want the first finish", second)
		}
		stored, _ := s.GetAttempt(ctx, acc.ID, a.ID)
		if stored.Status != "IVR_FINISHED" || !stored.EndedAt.Equal(*first.EndedAt) || stored.DurationMS != first.DurationMS {
			t.Errorf("stored after second finish = %+v", stored)
		}

		// Concurrent finishes of one attempt: all succeed, one wins, all
		// callers see the winner.
		b := mustStart(t, s, inbound(acc.ID, "c2"))
		const n = 16
		results := make([]Attempt, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i], errs[i] = s.FinishAttempt(ctx, b.ID, finish(fmt.Sprintf("S%d", i)))
			})
		}
		wg.Wait()
		stored, _ = s.GetAttempt(ctx, acc.ID, b.ID)
		for i := range n {
			if errs[i] != nil {
				t.Errorf("finish %d: %v", i, errs[i])
			} else if results[i].Status != stored.Status || results[i].State != StateFinished {
				t.Errorf("finish %d returned status %q, stored %q", i, results[i].Status, stored.Status)
			}
		}
		c, _ := s.GetCall(ctx, acc.ID, b.CallID)
		if c.Status != stored.Status {
			t.Errorf("call status %q != attempt status %q", c.Status, stored.Status)
		}
	})
}

func TestListOpenAttempts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		base := time.Now().Add(-time.Hour)
		var wantA, wantAll []string
		for i := range 12 {
			acc := a.ID
			if i%2 == 1 {
				acc = b.ID
			}
			in := inbound(acc, fmt.Sprintf("ch-%d", i))
			in.AsteriskNode = []string{"node-a", "node-b"}[i%3%2]
			in.StartedAt = base.Add(time.Duration(i) * time.Second)
			at := mustStart(t, s, in)
			if i%4 == 3 {
				if _, err := s.FinishAttempt(ctx, at.ID, finish("BUSY")); err != nil {
					t.Fatal(err)
				}
				continue
			}
			wantAll = append(wantAll, at.ID)
			if in.AsteriskNode == "node-a" {
				wantA = append(wantA, at.ID)
			}
		}
		ids := func(as []Attempt) []string {
			var out []string
			for _, x := range as {
				if x.State != StateOpen {
					t.Errorf("ListOpenAttempts returned %s in state %s", x.ID, x.State)
				}
				out = append(out, x.ID)
			}
			return out
		}
		got, err := s.ListOpenAttempts(ctx, "node-a")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), wantA) {
			t.Errorf("open on node-a = %v, want %v (oldest first, both accounts)", ids(got), wantA)
		}
		got, err = s.ListOpenAttempts(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), wantAll) {
			t.Errorf("open on all nodes = %v, want %v", ids(got), wantAll)
		}
		if got, err := s.ListOpenAttempts(ctx, "node-z"); err != nil {
			t.Fatalf("s.ListOpenAttempts(ctx, 'node-z'): %v", err)
		} else if len(got) != 0 {
			t.Errorf("open on unknown node = %v", got)
		}
	})
}

func TestListAttempts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var all []Attempt
		for i := range 25 {
			in := inbound(a.ID, fmt.Sprintf("ch-%d", i))
			// Pairs share a start time to exercise the id tie-break; some
			// have sub-second precision.
			in.StartedAt = base.Add(time.Duration(i/2) * time.Minute)
			if i%5 == 0 {
				in.StartedAt = in.StartedAt.Add(123456 * time.Microsecond)
			}
			at := mustStart(t, s, in)
			if i%3 == 0 {
				if _, err := s.FinishAttempt(ctx, at.ID, finish("BUSY")); err != nil {
					t.Fatal(err)
				}
			}
			all = append(all, at)
			mustStart(t, s, inbound(b.ID, fmt.Sprintf("other-%d", i))) // noise in another account
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(x, y Attempt) int {
			if c := y.StartedAt.Compare(x.StartedAt); c != 0 {
				return c
			}
			return strings.Compare(y.ID, x.ID)
		})
		wantIDs := make([]string, len(want))
		for i, x := range want {
			wantIDs[i] = x.ID
		}

		// Paging through everything: newest first, no gaps, no duplicates.
		var got []string
		f := AttemptFilter{AccountID: a.ID, Limit: 7}
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("pagination does not terminate")
			}
			p, err := s.ListAttempts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range p.Attempts {
				if x.AccountID != a.ID {
					t.Fatalf("row of account %d leaked", x.AccountID)
				}
				got = append(got, x.ID)
			}
			if p.Next == "" {
				break
			}
			f.After = p.Next
		}
		if !slices.Equal(got, wantIDs) {
			t.Errorf("paged ids:\n got %v\nwant %v", got, wantIDs)
		}

		count := func(f AttemptFilter) int {
			t.Helper()
			f.AccountID, f.Limit = a.ID, MaxListLimit
			p, err := s.ListAttempts(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			return len(p.Attempts)
		}
		from, to := base.Add(2*time.Minute), base.Add(5*time.Minute) // i/2 in 2..4 → i in 4..9
		tests := []struct {
			name string
			f    AttemptFilter
			want int
		}{
			{"all", AttemptFilter{}, 25},
			{"finished", AttemptFilter{State: StateFinished}, 9},
			{"open", AttemptFilter{State: StateOpen}, 16},
			{"range", AttemptFilter{From: from, To: to}, 6},
			{"from only", AttemptFilter{From: base.Add(12 * time.Minute)}, 1},
			{"to only (exclusive)", AttemptFilter{To: base.Add(time.Minute)}, 2},
			{"range in another zone", AttemptFilter{From: from.In(time.FixedZone("Y", -5*3600)), To: to.In(time.FixedZone("Z", 9*3600))}, 6},
			{"one call", AttemptFilter{CallID: all[3].CallID}, 1},
		}
		for _, tt := range tests {
			if n := count(tt.f); n != tt.want {
				t.Errorf("%s: %d attempts, want %d", tt.name, n, tt.want)
			}
		}
		// Default limit.
		p, err := s.ListAttempts(ctx, AttemptFilter{AccountID: a.ID})
		if err != nil || len(p.Attempts) != 25 || p.Next != "" {
			t.Errorf("default limit page: %d rows, next %q, %v", len(p.Attempts), p.Next, err)
		}

		bad := []AttemptFilter{
			{},
			{AccountID: a.ID, Limit: -1},
			{AccountID: a.ID, Limit: MaxListLimit + 1},
			{AccountID: a.ID, State: "closed"},
			{AccountID: a.ID, From: to, To: from},
			{AccountID: a.ID, After: "garbage!"},
			{AccountID: a.ID, After: encodeCursor(base, "not-a-uuid")},
			{AccountID: a.ID, CallID: "x"},
		}
		for _, f := range bad {
			if _, err := s.ListAttempts(ctx, f); !errors.Is(err, ErrInvalid) {
				t.Errorf("ListAttempts(%+v) = %v, want ErrInvalid", f, err)
			}
		}
	})
}

func TestJourney(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		at := mustStart(t, s, inbound(acc.ID, "c"))
		if _, err := s.GetJourney(ctx, acc.ID, at.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetJourney before save = %v", err)
		}
		v1 := json.RawMessage(`[{"widget":"start","at":"2025-01-01T00:00:00Z"}]`)
		if err := s.SaveJourney(ctx, acc.ID, at.ID, v1); err != nil {
			t.Fatal(err)
		}
		j, err := s.GetJourney(ctx, acc.ID, at.ID)
		if err != nil || string(j.Steps) != string(v1) || j.AttemptID != at.ID || j.AccountID != acc.ID || j.UpdatedAt.IsZero() {
			t.Fatalf("GetJourney = %+v (%s), %v", j, j.Steps, err)
		}
		v2 := json.RawMessage(`[{"widget":"start"},{"widget":"menu","dtmf":"1"}]`)
		if err := s.SaveJourney(ctx, acc.ID, strings.ToUpper(at.ID), v2); err != nil {
			t.Fatal(err)
		}
		j, _ = s.GetJourney(ctx, acc.ID, at.ID)
		if string(j.Steps) != string(v2) {
			t.Errorf("journey after overwrite = %s", j.Steps)
		}
		for _, tc := range []struct {
			id    string
			steps string
			want  error
		}{
			{at.ID, `{"unterminated":`, ErrInvalid},
			{at.ID, ``, ErrInvalid},
			{"not-a-uuid", `[]`, ErrInvalid},
			{uuid.NewString(), `[]`, ErrNotFound},
		} {
			if err := s.SaveJourney(ctx, acc.ID, tc.id, json.RawMessage(tc.steps)); !errors.Is(err, tc.want) {
				t.Errorf("SaveJourney(%q, %q) = %v, want %v", tc.id, tc.steps, err, tc.want)
			}
		}
	})
}

// Every tenant read takes the account id and never returns another
// account's row; writes addressed with the wrong account change nothing.
func TestTenantIsolation(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		atA := mustStart(t, s, inbound(a.ID, "ca"))
		atB := mustStart(t, s, inbound(b.ID, "cb"))
		if err := s.SaveJourney(ctx, a.ID, atA.ID, json.RawMessage(`["a"]`)); err != nil {
			t.Fatal(err)
		}
		uA, err := s.CreateUser(ctx, NewUser{AccountID: a.ID, Email: "x@a.example", Role: RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		kA, plainA, err := s.CreateAPIKey(ctx, a.ID, "k")
		if err != nil {
			t.Fatal(err)
		}

		// Reads as b.
		if _, err := s.GetAttempt(ctx, b.ID, atA.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetAttempt cross-account = %v", err)
		}
		if _, err := s.GetCall(ctx, b.ID, atA.CallID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetCall cross-account = %v", err)
		}
		if _, err := s.GetJourney(ctx, b.ID, atA.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetJourney cross-account = %v", err)
		}
		if _, err := s.GetUser(ctx, b.ID, uA.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetUser cross-account = %v", err)
		}
		if us, err := s.ListUsers(ctx, b.ID); err != nil {
			t.Fatalf("s.ListUsers(ctx, b.ID): %v", err)
		} else if len(us) != 0 {
			t.Errorf("ListUsers(b) = %v", us)
		}
		if ks, err := s.ListAPIKeys(ctx, b.ID); err != nil {
			t.Fatalf("s.ListAPIKeys(ctx, b.ID): %v", err)
		} else if len(ks) != 0 {
			t.Errorf("ListAPIKeys(b) = %v", ks)
		}
		p, err := s.ListAttempts(ctx, AttemptFilter{AccountID: b.ID})
		if err != nil || len(p.Attempts) != 1 || p.Attempts[0].ID != atB.ID {
			t.Errorf("ListAttempts(b) = %+v, %v", p, err)
		}
		p, _ = s.ListAttempts(ctx, AttemptFilter{AccountID: b.ID, CallID: atA.CallID})
		if len(p.Attempts) != 0 {
			t.Errorf("ListAttempts(b, call of a) = %+v", p.Attempts)
		}

		// Writes as b against a's rows.
		if err := s.SaveJourney(ctx, b.ID, atA.ID, json.RawMessage(`["b"]`)); !errors.Is(err, ErrNotFound) {
			t.Errorf("SaveJourney cross-account = %v", err)
		}
		if j, err := s.GetJourney(ctx, a.ID, atA.ID); err != nil {
			t.Fatalf("s.GetJourney(ctx, a.ID, atA.ID): %v", err)
		} else if string(j.Steps) != `["a"]` {
			t.Errorf("a's journey changed to %s", j.Steps)
		}
		if err := s.RevokeAPIKey(ctx, b.ID, kA.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("RevokeAPIKey cross-account = %v", err)
		}
		if p, err := s.AuthenticateAPIKey(ctx, plainA); err != nil || p.AccountID != a.ID {
			t.Errorf("a's key after b's revoke attempt: %+v, %v", p, err)
		}
		in := inbound(b.ID, "steal")
		in.CallID = atA.CallID
		if _, err := s.StartAttempt(ctx, in); !errors.Is(err, ErrConflict) {
			t.Errorf("StartAttempt on a's call as b = %v", err)
		}
		if c, err := s.GetCall(ctx, a.ID, atA.CallID); err != nil {
			t.Fatalf("s.GetCall(ctx, a.ID, atA.CallID): %v", err)
		} else if c.Attempts != 1 || c.AccountID != a.ID {
			t.Errorf("a's call changed: %+v", c)
		}
	})
}

// 500 goroutines start, answer and finish attempts at once (two attempts
// per call, so the per-call counter is contended too) while readers list and
// authenticate. Zero errors on both drivers; on SQLite that means no
// SQLITE_BUSY.
func TestConcurrentAttempts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "load")
		_, key, err := s.CreateAPIKey(ctx, acc.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		const workers = 500
		callIDs := make([]string, workers/2)
		for i := range callIDs {
			callIDs[i] = uuid.NewString()
		}
		var (
			mu   sync.Mutex
			errs []error
		)
		fail := func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
		stop := make(chan struct{})
		var readers sync.WaitGroup
		for r := range 4 {
			readers.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					var err error
					switch r {
					case 0:
						_, err = s.ListAttempts(ctx, AttemptFilter{AccountID: acc.ID, Limit: 100})
					case 1:
						_, err = s.ListOpenAttempts(ctx, "node-a")
					default:
						_, err = s.AuthenticateAPIKey(ctx, key)
					}
					if err != nil {
						fail(fmt.Errorf("reader %d: %w", r, err))
						return
					}
				}
			})
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				<-start
				in := inbound(acc.ID, fmt.Sprintf("load-%d", i))
				in.CallID = callIDs[i%len(callIDs)]
				at, err := s.StartAttempt(ctx, in)
				if err != nil {
					fail(fmt.Errorf("start %d: %w", i, err))
					return
				}
				if err := s.AnswerAttempt(ctx, at.ID, time.Time{}); err != nil {
					fail(fmt.Errorf("answer %d: %w", i, err))
					return
				}
				if _, err := s.FinishAttempt(ctx, at.ID, finish("IVR_FINISHED")); err != nil {
					fail(fmt.Errorf("finish %d: %w", i, err))
				}
			})
		}
		began := time.Now()
		close(start)
		wg.Wait()
		elapsed := time.Since(began)
		close(stop)
		readers.Wait()
		for i, err := range errs {
			if i < 10 {
				t.Error(err)
			}
		}
		if len(errs) > 0 {
			t.Fatalf("%d errors", len(errs))
		}
		t.Logf("%s: %d start+answer+finish in %v", s.Driver(), workers, elapsed)

		open, err := s.ListOpenAttempts(ctx, "")
		if err != nil || len(open) != 0 {
			t.Errorf("open attempts after load: %d, %v", len(open), err)
		}
		p, err := s.ListAttempts(ctx, AttemptFilter{AccountID: acc.ID, State: StateFinished, Limit: MaxListLimit})
		if err != nil || len(p.Attempts) != workers {
			t.Fatalf("finished attempts: %d, %v", len(p.Attempts), err)
		}
		numbers := map[string][]int{}
		for _, x := range p.Attempts {
			numbers[x.CallID] = append(numbers[x.CallID], x.AttemptNumber)
		}
		for _, id := range callIDs {
			n := numbers[id]
			slices.Sort(n)
			if !slices.Equal(n, []int{1, 2}) {
				t.Errorf("call %s attempt numbers %v, want [1 2]", id, n)
			}
			c, err := s.GetCall(ctx, acc.ID, id)
			if err != nil || c.Attempts != 2 || c.Status != "IVR_FINISHED" || c.FinishedAt == nil {
				t.Errorf("call %s = %+v, %v", id, c, err)
			}
		}
	})
}

// TestAttemptNumberIsTheTry: a dialer try gives its own number (a try
// whose originate never reached a channel still counts), so the call
// report's attempt_number matches the tries of the call-list record.
func TestAttemptNumberIsTheTry(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "tries")
		in := inbound(acc.ID, "ch-try-2")
		in.Direction, in.Number = DirectionOutbound, 2
		a := mustStart(t, s, in)
		if a.AttemptNumber != 2 {
			t.Fatalf("attempt number %d, want 2", a.AttemptNumber)
		}
		got, err := s.GetAttempt(ctx, acc.ID, a.ID)
		if err != nil || got.AttemptNumber != 2 {
			t.Fatalf("stored attempt number %d (%v), want 2", got.AttemptNumber, err)
		}
		// The next attempt of the same call without a number follows it.
		next := inbound(acc.ID, "ch-try-3")
		next.CallID = a.CallID
		if b := mustStart(t, s, next); b.AttemptNumber != 3 {
			t.Errorf("next attempt number %d, want 3", b.AttemptNumber)
		}
		bad := inbound(acc.ID, "ch-bad")
		bad.Number = -1
		if _, err := s.StartAttempt(ctx, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("negative number: %v", err)
		}
	})
}
