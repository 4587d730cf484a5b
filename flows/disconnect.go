package flows

import (
	"context"
	"strings"
	"time"

	"github.com/switchyard/switchyard/flows/webhooks"
)

// NamedWebhook is an account webhook with its name.
type NamedWebhook struct {
	Name   string
	Config webhooks.Config
}

// DisconnectLister, when the Engine's webhooks.Source implements it, lists
// the account webhooks called when each call ends (trigger "disconnect",
// the default for account webhooks).
type DisconnectLister interface {
	DisconnectWebhooks(ctx context.Context, accountID int64) ([]NamedWebhook, error)
}

const (
	// disconnectWait bounds the wait for the call to be over before the
	// disconnect webhooks run anyway.
	disconnectWait = time.Minute
	// disconnectBudget bounds all of one call's disconnect webhooks.
	disconnectBudget = 30 * time.Second
)

// callDisconnectWebhooks calls the account's disconnect webhooks once the
// call is over (its channel gone and recorded, so $call.end and
// $call.duration are final), off the call's goroutine. Each gets the
// call's variables as the flow left them; failures are logged.
func (r *run) callDisconnectWebhooks(ctx context.Context) {
	lister, ok := r.e.Webhooks.(DisconnectLister)
	if !ok {
		return
	}
	ctx = context.WithoutCancel(ctx)
	done := r.call.Done()
	r.e.disconnects.Add(1)
	go func() {
		defer r.e.disconnects.Done()
		if done != nil { // nil: a call no manager tracks; run at once
			t := time.NewTimer(disconnectWait)
			select {
			case <-done:
			case <-t.C:
			}
			t.Stop()
		}
		ctx, cancel := context.WithTimeout(ctx, disconnectBudget)
		defer cancel()
		hooks, err := lister.DisconnectWebhooks(ctx, r.fv.AccountID)
		if err != nil {
			r.e.log().Warn("disconnect webhooks: list", "account", r.fv.AccountID, "attempt", r.call.AttemptID, "error", err)
			return
		}
		lookup := r.lookupFn(ctx)
		for _, h := range hooks {
			req, missing, err := webhooks.Prepare(h.Config, lookup)
			if len(missing) > 0 || err != nil {
				r.e.log().Warn("disconnect webhook not called", "webhook", h.Name, "attempt", r.call.AttemptID,
					"reason", webhooks.ReasonInvalidFlowVar, "unset", strings.Join(missing, ", "), "error", err)
				continue
			}
			res := webhooks.Send(ctx, r.netPolicy(ctx), 10*time.Second, "Switchyard", req)
			if !res.OK {
				r.e.log().Warn("disconnect webhook failed", "webhook", h.Name, "attempt", r.call.AttemptID,
					"status", res.StatusCode, "reason", res.Reason, "detail", res.Detail)
				continue
			}
			r.e.log().Debug("disconnect webhook called", "webhook", h.Name, "attempt", r.call.AttemptID, "status", res.StatusCode)
		}
	}()
}

// WaitDisconnects waits until the disconnect webhooks of ended calls have
// run (at shutdown, and in tests).
func (e *Engine) WaitDisconnects() { e.disconnects.Wait() }
