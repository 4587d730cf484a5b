package ari_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
)

// runHandler originates one call to a customer extension and runs fn as its
// handler, returning fn's error and the recorded end.
func runHandler(t *testing.T, m *ari.Manager, rec *aritest.Recorder, ext string, fn func(ctx context.Context, c *ari.Call) error) (ari.AttemptEnd, error) {
	t.Helper()
	errc := make(chan error, 1)
	c, err := m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: customer(ext), Timeout: 10 * time.Second, Attempt: &ari.Attempt{AccountID: 1},
		Handler: func(ctx context.Context, c *ari.Call) error { err := fn(ctx, c); errc <- err; return err },
	})
	if err != nil {
		t.Fatal(err)
	}
	var herr error
	select {
	case herr = <-errc:
	case <-time.After(40 * time.Second):
		t.Fatal("handler did not return")
	}
	select {
	case <-c.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call not finished")
	}
	end, ok := rec.End(c.AttemptID)
	if !ok {
		t.Fatal("no record")
	}
	return end, herr
}

func TestGather(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	tests := []struct {
		name, ext  string
		opts       ari.GatherOptions
		wantDigits string
		wantReason string
		wantTerm   string
		valid      bool
	}{
		{"max digits", "answer-dtmf-123", ari.GatherOptions{Min: 1, Max: 2, FirstDigit: 8 * time.Second}, "12", ari.GatherMax, "", true},
		{"terminator", "answer-dtmf-45#", ari.GatherOptions{Min: 1, Max: 6, Terminators: "#", FirstDigit: 8 * time.Second}, "45", ari.GatherTerminator, "#", true},
		{"inter-digit timeout", "answer-dtmf-7", ari.GatherOptions{Min: 2, Max: 4, FirstDigit: 8 * time.Second, InterDigit: 1500 * time.Millisecond}, "7", ari.GatherInterDigit, "", false},
		{"no input", "answer-silent", ari.GatherOptions{Min: 1, Max: 4, FirstDigit: 1500 * time.Millisecond}, "", ari.GatherTimeout, "", false},
		{"overall timeout", "answer-silent", ari.GatherOptions{Min: 1, Max: 4, FirstDigit: 10 * time.Second, Overall: 1 * time.Second}, "", ari.GatherOverall, "", false},
		{"prompt with barge-in", "answer-dtmf-9", ari.GatherOptions{Min: 1, Max: 1, FirstDigit: 5 * time.Second, Prompt: []string{"sound:vm-enter-num-to-call", "sound:vm-enter-num-to-call", "sound:vm-enter-num-to-call"}}, "9", ari.GatherMax, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got ari.GatherResult
			start := time.Now()
			_, err := runHandler(t, m, rec, tt.ext, func(ctx context.Context, c *ari.Call) error {
				var err error
				got, err = c.Gather(ctx, tt.opts)
				return err
			})
			if err != nil {
				t.Fatalf("gather: %v", err)
			}
			if got.Digits != tt.wantDigits || got.Reason != tt.wantReason || got.Terminator != tt.wantTerm || got.Valid != tt.valid {
				t.Errorf("gather = %+v, want digits %q reason %s terminator %q valid %v", got, tt.wantDigits, tt.wantReason, tt.wantTerm, tt.valid)
			}
			if tt.name == "prompt with barge-in" && time.Since(start) > 6*time.Second {
				t.Errorf("the prompt was not interrupted by the digit (%v)", time.Since(start))
			}
		})
	}
}

// TestHangupMidPrompt: the caller hangs up during a playback; the handler
// sees ErrHangup and the record says the far end hung up.
func TestHangupMidPrompt(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	end, err := runHandler(t, m, rec, "answer-hangup-1", func(ctx context.Context, c *ari.Call) error {
		_, err := c.Play(ctx, ari.PlayOptions{}, "sound:vm-enter-num-to-call", "sound:vm-enter-num-to-call", "sound:vm-enter-num-to-call", "sound:vm-enter-num-to-call")
		return err
	})
	if !errors.Is(err, ari.ErrHangup) {
		t.Fatalf("err = %v, want ErrHangup", err)
	}
	if !end.RemoteHangup || end.FinishReason != "hangup" {
		t.Errorf("end = %+v", end)
	}
}

// TestHangupWithCause: Switchyard hangs up with a reason; Asterisk reports
// the matching Q.850 cause.
func TestHangupWithCause(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	for _, tc := range []struct {
		reason string
		cause  int
	}{{"busy", 17}, {"congestion", 34}, {"21", 21}} {
		t.Run(tc.reason, func(t *testing.T) {
			end, err := runHandler(t, m, rec, "answer-silent", func(ctx context.Context, c *ari.Call) error {
				if err := c.Hangup(ctx, tc.reason); err != nil {
					return err
				}
				return c.WaitHangup(ctx, 5*time.Second)
			})
			if err != nil {
				t.Fatal(err)
			}
			if end.HangupCause != tc.cause || end.RemoteHangup {
				t.Errorf("end = %+v, want cause %d by us", end, tc.cause)
			}
		})
		// The handler returns right after asking for the hangup (as the
		// flow's hangup widget does): the manager must not hang up again
		// and replace the cause with 16.
		t.Run(tc.reason+"/no wait", func(t *testing.T) {
			end, err := runHandler(t, m, rec, "answer-silent", func(ctx context.Context, c *ari.Call) error {
				return c.Hangup(ctx, tc.reason)
			})
			if err != nil {
				t.Fatal(err)
			}
			if end.HangupCause != tc.cause || end.RemoteHangup {
				t.Errorf("end = %+v, want cause %d by us", end, tc.cause)
			}
		})
	}
}

// TestHoldingBridgeWithMOH parks the caller in a holding bridge with music
// on hold, then moves it to a mixing bridge with a second leg.
func TestHoldingBridgeWithMOH(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	_, err := runHandler(t, m, rec, "answer-silent", func(ctx context.Context, c *ari.Call) error {
		hold, err := c.CreateBridge(ctx, "holding")
		if err != nil {
			return err
		}
		if err := hold.Add(ctx, c.ID); err != nil {
			return err
		}
		if err := hold.StartMOH(ctx, ""); err != nil {
			return err
		}
		if err := c.Wait(ctx, 300*time.Millisecond); err != nil {
			return err
		}
		b, err := m.Client().Bridge(ctx, hold.ID)
		if err != nil {
			return err
		}
		if len(b.ChannelIDs) != 1 || b.ChannelIDs[0] != c.ID {
			t.Errorf("holding bridge channels = %v", b.ChannelIDs)
		}
		if err := hold.StopMOH(ctx); err != nil {
			return err
		}
		if err := hold.Remove(ctx, c.ID); err != nil {
			return err
		}
		if err := hold.Destroy(ctx); err != nil {
			return err
		}
		mix, err := c.CreateBridge(ctx, "mixing")
		if err != nil {
			return err
		}
		leg, err := c.Dial(ctx, ari.LegRequest{Endpoint: customer("answer-silent"), Timeout: 5 * time.Second})
		if err != nil {
			return err
		}
		if err := mix.Add(ctx, c.ID, leg.ID); err != nil {
			return err
		}
		return leg.Hangup(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The bridges went with the call.
	bs, err := m.Client().Bridges(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Creator == m.Client().App() {
			t.Errorf("bridge %s left behind", b.ID)
		}
	}
}

// TestDialFailures maps failed legs to the dial outcomes (IN_BUSY,
// IN_NOANSWER, ...).
func TestDialFailures(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	for _, tc := range []struct {
		ext   string
		cause int
	}{{"busy", 17}, {"congestion", 34}, {"noanswer", 19}, {"chanunavail", 3}} {
		t.Run(tc.ext, func(t *testing.T) {
			var leg *ari.Leg
			_, err := runHandler(t, m, rec, "answer-silent", func(ctx context.Context, c *ari.Call) error {
				var err error
				leg, err = c.Dial(ctx, ari.LegRequest{Endpoint: customer(tc.ext), Timeout: 2 * time.Second})
				return err
			})
			if !errors.Is(err, ari.ErrLegFailed) {
				t.Fatalf("dial err = %v, want ErrLegFailed", err)
			}
			if cause, _ := leg.Cause(); cause != tc.cause {
				t.Errorf("leg cause = %d, want %d", cause, tc.cause)
			}
		})
	}
}

// TestEndpointAndDeviceState reads PJSIP endpoint and device state.
func TestEndpointAndDeviceState(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	ctx := context.Background()
	eps, err := m.Client().Endpoints(ctx, "PJSIP")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ep := range eps {
		if ep.Resource == "agent1" {
			found = true
			if ep.State != "offline" && ep.State != "online" {
				t.Errorf("agent1 state %q", ep.State)
			}
		}
	}
	if !found {
		t.Fatalf("agent1 not among PJSIP endpoints: %+v", eps)
	}
	ep, err := m.Client().Endpoint(ctx, "PJSIP", "offline")
	if err != nil || ep.State != "offline" {
		t.Errorf("endpoint offline = %+v, %v", ep, err)
	}
	ds, err := m.Client().DeviceState(ctx, "PJSIP/offline")
	if err != nil || ds.State != "UNAVAILABLE" {
		t.Errorf("device state = %+v, %v", ds, err)
	}
	if _, err := m.Client().Endpoint(ctx, "PJSIP", "no-such-endpoint"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("unknown endpoint err = %v, want ErrNotFound", err)
	}
	// A Stasis-controlled device state round-trips.
	name := "Stasis:" + m.Client().App()
	if err := m.Client().SetDeviceState(ctx, name, "BUSY"); err != nil {
		t.Fatal(err)
	}
	if ds, err := m.Client().DeviceState(ctx, name); err != nil || ds.State != "BUSY" {
		t.Errorf("stasis device state = %+v, %v", ds, err)
	}
}

// TestOriginateThroughAMD: a dialplan originate into the shipped amd context
// comes back into the application with the AMD verdict as arguments.
func TestOriginateThroughAMD(t *testing.T) {
	rec := newMemRecorder()
	m, _ := startManager(t, rec, nil)
	for _, tc := range []struct{ ext, want string }{{"machine", "MACHINE"}, {"human", "HUMAN"}} {
		t.Run(tc.ext, func(t *testing.T) {
			args := make(chan []string, 1)
			c, err := m.Originate(context.Background(), ari.OriginateParams{
				Endpoint: customer(tc.ext), Timeout: 10 * time.Second, Context: "amd", Extension: "s",
				Variables: map[string]string{"SWITCHYARD_APP": m.Client().App()},
				Attempt:   &ari.Attempt{AccountID: 1},
				Handler: func(ctx context.Context, c *ari.Call) error {
					args <- c.Args
					return nil
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case a := <-args:
				if len(a) < 2 || a[0] != "amd" || a[1] != tc.want {
					t.Errorf("Stasis args = %v, want [amd %s …]", a, tc.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the call never came back from AMD")
			}
			<-c.Done()
		})
	}
}
