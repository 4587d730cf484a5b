package ari

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	gojson "github.com/goccy/go-json"
	ptypes "github.com/gogo/protobuf/types"
)

// Decoding is the event layer's main CPU cost: ariv6.DecodeEvent parses
// every frame twice (once for its type, once into the event), and
// ChannelData parses its object a third time. The stream therefore peeks at
// the type and the channel ID with a single allocation-free scan, skips
// events for channels nobody routes, and decodes the rest once into the
// concrete ariv6 type.

// topField returns the raw JSON value of key in the top-level object of
// data, or nil. It does not validate what it skips; the full decode does.
func topField(data []byte, key string) []byte {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil
	}
	i++
	for {
		i = skipWS(data, i)
		if i >= len(data) || data[i] != '"' {
			return nil
		}
		ks := i + 1
		ke := skipString(data, i)
		if ke < 0 {
			return nil
		}
		k := data[ks : ke-1]
		i = skipWS(data, ke)
		if i >= len(data) || data[i] != ':' {
			return nil
		}
		i = skipWS(data, i+1)
		ve := skipValue(data, i)
		if ve < 0 {
			return nil
		}
		if string(k) == key { // no allocation: compiler-optimised comparison
			return data[i:ve]
		}
		i = skipWS(data, ve)
		if i >= len(data) {
			return nil
		}
		if data[i] == ',' {
			i++
			continue
		}
		return nil
	}
}

// peekString returns the top-level string value of key if it has no escapes.
func peekString(data []byte, key string) (string, bool) {
	v := topField(data, key)
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] ('"').
func skipString(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				if j < 0 {
					return -1
				}
				j--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default: // number, true, false, null
		j := i
		for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\n' && b[j] != '\r' && b[j] != '\t' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// channelScoped lists event types whose only routable ID is channel.id, so
// an event for a channel nobody routes can be skipped undecoded.
var channelScoped = map[string]bool{
	"ChannelStateChange": true, "ChannelDestroyed": true, "ChannelHangupRequest": true,
	"ChannelDtmfReceived": true, "ChannelVarset": true, "ChannelDialplan": true,
	"ChannelCallerId": true, "ChannelConnectedLine": true, "ChannelHold": true,
	"ChannelUnhold": true, "ChannelTalkingStarted": true, "ChannelTalkingFinished": true,
	"StasisEnd": true, "ChannelUserevent": false,
}

// channelJSON mirrors ariv6.ChannelData's JSON without its UnmarshalJSON,
// which parses the channel object a second time: the hot channel events
// are decoded into mirrors in one pass and converted.
type channelJSON struct {
	ID           string             `json:"id"`
	Name         string             `json:"name"`
	State        string             `json:"state"`
	Accountcode  string             `json:"accountcode"`
	Caller       *ariv6.CallerID    `json:"caller"`
	Connected    *ariv6.CallerID    `json:"connected"`
	Creationtime ariv6.DateTime     `json:"creationtime"`
	Dialplan     *ariv6.DialplanCEP `json:"dialplan"`
	Language     string             `json:"language"`
	ChannelVars  map[string]string  `json:"channelvars"`
	ProtocolID   string             `json:"protocol_id"`
}

// data converts like ChannelData.UnmarshalJSON; an absent object (nil)
// is the zero ChannelData, as when ari/v6 decodes it.
func (c *channelJSON) data() ariv6.ChannelData {
	if c == nil {
		return ariv6.ChannelData{}
	}
	ts, err := ptypes.TimestampProto(time.Time(c.Creationtime))
	if err != nil {
		ts = &ptypes.Timestamp{Seconds: time.Now().Unix()}
	}
	return ariv6.ChannelData{
		ID: c.ID, Name: c.Name, State: c.State, Accountcode: c.Accountcode, Caller: c.Caller,
		Connected: c.Connected, Creationtime: ts, Dialplan: c.Dialplan, Language: c.Language,
		ChannelVars: c.ChannelVars, ProtocolId: c.ProtocolID,
	}
}

// chanEventJSON is the union of the hot channel events' fields.
type chanEventJSON struct {
	ariv6.EventData
	Channel        *channelJSON     `json:"channel"`
	ReplaceChannel *channelJSON     `json:"replace_channel"`
	Args           []string         `json:"args"`
	Cause          int              `json:"cause"`
	CauseTxt       string           `json:"cause_txt"`
	Soft           bool             `json:"soft"`
	Digit          string           `json:"digit"`
	DurationMs     int              `json:"duration_ms"`
	Variable       string           `json:"variable"`
	Value          string           `json:"value"`
	Bridge         ariv6.BridgeData `json:"bridge"`
	Caller         *channelJSON     `json:"caller"`
	Peer           *channelJSON     `json:"peer"`
	Forwarded      *channelJSON     `json:"forwarded"`
	Dialstatus     string           `json:"dialstatus"`
	Dialstring     string           `json:"dialstring"`
	Forward        string           `json:"forward"`
}

var chanEventPool = sync.Pool{New: func() any { return new(chanEventJSON) }}

// decodeChannelEvent decodes the hot channel events in one pass; ok is
// false for other types.
func decodeChannelEvent(typ string, data []byte) (ev ariv6.Event, ok bool, err error) {
	switch typ {
	case "StasisStart", "StasisEnd", "ChannelStateChange", "ChannelDestroyed", "ChannelHangupRequest",
		"ChannelDtmfReceived", "ChannelVarset", "ChannelEnteredBridge", "ChannelLeftBridge", "Dial":
	default:
		return nil, false, nil
	}
	j := chanEventPool.Get().(*chanEventJSON)
	defer func() {
		*j = chanEventJSON{} // what was handed out is referenced by ev only
		chanEventPool.Put(j)
	}()
	if err := gojson.Unmarshal(data, j); err != nil {
		return nil, true, err
	}
	ed := j.EventData
	switch typ {
	case "StasisStart":
		return &ariv6.StasisStart{EventData: ed, Args: j.Args, Channel: j.Channel.data(), ReplaceChannel: j.ReplaceChannel.data()}, true, nil
	case "StasisEnd":
		return &ariv6.StasisEnd{EventData: ed, Channel: j.Channel.data()}, true, nil
	case "ChannelStateChange":
		return &ariv6.ChannelStateChange{EventData: ed, Channel: j.Channel.data()}, true, nil
	case "ChannelDestroyed":
		return &ariv6.ChannelDestroyed{EventData: ed, Cause: j.Cause, CauseTxt: j.CauseTxt, Channel: j.Channel.data()}, true, nil
	case "ChannelHangupRequest":
		return &ariv6.ChannelHangupRequest{EventData: ed, Cause: j.Cause, Soft: j.Soft, Channel: j.Channel.data()}, true, nil
	case "ChannelDtmfReceived":
		return &ariv6.ChannelDtmfReceived{EventData: ed, Digit: j.Digit, DurationMs: j.DurationMs, Channel: j.Channel.data()}, true, nil
	case "ChannelVarset":
		return &ariv6.ChannelVarset{EventData: ed, Variable: j.Variable, Value: j.Value, Channel: j.Channel.data()}, true, nil
	case "ChannelEnteredBridge":
		return &ariv6.ChannelEnteredBridge{EventData: ed, Bridge: j.Bridge, Channel: j.Channel.data()}, true, nil
	case "ChannelLeftBridge":
		return &ariv6.ChannelLeftBridge{EventData: ed, Bridge: j.Bridge, Channel: j.Channel.data()}, true, nil
	default: // Dial
		return &ariv6.Dial{EventData: ed, Caller: j.Caller.data(), Peer: j.Peer.data(), Forwarded: j.Forwarded.data(),
			Dialstatus: j.Dialstatus, Dialstring: j.Dialstring, Forward: j.Forward}, true, nil
	}
}

// newEvent returns an empty event of the other hot types.
func newEvent(typ string) ariv6.Event {
	switch typ {
	case "PlaybackStarted":
		return new(ariv6.PlaybackStarted)
	case "PlaybackFinished":
		return new(ariv6.PlaybackFinished)
	case "RecordingStarted":
		return new(ariv6.RecordingStarted)
	case "RecordingFinished":
		return new(ariv6.RecordingFinished)
	case "RecordingFailed":
		return new(ariv6.RecordingFailed)
	}
	return nil
}

// decodeFrame decodes one websocket frame. skip is true (and ev nil) when
// the frame is a channel event for a channel no one routes or listens to.
func (r *Router) decodeFrame(data []byte) (ev ariv6.Event, typ string, skip bool, err error) {
	typ, ok := peekString(data, "type")
	if !ok {
		ev, err = ariv6.DecodeEvent(data)
		if err != nil {
			return nil, "", false, err
		}
		return ev, ev.GetType(), false, nil
	}
	if channelScoped[typ] {
		if ch := topField(data, "channel"); ch != nil {
			if id, ok := peekString(ch, "id"); ok && !r.wants(typ, id) {
				return nil, typ, true, nil
			}
		}
	} else if typ == "Dial" {
		// Routed by peer and caller: skip when neither is anyone's.
		peer, ok := peekString(topField(data, "peer"), "id")
		caller, _ := peekString(topField(data, "caller"), "id") // "" when absent
		if ok && !r.wants(typ, peer) && (caller == "" || !r.wants(typ, caller)) {
			return nil, typ, true, nil
		}
	}
	if ev, ok, err := decodeChannelEvent(typ, data); ok {
		if err != nil {
			return nil, typ, false, fmt.Errorf("decode %s: %w", typ, err)
		}
		return ev, typ, false, nil
	}
	ev = newEvent(typ)
	if ev == nil {
		ev, err = ariv6.DecodeEvent(data)
		return ev, typ, false, err
	}
	if err := json.Unmarshal(data, ev); err != nil {
		return nil, typ, false, fmt.Errorf("decode %s: %w", typ, err)
	}
	return ev, typ, false, nil
}

// wants reports whether an event of typ for channel id has a taker.
func (r *Router) wants(typ, id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.routes[routeKey{KindChannel, id}] != nil || len(r.listeners[typ]) > 0
}
