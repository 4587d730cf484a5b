package calllist

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFastPathMatchesLibrary: Normalize (fast path) and normalizeSlow
// (phonenumbers.Parse + IsValidNumber) agree on valid/invalid and on the
// E.164 result, for random numbers around real country codes and example
// numbers of every region, with and without "+", with and without a default
// region.
func TestFastPathMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var inputs []string
	for r := range phonenumbers.GetSupportedRegions() {
		for _, typ := range []phonenumbers.PhoneNumberType{phonenumbers.MOBILE, phonenumbers.FIXED_LINE, phonenumbers.TOLL_FREE} {
			if ex := phonenumbers.GetExampleNumberForType(r, typ); ex != nil {
				e := phonenumbers.Format(ex, phonenumbers.E164)
				inputs = append(inputs, e, e[1:], phonenumbers.GetNationalSignificantNumber(ex))
			}
		}
	}
	ccs := []int{1, 7, 20, 27, 33, 34, 39, 44, 49, 52, 54, 55, 61, 62, 81, 86, 91, 92, 234, 971, 880, 800, 882}
	for range 4000 {
		cc := ccs[rng.IntN(len(ccs))]
		n := strconv.Itoa(cc)
		l := 4 + rng.IntN(11)
		for range l {
			n += strconv.Itoa(rng.IntN(10))
		}
		inputs = append(inputs, n, "+"+n, n[len(strconv.Itoa(cc)):])
	}
	regions := []string{"", "IN", "US", "GB", "DE", "BR", "AR", "MX", "RU", "IT", "CN", "FR", "AU", "NG"}
	fast := 0
	for i, in := range inputs {
		region := regions[i%len(regions)]
		got, gerr := Normalize(in, region)
		want, werr := normalizeSlow(in, region)
		if (gerr == nil) != (werr == nil) || got != want {
			t.Fatalf("Normalize(%q, %q) = %q, %v; library: %q, %v", in, region, got, gerr, want, werr)
		}
		if _, _, decided := fastNormalize(in, region); decided {
			fast++
		}
	}
	t.Logf("%d inputs, %d decided by the fast path", len(inputs), fast)
	if fast < len(inputs)/3 {
		t.Errorf("fast path decided only %d of %d", fast, len(inputs))
	}
}

func BenchmarkNormalize(b *testing.B) {
	for _, tc := range []struct{ name, in, region string }{
		{"plus", "+919876543210", "IN"},
		{"cc-no-plus", "919876543210", "IN"},
		{"national", "9876543210", "IN"},
		{"us", "+14155550100", ""},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Normalize(tc.in, tc.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDFAMatchesRegexp: the lazy DFA agrees with Go's regexp on every
// pattern of the metadata (full and prefix matches) for random digit
// strings, including prefixes of example numbers (which reach deep states).
func TestDFAMatchesRegexp(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	checked, dfas, total := 0, 0, 0
	for _, md := range coll.GetMetadata() {
		var full, prefix []string
		for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetGeneralDesc(), md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(), md.GetVoip(), md.GetUan()} {
			if d != nil {
				full = append(full, d.GetNationalNumberPattern())
			}
		}
		for _, p := range []string{md.GetLeadingDigits(), md.GetNationalPrefixForParsing(), md.GetInternationalPrefix()} {
			if p != "" {
				prefix = append(prefix, p)
			}
		}
		var inputs []string
		if ex := md.GetGeneralDesc().GetExampleNumber(); ex != "" {
			for i := 0; i <= len(ex); i++ {
				inputs = append(inputs, ex[:i], ex[:i]+"9")
			}
		}
		if ex := md.GetMobile().GetExampleNumber(); ex != "" {
			inputs = append(inputs, ex)
		}
		for range 40 {
			n := rng.IntN(16)
			b := make([]byte, n)
			for i := range b {
				b[i] = byte('0' + rng.IntN(10))
			}
			inputs = append(inputs, string(b))
		}
		check := func(d *digitDFA, p string) {
			total++
			defer func() {
				if d.ok && !d.full.Load() {
					dfas++
				}
			}()
			for _, in := range inputs {
				if got, want := d.MatchString(in), d.re.MatchString(in); got != want {
					t.Fatalf("%s pattern %q on %q: DFA %v, regexp %v", md.GetId(), p, in, got, want)
				}
				checked++
			}
		}
		for _, p := range full {
			check(newDigitDFA("^(?:"+p+")$"), p)
		}
		for _, p := range prefix {
			check(newDigitPrefixDFA(p), p)
		}
	}
	t.Logf("%d comparisons; %d of %d patterns ran as DFAs", checked, dfas, total)
	if dfas < total*9/10 {
		t.Errorf("only %d of %d patterns ran as DFAs", dfas, total)
	}
}
