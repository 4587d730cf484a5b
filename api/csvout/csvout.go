// Package csvout holds the rules every exported CSV follows so that a
// spreadsheet opening it never runs a cell as a formula.
//
// A cell starting with '=', '+', '-', '@', a tab or a carriage return is a
// formula to Excel, LibreOffice and Google Sheets; such a cell is written
// with a leading apostrophe, which they show as text. One exception: '+'
// followed by digits only (an E.164 number such as +4915100000001) is a
// number to every spreadsheet, never a formula, and is written unchanged.
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

// Neutralise returns the cell as it must be written: with a leading
// apostrophe when it is a formula, unchanged otherwise.
func Neutralise(s string) string {
	if IsFormulaString(s) {
		return "'" + s
	}
	return s
}

// NeutraliseRow neutralises every cell of a row in place and returns it.
func NeutraliseRow(row []string) []string {
	for i, c := range row {
		row[i] = Neutralise(c)
	}
	return row
}
