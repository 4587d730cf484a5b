package compose

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// TestPlain: the mail parses as RFC 5322 with the headers every
// notification carries, its subject and body survive non-ASCII text and
// long lines, and the envelope sender is the bare address.
func TestPlain(t *testing.T) {
	date := time.Date(2026, 12, 7, 18, 0, 0, 0, time.FixedZone("IST", 5*3600+1800))
	for _, c := range []struct {
		name, from, wantEnv string
	}{
		{"display name", `"Switchyard" <sy@example.com>`, "sy@example.com"},
		{"bare address", "sy@example.com", "sy@example.com"},
		{"none", "", DefaultFrom},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := "Prompt “welcome_tone” was approved.\n" + strings.Repeat("x", 200)
			env, msg := Plain(c.from, "boss@acme.test", "Prompt approved: welcome_tone — ✓", body, date)
			if env != c.wantEnv {
				t.Errorf("envelope sender %q, want %q", env, c.wantEnv)
			}
			m, err := mail.ReadMessage(strings.NewReader(string(msg)))
			if err != nil {
				t.Fatal(err)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
			if err != nil || subject != "Prompt approved: welcome_tone — ✓" {
				t.Errorf("subject %q (%v)", subject, err)
			}
			if d, err := m.Header.Date(); err != nil || !d.Equal(date) {
				t.Errorf("date %v (%v)", d, err)
			}
			for h, want := range map[string]string{"To": "boss@acme.test", "Auto-Submitted": "auto-generated", "Content-Type": "text/plain; charset=utf-8"} {
				if got := m.Header.Get(h); got != want {
					t.Errorf("%s: %q, want %q", h, got, want)
				}
			}
			if !strings.HasSuffix(m.Header.Get("Message-Id"), "@switchyard>") {
				t.Errorf("Message-ID %q", m.Header.Get("Message-Id"))
			}
			got, err := io.ReadAll(quotedprintable.NewReader(m.Body))
			if want := strings.ReplaceAll(body, "\n", "\r\n"); err != nil || string(got) != want { // mail lines end in CRLF
				t.Errorf("body %q (%v)", got, err)
			}
		})
	}
}
