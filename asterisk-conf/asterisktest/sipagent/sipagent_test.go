package sipagent_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
)

// CallAgent originates to PJSIP/<user> into a fresh Stasis app and returns
// the channel state seen when the handler runs (after StasisStart) and the
// call. hangup runs inside the handler while the call is up.
func CallAgent(t *testing.T, user string, during func(c *ari.Call)) (state string, c *ari.Call) {
	t.Helper()
	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{Prefix: "sytest-sipagent"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	states := make(chan string, 1)
	failed := make(chan struct{}, 1)
	call, err := m.Originate(ctx, ari.OriginateParams{
		Endpoint: "PJSIP/" + user, CallerID: "+4930555", Timeout: 10 * time.Second,
		Handler: func(ctx context.Context, c *ari.Call) error {
			ch, err := c.Client().Channel(ctx, c.ID)
			if err != nil {
				states <- "error: " + err.Error()
				return err
			}
			states <- ch.State
			if during != nil {
				during(c)
			}
			return c.WaitHangup(ctx, 20*time.Second)
		},
		Failed: func(c *ari.Call) { failed <- struct{}{} },
	})
	if err != nil {
		t.Fatalf("originate PJSIP/%s: %v", user, err)
	}
	select {
	case state = <-states:
	case <-failed:
		n, text := call.Cause()
		t.Fatalf("call to PJSIP/%s failed: cause %d %s", user, n, text)
	case <-ctx.Done():
		t.Fatalf("call to PJSIP/%s: no StasisStart", user)
	}
	return state, call
}

func TestStaticAgentAnswersAndHangsUp(t *testing.T) {
	info := asterisktest.Require(t)
	ag := sipagent.Start(t, sipagent.Options{User: "agent1", Password: "switchyard-agent1"})
	if info.Root != "" {
		if out := info.CLI(t, "pjsip show contacts"); !strings.Contains(out, "agent1/sip:agent1") {
			t.Errorf("no contact for agent1:\n%s", out)
		}
	}

	// Auto-answered: the channel is Up when it enters Stasis; then the
	// agent hangs up mid-call.
	state, call := CallAgent(t, "agent1", func(c *ari.Call) {
		time.Sleep(300 * time.Millisecond) // some media flows
		if err := ag.Hangup(); err != nil {
			t.Errorf("Hangup: %v", err)
		}
	})
	if state != "Up" {
		t.Errorf("channel state at StasisStart %q; want Up", state)
	}
	select {
	case <-call.Done():
	case <-time.After(20 * time.Second):
		t.Fatal("call did not end after the agent hung up")
	}
	if !call.RemoteHangup() {
		n, text := call.Cause()
		t.Errorf("call ended but not by the agent (cause %d %s)", n, text)
	}

	if err := ag.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	ctx := context.Background()
	if st, err := ag.State(ctx); err != nil || st != "offline" {
		t.Errorf("after Stop: %q %v; want offline", st, err)
	}
}

func TestWrongPasswordDoesNotRegister(t *testing.T) {
	asterisktest.Require(t)
	ag := sipagent.Start(t, sipagent.Options{User: "agent2", Password: "wrong", NoWait: true})
	if err := ag.WaitState("online", 2*time.Second); err == nil {
		t.Fatal("agent2 registered with a wrong password")
	}
	if out := ag.Output(); !strings.Contains(out, "401") && !strings.Contains(out, "403") {
		t.Logf("baresip output (expected an auth failure):\n%s", out)
	}
}
