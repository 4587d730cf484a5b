package variables

import (
	"strings"
	"testing"
)

func TestScanAndInterpolate(t *testing.T) {
	vals := map[string]string{
		"$flow.key.name": "Ann", "$user.key.authToken": "1234", "$call.cli.number": "3012345",
		"$call.cli": "+493012345", "$sys.date": "2026-01-02", "$flow.syskey.agent.type": "dynamic",
	}
	lookup := func(r Ref) (string, bool) { v, ok := vals[r.Full()]; return v, ok }
	for _, tc := range []struct {
		in, out string
		missing []string
	}{
		{"Bearer oauth-$user.key.authToken", "Bearer oauth-1234", nil},
		{"Hi $flow.key.name.", "Hi Ann.", nil},
		{"${flow.key.name}s", "Anns", nil},
		{"$call.cli.number/$call.cli.", "3012345/+493012345.", nil},
		{"cost $5 and $$", "cost $5 and $$", nil},
		{"$flow.key.unset!", "!", []string{"$flow.key.unset"}},
		{"$call.nope", "", []string{"$call.nope"}},
		{"$flow.syskey.agent.type-x", "dynamic-x", nil},
		{"on $sys.date", "on 2026-01-02", nil},
		{"${flow.key.open", "", []string{"$flow.key.open"}},
	} {
		out, missing := Interpolate(tc.in, lookup)
		if out != tc.out || strings.Join(missing, ",") != strings.Join(tc.missing, ",") {
			t.Errorf("Interpolate(%q) = %q %v, want %q %v", tc.in, out, missing, tc.out, tc.missing)
		}
	}
}

func TestSplitNumber(t *testing.T) {
	for _, tc := range []struct{ in, cc, nat, area, without, typ string }{
		{"+4930123456", "49", "30123456", "30", "123456", "international"},
		{"+442079460000", "44", "2079460000", "20", "79460000", "international"},
		{"+33142685300", "33", "142685300", "1", "42685300", "international"},
		{"+919876543210", "91", "9876543210", "", "9876543210", "international"},
		{"+12125551234", "1", "2125551234", "212", "5551234", "international"},
		{"00919898333148", "91", "9898333148", "", "9898333148", "international"},
		{"+380441234567", "380", "441234567", "44", "1234567", "international"},
		{"030123456", "", "030123456", "", "030123456", "national"},
		{"anonymous", "", "anonymous", "", "anonymous", "unknown"},
	} {
		cc, nat, area, without, typ := SplitNumber(tc.in)
		if cc != tc.cc || nat != tc.nat || area != tc.area || without != tc.without || typ != tc.typ {
			t.Errorf("SplitNumber(%q) = %q %q %q %q %q", tc.in, cc, nat, area, without, typ)
		}
	}
}

func BenchmarkInterpolate(b *testing.B) {
	vals := map[string]string{"$flow.key.name": "Ann", "$user.key.tok": "1234", "$call.cli.number": "3012345"}
	lookup := func(r Ref) (string, bool) { v, ok := vals[r.Full()]; return v, ok }
	s := "https://crm.example.com/c/${flow.key.name}?tok=$user.key.tok&cli=$call.cli.number"
	b.ReportAllocs()
	for b.Loop() {
		if _, missing := Interpolate(s, lookup); missing != nil {
			b.Fatal(missing)
		}
	}
}

// FuzzInterpolate: the scanner never panics, its references lie in order
// inside the string, and text without "$" comes back unchanged.
func FuzzInterpolate(f *testing.F) {
	for _, s := range []string{"", "plain", "$flow.key.a", "${flow.key.a}", "${flow.key.", "$call.cli.number.", "$$sys.date$",
		"$flow.syskey.agent.type-x", "$call.nope", "${call.cli}x", "$user.key.", "${}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		refs, bad := Scan(s)
		last := 0
		for _, r := range mergeRefs(refs, bad) {
			if r.Start < last || r.End < r.Start || r.End > len(s) {
				t.Fatalf("Scan(%q): reference %+v out of order or bounds", s, r)
			}
			last = r.End
		}
		out, _ := Interpolate(s, func(Ref) (string, bool) { return "v", true })
		if !strings.Contains(s, "$") && out != s {
			t.Fatalf("Interpolate(%q) = %q; want it unchanged", s, out)
		}
	})
}
