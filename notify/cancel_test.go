package notify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/store"
)

// TestStopMidBatch: when the service stops in the middle of a batch, the
// message already handed to the gateway is recorded sent and the ones
// never handed over go back to pending (not left claimed, to be failed as
// interrupted at the next start); the next run sends each of those once.
func TestStopMidBatch(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := fx.sendSMS(t, 3)
	var sent atomic.Int64
	fx.svc.c.Concurrency, fx.svc.c.Batch = 1, 3
	fx.svc.c.Messages = FuncMessenger{SMS: func(context.Context, SMS) (Message, error) {
		id := sent.Add(1)
		cancel() // the service stops while the first message is with the gateway
		time.Sleep(50 * time.Millisecond)
		return Message{ID: id, Status: "sent"}, nil
	}}
	if _, err := fx.svc.round(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("round: %v; want it cancelled", err)
	}
	got := map[string]int{}
	if err := fx.svc.EachDelivery(context.Background(), fx.acc, n.ID, func(d store.Delivery) error {
		got[d.Status]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 1 || got[store.DeliverySent] != 1 || got[store.DeliveryPending] != 2 {
		t.Fatalf("after the stop: %d sent, deliveries %v; want 1 sent and 2 pending", sent.Load(), got)
	}
	if err := fx.svc.recoverStale(context.Background()); err != nil {
		t.Fatal(err)
	}
	fx.svc.c.Messages = FuncMessenger{SMS: func(context.Context, SMS) (Message, error) {
		return Message{ID: sent.Add(1), Status: "sent"}, nil
	}}
	if err := fx.svc.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sent.Load() != 3 {
		t.Fatalf("%d messages sent in all, want 3 (each once)", sent.Load())
	}
}

// TestInternalErrorNotInReport: a delivery the messaging service failed
// on for an internal reason reads failed with a reason for the account,
// never the internal error's text; a client error keeps its message.
func TestInternalErrorNotInReport(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	n := fx.sendSMS(t, 2)
	var calls atomic.Int64
	fx.svc.c.Messages = FuncMessenger{SMS: func(context.Context, SMS) (Message, error) {
		if calls.Add(1) == 1 {
			return Message{}, errors.New("store: record SMS: dial tcp 10.0.0.7:5432: connection refused")
		}
		return Message{}, switchyard.Invalid("to", "the number is not in service")
	}}
	if err := fx.svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	var reasons []string
	if err := fx.svc.EachDelivery(ctx, fx.acc, n.ID, func(d store.Delivery) error {
		if d.Status != store.DeliveryFailed {
			t.Errorf("delivery %d: %s, want failed", d.ID, d.Status)
		}
		reasons = append(reasons, d.Reason)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(reasons)
	if len(reasons) != 2 || strings.Contains(strings.Join(reasons, "|"), "10.0.0.7") ||
		!slices.Contains(reasons, "the number is not in service") || !strings.HasPrefix(reasons[0], "not sent: the message service failed") {
		t.Fatalf("reasons %q", reasons)
	}
}

// countryDown is the store with the account's country unreadable.
type countryDown struct{ Store }

func (countryDown) AccountCountry(context.Context, int64) (string, error) {
	return "", errors.New("database unavailable")
}

// TestCountryUnreadableSavesNothing: when the account's country cannot
// be read, a national number is not read in the server's default country:
// the single add, the update and the bulk add fail and save nothing.
func TestCountryUnreadableSavesNothing(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	svc := New(Config{Store: countryDown{fx.st}, Region: "GB"})
	if _, err := svc.CreateContact(ctx, fx.acc, ContactInput{Name: "Ann", Phone: "2025550102"}); err == nil {
		t.Fatal("single add saved a contact without the account's country")
	}
	res, err := svc.BulkAdd(ctx, fx.acc, ModeNew, StrategyDefault, strings.NewReader("name,phone\nAnn,2025550102\n"))
	if err == nil {
		t.Fatalf("bulk add without the account's country: %+v", res)
	}
	if cs, err := fx.st.ListContacts(ctx, fx.acc, store.ContactFilter{}); err != nil || len(cs) != 0 {
		t.Fatalf("contacts %+v, %v; want none", cs, err)
	}
}

// countingStore counts the looks at every sending notification.
type countingStore struct {
	Store
	finish atomic.Int64
}

func (c *countingStore) FinishNotifications(ctx context.Context) ([]int64, error) {
	c.finish.Add(1)
	return c.Store.FinishNotifications(ctx)
}

// TestDeliveryReportsDoNotScanAll: a delivery report updates its own
// delivery and wakes the worker; it does not look at every sending
// notification (thousands of reports would each scan them all). The
// worker's next round marks the notification done.
func TestDeliveryReportsDoNotScanAll(t *testing.T) {
	fx := newFixture(t, store.DriverSQLite)
	ctx := context.Background()
	label := fx.contacts(t, 5, false)
	cs := &countingStore{Store: fx.st}
	svc := New(Config{Store: cs, Node: "reports", Messages: fx.svc.c.Messages})
	n, err := svc.Send(ctx, fx.acc, SendRequest{FlowID: fx.flow, Labels: []int64{label}, Channels: []string{"sms"}, Params: map[string]string{"site": "HQ"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := svc.Deliveries(ctx, fx.acc, n.ID, 0, 100)
	if err != nil || len(ds) != 5 {
		t.Fatalf("deliveries %+v, %v", ds, err)
	}
	select {
	case <-svc.wake:
	default:
	}
	before := cs.finish.Load()
	for _, d := range ds {
		if err := svc.MessageStatus(ctx, fx.acc, ChannelSMS, d.MessageID, DeliveryRef(d.ID), "delivered", ""); err != nil {
			t.Fatal(err)
		}
	}
	if got := cs.finish.Load() - before; got != 0 {
		t.Errorf("5 delivery reports looked at every notification %d times, want 0", got)
	}
	select {
	case <-svc.wake:
	default:
		t.Error("the delivery reports did not wake the worker")
	}
	if err := svc.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, err := svc.Report(ctx, fx.acc, n.ID); err != nil || rep.Status != store.NotificationDone {
		t.Fatalf("report %+v, %v; want done", rep, err)
	}
}
