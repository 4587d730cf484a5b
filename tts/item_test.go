package tts

import (
	"errors"
	"strings"
	"testing"
)

func TestParseItem(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Item
		wantErr error
		field   string
	}{
		{in: "Hello there", want: Item{Text: "Hello there"}},
		{in: "  Hello  ", want: Item{Text: "Hello"}},
		{in: "[en-gb] Hello", want: Item{Voice: "en-gb", Text: "Hello"}},
		{in: "[en-us+Alicia]Hi", want: Item{Voice: "en-us+Alicia", Text: "Hi"}},
		{in: "[local/fr] Bonjour", want: Item{Engine: "local", Voice: "fr", Text: "Bonjour"}},
		{in: "[polly_main/Joanna:neural] Hi", want: Item{Engine: "polly_main", Voice: "Joanna:neural", Text: "Hi"}},
		{in: "[gcp/] Hi", want: Item{Engine: "gcp", Text: "Hi"}},
		{in: "[] [not a voice] text", want: Item{Text: "[not a voice] text"}},
		{in: "<speak>Hi <break time=\"1s\"/> there</speak>", want: Item{Text: "<speak>Hi <break time=\"1s\"/> there</speak>", SSML: true}},
		{in: "[en-us] <speak>Hi</speak>", want: Item{Voice: "en-us", Text: "<speak>Hi</speak>", SSML: true}},
		{in: "", wantErr: ErrInvalid, field: "text"},
		{in: "   ", wantErr: ErrInvalid, field: "text"},
		{in: "[en-us]", wantErr: ErrInvalid, field: "text"},
		{in: "[en-us Hello", wantErr: ErrInvalid, field: "text"},
		{in: "[/en-us] Hello", wantErr: ErrInvalid, field: "voice"},
		{in: "[bad alias/en] Hello", wantErr: ErrInvalid, field: "voice"},
		{in: "[en us] Hello", wantErr: ErrInvalid, field: "voice"},
		{in: "[" + strings.Repeat("a", 100) + "] Hello", wantErr: ErrInvalid, field: "voice"},
		{in: strings.Repeat("a", MaxTextBytes+1), wantErr: ErrInvalid, field: "text"},
		{in: "<speak>unclosed", wantErr: ErrInvalid, field: "text"},
		{in: "bad \xff utf8", wantErr: ErrInvalid, field: "text"},
		{in: "nul \x00 here", wantErr: ErrInvalid, field: "text"},
	} {
		got, err := ParseItem(tc.in)
		if tc.wantErr != nil {
			var e interface{ Error() string }
			if !errors.Is(err, tc.wantErr) {
				t.Errorf("ParseItem(%.40q) = %+v, %v; want %v", tc.in, got, err, tc.wantErr)
				continue
			}
			e = err
			if f := fieldOf(err); f != tc.field {
				t.Errorf("ParseItem(%.40q): field %q, want %q (%v)", tc.in, f, tc.field, e)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseItem(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseItem(strings.Repeat("a", MaxTextBytes)); err != nil {
		t.Errorf("text of exactly %d bytes: %v", MaxTextBytes, err)
	}
}

// FuzzParseItem: any input either parses to an item whose String parses
// back to the same item, within the limits, or is refused with a coded
// error; nothing panics.
func FuzzParseItem(f *testing.F) {
	for _, s := range []string{"Hello", "[en-gb] Hi", "[local/fr] Salut", "[] [x] y", "<speak>a</speak>", "[a/b]", "[", "]", "[]", "[x/y/z] t", "  [en] <speak>x</speak> "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		it, err := ParseItem(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseItem(%q): uncoded error %v", s, err)
			}
			return
		}
		if it.Text == "" || len(it.Text) > MaxTextBytes || it.Text != strings.TrimSpace(it.Text) {
			t.Fatalf("ParseItem(%q) text %q out of bounds", s, it.Text)
		}
		if it.SSML != strings.HasPrefix(it.Text, "<speak") {
			t.Fatalf("ParseItem(%q) SSML %v for %q", s, it.SSML, it.Text)
		}
		back, err := ParseItem(it.String())
		if err != nil || back != it {
			t.Fatalf("ParseItem(%q) = %+v; its String %q parses to %+v, %v", s, it, it.String(), back, err)
		}
	})
}
