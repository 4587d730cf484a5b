package ari_test

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/internal/testkit"
)

// lossyProxy sits between the Manager and ARI and, when armed, loses the
// next originate in transit: "drop" reads the whole request and closes the
// connection without passing it on (Asterisk never sees it); "lose" passes
// it on and closes the connection instead of returning Asterisk's answer
// (the channel exists, Switchyard does not know). Everything else, the
// events websocket included, passes through untouched.
type lossyProxy struct {
	rp     *httputil.ReverseProxy
	target *url.URL
	mu     sync.Mutex
	mode   string
	hit    chan struct{}
	// slowMarks delays every write of a global variable (the placement
	// marks' probe after each connect) by that long.
	slowMarks time.Duration
}

func startLossyProxy(t *testing.T, info asterisktest.Info) (*lossyProxy, string) {
	t.Helper()
	u, err := url.Parse(info.URL)
	if err != nil {
		t.Fatal(err)
	}
	target := &url.URL{Scheme: u.Scheme, Host: u.Host}
	p := &lossyProxy{rp: httputil.NewSingleHostReverseProxy(target), target: target, hit: make(chan struct{}, 16)}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL + u.Path
}

func (p *lossyProxy) arm(mode string) {
	p.mu.Lock()
	p.mode = mode
	p.mu.Unlock()
}

func (p *lossyProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/asterisk/variable") {
		p.mu.Lock()
		d := p.slowMarks
		p.mu.Unlock()
		time.Sleep(d)
	}
	var mode string
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/channels") {
		p.mu.Lock()
		mode, p.mode = p.mode, ""
		p.mu.Unlock()
	}
	if mode == "" {
		p.rp.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if mode == "lose" {
		out := r.Clone(context.Background())
		out.URL.Scheme, out.URL.Host, out.Host, out.RequestURI = p.target.Scheme, p.target.Host, p.target.Host, ""
		out.Body = io.NopCloser(strings.NewReader(string(body)))
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
	p.hit <- struct{}{}
}

// TestOriginateLostInTransit: an originate whose answer is lost with the
// link is settled from Asterisk itself, never guessed. A request Asterisk
// never received is "not placed" (the attempt is made again and dials
// once); one it received is placed — followed to its end if the channel is
// up, recorded as the lost originate if it has already ended — and never
// dialed twice. Counted by an observer on ARI.
func TestOriginateLostInTransit(t *testing.T) {
	info := asterisktest.Require(t)
	obs := asterisktest.Observe(t, info)
	px, pxURL := startLossyProxy(t, info)
	rec := newMemRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{URL: pxURL})
	area := 200 + rand.IntN(700) // a number range of this run only

	originate := func(line, attempt string, handler ari.Handler) (*ari.Call, string, error) {
		number := fmt.Sprintf("+1%03d555%s", area, line)
		c, err := m.Originate(context.Background(), ari.OriginateParams{
			Endpoint: "Local/" + number + "@test-trunk", Timeout: 10 * time.Second,
			Attempt: &ari.Attempt{AccountID: 1, AttemptID: attempt},
			Handler: handler,
		})
		return c, number, err
	}
	hold := func(ctx context.Context, c *ari.Call) error { // until the customer hangs up
		for !c.HungUp() {
			if _, err := c.Next(ctx, 0); err != nil {
				return err
			}
		}
		return nil
	}
	dialed := func(number string) int { return obs.Dialed()[number] }

	t.Run("dropped before Asterisk: not placed, dialed once on the retry", func(t *testing.T) {
		px.arm("drop")
		id := "lost-drop-" + fmt.Sprint(area)
		_, number, err := originate("0102", id, hold)
		<-px.hit
		if !errors.Is(err, ari.ErrUnavailable) {
			t.Fatalf("originate dropped in transit: err = %v, want ErrUnavailable (not placed)", err)
		}
		if d := rec.Discarded(); len(d) != 1 || d[0] != id {
			t.Fatalf("discarded attempts = %v, want [%s]", d, id)
		}
		if n := dialed(number); n != 0 {
			t.Fatalf("%s dialed %d times by the dropped request, want 0", number, n)
		}
		c, _, err := originate("0102", id, hold)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		<-c.Done()
		testkit.Poll(10*time.Second, func() bool { return dialed(number) == 1 })
		if n := dialed(number); n != 1 {
			t.Fatalf("%s dialed %d times, want once", number, n)
		}
	})

	t.Run("answer lost, channel up: placed and followed", func(t *testing.T) {
		px.arm("lose")
		ran := make(chan struct{}, 1)
		c, number, err := originate("0103", "lost-up-"+fmt.Sprint(area), func(ctx context.Context, c *ari.Call) error {
			ran <- struct{}{}
			return hold(ctx, c)
		})
		if err != nil {
			t.Fatalf("originate whose answer was lost: %v, want placed", err)
		}
		<-c.Done()
		select {
		case <-ran:
		default:
			t.Errorf("the answered call's handler never ran")
		}
		if !c.Started() {
			t.Errorf("call not recorded answered")
		}
		if n := dialed(number); n != 1 {
			t.Fatalf("%s dialed %d times, want once", number, n)
		}
	})

	t.Run("answer lost, channel ended: placed, recorded, not dialed again", func(t *testing.T) {
		px.arm("lose")
		id := "lost-busy-" + fmt.Sprint(area)
		c, number, err := originate("0130", id, hold)
		if err != nil {
			t.Fatalf("originate whose answer was lost: %v, want placed", err)
		}
		<-c.Done()
		end, ok := rec.End(id)
		if !ok {
			t.Fatalf("attempt %s not recorded finished", id)
		}
		if end.Status == "" {
			t.Errorf("attempt %s finished without a status: %+v", id, end)
		}
		for _, d := range rec.Discarded() {
			if d == id {
				t.Errorf("placed attempt %s was discarded", id)
			}
		}
		if n := dialed(number); n != 1 {
			t.Fatalf("%s dialed %d times, want once", number, n)
		}
	})
}

// TestOriginateRightAfterConnect: the stream reports itself connected
// before the link's Connected hook has learnt Asterisk's run and probed
// the placement marks; an originate issued in that moment whose request
// is then lost in transit must still be settled from Asterisk (not
// placed), not counted as placed for want of a mark.
func TestOriginateRightAfterConnect(t *testing.T) {
	info := asterisktest.Require(t)
	px, pxURL := startLossyProxy(t, info)
	px.mu.Lock()
	px.slowMarks = time.Second
	px.mu.Unlock()
	rec := newMemRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{URL: pxURL}) // returns once connected
	px.arm("drop")
	id := fmt.Sprintf("lost-early-%d", rand.IntN(1e9))
	_, err := m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: fmt.Sprintf("Local/+1%03d5550199@test-trunk", 200+rand.IntN(700)), Timeout: 10 * time.Second,
		Attempt: &ari.Attempt{AccountID: 1, AttemptID: id},
		Handler: func(context.Context, *ari.Call) error { return nil },
	})
	<-px.hit
	if !errors.Is(err, ari.ErrUnavailable) {
		t.Fatalf("originate dropped in transit right after connect: err = %v, want ErrUnavailable (not placed)", err)
	}
}

// TestPlacementMarksClearedOnStop: a manager that stops removes the
// placement marks it used from Asterisk's globals and its subscriptions
// to event sources, so Asterisk drops its application (each application
// name would otherwise stay on a shared Asterisk for good).
func TestPlacementMarksClearedOnStop(t *testing.T) {
	info := asterisktest.Require(t)
	app := fmt.Sprintf("sytest-marks-%d", rand.IntN(1e9))
	client, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app, Logger: aritest.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	m := ari.NewManager(ari.ManagerConfig{Client: client, Recorder: newMemRecorder(), Node: app, Logger: aritest.Logger(t)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	testkit.Eventually(t, 20*time.Second, func() bool { return m.Stream().State().Connected }, "ARI connected")
	if _, err := m.Originate(context.Background(), ari.OriginateParams{
		Endpoint: fmt.Sprintf("Local/+1%03d5550102@test-trunk", 200+rand.IntN(700)), Timeout: 10 * time.Second,
		Handler: func(context.Context, *ari.Call) error { return nil },
	}); err != nil {
		t.Fatal(err)
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(app + "\x00" + app))
	prefix := fmt.Sprintf("SWITCHYARD_PLACED_%08x_", h.Sum32())
	// A subscription like the ACD's (every PJSIP endpoint) keeps an
	// application registered in Asterisk after its websocket closed.
	if err := client.Subscribe(context.Background(), "endpoint:PJSIP"); err != nil {
		t.Fatal(err)
	}
	probe, err := client.GlobalVar(context.Background(), prefix+"probe")
	if err != nil || probe == "" {
		t.Fatalf("placement mark probe while running: %q, %v (the mark names changed?)", probe, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("manager did not stop")
	}
	// Asterisk drops an application whose websocket is gone and that has
	// no subscription left when it next tidies its registry (on the next
	// application's connect).
	aritest.StartManager(t, newMemRecorder(), aritest.Options{})
	testkit.Eventually(t, 5*time.Second, func() bool {
		apps, err := client.Applications(context.Background())
		return err == nil && !slices.Contains(apps, app)
	}, "application "+app+" no longer registered in Asterisk")
	for _, name := range []string{prefix + "probe", prefix + "0"} {
		if v, err := client.GlobalVar(context.Background(), name); err != nil && !errors.Is(err, ari.ErrNotFound) {
			t.Fatal(err)
		} else if v != "" {
			t.Errorf("%s = %q after the manager stopped, want it removed", name, v)
		}
	}
}
