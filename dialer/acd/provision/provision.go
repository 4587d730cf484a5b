// Package provision creates and removes SIP agents' PJSIP endpoints on
// Asterisk at run time, through ARI dynamic configuration
// (PUT/DELETE /ari/asterisk/config/dynamic/res_pjsip/{endpoint|auth|aor}/{id}).
//
// Every SIP agent (softphone, desk phone) gets three sorcery objects named
// after its extension: an auth (user name = extension, the agent's
// password), an aor (one contact, a new registration replaces the old one)
// and an endpoint using both. Asterisk keeps them in astdb
// (asterisk-conf/sorcery.conf maps res_pjsip endpoint/auth/aor to
// config,pjsip.conf then astdb), so they survive an Asterisk restart and no
// .conf file is ever rewritten.
//
// The endpoint settings mirror the [agent-endpoint], [agent-auth] and
// [agent-aor] templates of asterisk-conf/pjsip.conf (dynamic objects cannot
// use .conf templates); DefaultEndpoint and DefaultAOR are the single place
// they are spelled out in Go.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
)

// ConfigClass is the sorcery configuration class of PJSIP objects.
const ConfigClass = "res_pjsip"

// ErrStatic: the extension is defined in pjsip.conf (a read-only wizard), so
// Switchyard cannot create, change or delete it. Callers may treat such an
// agent as managed by hand (the dev box's agent1..agent4).
var ErrStatic = errors.New("provision: endpoint is defined in pjsip.conf and cannot be managed over ARI")

// DefaultEndpoint are the endpoint attributes of every agent, as the
// [agent-endpoint] template of asterisk-conf/pjsip.conf. "auth" and "aors"
// are added per agent.
func DefaultEndpoint() map[string]string {
	return map[string]string{
		"transport":            "transport-udp",
		"context":              "from-agent",
		"allow":                "!all,ulaw,alaw,gsm",
		"direct_media":         "no",
		"rtp_symmetric":        "yes",
		"force_rport":          "yes",
		"rewrite_contact":      "yes",
		"dtmf_mode":            "rfc4733",
		"send_rpid":            "yes",
		"device_state_busy_at": "1",
		// The WebRTC settings off (pjsip's defaults): an agent who worked
		// with the browser phone before gets a plain SIP endpoint again
		// (ARI keeps the attributes a write does not name).
		"use_avpf":                     "no",
		"media_encryption":             "no",
		"ice_support":                  "no",
		"rtcp_mux":                     "no",
		"media_use_received_transport": "no",
	}
}

// WebRTCEndpoint are the endpoint attributes of agents who log in with the
// agent desk's browser phone (login type browser), as the
// [webrtc-endpoint] template of asterisk-conf/pjsip.conf: SIP over
// WebSocket, ICE, DTLS-SRTP (a certificate Asterisk generates), RTCP
// multiplexed. The transport is the loopback websocket (transport-ws);
// a box whose agents connect over wss:// sets Options.WebRTCEndpoint with
// transport-wss.
func WebRTCEndpoint() map[string]string {
	return map[string]string{
		"transport":                    "transport-ws",
		"context":                      "from-agent",
		"allow":                        "!all,ulaw,alaw",
		"direct_media":                 "no",
		"rtp_symmetric":                "yes",
		"force_rport":                  "yes",
		"rewrite_contact":              "yes",
		"dtmf_mode":                    "rfc4733",
		"send_rpid":                    "yes",
		"device_state_busy_at":         "1",
		"use_avpf":                     "yes",
		"media_encryption":             "dtls",
		"dtls_verify":                  "fingerprint",
		"dtls_setup":                   "actpass",
		"dtls_auto_generate_cert":      "yes",
		"ice_support":                  "yes",
		"media_use_received_transport": "yes",
		"rtcp_mux":                     "yes",
	}
}

// DefaultAOR are the aor attributes of every agent, as [agent-aor].
func DefaultAOR() map[string]string {
	return map[string]string{
		"max_contacts":      "1",
		"remove_existing":   "yes",
		"qualify_frequency": "30",
		"qualify_timeout":   "3.0",
	}
}

// Options tune a Provisioner; the zero value gives the pjsip.conf template
// settings.
type Options struct {
	// Endpoint and AOR replace DefaultEndpoint() / DefaultAOR() (e.g. a
	// different transport or codec list on a real box).
	Endpoint map[string]string
	// WebRTCEndpoint replaces WebRTCEndpoint() for browser agents.
	WebRTCEndpoint map[string]string
	AOR            map[string]string
	Logger         *slog.Logger
}

// Provisioner manages agents' PJSIP objects on one Asterisk. Safe for
// concurrent use (each call is a few independent ARI requests).
type Provisioner struct {
	c        *ari.Client
	endpoint map[string]string
	webrtc   map[string]string
	aor      map[string]string
	log      *slog.Logger
}

// New returns a Provisioner talking to Asterisk through c.
func New(c *ari.Client, o Options) *Provisioner {
	p := &Provisioner{c: c, endpoint: o.Endpoint, webrtc: o.WebRTCEndpoint, aor: o.AOR, log: o.Logger}
	if p.endpoint == nil {
		p.endpoint = DefaultEndpoint()
	}
	if p.webrtc == nil {
		p.webrtc = WebRTCEndpoint()
	}
	if p.aor == nil {
		p.aor = DefaultAOR()
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// object is one sorcery object to write.
type object struct {
	typ    string
	fields map[string]string
}

func (p *Provisioner) objects(a acdconfig.Agent) []object {
	ep := maps.Clone(p.endpoint)
	if a.LoginType == acdconfig.LoginBrowser {
		ep = maps.Clone(p.webrtc)
	}
	ep["auth"] = a.Extension
	ep["aors"] = a.Extension
	// auth and aor first: the endpoint names them.
	return []object{
		{"auth", map[string]string{"auth_type": "userpass", "username": a.Extension, "password": a.SIPPassword}},
		{"aor", maps.Clone(p.aor)},
		{"endpoint", ep},
	}
}

// Ensure creates or updates the agent's endpoint, auth and aor. It is
// idempotent: objects that already hold the wanted settings are not
// written again (a registered phone stays registered). Mobile and landline
// agents have no endpoint: Ensure does nothing for them. An extension that
// is a pjsip.conf section returns ErrStatic. When an agent's extension
// changes (or the agent stops being a SIP agent), Remove the old one.
func (p *Provisioner) Ensure(ctx context.Context, a acdconfig.Agent) error {
	if !a.LoginType.SIP() {
		return nil
	}
	if err := a.Validate(); err != nil {
		return err
	}
	if a.SIPPassword == "" {
		return acd.ErrInvalid.New("extension", "agent %d has no SIP password to provision extension %q with", a.ID, a.Extension)
	}
	for _, o := range p.objects(a) {
		have, err := p.c.GetObject(ctx, ConfigClass, o.typ, a.Extension)
		if err != nil && !errors.Is(err, ari.ErrNotFound) {
			return fmt.Errorf("provision %s: read %s: %w", a.Extension, o.typ, err)
		}
		if err == nil {
			attr := differs(o.fields, have)
			if attr == "" {
				continue
			}
			p.log.Debug("pjsip object differs", "type", o.typ, "id", a.Extension, "attribute", attr)
		}
		if _, err := p.c.PutObject(ctx, ConfigClass, o.typ, a.Extension, tuples(o.fields)); err != nil {
			var ae *ari.Error
			if errors.As(err, &ae) && ae.Status == 403 {
				return fmt.Errorf("provision %s: %w (%v)", a.Extension, ErrStatic, err)
			}
			return fmt.Errorf("provision %s: write %s: %w", a.Extension, o.typ, err)
		}
		p.log.Info("pjsip object written", "type", o.typ, "id", a.Extension, "agent", a.ID)
	}
	return nil
}

// Remove deletes the extension's endpoint, aor and auth. Objects already
// gone are fine (Remove is idempotent); an extension defined in pjsip.conf
// returns ErrStatic.
func (p *Provisioner) Remove(ctx context.Context, extension string) error {
	if extension == "" {
		return acd.ErrInvalid.New("extension", "required")
	}
	for _, typ := range []string{"endpoint", "aor", "auth"} {
		err := p.c.DeleteObject(ctx, ConfigClass, typ, extension)
		var ae *ari.Error
		switch {
		case err == nil:
			p.log.Info("pjsip object deleted", "type", typ, "id", extension)
		case errors.Is(err, ari.ErrNotFound):
		case errors.As(err, &ae) && ae.Status == 403:
			return fmt.Errorf("remove %s: %w (%v)", extension, ErrStatic, err)
		default:
			return fmt.Errorf("remove %s: delete %s: %w", extension, typ, err)
		}
	}
	return nil
}

func tuples(m map[string]string) []ari.ConfigTuple {
	out := make([]ari.ConfigTuple, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ari.ConfigTuple{Attribute: k, Value: m[k]})
	}
	return out
}

// differs names a wanted attribute the object Asterisk has does not carry
// ("" when it carries all of them). Asterisk answers in its own spelling (yes → "true", 3.0 →
// "3.000000", codec lists as "(ulaw|alaw)"), so values are compared
// after normalising both sides.
func differs(want map[string]string, have []ari.ConfigTuple) string {
	h := make(map[string]string, len(have))
	for _, t := range have {
		h[t.Attribute] = t.Value
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := h[k]
		if !ok || !equalValue(k, want[k], v) {
			return k + "=" + v
		}
	}
	return ""
}

func equalValue(attr, want, have string) bool {
	if want == have || strings.EqualFold(want, have) { // dtls_verify: fingerprint → "Fingerprint"
		return true
	}
	if attr == "allow" {
		return codecs(want) == codecs(have)
	}
	if bw, ok := boolWord(want); ok {
		bh, ok := boolWord(have)
		return ok && bw == bh
	}
	fw, err1 := strconv.ParseFloat(want, 64)
	fh, err2 := strconv.ParseFloat(have, 64)
	if err1 == nil && err2 == nil {
		return fw == fh
	}
	return false
}

func boolWord(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "true", "on":
		return true, true
	case "no", "false", "off":
		return false, true
	}
	return false, false
}

// codecs normalises an allow list: "!all,ulaw,alaw" and "(ulaw|alaw)" both
// give "ulaw|alaw".
func codecs(s string) string {
	s = strings.Trim(strings.TrimSpace(s), "()")
	var out []string
	for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '|' }) {
		c = strings.TrimSpace(c)
		if c == "" || c == "!all" {
			continue
		}
		out = append(out, c)
	}
	return strings.Join(out, "|")
}
