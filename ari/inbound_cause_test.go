package ari_test

import (
	"context"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
)

// TestInboundEndedByUsHasCause: an inbound call the flow ends (the handler
// hangs up, or just returns) is recorded with a hangup cause and its text,
// not 0 and "".
func TestInboundEndedByUsHasCause(t *testing.T) {
	for _, tc := range []struct {
		name   string
		handle func(ctx context.Context, c *ari.Call) error
	}{
		{"handler hangs up", func(ctx context.Context, c *ari.Call) error { return c.Hangup(ctx, "") }},
		{"handler returns", func(ctx context.Context, c *ari.Call) error { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newMemRecorder()
			done := make(chan struct{}, 1)
			route := func(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
				return ari.Route{
					Attempt: &ari.Attempt{AccountID: 7, DNIS: ev.Args[len(ev.Args)-1]},
					Handler: func(ctx context.Context, c *ari.Call) error {
						defer func() { done <- struct{}{} }()
						if err := c.Answer(ctx); err != nil {
							return err
						}
						return tc.handle(ctx, c)
					},
				}
			}
			m, _ := startManager(t, rec, route)
			_, err := m.Client().Originate(context.Background(), ari.OriginateRequest{
				Endpoint: "Local/+4930123456@from-trunk", Context: "customers", Extension: "answer-silent", Priority: 1,
				Variables: map[string]string{"SWITCHYARD_APP": m.Client().App()},
			})
			if err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("inbound call never reached the handler")
			}
			waitIdle(t, m, 10*time.Second)
			fin := rec.Finished()
			if len(fin) != 1 {
				t.Fatalf("finished records: %v", fin)
			}
			for _, end := range fin {
				if end.HangupCause == 0 || end.CauseText == "" || end.RemoteHangup {
					t.Errorf("end = %+v, want a cause and its text, ended by us", end)
				}
			}
		})
	}
}

func TestCauseForReason(t *testing.T) {
	for reason, want := range map[string]int{"": 16, "normal": 16, "busy": 17, "congestion": 34, "no_answer": 19, "21": 21, "0": 16, "999": 16, "x": 16} {
		if got := ari.CauseForReason(reason); got != want {
			t.Errorf("CauseForReason(%q) = %d, want %d", reason, got, want)
		}
	}
	if ari.CauseText(16) != "Normal Clearing" || ari.CauseText(0) != "" {
		t.Errorf("cause texts %q %q", ari.CauseText(16), ari.CauseText(0))
	}
}
