package acd

import "testing"

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
