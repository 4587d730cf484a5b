package flows

import (
	"context"
	"errors"
	"fmt"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
)

// SnoopRecorder records whole calls over ARI: a snoop channel on the call
// (POST /channels/{id}/snoop, spy=both: both directions mixed) enters the
// call's Stasis application, and the snoop channel is recorded
// (POST /channels/{snoopId}/record). The call's own channel stays free for
// the widgets' playbacks, gathers, recordings, bridges and queues; the
// snoop follows the channel until it hangs up or the flow ends.
//
// Its events are routed to a mailbox of its own (Router), so the Manager
// never sees the snoop channel as a new call.
type SnoopRecorder struct {
	// Router is the call Manager's router (ari.Manager.Router).
	Router *ari.Router
	// Snoop, if set, creates the snoop channel instead of
	// ari.Client.Snoop (tests).
	Snoop func(ctx context.Context, client *ari.Client, channelID, snoopID string) error
	// StartTimeout bounds the wait for the snoop channel to enter Stasis
	// (default 5 s).
	StartTimeout time.Duration
}

// snoopArg is the Stasis argument of snoop channels.
const snoopArg = "snoop"

func (s *SnoopRecorder) snoop(ctx context.Context, client *ari.Client, channelID, snoopID string) error {
	if s.Snoop != nil {
		return s.Snoop(ctx, client, channelID, snoopID)
	}
	return client.Snoop(ctx, channelID, snoopID, "both", "", snoopArg+","+channelID)
}

// StartCallRecording implements CallRecorder.
func (s *SnoopRecorder) StartCallRecording(ctx context.Context, call *ari.Call, name, format string) (ActiveRecording, error) {
	if s.Router == nil {
		return nil, errors.New("snoop recorder: no router")
	}
	if call.HungUp() {
		return nil, ari.ErrHangup
	}
	client := call.Client()
	snoopID := "sy-snoop-" + uuid.NewString()
	mb := ari.NewMailbox()
	s.Router.Register(ari.KindChannel, snoopID, mb)
	s.Router.Register(ari.KindRecording, name, mb)
	a := &snoopRecording{s: s, client: client, mb: mb, snoopID: snoopID, name: name}
	cleanup := func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = client.Hangup(hctx, snoopID, "")
		cancel()
		a.unroute()
	}
	if err := s.snoop(ctx, client, call.ID, snoopID); err != nil {
		a.unroute()
		return nil, fmt.Errorf("snoop on %s: %w", call.ID, err)
	}
	timeout := s.StartTimeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	_, err := a.waitFor(wctx, func(ev ariv6.Event) (bool, error) {
		switch ev.(type) {
		case *ariv6.StasisStart:
			return true, nil
		case *ariv6.StasisEnd, *ariv6.ChannelDestroyed:
			return true, ari.ErrHangup
		}
		return false, nil
	})
	cancel()
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("snoop channel %s did not start: %w", snoopID, err)
	}
	if _, err := client.Record(ctx, snoopID, ari.RecordRequest{Name: name, Format: format, IfExists: "fail"}); err != nil {
		cleanup()
		if nameTaken(err) {
			return nil, fmt.Errorf("record %s: %w: %v", name, ErrRecordingExists, err)
		}
		return nil, fmt.Errorf("record snoop %s: %w", snoopID, err)
	}
	a.started = time.Now()
	return a, nil
}

type snoopRecording struct {
	s       *SnoopRecorder
	client  *ari.Client
	mb      *ari.Mailbox
	snoopID string
	name    string
	started time.Time
}

func (a *snoopRecording) unroute() {
	a.s.Router.Unregister(ari.KindChannel, a.snoopID)
	a.s.Router.Unregister(ari.KindRecording, a.name)
}

// waitFor reads the mailbox until match says done.
func (a *snoopRecording) waitFor(ctx context.Context, match func(ariv6.Event) (bool, error)) (ariv6.Event, error) {
	for {
		ev, err := a.mb.Next(ctx)
		if err != nil {
			return nil, err
		}
		if done, err := match(ev); done {
			return ev, err
		}
	}
}

// Stop implements ActiveRecording.
func (a *snoopRecording) Stop(ctx context.Context) (time.Duration, error) {
	defer a.unroute()
	stopErr := a.client.StopRecording(ctx, a.name)
	if stopErr != nil && !errors.Is(stopErr, ari.ErrNotFound) {
		// Not fatal yet: the finished event decides.
		stopErr = fmt.Errorf("stop recording %s: %w", a.name, stopErr)
	} else {
		stopErr = nil
	}
	var failed string
	_, err := a.waitFor(ctx, func(ev ariv6.Event) (bool, error) {
		switch e := ev.(type) {
		case *ariv6.RecordingFinished:
			return e.Recording.Name == a.name, nil
		case *ariv6.RecordingFailed:
			if e.Recording.Name == a.name {
				failed = e.Recording.Cause
				return true, nil
			}
		}
		return false, nil
	})
	d := time.Since(a.started)
	_ = a.client.Hangup(context.WithoutCancel(ctx), a.snoopID, "")
	if err != nil {
		if stopErr != nil {
			return d, stopErr
		}
		// The finished event may have been missed (ARI reconnect): the
		// recording is stored if Asterisk lists it.
		if _, lerr := a.client.LiveRecording(context.WithoutCancel(ctx), a.name); errors.Is(lerr, ari.ErrNotFound) {
			return d, nil
		}
		return d, fmt.Errorf("recording %s did not finish: %w", a.name, err)
	}
	if failed != "" {
		return d, fmt.Errorf("recording %s failed: %s", a.name, failed)
	}
	return d, nil
}
