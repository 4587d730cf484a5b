package flows

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// WebhookTarget is an HTTP destination a flow calls: an inline webhook or
// CRM URL, or the name of an account webhook (whose URL the caller looks
// up).
type WebhookTarget struct {
	Node    string // node id
	Webhook string // configured webhook name ("" for an inline URL)
	URL     string // inline URL (may hold variables)
}

// WebhookTargets lists the flow's HTTP destinations (valid flows only).
func (f *Flow) WebhookTargets() []WebhookTarget {
	var out []WebhookTarget
	for i := range f.Nodes {
		n := &f.Nodes[i]
		switch c := n.cfg.(type) {
		case *webhookCfg:
			if c.Configured != "" {
				out = append(out, WebhookTarget{Node: n.ID, Webhook: c.Configured})
			} else {
				out = append(out, WebhookTarget{Node: n.ID, URL: c.Inline.URL})
			}
		case *callerIDCfg:
			if c.URL != "" {
				out = append(out, WebhookTarget{Node: n.ID, URL: c.URL})
			}
		}
	}
	return out
}

// Resolver looks up a host's addresses (net.DefaultResolver.LookupNetIP
// with network "ip" in the daemon).
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// Blocked says why the policy refuses rawURL ("" when it allows it, or
// when the URL's scheme or host holds a variable and cannot be checked
// before the call). A host that does not resolve now is not reported:
// the call may still reach it later.
func (p NetPolicy) Blocked(ctx context.Context, rawURL string, resolve Resolver) string {
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
