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
// ChannelCreated events of Local channels per dialed extension. Fault tests
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
		done: make(chan struct{}), created: map[string]int{}}
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

// Dialed returns how many outbound Local channels were created per
// extension (the number dialed as Local/<number>@<context>).
func (o *Observer) Dialed() map[string]int {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]int, len(o.created))
	for k, v := range o.created {
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
		if !strings.Contains(string(data), `"ChannelCreated"`) {
			continue
		}
		var ev struct {
			Type    string `json:"type"`
			Channel struct {
				Name string `json:"name"`
			} `json:"channel"`
		}
		if json.Unmarshal(data, &ev) != nil || ev.Type != "ChannelCreated" {
			continue
		}
		if exten, ok := localExten(ev.Channel.Name); ok {
			o.mu.Lock()
			o.created[exten]++
			o.mu.Unlock()
		}
	}
}

// localExten parses "Local/<exten>@<context>-<id>;1" (the outbound half of
// a Local channel pair; ;2 is the same call's other half).
func localExten(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, "Local/")
	if !ok || !strings.HasSuffix(rest, ";1") {
		return "", false
	}
	exten, _, ok := strings.Cut(rest, "@")
	return exten, ok && exten != ""
}
