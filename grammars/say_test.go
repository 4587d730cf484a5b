package grammars

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// d, l and w shorten the sample grammar's sounds in the tables.
func d(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "sound:digits/" + n
	}
	return out
}

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

func TestSampleSay(t *testing.T) {
	g := Sample()
	for _, tc := range []struct {
		kind, value string
		want        []string
	}{
		{KindNumber, "0", d("0")},
		{KindNumber, "7", d("7")},
		{KindNumber, "13", d("13")},
		{KindNumber, "21", d("20", "1")},
		{KindNumber, "100", d("1", "hundred")},
		{KindNumber, "115", d("1", "hundred", "15")},
		{KindNumber, "1,000", d("1", "thousand")},
		{KindNumber, "1000", d("1", "thousand")},
		{KindNumber, "1,000,001", d("1", "million", "1")},
		{KindNumber, "-42", d("minus", "40", "2")},
		{KindNumber, " +007 ", d("7")},
		{KindNumber, "999999999999", d("9", "hundred", "90", "9", "billion", "9", "hundred", "90", "9", "million",
			"9", "hundred", "90", "9", "thousand", "9", "hundred", "90", "9")},
		{KindNumber, "2,000,300,040", d("2", "billion", "3", "hundred", "thousand", "40")},
		{KindDigits, "0042", d("0", "0", "4", "2")},
		{KindDigits, "12-3 4", d("1", "2", "3", "4")},
		{KindAlphabet, "AbZ", []string{"sound:letters/a", "sound:letters/b", "sound:letters/z"}},
		{KindAlphabet, "B 2", cat([]string{"sound:letters/b"}, d("2"))},
		{KindDate, "2026-03-15", d("mon-2", "h-15", "20", "20", "6")},
		{KindDate, "2026-03-15 09:05:00", d("mon-2", "h-15", "20", "20", "6")},
		{KindDate, "2026-01-01", d("mon-0", "h-1", "20", "20", "6")},
		{KindDate, "1999-12-31", d("mon-11", "30", "h-1", "19", "90", "9")},
		{KindDate, "2005-07-22", d("mon-6", "20", "h-2", "2", "thousand", "5")},
		{KindDate, "2000-02-29", d("mon-1", "20", "h-9", "2", "thousand")},
		{KindDate, "1905-10-30", d("mon-9", "h-30", "19", "oh", "5")},
		{KindDate, "1900-11-20", d("mon-10", "h-20", "19", "hundred")},
		{KindTime, "09:05", d("9", "oh", "5", "a-m")},
		{KindTime, "21:30", d("9", "30", "p-m")},
		{KindTime, "9:05", d("9", "oh", "5", "a-m")},
		{KindTime, "00:00", d("12", "oclock", "a-m")},
		{KindTime, "12:45:59", d("12", "40", "5", "p-m")},
		{KindTime, "2026-03-15T23:11:00Z", d("11", "11", "p-m")},
	} {
		got, err := g.Say(tc.kind, tc.value)
		if err != nil {
			t.Errorf("%s %q: %v", tc.kind, tc.value, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got %v\nwant %v", tc.kind, tc.value, got, tc.want)
		}
	}
}

func TestSayBadValues(t *testing.T) {
	g := Sample()
	for _, tc := range []struct{ kind, value, why string }{
		{KindNumber, "", "not a whole number"},
		{KindNumber, "-", "not a whole number"},
		{KindNumber, "12a", "not a whole number"},
		{KindNumber, "1.5", "not a whole number"},
		{KindNumber, "1,00", "threes"},
		{KindNumber, "1000000000000", "too large"},
		{KindNumber, "$flow.key.x", "not a whole number"},
		{KindDigits, "", "no digits"},
		{KindDigits, "12a", `has 'a'`},
		{KindDigits, strings.Repeat("1", 65), "at most 64"},
		{KindAlphabet, "a-b", `has '-'`},
		{KindAlphabet, "é", `has 'é'`},
		{KindDate, "2026-02-30", "not a date"},
		{KindDate, "15/03/2026", "not a date"},
		{KindTime, "24:00", "not a time"},
		{KindTime, "9", "not a time"},
		{"money", "5", "not a kind"},
	} {
		_, err := g.Say(tc.kind, tc.value)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("%s %q: %v; want ErrInvalid saying %q", tc.kind, tc.value, err, tc.why)
		}
	}
}

// TestSayRules: another language's rules and named numbers: units first
// with "and", every number below 100 named, years as numbers, 24 hours,
// the weekday in dates, prompt segments.
func TestSayRules(t *testing.T) {
	g := Sample()
	g.Language = "de"
	g.Rules = Rules{TensUnits: UnitsFirst, Date: []string{"weekday", "day", "month", "year"}, Year: YearNumber, Clock: Clock24}
	g.Segments.Words["and"] = "prompt:und"
	g.Segments.Numbers["99"] = "prompt:neunundneunzig"
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind, value string
		want        []string
	}{
		{KindNumber, "21", cat(d("1"), []string{"prompt:und"}, d("20"))},
		{KindNumber, "99", []string{"prompt:neunundneunzig"}},
		{KindDate, "2026-03-15", cat(d("day-0", "h-15", "mon-2", "2", "thousand", "6"), []string{"prompt:und"}, d("20"))},
		{KindTime, "21:30", cat(d("1"), []string{"prompt:und"}, d("20", "30"))},
		{KindTime, "00:07", d("0", "oh", "7")},
		{KindTime, "14:00", d("14", "oclock")},
	} {
		got, err := g.Say(tc.kind, tc.value)
		if err != nil {
			t.Errorf("%s %q: %v", tc.kind, tc.value, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %q:\n got %v\nwant %v", tc.kind, tc.value, got, tc.want)
		}
	}
	// A stored document lacking a segment a value needs says which.
	delete(g.Segments.Ordinals, "15")
	if _, err := g.Say(KindDate, "2026-03-15"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "segments.ordinals.15") {
		t.Errorf("missing ordinal: %v", err)
	}
}

func TestText(t *testing.T) {
	for _, tc := range []struct{ kind, value, want string }{
		{KindNumber, "1,000,001", "1000001"},
		{KindNumber, "-7", "-7"},
		{KindDigits, "0042", "0 0 4 2"},
		{KindAlphabet, "AbZ", "A B Z"},
		{KindDate, "2026-03-15", "March 15th, 2026"},
		{KindDate, "2026-03-22", "March 22nd, 2026"},
		{KindDate, "2026-03-11", "March 11th, 2026"},
		{KindTime, "09:05", "9:05 AM"},
		{KindTime, "21:30", "9:30 PM"},
		{KindTime, "12:00", "12 PM"},
	} {
		got, err := Text(tc.kind, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("Text(%s, %q) = %q, %v; want %q", tc.kind, tc.value, got, err, tc.want)
		}
	}
	if _, err := Text(KindDate, "tomorrow"); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad date: %v", err)
	}
}

// FuzzParseNumber: never panics; what it accepts is within the limit
// and, written back, parses to the same number.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"0", "-7", "1,000,001", "+12", "", "1,00", "999999999999", "0000000000000001", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNumber(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("%q: %v is not ErrInvalid", s, err)
			}
			return
		}
		if n > MaxNumber || n < -MaxNumber {
			t.Fatalf("%q: %d beyond the limit", s, n)
		}
		items, err := Sample().Say(KindNumber, s)
		if err != nil || len(items) == 0 {
			t.Fatalf("%q parsed as %d but says %v, %v", s, n, items, err)
		}
	})
}

// FuzzParseValues: the digits, alphabet, date and time parsers never
// panic, refuse with ErrInvalid, and what they accept the sample grammar
// says (every segment is there).
func FuzzParseValues(f *testing.F) {
	for _, s := range []string{"0042", "AbZ", "2026-03-15", "09:05", "21:30:00", "2026-03-15T23:11:00Z", "9:5", "", " "} {
		f.Add(s)
	}
	g := Sample()
	f.Fuzz(func(t *testing.T, s string) {
		for _, kind := range []string{KindDigits, KindAlphabet, KindDate, KindTime} {
			items, err := g.Say(kind, s)
			if err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("%s %q: %v is not ErrInvalid", kind, s, err)
				}
				continue
			}
			if len(items) == 0 {
				t.Fatalf("%s %q: accepted but says nothing", kind, s)
			}
			if _, err := Text(kind, s); err != nil {
				t.Fatalf("%s %q: Say accepts it, Text refuses: %v", kind, s, err)
			}
		}
	})
}
