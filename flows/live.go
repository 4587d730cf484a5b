package flows

import "sync"

// LiveEvent is one thing a watched call's flow did: "enter" (a widget
// starts: Node, Type), "step" (it finished: Step, as the journey keeps
// it) or "end" (the flow ended: Outcome, Reason, Status).
type LiveEvent struct {
	Kind    string `json:"kind"`
	Node    string `json:"node,omitempty"`
	Type    string `json:"type,omitempty"`
	Step    *Step  `json:"step,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Status  string `json:"status,omitempty"`
}

// liveMaxCalls bounds the watched calls kept (the oldest go first);
// liveMaxEvents bounds one call's events (a looping flow stops being
// recorded past it; its journey still has every step).
const (
	liveMaxCalls  = 256
	liveMaxEvents = 2 * defaultMaxSteps
)

// LiveSteps keeps the steps of the calls someone watches (the flow
// editor's test call), so a watcher sees the journey node by node while
// the call runs. Only calls opened with Open are recorded: other calls
// cost a map look-up per widget. The zero value is ready; a nil
// *LiveSteps records nothing.
type LiveSteps struct {
	mu    sync.Mutex
	calls map[string]*liveCall
	order []string // call ids, oldest first
}

type liveCall struct {
	account, flow int64
	events        []LiveEvent
	done          bool
	wake          chan struct{} // closed and replaced on each event
}

// Open starts recording the call's flow (idempotent).
func (l *LiveSteps) Open(callID string, accountID, flowID int64) {
	if l == nil || callID == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[string]*liveCall{}
	}
	if _, ok := l.calls[callID]; ok {
		return
	}
	for len(l.order) >= liveMaxCalls {
		delete(l.calls, l.order[0])
		l.order = l.order[1:]
	}
	l.calls[callID] = &liveCall{account: accountID, flow: flowID, wake: make(chan struct{})}
	l.order = append(l.order, callID)
}

// Publish records an event of the call (the engine's, as the flow runs);
// nothing happens for a call not opened, or after its "end".
func (l *LiveSteps) Publish(callID string, ev LiveEvent) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls[callID]
	if c == nil || c.done || (len(c.events) >= liveMaxEvents && ev.Kind != "end") {
		return
	}
	c.events = append(c.events, ev)
	c.done = ev.Kind == "end"
	close(c.wake)
	c.wake = make(chan struct{})
}

// Events returns the call's events from index from on, a channel closed
// at the next event, and whether the flow has ended. ok is false when the
// call is not recorded for that account and flow.
func (l *LiveSteps) Events(callID string, accountID, flowID int64, from int) (evs []LiveEvent, next <-chan struct{}, done, ok bool) {
	if l == nil {
		return nil, nil, false, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls[callID]
	if c == nil || c.account != accountID || c.flow != flowID {
		return nil, nil, false, false
	}
	if from < len(c.events) {
		evs = append(evs, c.events[from:]...)
	}
	return evs, c.wake, c.done, true
}

// Close ends a watched call that never ran its flow (not answered): its
// watchers get an "end" event with the outcome given.
func (l *LiveSteps) Close(callID, outcome, reason string) {
	l.Publish(callID, LiveEvent{Kind: "end", Outcome: outcome, Reason: reason})
}
