// Package media serves the audio Asterisk plays from Switchyard itself:
// prompts and synthesised speech are kept in the database by the SHA-256
// of their bytes, and Asterisk fetches them over HTTP
// (sound:http://…/media/<signature>/<sha256>.wav, through its HTTP media
// cache), so a remote Asterisk box needs no shared disk and any node
// sharing the database serves any audio.
//
// A media URL is signed with the daemon's key (an HMAC over the hash): it
// cannot be guessed from a hash, and it is the same for the same bytes, so
// Asterisk's media cache keeps one copy however often it is played.
package media

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/switchyard/switchyard"
)

// Path is where media is served (outside the authenticated /api/v1: the
// signature is the credential).
const Path = "/media/"

// Ext is the file extension of every media URL: the audio is WAV (8 kHz
// mono 16-bit, what Asterisk plays without transcoding), and Asterisk's
// media cache picks the file format from the URL's extension.
const Ext = ".wav"

// MaxBytes bounds one published audio (10 minutes of 8 kHz 16-bit mono
// is 9.6 MB).
const MaxBytes = 16 << 20

// Errors: ErrNotWAV for bytes that are not a WAV file, ErrBadSignature for
// a URL whose signature does not match its hash (answered 404, like an
// unknown hash).
var (
	ErrNotWAV       = switchyard.Sentinel(switchyard.CodeInvalid, 0, "the audio is not a WAV file")
	ErrBadSignature = switchyard.Sentinel(switchyard.CodeNotFound, 0, "not found")
)

// Store keeps audio by hash (*store.Store implements it).
type Store interface {
	PutMedia(ctx context.Context, accountID int64, hash string, data []byte) error
	GetMedia(ctx context.Context, hash string) ([]byte, error)
}

// Service publishes and serves media.
type Service struct {
	store Store
	key   []byte
	// BaseURL is how Asterisk reaches this daemon's HTTP listener
	// (scheme://host[:port], no trailing slash); set before the first
	// Publish.
	BaseURL string
}

// New returns the service; key signs the URLs (at least 16 bytes).
func New(st Store, key []byte) (*Service, error) {
	if st == nil {
		return nil, errors.New("media: no store")
	}
	if len(key) < 16 {
		return nil, errors.New("media: the signing key must be at least 16 bytes")
	}
	return &Service{store: st, key: key}, nil
}

// Hash is the content address of audio: the SHA-256 of its bytes, in
// lower-case hex.
func Hash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

func (s *Service) sign(hash string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("media\x00"))
	m.Write([]byte(hash))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URLPath is the signed path of the audio with the hash
// (/media/<signature>/<hash>.wav).
func (s *Service) URLPath(hash string) string {
	return Path + s.sign(hash) + "/" + hash + Ext
}

// URI is the ARI media URI of the audio with the hash:
// sound:<BaseURL>/media/<signature>/<hash>.wav.
func (s *Service) URI(hash string) string {
	return "sound:" + strings.TrimRight(s.BaseURL, "/") + s.URLPath(hash)
}

// IsWAV reports whether data starts like a RIFF WAVE file.
func IsWAV(data []byte) bool {
	return len(data) > 44 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WAVE"))
}

// Publish keeps wav (a WAV file Asterisk can play: 8 kHz mono 16-bit
// PCM, else ErrNotWAV) and returns its ARI media URI. Publishing the same bytes again returns
// the same URI and stores nothing new.
func (s *Service) Publish(ctx context.Context, accountID int64, wav []byte) (uri string, err error) {
	if !IsWAV(wav) {
		return "", ErrNotWAV.New("", "the audio is not a WAV file")
	}
	if _, err := WAVDuration(wav); err != nil {
		return "", ErrNotWAV.New("", "the audio is not a WAV Asterisk plays (8 kHz mono 16-bit PCM): %v", err)
	}
	if len(wav) > MaxBytes {
		return "", ErrNotWAV.New("", "the audio is %d bytes; at most %d can be published", len(wav), MaxBytes)
	}
	h := Hash(wav)
	if err := s.store.PutMedia(ctx, accountID, h, wav); err != nil {
		return "", fmt.Errorf("media: publish: %w", err)
	}
	return s.URI(h), nil
}

// Open returns the audio a signed URL names (its signature and its file
// name, <hash>.wav): ErrBadSignature (404) for a wrong signature or a
// malformed name, the store's not-found error for an unknown hash.
func (s *Service) Open(ctx context.Context, signature, file string) ([]byte, error) {
	hash, ok := strings.CutSuffix(file, Ext)
	if !ok || len(hash) != 64 || !hmac.Equal([]byte(signature), []byte(s.sign(hash))) {
		return nil, ErrBadSignature
	}
	data, err := s.store.GetMedia(ctx, hash)
	if err != nil {
		return nil, fmt.Errorf("media %s: %w", hash, err)
	}
	return data, nil
}
