package notify

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"

	"github.com/switchyard/switchyard"

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

// TestBulkCSVProblemsInPlainWords: a line the CSV reader refuses is
// rejected (or the file refused, for the header) with what to fix in the
// file, not the reader's own error text.
func TestBulkCSVProblemsInPlainWords(t *testing.T) {
	rows, err := ParseBulk(strings.NewReader("name,phone\nAnn \"A\",+12025550102\nBob,+12025550103\n"))
	if err != nil || len(rows) != 2 || !strings.Contains(rows[0].Err, "put the field in quotes and double its quotes") ||
		strings.Contains(rows[0].Err, "non-quoted") || rows[1].Err != "" {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	_, err = ParseBulk(strings.NewReader("name,\"phone\n"))
	var ae *switchyard.Error
	if !errors.As(err, &ae) || ae.Field != "file" || !strings.Contains(ae.Message, "is not closed") || strings.Contains(ae.Message, "parse error") {
		t.Fatalf("header: %v", err)
	}
}
