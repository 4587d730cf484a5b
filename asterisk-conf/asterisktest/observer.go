package asterisktest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Observer is an independent witness of what Asterisk really dialed: its
// own ARI websocket, subscribed to every channel (subscribeAll), counting
// per dialed extension the Local channels created and the calls that
// reached the customer (the far half of the Local pair ran its dialplan). Fault tests
// count double dials and missed records with it, not with Switchyard's own
// database. It reconnects by itself (an Asterisk restart) and counts the
// gaps.
type Observer struct {
	info   Info
	app    string
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	created   map[string]int // Local/<exten>@<context> ;1 channels by exten
	reached   map[string]int // ;2 halves that ran their dialplan, by exten
	seen      map[string]bool
	connected bool
	connects  int
}

// Observe starts an Observer on the Asterisk of info and waits until its
// websocket is connected; it stops when the test ends.
func Observe(t testing.TB, info Info) *Observer {
	t.Helper()
	o, err := StartObserver(info, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(o.Stop)
	return o
}

// StartObserver starts an Observer outside a test (a benchmark's witness
// process of its own) and waits up to wait until its websocket is
// connected; the caller stops it.
func StartObserver(info Info, wait time.Duration) (*Observer, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(context.Background())
	o := &Observer{info: info, app: "syobserver-" + hex.EncodeToString(b[:]), cancel: cancel,
		done: make(chan struct{}), created: map[string]int{}, reached: map[string]int{}, seen: map[string]bool{}}
	go o.run(ctx)
	deadline := time.Now().Add(wait)
	for !o.Connected() {
		if time.Now().After(deadline) {
			o.Stop()
			return nil, fmt.Errorf("asterisktest: observer websocket did not connect to %s", info.WSURL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return o, nil
}

// Stop closes the observer's websocket.
func (o *Observer) Stop() {
	o.cancel()
	<-o.done
}

// Connected reports whether the observer's websocket is up.
func (o *Observer) Connected() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.connected
}

// Connects is how many times the websocket connected (1 + reconnects).
func (o *Observer) Connects() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.connects
}

// Dialed returns per extension (the number dialed as
// Local/<number>@<context>) how many calls reached the customer: the far
// half of the Local pair started its dialplan. A channel Asterisk created
// but never called (an originate refused half way, e.g. while shutting
// down) does not count; Created counts those too.
func (o *Observer) Dialed() map[string]int { return o.copy(o.reached) }

// Created returns how many outbound Local channels were created per
// extension.
func (o *Observer) Created() map[string]int { return o.copy(o.created) }

func (o *Observer) copy(m map[string]int) map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (o *Observer) run(ctx context.Context) {
	defer close(o.done)
	hdr := http.Header{}
	hdr.Set("Authorization", o.info.BasicAuth())
	url := o.info.WSURL + "?subscribeAll=true&app=" + o.app
	for ctx.Err() == nil {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{HTTPHeader: hdr})
		cancel()
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		conn.SetReadLimit(16 << 20)
		o.filter(ctx)
		o.mu.Lock()
		o.connected = true
		o.connects++
		o.mu.Unlock()
		o.read(ctx, conn)
		o.mu.Lock()
		o.connected = false
		o.mu.Unlock()
		_ = conn.CloseNow()
	}
}

// observedEvents are the only events Asterisk sends the observer: with
// every channel of a busy Asterisk subscribed, the full stream would be a
// load of its own (and a slow reader fills Asterisk's event queue).
var observedEvents = []byte(`{"allowed": [{"type": "ChannelCreated"}, {"type": "ChannelDialplan"}, {"type": "ChannelStateChange"}]}`)

// filter sets the observer application's event filter (again after each
// reconnect: an Asterisk restart forgets it), trying for a moment while
// Asterisk registers the application.
func (o *Observer) filter(ctx context.Context) {
	for try := 0; try < 50 && ctx.Err() == nil; try++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, o.info.URL+"/applications/"+o.app+"/eventFilter", bytes.NewReader(observedEvents))
		if err != nil {
			return
		}
		req.Header.Set("Authorization", o.info.BasicAuth())
		req.Header.Set("Content-Type", "application/json")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (o *Observer) read(ctx context.Context, conn *websocket.Conn) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		str := string(data)
		if !strings.Contains(str, `"ChannelCreated"`) && !strings.Contains(str, `"ChannelDialplan"`) && !strings.Contains(str, `"ChannelStateChange"`) {
			continue
		}
		var ev struct {
			Type    string `json:"type"`
			Channel struct {
				Name  string `json:"name"`
				State string `json:"state"`
			} `json:"channel"`
			App string `json:"dialplan_app"`
		}
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		exten, pair, half, ok := localChannel(ev.Channel.Name)
		if !ok {
			continue
		}
		o.mu.Lock()
		switch {
		case ev.Type == "ChannelCreated" && half == "1":
			o.created[exten]++
		case ev.Type == "ChannelDialplan" && half == "2" && ev.App != "",
			ev.Type == "ChannelStateChange" && ev.Channel.State == "Up":
			// The customer's side ran its dialplan, or the call is up:
			// counted once per Local pair.
			if !o.seen[pair] {
				o.seen[pair] = true
				o.reached[exten]++
			}
		}
		o.mu.Unlock()
	}
}

// localChannel parses "Local/<exten>@<context>-<id>;<half>": the dialed
// extension, the pair ("<exten>@<context>-<id>", the same for both
// halves) and the half ("1": the outbound half; "2": the half that runs the
// dialed extension's dialplan).
func localChannel(name string) (exten, pair, half string, ok bool) {
	rest, ok := strings.CutPrefix(name, "Local/")
	if !ok {
		return "", "", "", false
	}
	pair, half, ok = strings.Cut(rest, ";")
	if !ok || (half != "1" && half != "2") {
		return "", "", "", false
	}
	exten, _, ok = strings.Cut(pair, "@")
	return exten, pair, half, ok && exten != ""
}
