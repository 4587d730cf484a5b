package notify

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/switchyard/switchyard/reports/csvout"
)

// TestBulkReportNeutralisesFormulas: no cell of the bulk add report is
// one a spreadsheet would run as a formula, by the one rule every CSV
// download follows (a phone number, '+' and digits, stays as it is).
func TestBulkReportNeutralisesFormulas(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"+12025550102", "+12025550102"},
		{"+1-2", "'+1-2"},
		{"+1 2", "'+1 2"},
		{"+", "'+"},
		{"=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"-1", "'-1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"Ann", "Ann"},
	} {
		var b bytes.Buffer
		res := BulkResult{Rows: []RowResult{{Row: 1, Name: tc.in, Phone: tc.in, Status: RowRejected, Reason: tc.in}}}
		if err := WriteBulkReport(&b, res); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(&b).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%q: report %v, %v", tc.in, recs, err)
		}
		for _, i := range []int{1, 2, 4} {
			if recs[1][i] != tc.want || csvout.IsFormulaString(recs[1][i]) {
				t.Errorf("%q: column %s is %q, want %q", tc.in, recs[0][i], recs[1][i], tc.want)
			}
		}
	}
}
