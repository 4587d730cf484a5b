package app

import (
	"context"
	"errors"

	"github.com/switchyard/switchyard/api/notifyapi"
	"github.com/switchyard/switchyard/notify"
)

// startNotify builds Emergency Notification: the address book, labels
// and sending (voice through the call-list intake, so the flow's dialing
// settings dial it; SMS and email through the messaging service) and
// serves its API. Its worker runs with the background jobs (runNotify).
func (a *App) startNotify() {
	a.notify = notify.New(notify.Config{Store: a.store, Calls: a.intake, Node: a.cfg.NodeName,
		Messages: notifyMessenger{a}, Logger: a.log})
	notifyapi.Register(a.http.API(), notifyapi.Deps{Service: a.notify, Store: a.store})
}

// Notify is the Emergency Notification service (tests).
func (a *App) Notify() *notify.Service { return a.notify }

// runNotify sends stored notifications until ctx ends.
func (a *App) runNotify(ctx context.Context) {
	if err := a.notify.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		a.log.Error("notification sender stopped", "error", err)
	}
}
