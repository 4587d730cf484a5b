// Package apistoretest is the starting point of the API packages' tests:
// a migrated temporary SQLite store with two accounts and their API keys,
// and a server authenticating against it. It lives apart from apistore so
// the binary never links the testing package.
package apistoretest

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/api"
	"github.com/switchyard/switchyard/api/apistore"
	"github.com/switchyard/switchyard/store"
)

// Fixture is what an API package's tests start from: a migrated temporary
// SQLite store with two accounts ("acme" and "other"), an API key for each,
// and a server authenticating against the store.
type Fixture struct {
	Store          *store.Store
	Server         *api.Server
	Account, Other int64
	Key, OtherKey  string
}

// NewFixture builds a Fixture; deps adjusts the server's Deps (body limit…).
func NewFixture(t testing.TB, deps ...func(*api.Deps)) *Fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &Fixture{Store: st}
	for _, acc := range []struct {
		name string
		id   *int64
		key  *string
	}{{"acme", &f.Account, &f.Key}, {"other", &f.Other, &f.OtherKey}} {
		a, err := st.CreateAccount(ctx, acc.name)
		if err != nil {
			t.Fatal(err)
		}
		_, k, err := st.CreateAPIKey(ctx, a.ID, "k")
		if err != nil {
			t.Fatal(err)
		}
		*acc.id, *acc.key = a.ID, k
	}
	d := api.Deps{Authenticate: apistore.Authenticate(st), ErrorMap: apistore.ErrorMap()}
	for _, fn := range deps {
		fn(&d)
	}
	f.Server = api.New(d, nil)
	return f
}
