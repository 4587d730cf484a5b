package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
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

// BareLoopConcurrent originates n calls, at most c at a time, straight over
// HTTP into a throwaway application (with Switchyard's event filter) and
// starts the next one when a call's StasisEnd arrives on a raw websocket:
// the baseline a paced dialer is measured against. endpoint(i) is the i-th
// call's endpoint. It returns when all n calls have ended.
func BareLoopConcurrent(tb testing.TB, n, c int, endpoint func(i int) string) time.Duration {
	info := asterisktest.Require(tb)
	app := "sybare-" + uuid.NewString()[:8]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hdr := http.Header{}
	hdr.Set("Authorization", info.BasicAuth())
	conn, _, err := websocket.Dial(ctx, strings.Replace(info.URL, "http", "ws", 1)+"/events?app="+app, &websocket.DialOptions{HTTPHeader: hdr})
	if err != nil {
		tb.Fatal(err)
	}
	conn.SetReadLimit(16 << 20)
	defer conn.CloseNow()
	if fc, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app}); err != nil {
		tb.Fatal(err)
	} else if err := fc.SetEventFilter(ctx, ari.DefaultDisallowedEvents); err != nil {
		tb.Fatal(err)
	}
	b := &Bare{info: info, hc: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}}

	var mu sync.Mutex
	waiting := make(map[string]chan struct{}, c)
	go func() {
		for {
			_, data, err := conn.Read(ctx)
			if err != nil {
				return
			}
			if !bytes.Contains(data, []byte(`"StasisEnd"`)) {
				continue
			}
			var ev struct {
				Channel struct {
					ID string `json:"id"`
				} `json:"channel"`
			}
			if json.Unmarshal(data, &ev) != nil {
				continue
			}
			mu.Lock()
			if ch := waiting[ev.Channel.ID]; ch != nil {
				close(ch)
				delete(waiting, ev.Channel.ID)
			}
			mu.Unlock()
		}
	}()

	next := make(chan int)
	go func() {
		defer close(next)
		for i := range n {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := uuid.NewString()
				done := make(chan struct{})
				mu.Lock()
				waiting[id] = done
				mu.Unlock()
				body, _ := json.Marshal(ariv6.OriginateRequest{Endpoint: endpoint(i), App: app, Timeout: 30, ChannelID: id})
				b.Do(tb, http.MethodPost, "/channels", body, nil)
				select {
				case <-done:
				case <-time.After(2 * time.Minute):
					tb.Errorf("bare loop: call %d (%s) never ended", i, id)
					return
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(start)
}
