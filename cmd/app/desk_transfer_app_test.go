package app_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// deskAgent is one agent of the transfer test: its console user's API key
// (the desk's /api/v1/me/agent) and its baresip phone.
type deskAgent struct {
	id    int64
	me    *e2e
	phone *sipagent.Agent
}

// TestAgentDeskTransferToAgent: on a private Asterisk with baresip
// phones, (1) a per-call agent blind-transfers a real Local customer to
// another available agent of the account, who is not a member of the
// queue: the desk's picker lists that agent, the target's phone rings
// and answers, the call is the target's (supervisor row, journaled
// against them); the target puts the customer on hold and the customer
// hears music (the customer records what it hears: the target's tone,
// then music, then the tone again); (2) a persistent agent transfers a
// customer to that agent, and its own line stays up; (3) a persistent
// agent transfers a customer to another queue. Transfers to oneself or to
// an agent who is not available are refused.
func TestAgentDeskTransferToAgent(t *testing.T) {
	p := asterisktest.StartPrivate(t)
	sipHost := "127.0.0.1:" + strconv.Itoa(p.SIPPort)
	a := bootOnPrivate(t, p, func(c *app.Config) {
		c.SIPHost = sipHost
	})
	ctx := context.Background()
	st := a.Store()
	acc, key := apiAccount(t, a)
	e := &e2e{t: t, a: a, key: key, acct: acc.ID, chans: watchChannels(a)}
	suffix := strconv.FormatInt(time.Now().UnixNano()%1e6, 10)
	newAgent := func(name string, persistent bool, toneHz int) deskAgent {
		t.Helper()
		user, err := st.CreateUser(ctx, store.NewUser{AccountID: acc.ID, Email: strings.ToLower(name) + "@transfer.example", Name: name, Role: store.RoleAgent})
		if err != nil {
			t.Fatal(err)
		}
		_, k, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: acc.ID, Name: "desk-" + name, Role: store.RoleAgent, UserID: user.ID})
		if err != nil {
			t.Fatal(err)
		}
		var ag agentCreated
		if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/agents", map[string]any{"name": name, "login_type": "softphone",
			"extension": "sy-xfer-" + strings.ToLower(name) + "-" + suffix, "wrap_up_secs": 60, "user_id": user.ID, "persistent": persistent}), &ag); err != nil {
			t.Fatal(err)
		}
		ph := sipagent.Start(t, sipagent.Options{User: ag.Extension, Password: ag.SIPPassword, Registrar: sipHost, ToneHz: toneHz, Asterisk: p.Info})
		e.waitRegistered(ag.ID)
		return deskAgent{id: ag.ID, me: &e2e{t: t, a: a, key: k, acct: acc.ID}, phone: ph}
	}
	const toneA, toneB, toneP = 600, 1000, 800
	agA := newAgent("Ann", false, toneA)
	agB := newAgent("Ben", false, toneB)
	agP := newAgent("Pat", true, toneP)

	var support, billing struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/queues", map[string]any{"name": "support", "strategy": "longest-idle",
		"members": []int64{agA.id, agP.id}, "ring_timeout_secs": 20, "timeout_secs": 120, "join_when_empty": true}), &support); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(e.mustOK(http.MethodPost, "/api/v1/queues", map[string]any{"name": "billing", "members": []int64{agA.id},
		"timeout_secs": 120, "join_when_empty": true}), &billing); err != nil {
		t.Fatal(err)
	}
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
	e.did = "+4930558" + fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	e.mustOK(http.MethodPut, "/api/v1/dids/"+url.PathEscape(e.did), map[string]any{"flow_id": flow.ID})

	waitState := func(ag deskAgent, want acd.State, what string) acd.AgentStatus {
		t.Helper()
		var s acd.AgentStatus
		testkit.Eventually(t, 45*time.Second, func() bool { s = e.supervisorAgent(ag.id); return s.State == want }, what)
		return s
	}
	transfer := func(ag deskAgent, body map[string]any) (int, string) {
		t.Helper()
		code, b := ag.me.call(http.MethodPost, "/api/v1/me/agent/transfer", body)
		return code, string(b)
	}

	// (1) Ann (per-call) → Ben, who serves no queue.
	agA.me.mustOK(http.MethodPost, "/api/v1/me/agent/login", nil)
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/login", nil)
	heard := "/tmp/sy-heard-" + suffix
	t.Cleanup(func() { _ = os.Remove(p.HostPath(heard + ".wav")); _ = os.Remove(p.HostPath(heard + "-both.wav")) })
	customer1 := e.customer(1)
	if _, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
		Endpoint: "Local/" + e.did + "@from-trunk", Context: "customers", Extension: "answer-listen", Priority: 1,
		CallerID: customer1, Timeout: 30,
		Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp, "HEARD": heard},
	}); err != nil {
		t.Fatal(err)
	}
	waitState(agA, acd.StateOnCall, "Ann on call with the first customer")
	var targets struct {
		Queues []string `json:"queues"`
		Agents []struct {
			AgentID int64  `json:"agent_id"`
			Name    string `json:"name"`
		} `json:"agents"`
	}
	if err := json.Unmarshal(agA.me.mustOK(http.MethodGet, "/api/v1/me/agent/transfer", nil), &targets); err != nil {
		t.Fatal(err)
	}
	slices.Sort(targets.Queues)
	if len(targets.Agents) != 1 || targets.Agents[0].AgentID != agB.id || targets.Agents[0].Name != "Ben" ||
		!slices.Equal(targets.Queues, []string{"billing", "support"}) {
		t.Errorf("Ann's transfer targets: %+v (want Ben alone, who is available; queues billing, support)", targets)
	}
	if code, body := transfer(agA, map[string]any{"agent_id": agA.id}); code != http.StatusConflict {
		t.Errorf("transfer to oneself: %d %s, want 409", code, body)
	}
	if code, body := transfer(agA, map[string]any{"agent_id": agP.id}); code != http.StatusConflict || !strings.Contains(body, "not available") {
		t.Errorf("transfer to Pat (logged out): %d %s, want 409 not available", code, body)
	}
	if code, body := transfer(agA, map[string]any{"agent_id": agB.id, "queue": "billing"}); code != http.StatusUnprocessableEntity {
		t.Errorf("transfer to an agent and a queue: %d %s, want 422", code, body)
	}
	// Ann has talked (her tone) for a moment before the transfer.
	time.Sleep(2 * time.Second)
	if code, body := transfer(agA, map[string]any{"agent_id": agB.id}); code != http.StatusOK {
		t.Fatalf("Ann transfers to Ben: %d %s", code, body)
	}
	waitState(agA, acd.StateWrapUp, "Ann in wrap-up after the transfer")
	if s := waitState(agB, acd.StateOnCall, "Ben on call with the transferred customer"); s.Customer != customer1 || s.Queue != "support" {
		t.Errorf("Ben's call: %+v", s)
	}
	// Ben talks, holds (the customer hears music), talks again, hangs up.
	time.Sleep(2 * time.Second)
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/hold", map[string]bool{"hold": true})
	time.Sleep(4 * time.Second)
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/hold", map[string]bool{"hold": false})
	time.Sleep(2 * time.Second)
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/hangup", nil)
	waitState(agB, acd.StateWrapUp, "Ben in wrap-up")
	checkHeardHold(t, p.HostPath(heard+".wav"), toneA, toneB)

	agA.me.mustOK(http.MethodPost, "/api/v1/me/agent/disposition", map[string]string{"code": "transferred"})
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/disposition", map[string]string{"code": "done"})
	var bens []store.AgentCall
	testkit.Eventually(t, 15*time.Second, func() bool {
		bens, err = st.ListAgentCalls(ctx, store.JournalFilter{AccountID: acc.ID, AgentID: agB.id})
		return err == nil && len(bens) == 1 && bens[0].EndedAt != nil
	}, "Ben's call journaled")
	if c := bens[0]; c.Outcome != "answered" || c.Customer != customer1 || c.QueueID != support.ID || c.AnsweredAt == nil {
		t.Errorf("Ben's journaled call: %+v", c)
	}
	if s := e.supervisorAgent(agB.id); s.Offered != 1 || s.Answered != 1 {
		t.Errorf("Ben's counters: %+v", s)
	}
	agA.me.mustOK(http.MethodPost, "/api/v1/me/agent/logout", nil)
	waitState(agA, acd.StateLoggedOut, "Ann logged out")
	waitState(agB, acd.StateAvailable, "Ben available")

	// (2) Pat (persistent line) → Ben.
	agP.me.mustOK(http.MethodPost, "/api/v1/me/agent/login", nil)
	waitState(agP, acd.StateAvailable, "Pat's line up")
	e.placeCall(e.customer(2), "answer-silent")
	waitState(agP, acd.StateOnCall, "Pat on call")
	if code, body := transfer(agP, map[string]any{"agent_id": agB.id}); code != http.StatusOK {
		t.Fatalf("Pat transfers to Ben: %d %s", code, body)
	}
	if s := waitState(agB, acd.StateOnCall, "Ben on call with Pat's customer"); s.Customer != e.customer(2) {
		t.Errorf("Ben's call from Pat: %+v", s)
	}
	waitState(agP, acd.StateWrapUp, "Pat in wrap-up, line still up")
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/hangup", nil)
	waitState(agB, acd.StateWrapUp, "Ben in wrap-up again")
	agP.me.mustOK(http.MethodPost, "/api/v1/me/agent/disposition", map[string]string{"code": "transferred"})
	waitState(agP, acd.StateAvailable, "Pat available again on the same line")

	// (3) Pat (persistent line) → the billing queue.
	e.placeCall(e.customer(3), "answer-silent")
	waitState(agP, acd.StateOnCall, "Pat on the third call")
	if code, body := transfer(agP, map[string]any{"queue": "billing"}); code != http.StatusOK {
		t.Fatalf("Pat transfers to billing: %d %s", code, body)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return e.supervisorQueue(billing.ID).Waiting == 1 }, "the caller waits in billing")
	waitState(agP, acd.StateWrapUp, "Pat in wrap-up after the queue transfer")
	agP.me.mustOK(http.MethodPost, "/api/v1/me/agent/disposition", map[string]string{"code": "billing"})
	waitState(agP, acd.StateAvailable, "Pat available, line still up")
	testkit.Eventually(t, 15*time.Second, func() bool {
		pats, err := st.ListAgentCalls(ctx, store.JournalFilter{AccountID: acc.ID, AgentID: agP.id})
		return err == nil && len(pats) == 2
	}, "Pat's two calls journaled")
	agP.me.mustOK(http.MethodPost, "/api/v1/me/agent/logout", nil)
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/disposition", map[string]string{"code": "done"})
	agB.me.mustOK(http.MethodPost, "/api/v1/me/agent/logout", nil)
}

// checkHeardHold reads what the customer heard (8 kHz 16-bit WAV) and
// wants, after the agent's tone first reached the customer, at least
// 2.5 s of sound that is not the tone (music on hold), then the tone
// again.
func checkHeardHold(t *testing.T, path string, firstHz, toneHz int) {
	t.Helper()
	var data []byte
	testkit.Eventually(t, 15*time.Second, func() bool {
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 44 {
			return false
		}
		time.Sleep(300 * time.Millisecond)
		b2, err := os.ReadFile(path)
		data = b2
		return err == nil && len(b2) == len(b) // written completely
	}, "the customer's recording of what it heard")
	line := heardTimeline(data[44:], firstHz, toneHz)
	t.Logf("what the customer heard, 200 ms each (F: the first agent's %d Hz tone, T: the agent's %d Hz tone, m: other sound, .: silence): %s",
		firstHz, toneHz, line)
	if !strings.Contains(line, "FFFF") {
		t.Errorf("the customer did not hear the first agent before the transfer")
	}
	first := strings.IndexByte(line, 'T')
	if first < 0 {
		t.Fatalf("the customer never heard the agent's tone")
	}
	rest := line[first:]
	hold := strings.Index(rest, strings.Repeat("m", 13))
	if hold < 0 {
		t.Fatalf("no 2.6 s of music after the agent's tone: the customer heard no hold music")
	}
	if !strings.Contains(rest[hold:], "TTTT") {
		t.Errorf("the agent's tone did not come back after the hold")
	}
}

// heardTimeline classifies 200 ms windows of 8 kHz 16-bit little-endian
// audio: F or T (the tone at firstHz or toneHz: most of the energy in
// that frequency), m (other sound), . (silence).
func heardTimeline(pcm []byte, firstHz, toneHz int) string {
	const n = 1600
	share := func(w []float64, hz int) float64 { // the part of the energy at hz (Goertzel)
		coeff := 2 * math.Cos(2*math.Pi*float64(hz)/8000)
		s1, s2, energy := 0.0, 0.0, 0.0
		for _, x := range w {
			energy += x * x
			s1, s2 = x+coeff*s1-s2, s1
		}
		return 2 * (s1*s1 + s2*s2 - coeff*s1*s2) / (n * energy)
	}
	var sb strings.Builder
	w := make([]float64, n)
	for off := 0; off+2*n <= len(pcm); off += 2 * n {
		energy := 0.0
		for i := range n {
			w[i] = float64(int16(binary.LittleEndian.Uint16(pcm[off+2*i:])))
			energy += w[i] * w[i]
		}
		switch {
		case math.Sqrt(energy/n) < 50:
			sb.WriteByte('.')
		case share(w, toneHz) > 0.5:
			sb.WriteByte('T')
		case share(w, firstHz) > 0.5:
			sb.WriteByte('F')
		default:
			sb.WriteByte('m')
		}
	}
	return sb.String()
}
