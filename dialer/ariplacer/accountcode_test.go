package ariplacer

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
)

// TestPlaceSetsAccountcode: on the real Asterisk, the answered call of a
// campaign with an accountcode carries it as the channel's accountcode
// (what the call records show); a campaign without one leaves it empty.
func TestPlaceSetsAccountcode(t *testing.T) {
	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got := make(chan string, 1)
	p := &Placer{Manager: m, Answered: func(ctx context.Context, call *ari.Call, r dialer.PlaceRequest) (bool, time.Time, error) {
		v, err := call.GetVar(ctx, "CHANNEL(accountcode)")
		if err != nil {
			return false, time.Time{}, err
		}
		got <- v
		call.SetStatus("IVR_FINISHED")
		return false, time.Time{}, nil
	}}
	for i, code := range []string{"ACME-42", ""} {
		c := campaign()
		c.Accountcode = code
		r := dialer.PlaceRequest{Campaign: c, Record: dialer.Record{ID: int64(900 + i), AccountID: 1, Attempt: 1}, Number: "answer-hangup-1",
			Endpoint: c.Endpoint("answer-hangup-1")}
		if _, err := p.Place(ctx, r); err != nil {
			t.Fatalf("accountcode %q: %v", code, err)
		}
		select {
		case v := <-got:
			if v != code {
				t.Errorf("channel accountcode %q, want %q", v, code)
			}
		default:
			t.Fatalf("accountcode %q: the call was not answered", code)
		}
	}
}
