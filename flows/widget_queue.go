package flows

// The queue widget: config, check, and its runner (the ACD behind
// QueueRunner).

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

type queueCfg struct {
	Queue   string
	Timeout time.Duration
}

func checkQueue(p *paramReader) any {
	return &queueCfg{Queue: p.str("queue", true), Timeout: p.seconds("timeout", 5*time.Minute, time.Second, 24*time.Hour)}
}

func (r *run) queue(ctx context.Context, n *Node, c *queueCfg, st *Step) result {
	q, missing := r.subCtx(ctx, c.Queue)
	st.Inputs["queue"] = q
	if len(missing) > 0 {
		r.setStatus("QUEUE_INVALID")
		st.Outputs["status"] = "QUEUE_INVALID"
		return lineErr(1, fmt.Errorf("unset variable(s) %s", strings.Join(missing, ", ")))
	}
	r.queueName = q
	req := QueueRequest{
		AccountID: r.fv.AccountID, FlowID: r.fv.FlowID, Queue: q, Timeout: c.Timeout, WidgetID: n.ID,
		CLI: r.callValue("cli"), DNIS: r.callValue("dnis"), Outbound: !r.call.Inbound,
		CustomerID: r.flowVars["crm_id"], FlowKeys: queueFlowKeys(r.flowVars),
	}
	res, err := r.e.Queue.Enqueue(ctx, r.call, req)
	for k, v := range res.Outputs {
		st.Outputs[k] = v
	}
	for k, v := range res.CallVars {
		r.callVars[k] = v
	}
	r.adoptAgentRecording()
	for k, v := range res.Syskeys {
		r.syskeys[k] = v
	}
	if res.Status != "" {
		r.setStatus(res.Status)
		st.Outputs["status"] = res.Status
	}
	if err != nil {
		return hangupOr(err)
	}
	if res.Line != 0 && n.Exit(res.Line) == "" {
		res.Line = 1
	}
	return line(res.Line)
}

// queueFlowKeys copies the call's $flow.key.* for its agent: the first
// MaxQueueFlowKeys keys in name order, values cut to 256 bytes.
func queueFlowKeys(vars map[string]string) map[string]string {
	if len(vars) == 0 {
		return nil
	}
	keys := slices.Sorted(maps.Keys(vars))
	if len(keys) > MaxQueueFlowKeys {
		keys = keys[:MaxQueueFlowKeys]
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		v := vars[k]
		if len(v) > 256 {
			v = v[:256]
		}
		out[k] = v
	}
	return out
}
