package relay

import (
	"github.com/switchyard/switchyard/internal/testkit"
	"log/slog"
	"net"
	"net/smtp"
	"strings"
	"testing"
)

func TestFirstText(t *testing.T) {
	msg := "--B\r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nYour upload was =\r\naccepted.\r\n--B--\r\n"
	if got := firstText(`multipart/mixed; boundary="B"`, "", strings.NewReader(msg), 0); got != "Your upload was accepted." {
		t.Errorf("firstText = %q", got)
	}
	if got := firstText("application/zip", "", strings.NewReader("PK"), 0); got != "" {
		t.Errorf("non-text: %q", got)
	}
}

// TestLogRelay: without SWITCHYARD_SMTP_RELAY, responses are logged with
// sender, recipients, subject and text instead of being sent.
func TestLogRelay(t *testing.T) {
	var buf testkit.SyncBuffer
	srv := NewLog(slog.New(slog.NewTextHandler(&buf, nil)), "SWITCHYARD_SMTP_RELAY")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	msg := "From: lists@u.test\r\nTo: ops@acme.test\r\nSubject: =?utf-8?q?Call_list_upload_accepted?=\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"B\"\r\n\r\n--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"list.csv: accepted as request 42 =E2=80=94 2 records loaded.\r\n--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=\"r.csv\"\r\n\r\nrow,number\r\n--B--\r\n"
	if err := smtp.SendMail(l.Addr().String(), nil, "lists@u.test", []string{"ops@acme.test", "owner@acme.test"}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"logged instead", "from=lists@u.test", "to=\"[ops@acme.test owner@acme.test]\"", `subject="Call list upload accepted"`, "accepted as request 42 — 2 records loaded."} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "row,number") {
		t.Errorf("attachment logged:\n%s", out)
	}
}
