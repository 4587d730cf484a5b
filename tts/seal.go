package tts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
)

// Sealer encrypts cloud account secrets with AES-256-GCM. The sealed
// form is bound to its account: a secret copied to another account's row
// does not open.
type Sealer struct{ aead cipher.AEAD }

// NewSealer derives the AES-256 key from key (at least 16 bytes).
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) < 16 {
		return nil, errors.New("tts: the secret key is shorter than 16 bytes")
	}
	k := sha256.Sum256(append([]byte("switchyard cloud accounts\x00"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

const sealVersion = 1

// Seal encrypts secret for the account.
func (s *Sealer) Seal(accountID int64, secret string) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize(), 1+s.aead.NonceSize()+len(secret)+s.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, []byte(secret), aad(accountID)), nil
}

// Open decrypts what Seal made for the account.
func (s *Sealer) Open(accountID int64, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return "", errors.New("tts: sealed secret is malformed")
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], aad(accountID))
	if err != nil {
		return "", fmt.Errorf("tts: sealed secret does not open (another key or account): %w", err)
	}
	return string(plain), nil
}

func aad(accountID int64) []byte { return []byte("account:" + strconv.FormatInt(accountID, 10)) }
