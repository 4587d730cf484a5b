package webhooks

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// Resolver looks up a host's addresses (net.DefaultResolver.LookupNetIP
// with network "ip" in the daemon).
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Blocked says why the policy refuses rawURL ("" when it allows it, or
// when the URL's scheme or host holds a variable and cannot be checked
// before the call). A host that does not resolve now is not reported:
// the call may still reach it later.
func (p Policy) Blocked(ctx context.Context, rawURL string, resolve Resolver) string {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil || u.Scheme == "" || u.Host == "" || strings.Contains(u.Scheme+u.Host, "$") {
		return ""
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !p.AllowHTTP {
			return "plain http:// is not allowed by the account's HTTP policy (HTTPS only; allow_http turns it on)"
		}
	default:
		return fmt.Sprintf("scheme %q is not http or https", u.Scheme)
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if resolve != nil {
		addrs, _ = resolve(ctx, host)
	}
	for _, a := range addrs {
		if !p.allowed(a) {
			return fmt.Sprintf("%s is %s, a loopback, private or link-local address the account's HTTP policy does not allow (add it to the policy's allowed networks)", host, a.Unmap())
		}
	}
	return ""
}
