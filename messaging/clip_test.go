package messaging

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// TestReportReplyStored: a delivery report whose SMSC answer is long
// non-ASCII text, or not UTF-8 at all, still sets the message's status
// on both databases; the reason is the answer cut on a character
// boundary.
func TestReportReplyStored(t *testing.T) {
	for _, driver := range []string{store.DriverSQLite, store.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st := storetest.Open(t, storetest.Options(t, driver))
			a, err := st.CreateAccount(ctx, "reply")
			if err != nil {
				t.Fatal(err)
			}
			svc := New(Config{Store: st})
			for _, reply := range []string{strings.Repeat("é", 300), "bad \xff\xfe\x00 bytes"} {
				m, err := st.CreateMessage(ctx, store.Message{AccountID: a.ID, Channel: ChannelSMS, To: "+12025550102", Body: "hi",
					Status: StatusSent, TokenHash: hashToken("tok")})
				if err != nil {
					t.Fatal(err)
				}
				out, err := svc.DeliveryReport(ctx, Report{ID: m.ID, Token: "tok", Type: 2, Reply: reply})
				if err != nil || out.Status != StatusFailed || !utf8.ValidString(out.Reason) || strings.ContainsRune(out.Reason, 0) ||
					len(out.Reason) > 255 || !strings.HasPrefix(out.Reason, "not delivered: ") {
					t.Fatalf("reply %q: %+v, %v; want failed with a valid reason", reply, out, err)
				}
			}
		})
	}
}
