package ariplacer

import (
	"context"
	"errors"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// WhenConnected holds a dialer call while Asterisk is not connected (boot,
// reconnect) instead of failing it: a failed originate would spend one of
// the record's attempts. The runner renews the claim meanwhile; on
// shutdown the error is returned with ctx done, so the claim is released
// uncounted.
type WhenConnected struct{ Placer dialer.Placer }

// Available forwards the inner placer's availability (dialer.Availability):
// the runner claims nothing while Asterisk is away.
func (w WhenConnected) Available() bool {
	a, ok := w.Placer.(dialer.Availability)
	return !ok || a.Available()
}

// Place places the call once Asterisk is connected.
func (w WhenConnected) Place(ctx context.Context, r dialer.PlaceRequest) (dialer.Result, error) {
	for {
		res, err := w.Placer.Place(ctx, r)
		if !errors.Is(err, ari.ErrNotConnected) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// Notify takes the ACD's events (acd.Notifier): an agent connected to a
// customer call times its answer → agent delay (the abandon rate of
// predictive campaigns).
func (c *Connections) Notify(ev acd.Event) {
	if ev.Kind == acdconfig.EventAgentConnected {
		c.Connected(ev.CallID, ev.At)
	}
}
