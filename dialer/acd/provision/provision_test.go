package provision_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/dialer/acd/provision"
)

func client(t *testing.T) (*ari.Client, asterisktest.Info) {
	t.Helper()
	info := asterisktest.Require(t)
	c, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: "sytest-provision"})
	if err != nil {
		t.Fatal(err)
	}
	return c, info
}

func sipAgent(ext string) acdconfig.Agent {
	return acdconfig.Agent{ID: 7, AccountID: 1, Name: `Ann "the" Agent`, LoginType: acdconfig.LoginSoftphone, Extension: ext, SIPPassword: "pw-" + ext}
}

// TestEnsureRemove runs on the real Asterisk: the endpoint appears in
// `pjsip show endpoint`, carries the template settings, is not rewritten
// by a second Ensure, follows a password change, and is gone after Remove.
func TestEnsureRemove(t *testing.T) {
	c, info := client(t)
	ctx := context.Background()
	p := provision.New(c, provision.Options{Logger: aritest.Logger(t)})
	ext := "syprov-" + uuid.NewString()[:8]
	t.Cleanup(func() { _ = p.Remove(context.Background(), ext) })
	a := sipAgent(ext)

	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	out := info.CLI(t, "pjsip show endpoint "+ext)
	for _, want := range []string{"Endpoint:  " + ext, "InAuth:  " + ext + "/" + ext, "Aor:  " + ext,
		"context                            : from-agent", "direct_media                       : false",
		"allow                              : (ulaw|alaw|gsm)", "device_state_busy_at               : 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("pjsip show endpoint %s: missing %q in:\n%s", ext, want, out)
		}
	}
	aor := info.CLI(t, "pjsip show aor "+ext)
	for _, want := range []string{"max_contacts         : 1", "remove_existing      : true", "qualify_frequency    : 30"} {
		if !strings.Contains(aor, want) {
			t.Errorf("pjsip show aor: missing %q in:\n%s", want, aor)
		}
	}
	ep, err := c.Endpoint(ctx, "PJSIP", ext)
	if err != nil || ep.Resource != ext {
		t.Fatalf("ARI endpoint PJSIP/%s: %+v %v", ext, ep, err)
	}

	// Idempotent: a second Ensure writes nothing (every object compares
	// equal after Asterisk's normalisation).
	var writes []string
	c2, _ := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: "sytest-provision",
		OnRequest: func(method, path string, written bool, _ time.Time) {
			if !written && method != "GET" {
				writes = append(writes, method+" "+path)
			}
		}})
	p2 := provision.New(c2, provision.Options{Logger: aritest.Logger(t)})
	if err := p2.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 0 {
		t.Errorf("second Ensure wrote %v; want no writes", writes)
	}

	// A new password is written (auth only).
	a.SIPPassword = "new-secret"
	if err := p2.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 1 || !strings.Contains(writes[0], "/auth/") {
		t.Errorf("password change wrote %v; want one auth PUT", writes)
	}
	got, err := c.GetObject(ctx, provision.ConfigClass, "auth", ext)
	if err != nil {
		t.Fatal(err)
	}
	if !hasTuple(got, "password", "new-secret") {
		t.Errorf("auth after password change: %v", got)
	}

	if err := p.Remove(ctx, ext); err != nil {
		t.Fatal(err)
	}
	if out := info.CLI(t, "pjsip show endpoint "+ext); !strings.Contains(out, "Unable to find object") {
		t.Errorf("after Remove, pjsip show endpoint %s:\n%s", ext, out)
	}
	for _, typ := range []string{"endpoint", "aor", "auth"} {
		if _, err := c.GetObject(ctx, provision.ConfigClass, typ, ext); !errors.Is(err, ari.ErrNotFound) {
			t.Errorf("after Remove, %s %s: %v; want not found", typ, ext, err)
		}
	}
	if out := info.CLI(t, "database show switchyard"); strings.Contains(out, ext) {
		t.Errorf("astdb still holds %s:\n%s", ext, out)
	}
	// Remove again is fine.
	if err := p.Remove(ctx, ext); err != nil {
		t.Errorf("second Remove: %v", err)
	}
}

func hasTuple(ts []ari.ConfigTuple, k, v string) bool {
	for _, t := range ts {
		if t.Attribute == k && t.Value == v {
			return true
		}
	}
	return false
}

func TestStaticAndInvalid(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	p := provision.New(c, provision.Options{})

	// agent1 lives in pjsip.conf: neither changed nor deleted.
	a := sipAgent("agent1")
	a.SIPPassword = "switchyard-agent1-changed"
	if err := p.Ensure(ctx, a); !errors.Is(err, provision.ErrStatic) {
		t.Errorf("Ensure(agent1) = %v; want ErrStatic", err)
	}
	if err := p.Remove(ctx, "agent1"); !errors.Is(err, provision.ErrStatic) {
		t.Errorf("Remove(agent1) = %v; want ErrStatic", err)
	}
	got, err := c.GetObject(ctx, provision.ConfigClass, "auth", "agent1")
	if err != nil || !hasTuple(got, "password", "switchyard-agent1") {
		t.Errorf("agent1 auth changed: %v %v", got, err)
	}

	// Mobile agents have no endpoint.
	if err := p.Ensure(ctx, acdconfig.Agent{Name: "m", LoginType: acdconfig.LoginMobile, Number: "+4930123"}); err != nil {
		t.Errorf("Ensure(mobile) = %v; want nil", err)
	}
	for name, a := range map[string]acdconfig.Agent{
		"no password":   {Name: "x", LoginType: acdconfig.LoginSoftphone, Extension: "syprov-nopw"},
		"bad extension": {Name: "x", LoginType: acdconfig.LoginDeskPhone, Extension: "a b", SIPPassword: "x"},
	} {
		if err := p.Ensure(ctx, a); !errors.Is(err, acd.ErrInvalid) {
			t.Errorf("%s: Ensure = %v; want ErrInvalid", name, err)
		}
	}
	if err := p.Remove(ctx, ""); !errors.Is(err, acd.ErrInvalid) {
		t.Errorf("Remove(\"\") = %v; want ErrInvalid", err)
	}
	if _, err := c.GetObject(ctx, provision.ConfigClass, "endpoint", "syprov-nopw"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("invalid agent was provisioned: %v", err)
	}
}

// TestDynamicEndpointRegisters: a real SIP phone (baresip) registers with
// an endpoint created by Ensure, answers a call to it, stays registered
// across an idempotent Ensure, and cannot register once Remove deleted it.
func TestDynamicEndpointRegisters(t *testing.T) {
	c, info := client(t)
	ctx := context.Background()
	p := provision.New(c, provision.Options{Logger: aritest.Logger(t)})
	ext := "syprov-" + uuid.NewString()[:8]
	t.Cleanup(func() { _ = p.Remove(context.Background(), ext) }) // runs after the phone stopped
	a := sipAgent(ext)
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	ag := sipagent.Start(t, sipagent.Options{User: ext, Password: a.SIPPassword})
	if out := info.CLI(t, "pjsip show contacts"); !strings.Contains(out, ext+"/sip:"+ext) {
		t.Errorf("no contact for %s:\n%s", ext, out)
	}

	// Ensure again while registered: nothing is rewritten, the phone stays.
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	if st, err := ag.State(ctx); err != nil || st != "online" {
		t.Errorf("after a second Ensure: %q %v; want online", st, err)
	}

	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{Prefix: "sytest-provision"})
	states := make(chan string, 1)
	failed := make(chan struct{}, 1)
	octx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	call, err := m.Originate(octx, ari.OriginateParams{
		Endpoint: "PJSIP/" + ext, CallerID: "+4930555", Timeout: 10 * time.Second,
		Handler: func(ctx context.Context, c *ari.Call) error {
			ch, err := c.Client().Channel(ctx, c.ID)
			if err != nil {
				states <- err.Error()
				return err
			}
			states <- ch.State
			return c.Hangup(ctx, "normal")
		},
		Failed: func(*ari.Call) { failed <- struct{}{} },
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-states:
		if st != "Up" {
			t.Errorf("channel state at StasisStart %q; want Up", st)
		}
	case <-failed:
		n, text := call.Cause()
		t.Fatalf("call to PJSIP/%s failed: %d %s", ext, n, text)
	case <-octx.Done():
		t.Fatal("no StasisStart")
	}

	if err := ag.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(ctx, ext); err != nil {
		t.Fatal(err)
	}
	// A phone with the old credentials cannot register any more.
	ag2 := sipagent.Start(t, sipagent.Options{User: ext, Password: a.SIPPassword, NoWait: true})
	if err := ag2.WaitState("online", 2*time.Second); err == nil {
		t.Errorf("a phone registered with removed endpoint %s", ext)
	}
	// (ARI may go on listing PJSIP/<ext> as "offline": Asterisk keeps the
	// core endpoint object while anything, e.g. an application's endpoint
	// subscription, holds it. The PJSIP objects are what matters.)
	if out := info.CLI(t, "pjsip show endpoint "+ext); !strings.Contains(out, "Unable to find object") {
		t.Errorf("after Remove, pjsip show endpoint %s:\n%s", ext, out)
	}
	if out := info.CLI(t, "pjsip show contacts"); strings.Contains(out, ext) {
		t.Errorf("contact of removed %s still listed:\n%s", ext, out)
	}
}

// TestBrowserEndpoint runs on a private Asterisk with this tree's
// configuration: a browser (WebRTC) agent's endpoint carries the
// [webrtc-endpoint] settings (websocket transport, DTLS-SRTP, ICE, RTCP
// mux), a second Ensure writes nothing, and switching the agent to a
// softphone turns the WebRTC settings off again.
func TestBrowserEndpoint(t *testing.T) {
	priv := asterisktest.StartPrivate(t)
	var writes []string
	c, err := ari.NewClient(ari.Options{URL: priv.URL, User: priv.User, Password: priv.Password, App: "sytest-provision",
		OnRequest: func(method, path string, written bool, _ time.Time) {
			if method == "PUT" && !written {
				writes = append(writes, path)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := provision.New(c, provision.Options{Logger: aritest.Logger(t)})
	ext := "sybrowser-" + uuid.NewString()[:8]
	a := sipAgent(ext)
	a.LoginType = acdconfig.LoginBrowser
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	out := priv.CLI(t, "pjsip show endpoint "+ext)
	for _, want := range []string{"transport                          : transport-ws", "media_encryption                   : dtls",
		"dtls_verify                        : Fingerprint", "dtls_setup                         : actpass", "ice_support                        : true",
		"rtcp_mux                           : true", "use_avpf                           : true", "allow                              : (ulaw|alaw)"} {
		if !strings.Contains(out, want) {
			t.Errorf("pjsip show endpoint %s: missing %q in:\n%s", ext, want, out)
		}
	}
	writes = nil
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 0 {
		t.Errorf("a second Ensure wrote %v", writes)
	}
	a.LoginType = acdconfig.LoginSoftphone
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	out = priv.CLI(t, "pjsip show endpoint "+ext)
	for _, want := range []string{"transport                          : transport-udp", "media_encryption                   : no",
		"ice_support                        : false", "rtcp_mux                           : false", "use_avpf                           : false"} {
		if !strings.Contains(out, want) {
			t.Errorf("after the switch to softphone: missing %q in:\n%s", want, out)
		}
	}
	writes = nil
	if err := p.Ensure(ctx, a); err != nil {
		t.Fatal(err)
	}
	if len(writes) != 0 {
		t.Errorf("a second Ensure of the softphone wrote %v", writes)
	}
	if err := p.Remove(ctx, ext); err != nil {
		t.Fatal(err)
	}
}
