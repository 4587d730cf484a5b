package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/switchyard/switchyard/api/calllistapi"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
	"github.com/switchyard/switchyard/dialer/supervisor"
	"github.com/switchyard/switchyard/store"
)

// autodialStore is the call-list store every intake path (trigger API,
// uploads, email, CLI upload over HTTP) imports through: after a request
// with records to dial is stored, its flow's dialing campaign is made sure
// of (created with the default settings the first time: automatic, through
// the default trunk) and its runner is woken, so the records are dialed at
// their start time without anyone creating a campaign. Other nodes pick the
// campaign up at their next resync; the runner claims by flow, so a
// restart resumes where it stopped.
type autodialStore struct {
	*store.Store
	dialer       *supervisor.Supervisor
	defaultTrunk string
	log          *slog.Logger

	flows sync.Map // "account/flow" → dialing campaign id
}

var _ calllistapi.Store = (*autodialStore)(nil)

func (s *autodialStore) ImportCallList(ctx context.Context, in store.CallListImport, next func() (store.ImportRecord, error)) (store.CallListRequest, error) {
	req, err := s.Store.ImportCallList(ctx, in, next)
	if err != nil || req.Added == 0 || req.CampaignsOnly {
		return req, err
	}
	if err := s.wake(context.WithoutCancel(ctx), req.AccountID, req.FlowID); err != nil {
		// The request is stored: the flow's campaign picks it up at the
		// next resync (or the next import) at the latest.
		s.log.Warn("automatic dialing not woken after an import", "account", req.AccountID, "flow", req.FlowID, "request", req.ID, "error", err)
	}
	return req, nil
}

// wake makes sure the flow has its dialing campaign and wakes its runner.
func (s *autodialStore) wake(ctx context.Context, accountID int64, flowID string) error {
	key := fmt.Sprintf("%d/%s", accountID, flowID)
	id, ok := s.flows.Load(key)
	if !ok {
		c := dialer.DefaultFlowDialing(s.defaultTrunk).Campaign(accountID, flowID)
		sc, err := s.Store.PutFlowCampaign(ctx, dialerstore.ToStore(c), true)
		if err != nil {
			return fmt.Errorf("flow %s dialing campaign: %w", flowID, err)
		}
		id = sc.ID
		s.flows.Store(key, sc.ID)
	}
	if err := s.dialer.Poke(ctx, accountID, id.(int64)); err != nil && !errors.Is(err, supervisor.ErrNotStarted) {
		return err
	}
	return nil
}
