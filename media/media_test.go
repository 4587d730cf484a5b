package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"
)

// fakeStore is a function-field fake of Store.
type fakeStore struct {
	put func(ctx context.Context, accountID int64, hash string, data []byte) error
	get func(ctx context.Context, hash string) ([]byte, error)
}

func (f fakeStore) PutMedia(ctx context.Context, a int64, h string, d []byte) error {
	return f.put(ctx, a, h, d)
}
func (f fakeStore) GetMedia(ctx context.Context, h string) ([]byte, error) { return f.get(ctx, h) }

func mapStore() (fakeStore, map[string][]byte) {
	m := map[string][]byte{}
	return fakeStore{
		put: func(_ context.Context, _ int64, h string, d []byte) error {
			if _, ok := m[h]; !ok {
				m[h] = bytes.Clone(d)
			}
			return nil
		},
		get: func(_ context.Context, h string) ([]byte, error) {
			d, ok := m[h]
			if !ok {
				return nil, switchyard.ErrNotFound
			}
			return d, nil
		},
	}, m
}

// wav is a minimal 8 kHz mono 16-bit WAV of n samples of value v.
func wav(n int, v int16) []byte {
	var b bytes.Buffer
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+2*n))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(2*n))
	for range n {
		_ = binary.Write(&b, binary.LittleEndian, v)
	}
	return b.Bytes()
}

// TestPublishAndOpen: the same bytes publish once under one stable URI,
// which names its hash with a .wav extension and opens; a changed
// signature, hash or extension, or another key's URL, does not.
func TestPublishAndOpen(t *testing.T) {
	st, kept := mapStore()
	s, err := New(st, []byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	s.BaseURL = "http://10.0.0.5:8080/"
	ctx := context.Background()
	audio := wav(800, 1000)
	uri, err := s.Publish(ctx, 7, audio)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Publish(ctx, 8, audio)
	if err != nil || again != uri || len(kept) != 1 {
		t.Fatalf("publish again: %q %v (%d kept); want %q once", again, err, len(kept), uri)
	}
	h := Hash(audio)
	prefix := "sound:http://10.0.0.5:8080/media/"
	if !strings.HasPrefix(uri, prefix) || !strings.HasSuffix(uri, "/"+h+".wav") {
		t.Fatalf("uri %q", uri)
	}
	sig, file, _ := strings.Cut(strings.TrimPrefix(uri, prefix), "/")
	got, err := s.Open(ctx, sig, file)
	if err != nil || !bytes.Equal(got, audio) {
		t.Fatalf("open: %d bytes, %v", len(got), err)
	}
	other, _ := New(st, []byte("another key of 16 bytes"))
	for _, c := range []struct{ name, sig, file string }{
		{"changed signature", "x" + sig[1:], file},
		{"no signature", "", file},
		{"another hash", sig, Hash([]byte("x")) + ".wav"},
		{"other extension", sig, h + ".gsm"},
		{"no extension", sig, h},
		{"another key's signature", other.sign(h), file},
	} {
		if _, err := s.Open(ctx, c.sig, c.file); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: %v; want ErrBadSignature", c.name, err)
		}
	}
	// A well-signed hash that is not kept is not found.
	missing := Hash([]byte("never published"))
	if _, err := s.Open(ctx, s.sign(missing), missing+".wav"); !errors.Is(err, switchyard.ErrNotFound) {
		t.Errorf("unknown hash: %v", err)
	}
	stereo := wav(800, 1000)
	stereo[22] = 2 // channels
	for _, bad := range [][]byte{nil, []byte("ID3 not a wav at all, an mp3 header and more bytes to pass 44"), audio[:40], stereo} {
		if _, err := s.Publish(ctx, 7, bad); !errors.Is(err, ErrNotWAV) {
			t.Errorf("publish %q: %v; want ErrNotWAV", bad, err)
		}
	}
	if _, err := New(st, []byte("short")); err == nil {
		t.Error("a short key is accepted")
	}
}
