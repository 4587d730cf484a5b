package ari

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"
)

// Events captured from the test Asterisk 22 (testdata/ari-events/<Type>.json,
// one event per file; the want field lists the routes it must reach).
func loadEvents(t testing.TB) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob("../testdata/ari-events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no captured events in testdata/ari-events (%v)", err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".json")] = b
	}
	return out
}

// TestCapturedEventsRoute decodes each captured event and checks it is
// routed by the IDs it carries.
func TestCapturedEventsRoute(t *testing.T) {
	for name, data := range loadEvents(t) {
		t.Run(name, func(t *testing.T) {
			ev, err := ariv6.DecodeEvent(data)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			typ := strings.SplitN(name, ".", 2)[0]
			if ev.GetType() != typ {
				t.Fatalf("type %s, file says %s", ev.GetType(), typ)
			}
			ids := eventIDs(ev, nil)
			if len(ids) == 0 {
				t.Fatalf("%s carries no routable ID", name)
			}
			r := NewRouter()
			mb := NewMailbox()
			r.Register(ids[0].kind, ids[0].id, mb)
			if !r.Dispatch(ev) || mb.Len() != 1 {
				t.Fatalf("%s not delivered to %v", name, ids[0])
			}
		})
	}
}

// FuzzDispatch feeds arbitrary websocket frames through the decoder and the
// router: nothing may panic, and a decoded event reaches every mailbox
// registered for one of its IDs exactly once.
func FuzzDispatch(f *testing.F) {
	for _, data := range loadEvents(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"type":"StasisStart","args":["inbound","+4930"],"channel":{"id":"a"}}`))
	f.Add([]byte(`{"type":"ChannelEnteredBridge","bridge":{"id":"b","channels":["a"]},"channel":{"id":"a"}}`))
	f.Add([]byte(`{"type":"Dial","peer":{"id":"p"},"caller":{"id":"p"},"dialstatus":"BUSY"}`))
	f.Add([]byte(`{"type":"Nope"}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ariv6.DecodeEvent(data)
		if err != nil || ev == nil {
			return
		}
		r := NewRouter()
		var unrouted int
		r.Unrouted = func(ariv6.Event) { unrouted++ }
		ids := eventIDs(ev, nil)
		mb := NewMailbox()
		for _, k := range ids {
			r.Register(k.kind, k.id, mb)
		}
		delivered := r.Dispatch(ev)
		if len(ids) > 0 && (!delivered || mb.Len() != 1) {
			t.Fatalf("event with IDs %v: delivered=%v len=%d", ids, delivered, mb.Len())
		}
		if len(ids) == 0 && unrouted != 1 {
			t.Fatalf("event without IDs not reported unrouted")
		}
	})
}

func TestTopField(t *testing.T) {
	data := []byte(` { "a" : [1, {"type":"inner"}, "x\"y"], "type":"StasisStart", "channel": {"id":"abc","name":"Local/x"}, "n": -1.5e3, "t": true }`)
	tests := []struct{ key, want string }{
		{"type", `"StasisStart"`}, {"a", `[1, {"type":"inner"}, "x\"y"]`}, {"channel", `{"id":"abc","name":"Local/x"}`},
		{"n", `-1.5e3`}, {"t", `true`}, {"missing", ``},
	}
	for _, tt := range tests {
		if got := string(topField(data, tt.key)); got != tt.want {
			t.Errorf("topField(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
	if id, ok := peekString(topField(data, "channel"), "id"); !ok || id != "abc" {
		t.Errorf("channel id = %q %v", id, ok)
	}
	if _, ok := peekString([]byte(`{"type":"a\"b"}`), "type"); ok {
		t.Error("escaped string must not be peeked")
	}
	for _, bad := range []string{``, `[]`, `{`, `{"type"`, `{"type":`, `{"type":"x`, `{"a":{"b":1}`, `{"a" 1}`} {
		if v := topField([]byte(bad), "type"); v != nil {
			t.Errorf("topField(%q) = %q, want nil", bad, v)
		}
	}
}

// FuzzTopField: wherever encoding/json finds exactly one top-level "type",
// the scanner finds the same value.
func FuzzTopField(f *testing.F) {
	for _, data := range loadEvents(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"type":"x","a":{"type":"y"}}`))
	f.Add([]byte(`{"a":"\"type\"","type":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := topField(data, "type") // must not panic on anything
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil {
			return
		}
		want, ok := m["type"]
		if !ok || bytes.Count(data, []byte(`"type"`)) != 1 {
			return
		}
		if !bytes.Equal(bytes.TrimSpace(got), bytes.TrimSpace(want)) {
			t.Fatalf("topField = %q, encoding/json = %q", got, want)
		}
	})
}

// TestDecodeFrameSkipsUnroutedChannels: channel events for channels no one
// routes are not decoded; routed ones decode to the concrete type.
func TestDecodeFrameSkipsUnroutedChannels(t *testing.T) {
	r := NewRouter()
	frame := []byte(`{"type":"ChannelStateChange","channel":{"id":"mine","state":"Up"},"application":"a"}`)
	if _, _, skip, err := r.decodeFrame(frame); !skip || err != nil {
		t.Fatalf("unrouted: skip=%v err=%v", skip, err)
	}
	r.Register(KindChannel, "mine", NewMailbox())
	ev, typ, skip, err := r.decodeFrame(frame)
	if skip || err != nil || typ != "ChannelStateChange" {
		t.Fatalf("routed: skip=%v err=%v typ=%s", skip, err, typ)
	}
	if e, ok := ev.(*ariv6.ChannelStateChange); !ok || e.Channel.State != "Up" {
		t.Fatalf("decoded %#v", ev)
	}
	// StasisStart of an unknown channel is never skipped: it is a new call.
	if _, _, skip, err := r.decodeFrame([]byte(`{"type":"StasisStart","channel":{"id":"new"},"args":[]}`)); err != nil {
		t.Fatalf("r.decodeFrame: %v", err)
	} else if skip {
		t.Fatal("StasisStart skipped")
	}
	// Dial is routed by peer or caller.
	dial := []byte(`{"type":"Dial","peer":{"id":"p"},"caller":{"id":"mine"},"dialstatus":"ANSWER"}`)
	if _, _, skip, err := r.decodeFrame(dial); err != nil {
		t.Fatalf("r.decodeFrame(dial): %v", err)
	} else if skip {
		t.Fatal("Dial with a routed caller skipped")
	}
	if _, _, skip, err := r.decodeFrame([]byte(`{"type":"Dial","peer":{"id":"p"},"dialstatus":""}`)); err != nil {
		t.Fatalf("r.decodeFrame: %v", err)
	} else if !skip {
		t.Fatal("Dial for nobody's channels not skipped")
	}
	// A listener for a type takes every channel's events.
	r.Listen("ChannelDestroyed", func(ariv6.Event) {})
	if _, _, skip, err := r.decodeFrame([]byte(`{"type":"ChannelDestroyed","channel":{"id":"other"}}`)); err != nil {
		t.Fatalf("r.decodeFrame: %v", err)
	} else if skip {
		t.Fatal("listened type skipped")
	}
}

func BenchmarkDecodeFrame(b *testing.B) {
	frame := []byte(`{"type":"ChannelStateChange","timestamp":"2026-11-21T10:07:14.035+0000","channel":{"id":"7c055ef6-3c86-4aff-a3ae-47cd41fc69fe","name":"Local/answer-wait-1@customers-00000001;1","state":"Up","protocol_id":"","caller":{"name":"","number":""},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"customers","exten":"answer-wait-1","priority":1,"app_name":"","app_data":""},"creationtime":"2026-11-21T10:07:13.035+0000","language":"en"},"asterisk_id":"02:fc:00:00:00:01","application":"sy"}`)
	r := NewRouter()
	r.Register(KindChannel, "7c055ef6-3c86-4aff-a3ae-47cd41fc69fe", NewMailbox())
	b.Run("ariv6.DecodeEvent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ariv6.DecodeEvent(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeFrame", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, _, err := r.decodeFrame(frame); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestOnePassDecodeMatchesARIv6: for every captured event the one-pass
// decoder builds exactly the event ari/v6's DecodeEvent builds.
func TestOnePassDecodeMatchesARIv6(t *testing.T) {
	for name, data := range loadEvents(t) {
		t.Run(name, func(t *testing.T) {
			want, err := ariv6.DecodeEvent(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeAll(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("one-pass decode differs:\n got %#v\nwant %#v", got, want)
			}
		})
	}
}

// decodeAll decodes a frame like the stream does, without skipping.
func decodeAll(data []byte) (ariv6.Event, error) {
	typ, _ := peekString(data, "type")
	if ev, ok, err := decodeChannelEvent(typ, data); ok {
		return ev, err
	}
	if ev := newEvent(typ); ev != nil {
		return ev, json.Unmarshal(data, ev)
	}
	return ariv6.DecodeEvent(data)
}

// FuzzOnePassDecode: wherever ari/v6 decodes a frame, the one-pass decoder
// decodes it to the same event.
func FuzzOnePassDecode(f *testing.F) {
	for _, data := range loadEvents(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, err := ariv6.DecodeEvent(data)
		if err != nil {
			return
		}
		if _, ok := peekString(data, "type"); !ok {
			return // escaped or odd type strings take the ari/v6 path
		}
		got, err := decodeAll(data)
		if err != nil {
			t.Fatalf("ari/v6 decodes %q but one-pass fails: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("differs for %q:\n got %#v\nwant %#v", data, got, want)
		}
	})
}
