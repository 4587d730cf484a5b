package intake_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows/flowstore"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

// TestTransactionalFlowNotScrubbed: a DNC-listed number is accepted for an
// approved transactional flow of an account with transactional messaging
// on, and scrubbed for the same flow while its first version waits for
// approval, and again once the operator switches the account off. A
// blacklisted number stays refused either way.
func TestTransactionalFlowNotScrubbed(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, driver := range storetest.Drivers {
		t.Run(driver, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			st, err := store.Open(ctx, storetest.Options(t, driver))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := st.Close(); err != nil {
					t.Error(err)
				}
			})
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			acc, err := st.CreateAccount(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			f, err := st.CreateFlow(ctx, acc.ID, store.NewFlow{Name: "Payment reminder", Type: "outbound_multicast", Draft: doc})
			if err != nil {
				t.Fatal(err)
			}
			const dnc, black = "+919876543210", "+919812345678"
			if _, err := st.AddDNCEntries(ctx, acc.ID, "ndnc.csv", []store.DNCEntry{{Value: dnc}}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.AddListEntry(ctx, acc.ID, store.ListBlack, store.KindPhone, black, false); err != nil {
				t.Fatal(err)
			}
			im := intake.New(intake.Config{Store: st, Flows: &flowstore.Adapter{S: st}, Region: "IN"})
			trigger := func(number string) intake.CallOutcome {
				t.Helper()
				res, err := im.Trigger(ctx, acc.ID, calllist.Trigger{FlowID: strconv.FormatInt(f.ID, 10),
					Calls: []calllist.TriggerCall{{ClientIdentifier: "c1", ContactNumbers: []string{number},
						Keys: []calllist.TriggerKey{{Name: "$flow.key.customer_name", Value: "A"}, {Name: "$flow.key.amount", Value: "1"}}}}}, "")
				if err != nil || len(res.Calls) != 1 {
					t.Fatalf("trigger %s: %+v %v", number, res, err)
				}
				return res.Calls[0]
			}
			wantStatus := func(step, number, status string) {
				t.Helper()
				if got := trigger(number); got.Status != status {
					t.Errorf("%s: %s is %s (%s), want %s", step, number, got.Status, got.Reason, status)
				}
			}

			if err := st.SetAccountTransactional(ctx, acc.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetFlowTransactional(ctx, acc.ID, f.ID, true); err != nil {
				t.Fatal(err)
			}
			v, err := st.PublishFlowAs(ctx, acc.ID, f.ID, "owner@acme.test")
			if err != nil {
				t.Fatal(err)
			}
			wantStatus("pending approval", dnc, store.RecordScrubbed)

			if _, _, err := st.DecideFlowVersion(ctx, f.ID, v.Version, true, "op@example.com", ""); err != nil {
				t.Fatal(err)
			}
			wantStatus("approved", dnc, store.RecordPending)
			wantStatus("approved, blacklisted", black, store.RecordInvalid)

			// The next change waits for approval; the approved version
			// stays live and exempt.
			if _, err := st.PublishFlowAs(ctx, acc.ID, f.ID, "owner@acme.test"); err != nil {
				t.Fatal(err)
			}
			wantStatus("approved, next version pending", dnc, store.RecordPending)

			if err := st.SetAccountTransactional(ctx, acc.ID, false); err != nil {
				t.Fatal(err)
			}
			wantStatus("account switched off", dnc, store.RecordScrubbed)
		})
	}
}
