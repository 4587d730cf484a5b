// Package csvout neutralises CSV cells a spreadsheet would run as a
// formula. Every CSV this server writes for people to open (report
// downloads, the call-list status report and its mail attachment) passes
// its cells through here, so the rule lives in one place:
//
// A cell that starts with '=', '+', '-', '@', a tab or a carriage return
// is written with a leading apostrophe ("'=1+1"), which spreadsheets show
// as text. The one exception is a phone number: '+' followed by digits
// only ("+4915100000009") is a number to a spreadsheet, never a formula,
// and stays as it is, so a report's numbers can be imported again.
package csvout

// IsFormula reports whether a spreadsheet would treat the cell as a formula.
func IsFormula(c []byte) bool {
	if len(c) == 0 {
		return false
	}
	switch c[0] {
	case '=', '-', '@', '\t', '\r':
		return true
	case '+':
		return !digitsOnly(c[1:])
	}
	return false
}

// IsFormulaString is IsFormula for a string.
func IsFormulaString(s string) bool {
	if len(s) == 0 {
		return false
	}
	switch s[0] {
	case '=', '-', '@', '\t', '\r':
		return true
	case '+':
		for i := 1; i < len(s); i++ {
			if s[i] < '0' || s[i] > '9' {
				return true
			}
		}
		return len(s) == 1
	}
	return false
}

func digitsOnly(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Cell returns s neutralised: with a leading apostrophe if it is a formula.
func Cell(s string) string {
	if IsFormulaString(s) {
		return "'" + s
	}
	return s
}

// Row neutralises every cell of row in place and returns it (for
// encoding/csv's Writer.Write).
func Row(row []string) []string {
	for i, c := range row {
		row[i] = Cell(c)
	}
	return row
}
