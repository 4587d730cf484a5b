package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// AutodialStore is the call-list store every intake path (trigger API,
// uploads, email, CLI upload over HTTP) imports through: after a request
// with records to dial is stored, its flow's dialing campaign is made sure
// of (created with the default settings the first time: automatic, through
// the default trunk) and its runner is woken, so the records are dialed at
// their start time without anyone creating a campaign. Other nodes pick the
// campaign up at their next resync; the runner claims by flow, so a
// restart resumes where it stopped.
type AutodialStore struct {
	*store.Store
	Dialer       *Supervisor
	DefaultTrunk string
	Logger       *slog.Logger

	flows sync.Map // "account/flow" → dialing campaign id
}

// ImportCallList stores the request, then wakes its flow's dialing.
func (s *AutodialStore) ImportCallList(ctx context.Context, in store.CallListImport, next func() (store.ImportRecord, error)) (store.CallListRequest, error) {
	req, err := s.Store.ImportCallList(ctx, in, next)
	if err != nil || req.Added == 0 || req.CampaignsOnly {
		return req, err
	}
	if err := s.wake(context.WithoutCancel(ctx), req.AccountID, req.FlowID); err != nil {
		// The request is stored: the flow's campaign picks it up at the
		// next resync (or the next import) at the latest.
		s.log().Warn("automatic dialing not woken after an import", "account", req.AccountID, "flow", req.FlowID, "request", req.ID, "error", err)
	}
	return req, nil
}

// wake makes sure the flow has its dialing campaign and wakes its runner.
func (s *AutodialStore) wake(ctx context.Context, accountID int64, flowID string) error {
	key := fmt.Sprintf("%d/%s", accountID, flowID)
	id, ok := s.flows.Load(key)
	if !ok {
		c := dialer.DefaultFlowDialing(s.DefaultTrunk).Campaign(accountID, flowID)
		sc, err := s.Store.PutFlowCampaign(ctx, store.Campaign{Campaign: c}, true)
		if err != nil {
			return fmt.Errorf("flow %s dialing campaign: %w", flowID, err)
		}
		id = sc.ID
		s.flows.Store(key, sc.ID)
	}
	if err := s.Dialer.Poke(ctx, accountID, id.(int64)); err != nil && !errors.Is(err, ErrNotStarted) {
		return err
	}
	return nil
}

func (s *AutodialStore) log() *slog.Logger {
	if s.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Logger
}
