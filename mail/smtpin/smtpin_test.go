package smtpin

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

func TestEmailUploadRoundTrip(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	sk := mailtest.Start(t)
	relay := sk.Addr
	if _, err := e.st.CreateUser(ctx, store.NewUser{AccountID: e.acc, Email: "owner@acme.test", Name: "Owner", Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ list, value string }{{store.ListWhite, "ops@acme.test"}, {store.ListWhite, "status@acme.test"}, {store.ListBlack, "spam@acme.test"}} {
		if _, err := e.st.AddListEntry(ctx, e.acc, v.list, store.KindEmail, v.value, false); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{Domain: "upload.switchyard.test", Secret: []byte("0123456789abcdef0123"), Relay: relay, From: "noreply@upload.switchyard.test"}
	statusOn := false
	d := testDeps(e, e.st, fakeFlows{flow: func(_ context.Context, acc int64, id string) (intake.Flow, error) {
		if acc == e.acc && id == "42" {
			return intake.Flow{ID: "42", Name: "Reminders", Type: intake.FlowTypeOutbound, Variables: []string{"name"}, StatusEmail: statusOn,
				StatusRecipients: []string{"status@acme.test", "not-whitelisted@acme.test"}}, nil
		}
		return intake.Flow{}, intake.ErrFlowNotFound
	}})
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
	addr := Address(cfg, e.acc, "42")
	if addr == "" || !strings.HasSuffix(addr, "@upload.switchyard.test") {
		t.Fatalf("address %q", addr)
	}
	send := func(from, to string, msg []byte) error {
		c, err := smtp.Dial(l.Addr().String())
		if err != nil {
			return err
		}
		defer c.Close()
		return c.SendMail(from, []string{to}, bytes.NewReader(msg))
	}

	// Refusals at RCPT: unknown/forged address, blacklisted and
	// non-whitelisted senders.
	forged := strings.Replace(addr, "-42-", "-43-", 1)
	for _, tc := range []struct{ from, to, want string }{
		{"ops@acme.test", forged, "no such upload address"},
		{"ops@acme.test", "calllist-1-42-0000000000000000@upload.switchyard.test", "no such upload address"},
		{"spam@acme.test", addr, "blacklisted"},
		{"stranger@else.test", addr, "not a whitelisted"},
	} {
		err := send(tc.from, tc.to, []byte("Subject: x\r\n\r\nx\r\n"))
		var se *smtp.SMTPError
		if !errors.As(err, &se) || se.Code != 550 || !strings.Contains(se.Message, tc.want) {
			t.Errorf("%s → %s: %v, want 550 %q", tc.from, tc.to, err, tc.want)
		}
	}

	// A good upload: the sender gets the auto-response; status email off
	// and nothing rejected → nothing else.
	good := mailtest.WithAttachments("ops@acme.test", addr, "March list", mailtest.Attachment{Name: "upload_08022020211200.csv", Content: "tel1,$flow.key.name\n+919876543210,A\n12,B\n"})
	if err := send("OPS@acme.test", addr, good); err != nil {
		t.Fatal(err)
	}
	msgs := sk.Wait(t, 1)
	if len(msgs[0].To) != 1 || msgs[0].To[0] != "ops@acme.test" {
		t.Fatalf("auto-response to %v", msgs[0].To)
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(m.Body)
	if !strings.Contains(m.Header.Get("Subject"), "accepted") || !strings.Contains(string(body), "2 records loaded, 1 added, 1 invalid") {
		t.Fatalf("auto-response %q:\n%s", m.Header.Get("Subject"), body)
	}
	rs, _ := e.st.ListCallListRequests(ctx, store.RequestFilter{AccountID: e.acc})
	if len(rs) != 1 || rs[0].Source != store.SourceEmail || rs[0].FileName != "upload_08022020211200.csv" || rs[0].StartTime == nil {
		t.Fatalf("requests: %+v", rs)
	}

	// A rejected file with status email off: the sender and the account
	// holder (told of a rejected file even then) hear about it.
	bad := mailtest.WithAttachments("ops@acme.test", addr, "bad", mailtest.Attachment{Name: "list.csv", Content: "phone;name\n"}, mailtest.Attachment{Name: "photo.jpg", Content: "x"})
	if err := send("ops@acme.test", addr, bad); err != nil {
		t.Fatal(err)
	}
	msgs = sk.Wait(t, 3)
	toOwner := false
	for _, mm := range msgs[1:] {
		if strings.Join(mm.To, ",") == "owner@acme.test" {
			toOwner = true
			if !bytes.Contains(mm.Data, []byte("REJECTED")) || !bytes.Contains(mm.Data, []byte("photo.jpg")) || !bytes.Contains(mm.Data, []byte("no records")) {
				t.Errorf("owner notice:\n%s", mm.Data)
			}
		}
	}
	if !toOwner {
		t.Fatalf("the account holder was not notified of the rejected file: %+v", msgs)
	}

	// Status email on: holder + whitelisted selected recipient get the
	// per-number report; the non-whitelisted one does not.
	statusOn = true
	if err := send("ops@acme.test", addr, good); err != nil {
		t.Fatal(err)
	}
	msgs = sk.Wait(t, 5)
	st := msgs[4]
	if msgs[3].To[0] == "ops@acme.test" {
		st = msgs[4]
	} else {
		st = msgs[3]
	}
	if strings.Join(st.To, ",") != "owner@acme.test,status@acme.test" {
		t.Fatalf("status email to %v", st.To)
	}
	sm, _ := mail.ReadMessage(bytes.NewReader(st.Data))
	raw, _ := io.ReadAll(sm.Body)
	if !bytes.Contains(raw, []byte(`filename="request-`)) {
		t.Fatalf("status email without the report:\n%s", raw)
	}
	// The attached report decodes to the per-number CSV (duplicate of the
	// first upload's number is reported).
	i := bytes.Index(raw, []byte("Content-Transfer-Encoding: base64\r\n\r\n"))
	j := bytes.Index(raw[i:], []byte("\r\n--"))
	rep, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(string(raw[i+len("Content-Transfer-Encoding: base64\r\n\r\n"):i+j]), "\r\n", ""))
	if err != nil || !strings.HasPrefix(string(rep), "row,client-identifier,number") || !strings.Contains(string(rep), "PENDING") || !strings.Contains(string(rep), "INVALID") {
		t.Fatalf("report %q %v", rep, err)
	}
	if ms.Sent() != 5 {
		t.Errorf("Sent() = %d, want 5", ms.Sent())
	}
}

func TestMailConfigValidate(t *testing.T) {
	good := Config{Domain: "u.test", Secret: make([]byte, 16), Relay: "127.0.0.1:25", From: "a@u.test"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mut := range map[string]func(*Config){
		"domain": func(c *Config) { c.Domain = "" },
		"secret": func(c *Config) { c.Secret = []byte("short") },
		"relay":  func(c *Config) { c.Relay = "" },
		"port":   func(c *Config) { c.Relay = "host" },
		"from":   func(c *Config) { c.From = "nope" },
		"auth":   func(c *Config) { c.RelayUser = "u" },
	} {
		c := good
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if Address(good, 1, "Bad-ID") != "" {
		t.Error("address for an id that cannot be in a mailbox name")
	}
	if _, _, ok := parseAddress(good, Address(good, 7, "42")); !ok {
		t.Error("round trip")
	}
}

// TestDirectUploadEmailStatus: a direct (API) upload to a flow with
// status email on sends the Email Status to the owner and the whitelisted
// status recipients, as an emailed list does (no auto-response).
