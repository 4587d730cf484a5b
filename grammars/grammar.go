// Package grammars says dynamic values — numbers, digits, alphabets,
// dates and times — from prompt segments in a language, for flows that
// announce with prompts rather than text-to-speech. A grammar is a JSON
// document (Grammar) naming, per language, the segment that says each
// word (a digit, a number, a scale such as "thousand", an ordinal, a
// month, a letter, "a.m.", ...) and the order rules that join them
// ("twenty one", "March fifteenth twenty twenty six").
//
// Segments are media items: sound:<name> (a sound on the Asterisk box,
// e.g. Asterisk's core sounds) or prompt:<name> (one of the account's
// uploaded prompts; the flow engine resolves it when the widget plays).
//
// The Sample English Grammar (SampleName), built from Asterisk's core
// sounds, is shipped with Switchyard and always available read-only;
// accounts add their own grammars (Service.Create), which are kept in the
// database. The say widget of flows (flows.Sayer) and the HTTP API
// (api/grammarsapi) both call the Service.
package grammars

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/switchyard/switchyard"
)

// ErrInvalid is the coded error of a bad grammar document, a bad value
// to say or a grammar that lacks a segment the value needs (422).
var ErrInvalid = switchyard.Sentinel(switchyard.CodeInvalid, http.StatusUnprocessableEntity, "invalid grammar or value")

// Format is the grammar document format version.
const Format = 1

// Grammar is a grammar document.
//
//	{"format": 1, "language": "en", "description": "…",
//	 "segments": {
//	   "numbers":  {"0": "sound:digits/0", …, "19": …, "20": …, "30": …, …, "90": …},
//	   "scales":   {"hundred": …, "thousand": …, "million": …, "billion": …},
//	   "ordinals": {"1": "sound:digits/h-1", …, "19": …, "20": …, "30": …},
//	   "months":   [12 items, January first],
//	   "weekdays": [7 items, Sunday first],
//	   "letters":  {"a": "sound:letters/a", …, "z": …},
//	   "words":    {"minus": …, "oh": …, "oclock": …, "am": …, "pm": …}},
//	 "rules": {"tens_units": "tens_first", "date": ["month", "day", "year"],
//	           "year": "pairs", "clock": "12h"}}
//
// numbers must name 0–19 and the tens 20, 30, … 90; any other number
// below 100 may be named too (languages whose numbers below 100 are
// single words name them all) and then wins over composing tens and
// units. ordinals must name 1–19, 20 and 30 (the days of a month;
// 21st is the tens' number then the unit's ordinal, unless named).
type Grammar struct {
	Format      int      `json:"format"`
	Language    string   `json:"language"`
	Description string   `json:"description,omitempty"`
	Segments    Segments `json:"segments"`
	Rules       Rules    `json:"rules"`
}

// Segments are the media items that say each word.
type Segments struct {
	Numbers  map[string]string `json:"numbers"`
	Scales   map[string]string `json:"scales"`
	Ordinals map[string]string `json:"ordinals"`
	Months   []string          `json:"months"`
	Weekdays []string          `json:"weekdays"`
	Letters  map[string]string `json:"letters"`
	Words    map[string]string `json:"words"`
}

// Rules are the order rules of the language.
type Rules struct {
	// TensUnits: "tens_first" ("twenty one") or "units_first" (the
	// unit, the word "and" when the grammar has it, then the tens:
	// "einundzwanzig").
	TensUnits string `json:"tens_units"`
	// Date is the order of a date's parts: "month", "day" (an ordinal),
	// "year" and optionally "weekday".
	Date []string `json:"date"`
	// Year: "pairs" ("twenty twenty six", "nineteen oh five"; 2000–2009
	// as numbers) or "number" ("two thousand twenty six").
	Year string `json:"year"`
	// Clock: "12h" (hour, minutes, a.m./p.m.) or "24h".
	Clock string `json:"clock"`
}

// Rule values.
const (
	TensFirst  = "tens_first"
	UnitsFirst = "units_first"
	YearPairs  = "pairs"
	YearNumber = "number"
	Clock12    = "12h"
	Clock24    = "24h"
)

// Scale words, smallest first.
var scaleNames = []string{"hundred", "thousand", "million", "billion"}

// Words a grammar must name, and the optional ones it may.
var (
	requiredWords = []string{"minus", "oh", "oclock", "am", "pm"}
	optionalWords = []string{"and"}
)

// Date parts.
var dateParts = []string{"month", "day", "year", "weekday"}

// MaxDocumentBytes bounds an uploaded grammar document.
const MaxDocumentBytes = 64 << 10

var (
	languageRE = regexp.MustCompile(`^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$`)
	// A sound name: a path below Asterisk's sounds directory, without
	// extension (or an http(s) URL Asterisk fetches into its media cache).
	soundRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)*$`)
	// A prompt name: letters, digits and underscore.
	promptRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	// A grammar name: letters, digits and underscore.
	nameRE = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
)

// ValidName checks a grammar's name: 1–64 letters, digits or underscores.
func ValidName(name string) error {
	if !nameRE.MatchString(name) {
		return ErrInvalid.New("name", "the grammar name %q must be 1 to 64 letters, digits or underscores", name)
	}
	return nil
}

// Parse reads and validates a grammar document: unknown fields,
// missing segments, bad segment items and bad rules are errors, every
// problem is listed in the message.
func Parse(data []byte) (*Grammar, error) {
	if len(data) > MaxDocumentBytes {
		return nil, ErrInvalid.New("document", "the grammar document has %d bytes; at most %d are allowed", len(data), MaxDocumentBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var g Grammar
	if err := dec.Decode(&g); err != nil {
		return nil, ErrInvalid.New("document", "the grammar is not a valid JSON document: %v", err)
	}
	if dec.More() {
		return nil, ErrInvalid.New("document", "the grammar document has data after its JSON object")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Validate checks every required segment is present and valid, the
// language code and the rules; the error lists every problem.
func (g *Grammar) Validate() error {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if g.Format != Format {
		add("format must be %d (got %d)", Format, g.Format)
	}
	if !languageRE.MatchString(g.Language) {
		add("language %q is not a language code (e.g. en, en-US, hi)", g.Language)
	}
	if len(g.Description) > 500 {
		add("description is longer than 500 characters")
	}
	s := &g.Segments
	checkItem := func(where, item string) {
		if err := checkSegment(item); err != nil {
			add("%s: %v", where, err)
		}
	}
	// numbers: 0–19 and the tens required, anything else below 100 allowed.
	for n := 0; n < 100; n++ {
		k := strconv.Itoa(n)
		item, ok := s.Numbers[k]
		if !ok {
			if n < 20 || n%10 == 0 {
				add("segments.numbers.%s is missing", k)
			}
			continue
		}
		checkItem("segments.numbers."+k, item)
	}
	for _, k := range sortedKeys(s.Numbers) {
		if n, err := strconv.Atoi(k); err != nil || n < 0 || n > 99 || strconv.Itoa(n) != k {
			add("segments.numbers has %q, which is not a number from 0 to 99", k)
		}
	}
	checkNamed := func(field string, m map[string]string, required, optional []string) {
		known := map[string]bool{}
		for _, k := range required {
			known[k] = true
			item, ok := m[k]
			if !ok {
				add("%s.%s is missing", field, k)
				continue
			}
			checkItem(field+"."+k, item)
		}
		for _, k := range optional {
			known[k] = true
			if item, ok := m[k]; ok {
				checkItem(field+"."+k, item)
			}
		}
		for _, k := range sortedKeys(m) {
			if !known[k] {
				add("%s has %q, which is not one of %s", field, k, strings.Join(append(append([]string{}, required...), optional...), ", "))
			}
		}
	}
	checkNamed("segments.scales", s.Scales, scaleNames, nil)
	var ordKeys []string
	for n := 1; n <= 19; n++ {
		ordKeys = append(ordKeys, strconv.Itoa(n))
	}
	ordKeys = append(ordKeys, "20", "30")
	checkNamed("segments.ordinals", s.Ordinals, ordKeys, []string{"31"}) // 21–29 and 31 compose
	var letters []string
	for c := 'a'; c <= 'z'; c++ {
		letters = append(letters, string(c))
	}
	checkNamed("segments.letters", s.Letters, letters, nil)
	checkNamed("segments.words", s.Words, requiredWords, optionalWords)
	checkList := func(field string, list []string, n int) {
		if len(list) != n {
			add("%s must have %d items (got %d)", field, n, len(list))
		}
		for i, item := range list {
			checkItem(fmt.Sprintf("%s[%d]", field, i), item)
		}
	}
	checkList("segments.months", s.Months, 12)
	checkList("segments.weekdays", s.Weekdays, 7)

	r := &g.Rules
	if r.TensUnits != TensFirst && r.TensUnits != UnitsFirst {
		add("rules.tens_units must be %s or %s (got %q)", TensFirst, UnitsFirst, r.TensUnits)
	}
	if r.Year != YearPairs && r.Year != YearNumber {
		add("rules.year must be %s or %s (got %q)", YearPairs, YearNumber, r.Year)
	}
	if r.Clock != Clock12 && r.Clock != Clock24 {
		add("rules.clock must be %s or %s (got %q)", Clock12, Clock24, r.Clock)
	}
	seen := map[string]bool{}
	for _, p := range r.Date {
		if !contains(dateParts, p) {
			add("rules.date has %q, which is not one of %s", p, strings.Join(dateParts, ", "))
		} else if seen[p] {
			add("rules.date has %q twice", p)
		}
		seen[p] = true
	}
	for _, p := range []string{"month", "day", "year"} {
		if !seen[p] {
			add("rules.date must include %q", p)
		}
	}
	if len(probs) > 0 {
		return ErrInvalid.New("document", "the grammar is not valid: %s", strings.Join(probs, "; "))
	}
	return nil
}

// checkSegment checks one media item of a grammar.
func checkSegment(item string) error {
	kind, name, ok := strings.Cut(item, ":")
	switch {
	case !ok:
		return fmt.Errorf("%q must be sound:<name> or prompt:<name>", item)
	case kind == "sound":
		if strings.HasPrefix(name, "http://") || strings.HasPrefix(name, "https://") {
			if len(name) > 500 || strings.ContainsAny(name, " \t\r\n$") {
				return fmt.Errorf("%q is not a usable sound URL", item)
			}
			return nil
		}
		if len(name) > 200 || !soundRE.MatchString(name) || strings.Contains(name, "..") {
			return fmt.Errorf("%q: a sound name is a path of letters, digits, '_', '-', '+' and '.' (e.g. sound:digits/1)", item)
		}
		return nil
	case kind == "prompt":
		if !promptRE.MatchString(name) {
			return fmt.Errorf("%q: a prompt name is 1 to 64 letters, digits or underscores", item)
		}
		return nil
	}
	return fmt.Errorf("%q must be sound:<name> or prompt:<name>", item)
}

// Items lists every media item the grammar uses, once, in document order.
func (g *Grammar) Items() []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	s := &g.Segments
	for _, m := range []map[string]string{s.Numbers, s.Scales, s.Ordinals, s.Letters, s.Words} {
		for _, k := range sortedKeys(m) {
			add(m[k])
		}
	}
	for _, l := range [][]string{s.Months, s.Weekdays} {
		for _, v := range l {
			add(v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
