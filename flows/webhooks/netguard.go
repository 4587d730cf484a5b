package webhooks

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Addresses a webhook may not reach unless the operator allow-listed them,
// beyond loopback/private/link-local: cloud metadata services that sit on
// public addresses, reserved and special-purpose ranges, and every address
// of this host itself (its public address included: Switchyard's own
// admin API, metrics, AGI and SMTP listen there).

// metadataAddrs are instance-metadata endpoints (the link-local
// 169.254.169.254 and fd00:ec2::254 are special anyway; Azure's wire
// server and Alibaba's are not in a private range).
var metadataAddrs = []netip.Prefix{
	netip.MustParsePrefix("169.254.169.254/32"),
	netip.MustParsePrefix("169.254.170.2/32"), // ECS task metadata
	netip.MustParsePrefix("168.63.129.16/32"), // Azure wire server
	netip.MustParsePrefix("100.100.100.200/32"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// reservedNets are special-purpose ranges that are not routable targets.
var reservedNets = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("255.255.255.255/32"),
}

// nat64 embeds an IPv4 address in IPv6 (64:ff9b::a.b.c.d reaches a.b.c.d).
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// isMetadata reports an instance-metadata address.
func isMetadata(ip netip.Addr) bool {
	for _, p := range metadataAddrs {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// special reports an address that needs the operator's allow-listing.
func special(ip netip.Addr) bool {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		return special(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]}))
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsUnspecified() || ip.IsMulticast() || ip.IsInterfaceLocalMulticast() || isMetadata(ip) {
		return true
	}
	for _, p := range reservedNets {
		if p.Contains(ip) {
			return true
		}
	}
	if hostAddrs().has(ip) {
		return true
	}
	for _, p := range *extraBlocked.Load() {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// extraBlocked are operator-configured networks treated like this host's
// own addresses (SWITCHYARD_WEBHOOK_DENY_NETWORKS): e.g. the host's public
// address behind 1:1 NAT, which no interface shows.
var extraBlocked atomic.Pointer[[]netip.Prefix]

func init() { extraBlocked.Store(&[]netip.Prefix{}) }

// SetBlockedNetworks sets networks webhooks may not reach unless an
// account's granted policy allows them, besides loopback, private,
// link-local, metadata, reserved and this host's interface addresses.
func SetBlockedNetworks(ps []netip.Prefix) {
	cp := append([]netip.Prefix(nil), ps...)
	extraBlocked.Store(&cp)
}

// addrSet is a set of addresses.
type addrSet map[netip.Addr]struct{}

func (s addrSet) has(ip netip.Addr) bool { _, ok := s[ip.WithZone("")]; return ok }

// hostAddrs returns this host's interface addresses (refreshed every few
// seconds: interfaces come and go). A test may replace it.
var hostAddrs = cachedHostAddrs

var hostCache struct {
	sync.Mutex
	at  time.Time
	set addrSet
}

const hostAddrsTTL = 10 * time.Second

func cachedHostAddrs() addrSet {
	hostCache.Lock()
	defer hostCache.Unlock()
	if hostCache.set != nil && time.Since(hostCache.at) < hostAddrsTTL {
		return hostCache.set
	}
	set := addrSet{}
	addrs, err := net.InterfaceAddrs()
	if err != nil && hostCache.set != nil {
		// Keep the last known set rather than none.
		return hostCache.set
	}
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if p, ok := netip.AddrFromSlice(ip); ok {
			set[p.Unmap().WithZone("")] = struct{}{}
		}
	}
	hostCache.at, hostCache.set = time.Now(), set
	return set
}
