package grammars

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kinds of values a grammar says.
const (
	KindNumber   = "number"
	KindDigits   = "digits"
	KindAlphabet = "alphabet"
	KindDate     = "date"
	KindTime     = "time"
)

// Kinds lists the kinds of values, in the order the editor offers them.
var Kinds = []string{KindNumber, KindDigits, KindAlphabet, KindDate, KindTime}

// Limits of the values said.
const (
	// MaxNumber is the largest magnitude of a number said (just under a
	// trillion).
	MaxNumber = 999_999_999_999
	// MaxChars bounds a digits or alphabet value.
	MaxChars = 64
)

// Say returns the media items that say value, of the given kind, in the
// grammar's language. A value that is not of its kind, or a segment the
// grammar lacks, is an ErrInvalid error saying which.
func (g *Grammar) Say(kind, value string) ([]string, error) {
	s := sayer{g: g}
	switch kind {
	case KindNumber:
		n, err := ParseNumber(value)
		if err != nil {
			return nil, err
		}
		s.number(n)
	case KindDigits:
		d, err := ParseDigits(value)
		if err != nil {
			return nil, err
		}
		for _, c := range d {
			s.num(int(c - '0'))
		}
	case KindAlphabet:
		a, err := ParseAlphabet(value)
		if err != nil {
			return nil, err
		}
		for _, c := range a {
			if c >= '0' && c <= '9' {
				s.num(int(c - '0'))
				continue
			}
			s.seg("segments.letters", g.Segments.Letters, string(c))
		}
	case KindDate:
		d, err := ParseDate(value)
		if err != nil {
			return nil, err
		}
		s.date(d)
	case KindTime:
		h, m, err := ParseTime(value)
		if err != nil {
			return nil, err
		}
		s.clock(h, m)
	default:
		return nil, ErrInvalid.New("type", "%q is not a kind of value a grammar says (%s)", kind, strings.Join(Kinds, ", "))
	}
	if s.missing != "" {
		return nil, ErrInvalid.New("grammar", "the grammar has no segment %s, which saying %q needs", s.missing, value)
	}
	return s.out, nil
}

// sayer accumulates the items; the first missing segment is remembered
// (a grammar read from the database was validated, but a stored document
// may still lack an optional segment a value needs).
type sayer struct {
	g       *Grammar
	out     []string
	missing string
}

func (s *sayer) seg(field string, m map[string]string, key string) {
	item, ok := m[key]
	if !ok || item == "" {
		if s.missing == "" {
			s.missing = field + "." + key
		}
		return
	}
	s.out = append(s.out, item)
}

func (s *sayer) word(w string) { s.seg("segments.words", s.g.Segments.Words, w) }

// num says one named number (below 100).
func (s *sayer) num(n int) { s.seg("segments.numbers", s.g.Segments.Numbers, strconv.Itoa(n)) }

// number says a whole number: minus, then billions, millions, thousands,
// hundreds and the rest ("one million one", "one hundred fifteen").
func (s *sayer) number(n int64) {
	if n < 0 {
		s.word("minus")
		n = -n
	}
	if n == 0 {
		s.num(0)
		return
	}
	scales := []struct {
		name string
		size int64
	}{{"billion", 1_000_000_000}, {"million", 1_000_000}, {"thousand", 1000}}
	for _, sc := range scales {
		if q := n / sc.size; q > 0 {
			s.below1000(int(q))
			s.seg("segments.scales", s.g.Segments.Scales, sc.name)
			n %= sc.size
		}
	}
	if n > 0 {
		s.below1000(int(n))
	}
}

func (s *sayer) below1000(n int) {
	if h := n / 100; h > 0 {
		s.num(h)
		s.seg("segments.scales", s.g.Segments.Scales, "hundred")
	}
	if r := n % 100; r > 0 {
		s.below100(r)
	}
}

// below100 says 1–99: a named number, or tens and units in the
// grammar's order.
func (s *sayer) below100(n int) {
	if _, ok := s.g.Segments.Numbers[strconv.Itoa(n)]; ok || n < 20 || n%10 == 0 {
		s.num(n)
		return
	}
	tens, units := n/10*10, n%10
	if s.g.Rules.TensUnits == UnitsFirst {
		s.num(units)
		if _, ok := s.g.Segments.Words["and"]; ok {
			s.word("and")
		}
		s.num(tens)
		return
	}
	s.num(tens)
	s.num(units)
}

// ordinal says 1–31 as an ordinal ("fifteenth", "twenty first").
func (s *sayer) ordinal(n int) {
	ords := s.g.Segments.Ordinals
	if _, ok := ords[strconv.Itoa(n)]; ok || n < 20 || n%10 == 0 {
		s.seg("segments.ordinals", ords, strconv.Itoa(n))
		return
	}
	s.num(n / 10 * 10)
	s.seg("segments.ordinals", ords, strconv.Itoa(n%10))
}

// year says a year by the grammar's rule.
func (s *sayer) year(y int) {
	hi, lo := y/100, y%100
	if s.g.Rules.Year != YearPairs || y < 1000 || (hi%10 == 0 && lo < 10) {
		// "two thousand", "two thousand five", and years before 1000.
		s.number(int64(y))
		return
	}
	s.below100(hi)
	switch {
	case lo == 0:
		s.seg("segments.scales", s.g.Segments.Scales, "hundred") // nineteen hundred
	case lo < 10:
		s.word("oh") // nineteen oh five
		s.num(lo)
	default:
		s.below100(lo)
	}
}

func (s *sayer) date(d time.Time) {
	for _, p := range s.g.Rules.Date {
		switch p {
		case "month":
			s.listItem("segments.months", s.g.Segments.Months, int(d.Month())-1)
		case "day":
			s.ordinal(d.Day())
		case "year":
			s.year(d.Year())
		case "weekday":
			s.listItem("segments.weekdays", s.g.Segments.Weekdays, int(d.Weekday()))
		}
	}
}

func (s *sayer) listItem(field string, list []string, i int) {
	if i < 0 || i >= len(list) || list[i] == "" {
		if s.missing == "" {
			s.missing = fmt.Sprintf("%s[%d]", field, i)
		}
		return
	}
	s.out = append(s.out, list[i])
}

// clock says a time of day: 12h "nine oh five a.m.", "twelve o'clock
// p.m."; 24h "twenty one thirty", "nine oh five", "fourteen o'clock".
func (s *sayer) clock(h, m int) {
	hour := h
	if s.g.Rules.Clock == Clock12 {
		hour = h % 12
		if hour == 0 {
			hour = 12
		}
	}
	s.below100OrZero(hour)
	switch {
	case m == 0:
		s.word("oclock")
	case m < 10:
		s.word("oh")
		s.num(m)
	default:
		s.below100(m)
	}
	if s.g.Rules.Clock == Clock12 {
		if h < 12 {
			s.word("am")
		} else {
			s.word("pm")
		}
	}
}

func (s *sayer) below100OrZero(n int) {
	if n == 0 {
		s.num(0)
		return
	}
	s.below100(n)
}

// ParseNumber reads a whole number: an optional sign, then digits,
// optionally grouped by commas in threes ("1,000,001"); at most
// MaxNumber in magnitude.
func ParseNumber(v string) (int64, error) {
	t := strings.TrimSpace(v)
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	if t == "" {
		return 0, ErrInvalid.New("value", "%q is not a whole number", v)
	}
	if strings.Contains(t, ",") {
		groups := strings.Split(t, ",")
		for i, g := range groups {
			if (i == 0 && (len(g) < 1 || len(g) > 3)) || (i > 0 && len(g) != 3) {
				return 0, ErrInvalid.New("value", "%q is not a whole number (commas must group digits in threes, e.g. 1,000,001)", v)
			}
		}
		t = strings.Join(groups, "")
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, ErrInvalid.New("value", "%q is not a whole number (digits only, with an optional sign)", v)
		}
	}
	t = strings.TrimLeft(t, "0")
	if len(t) > 12 {
		return 0, ErrInvalid.New("value", "%q is too large to say (at most %d)", v, int64(MaxNumber))
	}
	var n int64
	if t != "" {
		var err error
		if n, err = strconv.ParseInt(t, 10, 64); err != nil {
			return 0, ErrInvalid.New("value", "%q is not a whole number", v)
		}
	}
	if neg {
		n = -n
	}
	return n, nil
}

// ParseDigits reads a string of digits said one by one ("0042"); spaces
// and dashes between them are separators and not said.
func ParseDigits(v string) (string, error) {
	var b strings.Builder
	for _, c := range v {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune(c)
		case c == ' ' || c == '-':
		default:
			return "", ErrInvalid.New("value", "%q has %q; digits are said from 0–9 (spaces and dashes are skipped)", v, c)
		}
	}
	return checkChars(v, b.String(), "digits")
}

// ParseAlphabet reads letters and digits said one by one ("AbZ" → a, b,
// z); case is not said, spaces are skipped.
func ParseAlphabet(v string) (string, error) {
	var b strings.Builder
	for _, c := range v {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c - 'A' + 'a')
		case c == ' ':
		default:
			return "", ErrInvalid.New("value", "%q has %q; an alphabet value is letters A–Z and digits (spaces are skipped)", v, c)
		}
	}
	return checkChars(v, b.String(), "letters or digits")
}

func checkChars(v, got, what string) (string, error) {
	if got == "" {
		return "", ErrInvalid.New("value", "%q has no %s to say", v, what)
	}
	if len(got) > MaxChars {
		return "", ErrInvalid.New("value", "%q has %d %s; at most %d are said", v, len(got), what, MaxChars)
	}
	return got, nil
}

// Date layouts accepted: a date, and date-times whose date is said
// ($sys.datetime's "2006-01-02 15:04:05", RFC 3339).
var dateLayouts = []string{"2006-01-02", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04"}

// ParseDate reads a calendar date, YYYY-MM-DD (a date-time's date part
// is said as it is written, without converting its time zone).
func ParseDate(v string) (time.Time, error) {
	t := strings.TrimSpace(v)
	for _, l := range dateLayouts {
		if d, err := time.Parse(l, t); err == nil {
			if d.Year() < 1 {
				break
			}
			return d, nil
		}
	}
	return time.Time{}, ErrInvalid.New("value", "%q is not a date (YYYY-MM-DD, e.g. 2026-03-15)", v)
}

// Time layouts accepted: a time of day, and date-times whose time is
// said.
var timeLayouts = []string{"15:04", "15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04"}

// ParseTime reads a time of day, HH:MM or HH:MM:SS (24-hour; seconds
// are not said).
func ParseTime(v string) (hour, minute int, err error) {
	t := strings.TrimSpace(v)
	if len(t) == 4 && t[1] == ':' {
		t = "0" + t // 9:05
	}
	for _, l := range timeLayouts {
		if d, err := time.Parse(l, t); err == nil {
			return d.Hour(), d.Minute(), nil
		}
	}
	return 0, 0, ErrInvalid.New("value", "%q is not a time of day (HH:MM in 24 hours, e.g. 21:30)", v)
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
