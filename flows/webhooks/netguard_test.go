package webhooks

import (
	"net/netip"
	"testing"
)

var loopback = Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}}

func TestPolicyAllowed(t *testing.T) {
	// This host's own addresses: a fake public one besides the real ones.
	real := hostAddrs
	hostAddrs = func() addrSet {
		s := addrSet{netip.MustParseAddr("203.0.113.9"): {}, netip.MustParseAddr("2001:db8::9"): {}}
		for a := range real() {
			s[a] = struct{}{}
		}
		return s
	}
	SetBlockedNetworks([]netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}) // e.g. the host's NATed public address
	t.Cleanup(func() { hostAddrs = real; SetBlockedNetworks(nil) })
	own := Policy{Allow: []netip.Prefix{netip.MustParsePrefix("203.0.113.9/32")}}
	for _, tc := range []struct {
		ip   string
		pol  Policy
		want bool
	}{
		{"8.8.8.8", Policy{}, true},
		{"127.0.0.1", Policy{}, false},
		{"10.1.2.3", Policy{}, false},
		{"192.168.1.1", Policy{}, false},
		{"172.16.0.1", Policy{}, false},
		{"169.254.169.254", Policy{}, false},
		{"100.64.0.1", Policy{}, false},
		{"0.0.0.0", Policy{}, false},
		{"::1", Policy{}, false},
		{"fe80::1", Policy{}, false},
		{"fd00::1", Policy{}, false},
		{"::ffff:127.0.0.1", Policy{}, false},
		{"2001:4860::8888", Policy{}, true},
		{"127.0.0.1", loopback, true},
		{"10.1.2.3", Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}, true},
		{"10.2.2.3", Policy{Allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}, false},
		// The host's own (public) address and cloud metadata, under the default policy.
		{"203.0.113.9", Policy{}, false},
		{"2001:db8::9", Policy{}, false},
		{"::ffff:203.0.113.9", Policy{}, false},
		{"203.0.113.10", Policy{}, true},
		{"203.0.113.9", own, true}, // the operator may allow it
		{"198.51.100.7", Policy{}, false},
		{"198.51.100.7", Policy{Allow: []netip.Prefix{netip.MustParsePrefix("198.51.100.7/32")}}, true},
		{"168.63.129.16", Policy{}, false},
		{"100.100.100.200", Policy{}, false},
		{"fd00:ec2::254", Policy{}, false},
		{"64:ff9b::a9fe:a9fe", Policy{}, false}, // NAT64 of 169.254.169.254
		{"64:ff9b::808:808", Policy{}, true},    // NAT64 of 8.8.8.8
		{"198.18.0.1", Policy{}, false},
		{"240.0.0.1", Policy{}, false},
	} {
		if got := tc.pol.allowed(netip.MustParseAddr(tc.ip)); got != tc.want {
			t.Errorf("allowed(%s) = %v, want %v", tc.ip, got, tc.want)
		}
	}
}
