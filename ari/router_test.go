package ari

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

func chanEvent(typ, id string) ariv6.Event {
	ed := ariv6.EventData{Type: typ, Application: "t"}
	ch := ariv6.ChannelData{ID: id}
	switch typ {
	case "StasisStart":
		return &ariv6.StasisStart{EventData: ed, Channel: ch}
	case "StasisEnd":
		return &ariv6.StasisEnd{EventData: ed, Channel: ch}
	case "ChannelDtmfReceived":
		return &ariv6.ChannelDtmfReceived{EventData: ed, Channel: ch, Digit: "5"}
	case "ChannelDestroyed":
		return &ariv6.ChannelDestroyed{EventData: ed, Channel: ch, Cause: 16}
	}
	panic(typ)
}

func TestEventIDs(t *testing.T) {
	ed := ariv6.EventData{Application: "t"}
	tests := []struct {
		name string
		ev   ariv6.Event
		want []routeKey
	}{
		{"stasis start with replace", &ariv6.StasisStart{EventData: ed, Channel: ariv6.ChannelData{ID: "a"}, ReplaceChannel: ariv6.ChannelData{ID: "b"}},
			[]routeKey{{KindChannel, "a"}, {KindChannel, "b"}}},
		{"dtmf", &ariv6.ChannelDtmfReceived{EventData: ed, Channel: ariv6.ChannelData{ID: "a"}}, []routeKey{{KindChannel, "a"}}},
		{"playback", &ariv6.PlaybackFinished{EventData: ed, Playback: ariv6.PlaybackData{ID: "p"}}, []routeKey{{KindPlayback, "p"}}},
		{"recording", &ariv6.RecordingFinished{EventData: ed, Recording: ariv6.LiveRecordingData{Name: "r"}}, []routeKey{{KindRecording, "r"}}},
		{"recording failed", &ariv6.RecordingFailed{EventData: ed, Recording: ariv6.LiveRecordingData{Name: "r"}}, []routeKey{{KindRecording, "r"}}},
		{"entered bridge", &ariv6.ChannelEnteredBridge{EventData: ed, Bridge: ariv6.BridgeData{ID: "br"}, Channel: ariv6.ChannelData{ID: "a"}},
			[]routeKey{{KindBridge, "br"}, {KindChannel, "a"}}},
		{"dial", &ariv6.Dial{EventData: ed, Peer: ariv6.ChannelData{ID: "p"}, Caller: ariv6.ChannelData{ID: "c"}},
			[]routeKey{{KindChannel, "p"}, {KindChannel, "c"}}},
		{"dial without caller", &ariv6.Dial{EventData: ed, Peer: ariv6.ChannelData{ID: "p"}}, []routeKey{{KindChannel, "p"}}},
		{"endpoint", &ariv6.EndpointStateChange{EventData: ed, Endpoint: ariv6.EndpointData{Technology: "PJSIP", Resource: "agent1"}},
			[]routeKey{{KindEndpoint, "PJSIP/agent1"}}},
		{"gone", &ChannelGone{ChannelID: "x"}, []routeKey{{KindChannel, "x"}}},
		{"fallback via Keys", &ariv6.ChannelUserevent{EventData: ed, Channel: ariv6.ChannelData{ID: "u"}}, []routeKey{{KindChannel, "u"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eventIDs(tt.ev, nil)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("eventIDs = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRouterDispatch(t *testing.T) {
	r := NewRouter()
	var unrouted []string
	r.Unrouted = func(ev ariv6.Event) { unrouted = append(unrouted, ev.GetType()) }
	a, b := NewMailbox(), NewMailbox()
	r.Register(KindChannel, "a", a)
	r.Register(KindChannel, "b", b)
	r.Register(KindBridge, "br", a)

	r.Dispatch(chanEvent("StasisStart", "a"))
	r.Dispatch(chanEvent("ChannelDtmfReceived", "b"))
	// An event naming the bridge and a channel of the same call is
	// delivered once.
	r.Dispatch(&ariv6.ChannelEnteredBridge{EventData: ariv6.EventData{Type: "ChannelEnteredBridge"}, Bridge: ariv6.BridgeData{ID: "br"}, Channel: ariv6.ChannelData{ID: "a"}})
	r.Dispatch(chanEvent("StasisStart", "zzz"))
	if a.Len() != 2 || b.Len() != 1 {
		t.Fatalf("a=%d b=%d, want 2 and 1", a.Len(), b.Len())
	}
	if len(unrouted) != 1 || unrouted[0] != "StasisStart" {
		t.Fatalf("unrouted = %v", unrouted)
	}
	r.Unregister(KindChannel, "b")
	if r.Dispatch(chanEvent("StasisEnd", "b")) {
		t.Fatal("delivered after unregister")
	}
	var heard int
	r.Listen("StasisEnd", func(ariv6.Event) { heard++ })
	r.Dispatch(chanEvent("StasisEnd", "nobody"))
	// Listeners only observe: the event is still unrouted.
	if heard != 1 || len(unrouted) != 3 {
		t.Fatalf("listener heard %d, unrouted %v (a listened event is still unrouted)", heard, unrouted)
	}
}

// TestMailboxNeverDrops pushes far more than stdbus's 100-event buffer into
// mailboxes nobody reads yet, from many producers, and checks every event
// arrives in per-producer order.
func TestMailboxNeverDrops(t *testing.T) {
	const producers, each = 8, 5000
	mb := NewMailbox()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				mb.Put(&ariv6.ChannelDtmfReceived{EventData: ariv6.EventData{Type: "x"}, Digit: fmt.Sprint(i), DurationMs: p})
			}
		}()
	}
	wg.Wait()
	last := make([]int, producers)
	for i := range last {
		last[i] = -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for n := 0; n < producers*each; n++ {
		ev, err := mb.Next(ctx)
		if err != nil {
			t.Fatalf("after %d events: %v", n, err)
		}
		d := ev.(*ariv6.ChannelDtmfReceived)
		var i int
		fmt.Sscan(d.Digit, &i)
		if i != last[d.DurationMs]+1 {
			t.Fatalf("producer %d: got %d after %d", d.DurationMs, i, last[d.DurationMs])
		}
		last[d.DurationMs] = i
	}
	if _, ok := mb.TryNext(); ok {
		t.Fatal("extra event")
	}
}

func TestMailboxNextHonoursContext(t *testing.T) {
	mb := NewMailbox()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := mb.Next(ctx); err != context.DeadlineExceeded {
		t.Fatalf("err = %v", err)
	}
	go func() { time.Sleep(10 * time.Millisecond); mb.Put(chanEvent("StasisEnd", "a")) }()
	ev, err := mb.Next(context.Background())
	if err != nil || ev.GetType() != "StasisEnd" {
		t.Fatalf("ev=%v err=%v", ev, err)
	}
}

// TestRouterConcurrent registers, dispatches and unregisters from many
// goroutines (run with -race).
func TestRouterConcurrent(t *testing.T) {
	r := NewRouter()
	r.Unrouted = func(ariv6.Event) {}
	const calls = 200
	boxes := make([]*Mailbox, calls)
	for i := range boxes {
		boxes[i] = NewMailbox()
		r.Register(KindChannel, fmt.Sprint(i), boxes[i])
	}
	var wg sync.WaitGroup
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				r.Dispatch(chanEvent("ChannelDtmfReceived", fmt.Sprint(i)))
			}
		}()
	}
	wg.Wait()
	for i, mb := range boxes {
		if mb.Len() != 50 {
			t.Fatalf("box %d has %d", i, mb.Len())
		}
	}
}

func TestStatusFromCause(t *testing.T) {
	tests := []struct {
		cause int
		us    bool
		want  string
	}{
		{17, false, StatusBusy}, {21, false, StatusBusy}, {19, false, StatusNoAnswer}, {18, false, StatusNoAnswer},
		{34, false, StatusCongestion}, {42, false, StatusCongestion}, {1, false, StatusNoRoute}, {3, false, StatusNoRoute},
		{20, false, StatusChanUnavail}, {66, false, StatusChanUnavail}, {16, true, StatusCancel}, {16, false, StatusNoAnswer},
		{99, false, StatusFailed},
	}
	for _, tt := range tests {
		if got := StatusFromCause(tt.cause, tt.us); got != tt.want {
			t.Errorf("StatusFromCause(%d,%v) = %s, want %s", tt.cause, tt.us, got, tt.want)
		}
	}
}

func BenchmarkRouterDispatch(b *testing.B) {
	r := NewRouter()
	mbs := make([]*Mailbox, 1000)
	for i := range mbs {
		mbs[i] = NewMailbox()
		r.Register(KindChannel, fmt.Sprint(i), mbs[i])
	}
	evs := make([]ariv6.Event, 1000)
	for i := range evs {
		evs[i] = chanEvent("ChannelDtmfReceived", fmt.Sprint(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		r.Dispatch(evs[i%1000])
		if i%1000 == 999 {
			for _, mb := range mbs {
				mb.TryNext()
			}
		}
	}
}

func TestEscPathSegment(t *testing.T) {
	for in, want := range map[string]string{
		"record_queue_49_1_+912265014922_+917698760555_6_1619078544823": "record_queue_49_1_%2B912265014922_%2B917698760555_6_1619078544823",
		"a b/c": "a%20b%2Fc",
		"plain": "plain",
	} {
		if got := esc(in); got != want {
			t.Errorf("esc(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStasisStartListenerKeepsUnrouted: a listener on StasisStart only
// observes; a new call still reaches Unrouted (the manager's Route).
func TestStasisStartListenerKeepsUnrouted(t *testing.T) {
	r := NewRouter()
	var seen, unrouted int
	r.Listen("StasisStart", func(ariv6.Event) { seen++ })
	r.Unrouted = func(ariv6.Event) { unrouted++ }
	ev := &ariv6.StasisStart{EventData: ariv6.EventData{Type: "StasisStart"}, Channel: ariv6.ChannelData{ID: "new-call"}}
	r.Dispatch(ev)
	if seen != 1 || unrouted != 1 {
		t.Errorf("listener saw %d, unrouted %d; want 1 and 1", seen, unrouted)
	}
}
