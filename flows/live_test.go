package flows

import (
	"fmt"
	"testing"
)

func TestLiveSteps(t *testing.T) {
	var l LiveSteps
	l.Publish("c1", LiveEvent{Kind: "enter", Node: "a"}) // not opened: not recorded
	if _, _, _, ok := l.Events("c1", 1, 2, 0); ok {
		t.Fatal("a call never opened is watched")
	}
	l.Open("c1", 1, 2)
	_, wake, done, ok := l.Events("c1", 1, 2, 0)
	if !ok || done {
		t.Fatalf("opened call: ok %v done %v", ok, done)
	}
	l.Publish("c1", LiveEvent{Kind: "enter", Node: "a"})
	select {
	case <-wake:
	default:
		t.Fatal("an event did not wake the watcher")
	}
	l.Publish("c1", LiveEvent{Kind: "step", Node: "a", Step: &Step{Node: "a"}})
	l.Open("c1", 1, 2) // idempotent: keeps the events
	l.Publish("c1", LiveEvent{Kind: "end", Outcome: "finished"})
	l.Close("c1", "not_answered", "") // after the end: ignored
	evs, _, done, ok := l.Events("c1", 1, 2, 1)
	if !ok || !done || len(evs) != 2 || evs[0].Kind != "step" || evs[1].Outcome != "finished" {
		t.Fatalf("events from 1: %+v done %v", evs, done)
	}
	for _, other := range [][2]int64{{9, 2}, {1, 9}} {
		if _, _, _, ok := l.Events("c1", other[0], other[1], 0); ok {
			t.Fatalf("account/flow %v sees another account's test call", other)
		}
	}
	for i := range liveMaxCalls {
		l.Open(fmt.Sprint("x", i), 1, 2)
	}
	if _, _, _, ok := l.Events("c1", 1, 2, 0); ok {
		t.Fatal("the oldest watched call was not dropped")
	}
	var nilLive *LiveSteps
	nilLive.Open("c", 1, 2)
	nilLive.Publish("c", LiveEvent{Kind: "end"})
}
