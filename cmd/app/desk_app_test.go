package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestAgentDeskSoftphoneBaresip: an agent (an API key bound to a user of
// role agent, as the desk uses the session) takes the softphone setup from
// /api/v1/me/agent/phone/password — host, user and a one-time password —
// and baresip registers with exactly the account line the README shows;
// the agent logs in as a softphone; a real Local customer's call rings the
// phone, which does not answer: the agent is paused with reason
// missed_ring, which the supervisor list shows; once the customer has hung
// up, the agent resumes and is available.
func TestAgentDeskSoftphoneBaresip(t *testing.T) {
	p := asterisktest.StartPrivate(t)
	sipHost := "127.0.0.1:" + strconv.Itoa(p.SIPPort)
	a := bootOnPrivate(t, p, func(c *app.Config) {
		c.SIPHost = sipHost
	})
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	user, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: "soft@desk.example", Role: store.RoleAgent})
	if err != nil {
		t.Fatal(err)
	}
	_, agentKey, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: acc.ID, Name: "desk", Role: store.RoleAgent, UserID: user.ID})
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, a: a, key: key, acct: acc.ID, chans: watchChannels(a)}
	me := &e2e{t: t, a: a, key: agentKey, acct: acc.ID}
	ext := "sy-soft-" + strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	var ag struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/agents", map[string]any{"name": "Sam", "login_type": "deskphone",
		"extension": ext, "user_id": user.ID, "auto_pause_missed": true}), &ag); err != nil {
		t.Fatal(err)
	}

	var setup struct {
		Host, User, Password string
	}
	if err := json.Unmarshal(me.mustOK(http.MethodPost, "/api/v1/me/agent/phone/password", nil), &setup); err != nil {
		t.Fatal(err)
	}
	if setup.Host != sipHost || setup.User != ext || setup.Password == "" {
		t.Fatalf("phone setup: %+v", setup)
	}
	// Shown once: the setup read later has no password.
	var again struct{ Password string }
	if err := json.Unmarshal(me.mustOK(http.MethodGet, "/api/v1/me/agent/phone", nil), &again); err != nil || again.Password != "" {
		t.Fatalf("phone setup read again: %+v %v", again, err)
	}
	// The README's baresip account: <sip:USER@HOST>;auth_pass=PASSWORD
	// (sipagent writes exactly that line, with the answer mode).
	phone := sipagent.Start(t, sipagent.Options{User: setup.User, Password: setup.Password, Registrar: setup.Host, Manual: true, Asterisk: p.Info})
	e.waitRegistered(ag.ID)

	var in struct {
		State acd.State `json:"state"`
	}
	if err := json.Unmarshal(me.mustOK(http.MethodPost, "/api/v1/me/agent/login", map[string]string{"login_type": "softphone"}), &in); err != nil || in.State != acd.StateAvailable {
		t.Fatalf("login: %+v %v", in, err)
	}
	var mine struct {
		Agent struct {
			LoginType string `json:"login_type"`
		} `json:"agent"`
	}
	if err := json.Unmarshal(me.mustOK(http.MethodGet, "/api/v1/me/agent", nil), &mine); err != nil || mine.Agent.LoginType != "softphone" {
		t.Fatalf("me after login: %+v %v", mine, err)
	}

	e.mustOK(http.MethodPost, "/api/v1/queues", map[string]any{"name": "support", "strategy": "longest-idle", "members": []int64{ag.ID},
		"ring_timeout_secs": 3, "timeout_secs": 20, "join_when_empty": true})
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "agents_inbound_queue.json"))
	if err != nil {
		t.Fatal(err)
	}
	var flow struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/flows", doc), &flow); err != nil {
		t.Fatal(err)
	}
	e.mustOK(http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil)
	e.did = "+4930557" + fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	e.mustOK(http.MethodPut, "/api/v1/dids/"+url.PathEscape(e.did), map[string]any{"flow_id": flow.ID})

	e.placeCall(e.customer(1), "answer-hangup-8")
	testkit.Eventually(t, 30*time.Second, func() bool {
		s := e.supervisorAgent(ag.ID)
		return s.State == acd.StatePaused && s.Reason == acdconfig.MissedRingReason
	}, "the agent paused after the missed ring, reason on the supervisor list")
	if s := e.supervisorAgent(ag.ID); s.Missed != 1 || s.Offered != 1 {
		t.Errorf("supervisor row after the missed ring: %+v", s)
	}
	if out := phone.Output(); out == "" {
		t.Errorf("baresip printed nothing")
	}
	// The customer is still waiting in the queue until they hang up (8 s
	// after the flow answered); resuming before that offers them to the
	// agent again, rightly ringing the phone. Resume once they are gone.
	e.waitAttempt(e.customer(1))
	if err := json.Unmarshal(me.mustOK(http.MethodPost, "/api/v1/me/agent/unpause", nil), &in); err != nil || in.State != acd.StateAvailable {
		t.Fatalf("resume: %+v %v", in, err)
	}
	me.mustOK(http.MethodPost, "/api/v1/me/agent/logout", nil)
}

// bootOnPrivate boots the daemon on an Asterisk of the test's own, with
// agent endpoints managed over ARI (mod may set more), and waits until ARI
// is connected.
func bootOnPrivate(t *testing.T, p *asterisktest.Private, mod func(*app.Config)) *app.App {
	t.Helper()
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = p.URL, p.User, p.Password
		c.ManageEndpoints = true
		if mod != nil {
			mod(c)
		}
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	return a
}
