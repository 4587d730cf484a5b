package intake

import (
	"context"
	"errors"
	"io"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// TriggerResult answers a trigger request: the request id and one status
// per call, in the order of calls[].
type TriggerResult struct {
	RequestID string        `json:"request-id"`
	Status    string        `json:"status"`
	Accepted  int           `json:"accepted"`
	Rejected  int           `json:"rejected"`
	Calls     []CallOutcome `json:"calls"`
}

// CallOutcome is the status of calls[Index].
type CallOutcome struct {
	Index            int    `json:"index"`
	ClientIdentifier string `json:"client-identifier"`
	Accepted         bool   `json:"accepted"`
	// Status: PENDING (accepted, waiting for its start time), IN_PROCESS
	// or COMPLETE (accepted and already taken by the flow's automatic
	// dialing, which may claim a call due now before this answer is
	// written), INVALID or SCRUBBED (DNC/NDNC).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// Trigger stores a trigger request's calls as one request of acc. With
// wantType set (the trigger path of one flow type), a flow of the other
// type is refused, naming the path to use. The caller has authenticated
// acc and checked its access lists.
func (im *Importer) Trigger(ctx context.Context, acc int64, t calllist.Trigger, wantType string) (TriggerResult, error) {
	f, err := im.Flow(ctx, acc, t.FlowID)
	if err != nil {
		var ae *switchyard.Error
		if errors.As(err, &ae) && ae.Field == "flow_id" {
			ae.Field = "flow-id"
		}
		return TriggerResult{}, err
	}
	if wantType != "" && f.Type != wantType {
		right := "/kairos-apis/outbound/create"
		if f.Type == FlowTypeDialer {
			right = "/kairos-apis/outbounddialer/create"
		}
		return TriggerResult{}, switchyard.Invalid("flow-id", "flow %q is an %s flow: trigger it at %s", f.ID, f.Type, right)
	}
	v, err := im.validator(ctx, acc, f)
	if err != nil {
		return TriggerResult{}, err
	}
	i := 0
	loc := im.Location(ctx, acc)
	next := func() (calllist.Record, error) {
		if i >= len(t.Calls) {
			return calllist.Record{}, io.EOF
		}
		i++
		return t.Record(i-1, f.Variables, loc)
	}
	req, err := im.c.Store.ImportCallList(ctx, store.CallListImport{
		AccountID: acc, FlowID: f.ID, FlowName: f.Name, FlowType: f.Type, Source: store.SourceAPI,
	}, source(next, v))
	if err != nil {
		return TriggerResult{}, err
	}
	recs, err := im.c.Store.ListCallListRecords(ctx, acc, req.ID, 0, calllist.MaxTriggerCalls)
	if err != nil {
		return TriggerResult{}, err
	}
	resp := TriggerResult{RequestID: req.ID, Status: req.Status, Calls: make([]CallOutcome, 0, len(recs))}
	for _, r := range recs {
		o := CallOutcome{Index: int(r.Row) - 1, ClientIdentifier: t.Calls[r.Row-1].ClientIdentifier, Status: r.Status, Reason: r.Reason}
		o.Accepted = r.Status != store.RecordInvalid && r.Status != store.RecordScrubbed
		if o.Accepted {
			resp.Accepted++
		} else {
			resp.Rejected++
		}
		resp.Calls = append(resp.Calls, o)
	}
	return resp, nil
}
