package prompts

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"welcome", "welcome", true},
		{" Main_Menu_2 ", "Main_Menu_2", true},
		{"_", "_", true},
		{strings.Repeat("a", 64), strings.Repeat("a", 64), true},
		{strings.Repeat("a", 65), "", false},
		{"", "", false},
		{"   ", "", false},
		{"hello world", "", false},
		{"hello-world", "", false},
		{"héllo", "", false},
		{"a/b", "", false},
		{"a:b", "", false},
		{"a\x00", "", false},
	} {
		got, err := ParseName(c.in)
		if c.ok != (err == nil) || got != c.want {
			t.Errorf("ParseName(%q) = %q, %v; want %q ok=%v", c.in, got, err, c.want, c.ok)
		}
		if err != nil && (!errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "name")) {
			t.Errorf("ParseName(%q): %v is not a coded name error", c.in, err)
		}
	}
}

func TestParseTags(t *testing.T) {
	many := make([]string, 21)
	for i := range many {
		many[i] = "t" + strings.Repeat("x", i)
	}
	for _, c := range []struct {
		name string
		in   []string
		want []string
		ok   bool
	}{
		{"none", nil, []string{}, true},
		{"empty items", []string{"", " , ,"}, []string{}, true},
		{"comma separated", []string{"Greeting, main"}, []string{"greeting", "main"}, true},
		{"several items, duplicates once", []string{"sales", "SALES,after-hours", "q_1"}, []string{"sales", "after-hours", "q_1"}, true},
		{"twenty", many[:20], many[:20], true},
		{"twenty-one", many, nil, false},
		{"space inside", []string{"after hours"}, nil, false},
		{"too long", []string{strings.Repeat("t", 33)}, nil, false},
		{"symbol", []string{"50%"}, nil, false},
	} {
		got, err := ParseTags(c.in)
		if c.ok != (err == nil) || (c.ok && !slices.Equal(got, c.want)) {
			t.Errorf("%s: ParseTags(%q) = %q, %v; want %q ok=%v", c.name, c.in, got, err, c.want, c.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v is not ErrInvalid", c.name, err)
		}
	}
}

// FuzzParseName: an accepted name is non-empty, at most 64 bytes, only
// letters, digits and underscores, and parses to itself.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"welcome", " a_1 ", "a b", "", "é", strings.Repeat("z", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", s, err)
			}
			return
		}
		if n == "" || len(n) > MaxNameLen || strings.IndexFunc(n, func(r rune) bool { return !word(r) }) >= 0 {
			t.Fatalf("%q accepted as %q", s, n)
		}
		if again, err := ParseName(n); err != nil || again != n {
			t.Fatalf("%q does not parse to itself: %q %v", n, again, err)
		}
	})
}

// FuzzParseTags: accepted tags are lower case, unique, within the limits,
// free of commas, and parse to themselves.
func FuzzParseTags(f *testing.F) {
	for _, s := range []string{"a,b", "A, a", " , ", "x y", "über", "a-b_c"} {
		f.Add(s, "more")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		tags, err := ParseTags([]string{a, b})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q %q: %v is not ErrInvalid", a, b, err)
			}
			return
		}
		if len(tags) > MaxTags {
			t.Fatalf("%d tags", len(tags))
		}
		seen := map[string]bool{}
		for _, tag := range tags {
			if tag == "" || len(tag) > MaxTagLen || tag != strings.ToLower(tag) || strings.ContainsAny(tag, ", ") || seen[tag] {
				t.Fatalf("%q %q: bad tag %q in %q", a, b, tag, tags)
			}
			seen[tag] = true
		}
		again, err := ParseTags([]string{strings.Join(tags, ",")})
		if err != nil || !slicesEqual(again, tags) {
			t.Fatalf("%q does not parse to itself: %q %v", tags, again, err)
		}
	})
}

func slicesEqual(a, b []string) bool { return slices.Equal(a, b) }
