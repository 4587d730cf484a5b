package dialerstore

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// TestAgentRecordingsIndex: an agent-first conversation's recording is
// listed with the customer's attempt (kind agent, its file name) and marks
// the attempt recorded with the recording as its recording_uri.
func TestAgentRecordingsIndex(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, _ := st.CreateAccount(ctx, "acme")
	at, err := st.StartAttempt(ctx, store.AttemptStart{AccountID: acc.ID, Direction: store.DirectionOutbound, DNIS: "+4930222", CLI: "+4930111",
		ChannelID: "ch-1", StartedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	name := "record_agent_1_7_+4930111_+4930222_9_1700000000000"
	if err := (AgentRecordings{st}).AgentRecording(ctx, dialer.AgentRecording{AccountID: acc.ID, AttemptID: at.ID, AgentID: 7,
		Name: name, Format: "gsm", StartedAt: time.Now(), Duration: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	rs, err := st.ListAttemptRecordings(ctx, acc.ID, at.ID)
	if err != nil || len(rs) != 1 || rs[0].Kind != store.RecordingAgent || rs[0].FileName != name+".gsm" || rs[0].DurationMS != 2000 {
		t.Fatalf("recordings %+v %v", rs, err)
	}
	got, err := st.GetAttempt(ctx, acc.ID, at.ID)
	if err != nil || !got.Recorded || got.RecordingURI != "recording:"+name {
		t.Fatalf("attempt recorded %v uri %q (%v)", got.Recorded, got.RecordingURI, err)
	}
}
