package accounts

import (
	"context"

	"github.com/switchyard/switchyard/store"
)

// The fake store's transactional methods are not faked (the service's
// transactional rules are tested through the API on a real store).

func (f *fakeStore) SetAccountTransactional(context.Context, int64, bool) error { return errNotFaked }
func (f *fakeStore) RequestTransactional(context.Context, int64) (store.Account, error) {
	return store.Account{}, errNotFaked
}
func (f *fakeStore) OperatorEmails(context.Context) ([]string, error) { return nil, errNotFaked }
func (f *fakeStore) AccountOwnerEmails(context.Context, int64) ([]string, error) {
	return nil, errNotFaked
}
func (f *fakeStore) ListPendingFlowVersions(context.Context) ([]store.PendingFlowVersion, error) {
	return nil, errNotFaked
}
func (f *fakeStore) ReviewFlowVersion(context.Context, int64, int) (store.FlowVersionReview, error) {
	return store.FlowVersionReview{}, errNotFaked
}
func (f *fakeStore) DecideFlowVersion(context.Context, int64, int, bool, string, string) (store.FlowVersion, store.Flow, error) {
	return store.FlowVersion{}, store.Flow{}, errNotFaked
}
