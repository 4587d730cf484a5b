package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/coder/websocket"
	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
)

// Bare is a minimal ARI client for benchmark baselines: raw HTTP requests
// and a raw events websocket, no routing, no records.
type Bare struct {
	info asterisktest.Info
	hc   *http.Client
}

// Do sends one REST request; trace, if set, observes it.
func (b *Bare) Do(tb testing.TB, method, path string, body []byte, trace *httptrace.ClientTrace) {
	r, _ := http.NewRequest(method, b.info.URL+path, bytes.NewReader(body))
	if trace != nil {
		r = r.WithContext(httptrace.WithClientTrace(r.Context(), trace))
	}
	r.SetBasicAuth(b.info.User, b.info.Password)
	r.Header.Set("Content-Type", "application/json")
	resp, err := b.hc.Do(r)
	if err != nil {
		tb.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		tb.Errorf("bare %s %s: %s", method, path, resp.Status)
	}
}

// BareLoop originates n calls at once to Local/<ext>@customers straight
// over HTTP into a throwaway application (with Switchyard's event filter,
// so Asterisk does the same work) and reads its events on a raw websocket:
// the floor an ARI layer is measured against. onFrame, if set, sees every
// event frame and may act on it with b.Do. It returns when all n calls
// have ended.
func BareLoop(tb testing.TB, n int, ext string, onFrame func(b *Bare, frame []byte)) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, app, conn := openBare(ctx, tb)
	defer conn.CloseNow()
	ended := make(chan struct{}, n)
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if onFrame != nil {
				onFrame(b, data)
			}
			if bytes.Contains(data, []byte(`"StasisEnd"`)) {
				ended <- struct{}{}
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body, _ := json.Marshal(ariv6.OriginateRequest{Endpoint: "Local/" + ext + "@customers", App: app, Timeout: 30, ChannelID: uuid.NewString()})
			b.Do(tb, http.MethodPost, "/channels", body, nil)
		}()
	}
	wg.Wait()
	timeout := time.After(5 * time.Minute)
	for i := range n {
		select {
		case <-ended:
		case <-timeout:
			tb.Fatalf("bare loop: only %d of %d calls ended", i, n)
		}
	}
	return time.Since(start)
}

// WaitIdle waits (up to 2 minutes) until Asterisk has torn every channel
// down, so one benchmark phase's teardown does not slow the next. Other
// test packages may share the Asterisk; then it goes on after logging.
func WaitIdle(tb testing.TB, c *ari.Client) {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		chs, err := c.Channels(context.Background())
		if err == nil && len(chs) == 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tb.Log("Asterisk still has channels (shared with other tests?); going on")
}

// openBare opens a throwaway application on the shared Asterisk: its raw
// event websocket (read limit 16 MiB) with Switchyard's event filter, and a
// Bare client for its REST calls. The caller closes the websocket.
func openBare(ctx context.Context, tb testing.TB) (*Bare, string, *websocket.Conn) {
	tb.Helper()
	info := asterisktest.Require(tb)
	app := "sybare-" + uuid.NewString()[:8]
	hdr := http.Header{}
	hdr.Set("Authorization", info.BasicAuth())
	conn, _, err := websocket.Dial(ctx, strings.Replace(info.URL, "http", "ws", 1)+"/events?app="+app, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetReadLimit(16 << 20)
	if fc, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app}); err != nil {
		conn.CloseNow()
		tb.Fatal(err)
	} else if err := fc.SetEventFilter(ctx, ari.DefaultDisallowedEvents); err != nil {
		conn.CloseNow()
		tb.Fatal(err)
	}
	return &Bare{info: info, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}}, app, conn
}
