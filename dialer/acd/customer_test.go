package acd

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCustomerNumber: the agent's phone, status and events show the
// customer — the dialled number of an outbound (dialer) call, whose CLI is
// the campaign's caller id — and the caller of an inbound one.
func TestCustomerNumber(t *testing.T) {
	for _, tc := range []struct {
		req  reqInfo
		want string
	}{
		{reqInfo{cli: "+4930555000", dnis: "+4930111", outbound: false}, "+4930555000"},
		{reqInfo{cli: "+15551230000", dnis: "+919876543210", outbound: true}, "+919876543210"},
		{reqInfo{cli: "+15551230000", dnis: "", outbound: true}, "+15551230000"},
	} {
		if got := tc.req.customer(); got != tc.want {
			t.Errorf("%+v: customer %q, want %q", tc.req, got, tc.want)
		}
	}
}

// TestPersistentLoginRefusedLine: a persistent mobile agent whose line
// Asterisk refuses (no such trunk) gets ErrUnreachable with what to
// check — an answer the API gives as 409, not a 500 — and stays logged
// out.
func TestPersistentLoginRefusedLine(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.Trunk = "PJSIP/%s@no-such-trunk" })
	h.agent(1, "1000001", true, 0)
	err := h.a.Login(context.Background(), 1, 1)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "no-such-trunk") {
		t.Fatalf("login: %v, want ErrUnreachable naming the line", err)
	}
	st, err := h.a.Agent(1, 1)
	if err != nil || st.State != StateLoggedOut {
		t.Fatalf("agent after refused login: %+v %v", st, err)
	}
}
