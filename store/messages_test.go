package store

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestMessages: an account's messages are stored, moved through their
// statuses only forward, read by id and listed with every filter, never
// another account's; bad input is refused before the database.
func TestMessages(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, err := s.CreateAccount(ctx, "msg-a")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.CreateAccount(ctx, "msg-b")
		if err != nil {
			t.Fatal(err)
		}
		sms, err := s.CreateMessage(ctx, Message{AccountID: a.ID, Channel: ChannelSMS, To: "+12025550102", Body: "Your code is 1234",
			Status: MessageSending, SourceKind: "flow", SourceID: 7, SourceRef: "attempt-1", TokenHash: strings.Repeat("a", 64)})
		if err != nil {
			t.Fatal(err)
		}
		if sms.ID == 0 || sms.CreatedAt.IsZero() || !sms.UpdatedAt.Equal(sms.CreatedAt) {
			t.Fatalf("created %+v", sms)
		}
		mail, err := s.CreateMessage(ctx, Message{AccountID: a.ID, Channel: ChannelEmail, To: "ann@example.com", Subject: "Hi",
			Body: "Hello", Status: MessageSent, SourceKind: "campaign", SourceID: 3})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.CreateMessage(ctx, Message{AccountID: b.ID, Channel: ChannelSMS, To: "+12025550102", Body: "b", Status: MessageBlocked, Reason: "blacklisted"})
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			m    Message
		}{
			{"no account", Message{Channel: ChannelSMS, To: "+1", Body: "x", Status: MessageSent}},
			{"bad channel", Message{AccountID: a.ID, Channel: "fax", To: "+1", Body: "x", Status: MessageSent}},
			{"no recipient", Message{AccountID: a.ID, Channel: ChannelSMS, Body: "x", Status: MessageSent}},
			{"bad status", Message{AccountID: a.ID, Channel: ChannelSMS, To: "+1", Body: "x", Status: "queued"}},
			{"long body", Message{AccountID: a.ID, Channel: ChannelSMS, To: "+1", Body: strings.Repeat("x", maxMessageBody+1), Status: MessageSent}},
		} {
			if _, err := s.CreateMessage(ctx, tc.m); !errors.Is(err, ErrInvalid) {
				t.Errorf("%s: %v; want ErrInvalid", tc.name, err)
			}
		}
		if _, err := s.CreateMessage(ctx, Message{AccountID: 1 << 40, Channel: ChannelSMS, To: "+1", Body: "x", Status: MessageSent}); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown account: %v; want ErrNotFound", err)
		}

		// sending → sent → delivered; a late "sent" does not undo delivered.
		m, changed, err := s.UpdateMessageStatus(ctx, a.ID, sms.ID, MessageUpdate{From: []string{MessageSending}, Status: MessageSent})
		if err != nil || !changed || m.Status != MessageSent {
			t.Fatalf("sending→sent: %+v %v %v", m, changed, err)
		}
		m, changed, err = s.UpdateMessageStatus(ctx, a.ID, sms.ID, MessageUpdate{From: []string{MessageSending, MessageSent}, Status: MessageDelivered, GatewayID: "smsc-9"})
		if err != nil || !changed || m.Status != MessageDelivered || m.GatewayID != "smsc-9" {
			t.Fatalf("sent→delivered: %+v %v %v", m, changed, err)
		}
		m, changed, err = s.UpdateMessageStatus(ctx, a.ID, sms.ID, MessageUpdate{From: []string{MessageSending}, Status: MessageSent})
		if err != nil || changed || m.Status != MessageDelivered {
			t.Fatalf("late sent: %+v %v %v", m, changed, err)
		}
		// A message failed without knowing whether the gateway took it is
		// replaced by an update naming its reason, and only its reason.
		c, err := s.CreateAccount(ctx, "msg-c")
		if err != nil {
			t.Fatal(err)
		}
		unsure, err := s.CreateMessage(ctx, Message{AccountID: c.ID, Channel: ChannelSMS, To: "+12025550103", Body: "u",
			Status: MessageFailed, Reason: "no answer"})
		if err != nil {
			t.Fatal(err)
		}
		late := MessageUpdate{From: []string{MessageSending, MessageSent}, FromFailed: []string{"interrupted"}, Status: MessageDelivered}
		m, changed, err = s.UpdateMessageStatus(ctx, c.ID, unsure.ID, late)
		if err != nil || changed || m.Status != MessageFailed || m.Reason != "no answer" {
			t.Fatalf("another failure's reason: %+v %v %v; want failed, unchanged", m, changed, err)
		}
		late.FromFailed = []string{"interrupted", "no answer"}
		m, changed, err = s.UpdateMessageStatus(ctx, c.ID, unsure.ID, late)
		if err != nil || !changed || m.Status != MessageDelivered || m.Reason != "" {
			t.Fatalf("failed (no answer) → delivered: %+v %v %v; want delivered, reason cleared", m, changed, err)
		}
		m, changed, err = s.UpdateMessageStatus(ctx, c.ID, unsure.ID, MessageUpdate{From: []string{MessageSending, MessageSent},
			FromFailed: []string{"no answer"}, Status: MessageFailed, Reason: "not delivered"})
		if err != nil || changed || m.Status != MessageDelivered {
			t.Fatalf("a late failure after delivered: %+v %v %v; want delivered, unchanged", m, changed, err)
		}
		if _, _, err := s.UpdateMessageStatus(ctx, b.ID, sms.ID, MessageUpdate{From: []string{MessageDelivered}, Status: MessageFailed}); !errors.Is(err, ErrNotFound) {
			t.Errorf("another account's message: %v; want ErrNotFound", err)
		}
		if _, _, err := s.UpdateMessageStatus(ctx, a.ID, sms.ID, MessageUpdate{Status: MessageFailed}); !errors.Is(err, ErrInvalid) {
			t.Errorf("no from statuses: %v; want ErrInvalid", err)
		}
		byID, err := s.MessageByID(ctx, sms.ID)
		if err != nil || byID.TokenHash != strings.Repeat("a", 64) || byID.AccountID != a.ID {
			t.Fatalf("by id: %+v %v", byID, err)
		}
		if _, err := s.MessageByID(ctx, 1<<40); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown id: %v; want ErrNotFound", err)
		}

		got, err := s.GetMessages(ctx, a.ID, []int64{mail.ID, sms.ID, other.ID, 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID != sms.ID || got[1].ID != mail.ID || got[0].Status != MessageDelivered {
			t.Fatalf("get: %+v", got)
		}
		if _, err := s.GetMessages(ctx, a.ID, make([]int64, MaxMessageIDs+1)); !errors.Is(err, ErrInvalid) {
			t.Errorf("too many ids: %v; want ErrInvalid", err)
		}

		hour := time.Now().Add(-time.Hour)
		for _, tc := range []struct {
			name string
			f    MessageFilter
			want []int64
		}{
			{"all, newest first", MessageFilter{AccountID: a.ID}, []int64{mail.ID, sms.ID}},
			{"channel", MessageFilter{AccountID: a.ID, Channel: ChannelSMS}, []int64{sms.ID}},
			{"to", MessageFilter{AccountID: a.ID, To: "ann@example.com"}, []int64{mail.ID}},
			{"status", MessageFilter{AccountID: a.ID, Status: MessageDelivered}, []int64{sms.ID}},
			{"source", MessageFilter{AccountID: a.ID, SourceKind: "flow", SourceID: 7}, []int64{sms.ID}},
			{"period", MessageFilter{AccountID: a.ID, From: hour, Until: time.Now().Add(time.Hour)}, []int64{mail.ID, sms.ID}},
			{"before the period", MessageFilter{AccountID: a.ID, Until: hour}, nil},
			{"next page", MessageFilter{AccountID: a.ID, BeforeID: mail.ID}, []int64{sms.ID}},
			{"limit", MessageFilter{AccountID: a.ID, Limit: 1}, []int64{mail.ID}},
			{"other account", MessageFilter{AccountID: b.ID}, []int64{other.ID}},
		} {
			ms, err := s.ListMessages(ctx, tc.f)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ids []int64
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			if len(ids) != len(tc.want) || (len(ids) > 0 && ids[0] != tc.want[0]) || (len(ids) > 1 && ids[1] != tc.want[1]) {
				t.Errorf("%s: %v; want %v", tc.name, ids, tc.want)
			}
		}
		// A message left "sending" by a stopped service fails, a recent one
		// (another node may be sending it) stays.
		stale, err := s.CreateMessage(ctx, Message{AccountID: a.ID, Channel: ChannelSMS, To: "+12025550103", Body: "x", Status: MessageSending})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := s.FailInterruptedMessages(ctx, time.Now().Add(-time.Minute), "interrupted"); err != nil || n != 0 {
			t.Fatalf("recent: %d %v", n, err)
		}
		if n, err := s.FailInterruptedMessages(ctx, time.Now().Add(time.Second), "interrupted"); err != nil || n != 1 {
			t.Fatalf("stale: %d %v", n, err)
		}
		if got, err := s.MessageByID(ctx, stale.ID); err != nil || got.Status != MessageFailed || got.Reason != "interrupted" {
			t.Fatalf("stale message %+v %v", got, err)
		}
		for _, f := range []MessageFilter{{}, {AccountID: a.ID, Channel: "fax"}, {AccountID: a.ID, Status: "x"},
			{AccountID: a.ID, From: hour, Until: hour}} {
			if _, err := s.ListMessages(ctx, f); !errors.Is(err, ErrInvalid) {
				t.Errorf("filter %+v: %v; want ErrInvalid", f, err)
			}
		}
	})
}
