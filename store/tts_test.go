package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/tts"
)

// TestTTSCache: a sentence's media is kept per account and key, the first
// write wins, an engine's sentences are purged alone, and a bad entry is
// refused.
func TestTTSCache(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		key := strings.Repeat("ab", 32)
		if _, ok, err := s.TTSCacheGet(ctx, 1, key); err != nil || ok {
			t.Fatalf("empty cache: %v %v", ok, err)
		}
		e := tts.CacheEntry{AccountID: 1, Key: key, Engine: "local", Voice: "en-us", MediaHash: strings.Repeat("c", 64),
			URI: "sound:http://127.0.0.1:8080/media/x/ccc.wav", Bytes: 1234, CreatedAt: time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)}
		if err := s.TTSCachePut(ctx, e); err != nil {
			t.Fatal(err)
		}
		second := e
		second.URI = "sound:http://other/second.wav"
		if err := s.TTSCachePut(ctx, second); err != nil {
			t.Fatalf("a second writer of the same key: %v", err)
		}
		got, ok, err := s.TTSCacheGet(ctx, 1, key)
		if err != nil || !ok || got != e {
			t.Fatalf("get: %+v %v %v; want %+v", got, ok, err, e)
		}
		if _, ok, err := s.TTSCacheGet(ctx, 2, key); err != nil || ok {
			t.Fatalf("another account's key: %v %v", ok, err)
		}
		cloud := e
		cloud.Key, cloud.Engine = strings.Repeat("cd", 32), "cloud:polly_main"
		if err := s.TTSCachePut(ctx, cloud); err != nil {
			t.Fatal(err)
		}
		if err := s.TTSCachePurge(ctx, 1, "cloud:polly_main"); err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.TTSCacheGet(ctx, 1, cloud.Key); ok {
			t.Fatal("purged entry still there")
		}
		if _, ok, _ := s.TTSCacheGet(ctx, 1, key); !ok {
			t.Fatal("purge of another engine removed the local entry")
		}
		for _, bad := range []tts.CacheEntry{{AccountID: 1, Key: "short", URI: "x"}, {AccountID: 0, Key: key, URI: "x"},
			{AccountID: 1, Key: key, URI: strings.Repeat("u", 1025)}} {
			if err := s.TTSCachePut(ctx, bad); !errors.Is(err, ErrInvalid) {
				t.Errorf("bad entry %+v: %v", bad.Key, err)
			}
		}
	})
}

// TestTTSSettings: an account's engine and voice are absent until set,
// then kept and replaced.
func TestTTSSettings(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, ok, err := s.TTSSettings(ctx, 3); err != nil || ok {
			t.Fatalf("unset: %v %v", ok, err)
		}
		at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
		for _, st := range []tts.Settings{{AccountID: 3, Engine: "local", Voice: "en-gb", UpdatedAt: at},
			{AccountID: 3, Engine: "polly_main", Voice: "Joanna", UpdatedAt: at.Add(time.Hour)}} {
			if err := s.SetTTSSettings(ctx, st); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.TTSSettings(ctx, 3)
			if err != nil || !ok || got != st {
				t.Fatalf("got %+v %v %v; want %+v", got, ok, err, st)
			}
		}
		if err := s.SetTTSSettings(ctx, tts.Settings{AccountID: 3}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no engine: %v", err)
		}
	})
}

// TestCloudAccounts: cloud accounts are kept per account with their
// sealed secret and checks; aliases are unique in an account only;
// another account's is not found.
func TestCloudAccounts(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		in := tts.CloudAccount{AccountID: 1, Provider: "aws", Alias: "polly_main", Services: []string{"polly", "s3"},
			Region: "eu-west-1", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Sealed: []byte{1, 2, 3, 0, 255}}
		a, err := s.CreateCloudAccount(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID <= 0 || a.Alias != "polly_main" || string(a.Sealed) != string(in.Sealed) || len(a.Services) != 2 || a.CreatedAt.IsZero() {
			t.Fatalf("created %+v", a)
		}
		if _, err := s.CreateCloudAccount(ctx, in); !errors.Is(err, tts.ErrConflict) {
			t.Fatalf("duplicate alias: %v", err)
		}
		other := in
		other.AccountID = 2
		b, err := s.CreateCloudAccount(ctx, other)
		if err != nil {
			t.Fatalf("same alias in another account: %v", err)
		}
		g := tts.CloudAccount{AccountID: 1, Provider: "google", Alias: "gcp", Services: []string{"text_to_speech"},
			ProjectID: "my-project-1", Sealed: []byte("sealed")}
		if _, err := s.CreateCloudAccount(ctx, g); err != nil {
			t.Fatal(err)
		}
		list, err := s.CloudAccounts(ctx, 1)
		if err != nil || len(list) != 2 || list[0].Alias != "gcp" || list[1].Alias != "polly_main" {
			t.Fatalf("list: %+v %v", list, err)
		}
		if _, err := s.CloudAccount(ctx, 1, b.ID); !errors.Is(err, tts.ErrNotFound) {
			t.Fatalf("another account's by id: %v", err)
		}
		got, err := s.CloudAccountByAlias(ctx, 2, "polly_main")
		if err != nil || got.ID != b.ID {
			t.Fatalf("by alias: %+v %v", got, err)
		}
		checked := time.Date(2026, 12, 7, 11, 0, 0, 0, time.UTC)
		a.Checks = []tts.ServiceCheck{{Service: "polly", Status: "ok", Message: "60 voices available"}, {Service: "s3", Status: "not_checked"}}
		a.CheckedAt = &checked
		a.Region = "us-east-1"
		up, err := s.UpdateCloudAccount(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		if up.Region != "us-east-1" || len(up.Checks) != 2 || up.Checks[0].Message != "60 voices available" || up.CheckedAt == nil || !up.CheckedAt.Equal(checked) {
			t.Fatalf("updated %+v", up)
		}
		a.Alias = "gcp"
		if _, err := s.UpdateCloudAccount(ctx, a); !errors.Is(err, tts.ErrConflict) {
			t.Fatalf("rename onto a taken alias: %v", err)
		}
		a.Alias, a.AccountID = "polly_main", 2
		if _, err := s.UpdateCloudAccount(ctx, a); !errors.Is(err, tts.ErrNotFound) {
			t.Fatalf("update through another account: %v", err)
		}
		if err := s.DeleteCloudAccount(ctx, 2, a.ID); !errors.Is(err, tts.ErrNotFound) {
			t.Fatalf("delete through another account: %v", err)
		}
		if err := s.DeleteCloudAccount(ctx, 1, a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CloudAccountByAlias(ctx, 1, "polly_main"); !errors.Is(err, tts.ErrNotFound) {
			t.Fatalf("deleted: %v", err)
		}
		if _, err := s.CreateCloudAccount(ctx, tts.CloudAccount{AccountID: 1, Provider: "aws", Alias: "x"}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("no secret: %v", err)
		}
	})
}
