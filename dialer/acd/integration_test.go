package acd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

// Agents in these tests are Local channels into the agents-sim context
// (asterisk-conf/extensions.conf): their number picks how they behave.
const simTrunk = "Local/%s@agents-sim"

type memNotifier struct {
	mu  sync.Mutex
	evs []Event
}

func (n *memNotifier) Notify(ev Event) { n.mu.Lock(); n.evs = append(n.evs, ev); n.mu.Unlock() }

func (n *memNotifier) kinds(callID string) []acdconfig.EventKind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []acdconfig.EventKind
	for _, e := range n.evs {
		if e.CallID == callID {
			out = append(out, e.Kind)
		}
	}
	return out
}

type harness struct {
	t  *testing.T
	m  *ari.Manager
	a  *ACD
	j  *memJournal
	n  *memNotifier
	mu sync.Mutex
	// bridged: customer channel → when it was bridged
	bridged map[string]time.Time
	order   []string
	onBr    func(callID string)
	reqs    []string // REST requests issued ("METHOD path")
}

func (h *harness) requests(substr string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, r := range h.reqs {
		if strings.Contains(r, substr) {
			out = append(out, r)
		}
	}
	return out
}

func newHarness(t *testing.T, tune func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, j: &memJournal{}, n: &memNotifier{}, bridged: map[string]time.Time{}}
	h.m = aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{Prefix: "syacd", Client: func(o *ari.Options) {
		o.OnRequest = func(method, path string, written bool, _ time.Time) {
			if !written {
				h.mu.Lock()
				h.reqs = append(h.reqs, method+" "+path)
				h.mu.Unlock()
			}
		}
	}})
	o := Options{
		Manager: h.m, Journal: h.j, Notifier: h.n, Trunk: simTrunk, Logger: aritest.Logger(t),
		OnBridged: func(callID string, _ []string, _, at time.Time) {
			h.mu.Lock()
			h.bridged[callID] = at
			h.order = append(h.order, callID)
			f := h.onBr
			h.mu.Unlock()
			if f != nil {
				f(callID)
			}
		},
	}
	if tune != nil {
		tune(&o)
	}
	h.a = New(o)
	if err := h.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.a.Close)
	return h
}

// agent adds a mobile agent whose number selects its agents-sim behaviour.
func (h *harness) agent(id int64, number string, persistent bool, wrap time.Duration) {
	h.t.Helper()
	if err := h.a.PutAgent(acdconfig.Agent{ID: id, AccountID: 1, Name: fmt.Sprintf("agent-%02d", id), LoginType: acdconfig.LoginMobile,
		Number: number, Persistent: persistent, WrapUp: wrap}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) login(ids ...int64) {
	h.t.Helper()
	for _, id := range ids {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err := h.a.Login(ctx, 1, id)
		cancel()
		if err != nil {
			h.t.Fatalf("login %d: %v", id, err)
		}
	}
}

func (h *harness) queue(q acdconfig.Queue) {
	h.t.Helper()
	q.AccountID = 1
	if q.ID == 0 {
		q.ID = 10
	}
	if q.Name == "" {
		q.Name = "sales"
	}
	if err := h.a.PutQueue(q); err != nil {
		h.t.Fatal(err)
	}
}

type outcome struct {
	callID string
	res    flows.QueueResult
	err    error
	after  error // what the handler saw when it played something after the queue
}

// customer originates a customer (Local/<ext>@customers) whose handler
// puts it in the queue; the outcome arrives on the returned channel.
func (h *harness) customer(ext, queue string, timeout time.Duration) (*ari.Call, <-chan outcome) {
	h.t.Helper()
	ch := make(chan outcome, 1)
	c, err := h.m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: "Local/" + ext + "@customers", CallerID: "+4930555000",
		Handler: func(ctx context.Context, c *ari.Call) error {
			res, err := h.a.Enqueue(ctx, c, flows.QueueRequest{AccountID: 1, FlowID: 7, Queue: queue, Timeout: timeout,
				WidgetID: "q1", CLI: "+4930555000", DNIS: "+4940111222"})
			o := outcome{callID: c.ID, res: res, err: err}
			if err == nil && !c.HungUp() {
				// The flow goes on after the queue.
				_, o.after = c.Play(ctx, ari.PlayOptions{Timeout: 5 * time.Second}, "sound:beep")
			}
			ch <- o
			return err
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return c, ch
}

func wait(t *testing.T, ch <-chan outcome, d time.Duration) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(d):
		t.Fatal("no queue outcome in time")
	}
	return outcome{}
}

func (h *harness) journal() ([]AgentCall, []QueueCall, []AgentEvent) {
	h.a.flush()
	return h.j.snapshot()
}

func (h *harness) state(id int64) AgentStatus {
	st, err := h.a.Agent(1, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

func (h *harness) waitState(id int64, want State, d time.Duration) AgentStatus {
	h.t.Helper()
	deadline := time.Now().Add(d)
	for {
		st := h.state(id)
		if st.State == want {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("agent %d: state %s, want %s", id, st.State, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// hangupAfterBridged hangs customers up d after they were bridged (the
// customer ends the conversation).
func (h *harness) hangupAfterBridged(d time.Duration) {
	h.mu.Lock()
	h.onBr = func(callID string) {
		time.AfterFunc(d, func() { _ = h.m.Client().Hangup(context.Background(), callID, "") })
	}
	h.mu.Unlock()
}

func expectStatus(t *testing.T, o outcome, status string, line int) {
	t.Helper()
	if o.res.Status != status || o.res.Line != line || o.res.Outputs["status"] != status {
		t.Fatalf("outcome %s line %d (outputs %v, err %v), want %s line %d", o.res.Status, o.res.Line, o.res.Outputs, o.err, status, line)
	}
}

// TestQueueOutcomes: every queue outcome (QUEUE_*) on the real Asterisk.
func TestQueueOutcomes(t *testing.T) {
	h := newHarness(t, nil)
	h.agent(1, "1000001", false, 0)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}, Timeout: 3 * time.Second, MaxLen: 1, JoinWhenEmpty: true})
	h.queue(acdconfig.Queue{ID: 11, Name: "strict", Members: []int64{1}})

	t.Run("invalid", func(t *testing.T) {
		_, ch := h.customer("answer-silent", "nope", 0)
		o := wait(t, ch, 10*time.Second)
		expectStatus(t, o, QueueInvalid, 1)
		if o.err != nil || o.after != nil {
			t.Fatalf("flow should go on: %v / %v", o.err, o.after)
		}
	})
	t.Run("empty", func(t *testing.T) {
		_, ch := h.customer("answer-silent", "strict", 0)
		o := wait(t, ch, 10*time.Second)
		expectStatus(t, o, QueueEmpty, 1)
	})
	t.Run("timeout and full", func(t *testing.T) {
		start := time.Now()
		_, first := h.customer("answer-silent", "sales", 0)
		deadline := time.Now().Add(5 * time.Second)
		for h.a.Queues(1)[0].Waiting != 1 {
			if time.Now().After(deadline) {
				t.Fatal("first caller never waited")
			}
			time.Sleep(10 * time.Millisecond)
		}
		_, second := h.customer("answer-silent", "sales", 0)
		o2 := wait(t, second, 10*time.Second)
		expectStatus(t, o2, QueueFull, 1)
		o1 := wait(t, first, 10*time.Second)
		expectStatus(t, o1, QueueTimeout, 1)
		if el := time.Since(start); el < 3*time.Second || el > 6*time.Second {
			t.Fatalf("timed out after %v, want ~3s", el)
		}
		if o1.res.Outputs["position"] != 1 || o1.res.CallVars["agent.connect"] != "No" {
			t.Fatalf("outputs %v vars %v", o1.res.Outputs, o1.res.CallVars)
		}
	})
	t.Run("widget timeout wins when shorter", func(t *testing.T) {
		start := time.Now()
		_, ch := h.customer("answer-silent", "sales", time.Second)
		expectStatus(t, wait(t, ch, 10*time.Second), QueueTimeout, 1)
		if el := time.Since(start); el > 2500*time.Millisecond {
			t.Fatalf("took %v", el)
		}
	})
	t.Run("join: caller hangs up while waiting", func(t *testing.T) {
		_, ch := h.customer("answer-hangup-1", "sales", 0)
		o := wait(t, ch, 10*time.Second)
		expectStatus(t, o, QueueJoin, 1)
		if !errors.Is(o.err, ari.ErrHangup) {
			t.Fatalf("err %v, want hangup", o.err)
		}
	})
	t.Run("answer", func(t *testing.T) {
		h.login(1)
		h.hangupAfterBridged(time.Second)
		c, ch := h.customer("answer-silent", "sales", 0)
		o := wait(t, ch, 15*time.Second)
		expectStatus(t, o, QueueAnswer, 0)
		cv, sk := o.res.CallVars, o.res.Syskeys
		if cv["agent.connect"] != "Yes" || cv["agent.dnis"] != "1000001" || cv["agent.cli"] != "+4930555000" ||
			cv["agent.cli.countrycode"] != "49" || cv["agent.cli.number"] != "30555000" || cv["agent.cli.areaCode"] != "30" {
			t.Fatalf("call vars %v", cv)
		}
		if sk["agentID"] != "1" || sk["agent.type"] != "dynamic" || sk["loginType"] != "mobile phone" || sk["agent.attempt_number"] != "1" {
			t.Fatalf("syskeys %v", sk)
		}
		if o.res.Outputs["agent_id"] != int64(1) {
			t.Fatalf("outputs %v", o.res.Outputs)
		}
		st := h.waitState(1, StateAvailable, 5*time.Second)
		if st.Offered != 1 || st.Answered != 1 || st.AvgCall < 0.5 {
			t.Fatalf("agent stats %+v", st)
		}
		deadline := time.Now().Add(3 * time.Second)
		for {
			k := h.n.kinds(c.ID)
			want := []acdconfig.EventKind{acdconfig.EventAgentAllocated, acdconfig.EventPopupDial, acdconfig.EventAgentConnected, acdconfig.EventPopupAnswered, acdconfig.EventPopupTerminal}
			if slices.Equal(k, want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("events %v, want %v", k, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	h.a.Close()
	_, qcs, _ := h.journal()
	got := map[string]int{}
	for _, q := range qcs {
		got[q.Outcome]++
	}
	// invalid has no queue: no queue record; empty and full have one.
	if got[QueueTimeout] != 2 || got[QueueJoin] != 1 || got[QueueAnswer] != 1 || got[QueueEmpty] != 1 || got[QueueFull] != 1 || len(qcs) != 6 {
		t.Fatalf("queue records %v", got)
	}
	qs := h.a.Queues(1)
	if qs[0].Name != "sales" || qs[0].Joined != 4 || qs[0].Answered != 1 || qs[0].TimedOut != 2 || qs[0].Abandoned != 1 {
		t.Fatalf("queue stats %+v", qs[0])
	}
}
