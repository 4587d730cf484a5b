package smtpin

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// MinSecretLen is the shortest accepted address secret (Config.Secret).
const MinSecretLen = 16

// SecretFile returns the address secret kept in the file at path: read
// returns its first line; when the file does not exist it is generated
// (32 random bytes, hex, mode 0600) and reused afterwards, so addresses
// stay stable. Concurrent first starts agree on one secret. A damaged file
// is an error naming it, never silently replaced (that would change every
// address).
func SecretFile(path string, read func(path string) (string, error)) ([]byte, error) {
	for try := 0; try < 2; try++ {
		s, err := read(path)
		if err == nil {
			if len(s) < MinSecretLen {
				return nil, fmt.Errorf("mail secret %s is %d bytes; at least %d are required (delete it to generate a new one: every upload address changes)", path, len(s), MinSecretLen)
			}
			return []byte(s), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("mail secret %s: %w", path, err)
		}
		if err := writeNewSecret(path); err != nil {
			if errors.Is(err, os.ErrExist) {
				continue // another process made it first: read that one
			}
			return nil, fmt.Errorf("generate mail secret %s: %w", path, err)
		}
	}
	return nil, fmt.Errorf("mail secret %s could not be created or read", path)
}

// writeNewSecret creates path with a fresh random secret, atomically: the
// secret is written to a temporary file that is then hard-linked to path,
// which fails with os.ErrExist if path appeared meanwhile.
func writeNewSecret(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".mail-secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.WriteString(hex.EncodeToString(b[:]) + "\n"); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}
