package kanneltest

import (
	"strings"
	"testing"
)

// TestParseLine reads fakesmsc's lines of each type.
func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want Received
		ok   bool
	}{
		{"2026-12-07 19:42:28 [1] [0] DEBUG: Got message 1: <12025550100 +12025550102 text Hello there $x>",
			Received{From: "12025550100", To: "+12025550102", Type: "text", Text: "Hello there $x"}, true},
		{"DEBUG: Got message 2: <SY +12025550102 ucs-2 %00G%00r%00%FC%00%DF%00e%00++%B9>",
			Received{From: "SY", To: "+12025550102", Type: "ucs-2", Text: "Grüße ₹"}, true},
		{"DEBUG: Got message 3: <a b data hi%0Athere>", Received{From: "a", To: "b", Type: "data", Text: "hi\nthere"}, true},
		{"DEBUG: Got message 4: <a b text >", Received{From: "a", To: "b", Type: "text", Text: ""}, true},
		{"INFO: fakesmsc starting", Received{}, false},
		{"DEBUG: Got message 5: <a b>", Received{}, false},
		{"DEBUG: Got message 6: <a b ucs-2 %00>", Received{}, false},
	} {
		got, ok := ParseLine(tc.line)
		got.Line = ""
		if ok != tc.ok || got != tc.want {
			t.Errorf("ParseLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzParseLine: any line parses or is refused without panicking, and a
// parsed line keeps its recipient.
func FuzzParseLine(f *testing.F) {
	f.Add("Got message 1: <1 2 text hi>")
	f.Add("Got message 2: <1 2 ucs-2 %00h%00i>")
	f.Add("Got message 3: <1 2 data %ZZ>")
	f.Fuzz(func(t *testing.T, line string) {
		r, ok := ParseLine(line)
		if ok && !strings.Contains(line, " "+r.To+" ") {
			t.Fatalf("recipient %q not in %q", r.To, line)
		}
	})
}

// TestRender: every placeholder must be filled.
func TestRender(t *testing.T) {
	if _, err := Render("port = @PORT@\nx = @OTHER@", map[string]string{"PORT": "1"}); err == nil {
		t.Error("unfilled placeholder accepted")
	}
	out, err := Render("port = @PORT@", map[string]string{"PORT": "1"})
	if err != nil || out != "port = 1" {
		t.Errorf("Render = %q, %v", out, err)
	}
}
