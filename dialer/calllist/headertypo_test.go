package calllist

import (
	"errors"
	"strings"
	"testing"
)

// TestHeaderTypoRejected: a file without tel1 whose header has a mistyped
// standard CSV header is rejected (ErrHeaderTypo, naming the column and
// the header it looks like) instead of being read as an ADS list; real
// ADS headers, and an explicit format, still pass.
func TestHeaderTypoRejected(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		format Format
		want   string // "" = accepted; else the header it looks like
	}{
		{"tell1", "tell1,starttime\n+15551230000,2030-01-01 10:00\n", FormatAuto, "tel1"},
		{"tel 1", "tel 1\n+15551230000\n", FormatAuto, "tel1"},
		{"TEL_1", "TEL_1\n+15551230000\n", FormatAuto, "tel1"},
		{"te1", "te1\n+15551230000\n", FormatAuto, "tel1"},
		{"tel2 without tel1", "phone,tel2\n+15551230000,+15551230001\n", FormatAuto, "tel2"},
		{"startime", "numbers,startime\n+15551230000,x\n", FormatAuto, "starttime"},
		{"client_identifer", "numbers,client_identifer\n+15551230000,x\n", FormatAuto, "client-identifier"},
		{"flow key variable", "number,$flow.key.name\n+15551230000,Ann\n", FormatAuto, FlowKeyPrefix + "<variable>"},
		{"flow key misspelt", "number,$flow.kye.name\n+15551230000,Ann\n", FormatAuto, FlowKeyPrefix + "<variable>"},
		// Real ADS lists.
		{"ADS documented example", "TelNumber,FullName,CustomerCode\n2132458767|2145602412,Henry Case,0023\n", FormatAuto, ""},
		{"ADS tel column", "tel,name,*Schedule*\n2132458767,Henry,1298635200:1101\n", FormatAuto, ""},
		{"ADS numbers", "numbers,amount,due\n2132458767,10,tomorrow\n", FormatAuto, ""},
		// The user said ADS: taken as such.
		{"explicit ADS", "tell1,name\n2132458767,Henry\n", FormatADS, ""},
		// A correct CSV.
		{"standard CSV", "tel1,starttime\n+15551230000,\n", FormatAuto, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tc.in), Options{Format: tc.format})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrHeaderTypo) || !errors.Is(err, ErrRejected) {
				t.Fatalf("err %v, want ErrHeaderTypo", err)
			}
			if !strings.Contains(err.Error(), `looks like "`+tc.want+`"`) || !strings.Contains(err.Error(), "format=ads") {
				t.Errorf("message %q does not name %q and the way out", err, tc.want)
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"tel1", "tel1", 0}, {"tell1", "tel1", 1}, {"te1", "tel1", 1}, {"tle1", "tel1", 2}, {"startime", "starttime", 1}, {"abc", "", 3}} {
		if got := editDistance(tc.a, tc.b); got != tc.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
	}
}
