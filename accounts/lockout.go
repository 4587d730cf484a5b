package accounts

import (
	"sync"
	"time"
)

// lockout counts failed logins per key (account id + email): failures
// failures within window lock the key until window has passed since the
// last one. A successful login clears the key. It lives in the process:
// every node counts its own failures (the per-address limit of the HTTP
// layer comes on top).
type lockout struct {
	failures int
	window   time.Duration
	now      func() time.Time

	mu   sync.Mutex
	keys map[lockKey]*lockState
}

type lockKey struct {
	account int64
	email   string
}

type lockState struct {
	fails int
	last  time.Time
}

// maxLockKeys bounds the memory an attacker can make it use.
const maxLockKeys = 100000

func newLockout(failures int, window time.Duration, now func() time.Time) *lockout {
	return &lockout{failures: failures, window: window, now: now, keys: map[lockKey]*lockState{}}
}

// locked reports whether any of the keys is locked.
func (l *lockout) locked(keys ...lockKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	for _, k := range keys {
		st := l.keys[k]
		if st == nil {
			continue
		}
		if now.Sub(st.last) >= l.window {
			delete(l.keys, k)
			continue
		}
		if st.fails >= l.failures {
			return true
		}
	}
	return false
}

// failed records a failure on each key.
func (l *lockout) failed(keys ...lockKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.keys) >= maxLockKeys {
		for k, st := range l.keys {
			if now.Sub(st.last) >= l.window {
				delete(l.keys, k)
			}
		}
		if len(l.keys) >= maxLockKeys {
			clear(l.keys)
		}
	}
	for _, k := range keys {
		st := l.keys[k]
		if st == nil || now.Sub(st.last) >= l.window {
			st = &lockState{}
			l.keys[k] = st
		}
		st.fails++
		st.last = now
	}
}

// clear forgets the keys' failures.
func (l *lockout) clear(keys ...lockKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		delete(l.keys, k)
	}
}

// clearEmail forgets the failures of every key with the email.
func (l *lockout) clearEmail(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k := range l.keys {
		if k.email == email {
			delete(l.keys, k)
		}
	}
}

// allow reports whether key email may act now, and if so counts it (a
// rate of failures per window, used as a plain rate limit).
func (l *lockout) allow(email string) bool {
	k := lockKey{email: email}
	if l.locked(k) {
		return false
	}
	l.failed(k)
	return true
}
