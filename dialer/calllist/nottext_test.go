package calllist

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf16"
)

func utf16le(s string, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// TestNotTextRejectedWithoutRawBytes: UTF-16 and binary files are refused
// with a message that says what to do and holds none of the file's bytes.
func TestNotTextRejectedWithoutRawBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"utf-16 with BOM", utf16le("tel1,client-identifier\n+919876543210,a\n", true), "UTF-16"},
		{"utf-16 without BOM", utf16le("tel1,client-identifier\n+919876543210,a\n", false), "UTF-16"},
		{"binary", []byte("PK\x03\x04\x00\x00\x08\x00\xff\xfe garbage\n"), "binary"},
		{"latin-1 header", []byte("tel1,Stra\xdfe\n+919876543210,x\n"), "not UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewReader(bytes.NewReader(tc.in), Options{})
			if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a rejection saying %q", err, tc.want)
			}
			msg := err.Error()
			raw := strings.IndexByte(msg, 0) >= 0 || strings.IndexByte(msg, 0xff) >= 0 || strings.IndexByte(msg, 0xfe) >= 0
			if raw || strings.Contains(msg, `\x00`) || strings.Contains(msg, `\xff`) {
				t.Errorf("message echoes the file's bytes: %q", msg)
			}
		})
	}
	if _, err := NewReader(strings.NewReader("tel1,client-identifier\n+919876543210,Zoë\n"), Options{}); err != nil {
		t.Errorf("UTF-8 file: %v", err)
	}
}

// TestRejectedRowsKeepClientIdentifier: a rejected row keeps the client's
// key for it (CSV and trigger API).
func TestRejectedRowsKeepClientIdentifier(t *testing.T) {
	in := "tel1,client-identifier,starttime\n+919876543210,c-1,not-a-date\n,c-2,\n+919876543211,c-3,\n"
	rd, err := NewReader(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for {
		rec, err := rd.Next()
		var re *RowError
		switch {
		case errors.As(err, &re):
			got[re.Row] = "rejected:" + re.ClientIdentifier
			continue
		case err != nil:
			if errors.Is(err, io.EOF) {
				goto done
			}
			t.Fatal(err)
		}
		got[rec.Row] = "ok:" + rec.ClientIdentifier
	}
done:
	want := map[int]string{2: "rejected:c-1", 3: "rejected:c-2", 4: "ok:c-3"}
	for row, w := range want {
		if got[row] != w {
			t.Errorf("row %d: %q, want %q (all %v)", row, got[row], w, got)
		}
	}
	tr := &Trigger{Calls: []TriggerCall{{ClientIdentifier: " k-9 ", ContactNumbers: []string{""}}}}
	_, err = tr.Record(0, nil, nil)
	var re *RowError
	if !errors.As(err, &re) || re.ClientIdentifier != "k-9" {
		t.Errorf("trigger rejected row: %v %+v", err, re)
	}
}
