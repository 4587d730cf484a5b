package calllistapi

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/mail/smtpin"
	"github.com/switchyard/switchyard/store"
)

// TestDirectUploadEmailStatus: a direct (HTTP) upload sends the flow's
// Email Status mail like an emailed list.
func TestDirectUploadEmailStatus(t *testing.T) {
	sk := mailtest.Start(t)
	flows := fakeFlows{flow: func(_ context.Context, _ int64, id string) (intake.Flow, error) {
		if id == "42" {
			return intake.Flow{ID: "42", Name: "Reminders", Type: intake.FlowTypeOutbound, Variables: []string{"name"}, StatusEmail: true,
				StatusRecipients: []string{"status@acme.test", "not-whitelisted@acme.test"}}, nil
		}
		return intake.Flow{}, intake.ErrFlowNotFound
	}}
	e := newEnv(t, func(d *Deps, c *intake.Config) {
		c.Flows = flows
		// The HTTP upload and the mail server share one intake service.
		d.UploadStatus = func(ctx context.Context, acc int64, f intake.Flow, who string, rs []FileResult) {
			cfg := smtpin.Config{Domain: "upload.switchyard.test", Secret: []byte("0123456789abcdef0123"), Relay: sk.Addr, From: "noreply@upload.switchyard.test"}
			ms, err := smtpin.NewServer(smtpin.Deps{Store: d.Store.(smtpin.Store), Intake: d.Intake}, cfg)
			if err != nil {
				t.Error(err)
				return
			}
			ms.UploadStatus(ctx, acc, f, who, rs)
		}
	})
	ctx := context.Background()
	if _, err := e.st.CreateUser(ctx, store.NewUser{AccountID: e.acc, Email: "owner@acme.test", Name: "Owner", Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddListEntry(ctx, e.acc, store.ListWhite, store.KindEmail, "status@acme.test", false); err != nil {
		t.Fatal(err)
	}
	body, ct := multipartBody(t, map[string][]byte{"l.csv": []byte("tel1,$flow.key.name\n+919876543210,Asha\n")}, []string{"l.csv"})
	if rec := e.do(http.MethodPost, "/api/v1/calllists/uploads?flow_id=42", body, map[string]string{"Content-Type": ct}); rec.Code != 200 {
		t.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	msgs := sk.Wait(t, 1)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if strings.Join(m.To, ",") != "owner@acme.test,status@acme.test" || !strings.Contains(string(m.Data), "Call list status for flow Reminders") {
		t.Errorf("status email to %v:\n%s", m.To, m.Data)
	}
}
