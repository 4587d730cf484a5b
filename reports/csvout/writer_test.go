package csvout

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
)

func TestAppendCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a,b", `"a,b"`},
		{`say "hi"`, `"say ""hi"""`},
		{"line\nbreak", "\"line\nbreak\""},
		{"=1+1", "'=1+1"},
		{"+4915100000001", "+4915100000001"},
		{"+49 151", "'+49 151"},
		{"+1+1", "'+1+1"},
		{"-5", "'-5"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "\"'\tx\""},
		{"\rx", "\"'\rx\""},
		{`=HYPERLINK("http://x","y")`, `"'=HYPERLINK(""http://x"",""y"")"`},
		{" lead", `" lead"`},
		{"a=b", "a=b"},
	}
	for _, c := range cases {
		if got := string(AppendCell(nil, []byte(c.in))); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzCSVCell: whatever a cell holds, the row parses back (encoding/csv)
// to the same cells, except that a formula cell comes back with one
// leading apostrophe — and no parsed cell ever starts with a formula
// character.
func FuzzCSVCell(f *testing.F) {
	for _, s := range []string{"", "x", "=1", "+1", "-1", "@x", "\tx", "\rx", "a,b", `"`, "a\r\nb", " x", "'=x", "\n", "=\"a,b\"\r\n"} {
		f.Add(s, "second")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var out bytes.Buffer
		w := NewWriter(&out)
		if err := w.Write([][]byte{[]byte(a), []byte(b)}); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteStrings(b, a); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r := csv.NewReader(&out)
		r.FieldsPerRecord = 2
		recs, err := r.ReadAll()
		if err != nil {
			var pe *csv.ParseError
			// encoding/csv normalises \r\n inside quoted fields to \n and
			// rejects a bare \r nowhere; anything else is our bug.
			if !errors.As(err, &pe) {
				t.Fatalf("%q %q: %v", a, b, err)
			}
			t.Fatalf("%q %q: unparseable output %q: %v", a, b, out.String(), err)
		}
		if len(recs) != 2 {
			t.Fatalf("%q %q: %d records from %q", a, b, len(recs), out.String())
		}
		want := func(s string) string {
			if isFormula([]byte(s)) {
				s = "'" + s
			}
			// encoding/csv reads \r\n inside a quoted field as \n.
			return strings.ReplaceAll(s, "\r\n", "\n")
		}
		for i, pair := range [][2]string{{a, b}, {b, a}} {
			for j := range 2 {
				got := recs[i][j]
				if got != want(pair[j]) && got != strings.ReplaceAll(want(pair[j]), "\r", "\n") {
					t.Errorf("cell %q came back as %q", pair[j], got)
				}
				if isFormula([]byte(got)) {
					t.Errorf("cell %q came back as a formula %q", pair[j], got)
				}
			}
		}
	})
}

func TestCSVWriterFlushesAndStopsOnError(t *testing.T) {
	var out bytes.Buffer
	flushes := 0
	w := NewWriter(&out)
	w.Flushed = func() { flushes++ }
	row := [][]byte{bytes.Repeat([]byte("x"), 1000)}
	for range 200 {
		if err := w.Write(row); err != nil {
			t.Fatal(err)
		}
	}
	if flushes < 5 || out.Len() < 150_000 {
		t.Errorf("%d flushes, %d bytes out before Close", flushes, out.Len())
	}
	if err := w.Close(); err != nil || out.Len() != 200*1002 {
		t.Errorf("close: %v, %d bytes", err, out.Len())
	}
	fail := NewWriter(failWriter{})
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		err = fail.Write(row)
	}
	if err == nil || fail.Write(row) == nil {
		t.Error("write errors are not reported")
	}
	_ = fail.Close()
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
