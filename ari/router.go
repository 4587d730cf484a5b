package ari

import (
	"sync"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Kinds of routable IDs.
const (
	KindChannel   = "channel"
	KindBridge    = "bridge"
	KindPlayback  = "playback"
	KindRecording = "recording"
	KindEndpoint  = "endpoint"
	KindDevice    = "device"
)

type routeKey struct {
	kind string
	id   string
}

// Router dispatches every ARI event, by the IDs it carries, to the mailboxes
// registered for those IDs. A lookup is one map access per ID in the event
// (not a scan of all subscribers), and delivery never blocks or drops.
//
// Events whose IDs nobody registered go to the Unrouted hook (listeners
// do not count: they only observe); the hook runs
// on the dispatching goroutine, so a StasisStart handler that registers the
// new channel's mailbox before returning cannot miss the channel's next
// event.
type Router struct {
	mu     sync.RWMutex
	routes map[routeKey]*Mailbox
	// listeners receive every event of a type (endpoint and device state
	// watchers, supervisors); they must not block.
	listeners map[string][]func(ariv6.Event)

	// Unrouted is called for events no mailbox took. Set before use.
	Unrouted func(ariv6.Event)
}

// NewRouter returns an empty router.
func NewRouter() *Router {
	return &Router{routes: make(map[routeKey]*Mailbox), listeners: make(map[string][]func(ariv6.Event))}
}

// Register routes events carrying (kind, id) to mb.
func (r *Router) Register(kind, id string, mb *Mailbox) {
	r.mu.Lock()
	r.routes[routeKey{kind, id}] = mb
	r.mu.Unlock()
}

// Unregister removes the route for (kind, id).
func (r *Router) Unregister(kind, id string) {
	r.mu.Lock()
	delete(r.routes, routeKey{kind, id})
	r.mu.Unlock()
}

// Listen calls fn for every event of the given type (e.g.
// "EndpointStateChange"), in addition to any mailbox routing. fn runs on
// the dispatching goroutine and must not block.
func (r *Router) Listen(eventType string, fn func(ariv6.Event)) {
	r.mu.Lock()
	r.listeners[eventType] = append(r.listeners[eventType], fn)
	r.mu.Unlock()
}

// Routes reports how many routes are registered.
func (r *Router) Routes() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.routes)
}

// Dispatch delivers ev to every distinct mailbox registered for one of its
// IDs, and reports whether any took it.
func (r *Router) Dispatch(ev ariv6.Event) bool {
	var ids [4]routeKey
	keys := eventIDs(ev, ids[:0])
	var got [4]*Mailbox
	delivered := got[:0]
	r.mu.RLock()
	for _, k := range keys {
		mb := r.routes[k]
		if mb == nil {
			continue
		}
		dup := false
		for _, d := range delivered {
			if d == mb {
				dup = true
				break
			}
		}
		if !dup {
			delivered = append(delivered, mb)
		}
	}
	ls := r.listeners[ev.GetType()]
	r.mu.RUnlock()
	for _, mb := range delivered {
		mb.Put(ev)
	}
	for _, fn := range ls {
		fn(ev)
	}
	// Listeners only observe: an event no mailbox took goes to Unrouted
	// (a StasisStart nobody routes is a new call).
	if len(delivered) == 0 && r.Unrouted != nil {
		r.Unrouted(ev)
	}
	return len(delivered) > 0
}

// eventIDs lists the routable IDs an event carries, without the allocations
// of ariv6.Event.Keys for the common call events.
func eventIDs(ev ariv6.Event, out []routeKey) []routeKey {
	ch := func(id string) {
		if id != "" {
			out = append(out, routeKey{KindChannel, id})
		}
	}
	switch e := ev.(type) {
	case *ariv6.StasisStart:
		ch(e.Channel.ID)
		ch(e.ReplaceChannel.ID)
	case *ariv6.StasisEnd:
		ch(e.Channel.ID)
	case *ariv6.ChannelDtmfReceived:
		ch(e.Channel.ID)
	case *ariv6.ChannelStateChange:
		ch(e.Channel.ID)
	case *ariv6.ChannelDestroyed:
		ch(e.Channel.ID)
	case *ariv6.ChannelHangupRequest:
		ch(e.Channel.ID)
	case *ariv6.ChannelVarset:
		ch(e.Channel.ID)
	case *ariv6.ChannelDialplan:
		ch(e.Channel.ID)
	case *ariv6.ChannelCallerID:
		ch(e.Channel.ID)
	case *ariv6.ChannelConnectedLine:
		ch(e.Channel.ID)
	case *ariv6.ChannelHold:
		ch(e.Channel.ID)
	case *ariv6.ChannelUnhold:
		ch(e.Channel.ID)
	case *ariv6.ChannelTalkingStarted:
		ch(e.Channel.ID)
	case *ariv6.ChannelTalkingFinished:
		ch(e.Channel.ID)
	case *ariv6.PlaybackStarted:
		out = append(out, routeKey{KindPlayback, e.Playback.ID})
	case *ariv6.PlaybackContinuing:
		out = append(out, routeKey{KindPlayback, e.Playback.ID})
	case *ariv6.PlaybackFinished:
		out = append(out, routeKey{KindPlayback, e.Playback.ID})
	case *ariv6.RecordingStarted:
		out = append(out, routeKey{KindRecording, e.Recording.Name})
	case *ariv6.RecordingFinished:
		out = append(out, routeKey{KindRecording, e.Recording.Name})
	case *ariv6.RecordingFailed:
		out = append(out, routeKey{KindRecording, e.Recording.Name})
	case *ariv6.ChannelEnteredBridge:
		out = append(out, routeKey{KindBridge, e.Bridge.ID})
		ch(e.Channel.ID)
	case *ariv6.ChannelLeftBridge:
		out = append(out, routeKey{KindBridge, e.Bridge.ID})
		ch(e.Channel.ID)
	case *ariv6.BridgeDestroyed:
		out = append(out, routeKey{KindBridge, e.Bridge.ID})
	case *ariv6.BridgeCreated:
		out = append(out, routeKey{KindBridge, e.Bridge.ID})
	case *ariv6.Dial:
		ch(e.Peer.ID)
		ch(e.Caller.ID)
	case *ariv6.EndpointStateChange:
		out = append(out, routeKey{KindEndpoint, e.Endpoint.Technology + "/" + e.Endpoint.Resource})
	case *ariv6.DeviceStateChanged:
		out = append(out, routeKey{KindDevice, e.DeviceState.Name})
	case *ChannelGone:
		ch(e.ChannelID)
	case *Resync:
		ch(e.ChannelID)
	default:
		for _, k := range ev.Keys() {
			if k.ID == "" || k.ID == "/" {
				continue
			}
			kind := k.Kind
			switch kind {
			case ariv6.ChannelKey:
				kind = KindChannel
			case ariv6.BridgeKey:
				kind = KindBridge
			case ariv6.PlaybackKey:
				kind = KindPlayback
			case ariv6.LiveRecordingKey:
				kind = KindRecording
			}
			out = append(out, routeKey{kind, k.ID})
		}
	}
	return out
}

// ChannelGone is a synthetic event: after an ARI reconnect the channel was
// no longer on Asterisk, so its StasisEnd was missed while disconnected.
type ChannelGone struct {
	ariv6.EventData
	ChannelID string
}

// Keys implements ariv6.Event.
func (e *ChannelGone) Keys() ariv6.Keys {
	return ariv6.Keys{e.Key(ariv6.ChannelKey, e.ChannelID)}
}

// Resync is a synthetic event sent to every live call after an ARI
// reconnect: any wait whose event may have been missed re-checks state.
type Resync struct {
	ariv6.EventData
	ChannelID string
	Channel   ariv6.ChannelData // as Asterisk lists it now
}

// Keys implements ariv6.Event.
func (e *Resync) Keys() ariv6.Keys {
	return ariv6.Keys{e.Key(ariv6.ChannelKey, e.ChannelID)}
}

const (
	typeChannelGone = "SwitchyardChannelGone"
	typeResync      = "SwitchyardResync"
)
