package calllist

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

// FuzzReader: any input either rejects the file (ErrRejected) or yields
// records and row errors with increasing row numbers; nothing panics,
// every record has a number and every row error a reason.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"tel1,tel2,starttime,$flow.key.a\n+919876543210,,2026-01-01T00:00:00Z,x\n",
		"\xef\xbb\xbftel1\r\n1\r\n\r\n,\r\n",
		"TelNumber,Name,*Schedule*\n1|2,a,1298635200:1101\n|,b,\n",
		"tel1,$flow.key.a\n\"1,2\",\"a\"\"b\"\n1,\"x\n",
		"",
	} {
		f.Add([]byte(s), "")
		f.Add([]byte(s), "upload_08022020211200.csv")
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		rd, err := NewReader(bytes.NewReader(data), Options{FileName: name, MaxBytes: 1 << 20})
		if err != nil {
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("header error not ErrRejected: %v", err)
			}
			return
		}
		last := 0
		for range 100000 {
			rec, err := rd.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Reason == "" || re.Row < 1 {
					t.Fatalf("row error without reason/row: %+v", re)
				}
				if re.Row < last {
					t.Fatalf("row numbers go back: %d after %d", re.Row, last)
				}
				last = re.Row
				continue
			}
			if err != nil {
				t.Fatalf("unexpected fatal error: %v", err)
			}
			if len(rec.Numbers) == 0 || rec.Row < 2 || rec.Row < last {
				t.Fatalf("bad record %+v (last row %d)", rec, last)
			}
			for _, n := range rec.Numbers {
				if n == "" || strings.TrimSpace(n) != n {
					t.Fatalf("untrimmed/empty number %q", n)
				}
			}
			last = rec.Row
		}
		t.Fatal("reader did not terminate")
	})
}

// FuzzFileStartTime: a recognised name round-trips through the layout.
func FuzzFileStartTime(f *testing.F) {
	for _, s := range []string{"upload_08022020211200.csv", "upload_.csv", "x.csv", "upload_99999999999999.csv", "UPLOAD_01012000000000.CSV"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		tm, ok, err := FileStartTime(name, time.UTC)
		if err != nil && ok {
			t.Fatal("ok with error")
		}
		if !ok {
			return
		}
		base := name[strings.LastIndexAny(name, "/\\")+1:]
		if got := "upload_" + tm.Format(FileStartTimeLayout); !strings.EqualFold(got, strings.TrimSuffix(strings.TrimSuffix(base, ".csv"), ".CSV")) && !strings.EqualFold(got+".csv", base) {
			t.Fatalf("%q parsed as %v (formats back as %q)", name, tm, got)
		}
	})
}

// FuzzTrigger: DecodeTrigger never panics, accepted bodies respect the
// call cap, and every call converts to a record or a row error with a reason.
func FuzzTrigger(f *testing.F) {
	f.Add([]byte(`{"api-version":"1.0","security-id":"k","flow-id":"1","calls":[{"client-identifier":"a","start-time":"2026-01-01T00:00:00Z","contact-numbers":["+919876543210"],"keys":[{"name":"$flow.key.x","value":"1"}]}]}`))
	f.Add([]byte(`{"api-version":"1.0","flow-id":"1","calls":[{"contact-numbers":[""]},{"keys":[{"name":"x"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := DecodeTrigger(bytes.NewReader(data))
		if err != nil {
			var te *TriggerError
			if !errors.As(err, &te) || te.Field == "" || te.Message == "" {
				t.Fatalf("error is not a TriggerError with field and message: %v", err)
			}
			return
		}
		if len(tr.Calls) == 0 || len(tr.Calls) > MaxTriggerCalls || tr.FlowID == "" {
			t.Fatalf("accepted an invalid envelope: %+v", tr)
		}
		for i := range tr.Calls {
			rec, err := tr.Record(i, nil, nil)
			if err != nil {
				var re *RowError
				if !errors.As(err, &re) || re.Row != i+1 || re.Reason == "" {
					t.Fatalf("call %d: %v", i, err)
				}
				continue
			}
			if len(rec.Numbers) == 0 || len(rec.Numbers) > MaxNumbers {
				t.Fatalf("call %d: %d numbers", i, len(rec.Numbers))
			}
			_ = (&Validator{Region: "IN"}).Check(rec)
		}
	})
}

// FuzzDigitDFA: the DFA answers like Go's regexp for metadata-like
// patterns on any input (digits go through the DFA, the rest falls back).
func FuzzDigitDFA(f *testing.F) {
	pats := []string{
		`(?:6(?:0(?:0[0-3569]|26|33)|1(?:[015-7]\d|2[0-3])|2(?:0[0-2]|[1-9]\d))|[7-9]\d\d)\d{7}`,
		`[2-9]\d{9}`, `1[0-9]{2,3}|800\d{6}`, `0|8(?:10)?`, `([457]\d{6})$|1`, `\d{4,6}`,
	}
	dfas := make([]*digitDFA, 0, 2*len(pats))
	for _, p := range pats {
		dfas = append(dfas, newDigitDFA("^(?:"+p+")$"), newDigitPrefixDFA(p))
	}
	for _, s := range []string{"", "9876543210", "8101", "4155550100", "12ab"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range dfas {
			if got, want := d.MatchString(s), d.re.MatchString(s); got != want {
				t.Fatalf("%s on %q: DFA %v, regexp %v", d.re, s, got, want)
			}
		}
	})
}
