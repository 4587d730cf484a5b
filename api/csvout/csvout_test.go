package csvout

import "testing"

func TestNeutralise(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"+4915100000001", "+4915100000001"},
		{"+1", "+1"},
		{"+", "'+"},
		{"+1+1", "'+1+1"},
		{"+49 151", "'+49 151"},
		{"+SUM(A1)", "'+SUM(A1)"},
		{"=1+1", "'=1+1"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"a=b", "a=b"},
		{"4915100000001", "4915100000001"},
	}
	for _, c := range cases {
		if got := Neutralise(c.in); got != c.want {
			t.Errorf("Neutralise(%q) = %q, want %q", c.in, got, c.want)
		}
		if IsFormula([]byte(c.in)) != IsFormulaString(c.in) {
			t.Errorf("%q: IsFormula and IsFormulaString disagree", c.in)
		}
	}
}

func FuzzIsFormula(f *testing.F) {
	for _, s := range []string{"", "+", "+1", "+1a", "=x", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsFormula([]byte(s)) != IsFormulaString(s) {
			t.Fatalf("%q: IsFormula and IsFormulaString disagree", s)
		}
		if n := Neutralise(s); n != s && n != "'"+s {
			t.Fatalf("%q neutralised to %q", s, n)
		}
	})
}
