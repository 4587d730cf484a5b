package flowstore

import (
	"context"
	"errors"

	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
)

// InboundStore is what Inbound reads (*store.Store implements it).
type InboundStore interface {
	IsBlacklistedNumber(ctx context.Context, accountID int64, e164 string) (bool, error)
	GetDIDRoute(ctx context.Context, did string) (store.DIDRoute, error)
	GetAccount(ctx context.Context, id int64) (store.Account, error)
}

// Inbound is the flows.InboundDirectory over the store.
type Inbound struct{ S InboundStore }

var _ flows.InboundDirectory = Inbound{}

// IsBlacklistedNumber reports whether the number is on the account's
// number blacklist.
func (i Inbound) IsBlacklistedNumber(ctx context.Context, accountID int64, number string) (bool, error) {
	return i.S.IsBlacklistedNumber(ctx, accountID, number)
}

// DIDUnassigned reports whether no account owns the DID.
func (i Inbound) DIDUnassigned(ctx context.Context, did string) (bool, error) {
	_, err := i.S.GetDIDRoute(ctx, did)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, nil
	case err != nil:
		return false, err
	}
	return false, nil
}

// AccountExists returns an error when the account cannot be read.
func (i Inbound) AccountExists(ctx context.Context, accountID int64) error {
	_, err := i.S.GetAccount(ctx, accountID)
	return err
}
