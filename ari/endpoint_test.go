package ari

import (
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Endpoint events carry no channel: the decoder must never skip them, and
// listeners (the ACD's registration watcher) must get them even though no
// mailbox routes the endpoint.
func TestEndpointStateChangeReachesListeners(t *testing.T) {
	frame := []byte(`{"type":"EndpointStateChange","application":"x","timestamp":"2026-11-21T12:00:00.000+0000",` +
		`"endpoint":{"technology":"PJSIP","resource":"agent1","state":"online","channel_ids":[]}}`)
	r := NewRouter()
	unrouted := 0
	r.Unrouted = func(ariv6.Event) { unrouted++ }
	ev, typ, skip, err := r.decodeFrame(frame)
	if err != nil || skip || typ != "EndpointStateChange" {
		t.Fatalf("decodeFrame: skip=%v typ=%q err=%v", skip, typ, err)
	}
	var got []string
	r.Listen("EndpointStateChange", func(ev ariv6.Event) {
		e := ev.(*ariv6.EndpointStateChange)
		got = append(got, e.Endpoint.Resource+"="+e.Endpoint.State)
	})
	r.Dispatch(ev)
	// Listeners only observe: the event still reaches Unrouted (which
	// ignores all but StasisStart).
	if len(got) != 1 || got[0] != "agent1=online" || unrouted != 1 {
		t.Fatalf("listener got %v, unrouted %d", got, unrouted)
	}
	// Also with a listener registered before decoding (the live order).
	ev, _, skip, err = r.decodeFrame(frame)
	if err != nil || skip {
		t.Fatalf("second decode: skip=%v err=%v", skip, err)
	}
	r.Dispatch(ev)
	if len(got) != 2 {
		t.Fatalf("listener got %v", got)
	}
}
