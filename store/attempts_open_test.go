package store

import (
	"testing"
	"time"
)

// TestFinishAttemptFromCopy: an attempt started by this store ends without
// its row being read back, and with the same record as if it had been
// read; when the row was changed behind the store's copy (answered or
// recorded by a write the copy missed), the end reads the row and merges
// with what it holds.
func TestFinishAttemptFromCopy(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "a")
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		end := AttemptEnd{EndedAt: t0.Add(10 * time.Second), Status: "NOANSWER", IfAnswered: "IVR_FINISHED", FinishReason: "hangup",
			Variables: map[string]string{"b": "2"}}
		for _, tc := range []struct {
			name string
			// behind changes the row behind the store's copy.
			behind    func(t *testing.T, id string)
			wantReads int64
			wantURI   string
		}{
			{name: "copy", wantReads: 0},
			{name: "answered behind the copy", wantReads: 1, behind: func(t *testing.T, id string) {
				if err := s.w.Exec(`UPDATE call_attempts SET answered_at = ? WHERE id = ?`, t0.Add(3*time.Second), id).Error; err != nil {
					t.Fatal(err)
				}
			}},
			{name: "recorded behind the copy", wantReads: 1, wantURI: "rec://x", behind: func(t *testing.T, id string) {
				if err := s.w.Exec(`UPDATE call_attempts SET recorded = ?, recording_uri = ? WHERE id = ?`, true, "rec://x", id).Error; err != nil {
					t.Fatal(err)
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a := mustStart(t, s, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound, DNIS: "+4915112345", ChannelID: "1700000000.1",
					StartedAt: t0, Variables: map[string]string{"a": "1"}})
				if tc.name == "answered behind the copy" {
					// Answered by a write this store did not make.
					tc.behind(t, a.ID)
				} else {
					if err := s.AnswerAttempt(ctx, a.ID, t0.Add(3*time.Second)); err != nil {
						t.Fatal(err)
					}
					if tc.behind != nil {
						tc.behind(t, a.ID)
					}
				}
				stop := s.CountStatements()
				got, err := s.FinishAttempt(ctx, a.ID, end)
				counts := stop()
				if err != nil {
					t.Fatal(err)
				}
				if n := counts["SELECT call_attempts"]; n != tc.wantReads {
					t.Errorf("attempt rows read at the end: %d, want %d (%v)", n, tc.wantReads, counts)
				}
				stored, err := s.GetAttempt(ctx, acc.ID, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				for what, r := range map[string]Attempt{"returned": got, "stored": stored} {
					if r.State != StateFinished || r.Status != "IVR_FINISHED" || r.AnsweredAt == nil ||
						!r.AnsweredAt.Equal(t0.Add(3*time.Second)) || r.BillsecMS != 7000 || r.DurationMS != 10000 ||
						r.Variables["a"] != "1" || r.Variables["b"] != "2" || r.RecordingURI != tc.wantURI || r.Recorded != (tc.wantURI != "") {
						t.Errorf("%s record = %+v", what, r)
					}
				}
				if _, ok := s.open.Load(a.ID); ok {
					t.Error("the store still holds a copy of the finished attempt")
				}
				// A second end keeps the first.
				again, err := s.FinishAttempt(ctx, a.ID, AttemptEnd{Status: "BUSY", FinishReason: "again"})
				if err != nil || again.Status != "IVR_FINISHED" || again.FinishReason != "hangup" {
					t.Errorf("second finish = %+v, %v", again, err)
				}
			})
		}
	})
}
