package smtpin

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/api/apistore/apistoretest"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/store"
)

// env is a migrated store with an account.
type env struct {
	t   *testing.T
	st  *store.Store
	acc int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fx := apistoretest.NewFixture(t)
	return &env{t: t, st: fx.Store, acc: fx.Account}
}

// fakeFlows is a function-field fake of intake.Flows.
type fakeFlows struct {
	flow func(ctx context.Context, accountID int64, id string) (intake.Flow, error)
}

func (f fakeFlows) Flow(ctx context.Context, accountID int64, id string) (intake.Flow, error) {
	return f.flow(ctx, accountID, id)
}

// testDeps reads the access lists through st and imports into e's store
// (default country IN) with flows.
func testDeps(e *env, st Store, flows intake.Flows) Deps {
	return Deps{Store: st, Intake: intake.New(intake.Config{Store: e.st, Flows: flows, Region: "IN"})}
}
