package calllist

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// A fast exact path for the common input, a number with its country code
// ("+919876543210" / "919876543210"): phonenumbers.Parse + IsValidNumber
// cost ~15 µs per number (string building and a locked regexp cache on
// every pattern), which caps an import at ~35k rows/s. fastValid answers
// the same question from the same metadata with the regexps compiled once.
// It only ever says "valid" when the library's rules reduce to the plain
// pattern check (no national prefix to strip, no leading zero, a
// geographic country code); every other input takes the library path, so
// results are identical — TestFastPathMatchesLibrary checks that.

type descMatcher struct {
	lengths []int32
	re      *digitDFA
}

func (d *descMatcher) match(n string) bool {
	if d == nil {
		return false
	}
	if len(d.lengths) > 0 {
		ok := false
		for _, l := range d.lengths {
			if int32(len(n)) == l {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return d.re.MatchString(n)
}

type regionMatcher struct {
	id            string
	general       *descMatcher
	types         []*descMatcher
	leadingDigits *digitDFA // nil if none
	npfp          *digitDFA // national prefix for parsing, nil if none
	intl          *digitDFA // international (IDD) prefix, nil if none
}

func (r *regionMatcher) valid(n string) bool {
	if !r.general.match(n) {
		return false
	}
	for _, t := range r.types {
		if t.match(n) {
			return true
		}
	}
	return false
}

var (
	fastOnce    sync.Once
	fastRegions map[int][]*regionMatcher // by country calling code, in the library's region order
)

func newDesc(d *phonenumbers.PhoneNumberDesc) *descMatcher {
	if d == nil {
		return &descMatcher{re: newDigitDFA(`^(?:)$`)}
	}
	return &descMatcher{lengths: d.PossibleLength, re: newDigitDFA("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

// Preload compiles the numbering plan's matchers now (once per process)
// instead of at the first number checked: a daemon calls it at start, so
// the first list uploaded does not wait for it.
func Preload() { fastOnce.Do(loadFast) }

func loadFast() {
	fastRegions = map[int][]*regionMatcher{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil || coll == nil {
		return
	}
	byID := map[string]*phonenumbers.PhoneMetadata{}
	for _, m := range coll.GetMetadata() {
		byID[m.GetId()] = m
	}
	for id, m := range byID {
		if id == "001" {
			continue // non-geographic entities: library path
		}
		cc := int(m.GetCountryCode())
		if _, done := fastRegions[cc]; done {
			continue
		}
		var list []*regionMatcher
		for _, rid := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			md := byID[rid]
			if md == nil {
				list = nil
				break
			}
			rm := &regionMatcher{id: rid, general: newDesc(md.GetGeneralDesc())}
			for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
				md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(), md.GetFixedLine(), md.GetMobile()} {
				rm.types = append(rm.types, newDesc(d))
			}
			if ld := md.GetLeadingDigits(); ld != "" {
				rm.leadingDigits = newDigitPrefixDFA(ld)
			}
			if p := md.GetNationalPrefixForParsing(); p != "" {
				rm.npfp = newDigitPrefixDFA(p)
			} else if p := md.GetNationalPrefix(); p != "" {
				rm.npfp = newDigitPrefixDFA(regexp.QuoteMeta(p))
			}
			if p := md.GetInternationalPrefix(); p != "" {
				rm.intl = newDigitPrefixDFA(p)
			}
			list = append(list, rm)
		}
		fastRegions[cc] = list
	}
}

// fastE164 reports whether digits (country code + national number, digits
// only) is a valid number by the library's rules, when it can decide that
// exactly; decided is false when the library must be asked.
func fastE164(digits string) (valid, decided bool) {
	fastOnce.Do(loadFast)
	if len(digits) < 4 || len(digits) > 20 || digits[0] == '0' {
		return false, false
	}
	for i := 1; i <= 3 && i < len(digits); i++ {
		cc, err := strconv.Atoi(digits[:i])
		if err != nil {
			return false, false
		}
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) == 0 {
			continue
		}
		regions := fastRegions[cc]
		if len(regions) == 0 {
			return false, false
		}
		n := digits[i:]
		if len(n) < 2 || len(n) > 17 || n[0] == '0' {
			return false, false
		}
		var region *regionMatcher
		if len(regions) == 1 {
			region = regions[0]
		} else {
			for _, r := range regions {
				if r.leadingDigits != nil {
					if r.leadingDigits.MatchString(n) {
						region = r
						break
					}
				} else if r.valid(n) {
					region = r
					break
				}
			}
		}
		if region == nil {
			return false, false
		}
		// The library may strip a national prefix (and transform) when one
		// matches: leave those to it.
		for _, r := range regions {
			if r.npfp != nil {
				if r.npfp.MatchString(n) {
					return false, false
				}
			}
		}
		return region.valid(n), true
	}
	return false, false
}

// fastNational decides a digits-only number s for default region r the way
// Normalize's library path does (national in r first, then with its own
// country code); decided is false when the library must be asked.
func fastNational(s, r string) (e164 string, valid, decided bool) {
	fastOnce.Do(loadFast)
	if len(s) == 0 || s[0] == '0' {
		return "", false, false
	}
	cc := phonenumbers.GetCountryCodeForRegion(r)
	regions := fastRegions[cc]
	if cc == 0 || len(regions) == 0 {
		return "", false, false
	}
	for _, rm := range regions {
		if rm.npfp != nil && rm.npfp.MatchString(s) {
			return "", false, false
		}
		if rm.intl != nil && rm.intl.MatchString(s) {
			return "", false, false
		}
	}
	ccs := strconv.Itoa(cc)
	nv, nd := fastE164(ccs + s)
	if !nd {
		return "", false, false
	}
	if nv {
		return "+" + ccs + s, true, true
	}
	iv, id := fastE164(s)
	if !id {
		return "", false, false
	}
	if iv {
		return "+" + s, true, true
	}
	return "", false, true
}
