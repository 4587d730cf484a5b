package tts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// tone is a short valid 8 kHz WAV whose samples depend on seed.
func tone(seed string) []byte {
	pcm := make([]byte, 1600)
	for i := range pcm {
		pcm[i] = seed[i%len(seed)]
	}
	return wavPCM16(pcm, SampleRate)
}

// hashPublisher publishes by content hash and counts its calls.
func hashPublisher(n *atomic.Int64) fakePublisher {
	return fakePublisher{publish: func(_ context.Context, acct int64, wav []byte) (string, error) {
		n.Add(1)
		sum := sha256.Sum256(wav)
		return fmt.Sprintf("sound:http://media.test/%d/%s.wav", acct, hex.EncodeToString(sum[:8])), nil
	}}
}

func countingEngine(n *atomic.Int64) fakeEngine {
	return fakeEngine{synth: func(_ context.Context, voice, text string, ssml bool) ([]byte, error) {
		n.Add(1)
		return tone(voice + "|" + text), nil
	}}
}

func newTestService(t testing.TB, st Store, local Engine, pub Publisher) *Service {
	t.Helper()
	s, err := New(Config{Store: st, Publisher: pub, Local: local, SecretKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSynthesizeOnce: 1,000 calls asking at the same time for the same
// sentence make it once (one engine run, one publication) and all get
// its URI; after a restart (a new service on the same database) it is
// not made again.
func TestSynthesizeOnce(t *testing.T) {
	st := newMemStore()
	var runs, pubs atomic.Int64
	release := make(chan struct{})
	eng := fakeEngine{synth: func(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
		runs.Add(1)
		<-release // every caller is waiting before the sentence exists
		return tone(text), nil
	}}
	s := newTestService(t, st, eng, hashPublisher(&pubs))
	const calls = 1000
	var wg sync.WaitGroup
	var started sync.WaitGroup
	uris := make([]string, calls)
	errs := make([]error, calls)
	started.Add(calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			started.Done()
			var u []string
			u, errs[i] = s.Synthesize(context.Background(), 7, "Your payment is due tomorrow.")
			if len(u) == 1 {
				uris[i] = u[0]
			}
		}()
	}
	started.Wait()
	close(release)
	wg.Wait()
	for i := range calls {
		if errs[i] != nil || uris[i] == "" || uris[i] != uris[0] {
			t.Fatalf("call %d: %q %v (first %q)", i, uris[i], errs[i], uris[0])
		}
	}
	if runs.Load() != 1 || pubs.Load() != 1 {
		t.Fatalf("%d calls ran the engine %d times and published %d times; want 1 and 1", calls, runs.Load(), pubs.Load())
	}
	// A restart: the sentence comes from the database.
	s2 := newTestService(t, st, eng, hashPublisher(&pubs))
	u, err := s2.Synthesize(context.Background(), 7, "Your payment is due tomorrow.")
	if err != nil || len(u) != 1 || u[0] != uris[0] {
		t.Fatalf("after restart: %v %v, want %q", u, err, uris[0])
	}
	if runs.Load() != 1 || pubs.Load() != 1 {
		t.Fatalf("after restart the engine ran %d times, published %d", runs.Load(), pubs.Load())
	}
	// Another account, voice or text is another sentence.
	for _, tc := range []struct {
		acct int64
		text string
	}{{8, "Your payment is due tomorrow."}, {7, "[en-gb] Your payment is due tomorrow."}, {7, "Your payment is due today."}} {
		if _, err := s2.Synthesize(context.Background(), tc.acct, tc.text); err != nil {
			t.Fatal(err)
		}
	}
	if runs.Load() != 4 {
		t.Fatalf("three other sentences ran the engine %d times in all, want 4", runs.Load())
	}
}

// BenchmarkSynthesizeCached is the price of a cached sentence.
func BenchmarkSynthesizeCached(b *testing.B) {
	var runs, pubs atomic.Int64
	s := newTestService(b, newMemStore(), countingEngine(&runs), hashPublisher(&pubs))
	ctx := context.Background()
	if _, err := s.Synthesize(ctx, 1, "Hello"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Synthesize(ctx, 1, "Hello"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if runs.Load() != 1 {
		b.Fatalf("engine ran %d times", runs.Load())
	}
}

// BenchmarkSynthesizeConcurrent1000: 1,000 concurrent requests for a new
// sentence each round.
func BenchmarkSynthesizeConcurrent1000(b *testing.B) {
	var runs, pubs atomic.Int64
	s := newTestService(b, newMemStore(), countingEngine(&runs), hashPublisher(&pubs))
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		text := fmt.Sprintf("Sentence %d", i)
		var wg sync.WaitGroup
		for range 1000 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.Synthesize(ctx, 1, text); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(float64(runs.Load())/float64(b.N), "engine-runs/op")
}

// TestSynthesizeErrors: bad items and engine or publisher failures are
// coded errors, and a failure is not remembered (the next call tries
// again).
func TestSynthesizeErrors(t *testing.T) {
	st := newMemStore()
	var runs, pubs atomic.Int64
	fail := atomic.Bool{}
	fail.Store(true)
	eng := fakeEngine{synth: func(_ context.Context, voice, text string, ssml bool) ([]byte, error) {
		runs.Add(1)
		if voice == "nope" {
			return nil, ErrUnknownVoice.New("voice", "no voice %q", voice)
		}
		if text == "short" {
			return []byte("RIFF"), nil
		}
		if fail.Load() {
			return nil, ErrEngine.New("", "espeak-ng failed: boom")
		}
		return tone(text), nil
	}}
	pubFail := atomic.Bool{}
	pub := fakePublisher{publish: func(ctx context.Context, acct int64, wav []byte) (string, error) {
		if pubFail.Load() {
			return "", errors.New("disk full")
		}
		return hashPublisher(&pubs).publish(ctx, acct, wav)
	}}
	s := newTestService(t, st, eng, pub)
	ctx := context.Background()
	for _, tc := range []struct {
		text string
		want error
	}{
		{"", ErrInvalid},
		{strings.Repeat("x", MaxTextBytes+1), ErrInvalid},
		{"[nope] Hi", ErrUnknownVoice},
		{"Hi", ErrEngine},
		{"short", ErrEngine},
		{"[gone/v] Hi", ErrInvalid},
		{"[gone/] Hi", ErrInvalid},
	} {
		if _, err := s.Synthesize(ctx, 1, tc.text); !errors.Is(err, tc.want) {
			t.Errorf("Synthesize(%.20q) = %v; want %v", tc.text, err, tc.want)
		}
	}
	fail.Store(false)
	if _, err := s.Synthesize(ctx, 1, "Hi"); err != nil {
		t.Fatalf("after the engine recovered: %v", err)
	}
	pubFail.Store(true)
	if _, err := s.Synthesize(ctx, 1, "Other"); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("publisher failure: %v", err)
	}
	pubFail.Store(false)
	if _, err := s.Synthesize(ctx, 1, "Other"); err != nil {
		t.Fatalf("after the publisher recovered: %v", err)
	}
	if len(st.cache) != 2 {
		t.Fatalf("cache has %d entries, want the 2 sentences made", len(st.cache))
	}
}

// TestSynthesizeCallerGone: a caller who hangs up stops waiting, but the
// sentence is still made for the others.
func TestSynthesizeCallerGone(t *testing.T) {
	release, started := make(chan struct{}), make(chan struct{})
	var runs, pubs atomic.Int64
	eng := fakeEngine{synth: func(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return tone(text), ctx.Err()
	}}
	s := newTestService(t, newMemStore(), eng, hashPublisher(&pubs))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := s.Synthesize(ctx, 1, "Hello"); done <- err }()
	other := make(chan error, 1)
	<-started
	go func() { _, err := s.Synthesize(context.Background(), 1, "Hello"); other <- err }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("gone caller: %v", err)
	}
	close(release)
	if err := <-other; err != nil {
		t.Fatalf("other caller: %v", err)
	}
	if runs.Load() != 1 {
		t.Fatalf("engine ran %d times", runs.Load())
	}
}

// TestVoiceChoice: the account's settings choose the engine and voice;
// an item's bracket overrides them.
func TestVoiceChoice(t *testing.T) {
	st := newMemStore()
	var got []string
	var mu sync.Mutex
	rec := func(name string) fakeEngine {
		return fakeEngine{synth: func(_ context.Context, voice, text string, ssml bool) ([]byte, error) {
			mu.Lock()
			got = append(got, fmt.Sprintf("%s/%s/%v", name, voice, ssml))
			mu.Unlock()
			return tone(name + voice + text), nil
		}}
	}
	var pubs atomic.Int64
	s, err := New(Config{Store: st, Publisher: hashPublisher(&pubs), Local: rec("local"), SecretKey: testKey,
		Cloud: func(a CloudAccount, secret string) (Engine, error) {
			if secret != "sk-secret" {
				return nil, fmt.Errorf("secret %q", secret)
			}
			return rec(a.Alias), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.CreateCloudAccount(ctx, 1, CloudInput{Provider: "aws", Alias: "polly_main", Services: []string{"polly"},
		Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "sk-secret"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCloudAccount(ctx, 1, CloudInput{Provider: "aws", Alias: "mail_only", Services: []string{"ses"},
		Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "sk-secret"}); err != nil {
		t.Fatal(err)
	}
	step := func(text, want string) {
		t.Helper()
		mu.Lock()
		got = nil
		mu.Unlock()
		if _, err := s.Synthesize(ctx, 1, text); err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(got) != 1 || got[0] != want {
			t.Fatalf("%q ran %v, want %s", text, got, want)
		}
	}
	step("a", "local/en-us/false")
	step("[fr] b", "local/fr/false")
	step("[polly_main/Joanna] c", "polly_main/Joanna/false")
	step("[local/de] <speak>d</speak>", "local/de/true")
	if _, err := s.SetSettings(ctx, 1, Settings{Engine: "polly_main", Voice: "Matthew"}); err != nil {
		t.Fatal(err)
	}
	step("e", "polly_main/Matthew/false")
	step("[Joanna] f", "polly_main/Joanna/false")
	step("[local/] g", "local/en-us/false")
	for _, tc := range []struct {
		in    Settings
		want  error
		field string
	}{
		{Settings{Engine: "nosuch", Voice: "x"}, ErrInvalid, "engine"},
		{Settings{Engine: "mail_only", Voice: "x"}, ErrInvalid, "engine"},
		{Settings{Engine: "polly_main"}, ErrInvalid, "voice"},
		{Settings{Engine: "bad alias!", Voice: "x"}, ErrInvalid, "engine"},
		{Settings{Engine: "local", Voice: "a b"}, ErrInvalid, "voice"},
	} {
		if _, err := s.SetSettings(ctx, 1, tc.in); !errors.Is(err, tc.want) || fieldOf(err) != tc.field {
			t.Errorf("SetSettings(%+v) = %v; want %v on %s", tc.in, err, tc.want, tc.field)
		}
	}
	// The account's engine cannot be deleted or renamed from under it.
	accts, err := s.CloudAccounts(ctx, 1)
	if err != nil || len(accts) != 2 {
		t.Fatalf("%v %v", accts, err)
	}
	pm := accts[1]
	if err := s.DeleteCloudAccount(ctx, 1, pm.ID); !errors.Is(err, ErrConflict) {
		t.Fatalf("delete the engine in use: %v", err)
	}
	if _, err := s.UpdateCloudAccount(ctx, 1, pm.ID, CloudInput{Provider: "aws", Alias: "renamed", Services: []string{"polly"},
		Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("rename the engine in use: %v", err)
	}
	// Keys changed: the account's sentences of that engine are made anew.
	if _, err := s.UpdateCloudAccount(ctx, 1, pm.ID, CloudInput{Provider: "aws", Alias: "polly_main", Services: []string{"polly"},
		Region: "eu-west-2", AccessKeyID: "AKIAIOSFODNN7EXAMPLE"}); err != nil {
		t.Fatal(err)
	}
	step("e", "polly_main/Matthew/false")
	if _, err := s.SetSettings(ctx, 1, Settings{Engine: "local", Voice: "en-gb"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteCloudAccount(ctx, 1, pm.ID); err != nil {
		t.Fatalf("delete once unused: %v", err)
	}
	if _, err := s.Synthesize(ctx, 1, "[polly_main/Joanna] c"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("deleted engine: %v", err)
	}
	// Another account does not see account 1's cloud accounts.
	if _, err := s.Synthesize(ctx, 2, "[mail_only/x] c"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("another account's alias: %v", err)
	}
}
