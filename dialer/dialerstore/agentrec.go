package dialerstore

import (
	"context"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// AgentRecordings indexes agent-first conversations' recordings with the
// customer's attempt (ariplacer.RecordingIndex): the recording is listed
// with the attempt's recordings and the attempt is recorded, its
// recording_uri the agent recording.
type AgentRecordings struct{ S *store.Store }

// AgentRecording indexes one conversation's recording.
func (r AgentRecordings) AgentRecording(ctx context.Context, in dialer.AgentRecording) error {
	if _, err := r.S.AddRecording(ctx, store.Recording{AccountID: in.AccountID, AttemptID: in.AttemptID, Kind: store.RecordingAgent,
		Name: in.Name, Format: in.Format, FileName: in.Name + "." + in.Format, StartedAt: in.StartedAt,
		DurationMS: in.Duration.Milliseconds()}); err != nil {
		return err
	}
	return r.S.SetAttemptReportFields(ctx, in.AccountID, in.AttemptID, store.AttemptReportFields{
		Recorded: true, RecordingURI: "recording:" + in.Name})
}
