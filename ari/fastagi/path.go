package fastagi

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// MaxPathLen bounds a request path; longer paths are rejected.
const MaxPathLen = 1024

// ErrInvalidPath is wrapped by every path or pattern parse error.
var ErrInvalidPath = errors.New("invalid AGI request path")

// ParseScript splits the FastAGI request script (the agi_network_script
// variable, i.e. everything after "agi://host:port/") into the routing path
// and its query parameters.
//
//	"hello"            -> "hello", {}
//	"/flow/42?lang=de" -> "flow/42", {lang: [de]}
//
// Leading slashes are dropped. The path must be non-empty, at most
// MaxPathLen bytes, made of URL path characters (A-Z a-z 0-9 and
// - . _ ~ ! $ & ' ( ) * + , ; = : @ %), with no empty, "." or ".." segments;
// only the last segment may be empty (a trailing slash).
func ParseScript(script string) (path string, query url.Values, err error) {
	raw, rawQuery, _ := strings.Cut(script, "?")
	path = strings.TrimLeft(raw, "/")
	if err := checkPath(path, true); err != nil {
		return "", nil, err
	}
	query, err = url.ParseQuery(rawQuery)
	if err != nil {
		return "", nil, fmt.Errorf("%w: bad query %q: %v", ErrInvalidPath, truncate(rawQuery, 64), err)
	}
	return path, query, nil
}

// scriptFromRequest extracts the script part from an agi_request URL such as
// agi://127.0.0.1:4573/hello?x=1 (used when agi_network_script is absent).
func scriptFromRequest(req string) string {
	_, rest, ok := strings.Cut(req, "://")
	if !ok {
		return ""
	}
	_, script, ok := strings.Cut(rest, "/")
	if !ok {
		return ""
	}
	return script
}

// checkPath validates a request path (allowTrailingSlash) or a pattern.
func checkPath(p string, allowTrailingSlash bool) error {
	if p == "" {
		return fmt.Errorf("%w: empty path", ErrInvalidPath)
	}
	if len(p) > MaxPathLen {
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidPath, MaxPathLen)
	}
	for i := 0; i < len(p); i++ {
		if !isPathChar(p[i]) {
			return fmt.Errorf("%w: %q contains %q", ErrInvalidPath, truncate(p, 64), string(rune(p[i])))
		}
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case s == "" && last && allowTrailingSlash:
		case s == "":
			return fmt.Errorf("%w: %q has an empty segment", ErrInvalidPath, truncate(p, 64))
		case s == "." || s == "..":
			return fmt.Errorf("%w: %q has a %q segment", ErrInvalidPath, truncate(p, 64), s)
		}
	}
	return nil
}

func isPathChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@%/", c) >= 0
}

// pattern is a parsed route pattern: exact ("hello") or prefix ("flow/").
type pattern struct {
	text   string
	prefix bool
}

func parsePattern(p string) (pattern, error) {
	if strings.HasPrefix(p, "/") {
		return pattern{}, fmt.Errorf("%w: pattern %q must not start with '/'", ErrInvalidPath, p)
	}
	if err := checkPath(p, true); err != nil {
		return pattern{}, err
	}
	return pattern{text: p, prefix: strings.HasSuffix(p, "/")}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
