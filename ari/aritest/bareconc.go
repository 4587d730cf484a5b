package aritest

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"
	"github.com/google/uuid"
)

// BareLoopConcurrent originates n calls, at most c at a time, straight over
// HTTP into a throwaway application (with Switchyard's event filter) and
// starts the next one when a call's StasisEnd arrives on a raw websocket:
// the baseline a paced dialer is measured against. endpoint(i) is the i-th
// call's endpoint. It returns when all n calls have ended.
func BareLoopConcurrent(tb testing.TB, n, c int, endpoint func(i int) string) time.Duration {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b, app, conn := openBare(ctx, tb)
	defer conn.CloseNow()

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
