package calllist

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "calllists", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type readResult struct {
	recs []Record
	errs []*RowError
}

func readAll(t testing.TB, r io.Reader, o Options) (readResult, error) {
	t.Helper()
	rd, err := NewReader(r, o)
	if err != nil {
		return readResult{}, err
	}
	var res readResult
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		var re *RowError
		if errors.As(err, &re) {
			res.errs = append(res.errs, re)
			continue
		}
		if err != nil {
			return res, err
		}
		res.recs = append(res.recs, rec)
	}
}

func tp(s string) *time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &t
}

func TestReadCSVMixed(t *testing.T) {
	res, err := readAll(t, bytes.NewReader(fixture(t, "mixed.csv")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	wantRecs := []Record{
		{Row: 2, Numbers: []string{"+919876543210"}, StartTime: tp("2026-12-01T10:00:00+05:30"), Variables: map[string]string{"name": "Doe, John", "amount": "100"}},
		{Row: 4, Numbers: []string{"919812345678", "+14155550100"}, Variables: map[string]string{"name": "Asha", "amount": "1,000"}},
		{Row: 9, Numbers: []string{"+919876543214"}, StartTime: tp("2026-12-01T10:00:00Z"), Variables: map[string]string{"name": "multi\nline", "amount": "4"}},
	}
	if len(res.recs) != len(wantRecs) {
		t.Fatalf("records: got %d %+v", len(res.recs), res.recs)
	}
	for i, w := range wantRecs {
		g := res.recs[i]
		if g.Row != w.Row || !reflect.DeepEqual(g.Numbers, w.Numbers) || !reflect.DeepEqual(g.Variables, w.Variables) ||
			(g.StartTime == nil) != (w.StartTime == nil) || (g.StartTime != nil && !g.StartTime.Equal(*w.StartTime)) {
			t.Errorf("record %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	wantErrs := map[int]string{
		5: "empty row",
		6: "extra columns: the row has 6 fields, the header has 5",
		7: "missing columns: the row has 4 fields, the header has 5",
		8: `starttime: "not-a-date" is not an ISO 8601`,
	}
	if len(res.errs) != len(wantErrs) {
		t.Fatalf("row errors: %v", res.errs)
	}
	for _, e := range res.errs {
		if e.Row == 6 && e.Number != "+919876543211" {
			t.Errorf("row 6 number %q", e.Number)
		}
		if !strings.Contains(e.Reason, wantErrs[e.Row]) || wantErrs[e.Row] == "" {
			t.Errorf("row %d: reason %q, want it to contain %q", e.Row, e.Reason, wantErrs[e.Row])
		}
	}
}

func TestReadADS(t *testing.T) {
	res, err := readAll(t, bytes.NewReader(fixture(t, "ads.csv")), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.recs) != 3 || len(res.errs) != 2 {
		t.Fatalf("recs %+v errs %v", res.recs, res.errs)
	}
	r := res.recs[1]
	if !reflect.DeepEqual(r.Numbers, []string{"1140637865", "1156984628", "1146120456"}) ||
		r.Variables["FullName"] != "Peter Riviera" || r.Variables["CustomerCode"] != "0156" ||
		r.ScheduleExtension != "1101" || r.StartTime == nil || !r.StartTime.Equal(time.Unix(1298635200, 0)) {
		t.Fatalf("ADS record: %+v", r)
	}
	if _, has := r.Variables[ScheduleColumn]; has {
		t.Error("*Schedule* must not become a variable")
	}
	if NumberForAttempt(r.Numbers, 1) != "1140637865" || NumberForAttempt(r.Numbers, 2) != "1156984628" || NumberForAttempt(r.Numbers, 4) != "1140637865" {
		t.Error("rotation per attempt")
	}
	if e := res.errs[0]; e.Row != 5 || !strings.Contains(e.Reason, "*Schedule*") {
		t.Errorf("schedule error: %v", e)
	}
	if e := res.errs[1]; e.Row != 6 || !strings.Contains(e.Reason, "number 1 of") {
		t.Errorf("pipe error: %v", e)
	}
}

func TestFileNameStartTime(t *testing.T) {
	res, err := readAll(t, bytes.NewReader(fixture(t, "upload_08022020211200.csv")), Options{FileName: "dir/upload_08022020211200.csv"})
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2020, 2, 8, 21, 12, 0, 0, time.UTC)
	if len(res.recs) != 2 {
		t.Fatal(res)
	}
	for _, r := range res.recs {
		if r.StartTime == nil || !r.StartTime.Equal(want) {
			t.Errorf("start time %v, want %v", r.StartTime, want)
		}
	}
	ist := time.FixedZone("IST", 5*3600+1800)
	for _, tc := range []struct {
		name string
		ok   bool
		want time.Time
		err  string
	}{
		{"upload_08022020211200.csv", true, time.Date(2020, 2, 8, 21, 12, 0, 0, ist), ""},
		{"UPLOAD_31122026235959.CSV", true, time.Date(2026, 12, 31, 23, 59, 59, 0, ist), ""},
		{"calls.csv", false, time.Time{}, ""},
		{"upload_.csv", false, time.Time{}, ""},
		{"upload_0802202021120.csv", false, time.Time{}, "14 digits"},
		{"upload_32022020211200.csv", false, time.Time{}, "not a valid"},
		{"upload_08132020211200.csv", false, time.Time{}, "not a valid"},
		{"upload_08022020251200.csv", false, time.Time{}, "not a valid"},
	} {
		got, ok, err := FileStartTime(tc.name, ist)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || ok != tc.ok || !got.Equal(tc.want) {
			t.Errorf("%s: %v %v %v", tc.name, got, ok, err)
		}
	}
	// A row's own starttime wins over the file name's.
	res, err = readAll(t, strings.NewReader("tel1,starttime\n+919876543210,2027-01-01T00:00:00Z\n"), Options{FileName: "upload_08022020211200.csv"})
	if err != nil || len(res.recs) != 1 || !res.recs[0].StartTime.Equal(*tp("2027-01-01T00:00:00Z")) {
		t.Fatalf("%+v %v", res, err)
	}
	if _, err := NewReader(strings.NewReader("tel1\n1\n"), Options{FileName: "upload_99999999999999.csv"}); !errors.Is(err, ErrRejected) {
		t.Fatalf("bad file-name date must reject the file: %v", err)
	}
}

func TestHeaderRejections(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		o        Options
		want     string
	}{
		{"empty", "", Options{}, "empty"},
		{"no tel1", "tel2,starttime\n", Options{Format: FormatCSV}, "no tel1"},
		{"tel11", "tel1,tel11\n", Options{}, "tel1…tel10"},
		{"tel01", "tel1,tel01\n", Options{}, "tel1…tel10"},
		{"unknown", "tel1,name\n", Options{}, `"name" is not`},
		{"dup", "tel1,TEL1\n", Options{}, "repeats"},
		{"empty header", "tel1,,starttime\n", Options{}, "column 2 has an empty header"},
		{"undeclared var", "tel1,$flow.key.x\n", Options{Variables: []string{"y"}}, `no variable "x"`},
		{"var with space", "tel1,$flow.key.a b\n", Options{}, "spaces"},
		{"ads empty header", "nums,,b\n", Options{}, "empty header"},
		{"bad quote header", "tel1,\"x\n", Options{}, "header line"},
	} {
		_, err := NewReader(strings.NewReader(tc.in), tc.o)
		if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrRejected containing %q", tc.name, err, tc.want)
		}
	}
}

func TestRowRejections(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		row      int
		want     string
	}{
		{"tel1 empty", "tel1,tel2\n,+919876543210\n", 2, "tel1 is empty"},
		{"bare quote", "tel1,$flow.key.a\n+919876543210,a\"b\n", 2, "malformed CSV"},
		{"unterminated", "tel1,$flow.key.a\n+919876543210,\"ab\n+919876543211,c\n", 2, "unterminated"},
		{"bad utf8", "tel1,$flow.key.a\n+919876543210,\xff\n", 2, "UTF-8"},
		{"ads schedule no ext", "n,*Schedule*\n123,1298635200:\n", 2, "extension"},
		{"ads schedule no colon", "n,*Schedule*\n123,1298635200\n", 2, "UNIX_TIMESTAMP:EXTENSION"},
		{"ads empty numbers", "n,v\n,x\n", 2, "first column"},
	} {
		res, err := readAll(t, strings.NewReader(tc.in), Options{})
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if len(res.errs) == 0 || res.errs[0].Row != tc.row || !strings.Contains(res.errs[0].Reason, tc.want) {
			t.Errorf("%s: %v, want row %d %q", tc.name, res.errs, tc.row, tc.want)
		}
	}
}

func TestSizeCap(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("tel1\n")
	for b.Len() <= 2000 {
		b.WriteString("+919876543210\n")
	}
	_, err := readAll(t, bytes.NewReader(b.Bytes()), Options{MaxBytes: 1000})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("want ErrTooLarge, got %v", err)
	}
	if _, err := readAll(t, bytes.NewReader(b.Bytes()), Options{MaxBytes: -1}); err != nil {
		t.Fatal(err)
	}
}

func TestTemplate(t *testing.T) {
	got := string(Template([]string{"name", "amount"}))
	want := "tel1,tel2,tel3,tel4,tel5,tel6,tel7,tel8,tel9,tel10,starttime,client-identifier,$flow.key.name,$flow.key.amount\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
	// The template is accepted by the reader with the same declared variables.
	if _, err := NewReader(strings.NewReader(got), Options{Variables: []string{"name", "amount"}}); err != nil {
		t.Fatal(err)
	}
}

func makeZip(t testing.TB, files map[string]string, order []string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestZipMixed(t *testing.T) {
	files := map[string]string{
		"good.csv":                        "tel1,$flow.key.a\n+919876543210,x\n+919876543211,y\n",
		"lists/upload_08022020211200.csv": "tel1\n+919876543212\n",
		"bad-header.csv":                  "phone\n123\n",
		"notes.txt":                       "hello",
		"bomb.csv":                        "tel1\n" + strings.Repeat("9", 2<<20) + "\n",
	}
	order := []string{"good.csv", "lists/upload_08022020211200.csv", "bad-header.csv", "notes.txt", "bomb.csv"}
	z := makeZip(t, files, order)
	results := map[string]string{}
	counts := map[string]int{}
	err := ReadZip(bytes.NewReader(z), int64(len(z)), func(f ZipFile, r io.Reader) error {
		res, err := readAll(t, r, Options{FileName: f.Name, Format: FormatCSV})
		if err != nil {
			results[f.Name] = err.Error()
			return nil
		}
		counts[f.Name] = len(res.recs)
		if strings.Contains(f.Name, "upload_") && !res.recs[0].StartTime.Equal(time.Date(2020, 2, 8, 21, 12, 0, 0, time.UTC)) {
			t.Errorf("zip member start time %v", res.recs[0].StartTime)
		}
		results[f.Name] = "ok"
		return nil
	}, func(f ZipFile, reason string) error {
		results[f.Name] = reason
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if results["good.csv"] != "ok" || counts["good.csv"] != 2 || results["lists/upload_08022020211200.csv"] != "ok" {
		t.Errorf("good files: %v %v", results, counts)
	}
	if !strings.Contains(results["bad-header.csv"], `"phone" is not tel1`) {
		t.Errorf("bad header: %q", results["bad-header.csv"])
	}
	if !strings.Contains(results["notes.txt"], "not a .csv") {
		t.Errorf("txt: %q", results["notes.txt"])
	}
	if !strings.Contains(results["bomb.csv"], "zip bomb") {
		t.Errorf("bomb: %q", results["bomb.csv"])
	}
}

func TestZipGuards(t *testing.T) {
	if err := ReadZip(bytes.NewReader([]byte("not a zip")), 9, nil, nil); !errors.Is(err, ErrRejected) {
		t.Errorf("not a zip: %v", err)
	}
	if err := ReadZip(bytes.NewReader(nil), MaxZipBytes+1, nil, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	empty := makeZip(t, nil, nil)
	if err := ReadZip(bytes.NewReader(empty), int64(len(empty)), nil, nil); !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "no files") {
		t.Errorf("empty: %v", err)
	}
	// A member over 10 MB uncompressed (incompressible enough to pass the ratio guard).
	var big strings.Builder
	big.WriteString("tel1\n")
	for i := 0; big.Len() <= MaxCSVBytes; i++ {
		fmt.Fprintf(&big, "+91%010d\n", uint64(i)*2654435761%10000000000)
	}
	z := makeZip(t, map[string]string{"big.csv": big.String()}, []string{"big.csv"})
	var reason string
	err := ReadZip(bytes.NewReader(z), int64(len(z)), func(ZipFile, io.Reader) error { t.Error("big.csv must not be read"); return nil },
		func(_ ZipFile, r string) error { reason = r; return nil })
	if err != nil || !strings.Contains(reason, "limit 10 MB") {
		t.Errorf("big member: %v %q", err, reason)
	}
}

type fakeScreen struct {
	black, white func(string) bool
	dnc          func(string) (string, bool)
}

func (f fakeScreen) Blacklisted(e string) bool { return f.black != nil && f.black(e) }
func (f fakeScreen) Whitelisted(e string) bool { return f.white != nil && f.white(e) }
func (f fakeScreen) DNC(e string) (string, bool) {
	if f.dnc == nil {
		return "", false
	}
	return f.dnc(e)
}

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ in, region, want, err string }{
		{"+91 98765 43210", "", "+919876543210", ""},
		{"919876543210", "", "+919876543210", ""},
		{"919876543210", "IN", "+919876543210", ""},
		{"9876543210", "IN", "+919876543210", ""},
		{"09876543210", "IN", "+919876543210", ""},
		{"0091-98765-43210", "", "+919876543210", ""},
		{"14155550100", "IN", "+14155550100", ""},
		{"(415) 555-0100", "US", "+14155550100", ""},
		{"9876543210", "", "", "include the country code"},
		{"+91123", "", "", "not a valid"},
		{"12ab34", "IN", "", "unexpected"},
		{"", "IN", "", "empty"},
		{strings.Repeat("1", 50), "", "", "too long"},
	} {
		got, err := Normalize(tc.in, tc.region)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Normalize(%q,%q) = %q, %v; want error %q", tc.in, tc.region, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Normalize(%q,%q) = %q, %v; want %q", tc.in, tc.region, got, err, tc.want)
		}
	}
}

func TestValidatorReasons(t *testing.T) {
	scr := fakeScreen{
		black: func(e string) bool { return e == "+919800000001" },
		white: func(e string) bool { return e == "+919811111111" },
		dnc: func(e string) (string, bool) {
			if e == "+919822222222" {
				return e, true
			}
			if strings.HasPrefix(e, "+91981") {
				return "+91981", true
			}
			return "", false
		},
	}
	v := Validator{Region: "IN", Screen: scr}
	for _, tc := range []struct {
		name    string
		numbers []string
		status  string
		reason  string
		norm    []string
	}{
		{"valid", []string{"9876543210", "+14155550100"}, StatusPending, "", []string{"+919876543210", "+14155550100"}},
		{"invalid", []string{"12345"}, StatusInvalid, "invalid number 1", nil},
		{"invalid alternate", []string{"9876543210", "abc"}, StatusInvalid, "invalid number 2", nil},
		{"repeat inside record", []string{"9876543210", "+919876543210"}, StatusInvalid, "repeats number 1", nil},
		{"blacklisted", []string{"9800000001"}, StatusInvalid, "blacklisted number +919800000001", nil},
		{"blacklisted alternate", []string{"9876543210", "9800000001"}, StatusInvalid, "blacklisted", nil},
		{"dnc number", []string{"9822222222"}, StatusScrubbed, "DNC/NDNC registered +919822222222 (number 1, number)", nil},
		{"dnc prefix", []string{"9812345678"}, StatusScrubbed, "prefix +91981", nil},
		{"whitelisted skips dnc", []string{"9811111111"}, StatusPending, "", []string{"+919811111111"}},
		{"no numbers", nil, StatusInvalid, "no number", nil},
	} {
		c := v.Check(Record{Row: 7, Numbers: tc.numbers})
		if c.Status != tc.status || !strings.Contains(c.Reason, tc.reason) || (tc.reason == "" && c.Reason != "") {
			t.Errorf("%s: %s %q, want %s %q", tc.name, c.Status, c.Reason, tc.status, tc.reason)
		}
		if tc.norm != nil && !reflect.DeepEqual(c.Numbers, tc.norm) {
			t.Errorf("%s: numbers %v, want %v", tc.name, c.Numbers, tc.norm)
		}
		if c.Row != 7 {
			t.Errorf("%s: row lost", tc.name)
		}
	}
}

func TestTrigger(t *testing.T) {
	body := `{"api-version":"1.0","security-id":"sy_x","flow-id":"42","calls":[
	 {"client-identifier":"c1","start-time":"2026-12-01T10:00:00+05:30","contact-numbers":["+919876543210","14155550100"],
	  "keys":[{"name":"$flow.key.name","value":"Asha"},{"name":"$flow.key.amount","value":"10"}]},
	 {"client-identifier":"c2","contact-numbers":[]},
	 {"client-identifier":"c3","contact-numbers":["1"],"keys":[{"name":"name","value":"x"}]},
	 {"client-identifier":"c4","contact-numbers":["1"],"start-time":"tomorrow"},
	 {"client-identifier":"c5","contact-numbers":["1"],"keys":[{"name":"$flow.key.other","value":"x"}]}
	]}`
	tr, err := DecodeTrigger(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	decl := []string{"name", "amount"}
	r, err := tr.Record(0, decl, nil)
	if err != nil || r.ClientIdentifier != "c1" || len(r.Numbers) != 2 || r.Variables["name"] != "Asha" || !r.StartTime.Equal(*tp("2026-12-01T04:30:00Z")) {
		t.Fatalf("%+v %v", r, err)
	}
	for i, want := range map[int]string{1: "contact-numbers is empty", 2: "must be $flow.key.", 3: "start-time", 4: `no variable "other"`} {
		_, err := tr.Record(i, decl, nil)
		var re *RowError
		if !errors.As(err, &re) || re.Row != i+1 || !strings.Contains(re.Reason, want) {
			t.Errorf("call %d: %v, want %q", i, err, want)
		}
	}
	for _, tc := range []struct{ body, field string }{
		{`{`, "body"},
		{`{"api-version":"1.0","flow-id":"1","calls":[{}]} x`, "body"},
		{`{"api-version":"2.0","flow-id":"1","calls":[{}]}`, "api-version"},
		{`{"flow-id":"1","calls":[{}]}`, "api-version"},
		{`{"api-version":"1.0","calls":[{}]}`, "flow-id"},
		{`{"api-version":"1.0","flow-id":"1","calls":[]}`, "calls"},
		{`{"api-version":"1.0","flow-id":"1","calls":{}}`, "calls"},
		{`{"api-version":"1.0","flow-id":"1","calls":[{}],"extra":1}`, "extra"},
		{`{"api-version":"1.0","flow-id":"1","calls":[` + strings.Repeat(`{},`, MaxTriggerCalls) + `{}]}`, "calls"},
	} {
		_, err := DecodeTrigger(strings.NewReader(tc.body))
		var te *TriggerError
		if !errors.As(err, &te) || te.Field != tc.field {
			t.Errorf("%.60s: %v, want field %q", tc.body, err, tc.field)
		}
	}
}

// TestParseISOTimeOffsets: values with different offsets, in any order
// (the parser reuses the zone of the previous offset), each keep their own
// instant and offset; Z is UTC; values without an offset are in loc.
func TestParseISOTimeOffsets(t *testing.T) {
	kolkata := time.FixedZone("", 5*3600+1800)
	ny := time.FixedZone("", -5*3600)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		in     string
		loc    *time.Location
		want   time.Time
		offset int
	}{
		{"2030-01-02T10:00:00+05:30", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, kolkata), 19800},
		{"2030-01-02T10:00:00+05:30", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, kolkata), 19800},
		{"2030-01-02T10:00:00-05:00", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, ny), -18000},
		{"2030-01-02T10:00:00+05:30", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, kolkata), 19800},
		{"2030-01-02T10:00:00Z", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC), 0},
		{"2030-01-02T10:00:00+00:00", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, time.UTC), 0},
		{"2030-01-02T10:00:00-05:00", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, ny), -18000},
		{"20300102T100000+0530", nil, time.Date(2030, 1, 2, 10, 0, 0, 0, kolkata), 19800},
		{"2030-07-02T10:00:00", berlin, time.Date(2030, 7, 2, 10, 0, 0, 0, berlin), 7200},
		{"2030-01-02 10:00", berlin, time.Date(2030, 1, 2, 10, 0, 0, 0, berlin), 3600},
	} {
		got, err := ParseISOTime(tc.in, tc.loc)
		if err != nil {
			t.Fatalf("%d %q: %v", i, tc.in, err)
		}
		if _, off := got.Zone(); !got.Equal(tc.want) || off != tc.offset {
			t.Errorf("%d %q: %v (offset %d), want %v (offset %d)", i, tc.in, got, off, tc.want, tc.offset)
		}
	}
	if _, err := ParseISOTime("2030-01-02T10:00:00+5", nil); err == nil {
		t.Error("a malformed offset parsed")
	}
}

// TestRecordLine: each record carries its line as uploaded (without the
// line end; a byte-order mark, CRLF line ends, blank lines and a quoted
// cell spanning lines handled), for the ADS Detailed Report.
func TestRecordLine(t *testing.T) {
	in := "\xEF\xBB\xBFnumbers,name , tags\r\n" +
		"+15550000001|+15550000009 , \"Henry \"\"Hank\"\" Case\",  vip\r\n" +
		"\r\n" +
		"+15550000002,\"two\nlines\",x\n" +
		"+15550000003,last,y"
	rd, err := NewReader(strings.NewReader(in), Options{Format: FormatADS})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"+15550000001|+15550000009 , \"Henry \"\"Hank\"\" Case\",  vip",
		"+15550000002,\"two\nlines\",x",
		"+15550000003,last,y",
	}
	for i, w := range want {
		rec, err := rd.Next()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if rec.Line != w {
			t.Errorf("record %d line %q, want %q", i, rec.Line, w)
		}
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
}
