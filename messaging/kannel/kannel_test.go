package kannel_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/switchyard/switchyard/messaging/kannel"
	"github.com/switchyard/switchyard/messaging/kannel/kanneltest"
)

// TestSendThroughKannel: a real Kannel takes plain and non-Latin texts and
// the fake SMSC receives them exactly, to the exact number; a wrong
// password is refused (not retryable) and a closed port is unreachable
// (retryable).
func TestSendThroughKannel(t *testing.T) {
	g := kanneltest.Start(t)
	c := &kannel.Client{URL: g.SendSMSURL, Username: g.Username, Password: g.Password, From: "SWITCHYARD"}
	ctx := context.Background()
	texts := []struct{ to, text string }{
		{"+12025550102", "Your code is 4711. Reply STOP to end."},
		{"+919876543210", "नमस्ते! Grüße ₹100"},
	}
	for _, m := range texts {
		if err := c.Send(ctx, kannel.Request{To: m.to, Text: m.text}); err != nil {
			t.Fatalf("send %q: %v", m.text, err)
		}
	}
	got := g.Wait(t, len(texts))
	for i, m := range texts {
		if got[i].To != m.to || got[i].Text != m.text || got[i].From != "SWITCHYARD" {
			t.Errorf("message %d: fakesmsc got %+v; want to %s text %q", i, got[i], m.to, m.text)
		}
	}

	bad := *c
	bad.Password = "wrong"
	var refused *kannel.Refused
	if err := bad.Send(ctx, kannel.Request{To: "+12025550102", Text: "x"}); !errors.As(err, &refused) || kannel.Unreachable(err) {
		t.Errorf("wrong password: %v; want *Refused", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String() + "/cgi-bin/sendsms"
	_ = l.Close()
	off := *c
	off.URL = closed
	if err := off.Send(ctx, kannel.Request{To: "+12025550102", Text: "x"}); !kannel.Unreachable(err) {
		t.Errorf("closed port: %v; want unreachable", err)
	}
	if len(g.Received()) != len(texts) {
		t.Errorf("fakesmsc received %d messages; want %d", len(g.Received()), len(texts))
	}
}

// TestCoding: printable ASCII goes in the GSM alphabet, anything else in
// UCS-2.
func TestCoding(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{{"Hello", 0}, {"two\nlines", 0}, {"Grüße", 2}, {"₹", 2}, {"tab\there", 2}, {"", 0}} {
		if got := kannel.Coding(tc.text); got != tc.want {
			t.Errorf("Coding(%q) = %d; want %d", tc.text, got, tc.want)
		}
	}
}
