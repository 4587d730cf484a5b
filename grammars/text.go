package grammars

import (
	"fmt"
	"strconv"
	"strings"
)

// months are the English month names of the text given to text-to-speech.
var months = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}

// Text writes a value the way a text-to-speech engine reads it as the
// value's kind, in English: a number as digits ("-1000001": minus one
// million one), digits and letters one by one ("0 0 4 2", "A B Z"), a
// date as "March 15th, 2026" and a time as "9:05 AM". The value is
// checked as Say checks it.
func Text(kind, value string) (string, error) {
	switch kind {
	case KindNumber:
		n, err := ParseNumber(value)
		if err != nil {
			return "", err
		}
		return strconv.FormatInt(n, 10), nil
	case KindDigits:
		d, err := ParseDigits(value)
		if err != nil {
			return "", err
		}
		return spaced(d), nil
	case KindAlphabet:
		a, err := ParseAlphabet(value)
		if err != nil {
			return "", err
		}
		return strings.ToUpper(spaced(a)), nil
	case KindDate:
		d, err := ParseDate(value)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %d%s, %d", months[d.Month()-1], d.Day(), ordinalSuffix(d.Day()), d.Year()), nil
	case KindTime:
		h, m, err := ParseTime(value)
		if err != nil {
			return "", err
		}
		ampm := "AM"
		if h >= 12 {
			ampm = "PM"
		}
		h12 := h % 12
		if h12 == 0 {
			h12 = 12
		}
		if m == 0 {
			return fmt.Sprintf("%d %s", h12, ampm), nil
		}
		return fmt.Sprintf("%d:%02d %s", h12, m, ampm), nil
	}
	return "", ErrInvalid.New("type", "%q is not a kind of value a grammar says (%s)", kind, strings.Join(Kinds, ", "))
}

func spaced(s string) string {
	parts := make([]string, 0, len(s))
	for _, c := range s {
		parts = append(parts, string(c))
	}
	return strings.Join(parts, " ")
}

func ordinalSuffix(d int) string {
	switch {
	case d%100 >= 11 && d%100 <= 13:
		return "th"
	case d%10 == 1:
		return "st"
	case d%10 == 2:
		return "nd"
	case d%10 == 3:
		return "rd"
	}
	return "th"
}
