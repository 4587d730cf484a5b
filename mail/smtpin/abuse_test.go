package smtpin

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

// failingLists is a Store whose email blacklist lookup fails while failAt
// says so (a function field, as our fakes do).
type failingLists struct {
	Store
	fail func() bool
}

func (f failingLists) ListListEntries(ctx context.Context, acc int64, list, kind string) ([]store.ListEntry, error) {
	if list == store.ListBlack && kind == store.KindEmail && f.fail() {
		return nil, errors.New("database is down")
	}
	return f.Store.ListListEntries(ctx, acc, list, kind)
}

// startMail serves a Server for d on a local port.
func startMail(t *testing.T, d Deps, cfg Config) (*Server, string) {
	t.Helper()
	ms, err := NewServer(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ms.Serve(l) }()
	t.Cleanup(func() { _ = ms.Close() })
	return ms, l.Addr().String()
}

// testMailDeps serves flow 42 of e's account through st.
func testMailDeps(e *env, st Store) Deps {
	return testDeps(e, st, fakeFlows{flow: func(_ context.Context, acc int64, id string) (intake.Flow, error) {
		if acc == e.acc && id == "42" {
			return intake.Flow{ID: "42", Name: "Reminders", Type: intake.FlowTypeOutbound}, nil
		}
		return intake.Flow{}, intake.ErrFlowNotFound
	}})
}

// TestEmailBlacklistLookupFailsClosed: when the blacklist cannot be read,
// the mail is refused with a temporary (4xx) error at RCPT, and at DATA
// when the lookup fails there; nothing is imported.
func TestEmailBlacklistLookupFailsClosed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.st.AddListEntry(ctx, e.acc, store.ListWhite, store.KindEmail, "ops@acme.test", false); err != nil {
		t.Fatal(err)
	}
	sk := mailtest.Start(t)
	cfg := Config{Domain: "upload.switchyard.test", Secret: []byte("0123456789abcdef0123"), Relay: sk.Addr, From: "noreply@upload.switchyard.test"}
	// lookups counts blacklist lookups; failFrom makes lookup n and later fail.
	var lookups, failFrom atomic.Int64
	st := failingLists{Store: e.st, fail: func() bool { return lookups.Add(1) >= failFrom.Load() }}
	_, addr := startMail(t, testMailDeps(e, st), cfg)
	to := Address(cfg, e.acc, "42")
	msg := mailtest.WithAttachments("ops@acme.test", to, "list", mailtest.Attachment{Name: "l.csv", Content: "tel1\n+919876543210\n"})

	for _, tc := range []struct {
		name     string
		failFrom int64 // the first failing lookup: 1 = at RCPT, 2 = at DATA
		wantCmd  string
	}{
		{"lookup fails at RCPT", 1, "RCPT"},
		{"lookup fails at DATA", 2, "DATA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lookups.Store(0)
			failFrom.Store(tc.failFrom)
			c, err := smtp.Dial(addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Mail("ops@acme.test", nil); err != nil {
				t.Fatal(err)
			}
			err = c.Rcpt(to, nil)
			cmd := "RCPT"
			if err == nil {
				cmd = "DATA"
				w, derr := c.Data()
				if derr != nil {
					t.Fatal(derr)
				}
				if _, derr := w.Write(msg); derr != nil {
					t.Fatal(derr)
				}
				err = w.Close()
			}
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code/100 != 4 || cmd != tc.wantCmd {
				t.Fatalf("%s: %v, want a 4xx temporary error at %s", cmd, err, tc.wantCmd)
			}
			if !strings.Contains(se.Message, "try again") {
				t.Errorf("message %q", se.Message)
			}
		})
	}
	rs, err := e.st.ListCallListRequests(ctx, store.RequestFilter{AccountID: e.acc})
	if err != nil || len(rs) != 0 {
		t.Fatalf("requests imported despite the failed lookup: %d %v", len(rs), err)
	}
	// With the lookup working again the same mail goes through.
	failFrom.Store(1 << 40)
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("ops@acme.test", []string{to}, strings.NewReader(string(msg))); err != nil {
		t.Fatalf("a legitimate mail after recovery: %v", err)
	}
}

// TestStatusMailReportNeutralised: the per-number report attached to the
// status mail writes a client identifier that a spreadsheet would run as
// a formula with a leading apostrophe (the same neutraliser as the
// report.csv download); the phone number stays as it is.
func TestStatusMailReportNeutralised(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.st.CreateUser(ctx, store.NewUser{AccountID: e.acc, Email: "owner@acme.test", Name: "Owner", Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddListEntry(ctx, e.acc, store.ListWhite, store.KindEmail, "ops@acme.test", false); err != nil {
		t.Fatal(err)
	}
	sk := mailtest.Start(t)
	cfg := Config{Domain: "upload.switchyard.test", Secret: []byte("0123456789abcdef0123"), Relay: sk.Addr, From: "noreply@upload.switchyard.test"}
	d := testDeps(e, e.st, fakeFlows{flow: func(_ context.Context, acc int64, id string) (intake.Flow, error) {
		if acc == e.acc && id == "42" {
			return intake.Flow{ID: "42", Name: "Reminders", Type: intake.FlowTypeOutbound, StatusEmail: true}, nil
		}
		return intake.Flow{}, intake.ErrFlowNotFound
	}})
	_, addr := startMail(t, d, cfg)
	to := Address(cfg, e.acc, "42")
	msg := mailtest.WithAttachments("ops@acme.test", to, "list", mailtest.Attachment{Name: "l.csv",
		Content: "tel1,client-identifier\n+919876543210,\"=HYPERLINK(\"\"http://evil.test\"\",\"\"x\"\")\"\n"})
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SendMail("ops@acme.test", []string{to}, strings.NewReader(string(msg))); err != nil {
		t.Fatal(err)
	}
	var report string
	for _, m := range sk.Wait(t, 2) {
		if i := strings.Index(string(m.Data), `filename="request-`); i >= 0 {
			report = attachedCSV(t, m.Data)
		}
	}
	if report == "" {
		t.Fatal("no status mail with the report")
	}
	rows, err := csv.NewReader(strings.NewReader(report)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("report %q: %v", report, err)
	}
	if rows[1][1] != `'=HYPERLINK("http://evil.test","x")` || rows[1][2] != "+919876543210" {
		t.Errorf("report row %q", rows[1])
	}
}

// attachedCSV decodes the base64 attachment of a mail.
func attachedCSV(t *testing.T, raw []byte) string {
	t.Helper()
	const sep = "Content-Transfer-Encoding: base64\r\n\r\n"
	s := string(raw)
	i := strings.Index(s, sep)
	if i < 0 {
		t.Fatalf("no base64 part:\n%s", raw)
	}
	j := strings.Index(s[i:], "\r\n--")
	b, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(s[i+len(sep):i+j], "\r\n", ""))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
