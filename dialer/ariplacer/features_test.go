package ariplacer

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/flows"
)

// TestPlaceFeatures runs AMD, the safe-harbor gate, scheduled-callback
// extensions and flow reschedules on the real Asterisk with the simulated
// customers and agents.
func TestPlaceFeatures(t *testing.T) {
	m := aritest.StartManager(t, aritest.NewRecorder(), aritest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	var flowsRun atomic.Int64
	var free atomic.Int64
	conns := &Connections{}
	p := &Placer{
		Manager: m,
		RunFlow: func(ctx context.Context, call *ari.Call, r dialer.PlaceRequest, flowID string) (*flows.Journey, error) {
			flowsRun.Add(1)
			switch flowID {
			case "leave-message":
				call.SetStatus("IVR_FINISHED")
				return &flows.Journey{}, nil
			case "resched-agent":
				call.SetStatus("QUEUE_ANSWER")
				conns.Connected(call.ID, time.Now())
				return &flows.Journey{Syskeys: map[string]string{"reschedule_agent_call": "yes", "agentID": "1101"}}, nil
			case "resched-late-agent":
				call.SetStatus("QUEUE_ANSWER")
				conns.Connected(call.ID, time.Now().Add(3*time.Second))
				return &flows.Journey{Syskeys: map[string]string{"rescheduledCall": "YES"}}, nil
			}
			call.SetStatus("IVR_FINISHED")
			return &flows.Journey{}, nil
		},
		Agents: dialer.AgentStateFunc(func(context.Context, int64, string) (dialer.Staffing, error) {
			return dialer.Staffing{LoggedIn: 1, Free: int(free.Load())}, nil
		}),
		Connections:       conns,
		ExtensionEndpoint: "Local/{ext}@agents-sim",
	}
	base := func(mut func(c *dialer.Campaign)) *dialer.Campaign {
		c := campaign()
		c.FlowID = "main"
		mut(c)
		return c
	}
	for i, tc := range []struct {
		name      string
		camp      *dialer.Campaign
		number    string
		ext       string
		free      int
		want      dialer.Result
		abandoned bool
	}{
		{name: "amd machine hangs up", number: "machine", camp: base(func(c *dialer.Campaign) { c.AMD = true }),
			want: dialer.Result{Status: StatusMachine, Answered: true, Machine: true}},
		{name: "amd machine counts abandoned when agent-paced", number: "machine",
			camp:      base(func(c *dialer.Campaign) { c.AMD, c.Mode, c.Queue = true, dialer.ModeProgressive, "sales" }),
			free:      1,
			want:      dialer.Result{Status: StatusMachine, Answered: true, Machine: true},
			abandoned: true},
		{name: "amd machine leave-a-message flow", number: "machine",
			camp: base(func(c *dialer.Campaign) {
				c.AMD, c.MachineAction, c.MachineFlowID = true, dialer.MachineFlow, "leave-message"
			}),
			want: dialer.Result{Status: "IVR_FINISHED", Answered: true, Machine: true}},
		{name: "amd human runs the flow", number: "human", camp: base(func(c *dialer.Campaign) { c.AMD = true }),
			want: dialer.Result{Status: "IVR_FINISHED", Answered: true}},
		{name: "safe harbor without a free agent", number: "answer-silent", free: 0,
			camp: base(func(c *dialer.Campaign) {
				c.Mode, c.Queue, c.SafeHarborSound = dialer.ModePredictive, "sales", "sound:beep"
			}),
			want:      dialer.Result{Status: StatusAbandoned, Answered: true, SafeHarbor: true},
			abandoned: true},
		{name: "free agent: the flow runs, connected in time", number: "answer-hangup-1", free: 1,
			camp: base(func(c *dialer.Campaign) {
				c.Mode, c.Queue, c.SafeHarborSound, c.FlowID = dialer.ModePredictive, "sales", "sound:beep", "resched-agent"
			}),
			want: dialer.Result{Status: "QUEUE_ANSWER", Answered: true, AgentConnected: true, Rescheduled: true, RescheduleTo: "1101"}},
		{name: "agent after 2 s is abandoned", number: "answer-hangup-1", free: 1,
			camp: base(func(c *dialer.Campaign) {
				c.Mode, c.Queue, c.FlowID = dialer.ModeProgressive, "sales", "resched-late-agent"
			}),
			want: dialer.Result{Status: "QUEUE_ANSWER", Answered: true, AgentConnected: true, Rescheduled: true},
			// AgentWait checked below.
			abandoned: true},
		{name: "callback extension answers", number: "answer-hangup-1", ext: "5010001", camp: base(func(*dialer.Campaign) {}),
			want: dialer.Result{Status: "IN_ANSWER", Answered: true, AgentConnected: true}},
		{name: "callback extension busy", number: "answer-hangup-1", ext: "4000001", camp: base(func(*dialer.Campaign) {}),
			want: dialer.Result{Status: "IN_BUSY", Answered: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			free.Store(int64(tc.free))
			if err := tc.camp.Validate(); err != nil && tc.camp.Name != "" {
				t.Fatal(err)
			}
			var answered atomic.Int64
			before := flowsRun.Load()
			r := dialer.PlaceRequest{Campaign: tc.camp, Record: dialer.Record{ID: int64(100 + i), AccountID: 1, Attempt: 1}, Number: tc.number,
				Endpoint: tc.camp.Endpoint(tc.number), Extension: tc.ext, OnAnswer: func() { answered.Add(1) }}
			res, err := p.Place(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			wait := res.AgentWait
			res.AgentWait = 0
			if res != tc.want {
				t.Errorf("result %+v, want %+v", res, tc.want)
			}
			if tc.name == "agent after 2 s is abandoned" && wait < 2*time.Second {
				t.Errorf("agent wait %v", wait)
			}
			res.AgentWait = wait
			if got := dialer.Abandoned(tc.camp, res); got != tc.abandoned {
				t.Errorf("abandoned = %v, want %v", got, tc.abandoned)
			}
			if answered.Load() != 1 {
				t.Errorf("OnAnswer called %d times", answered.Load())
			}
			ranFlow := flowsRun.Load() > before
			wantFlow := tc.want.Status == "IVR_FINISHED" || tc.want.Status == "QUEUE_ANSWER"
			if ranFlow != wantFlow {
				t.Errorf("flow ran: %v, want %v", ranFlow, wantFlow)
			}
		})
	}
}
