package app_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
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

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest/sipagent"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer/acd"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// The three parties' microphones: each baresip sends its own sine tone.
const (
	toneAgent      = 440
	toneCustomer   = 700
	toneSupervisor = 1100
)

// monitorCall is a real call for the listen / whisper / barge tests: a
// customer phone (baresip, 700 Hz) calls the DID, waits in the support
// queue and is answered by Alice's phone (baresip, 440 Hz); the
// supervisor's phone (baresip, 1100 Hz) is another agent line of the
// account.
type monitorCall struct {
	e                   *e2e
	alice, sup, cust    agentCreated
	queueID             int64
	customerChan        string
	customerNumber      string
	alicePhone, supTone *sipagent.Agent
	calls               int // customer calls placed
	// dirs: where each phone writes what it receives.
	dirs map[string]string
}

func setupMonitorCall(t *testing.T) *monitorCall {
	info := asterisktest.Require(t)
	a, _ := boot(t, func(c *app.Config) {
		c.ARIURL, c.ARIUser, c.ARIPassword = info.URL, info.User, info.Password
		c.ManageEndpoints = true
	})
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	ctx := context.Background()
	st := a.Store()
	run := uuid.NewString()[:8]
	acc, err := st.CreateAccount(ctx, "mon-"+run)
	if err != nil {
		t.Fatal(err)
	}
	_, key, err := st.CreateAPIKey(ctx, acc.ID, "k")
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{t: t, a: a, key: key, acct: acc.ID, chans: watchChannels(a)}
	m := &monitorCall{e: e}
	m.alice = e.createAgent("Alice", "sy-mon-"+run+"-a", 0)
	m.sup = e.createAgent("Supervisor phone", "sy-mon-"+run+"-s", 0)
	m.cust = e.createAgent("Customer phone", "sy-mon-"+run+"-c", 0)
	m.dirs = map[string]string{"agent": t.TempDir(), "supervisor": t.TempDir(), "customer": t.TempDir()}
	m.alicePhone = sipagent.Start(t, sipagent.Options{User: m.alice.Extension, Password: m.alice.SIPPassword, ToneHz: toneAgent, RecordDir: m.dirs["agent"]})
	m.supTone = sipagent.Start(t, sipagent.Options{User: m.sup.Extension, Password: m.sup.SIPPassword, ToneHz: toneSupervisor, RecordDir: m.dirs["supervisor"]})
	sipagent.Start(t, sipagent.Options{User: m.cust.Extension, Password: m.cust.SIPPassword, ToneHz: toneCustomer, RecordDir: m.dirs["customer"]})
	for _, ag := range []agentCreated{m.alice, m.sup, m.cust} {
		e.waitRegistered(ag.ID)
	}
	code, body := e.call(http.MethodPost, "/api/v1/queues", map[string]any{"name": "support", "members": []int64{m.alice.ID},
		"ring_timeout_secs": 15, "timeout_secs": 120})
	var q struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &q); code != http.StatusCreated || err != nil {
		t.Fatalf("create queue: %d %s", code, body)
	}
	m.queueID = q.ID
	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "agents_inbound_queue.json"))
	if err != nil {
		t.Fatal(err)
	}
	code, body = e.call(http.MethodPost, "/api/v1/flows", doc)
	var flow struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(body, &flow); code != http.StatusCreated || err != nil {
		t.Fatalf("create flow: %d %s", code, body)
	}
	e.mustOK(http.MethodPost, fmt.Sprintf("/api/v1/flows/%d/publish", flow.ID), nil)
	e.did = "+4930556" + fmt.Sprintf("%04d", time.Now().UnixNano()%10000)
	e.mustOK(http.MethodPut, "/api/v1/dids/"+url.PathEscape(e.did), map[string]any{"flow_id": flow.ID})
	if st := e.action(m.alice.ID, "login", nil); st.State != acd.StateAvailable {
		t.Fatalf("after login: %+v", st)
	}
	return m
}

// call: the customer's phone is called, answers and is sent to the DID
// through from-trunk (as a call from the trunk would be), with the
// customer's number as caller ID.
func (m *monitorCall) call(t *testing.T) {
	e := m.e
	m.calls++
	m.customerNumber = e.customer(m.calls)
	m.customerChan = "sytest-moncust-" + uuid.NewString()[:8]
	if _, err := e.a.Calls().Client().Originate(context.Background(), ari.OriginateRequest{
		Endpoint: "PJSIP/" + m.cust.Extension, Context: "from-trunk", Extension: e.did, Priority: 1,
		CallerID: m.customerNumber, Timeout: 30, ChannelID: m.customerChan,
		Variables: map[string]string{"SWITCHYARD_APP": e.a.Config().ARIApp},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.a.Calls().Client().Hangup(context.Background(), m.customerChan, "") })
	testkit.Eventually(t, 30*time.Second, func() bool { return e.supervisorAgent(m.alice.ID).State == acd.StateOnCall },
		"Alice on the customer's call")
}

// phoneHeard is what a phone received (its baresip's decoded audio,
// sndfile module) between from and to, as the power of each party's tone
// (dB full scale). t0 is when the phone's file began.
func phoneHeard(t *testing.T, file string, t0, from, to time.Time) map[int]float64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := wavPCM(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	lo, hi := int(from.Sub(t0).Seconds()*float64(rate)), int(to.Sub(t0).Seconds()*float64(rate))
	lo, hi = max(lo, 0), min(hi, len(pcm))
	if hi-lo < rate {
		t.Fatalf("%s: %d samples at %d Hz, the window [%d, %d) is not in it", file, len(pcm), rate, lo, hi)
	}
	out := map[int]float64{}
	for _, f := range []int{toneAgent, toneCustomer, toneSupervisor} {
		out[f] = goertzel(pcm[lo:hi], rate, f)
	}
	return out
}

// tailHeard is phoneHeard over the d of audio that ended skip before the
// end of the file.
func tailHeard(t *testing.T, file string, d, skip time.Duration) map[int]float64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	_, rate, err := wavPCM(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	pcm, _, _ := wavPCM(b)
	end := time.Unix(0, 0).Add(time.Duration(float64(len(pcm)) / float64(rate) * float64(time.Second)))
	return phoneHeard(t, file, time.Unix(0, 0), end.Add(-skip-d), end.Add(-skip))
}

// decFiles lists the received-audio files a phone wrote, oldest first.
func decFiles(dir string) []string {
	fs, _ := filepath.Glob(filepath.Join(dir, "*-dec.wav"))
	slices.SortFunc(fs, func(a, b string) int {
		ia, _ := os.Stat(a)
		ib, _ := os.Stat(b)
		if ia == nil || ib == nil {
			return strings.Compare(a, b)
		}
		return ia.ModTime().Compare(ib.ModTime())
	})
	return fs
}

// wavPCM returns the first channel's samples of a 16-bit WAV file and
// its sample rate. A data chunk whose size is not written yet (0 or too
// large) is read to the end of the file.
func wavPCM(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	rate, chans := 0, 1
	for p := 12; p+8 <= len(b); {
		id, n := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		p += 8
		switch id {
		case "fmt ":
			if p+16 > len(b) || binary.LittleEndian.Uint16(b[p+14:p+16]) != 16 {
				return nil, 0, errors.New("not 16-bit PCM")
			}
			chans, rate = int(binary.LittleEndian.Uint16(b[p+2:p+4])), int(binary.LittleEndian.Uint32(b[p+4:p+8]))
		case "data":
			if n == 0 || p+n > len(b) {
				n = len(b) - p
			}
			all := make([]int16, n/2)
			if err := binary.Read(bytes.NewReader(b[p:p+n/2*2]), binary.LittleEndian, all); err != nil {
				return nil, 0, err
			}
			if rate == 0 || chans < 1 {
				return nil, 0, errors.New("no fmt chunk")
			}
			s := make([]int16, 0, len(all)/chans)
			for i := 0; i+chans <= len(all); i += chans {
				s = append(s, all[i])
			}
			return s, rate, nil
		}
		p += n + n%2
	}
	return nil, 0, errors.New("no data chunk")
}

// goertzel is the mean power of frequency f in the samples, in dB relative
// to a full-scale sine (about 0 dB for a full-scale tone, under -60 dB for
// silence or other frequencies).
func goertzel(s []int16, rate, f int) float64 {
	block := rate / 10 // 100 ms: 10 Hz bins
	// A Hann window keeps a strong tone from leaking into the others'
	// bins (its power gain, 1/4 in amplitude squared, is corrected).
	win := make([]float64, block)
	for i := range win {
		win[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(block-1))
	}
	var sum float64
	n := 0
	for off := 0; off+block <= len(s); off += block {
		k := math.Round(float64(block*f) / float64(rate))
		w := 2 * math.Pi * k / float64(block)
		coeff := 2 * math.Cos(w)
		var q1, q2 float64
		for i, x := range s[off : off+block] {
			q0 := coeff*q1 - q2 + win[i]*float64(x)/32768
			q2, q1 = q1, q0
		}
		p := q1*q1 + q2*q2 - coeff*q1*q2
		sum += p / (float64(block) * float64(block) / 16)
		n++
	}
	if n == 0 {
		return -200
	}
	return 10 * math.Log10(sum/float64(n)+1e-20)
}

// heard: a tone at least this strong (dB full scale) is heard; one under
// absent is not. The phones' tones arrive at about -6 to -8 dB after G.711
// and the bridges; a tone that does not reach a phone measures under
// -50 dB (G.711 noise).
const (
	heard  = -25.0
	absent = -45.0
)

// hangUp: the customer hangs up; Alice is free again.
func (m *monitorCall) hangUp(t *testing.T) {
	t.Helper()
	if err := m.e.a.Calls().Client().Hangup(context.Background(), m.customerChan, ""); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return m.e.supervisorAgent(m.alice.ID).State == acd.StateAvailable }, "Alice available after the call")
}

// startMonitor starts a monitor through the API and waits until the
// supervisor's phone is connected.
func (m *monitorCall) startMonitor(t *testing.T, mode acd.MonitorMode) acd.Monitor {
	t.Helper()
	e := m.e
	code, body := e.call(http.MethodPost, fmt.Sprintf("/api/v1/supervisor/agents/%d/monitor", m.alice.ID),
		map[string]any{"mode": mode, "phone_agent_id": m.sup.ID})
	var mon acd.Monitor
	if err := json.Unmarshal(body, &mon); code != http.StatusCreated || err != nil || mon.ID == "" {
		t.Fatalf("start %s: %d %s", mode, code, body)
	}
	testkit.Eventually(t, 20*time.Second, func() bool {
		for _, x := range m.monitors(t) {
			if x.ID == mon.ID && x.Connected {
				mon = x
				return true
			}
		}
		return false
	}, "%s", fmt.Sprintf("the supervisor's phone connected (%s)", mode))
	if row := e.supervisorAgent(m.alice.ID); row.Monitored != mode {
		t.Errorf("Alice's row: monitored %q; want %q", row.Monitored, mode)
	}
	return mon
}

func (m *monitorCall) monitors(t *testing.T) []acd.Monitor {
	code, body := m.e.call(http.MethodGet, "/api/v1/supervisor/monitors", nil)
	var out struct {
		Monitors []acd.Monitor `json:"monitors"`
	}
	if err := json.Unmarshal(body, &out); code != http.StatusOK || err != nil {
		t.Fatalf("monitors: %d %s", code, body)
	}
	return out.Monitors
}

func (m *monitorCall) stopMonitor(t *testing.T, mon acd.Monitor) {
	t.Helper()
	if code, body := m.e.call(http.MethodDelete, "/api/v1/supervisor/monitors/"+mon.ID, nil); code != http.StatusNoContent {
		t.Fatalf("stop monitor: %d %s", code, body)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(m.monitors(t)) == 0 }, "the monitor ended")
	// The supervisor's phone is hung up; Alice and the customer talk on.
	testkit.Eventually(t, 10*time.Second, func() bool {
		_, err := m.e.a.Calls().Client().Channel(context.Background(), mon.Channel)
		return errors.Is(err, ari.ErrNotFound)
	}, "the supervisor's phone hung up")
	if row := m.e.supervisorAgent(m.alice.ID); row.State != acd.StateOnCall || row.Monitored != "" {
		t.Errorf("after the monitor, Alice's row: %+v", row)
	}
}

// TestSupervisorMonitorOnRealCalls: on real queue calls between two
// baresip phones (a customer's and Alice's), a supervisor listens,
// whispers and barges in from a third baresip phone that Switchyard calls,
// one call per mode; each phone sends its own tone and records what it
// receives (baresip's sndfile module), and the tones each phone heard are
// checked:
//   - listen: the supervisor hears the agent and the customer; neither
//     hears the supervisor;
//   - whisper: the agent hears the supervisor, the customer does not;
//   - barge: all three hear each other (Alice's row shows barge, 3-way).
//
// A monitor ends when stopped (DELETE), when the supervisor hangs up and
// when the call ends. Roles and accounts: a scheduler key is refused
// (403), a supervisor of another account does not find the agent (404),
// the audit (admins only) lists the five monitors with who, whom, mode,
// start, end and why.
func TestSupervisorMonitorOnRealCalls(t *testing.T) {
	m := setupMonitorCall(t)
	e := m.e
	ctx := context.Background()
	st := e.a.Store()

	// Not on a call yet: 409.
	if code, body := e.call(http.MethodPost, fmt.Sprintf("/api/v1/supervisor/agents/%d/monitor", m.alice.ID),
		map[string]any{"mode": "listen", "phone_agent_id": m.sup.ID}); code != http.StatusConflict {
		t.Errorf("monitor an idle agent: %d %s; want 409", code, body)
	}
	m.call(t)

	// Roles and account isolation.
	_, schedKey, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: e.acct, Name: "sched", Role: store.RoleScheduler})
	if err != nil {
		t.Fatal(err)
	}
	monPath := fmt.Sprintf("/api/v1/supervisor/agents/%d/monitor", m.alice.ID)
	if code, body := apiCall(t, e.a, schedKey, http.MethodPost, monPath, map[string]any{"mode": "listen", "phone_agent_id": m.sup.ID}); code != http.StatusForbidden {
		t.Errorf("scheduler: %d %s; want 403", code, body)
	}
	other, err := st.CreateAccount(ctx, "mon-other-"+uuid.NewString()[:8])
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: other.ID, Name: "sup", Role: store.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, e.a, otherKey, http.MethodPost, monPath, map[string]any{"mode": "listen", "phone_agent_id": m.sup.ID}); code != http.StatusNotFound {
		t.Errorf("supervisor of another account: %d %s; want 404", code, body)
	}
	_, supKey, err := st.CreateAPIKeyFor(ctx, store.NewAPIKey{AccountID: e.acct, Name: "sup", Role: store.RoleSupervisor})
	if err != nil {
		t.Fatal(err)
	}
	if code, body := apiCall(t, e.a, supKey, http.MethodGet, "/api/v1/supervisor/monitor-audit", nil); code != http.StatusForbidden {
		t.Errorf("audit as supervisor: %d %s; want 403", code, body)
	}
	if code, body := e.call(http.MethodPost, monPath, map[string]any{"mode": "spy", "phone_agent_id": m.sup.ID}); code != http.StatusUnprocessableEntity {
		t.Errorf("unknown mode: %d %s; want 422", code, body)
	}

	// The supervisor stops a monitor (DELETE): the phone hangs up, Alice
	// and the customer talk on; the supervisor hangs up their own phone:
	// the monitor ends (supervisor_hangup).
	m.stopMonitor(t, m.startMonitor(t, acd.MonitorListen))
	mon := m.startMonitor(t, acd.MonitorListen)
	if err := m.supTone.Hangup(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() bool { return len(m.monitors(t)) == 0 }, "the monitor ended when the supervisor hung up")
	testkit.Eventually(t, 10*time.Second, func() bool {
		rows, err := st.ListSupervisorMonitors(ctx, store.JournalFilter{AccountID: e.acct})
		return err == nil && len(rows) == 2 && rows[0].ID == mon.ID && rows[0].EndReason == "supervisor_hangup" &&
			rows[1].EndReason == "stopped" && rows[1].EndedAt != nil
	}, "the audit records the stop and the supervisor's hang-up")
	m.hangUp(t)

	// What each phone hears, one call per mode: the monitor runs until
	// the customer hangs up (it then ends by itself: call_ended), and the
	// last seconds of each phone's received audio are checked. (A phone
	// writes only the audio it receives, so its file is not a wall clock:
	// its end is the hang-up.)
	type want struct{ hears, notHears []int }
	cases := []struct {
		mode                 acd.MonitorMode
		sup, agent, customer want
	}{
		{acd.MonitorListen,
			want{[]int{toneAgent, toneCustomer}, nil},
			want{[]int{toneCustomer}, []int{toneSupervisor}},
			want{[]int{toneAgent}, []int{toneSupervisor}}},
		{acd.MonitorWhisper,
			want{[]int{toneAgent, toneCustomer}, nil},
			want{[]int{toneCustomer, toneSupervisor}, nil},
			want{[]int{toneAgent}, []int{toneSupervisor}}},
		{acd.MonitorBarge,
			want{[]int{toneAgent, toneCustomer}, nil},
			want{[]int{toneCustomer, toneSupervisor}, nil},
			want{[]int{toneAgent, toneSupervisor}, nil}},
	}
	for _, tc := range cases {
		t.Run(string(tc.mode), func(t *testing.T) {
			// The phones name their files by a time that calls may share:
			// the earlier calls' files go out of the way first.
			for _, d := range m.dirs {
				old := filepath.Join(d, "old-"+string(tc.mode))
				if err := os.MkdirAll(old, 0o755); err != nil {
					t.Fatal(err)
				}
				fs, _ := filepath.Glob(filepath.Join(d, "*.wav"))
				for _, f := range fs {
					if err := os.Rename(f, filepath.Join(old, filepath.Base(f))); err != nil {
						t.Fatal(err)
					}
				}
			}
			m.call(t)
			m.startMonitor(t, tc.mode)
			time.Sleep(3500 * time.Millisecond)
			m.hangUp(t)
			testkit.Eventually(t, 10*time.Second, func() bool { return len(m.monitors(t)) == 0 }, "the monitor ended with the call")
			files := map[string]string{}
			testkit.Eventually(t, 15*time.Second, func() bool {
				sizes := map[string]int64{}
				for who, d := range m.dirs {
					fs := decFiles(d)
					if len(fs) == 0 {
						return false
					}
					files[who] = fs[len(fs)-1]
					if st, err := os.Stat(files[who]); err == nil {
						sizes[who] = st.Size()
					}
				}
				time.Sleep(700 * time.Millisecond)
				for who, f := range files {
					if st, err := os.Stat(f); err != nil || st.Size() != sizes[who] {
						return false
					}
				}
				return true
			}, "the phones' files of this call complete")
			got := map[string]map[int]float64{}
			for who, f := range files {
				got[who] = tailHeard(t, f, 2500*time.Millisecond, 400*time.Millisecond)
			}
			for who, w := range map[string]want{"supervisor": tc.sup, "agent": tc.agent, "customer": tc.customer} {
				t.Logf("%s: the %s's phone received agent %.1f dB, customer %.1f dB, supervisor %.1f dB", tc.mode, who,
					got[who][toneAgent], got[who][toneCustomer], got[who][toneSupervisor])
				for _, f := range w.hears {
					if got[who][f] < heard {
						t.Errorf("%s: the %s does not hear the %d Hz tone: %.1f dB", tc.mode, who, f, got[who][f])
					}
				}
				for _, f := range w.notHears {
					if got[who][f] > absent {
						t.Errorf("%s: the %s hears the %d Hz tone: %.1f dB", tc.mode, who, f, got[who][f])
					}
				}
			}
		})
	}

	// The audit: five monitors, newest first, who, whom, mode, start, end.
	var audit struct {
		Monitors []store.SupervisorMonitor `json:"monitors"`
	}
	testkit.Eventually(t, 10*time.Second, func() bool {
		code, body := e.call(http.MethodGet, "/api/v1/supervisor/monitor-audit?agent_id="+strconv.FormatInt(m.alice.ID, 10), nil)
		return code == http.StatusOK && json.Unmarshal(body, &audit) == nil && len(audit.Monitors) == 5 && audit.Monitors[0].EndedAt != nil
	}, "five ended monitors in the audit")
	for i, w := range []struct{ mode, reason string }{{"barge", "call_ended"}, {"whisper", "call_ended"}, {"listen", "call_ended"},
		{"listen", "supervisor_hangup"}, {"listen", "stopped"}} {
		r := audit.Monitors[i]
		if r.Mode != w.mode || r.EndReason != w.reason || r.AgentID != m.alice.ID || r.PhoneAgentID != m.sup.ID || r.ByKeyID == 0 ||
			r.By == "" || r.CallID == "" || r.EndedAt == nil || !r.EndedAt.After(r.StartedAt) {
			t.Errorf("audit %d: %+v; want %s ended %s", i, r, w.mode, w.reason)
		}
	}
}
