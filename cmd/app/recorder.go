package app

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/ariplacer"
	"github.com/switchyard/switchyard/store"
)

// recorder adapts the store to the call manager's Recorder.
type recorder struct{ s *store.Store }

func (r recorder) AttemptStarted(ctx context.Context, a ari.Attempt) error {
	dir := store.DirectionOutbound
	if a.Inbound {
		dir = store.DirectionInbound
	}
	_, err := r.s.StartAttempt(ctx, store.AttemptStart{
		AccountID: a.AccountID, CallID: a.CallID, AttemptID: a.AttemptID, Direction: dir,
		FlowID: a.FlowID, RequestID: a.RequestID, CLI: a.CLI, DNIS: a.DNIS,
		ChannelID: a.ChannelID, AsteriskNode: a.Node, StartedAt: a.StartedAt, Number: a.Number,
	})
	return err
}

func (r recorder) AttemptFinished(ctx context.Context, id string, e ari.AttemptEnd) error {
	end := store.AttemptEnd{
		EndedAt: e.EndedAt, Status: e.Status, HangupCause: e.HangupCause, HangupCauseText: e.CauseText,
		RemoteHangup: e.RemoteHangup, FinishReason: e.FinishReason, DTMF: e.DTMF, IfAnswered: e.IfAnswered,
	}
	if end.Status == "" {
		end.Status = ari.StatusFailed
	}
	if !e.AnsweredAt.IsZero() {
		t := e.AnsweredAt
		end.AnsweredAt = &t
	}
	_, err := r.s.FinishAttempt(ctx, id, end)
	return err
}

func (r recorder) AttemptAnswered(ctx context.Context, id string, at time.Time) error {
	return r.s.AnswerAttempt(ctx, id, at)
}

func (r recorder) AttemptDiscarded(ctx context.Context, id string) error {
	return r.s.DiscardAttempt(ctx, id)
}

func (r recorder) OpenAttempts(ctx context.Context, node string) ([]ari.OpenAttempt, error) {
	as, err := r.s.ListOpenAttempts(ctx, node)
	if err != nil {
		return nil, err
	}
	out := make([]ari.OpenAttempt, len(as))
	for i, a := range as {
		out[i] = ari.OpenAttempt{AttemptID: a.ID, ChannelID: a.ChannelID}
	}
	return out, nil
}

// agentRecordings indexes agent-first conversations' recordings with the
// customer's attempt (ariplacer.RecordingIndex): the recording is listed
// with the attempt's recordings and the attempt is recorded, its
// recording_uri the agent recording.
type agentRecordings struct{ s *store.Store }

func (r agentRecordings) AgentRecording(ctx context.Context, in ariplacer.AgentRecording) error {
	if _, err := r.s.AddRecording(ctx, store.Recording{AccountID: in.AccountID, AttemptID: in.AttemptID, Kind: store.RecordingAgent,
		Name: in.Name, Format: in.Format, FileName: in.Name + "." + in.Format, StartedAt: in.StartedAt,
		DurationMS: in.Duration.Milliseconds()}); err != nil {
		return err
	}
	return r.s.SetAttemptReportFields(ctx, in.AccountID, in.AttemptID, store.AttemptReportFields{
		Recorded: true, RecordingURI: "recording:" + in.Name})
}
