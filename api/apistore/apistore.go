// Package apistore connects the HTTP layer to the store: API-key
// authentication and the mapping of the store's coded errors to HTTP. The
// daemon and the API packages' tests use the same adapter.
package apistore

import (
	"context"
	"errors"
	"fmt"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/dialer/acd"
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
		return api.Principal{AccountID: p.AccountID, KeyID: p.KeyID}, nil
	}
}

// ErrorMap maps the store's coded errors to HTTP errors.
func ErrorMap() []api.ErrorMapping {
	return []api.ErrorMapping{
		{Target: store.ErrNotFound, Code: api.CodeNotFound},
		{Target: store.ErrInvalid, Code: api.CodeInvalid},
		{Target: store.ErrConflict, Code: api.CodeConflict},
		{Target: store.ErrQueryTimeout, Code: api.CodeTimeout, Message: "the report took longer than its time limit; narrow the period or filters"},
		// The ACD's coded errors (api/agentsapi converts them with their
		// message; these are the fallback).
		{Target: acd.ErrNotFound, Code: api.CodeNotFound},
		{Target: acd.ErrInvalid, Code: api.CodeInvalid},
		{Target: acd.ErrState, Code: api.CodeConflict},
		{Target: acd.ErrUnreachable, Code: api.CodeConflict, Message: "the agent's line did not answer"},
	}
}
