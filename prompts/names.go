package prompts

import (
	"strings"
	"unicode/utf8"

	"github.com/switchyard/switchyard"
)

// Limits of names and tags.
const (
	MaxNameLen = 64
	MaxTagLen  = 32
	MaxTags    = 20
)

// ErrInvalid is a bad name, tag, file or request (422 with the reason).
var ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, 0, "invalid prompt")

// ParseName checks a prompt name: 1 to 64 letters (a–z, A–Z), digits and
// underscores, the name flows play it by (prompt:<name>). Surrounding
// spaces are dropped.
func ParseName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ErrInvalid.New("name", "a prompt needs a name (letters, digits and underscores)")
	}
	if len(s) > MaxNameLen {
		return "", ErrInvalid.New("name", "%q is %d characters long; a prompt name has at most %d", switchyard.Clip(s), utf8.RuneCountInString(s), MaxNameLen)
	}
	for _, r := range s {
		if !word(r) {
			return "", ErrInvalid.New("name", "%q: a prompt name has only letters, digits and underscores (not %q)", switchyard.Clip(s), r)
		}
	}
	return s, nil
}

func word(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_'
}

// ParseTags reads tags, the keywords that find prompts: each item may hold
// several, separated by commas; a tag is 1 to 32 letters, digits,
// underscores or hyphens, kept in lower case, each once, in the order
// given (at most 20). Empty items are skipped.
func ParseTags(items []string) ([]string, error) {
	out := []string{}
	seen := map[string]bool{}
	for _, item := range items {
		for _, t := range strings.Split(item, ",") {
			t = strings.ToLower(strings.TrimSpace(t))
			if t == "" {
				continue
			}
			if len(t) > MaxTagLen {
				return nil, ErrInvalid.New("tags", "tag %q is longer than %d characters", switchyard.Clip(t), MaxTagLen)
			}
			for _, r := range t {
				if !word(r) && r != '-' {
					return nil, ErrInvalid.New("tags", "tag %q: a tag has only letters, digits, underscores and hyphens (not %q)", switchyard.Clip(t), r)
				}
			}
			if seen[t] {
				continue
			}
			seen[t] = true
			out = append(out, t)
			if len(out) > MaxTags {
				return nil, ErrInvalid.New("tags", "a prompt has at most %d tags", MaxTags)
			}
		}
	}
	return out, nil
}
