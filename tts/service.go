package tts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// CloudFactory builds the engine of a cloud account from its row and its
// opened secret.
type CloudFactory func(a CloudAccount, secret string) (Engine, error)

// Config configures a Service.
type Config struct {
	Store     Store
	Publisher Publisher
	// Local is the local engine (an *Espeak).
	Local Engine
	// SecretKey seals the cloud accounts' secrets (at least 16 bytes).
	SecretKey []byte
	// Cloud builds cloud engines (default: Clouds{}.Engine, the real
	// service endpoints).
	Cloud CloudFactory
	// DefaultVoice is the local voice of an account that chose none
	// (default "en-us").
	DefaultVoice string
	// CacheEntries bounds the in-memory sentence cache (default 10,000);
	// the database keeps every entry.
	CacheEntries int
	Logger       *slog.Logger
}

// Service is text-to-speech: flows' "tts:" items, the account's settings
// and its cloud accounts.
type Service struct {
	store    Store
	pub      Publisher
	local    Engine
	sealer   *Sealer
	cloud    CloudFactory
	defVoice string
	log      *slog.Logger

	flights singleflight.Group

	mu       sync.Mutex
	mem      map[memKey]string
	order    []memKey // insertion order, for eviction
	maxMem   int
	settings map[int64]cachedSettings
	engines  map[int64]cachedEngine // by cloud account ID
}

type memKey struct {
	acct int64
	key  string
}

type cachedSettings struct {
	s  Settings
	at time.Time
}

// settingsTTL is how long a node trusts its copy of an account's
// settings (another node may have changed them).
const settingsTTL = 10 * time.Second

// flightTimeout bounds one synthesis and publication, which callers
// share: one caller hanging up does not cancel it for the others.
const flightTimeout = 60 * time.Second

// New builds the service.
func New(c Config) (*Service, error) {
	if c.Store == nil || c.Publisher == nil || c.Local == nil {
		return nil, errors.New("tts: Store, Publisher and Local are required")
	}
	sealer, err := NewSealer(c.SecretKey)
	if err != nil {
		return nil, err
	}
	s := &Service{store: c.Store, pub: c.Publisher, local: c.Local, sealer: sealer, cloud: c.Cloud,
		defVoice: c.DefaultVoice, log: c.Logger, maxMem: c.CacheEntries,
		mem: map[memKey]string{}, settings: map[int64]cachedSettings{},
		engines: map[int64]cachedEngine{}}
	if s.cloud == nil {
		s.cloud = Clouds{}.Engine
	}
	if s.defVoice == "" {
		s.defVoice = "en-us"
	}
	if s.maxMem <= 0 {
		s.maxMem = 10000
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s, nil
}

// choice is the engine and voice an item resolves to in an account.
type choice struct {
	engine string // LocalEngine or a cloud alias
	voice  string
}

func (c choice) engineID() string {
	if c.engine == LocalEngine {
		return LocalEngine
	}
	return "cloud:" + c.engine
}

// cacheKey names a sentence: who speaks it, how, and what.
func cacheKey(c choice, it Item) string {
	h := sha256.New()
	ssml := "text"
	if it.SSML {
		ssml = "ssml"
	}
	for _, p := range []string{c.engineID(), c.voice, ssml, it.Text} {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Synthesize returns the media URI of a "tts:" item's text in the account
// (flows.TTS): from the cache, or made once however many calls ask for it
// at the same time.
func (s *Service) Synthesize(ctx context.Context, accountID int64, text string) ([]string, error) {
	it, err := ParseItem(text)
	if err != nil {
		return nil, err
	}
	uri, err := s.media(ctx, accountID, it)
	if err != nil {
		return nil, err
	}
	return []string{uri}, nil
}

func (s *Service) media(ctx context.Context, acct int64, it Item) (string, error) {
	c, err := s.choose(ctx, acct, it)
	if err != nil {
		return "", err
	}
	mk := memKey{acct, cacheKey(c, it)}
	if uri, ok := s.memGet(mk); ok {
		return uri, nil
	}
	ch := s.flights.DoChan(strconv.FormatInt(acct, 10)+"/"+mk.key, func() (any, error) {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flightTimeout)
		defer cancel()
		return s.make(fctx, mk, c, it)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// make finds the sentence in the database or synthesises and publishes
// it; one call per key runs at a time.
func (s *Service) make(ctx context.Context, mk memKey, c choice, it Item) (string, error) {
	if uri, ok := s.memGet(mk); ok {
		return uri, nil
	}
	e, ok, err := s.store.TTSCacheGet(ctx, mk.acct, mk.key)
	if err != nil {
		return "", fmt.Errorf("tts: read cache: %w", err)
	}
	if ok {
		uri := e.URI
		if m, isM := s.pub.(MediaURIs); isM && e.MediaHash != "" {
			uri = m.URI(e.MediaHash)
		}
		s.memPut(mk, uri)
		return uri, nil
	}
	wav, err := s.synth(ctx, mk.acct, c, it)
	if err != nil {
		return "", err
	}
	uri, err := s.pub.Publish(ctx, mk.acct, wav)
	if err != nil {
		return "", fmt.Errorf("tts: publish audio: %w", err)
	}
	sum := sha256.Sum256(wav)
	entry := CacheEntry{AccountID: mk.acct, Key: mk.key, Engine: c.engineID(), Voice: c.voice,
		MediaHash: hex.EncodeToString(sum[:]), URI: uri, Bytes: len(wav), CreatedAt: time.Now()}
	if err := s.store.TTSCachePut(ctx, entry); err != nil {
		// The call still plays; the next node or restart makes it again.
		s.log.Warn("tts cache entry not kept", "account", mk.acct, "engine", entry.Engine, "err", err)
	}
	s.memPut(mk, uri)
	return uri, nil
}

// synth runs the engine the choice names.
func (s *Service) synth(ctx context.Context, acct int64, c choice, it Item) ([]byte, error) {
	eng, err := s.engine(ctx, acct, c.engine)
	if err != nil {
		return nil, err
	}
	wav, err := eng.Synthesize(ctx, c.voice, it.Text, it.SSML)
	if err != nil {
		return nil, err
	}
	if err := asteriskWAV(wav); err != nil {
		return nil, ErrEngine.New("", "the %s engine returned unusable audio: %v", c.engine, err)
	}
	return wav, nil
}

// engine returns the local engine or the account's cloud account's.
func (s *Service) engine(ctx context.Context, acct int64, name string) (Engine, error) {
	if name == LocalEngine {
		return s.local, nil
	}
	a, err := s.store.CloudAccountByAlias(ctx, acct, name)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrInvalid.New("engine", "there is no cloud account with alias %q", name)
	}
	if err != nil {
		return nil, fmt.Errorf("tts: cloud account %q: %w", name, err)
	}
	return s.cloudEngine(a)
}

// cloudEngine returns the engine of a cloud account, built once per
// version of the account (an engine keeps its OAuth token between
// sentences).
func (s *Service) cloudEngine(a CloudAccount) (Engine, error) {
	svc := ttsService[a.Provider]
	if !contains(a.Services, svc) {
		return nil, ErrInvalid.New("engine", "the cloud account %q does not have the %s service selected", a.Alias, svc)
	}
	s.mu.Lock()
	ce, ok := s.engines[a.ID]
	s.mu.Unlock()
	if ok && ce.updated.Equal(a.UpdatedAt) && bytes.Equal(ce.sealed, a.Sealed) {
		return ce.eng, nil
	}
	secret, err := s.sealer.Open(a.AccountID, a.Sealed)
	if err != nil {
		return nil, fmt.Errorf("tts: cloud account %q: %w", a.Alias, err)
	}
	eng, err := s.cloud(a, secret)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.engines[a.ID] = cachedEngine{updated: a.UpdatedAt, sealed: a.Sealed, eng: eng}
	s.mu.Unlock()
	return eng, nil
}

type cachedEngine struct {
	updated time.Time
	sealed  []byte
	eng     Engine
}

// choose applies the account's settings to an item.
func (s *Service) choose(ctx context.Context, acct int64, it Item) (choice, error) {
	st, err := s.Settings(ctx, acct)
	if err != nil {
		return choice{}, err
	}
	c := choice{engine: it.Engine, voice: it.Voice}
	if c.engine == "" {
		c.engine = st.Engine
	}
	if c.voice == "" {
		switch {
		case c.engine == st.Engine:
			c.voice = st.Voice
		case c.engine == LocalEngine:
			c.voice = s.defVoice
		default:
			return choice{}, ErrInvalid.New("voice", "name a voice of the cloud account %q (e.g. [%s/<voice>])", c.engine, c.engine)
		}
	}
	return c, nil
}

// Preview speaks an item's text in the account and returns the WAV
// (nothing is cached or published).
func (s *Service) Preview(ctx context.Context, acct int64, text string) ([]byte, error) {
	it, err := ParseItem(text)
	if err != nil {
		return nil, err
	}
	c, err := s.choose(ctx, acct, it)
	if err != nil {
		return nil, err
	}
	return s.synth(ctx, acct, c, it)
}

// Voices lists the voices of an engine ("" for the account's).
func (s *Service) Voices(ctx context.Context, acct int64, engine string) ([]Voice, error) {
	if engine == "" {
		st, err := s.Settings(ctx, acct)
		if err != nil {
			return nil, err
		}
		engine = st.Engine
	}
	if engine != LocalEngine && !ValidAlias(engine) {
		return nil, ErrInvalid.New("engine", "the engine %q is neither local nor a cloud account alias", engine)
	}
	eng, err := s.engine(ctx, acct, engine)
	if err != nil {
		return nil, err
	}
	return eng.Voices(ctx)
}

// Settings returns the account's engine and voice (the local engine and
// the default voice when it chose none).
func (s *Service) Settings(ctx context.Context, acct int64) (Settings, error) {
	s.mu.Lock()
	cs, ok := s.settings[acct]
	s.mu.Unlock()
	if ok && time.Since(cs.at) < settingsTTL {
		return cs.s, nil
	}
	st, found, err := s.store.TTSSettings(ctx, acct)
	if err != nil {
		return Settings{}, fmt.Errorf("tts: settings: %w", err)
	}
	if !found {
		st = Settings{AccountID: acct, Engine: LocalEngine, Voice: s.defVoice}
	}
	s.mu.Lock()
	s.settings[acct] = cachedSettings{s: st, at: time.Now()}
	s.mu.Unlock()
	return st, nil
}

// voiceChecker is an engine that can tell a known voice without speaking.
type voiceChecker interface {
	CheckVoice(ctx context.Context, voice string) error
}

// SetSettings chooses the account's engine and voice: the local engine
// with one of its voices, or a cloud account (by alias) with the text-to-
// speech service selected and a voice of it.
func (s *Service) SetSettings(ctx context.Context, acct int64, in Settings) (Settings, error) {
	in.AccountID = acct
	switch {
	case in.Engine == "" || in.Engine == LocalEngine:
		in.Engine = LocalEngine
		if in.Voice == "" {
			in.Voice = s.defVoice
		}
		if !validVoiceName(in.Voice) {
			return Settings{}, ErrInvalid.New("voice", "the voice %q may only have letters, digits and - _ . + :", in.Voice)
		}
		if vc, ok := s.local.(voiceChecker); ok {
			if err := vc.CheckVoice(ctx, in.Voice); err != nil {
				return Settings{}, err
			}
		}
	case ValidAlias(in.Engine):
		if !validVoiceName(in.Voice) {
			return Settings{}, ErrInvalid.New("voice", "name a voice of the cloud account %q", in.Engine)
		}
		a, err := s.store.CloudAccountByAlias(ctx, acct, in.Engine)
		if errors.Is(err, ErrNotFound) {
			return Settings{}, ErrInvalid.New("engine", "there is no cloud account with alias %q", in.Engine)
		}
		if err != nil {
			return Settings{}, fmt.Errorf("tts: cloud account: %w", err)
		}
		if svc := ttsService[a.Provider]; !contains(a.Services, svc) {
			return Settings{}, ErrInvalid.New("engine", "the cloud account %q does not have the %s service selected", a.Alias, svc)
		}
	default:
		return Settings{}, ErrInvalid.New("engine", "the engine %q is neither local nor a cloud account alias", in.Engine)
	}
	in.UpdatedAt = time.Now().UTC()
	if err := s.store.SetTTSSettings(ctx, in); err != nil {
		return Settings{}, fmt.Errorf("tts: save settings: %w", err)
	}
	s.mu.Lock()
	delete(s.settings, acct)
	s.mu.Unlock()
	return in, nil
}

func (s *Service) memGet(k memKey) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	uri, ok := s.mem[k]
	return uri, ok
}

func (s *Service) memPut(k memKey, uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.mem[k]; ok {
		s.mem[k] = uri
		return
	}
	for len(s.order) >= s.maxMem {
		delete(s.mem, s.order[0])
		s.order = s.order[1:]
	}
	s.mem[k] = uri
	s.order = append(s.order, k)
}

// forgetEngine drops the account's in-memory entries and kept entries of
// an engine (its cloud account changed or went away).
func (s *Service) forgetEngine(ctx context.Context, acct int64, alias string) error {
	// The in-memory cache does not know the engine of its keys: drop the
	// account's entries (they come back from the database).
	s.mu.Lock()
	kept := s.order[:0]
	for _, k := range s.order {
		if k.acct == acct {
			delete(s.mem, k)
			continue
		}
		kept = append(kept, k)
	}
	s.order = kept
	delete(s.settings, acct)
	s.mu.Unlock()
	return s.store.TTSCachePurge(ctx, acct, "cloud:"+alias)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
