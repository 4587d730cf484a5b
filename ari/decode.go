package ari

import (
	"bytes"
	"encoding/json"
	"fmt"

	ariv6 "github.com/CyCoreSystems/ari/v6"
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

// newEvent returns an empty event of a hot type, so it is decoded once.
func newEvent(typ string) ariv6.Event {
	switch typ {
	case "StasisStart":
		return new(ariv6.StasisStart)
	case "StasisEnd":
		return new(ariv6.StasisEnd)
	case "ChannelStateChange":
		return new(ariv6.ChannelStateChange)
	case "ChannelDestroyed":
		return new(ariv6.ChannelDestroyed)
	case "ChannelHangupRequest":
		return new(ariv6.ChannelHangupRequest)
	case "ChannelDtmfReceived":
		return new(ariv6.ChannelDtmfReceived)
	case "ChannelVarset":
		return new(ariv6.ChannelVarset)
	case "ChannelDialplan":
		return new(ariv6.ChannelDialplan)
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
	case "ChannelEnteredBridge":
		return new(ariv6.ChannelEnteredBridge)
	case "ChannelLeftBridge":
		return new(ariv6.ChannelLeftBridge)
	case "Dial":
		return new(ariv6.Dial)
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
