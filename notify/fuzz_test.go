package notify

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchyard/switchyard"
)

// FuzzParseBulk: any file either is refused with a client error on the
// file, or gives one row per data line read, each with a row number in
// order, and a row without Err has the name and phone trimmed.
func FuzzParseBulk(f *testing.F) {
	f.Add(string(Template()))
	f.Add(bulkCSV(row("Ann", "+12025550102", "a@b.co", "X;Y"), "Ed,1"))
	f.Add("\ufeffName,PHONE\n\"A\"\"b\",2\n")
	f.Add("name,phone\n\"unterminated,1\nB,2\n")
	f.Add("name,phone,email1,email1\n")
	f.Add("name,phone,email11\nA,1,x\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, data string) {
		rows, err := ParseBulk(strings.NewReader(data))
		if err != nil {
			var ae *switchyard.Error
			if !errors.As(err, &ae) || ae.Field != "file" || ae.Message == "" {
				t.Fatalf("error %v is not a client error on the file", err)
			}
			return
		}
		if len(rows) == 0 {
			t.Fatal("no rows and no error")
		}
		for i, r := range rows {
			if r.Row != i+1 {
				t.Fatalf("row %d numbered %d", i+1, r.Row)
			}
			if r.Err != "" {
				continue
			}
			if r.Input.Name != strings.TrimSpace(r.Input.Name) || r.Input.Phone != strings.TrimSpace(r.Input.Phone) {
				t.Fatalf("untrimmed row %+v", r)
			}
			if len(r.Input.Emails) > 10 || !utf8.ValidString(r.Input.Name) {
				t.Fatalf("row %+v", r)
			}
		}
		// The report of any parse is valid CSV.
		res := BulkResult{}
		for _, r := range rows {
			res.Rows = append(res.Rows, RowResult{Row: r.Row, Name: r.Input.Name, Phone: r.Input.Phone, Status: RowRejected, Reason: r.Err})
		}
		var b strings.Builder
		if err := WriteBulkReport(&b, res); err != nil {
			t.Fatal(err)
		}
	})
}
