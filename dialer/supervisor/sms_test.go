package supervisor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/internal/testkit"
)

// TestSMSCampaignRunner: a Running sms campaign sends through the SMS
// gateway, never the call placer, even with a trunk table that has no
// trunk for it, and ends Finished with every record sent; without a
// gateway it gets no runner and nothing is sent or dialed.
func TestSMSCampaignRunner(t *testing.T) {
	sms := func(c *dialer.Campaign) {
		c.Type, c.SMSText, c.EndpointTemplate = dialer.TypeSMS, "hello $call.dnis", ""
	}
	var dialed atomic.Int64
	placer := dialer.PlacerFunc(func(context.Context, dialer.PlaceRequest) (dialer.Result, error) {
		dialed.Add(1)
		return dialer.Result{Status: "IVR_FINISHED", Answered: true}, nil
	})

	t.Run("no gateway", func(t *testing.T) {
		f := newFixture(t)
		c := f.campaign(2, sms, dialer.ActionStart)
		s := f.supervisor(placer)
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		if s.Running() != 0 || f.counts(c).Attempts != 0 || dialed.Load() != 0 {
			t.Errorf("without a gateway: %d runners, %+v, %d dialed", s.Running(), f.counts(c), dialed.Load())
		}
	})

	t.Run("gateway", func(t *testing.T) {
		f := newFixture(t)
		c := f.campaign(3, sms, dialer.ActionStart)
		s := f.supervisor(placer)
		s.Trunks, s.DefaultTrunk = dialer.Trunks{"test": "Local/{number}@test"}, "test"
		var sent atomic.Int64
		s.SMS = dialer.SMSSenderFunc(func(_ context.Context, m dialer.SMS) (dialer.SMSResult, error) {
			if m.Text != "hello "+m.To || m.CampaignID != c.ID {
				t.Errorf("message %+v", m)
			}
			sent.Add(1)
			return dialer.SMSResult{Status: dialer.SMSSent}, nil
		})
		if err := s.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, 10*time.Second, func() bool { return f.status(c.ID) == dialer.StatusFinished }, "sms campaign Finished")
		if n := f.counts(c); n.Complete != 3 || n.ByStatus[dialer.SMSSent] != 3 || sent.Load() != 3 || dialed.Load() != 0 {
			t.Errorf("counts %+v, %d sent, %d dialed", n, sent.Load(), dialed.Load())
		}
	})
}
