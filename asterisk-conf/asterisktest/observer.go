package asterisktest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
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
	var b [4]byte
	_, _ = rand.Read(b[:])
	ctx, cancel := context.WithCancel(context.Background())
	o := &Observer{info: info, app: "syobserver-" + hex.EncodeToString(b[:]), cancel: cancel,
		done: make(chan struct{}), created: map[string]int{}, reached: map[string]int{}, seen: map[string]bool{}}
	go o.run(ctx)
	t.Cleanup(o.Stop)
	deadline := time.Now().Add(15 * time.Second)
	for !o.Connected() {
		if time.Now().After(deadline) {
			t.Fatalf("asterisktest: observer websocket did not connect to %s", info.WSURL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return o
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

func (o *Observer) read(ctx context.Context, conn *websocket.Conn) {
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		created := strings.Contains(string(data), `"ChannelCreated"`)
		if !created && !strings.Contains(string(data), `"ChannelDialplan"`) {
			continue
		}
		var ev struct {
			Type    string `json:"type"`
			Channel struct {
				ID   string `json:"id"`
				Name string `json:"name"`
			} `json:"channel"`
			App string `json:"dialplan_app"`
		}
		if json.Unmarshal(data, &ev) != nil {
			continue
		}
		switch ev.Type {
		case "ChannelCreated":
			if exten, ok := localExten(ev.Channel.Name, ";1"); ok {
				o.mu.Lock()
				o.created[exten]++
				o.mu.Unlock()
			}
		case "ChannelDialplan":
			if exten, ok := localExten(ev.Channel.Name, ";2"); ok && ev.App != "" {
				o.mu.Lock()
				if !o.seen[ev.Channel.ID] {
					o.seen[ev.Channel.ID] = true
					o.reached[exten]++
				}
				o.mu.Unlock()
			}
		}
	}
}

// localExten parses "Local/<exten>@<context>-<id>;1" or ";2" (half is
// ";1", the outbound half of a Local channel pair, or ";2", the half that
// runs the dialplan of the dialed extension).
func localExten(name, half string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "Local/")
	if !ok || !strings.HasSuffix(rest, half) {
		return "", false
	}
	exten, _, ok := strings.Cut(rest, "@")
	return exten, ok && exten != ""
}
