package calllist

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// Screen answers the account's list questions for an E.164 number
// ("+919876543210"). The store implements it over the white/blacklists and
// the DNC entries loaded for one account.
type Screen interface {
	Blacklisted(e164 string) bool
	Whitelisted(e164 string) bool
	// DNC reports a DNC/NDNC match: the number itself or a listed prefix
	// (the matching entry is returned for the reason).
	DNC(e164 string) (entry string, ok bool)
}

// NoScreen is the empty Screen (no lists).
type NoScreen struct{}

func (NoScreen) Blacklisted(string) bool   { return false }
func (NoScreen) Whitelisted(string) bool   { return false }
func (NoScreen) DNC(string) (string, bool) { return "", false }

// Normalize turns a number into E.164. Trigger and call-list numbers carry
// their country code ("919876543210" or "+91 98765 43210"); a number that is
// only valid as a national number of region (ISO 3166 code, e.g. "IN") is
// accepted too.
func Normalize(raw, region string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", fmt.Errorf("empty number")
	}
	if len(s) > 40 {
		return "", fmt.Errorf("%.20q… is not a phone number (too long)", s)
	}
	for _, r := range s {
		if !(unicode.IsDigit(r) && r < 128) && !strings.ContainsRune("+-(). ", r) {
			return "", fmt.Errorf("%q is not a phone number (unexpected %q)", s, r)
		}
	}
	if e, valid, decided := fastNormalize(s, region); decided {
		if valid {
			return e, nil
		}
		if strings.HasPrefix(s, "+") {
			return "", fmt.Errorf("%q is not a valid phone number", s)
		}
		if region != "" {
			return "", fmt.Errorf("%q is not a valid phone number (with country code, or national in %s)", s, region)
		}
		return "", fmt.Errorf("%q is not a valid phone number (include the country code)", s)
	}
	return normalizeSlow(s, region)
}

// fastNormalize is the exact fast path for digits-only input (see fastnum.go).
func fastNormalize(s, region string) (e164 string, valid, decided bool) {
	plus := strings.HasPrefix(s, "+")
	d := strings.TrimPrefix(s, "+")
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return "", false, false
		}
	}
	if plus {
		v, ok := fastE164(d)
		if !ok {
			return "", false, false
		}
		if v {
			return "+" + d, true, true
		}
		return "", false, true
	}
	if region == "" {
		v, ok := fastE164(d)
		if ok && v {
			return "+" + d, true, true
		}
		return "", false, ok && !v
	}
	return fastNational(d, region)
}

// normalizeSlow is Normalize through phonenumbers.Parse (the reference).
func normalizeSlow(s, region string) (string, error) {
	try := func(s, region string) (string, bool) {
		n, err := phonenumbers.Parse(s, region)
		if err != nil || !phonenumbers.IsValidNumber(n) {
			return "", false
		}
		return phonenumbers.Format(n, phonenumbers.E164), true
	}
	if strings.HasPrefix(s, "+") {
		if e, ok := try(s, ""); ok {
			return e, nil
		}
		return "", fmt.Errorf("%q is not a valid phone number", s)
	}
	if strings.HasPrefix(s, "00") {
		if e, ok := try("+"+s[2:], ""); ok {
			return e, nil
		}
	}
	if region != "" {
		if e, ok := try(s, region); ok {
			return e, nil
		}
	}
	if e, ok := try("+"+s, ""); ok {
		return e, nil
	}
	if region != "" {
		return "", fmt.Errorf("%q is not a valid phone number (with country code, or national in %s)", s, region)
	}
	return "", fmt.Errorf("%q is not a valid phone number (include the country code)", s)
}

// Checked is a record after validation: Status is StatusPending (valid),
// StatusInvalid or StatusScrubbed, Reason says why it was rejected, and
// Numbers are E.164 when valid.
type Checked struct {
	Record
	Status string
	Reason string
}

// Validator checks records of one request. Duplicates within the request
// are not detected here (that needs memory growing with the list): the store
// marks them in one set-based statement after the rows are in.
type Validator struct {
	// Region is the default country (ISO 3166-1 alpha-2) for numbers
	// given without a country code; empty requires the country code.
	Region string
	Screen Screen
}

// ReasonDuplicate starts the reason of a duplicate record.
const ReasonDuplicate = "duplicate"

// Check validates one record: every number must be valid (E.164
// normalised); a blacklisted number rejects the record; unless the primary
// number is whitelisted, a DNC/NDNC match on any number scrubs it.
func (v *Validator) Check(rec Record) Checked {
	c := Checked{Record: rec, Status: StatusPending}
	scr := v.Screen
	if scr == nil {
		scr = NoScreen{}
	}
	if len(rec.Numbers) == 0 {
		return reject(c, StatusInvalid, "no number to dial")
	}
	if len(rec.Numbers) > MaxNumbers {
		return reject(c, StatusInvalid, fmt.Sprintf("%d numbers, at most %d", len(rec.Numbers), MaxNumbers))
	}
	norm := make([]string, len(rec.Numbers))
	for i, n := range rec.Numbers {
		e, err := Normalize(n, v.Region)
		if err != nil {
			return reject(c, StatusInvalid, fmt.Sprintf("invalid number %d: %v", i+1, err))
		}
		for j := range i {
			if norm[j] == e {
				return reject(c, StatusInvalid, fmt.Sprintf("number %d (%s) repeats number %d", i+1, e, j+1))
			}
		}
		norm[i] = e
	}
	c.Numbers = norm
	for i, e := range norm {
		if scr.Blacklisted(e) {
			return reject(c, StatusInvalid, fmt.Sprintf("blacklisted number %s (number %d)", e, i+1))
		}
	}
	for i, e := range norm {
		if scr.Whitelisted(e) {
			continue // whitelisted numbers are exempt from NDNC scrubbing
		}
		if entry, ok := scr.DNC(e); ok {
			what := "number"
			if entry != e {
				what = "prefix " + entry
			}
			return reject(c, StatusScrubbed, fmt.Sprintf("DNC/NDNC registered %s (number %d, %s)", e, i+1, what))
		}
	}
	return c
}

func reject(c Checked, status, reason string) Checked {
	c.Status, c.Reason = status, reason
	return c
}
