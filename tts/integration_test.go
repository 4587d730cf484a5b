package tts_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/ari/aritest"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/tts"
)

// requireTools fails (CI=true) or skips the test without espeak-ng and sox
// (.ci/ensure-media-tools.sh installs them).
func requireTools(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is required (CI=true): %v", bin, err)
			}
			t.Skipf("%s not installed: %v", bin, err)
		}
	}
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// countedEngine counts the runs of a real engine.
type countedEngine struct {
	tts.Engine
	runs atomic.Int64
}

func (c *countedEngine) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	c.runs.Add(1)
	return c.Engine.Synthesize(ctx, voice, text, ssml)
}

// mediaServer keeps published WAVs and serves them over HTTP as Asterisk's
// media cache fetches them: sound:http://127.0.0.1:<port>/<hash>.wav.
type mediaServer struct {
	mu    sync.Mutex
	files map[string][]byte
	gets  atomic.Int64
	pubs  atomic.Int64
	srv   *httptest.Server
}

func newMediaServer(t testing.TB) *mediaServer {
	m := &mediaServer{files: map[string][]byte{}}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		b, ok := m.files[strings.TrimPrefix(r.URL.Path, "/")]
		m.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		m.gets.Add(1)
		w.Header().Set("Content-Type", "audio/wav")
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		_, _ = w.Write(b)
	}))
	t.Cleanup(m.srv.Close)
	return m
}

func (m *mediaServer) Publish(_ context.Context, acct int64, wav []byte) (string, error) {
	m.pubs.Add(1)
	sum := sha256.Sum256(wav)
	name := hex.EncodeToString(sum[:]) + ".wav"
	m.mu.Lock()
	m.files[name] = wav
	m.mu.Unlock()
	_, port, err := net.SplitHostPort(m.srv.Listener.Addr().String())
	if err != nil {
		return "", err
	}
	return "sound:http://127.0.0.1:" + port + "/" + name, nil
}

func newService(t testing.TB, st tts.Store, eng tts.Engine, pub tts.Publisher) *tts.Service {
	t.Helper()
	s, err := tts.New(tts.Config{Store: st, Publisher: pub, Local: eng, SecretKey: []byte("integration-test-key-0123456789")})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wavSeconds(t testing.TB, b []byte) float64 {
	t.Helper()
	info, err := tts.ParseWAV(b)
	if err != nil {
		t.Fatal(err)
	}
	if info.Rate != 8000 || info.Channels != 1 || info.Bits != 16 {
		t.Fatalf("audio %d Hz %d ch %d bit; want 8000 mono 16", info.Rate, info.Channels, info.Bits)
	}
	return float64(len(info.Data)) / 16000
}

// TestEspeak: the local engine lists espeak-ng's languages, speaks text
// and SSML as 8 kHz mono 16-bit WAV in the chosen voice, and refuses an
// unknown voice or variant with a coded error.
func TestEspeak(t *testing.T) {
	requireTools(t)
	ctx := context.Background()
	e := &tts.Espeak{}
	vs, err := e.Voices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, v := range vs {
		have[v.ID] = true
	}
	for _, want := range []string{"en-us", "en-gb", "fr-fr", "de", "es", "hi"} {
		if !have[want] {
			t.Errorf("voices lack %s (%d voices)", want, len(vs))
		}
	}
	plain, err := e.Synthesize(ctx, "en-us", "Your payment is due tomorrow.", false)
	if err != nil {
		t.Fatal(err)
	}
	d := wavSeconds(t, plain)
	if d < 1 || d > 5 {
		t.Errorf("a six-word sentence lasts %.2f s", d)
	}
	ssml, err := e.Synthesize(ctx, "en-us", `<speak>Your payment <break time="2s"/> is due tomorrow.</speak>`, true)
	if err != nil {
		t.Fatal(err)
	}
	if ds := wavSeconds(t, ssml); ds < d+1.5 {
		t.Errorf("SSML with a 2 s break lasts %.2f s; the plain sentence %.2f s", ds, d)
	}
	// "fr" is another code of fr-fr; a variant changes the voice.
	if _, err := e.Synthesize(ctx, "fr+Alicia", "Bonjour", false); err != nil {
		t.Errorf("French by its short code, with a variant: %v", err)
	}
	for _, bad := range []string{"xx-nope", "en-us+nosuchvariant"} {
		if _, err := e.Synthesize(ctx, bad, "Hi", false); !errors.Is(err, tts.ErrUnknownVoice) {
			t.Errorf("voice %q: %v; want ErrUnknownVoice", bad, err)
		}
	}
	missing := &tts.Espeak{Binary: filepath.Join(t.TempDir(), "no-espeak-ng")}
	if _, err := missing.Synthesize(ctx, "en-us", "Hi", false); !errors.Is(err, tts.ErrEngine) {
		t.Errorf("espeak-ng missing: %v; want ErrEngine", err)
	}
	broken := &tts.Espeak{Binary: "espeak-ng", Sox: filepath.Join(t.TempDir(), "no-sox")}
	if _, err := broken.Synthesize(ctx, "en-us", "Hi", false); !errors.Is(err, tts.ErrEngine) {
		t.Errorf("sox missing: %v; want ErrEngine", err)
	}
}

// TestSynthesizeOnceEspeak: with the real espeak-ng and the real store,
// 1,000 calls asking at once for the same sentence run espeak-ng once,
// and after a restart (a new service on the same database) not at all.
func TestSynthesizeOnceEspeak(t *testing.T) {
	requireTools(t)
	st := openStore(t)
	acct, err := st.CreateAccount(context.Background(), "tts-once")
	if err != nil {
		t.Fatal(err)
	}
	eng := &countedEngine{Engine: &tts.Espeak{}}
	media := newMediaServer(t)
	s := newService(t, st, eng, media)
	const calls = 1000
	var wg sync.WaitGroup
	uris := make([]string, calls)
	errs := make([]error, calls)
	start := make(chan struct{})
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var u []string
			u, errs[i] = s.Synthesize(context.Background(), acct.ID, "Your payment of forty two euros is due tomorrow.")
			if len(u) == 1 {
				uris[i] = u[0]
			}
		}()
	}
	close(start)
	wg.Wait()
	for i := range calls {
		if errs[i] != nil || uris[i] != uris[0] {
			t.Fatalf("call %d: %q %v (first %q)", i, uris[i], errs[i], uris[0])
		}
	}
	if eng.runs.Load() != 1 || media.pubs.Load() != 1 {
		t.Fatalf("%d calls ran espeak-ng %d times, published %d times; want once", calls, eng.runs.Load(), media.pubs.Load())
	}
	s2 := newService(t, st, eng, media)
	u, err := s2.Synthesize(context.Background(), acct.ID, "Your payment of forty two euros is due tomorrow.")
	if err != nil || u[0] != uris[0] || eng.runs.Load() != 1 {
		t.Fatalf("after restart: %v %v, %d runs", u, err, eng.runs.Load())
	}
}

var soxStat = regexp.MustCompile(`(?m)^(Length \(seconds\)|RMS\s+amplitude):\s+([0-9.]+)`)

// heard returns the length and RMS amplitude sox finds in a recording.
func heard(t *testing.T, path string) (secs, rms float64) {
	t.Helper()
	out, err := exec.Command("sox", path, "-n", "stat").CombinedOutput()
	if err != nil {
		t.Fatalf("sox stat %s: %v\n%s", path, err, out)
	}
	for _, m := range soxStat.FindAllStringSubmatch(string(out), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(m[1], "Length") {
			secs = v
		} else {
			rms = v
		}
	}
	return secs, rms
}

// TestTTSOnAsterisk: a flow's play widget with a tts: item on a real
// call: espeak-ng speaks the sentence, the audio is fetched by Asterisk
// over HTTP (sound:http://…) and the customer hears speech, not silence
// (recorded on the far side, measured with sox). A second call with the
// same sentence does not synthesise it again.
func TestTTSOnAsterisk(t *testing.T) {
	requireTools(t)
	info := asterisktest.Require(t)
	if info.Root == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the recording of what the customer heard needs the local dev Asterisk (CI=true)")
		}
		t.Skip("the recording of what the customer heard needs the local dev Asterisk")
	}
	st := openStore(t)
	acct, err := st.CreateAccount(context.Background(), "tts-asterisk")
	if err != nil {
		t.Fatal(err)
	}
	eng := &countedEngine{Engine: &tts.Espeak{}}
	media := newMediaServer(t)
	svc := newService(t, st, eng, media)
	rec := aritest.NewRecorder()
	m := aritest.StartManager(t, rec, aritest.Options{Prefix: "sytts"})
	e := &flows.Engine{TTS: svc, Logger: aritest.Logger(t)}
	doc := `{"format":1,"name":"tts","type":"outbound_multicast","start":"say",
	 "nodes":[{"id":"say","type":"play","params":{"media":["sound:silence/1","tts:[en-us] Your payment of forty two euros is due tomorrow. Thank you for calling."]},"exits":["bye","bye"]},
	  {"id":"bye","type":"hangup","params":{"cause":16}}]}`
	f, err := flows.Parse([]byte(doc), e.Features())
	if err != nil {
		t.Fatal(err)
	}
	fv := flows.FlowVersion{AccountID: acct.ID, FlowID: 1, Version: 1, Flow: f}
	for call := range 2 {
		heardPath := fmt.Sprintf("/tmp/sy-tts-heard-%d-%d", time.Now().UnixNano(), call)
		host := filepath.Join(info.Root, heardPath+".wav")
		t.Cleanup(func() { _ = os.Remove(host); _ = os.Remove(filepath.Join(info.Root, heardPath+"-both.wav")) })
		got := make(chan error, 1)
		var journey *flows.Journey
		c, err := m.Originate(context.Background(), ari.OriginateParams{
			Endpoint: "Local/answer-listen@customers", Timeout: 15 * time.Second,
			Variables: map[string]string{"HEARD": heardPath},
			Attempt:   &ari.Attempt{AccountID: acct.ID, Number: 1},
			Handler: func(ctx context.Context, c *ari.Call) error {
				j, err := e.RunOutbound(ctx, c, fv, nil)
				journey = j
				got <- err
				return err
			},
			Failed: func(*ari.Call) { got <- errors.New("call not answered") },
		})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("call %d: flow: %v", call, err)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("flow did not finish")
		}
		select {
		case <-c.Done():
		case <-time.After(30 * time.Second):
			t.Fatal("call did not end")
		}
		if s := journey.Steps[0]; s.Exit == nil || *s.Exit != 0 {
			t.Fatalf("call %d: play step %+v; want exit 0 (played)", call, s)
		}
		// MixMonitor closes the file as the far side hangs up.
		var secs, rms float64
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(host); err == nil {
				if secs, rms = heard(t, host); secs > 0 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("call %d: nothing recorded at %s", call, host)
			}
			time.Sleep(200 * time.Millisecond)
		}
		// The sentence lasts about four seconds after a second of silence;
		// speech is far louder than the silence of a line.
		if secs < 4 || secs > 12 || rms < 0.02 {
			t.Errorf("call %d: the customer heard %.2f s at RMS %.4f; want 4–12 s of speech (RMS ≥ 0.02)", call, secs, rms)
		}
		t.Logf("call %d: heard %.2f s, RMS amplitude %.4f", call, secs, rms)
	}
	if eng.runs.Load() != 1 || media.pubs.Load() != 1 || media.gets.Load() < 1 {
		t.Errorf("two calls: espeak-ng ran %d times, published %d, Asterisk fetched %d; want 1, 1, ≥1",
			eng.runs.Load(), media.pubs.Load(), media.gets.Load())
	}
}
