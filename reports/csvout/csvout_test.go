package csvout

import "testing"

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"+", "'+"},
		{"+4915100000009", "+4915100000009"}, // a phone number stays
		{"+1 555", "'+1 555"},
		{"+1-555", "'+1-555"},
		{"+12=3", "'+12=3"},
		{"+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"},
		{"'=already", "'=already"},
		{"a=b", "a=b"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if IsFormula([]byte(tc.in)) != IsFormulaString(tc.in) {
			t.Errorf("IsFormula and IsFormulaString disagree on %q", tc.in)
		}
	}
}

func FuzzCell(f *testing.F) {
	for _, s := range []string{"", "=1", "+49", "+4-", "-", "@", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if IsFormula([]byte(s)) != IsFormulaString(s) {
			t.Fatalf("IsFormula and IsFormulaString disagree on %q", s)
		}
		got := Cell(s)
		if IsFormulaString(got) {
			t.Fatalf("Cell(%q) = %q is still a formula", s, got)
		}
	})
}
