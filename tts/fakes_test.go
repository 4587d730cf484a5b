package tts

import (
	"context"
	"sort"
	"sync"
	"time"
)

// fakeEngine is a function-field Engine.
type fakeEngine struct {
	synth  func(ctx context.Context, voice, text string, ssml bool) ([]byte, error)
	voices func(ctx context.Context) ([]Voice, error)
}

func (f fakeEngine) Synthesize(ctx context.Context, voice, text string, ssml bool) ([]byte, error) {
	return f.synth(ctx, voice, text, ssml)
}

func (f fakeEngine) Voices(ctx context.Context) ([]Voice, error) {
	if f.voices == nil {
		return nil, nil
	}
	return f.voices(ctx)
}

// fakePublisher is a function-field Publisher.
type fakePublisher struct {
	publish func(ctx context.Context, acct int64, wav []byte) (string, error)
}

func (f fakePublisher) Publish(ctx context.Context, acct int64, wav []byte) (string, error) {
	return f.publish(ctx, acct, wav)
}

// memStore is an in-memory Store for the service's unit tests (the store
// package's own tests cover the database on both drivers).
type memStore struct {
	mu       sync.Mutex
	cache    map[[2]any]CacheEntry
	settings map[int64]Settings
	clouds   map[int64]CloudAccount
	nextID   int64
	gets     int
}

func newMemStore() *memStore {
	return &memStore{cache: map[[2]any]CacheEntry{}, settings: map[int64]Settings{}, clouds: map[int64]CloudAccount{}}
}

func (m *memStore) TTSCacheGet(_ context.Context, acct int64, key string) (CacheEntry, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gets++
	e, ok := m.cache[[2]any{acct, key}]
	return e, ok, nil
}

func (m *memStore) TTSCachePut(_ context.Context, e CacheEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cache[[2]any{e.AccountID, e.Key}]; !ok {
		m.cache[[2]any{e.AccountID, e.Key}] = e
	}
	return nil
}

func (m *memStore) TTSCachePurge(_ context.Context, acct int64, engine string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, e := range m.cache {
		if e.AccountID == acct && e.Engine == engine {
			delete(m.cache, k)
		}
	}
	return nil
}

func (m *memStore) TTSSettings(_ context.Context, acct int64) (Settings, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.settings[acct]
	return s, ok, nil
}

func (m *memStore) SetTTSSettings(_ context.Context, s Settings) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.settings[s.AccountID] = s
	return nil
}

func (m *memStore) CloudAccounts(_ context.Context, acct int64) ([]CloudAccount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []CloudAccount
	for _, a := range m.clouds {
		if a.AccountID == acct {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Alias < out[j].Alias })
	return out, nil
}

func (m *memStore) CloudAccount(_ context.Context, acct, id int64) (CloudAccount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.clouds[id]
	if !ok || a.AccountID != acct {
		return CloudAccount{}, ErrNotFound.New("", "no cloud account %d", id)
	}
	return a, nil
}

func (m *memStore) CloudAccountByAlias(_ context.Context, acct int64, alias string) (CloudAccount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.clouds {
		if a.AccountID == acct && a.Alias == alias {
			return a, nil
		}
	}
	return CloudAccount{}, ErrNotFound.New("", "no cloud account %q", alias)
}

func (m *memStore) CreateCloudAccount(_ context.Context, a CloudAccount) (CloudAccount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range m.clouds {
		if b.AccountID == a.AccountID && b.Alias == a.Alias {
			return CloudAccount{}, ErrConflict.New("alias", "taken")
		}
	}
	m.nextID++
	a.ID, a.CreatedAt, a.UpdatedAt = m.nextID, time.Now(), time.Now()
	m.clouds[a.ID] = a
	return a, nil
}

func (m *memStore) UpdateCloudAccount(_ context.Context, a CloudAccount) (CloudAccount, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.clouds[a.ID]; !ok || b.AccountID != a.AccountID {
		return CloudAccount{}, ErrNotFound.New("", "no cloud account %d", a.ID)
	}
	a.UpdatedAt = time.Now()
	m.clouds[a.ID] = a
	return a, nil
}

func (m *memStore) DeleteCloudAccount(_ context.Context, acct, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.clouds[id]; !ok || b.AccountID != acct {
		return ErrNotFound.New("", "no cloud account %d", id)
	}
	delete(m.clouds, id)
	return nil
}
