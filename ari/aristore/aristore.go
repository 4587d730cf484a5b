// Package aristore adapts the store to the call manager: every call's
// attempt (started, answered, finished, discarded) lands in the call log,
// and the attempts still open on a node are found again after a restart.
package aristore

import (
	"context"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/store"
)

// Recorder is the call manager's ari.Recorder over the store.
type Recorder struct{ S *store.Store }

var _ ari.Recorder = Recorder{}

// AttemptStarted records a new attempt (inbound or outbound).
func (r Recorder) AttemptStarted(ctx context.Context, a ari.Attempt) error {
	dir := store.DirectionOutbound
	if a.Inbound {
		dir = store.DirectionInbound
	}
	_, err := r.S.StartAttempt(ctx, store.AttemptStart{
		AccountID: a.AccountID, CallID: a.CallID, AttemptID: a.AttemptID, Direction: dir,
		FlowID: a.FlowID, RequestID: a.RequestID, CLI: a.CLI, DNIS: a.DNIS,
		ChannelID: a.ChannelID, AsteriskNode: a.Node, StartedAt: a.StartedAt, Number: a.Number,
	})
	return err
}

// AttemptFinished records how an attempt ended; one without a status
// failed.
func (r Recorder) AttemptFinished(ctx context.Context, id string, e ari.AttemptEnd) error {
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
	_, err := r.S.FinishAttempt(ctx, id, end)
	return err
}

// AttemptAnswered records when the attempt was answered.
func (r Recorder) AttemptAnswered(ctx context.Context, id string, at time.Time) error {
	return r.S.AnswerAttempt(ctx, id, at)
}

// AttemptDiscarded drops an attempt that never became a call.
func (r Recorder) AttemptDiscarded(ctx context.Context, id string) error {
	return r.S.DiscardAttempt(ctx, id)
}

// OpenAttempts lists the node's attempts that have not finished.
func (r Recorder) OpenAttempts(ctx context.Context, node string) ([]ari.OpenAttempt, error) {
	as, err := r.S.ListOpenAttempts(ctx, node)
	if err != nil {
		return nil, err
	}
	out := make([]ari.OpenAttempt, len(as))
	for i, a := range as {
		out[i] = ari.OpenAttempt{AttemptID: a.ID, ChannelID: a.ChannelID}
	}
	return out, nil
}
