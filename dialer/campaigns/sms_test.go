package campaigns

import (
	"context"
	"errors"
	"testing"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/store"
)

// TestCreateSMSCampaign: an sms campaign is created with its text and no
// trunk (the default trunk is not filled in); the fields only calls have,
// a trunk, a missing text, and a text on a telephone campaign are refused
// naming the field.
func TestCreateSMSCampaign(t *testing.T) {
	ctx := context.Background()
	svc := New(Config{Store: refStore(), Trunks: testTrunks, DefaultTrunk: "test"})
	ok := Input{Type: dialer.TypeSMS, Name: "reminder", Recipients: []string{"r1"}, SMSText: "Hi ${flow.key.name}", DialAttempts: 2}
	c, err := svc.Create(ctx, acct, ok)
	wantErr(t, err, "", 0, "", "")
	if c.Type != dialer.TypeSMS || c.SMSText != ok.SMSText || c.Trunk != "" || c.Mode != dialer.ModeMulticast {
		t.Errorf("created %+v", c.Campaign)
	}
	for _, tc := range []struct {
		name        string
		edit        func(*Input)
		field, code string
	}{
		{"no text", func(in *Input) { in.SMSText = "" }, "sms_text", switchyard.CodeInvalid},
		{"bad variable", func(in *Input) { in.SMSText = "Hi $call.cli" }, "sms_text", switchyard.CodeInvalid},
		{"trunk", func(in *Input) { in.Trunk = "test" }, "trunk", switchyard.CodeInvalid},
		{"flow", func(in *Input) { in.FlowID = "1" }, "flow_id", switchyard.CodeInvalid},
		{"queue", func(in *Input) { in.Queue = "sales" }, "queue", switchyard.CodeInvalid},
		{"telephone with a text", func(in *Input) { in.Type = dialer.TypeTelephone }, "sms_text", switchyard.CodeInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok
			tc.edit(&in)
			_, err := svc.Create(ctx, acct, in)
			wantErr(t, err, tc.code, 422, tc.field, "")
		})
	}
}

// TestSMSCampaignWithoutGateway: on a server with no SMS gateway an sms
// campaign is refused when it is created (naming the type) and when one
// created before is started; telephone campaigns are not affected.
func TestSMSCampaignWithoutGateway(t *testing.T) {
	ctx := context.Background()
	with := New(Config{Store: refStore(), Trunks: testTrunks, DefaultTrunk: "test"})
	c, err := with.Create(ctx, acct, Input{Type: dialer.TypeSMS, Name: "reminder", Recipients: []string{"r1"}, SMSText: "Hi", DialAttempts: 1})
	wantErr(t, err, "", 0, "", "")
	fs := refStore()
	fs.get = func(a, id int64) (store.Campaign, error) {
		if a != acct || id != 7 {
			return store.Campaign{}, store.ErrNotFound
		}
		return store.Campaign{Campaign: c.Campaign}, nil
	}
	without := New(Config{Store: fs, Trunks: testTrunks, DefaultTrunk: "test", SMSUnavailable: "this server sends no SMS"})
	_, err = without.Create(ctx, acct, Input{Type: dialer.TypeSMS, Name: "reminder", Recipients: []string{"r1"}, SMSText: "Hi", DialAttempts: 1})
	wantErr(t, err, switchyard.CodeInvalid, 422, "type", "this server sends no SMS")
	_, err = without.Transition(ctx, acct, 7, dialer.ActionStart)
	wantErr(t, err, switchyard.CodeConflict, 409, "", "this server sends no SMS")
	_, err = without.Create(ctx, acct, Input{Type: dialer.TypeTelephone, Name: "calls", Recipients: []string{"r1"}, DialAttempts: 1})
	wantErr(t, err, "", 0, "", "")
}

// TestSMSStatus: a delivery report reaches the store for the record and
// attempt its reference names; a report on a telephone campaign, another
// account's campaign or a malformed reference is refused.
func TestSMSStatus(t *testing.T) {
	ctx := context.Background()
	var got []store.SMSDelivery
	fs := &fakeStore{
		get: func(a, id int64) (store.Campaign, error) {
			switch {
			case a == acct && id == 5:
				return store.Campaign{Campaign: dialer.Campaign{ID: 5, AccountID: acct, Type: dialer.TypeSMS}}, nil
			case a == acct && id == 6:
				return store.Campaign{Campaign: dialer.Campaign{ID: 6, AccountID: acct, Type: dialer.TypeTelephone}}, nil
			}
			return store.Campaign{}, switchyard.NotFound("campaign %d not found", id)
		},
		smsDeliv: func(d store.SMSDelivery) (bool, error) {
			got = append(got, d)
			if d.RecordID == 404 {
				return false, store.ErrNotFound
			}
			return true, nil
		},
	}
	svc := New(Config{Store: fs})
	ch, err := svc.SMSStatus(ctx, SMSDelivery{AccountID: acct, CampaignID: 5, Ref: dialer.SMSRef(12, 2), Status: "failed", Reason: "expired"})
	if err != nil || !ch || len(got) != 1 {
		t.Fatalf("report: %v %v %v", ch, err, got)
	}
	if d := got[0]; d.AttemptID != dialer.AttemptID(acct, 12, 2) || d.RecordID != 12 || d.Status != "failed" || d.Reason != "expired" ||
		d.UnknownReason != dialer.SMSUnknownReason || d.AccountID != acct {
		t.Errorf("delivery %+v", d)
	}
	for _, tc := range []struct {
		name string
		d    SMSDelivery
		code string
	}{
		{"telephone campaign", SMSDelivery{AccountID: acct, CampaignID: 6, Ref: "1/1", Status: "failed"}, switchyard.CodeInvalid},
		{"another account", SMSDelivery{AccountID: acct + 1, CampaignID: 5, Ref: "1/1", Status: "failed"}, switchyard.CodeNotFound},
		{"bad reference", SMSDelivery{AccountID: acct, CampaignID: 5, Ref: "x", Status: "failed"}, switchyard.CodeInvalid},
		{"no such attempt", SMSDelivery{AccountID: acct, CampaignID: 5, Ref: "404/1", Status: "failed"}, switchyard.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.SMSStatus(ctx, tc.d)
			var e *switchyard.Error
			if !errors.As(err, &e) || e.Code != tc.code {
				t.Errorf("error %v, want code %s", err, tc.code)
			}
		})
	}
}
