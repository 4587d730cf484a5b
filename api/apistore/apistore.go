// Package apistore connects the HTTP layer to the store: API-key
// authentication and the mapping of the store's coded errors to HTTP. The
// daemon and the API packages' tests use the same adapter.
package apistore

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/store"
)

// Authenticate adapts the store's API-key check to api.Deps.Authenticate:
// a malformed, unknown or revoked key (or a disabled account) is
// api.ErrUnauthorized; anything else is a server error.
func Authenticate(st *store.Store) func(ctx context.Context, key string) (api.Principal, error) {
	return func(ctx context.Context, key string) (api.Principal, error) {
		p, err := st.AuthenticateAPIKey(ctx, key)
		if err != nil {
			if errors.Is(err, store.ErrUnauthenticated) || errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrNotFound) {
				return api.Principal{}, fmt.Errorf("%w: %v", api.ErrUnauthorized, err)
			}
			return api.Principal{}, err
		}
		return api.Principal{AccountID: p.AccountID, KeyID: p.KeyID, UserID: p.UserID, Role: p.Role}, nil
	}
}

// ErrorMap maps foreign sentinels to HTTP errors. The store's and the
// ACD's errors are coded (switchyard.Error) and map by their code and
// message without an entry here.
func ErrorMap() []api.ErrorMapping {
	return nil
}
