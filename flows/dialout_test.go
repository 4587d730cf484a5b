package flows

import (
	"context"
	"testing"

	"github.com/switchyard/switchyard/ari"
)

type originateFunc func(ctx context.Context, p ari.OriginateParams) (*ari.Call, error)

func (f originateFunc) Originate(ctx context.Context, p ari.OriginateParams) (*ari.Call, error) {
	return f(ctx, p)
}

// A flow's test call and the connect-to-a-flow call dial the E.164 number
// through the endpoint template, record an outbound attempt of the flow,
// and refuse anything else as a number (it could alter the dial string).
func TestDialout(t *testing.T) {
	var got ari.OriginateParams
	d := Dialout{Endpoint: "PJSIP/{number}@trunk", Engine: &Engine{},
		Calls: originateFunc(func(_ context.Context, p ari.OriginateParams) (*ari.Call, error) {
			got = p
			return &ari.Call{ID: "ch-1", AttemptID: "att-1"}, nil
		})}
	fv := FlowVersion{AccountID: 7, FlowID: 12, Version: 3}
	id, att, err := d.Connect(context.Background(), fv, "+4930111", "+4930222")
	if err != nil || id != "ch-1" || att != "att-1" {
		t.Fatalf("connect %q %q %v", id, att, err)
	}
	if got.Endpoint != "PJSIP/+4930111@trunk" || got.CallerID != "+4930222" || got.Handler == nil ||
		got.Attempt == nil || got.Attempt.AccountID != 7 || got.Attempt.FlowID == nil || *got.Attempt.FlowID != 12 ||
		got.Attempt.DNIS != "+4930111" || got.Attempt.CLI != "+4930222" || got.Attempt.Inbound {
		t.Errorf("originate %+v attempt %+v", got, got.Attempt)
	}
	for _, n := range []string{"", "4930111", "+49301&PJSIP/x"} {
		if _, err := d.TestCall(context.Background(), fv, n); err == nil {
			t.Errorf("test call to %q placed", n)
		}
	}
}
