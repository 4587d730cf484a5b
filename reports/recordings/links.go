package recordings

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// LinkPath is where signed recording links are served (outside the
// authenticated /api/v1: the signature is the credential).
const LinkPath = "/recordings/"

// DefaultLinkTTL is how long a recording link stays valid: as long as the
// recording can be downloaded at all (Window).
const DefaultLinkTTL = Window

// Link errors: a link whose signature does not match (tampered, or signed
// with another key) and a link past its expiry.
var (
	ErrBadSignature = errors.New("recordings: the link's signature is not valid")
	ErrLinkExpired  = errors.New("recordings: the link has expired")
)

// Links makes and checks the recording URLs that flows ($call.recordingUri
// and the other recording variables), webhooks and the call log show: an
// HMAC-SHA256 signature over the recording's name and the link's expiry,
// so a link can be fetched without an API key, only for that recording
// and only until it expires.
type Links struct {
	// Key signs the links (at least 16 bytes).
	Key []byte
	// BaseURL is prefixed to the links (scheme://host[:port], no trailing
	// slash); empty: links are paths.
	BaseURL string
	// TTL is how long a link stays valid (default DefaultLinkTTL).
	TTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (l *Links) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}

func (l *Links) sign(name string, expires int64) string {
	m := hmac.New(sha256.New, l.Key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(expires, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL is the signed link of the recording named name, valid for TTL.
func (l *Links) URL(name string) string {
	ttl := l.TTL
	if ttl <= 0 {
		ttl = DefaultLinkTTL
	}
	return l.URLUntil(name, l.now().Add(ttl))
}

// URLUntil is the signed link of the recording, valid until expires.
func (l *Links) URLUntil(name string, expires time.Time) string {
	exp := expires.Unix()
	return strings.TrimRight(l.BaseURL, "/") + LinkPath + url.PathEscape(name) +
		"?expires=" + strconv.FormatInt(exp, 10) + "&signature=" + l.sign(name, exp)
}

// Check verifies a link's expiry and signature for the recording name:
// ErrBadSignature when the signature does not match name and expires (a
// changed name or expiry included), ErrLinkExpired when it matches but
// the expiry has passed.
func (l *Links) Check(name, expires, signature string) error {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || signature == "" || len(l.Key) == 0 {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(signature), []byte(l.sign(name, exp))) {
		return ErrBadSignature
	}
	if !l.now().Before(time.Unix(exp, 0)) {
		return ErrLinkExpired
	}
	return nil
}

// Name reads the recording name back out of a link made by URL (with or
// without BaseURL) whose signature is valid, expired or not (a flow plays
// its own recordings back from their links); ok is false for anything
// else.
func (l *Links) Name(link string) (string, bool) {
	u, err := url.Parse(link)
	if err != nil || !strings.HasPrefix(u.Path, LinkPath) {
		return "", false
	}
	if base := strings.TrimRight(l.BaseURL, "/"); base != "" && u.IsAbs() {
		b, err := url.Parse(base)
		if err != nil || b.Host != u.Host || b.Scheme != u.Scheme {
			return "", false
		}
	}
	name := strings.TrimPrefix(u.Path, LinkPath)
	if name == "" || strings.Contains(name, "/") {
		return "", false
	}
	q := u.Query()
	if err := l.Check(name, q.Get("expires"), q.Get("signature")); err != nil && !errors.Is(err, ErrLinkExpired) {
		return "", false
	}
	return name, true
}
