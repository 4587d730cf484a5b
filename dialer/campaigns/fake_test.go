package campaigns

import (
	"context"
	"fmt"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// fakeStore is a Store whose methods are function fields; a method left
// nil fails the call.
type fakeStore struct {
	create     func(store.Campaign) (store.Campaign, error)
	get        func(acct, id int64) (store.Campaign, error)
	search     func(acct int64, f store.CampaignFilter) ([]store.Campaign, error)
	update     func(c store.Campaign, editable func(string) bool) (store.Campaign, error)
	del        func(acct, id int64, deletable func(string) bool) error
	transition func(acct, id int64, next func(string) (string, error)) (store.Campaign, error)
	count      func(acct int64, reqs []string) (store.CampaignRecordCounts, error)
	abandon    func(id int64, since time.Time) ([]store.CampaignAbandonHour, error)
	closeResch func(acct int64, reqs []string, at time.Time, status string) (int64, error)
	getFlow    func(acct, id int64) (store.Flow, error)
	getWebhook func(acct int64, name string) (store.Webhook, error)
	getQueue   func(acct int64, name string) (store.Queue, error)
	getFlowC   func(acct int64, flowID string) (store.Campaign, error)
	putFlowC   func(c store.Campaign, ifMissing bool) (store.Campaign, error)
	smsDeliv   func(d store.SMSDelivery) (bool, error)
}

func (f *fakeStore) UpdateSMSDelivery(_ context.Context, d store.SMSDelivery) (bool, error) {
	if f.smsDeliv == nil {
		return false, fmt.Errorf("UpdateSMSDelivery: %w", errUnexpected)
	}
	return f.smsDeliv(d)
}

var errUnexpected = fmt.Errorf("fakeStore: unexpected call")

func (f *fakeStore) CreateCampaign(_ context.Context, c store.Campaign) (store.Campaign, error) {
	if f.create == nil {
		return store.Campaign{}, fmt.Errorf("CreateCampaign: %w", errUnexpected)
	}
	return f.create(c)
}

func (f *fakeStore) GetCampaign(_ context.Context, acct, id int64) (store.Campaign, error) {
	if f.get == nil {
		return store.Campaign{}, fmt.Errorf("GetCampaign: %w", errUnexpected)
	}
	return f.get(acct, id)
}

func (f *fakeStore) SearchCampaigns(_ context.Context, acct int64, flt store.CampaignFilter) ([]store.Campaign, error) {
	if f.search == nil {
		return nil, fmt.Errorf("SearchCampaigns: %w", errUnexpected)
	}
	return f.search(acct, flt)
}

func (f *fakeStore) UpdateCampaign(_ context.Context, c store.Campaign, editable func(string) bool) (store.Campaign, error) {
	if f.update == nil {
		return store.Campaign{}, fmt.Errorf("UpdateCampaign: %w", errUnexpected)
	}
	return f.update(c, editable)
}

func (f *fakeStore) DeleteCampaign(_ context.Context, acct, id int64, deletable func(string) bool) error {
	if f.del == nil {
		return fmt.Errorf("DeleteCampaign: %w", errUnexpected)
	}
	return f.del(acct, id, deletable)
}

func (f *fakeStore) TransitionCampaign(_ context.Context, acct, id int64, next func(string) (string, error)) (store.Campaign, error) {
	if f.transition == nil {
		return store.Campaign{}, fmt.Errorf("TransitionCampaign: %w", errUnexpected)
	}
	return f.transition(acct, id, next)
}

func (f *fakeStore) CountCampaignRecords(_ context.Context, acct int64, reqs []string) (store.CampaignRecordCounts, error) {
	if f.count == nil {
		return store.CampaignRecordCounts{}, fmt.Errorf("CountCampaignRecords: %w", errUnexpected)
	}
	return f.count(acct, reqs)
}

func (f *fakeStore) CampaignAbandonHours(_ context.Context, id int64, since time.Time) ([]store.CampaignAbandonHour, error) {
	if f.abandon == nil {
		return nil, fmt.Errorf("CampaignAbandonHours: %w", errUnexpected)
	}
	return f.abandon(id, since)
}

func (f *fakeStore) CloseRescheduledRecords(_ context.Context, acct int64, reqs []string, at time.Time, status string) (int64, error) {
	if f.closeResch == nil {
		return 0, fmt.Errorf("CloseRescheduledRecords: %w", errUnexpected)
	}
	return f.closeResch(acct, reqs, at, status)
}

func (f *fakeStore) GetFlow(_ context.Context, acct, id int64) (store.Flow, error) {
	if f.getFlow == nil {
		return store.Flow{}, fmt.Errorf("GetFlow: %w", errUnexpected)
	}
	return f.getFlow(acct, id)
}

func (f *fakeStore) GetWebhook(_ context.Context, acct int64, name string) (store.Webhook, error) {
	if f.getWebhook == nil {
		return store.Webhook{}, fmt.Errorf("GetWebhook: %w", errUnexpected)
	}
	return f.getWebhook(acct, name)
}

func (f *fakeStore) GetQueueByName(_ context.Context, acct int64, name string) (store.Queue, error) {
	if f.getQueue == nil {
		return store.Queue{}, fmt.Errorf("GetQueueByName: %w", errUnexpected)
	}
	return f.getQueue(acct, name)
}

func (f *fakeStore) GetFlowCampaign(_ context.Context, acct int64, flowID string) (store.Campaign, error) {
	if f.getFlowC == nil {
		return store.Campaign{}, fmt.Errorf("GetFlowCampaign: %w", errUnexpected)
	}
	return f.getFlowC(acct, flowID)
}

func (f *fakeStore) PutFlowCampaign(_ context.Context, c store.Campaign, ifMissing bool) (store.Campaign, error) {
	if f.putFlowC == nil {
		return store.Campaign{}, fmt.Errorf("PutFlowCampaign: %w", errUnexpected)
	}
	return f.putFlowC(c, ifMissing)
}

// fakeLive is a Live whose methods are function fields (nil: no-op).
type fakeLive struct {
	notify   func(acct, id int64) error
	progress func(acct, id int64) (dialer.Progress, bool)
}

func (f *fakeLive) Notify(_ context.Context, acct, id int64) error {
	if f.notify == nil {
		return nil
	}
	return f.notify(acct, id)
}

func (f *fakeLive) Progress(acct, id int64) (dialer.Progress, bool) {
	if f.progress == nil {
		return dialer.Progress{}, false
	}
	return f.progress(acct, id)
}
