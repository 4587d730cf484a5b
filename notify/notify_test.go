package notify

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows/flowstore"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// fixture is a real store (SQLite, or PostgreSQL with the driver given),
// the real call-list intake for voice and a fake messaging service.
type fixture struct {
	st   *store.Store
	svc  *Service
	acc  int64
	flow int64
	mu   sync.Mutex
	sms  []SMS
	mail []Email
	next atomic.Int64
}

const testFlow = `{"format":1,"name":"Fire drill","type":"emergency_notification","start":"say",
 "variables":["site","contact_name"],
 "notification":{"sms_text":"Hi ${flow.key.contact_name}: leave ${flow.key.site} now",
  "email_subject":"Evacuate ${flow.key.site}","email_text":"Dear $flow.key.contact_name, leave the building."},
 "nodes":[{"id":"say","type":"play","params":{"media":["sound:hello-world"]}}]}`

func newFixture(t testing.TB, driver string) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, storetest.Options(t, driver))
	a, err := st.CreateAccount(ctx, "notify-test")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAccountCountry(ctx, a.ID, "US"); err != nil {
		t.Fatal(err)
	}
	f, err := st.CreateFlow(ctx, a.ID, store.NewFlow{Name: "Fire drill", Type: "emergency_notification", Draft: []byte(testFlow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, a.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	fx := &fixture{st: st, acc: a.ID, flow: f.ID}
	im := intake.New(intake.Config{Store: st, Flows: &flowstore.Adapter{S: st}})
	fx.svc = New(Config{Store: st, Calls: im, Node: "test", Interval: 50 * time.Millisecond,
		Messages: FuncMessenger{
			SMS: func(_ context.Context, m SMS) (Message, error) {
				fx.mu.Lock()
				defer fx.mu.Unlock()
				fx.sms = append(fx.sms, m)
				if m.To == "+12025550130" {
					return Message{ID: fx.next.Add(1), Status: "blocked", Reason: "blacklisted"}, nil
				}
				return Message{ID: fx.next.Add(1), Status: "sent"}, nil
			},
			Email: func(_ context.Context, m Email) (Message, error) {
				fx.mu.Lock()
				defer fx.mu.Unlock()
				fx.mail = append(fx.mail, m)
				return Message{ID: fx.next.Add(1), Status: "sent"}, nil
			},
		}})
	return fx
}

func TestContacts(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		in   ContactInput
		want string // "" = ok; else the field of the client error
	}{
		{"ok national", ContactInput{Name: "Ann", Phone: "(202) 555-0102", Emails: []string{"ann@example.com"}}, ""},
		{"no name", ContactInput{Phone: "+12025550102"}, "name"},
		{"bad phone", ContactInput{Name: "A", Phone: "12ab"}, "phone"},
		{"no phone", ContactInput{Name: "A"}, "phone"},
		{"bad email", ContactInput{Name: "A", Phone: "+12025550102", Emails: []string{"help@"}}, "emails"},
		{"named email", ContactInput{Name: "A", Phone: "+12025550102", Emails: []string{"Ann <a@example.com>"}}, "emails"},
		{"eleven emails", ContactInput{Name: "A", Phone: "+12025550102", Emails: strings.Split("a@x.io b@x.io c@x.io d@x.io e@x.io f@x.io g@x.io h@x.io i@x.io j@x.io k@x.io", " ")}, "emails"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := fx.svc.CreateContact(ctx, fx.acc, tc.in)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.Phone != "+12025550102" {
					t.Fatalf("phone %q, want E.164 +12025550102", c.Phone)
				}
				return
			}
			var ae *switchyard.Error
			if !errors.As(err, &ae) || ae.Field != tc.want {
				t.Fatalf("error %v; want a client error on %s", err, tc.want)
			}
		})
	}
	if _, err := fx.svc.CreateLabel(ctx, fx.acc, LabelInput{Name: "a;b"}); err == nil {
		t.Fatal("a label name with ';' was accepted")
	}
}

func bulkCSV(rows ...string) string {
	return strings.Join(TemplateHeader, ",") + "\n" + strings.Join(rows, "\n") + "\n"
}

func row(name, phone, email, labels string) string {
	return name + "," + phone + "," + email + ",,,,,,,,,," + labels
}

func TestBulkAdd(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	if _, err := fx.svc.CreateLabel(ctx, fx.acc, LabelInput{Name: "Wardens"}); err != nil {
		t.Fatal(err)
	}
	res, err := fx.svc.BulkAdd(ctx, fx.acc, ModeNew, StrategyDefault, strings.NewReader(bulkCSV(
		row("Ann", "+12025550102", "ann@example.com", "Wardens"),
		row("Bob", "2025550103", "", ""),
		row("Ann", "+12025550102", "other@example.com", ""), // duplicate name+phone
		row("Cy", "not a number", "", ""),
		row("Di", "+12025550104", "", "Nobody"),
		"Ed,+12025550105", // short row
	)))
	if err != nil {
		t.Fatal(err)
	}
	var st []string
	for _, r := range res.Rows {
		st = append(st, r.Status)
	}
	if want := []string{RowCreated, RowCreated, RowRejected, RowRejected, RowRejected, RowRejected}; !slices.Equal(st, want) {
		t.Fatalf("statuses %v, want %v (%+v)", st, want, res.Rows)
	}
	for i, want := range map[int]string{2: "already exists", 3: "not a phone number", 4: `unknown label "Nobody"`, 5: "2 fields; the header has 13"} {
		if !strings.Contains(res.Rows[i].Reason, want) {
			t.Errorf("row %d reason %q, want %q", i+1, res.Rows[i].Reason, want)
		}
	}
	// Force New Entry: the same name and phone with another email is a
	// new contact; an identical one is still rejected.
	res, err = fx.svc.BulkAdd(ctx, fx.acc, ModeNew, StrategyForce, strings.NewReader(bulkCSV(
		row("Ann", "+12025550102", "other@example.com", ""),
		row("Bob", "+12025550103", "", ""),
	)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Rows[1].Status != RowRejected || !strings.Contains(res.Rows[1].Reason, "at least one property") {
		t.Fatalf("force: %+v", res)
	}
	// Update Existing: Bob's email changes; two Anns are ambiguous under
	// the Default Strategy.
	res, err = fx.svc.BulkAdd(ctx, fx.acc, ModeUpdate, StrategyDefault, strings.NewReader(bulkCSV(
		row("Bob", "+12025550103", "bob@example.com", "Wardens"),
		row("Ann", "+12025550102", "x@example.com", ""),
		row("Zed", "+12025550109", "", ""),
	)))
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 || res.Rows[1].Status != RowRejected || res.Rows[2].Status != RowRejected {
		t.Fatalf("update: %+v", res)
	}
	bob, err := fx.st.GetContact(ctx, fx.acc, res.Rows[0].ContactID)
	if err != nil || !slices.Equal(bob.Emails, []string{"bob@example.com"}) || len(bob.Labels) != 1 {
		t.Fatalf("bob %+v, %v", bob, err)
	}
	// A file without an email or labels column keeps them.
	res2, err := fx.svc.BulkAdd(ctx, fx.acc, ModeUpdate, StrategyDefault, strings.NewReader("name,phone\nBob,+12025550103\n"))
	if err != nil || res2.Updated != 1 {
		t.Fatalf("update without emails: %+v, %v", res2, err)
	}
	if bob, err := fx.st.GetContact(ctx, fx.acc, res2.Rows[0].ContactID); err != nil || !slices.Equal(bob.Emails, []string{"bob@example.com"}) || len(bob.Labels) != 1 {
		t.Fatalf("bob after an update without those columns: %+v, %v", bob, err)
	}
	var report bytes.Buffer
	if err := WriteBulkReport(&report, res); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&report).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][3] != "status" || recs[3][3] != RowRejected {
		t.Fatalf("report %v, %v", recs, err)
	}
	for _, tc := range []struct{ mode, strategy, file, field string }{
		{"add", StrategyDefault, bulkCSV(row("A", "+12025550102", "", "")), "mode"},
		{ModeNew, "x", bulkCSV(row("A", "+12025550102", "", "")), "strategy"},
		{ModeNew, StrategyDefault, "", "file"},
		{ModeNew, StrategyDefault, "name,phone,fax\nA,1,2\n", "file"},
		{ModeNew, StrategyDefault, "phone\n+12025550102\n", "file"},
		{ModeNew, StrategyDefault, strings.Join(TemplateHeader, ",") + "\n", "file"},
	} {
		_, err := fx.svc.BulkAdd(ctx, fx.acc, tc.mode, tc.strategy, strings.NewReader(tc.file))
		var ae *switchyard.Error
		if !errors.As(err, &ae) || ae.Field != tc.field {
			t.Errorf("%s/%s %q: %v; want a client error on %s", tc.mode, tc.strategy, tc.file, err, tc.field)
		}
	}
}

// contacts adds n contacts under one label and returns the label.
func (fx *fixture) contacts(t testing.TB, n int, withEmail bool) int64 {
	t.Helper()
	ctx := context.Background()
	var ids []int64
	for i := range n {
		in := ContactInput{Name: fmt.Sprintf("Person %d", i), Phone: fmt.Sprintf("+1202555%04d", 1000+i%9000)}
		if withEmail && i%10 != 9 {
			in.Emails = []string{fmt.Sprintf("p%d@example.com", i)}
		}
		c, err := fx.svc.CreateContact(ctx, fx.acc, in)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	l, err := fx.svc.CreateLabel(ctx, fx.acc, LabelInput{Name: fmt.Sprintf("L%d", time.Now().UnixNano()), Members: ids})
	if err != nil {
		t.Fatal(err)
	}
	return l.ID
}

// sendSMS sends the fixture's flow by SMS to n new contacts under one
// label (site HQ) and returns the notification.
func (fx *fixture) sendSMS(t testing.TB, n int) store.Notification {
	t.Helper()
	label := fx.contacts(t, n, false)
	nt, err := fx.svc.Send(context.Background(), fx.acc, SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"sms"},
		Params: map[string]string{"site": "HQ"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return nt
}

func TestPreviewAndSend(t *testing.T) {
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			fx := newFixture(t, driver)
			ctx := context.Background()
			label := fx.contacts(t, 20, true)
			req := SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"voice", "sms", "email"}, Params: map[string]string{"site": "HQ"}}
			p, err := fx.svc.Preview(ctx, fx.acc, req)
			if err != nil {
				t.Fatal(err)
			}
			if p.Recipients != 20 || len(p.Channels) != 3 || p.Channels[2].Recipients != 18 || p.Channels[2].Missing != 2 {
				t.Fatalf("preview counts %+v", p)
			}
			if p.SMSText != "Hi Person 0: leave HQ now" || p.EmailSubject != "Evacuate HQ" || p.Voice == nil || p.Voice.Variables["contact_name"] != "Person 0" {
				t.Fatalf("preview %+v", p)
			}
			for _, bad := range []struct {
				req   SendRequest
				field string
			}{
				{SendRequest{FlowID: fx.flow, Labels: []int64{label}, Params: req.Params}, "channels"},
				{SendRequest{FlowID: fx.flow, Channels: []string{"sms"}, Params: req.Params}, "labels"},
				{SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"fax"}, Params: req.Params}, "channels"},
				{SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"sms"}}, "params"},
				{SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"sms"}, Params: map[string]string{"site": "x", "zone": "y"}}, "params"},
				{SendRequest{FlowID: 999999, Labels: []int64{label}, Channels: []string{"sms"}, Params: req.Params}, "flow_id"},
				{SendRequest{FlowID: fx.flow, Labels: []int64{999999}, Channels: []string{"sms"}, Params: req.Params}, "labels"},
			} {
				_, err := fx.svc.Preview(ctx, fx.acc, bad.req)
				var ae *switchyard.Error
				if !errors.As(err, &ae) || ae.Field != bad.field {
					t.Errorf("%+v: %v; want a client error on %s", bad.req, err, bad.field)
				}
			}
			n, err := fx.svc.Send(ctx, fx.acc, req, "ann@example.com")
			if err != nil {
				t.Fatal(err)
			}
			if err := fx.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			fx.mu.Lock()
			nsms, nmail := len(fx.sms), len(fx.mail)
			first := fx.sms[0]
			fx.mu.Unlock()
			if nsms != 20 || nmail != 18 || !strings.HasPrefix(first.Text, "Hi Person ") || first.NotificationID != n.ID {
				t.Fatalf("sent %d SMS, %d emails; first %+v", nsms, nmail, first)
			}
			// A second tick sends nothing again.
			if err := fx.svc.Tick(ctx); err != nil {
				t.Fatal(err)
			}
			if fx.countSent() != 38 {
				t.Fatalf("sent twice: %d", fx.countSent())
			}
			rep, err := fx.svc.Report(ctx, fx.acc, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, c := range rep.Counts {
				got[c.Channel+"/"+c.Status] += c.N
			}
			if got["voice/sent"] != 20 || got["sms/sent"] != 20 || got["email/sent"] != 18 || got["email/failed"] != 2 {
				t.Fatalf("counts %v", got)
			}
			// The voice recipients are on the flow's call list with the
			// parameters as record variables.
			var reqID string
			if err := fx.svc.EachDelivery(ctx, fx.acc, n.ID, func(d store.Delivery) error {
				if d.Channel == ChannelVoice {
					reqID = d.RequestID
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			recs, err := fx.st.ListCallListRecords(ctx, fx.acc, reqID, 0, 100)
			if err != nil || len(recs) != 20 || recs[0].Variables["site"] != "HQ" || recs[0].Variables["contact_name"] != "Person 0" {
				t.Fatalf("call list %s: %d records, %+v, %v", reqID, len(recs), recs[0], err)
			}
			// Delivery reports move SMS to delivered.
			ds, err := fx.svc.Deliveries(ctx, fx.acc, n.ID, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range ds {
				if d.Channel == ChannelSMS {
					if err := fx.svc.MessageStatus(ctx, fx.acc, ChannelSMS, d.MessageID, "", "delivered", ""); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := fx.svc.MessageStatus(ctx, fx.acc, ChannelSMS, 1<<40, "", "delivered", ""); err != nil {
				t.Fatalf("unknown message: %v", err)
			}
			if err := fx.svc.MessageStatus(ctx, fx.acc, ChannelSMS, 1, "", "read", ""); err == nil {
				t.Fatal("unknown status accepted")
			}
			rep, err = fx.svc.Report(ctx, fx.acc, n.ID)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status != store.NotificationSending {
				t.Fatalf("done with calls still open: %+v", rep.Notification)
			}
		})
	}
}

func (fx *fixture) countSent() int {
	fx.mu.Lock()
	defer fx.mu.Unlock()
	return len(fx.sms) + len(fx.mail)
}

// TestResumeAfterRestart: a sender that stopped between claiming and
// recording leaves deliveries in sending; the next run settles them
// without sending an SMS twice and puts voice calls on the list once.
func TestResumeAfterRestart(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	label := fx.contacts(t, 5, false)
	n, err := fx.svc.Send(ctx, fx.acc, SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"voice", "sms"},
		Params: map[string]string{"site": "HQ"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	// The "crash": claims taken by this node, nothing recorded.
	sms, err := fx.st.ClaimDeliveries(ctx, fx.acc, ChannelSMS, 2, "test/dead")
	if err != nil || len(sms) != 2 {
		t.Fatalf("claim: %v %v", sms, err)
	}
	voice, err := fx.st.ClaimDeliveries(ctx, fx.acc, ChannelVoice, 5, "test/dead")
	if err != nil || len(voice) != 5 {
		t.Fatalf("claim: %v %v", voice, err)
	}
	// Two of the calls reached the call list before the crash.
	if err := fx.svc.sendVoice(ctx, n, voice[:2]); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.st.UpdateDeliveries(ctx, []store.DeliveryUpdate{{ID: voice[0].ID, Status: store.DeliverySending}, {ID: voice[1].ID, Status: store.DeliverySending}}); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.recoverStale(ctx); err != nil {
		t.Fatal(err)
	}
	if err := fx.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if fx.countSent() != 3 {
		t.Fatalf("sent %d SMS after the restart, want the 3 never taken", fx.countSent())
	}
	got := map[string]int{}
	reqs := map[string]bool{}
	if err := fx.svc.EachDelivery(ctx, fx.acc, n.ID, func(d store.Delivery) error {
		got[d.Channel+"/"+d.Status]++
		if d.Channel == ChannelVoice {
			reqs[d.RequestID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got["sms/failed"] != 2 || got["sms/sent"] != 3 || got["voice/sent"] != 5 {
		t.Fatalf("after restart: %v", got)
	}
	var calls int
	for r := range reqs {
		recs, err := fx.st.ListCallListRecords(ctx, fx.acc, r, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		calls += len(recs)
	}
	if calls != 5 {
		t.Fatalf("%d calls on the lists, want 5 (none twice)", calls)
	}
}

// TestFairness: a large notification of one account does not hold up a
// small one of another: both get a share of every round.
func TestFairness(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	big := fx.contacts(t, 300, false)
	if _, err := fx.svc.Send(ctx, fx.acc, SendRequest{FlowID: fx.flow, Labels: []int64{big}, Channels: []string{"sms"}, Params: map[string]string{"site": "A"}}, ""); err != nil {
		t.Fatal(err)
	}
	b, err := fx.st.CreateAccount(ctx, "other-tenant")
	if err != nil {
		t.Fatal(err)
	}
	f, err := fx.st.CreateFlow(ctx, b.ID, store.NewFlow{Name: "Fire drill", Type: "emergency_notification", Draft: []byte(testFlow)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.st.PublishFlow(ctx, b.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	other := &fixture{st: fx.st, svc: fx.svc, acc: b.ID, flow: f.ID}
	small := other.contacts(t, 3, false)
	if _, err := fx.svc.Send(ctx, b.ID, SendRequest{FlowID: f.ID, Labels: []int64{small}, Channels: []string{"sms"}, Params: map[string]string{"site": "B"}}, ""); err != nil {
		t.Fatal(err)
	}
	fx.svc.c.Batch = 50
	if _, err := fx.svc.round(ctx); err != nil {
		t.Fatal(err)
	}
	fx.mu.Lock()
	defer fx.mu.Unlock()
	var fromB int
	for _, m := range fx.sms {
		if m.AccountID == b.ID {
			fromB++
		}
	}
	if len(fx.sms) != 53 || fromB != 3 {
		t.Fatalf("first round sent %d messages, %d of the small account; want 53 and 3", len(fx.sms), fromB)
	}
}

// TestEarlyDeliveryReport: a delivery report that arrives before the
// sender has recorded the gateway's answer (a fast SMSC) is kept: the
// delivery is delivered, not sent, and the notification finishes.
func TestEarlyDeliveryReport(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	label := fx.contacts(t, 3, false)
	var svc *Service
	svc = New(Config{Store: fx.st, Node: "early", Messages: FuncMessenger{
		SMS: func(ctx context.Context, m SMS) (Message, error) {
			id := 1000 + m.DeliveryID
			if err := svc.MessageStatus(ctx, m.AccountID, ChannelSMS, id, DeliveryRef(m.DeliveryID), "delivered", ""); err != nil {
				return Message{}, err
			}
			return Message{ID: id, Status: "sent"}, nil
		},
		Email: func(context.Context, Email) (Message, error) { return Message{}, errors.New("no email here") },
	}})
	n, err := svc.Send(ctx, fx.acc, SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"sms"}, Params: map[string]string{"site": "HQ"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := svc.Report(ctx, fx.acc, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Status != store.NotificationDone || len(rep.Counts) != 1 || rep.Counts[0].Status != store.DeliveryDelivered || rep.Counts[0].N != 3 {
		t.Fatalf("report %+v", rep)
	}
	ds, err := svc.Deliveries(ctx, fx.acc, n.ID, 0, 10)
	if err != nil || ds[0].MessageID != 1000+ds[0].ID {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
}

// TestStaleClaimsOfAnotherNode: deliveries another node claimed and never
// settled are left alone while the claim is fresh (that node may be
// sending them) and settled once it is older than StaleClaim: the SMS
// failed as interrupted (never sent twice), nothing of this node's sent
// again.
func TestStaleClaimsOfAnotherNode(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	n := fx.sendSMS(t, 2)
	if sms, err := fx.st.ClaimDeliveries(ctx, fx.acc, ChannelSMS, 2, "gone-node/1"); err != nil || len(sms) != 2 {
		t.Fatalf("claim: %v %v", sms, err)
	}
	statuses := func() map[string]int {
		got := map[string]int{}
		if err := fx.svc.EachDelivery(ctx, fx.acc, n.ID, func(d store.Delivery) error {
			got[d.Status]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	if err := fx.svc.recoverStale(ctx); err != nil {
		t.Fatal(err)
	}
	if got := statuses(); got[store.DeliverySending] != 2 {
		t.Fatalf("a fresh claim of another node was settled: %v", got)
	}
	time.Sleep(50 * time.Millisecond)
	fx.svc.c.StaleClaim = 10 * time.Millisecond
	if err := fx.svc.recoverStale(ctx); err != nil {
		t.Fatal(err)
	}
	if got := statuses(); got[store.DeliveryFailed] != 2 {
		t.Fatalf("an old claim of another node: %v, want both failed as interrupted", got)
	}
	if fx.countSent() != 0 {
		t.Fatalf("%d SMS sent, want none (they may have gone out)", fx.countSent())
	}
}
