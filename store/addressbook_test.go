package store

import (
	"errors"
	"slices"
	"testing"
	"time"
)

func TestAddressBookAndLabels(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "book-a")
		b := mustAccount(t, s, "book-b")
		ann, err := s.CreateContact(ctx, Contact{AccountID: a.ID, Name: "Ann", Phone: "+12025550102", Emails: []string{"ann@example.com"}})
		if err != nil {
			t.Fatal(err)
		}
		bob, err := s.CreateContact(ctx, Contact{AccountID: a.ID, Name: "Bob", Phone: "+12025550103"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateContact(ctx, Contact{AccountID: a.ID, Name: "X", Phone: "+1", Emails: make([]string, 11)}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("11 emails: %v; want ErrInvalid", err)
		}
		l, err := s.CreateLabel(ctx, Label{AccountID: a.ID, Name: "Floor 1", Members: []int64{ann.ID, bob.ID, ann.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if l.Count != 2 {
			t.Fatalf("label count %d, want 2", l.Count)
		}
		if _, err := s.CreateLabel(ctx, Label{AccountID: a.ID, Name: "Floor 1"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("duplicate label: %v; want ErrConflict", err)
		}
		if _, err := s.CreateLabel(ctx, Label{AccountID: b.ID, Name: "Floor 1"}); err != nil {
			t.Fatalf("same name in another account: %v", err)
		}
		if _, err := s.CreateLabel(ctx, Label{AccountID: b.ID, Name: "Other", Members: []int64{ann.ID}}); !errors.Is(err, ErrInvalid) {
			t.Fatalf("another account's contact as member: %v; want ErrInvalid", err)
		}
		got, err := s.GetContact(ctx, a.ID, ann.ID)
		if err != nil || !slices.Equal(got.Labels, []int64{l.ID}) || !slices.Equal(got.Emails, []string{"ann@example.com"}) {
			t.Fatalf("contact %+v, %v", got, err)
		}
		if _, err := s.GetContact(ctx, b.ID, ann.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("another account's contact: %v", err)
		}
		ann.Emails = []string{"a1@example.com", "a2@example.com"}
		ann.Labels = nil
		up, err := s.UpdateContact(ctx, ann)
		if err != nil || len(up.Labels) != 0 || len(up.Emails) != 2 {
			t.Fatalf("update: %+v, %v", up, err)
		}
		found, err := s.FindContacts(ctx, a.ID, "Bob", "+12025550103")
		if err != nil || len(found) != 1 || found[0].ID != bob.ID {
			t.Fatalf("find: %+v, %v", found, err)
		}
		list, err := s.ListContacts(ctx, a.ID, ContactFilter{Text: "a2@EXAMPLE"})
		if err != nil || len(list) != 1 || list[0].ID != ann.ID {
			t.Fatalf("filter: %+v, %v", list, err)
		}
		list, err = s.ListContacts(ctx, a.ID, ContactFilter{Text: "100%_"})
		if err != nil || len(list) != 0 {
			t.Fatalf("wildcards are literal: %+v, %v", list, err)
		}
		rs, err := s.LabelRecipients(ctx, a.ID, []int64{l.ID})
		if err != nil || len(rs) != 1 || rs[0].ID != bob.ID {
			t.Fatalf("recipients: %+v, %v", rs, err)
		}
		ls, err := s.ListLabels(ctx, a.ID)
		if err != nil || len(ls) != 1 || ls[0].Count != 1 {
			t.Fatalf("labels: %+v, %v", ls, err)
		}
		if _, err := s.UpdateLabel(ctx, Label{AccountID: a.ID, ID: l.ID, Name: "Everyone", Members: []int64{ann.ID, bob.ID}}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteContact(ctx, a.ID, bob.ID); err != nil {
			t.Fatal(err)
		}
		gl, err := s.GetLabel(ctx, a.ID, l.ID)
		if err != nil || gl.Name != "Everyone" || !slices.Equal(gl.Members, []int64{ann.ID}) {
			t.Fatalf("label after delete: %+v, %v", gl, err)
		}
		if err := s.DeleteLabel(ctx, a.ID, l.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteLabel(ctx, a.ID, l.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("delete twice: %v", err)
		}
	})
}

func TestNotificationDeliveries(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "notify-a")
		n, err := s.CreateNotification(ctx, Notification{AccountID: a.ID, FlowID: 7, FlowName: "Fire", Channels: []string{ChannelSMS, ChannelEmail},
			Params: map[string]string{"site": "HQ"}, SMSText: "Leave ${flow.key.site}"}, []Delivery{
			{ContactID: 1, ContactName: "Ann", Channel: ChannelSMS, Destination: "+12025550102"},
			{ContactID: 1, ContactName: "Ann", Channel: ChannelEmail, Destination: "ann@example.com"},
			{ContactID: 2, ContactName: "Bob", Channel: ChannelSMS, Destination: "+12025550103"},
		})
		if err != nil {
			t.Fatal(err)
		}
		accs, err := s.PendingDeliveryAccounts(ctx)
		if err != nil || !slices.Contains(accs, a.ID) {
			t.Fatalf("pending accounts %v, %v", accs, err)
		}
		c1, err := s.ClaimDeliveries(ctx, a.ID, ChannelSMS, 1, "c1")
		if err != nil || len(c1) != 1 || c1[0].ContactName != "Ann" || c1[0].Status != DeliverySending {
			t.Fatalf("claim 1: %+v, %v", c1, err)
		}
		c2, err := s.ClaimDeliveries(ctx, a.ID, ChannelSMS, 10, "c2")
		if err != nil || len(c2) != 1 || c2[0].ContactName != "Bob" {
			t.Fatalf("claim 2: %+v, %v", c2, err)
		}
		if c3, err := s.ClaimDeliveries(ctx, a.ID, ChannelSMS, 10, "c3"); err != nil || len(c3) != 0 {
			t.Fatalf("claim 3: %+v, %v", c3, err)
		}
		// This node's claims are stale at once; another node's only once
		// they are older than the cut-off.
		stale, err := s.StaleDeliveries(ctx, "c1", time.Now().Add(-time.Hour), 10)
		if err != nil || len(stale) != 1 || stale[0].ID != c1[0].ID {
			t.Fatalf("stale of c1: %+v, %v", stale, err)
		}
		stale, err = s.StaleDeliveries(ctx, "c9", time.Now().Add(time.Minute), 10)
		if err != nil || len(stale) != 2 {
			t.Fatalf("stale before a later cut-off: %+v, %v", stale, err)
		}
		if _, err := s.UpdateDeliveries(ctx, []DeliveryUpdate{{ID: c1[0].ID, Status: DeliverySent, MessageID: 41},
			{ID: c2[0].ID, Status: DeliveryBlocked, Reason: "blacklisted"}}); err != nil {
			t.Fatal(err)
		}
		d, err := s.DeliveryByMessage(ctx, a.ID, ChannelSMS, 41)
		if err != nil || d.ID != c1[0].ID {
			t.Fatalf("by message: %+v, %v", d, err)
		}
		// A blocked delivery stays blocked.
		if k, err := s.UpdateDeliveries(ctx, []DeliveryUpdate{{ID: c2[0].ID, Status: DeliveryDelivered}}); err != nil || k != 0 {
			t.Fatalf("reopened a final delivery: %d, %v", k, err)
		}
		if ids, err := s.FinishNotifications(ctx); err != nil || len(ids) != 0 {
			t.Fatalf("finished early: %v, %v", ids, err)
		}
		e, err := s.ClaimDeliveries(ctx, a.ID, ChannelEmail, 10, "c4")
		if err != nil || len(e) != 1 {
			t.Fatalf("claim email: %+v, %v", e, err)
		}
		if _, err := s.UpdateDeliveries(ctx, []DeliveryUpdate{{ID: c1[0].ID, Status: DeliveryDelivered}, {ID: e[0].ID, Status: DeliveryFailed, Reason: "relay down"}}); err != nil {
			t.Fatal(err)
		}
		ids, err := s.FinishNotifications(ctx)
		if err != nil || !slices.Equal(ids, []int64{n.ID}) {
			t.Fatalf("finish: %v, %v", ids, err)
		}
		counts, err := s.DeliveryCounts(ctx, a.ID, n.ID)
		if err != nil || len(counts) != 3 {
			t.Fatalf("counts: %+v, %v", counts, err)
		}
		got, err := s.GetNotification(ctx, a.ID, n.ID)
		if err != nil || got.Status != NotificationDone || got.FinishedAt == nil || got.Params["site"] != "HQ" {
			t.Fatalf("notification: %+v, %v", got, err)
		}
		if _, ok, err := s.CallOutcomeByClient(ctx, a.ID, VoiceClientID(n.ID, 1)); err != nil || ok {
			t.Fatalf("no call yet: %v, %v", ok, err)
		}
		if nid, did, ok := ParseVoiceClientID(VoiceClientID(5, 9)); !ok || nid != 5 || did != 9 {
			t.Fatalf("client id round trip: %d %d %v", nid, did, ok)
		}
	})
}
