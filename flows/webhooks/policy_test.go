package webhooks

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestPolicyBlocked(t *testing.T) {
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "intranet.example":
			return []netip.Addr{netip.MustParseAddr("192.168.1.9")}, nil
		case "public.example":
			return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
		}
		return nil, errors.New("no such host")
	}
	strict := Policy{}
	open := Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("192.168.0.0/16")}}
	for _, tc := range []struct {
		pol  Policy
		url  string
		want string // substring; "" = allowed
	}{
		{strict, "https://public.example/x", ""},
		{strict, "http://public.example/x", "http://"},
		{strict, "https://intranet.example/x", "192.168.1.9"},
		{strict, "https://127.0.0.1:8443/x", "127.0.0.1"},
		{strict, "https://[::1]/x", "::1"},
		{strict, "ftp://public.example/x", "scheme"},
		{strict, "https://unknown.example/x", ""},
		{strict, "https://$flow.key.host/x", ""},
		{strict, "$flow.key.url", ""},
		{open, "http://intranet.example/x", ""},
		{open, "https://10.0.0.1/x", "10.0.0.1"},
	} {
		got := tc.pol.Blocked(context.Background(), tc.url, resolve)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("Blocked(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
}
