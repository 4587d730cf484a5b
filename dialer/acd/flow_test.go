package acd

import (
	"context"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"github.com/switchyard/switchyard/flows"
)

// TestFlowQueueWidget runs a flow whose queue widget is this ACD: the
// caller is answered by an agent, the $flow.syskey / status values reach
// the journey and the flow goes on at line 0 after the conversation.
func TestFlowQueueWidget(t *testing.T) {
	h := newHarness(t, nil)
	h.agent(1, "5030001", false, 0) // answers, hangs up after 3 s
	h.login(1)
	h.queue(acdconfig.Queue{ID: 10, Name: "sales", Members: []int64{1}})
	doc := `{
	  "format": 1, "name": "q", "type": "inbound", "start": "q",
	  "nodes": [
	    {"id": "q", "type": "queue", "params": {"queue": "sales", "timeout": 30}, "exits": ["after", "nobody"]},
	    {"id": "after", "type": "play", "params": {"media": ["sound:beep"]}},
	    {"id": "nobody", "type": "hangup"}
	  ]
	}`
	f, err := flows.Parse([]byte(doc), flows.Features{Queues: true})
	if err != nil {
		t.Fatal(err)
	}
	eng := &flows.Engine{Queue: h.a, Logger: aritest.Logger(t)}
	done := make(chan *flows.Journey, 1)
	_, err = h.m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: "Local/answer-silent@customers", CallerID: "+4930555000",
		Handler: func(ctx context.Context, c *ari.Call) error {
			j, err := eng.Run(ctx, c, flows.FlowVersion{AccountID: 1, FlowID: 7, Version: 1, Flow: f}, nil)
			if err != nil {
				t.Errorf("run: %v", err)
			}
			done <- j
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var j *flows.Journey
	select {
	case j = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("flow did not finish")
	}
	if j == nil || j.Outcome != "finished" || j.Syskeys["agentID"] != "1" || j.Syskeys["agent.type"] != "dynamic" || j.Syskeys["agent.attempt_number"] != "1" {
		t.Fatalf("journey %+v", j)
	}
	var nodes []string
	for _, s := range j.Steps {
		nodes = append(nodes, s.Node)
		if s.Node == "after" && s.Error != "" {
			t.Fatalf("play after the queue failed: %s", s.Error)
		}
	}
	if len(nodes) != 2 || nodes[0] != "q" || nodes[1] != "after" {
		t.Fatalf("steps %v", nodes)
	}
	if out := j.Steps[0].Outputs; out["status"] != QueueAnswer || out["position"] != 1 {
		t.Fatalf("queue step outputs %v", out)
	}
}
