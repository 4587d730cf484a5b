package app_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/switchyard/switchyard/accounts"
	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/mail/mailtest"
	"github.com/switchyard/switchyard/store"
)

// wantFieldError checks a coded error answer: status, code and field.
func wantFieldError(t *testing.T, what string, r resp, status int, code, field string) {
	t.Helper()
	if r.code != status || r.errCode(t) != code || !strings.Contains(string(r.body), `"field":"`+field+`"`) {
		t.Fatalf("%s: %d %s, want %d %s on field %s", what, r.code, r.body, status, code, field)
	}
}

// mailTo waits for a mail to rcpt whose text contains want.
func mailTo(t *testing.T, sink *mailtest.Sink, n int, rcpt, want string) {
	t.Helper()
	for _, m := range sink.Wait(t, n) {
		if len(m.To) == 1 && m.To[0] == rcpt && strings.Contains(string(m.Data), want) {
			return
		}
	}
	t.Fatalf("no mail to %s with %q among %d", rcpt, want, len(sink.All()))
}

// TestTransactionalFlowApprovalAPI: only the operator switches
// transactional messaging on (the account requests it, the operators get
// a mail); a flow can be marked transactional only then; its published
// versions wait for the operator, who approves (it goes live, the account
// holder gets a mail) or rejects with a reason the account sees. Tenant
// roles cannot approve or enable; another account sees nothing of it.
func TestTransactionalFlowApprovalAPI(t *testing.T) {
	sink := mailtest.Start(t)
	a, _ := boot(t, func(c *app.Config) {
		noARI(c)
		c.SMTPRelay = sink.Addr
		c.MailFrom = "Switchyard <noreply@switchyard.test>"
		c.PublicURL = "http://console.switchyard.test"
	})
	ctx := context.Background()
	if _, _, err := a.Accounts().CreateOperator(ctx, "ops@switchyard.test", "Ops", "operator password"); err != nil {
		t.Fatal(err)
	}
	acme := newAccount(t, a, "acme", "boss@acme.test", "correct horse")
	newAccount(t, a, "beta", "boss@beta.test", "correct horse")
	for _, u := range []store.NewUser{{AccountID: acme.Account.ID, Email: "admin@acme.test", Role: store.RoleAdmin, Password: "correct horse"},
		{AccountID: acme.Account.ID, Email: "sched@acme.test", Role: store.RoleScheduler, Password: "correct horse"}} {
		if _, err := a.Store().CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	op, owner, admin, sched, other := newClient(t, a), newClient(t, a), newClient(t, a), newClient(t, a), newClient(t, a)
	mustCode(t, "operator login", op.login("ops@switchyard.test", "operator password"), 200)
	mustCode(t, "owner login", owner.login("boss@acme.test", "correct horse"), 200)
	mustCode(t, "admin login", admin.login("admin@acme.test", "correct horse"), 200)
	mustCode(t, "scheduler login", sched.login("sched@acme.test", "correct horse"), 200)
	mustCode(t, "other account login", other.login("boss@beta.test", "correct horse"), 200)
	acc := "/api/v1/operator/accounts/" + strconv.FormatInt(acme.Account.ID, 10)

	var tm accounts.Transactional
	r := sched.do("GET", "/api/v1/account/transactional-messaging", nil, false)
	mustCode(t, "state", r, 200)
	if r.json(t, &tm); tm.Enabled || tm.RequestedAt != nil {
		t.Fatalf("initial state %s", r.body)
	}

	doc, err := os.ReadFile(filepath.Join("..", "..", "testdata", "flows", "payment_reminder.json"))
	if err != nil {
		t.Fatal(err)
	}
	r = owner.do("POST", "/api/v1/flows", json.RawMessage(doc), true)
	mustCode(t, "create flow", r, 201)
	var flow struct {
		ID               int64 `json:"id"`
		PublishedVersion int   `json:"published_version"`
		Transactional    bool  `json:"transactional"`
		AwaitingApproval int   `json:"awaiting_approval"`
	}
	r.json(t, &flow)
	fl := "/api/v1/flows/" + strconv.FormatInt(flow.ID, 10)

	// Not enabled: the flow cannot be marked, and the account cannot
	// enable it itself.
	wantFieldError(t, "mark before enabled", owner.do("PUT", fl+"/transactional", map[string]bool{"transactional": true}, true), 403, "not_granted", "transactional")
	mustCode(t, "owner enables", owner.do("PATCH", acc, map[string]any{"transactional_messaging": true}, true), 403)
	mustCode(t, "admin enables", admin.do("PATCH", acc, map[string]any{"transactional_messaging": true}, true), 403)

	// The request: admins and owners; operators are mailed.
	mustCode(t, "scheduler requests", sched.do("POST", "/api/v1/account/transactional-messaging/request", nil, true), 403)
	r = admin.do("POST", "/api/v1/account/transactional-messaging/request", nil, true)
	mustCode(t, "request", r, 200)
	if r.json(t, &tm); tm.Enabled || tm.RequestedAt == nil {
		t.Fatalf("requested %s", r.body)
	}
	mailTo(t, sink, 1, "ops@switchyard.test", "Transactional messaging requested by acme")
	var list struct {
		Accounts []accounts.Account `json:"accounts"`
	}
	op.do("GET", "/api/v1/operator/accounts", nil, false).json(t, &list)
	for _, x := range list.Accounts {
		if (x.ID == acme.Account.ID) != (x.TransactionalRequestedAt != nil) || x.TransactionalMessaging {
			t.Errorf("operator list: %+v", x)
		}
	}

	r = op.do("PATCH", acc, map[string]any{"transactional_messaging": true}, true)
	mustCode(t, "operator enables", r, 200)
	var oa accounts.Account
	if r.json(t, &oa); !oa.TransactionalMessaging {
		t.Fatalf("enabled %s", r.body)
	}

	r = owner.do("PUT", fl+"/transactional", map[string]bool{"transactional": true}, true)
	mustCode(t, "mark", r, 200)
	if r.json(t, &flow); !flow.Transactional {
		t.Fatalf("marked %s", r.body)
	}
	wantFieldError(t, "mark without a boolean", owner.do("PUT", fl+"/transactional", map[string]string{"transactional": "yes"}, true), 422, "invalid", "transactional")
	mustCode(t, "scheduler marks", sched.do("PUT", fl+"/transactional", map[string]bool{"transactional": false}, true), 403)
	mustCode(t, "other account marks", other.do("PUT", fl+"/transactional", map[string]bool{"transactional": true}, true), 404)

	// Publishing submits: nothing is live until the operator approves.
	r = owner.do("POST", fl+"/publish", nil, true)
	mustCode(t, "publish", r, 201)
	var v store.FlowVersion
	if r.json(t, &v); v.Approval != store.ApprovalPending || v.SubmittedBy != "boss@acme.test" {
		t.Fatalf("published %s", r.body)
	}
	if owner.do("GET", fl, nil, false).json(t, &flow); flow.PublishedVersion != 0 || flow.AwaitingApproval != 1 {
		t.Fatalf("before approval: live %d, awaiting %d", flow.PublishedVersion, flow.AwaitingApproval)
	}
	mustCode(t, "current before approval", owner.do("GET", fl+"/versions/current", nil, false), 404)
	mustCode(t, "other account's versions", other.do("GET", fl+"/versions", nil, false), 404)

	ap := "/api/v1/operator/flow-approvals/" + strconv.FormatInt(flow.ID, 10) + "/1"
	mustCode(t, "owner lists approvals", owner.do("GET", "/api/v1/operator/flow-approvals", nil, false), 403)
	mustCode(t, "owner approves", owner.do("POST", ap+"/approve", nil, true), 403)
	mustCode(t, "admin approves", admin.do("POST", ap+"/approve", nil, true), 403)

	var pending struct {
		Approvals []store.PendingFlowVersion `json:"approvals"`
	}
	op.do("GET", "/api/v1/operator/flow-approvals", nil, false).json(t, &pending)
	if len(pending.Approvals) != 1 || pending.Approvals[0].AccountName != "acme" || pending.Approvals[0].Version != 1 ||
		pending.Approvals[0].SubmittedBy != "boss@acme.test" || pending.Approvals[0].FlowName != "Payment reminder" {
		t.Fatalf("pending %+v", pending)
	}
	var rv accounts.ApprovalReview
	r = op.do("GET", ap, nil, false)
	mustCode(t, "review", r, 200)
	if r.json(t, &rv); rv.Live != nil || len(rv.Diff) == 0 || rv.Diff[0].Op != "+" || rv.AccountName != "acme" {
		t.Fatalf("review %s", r.body)
	}
	wantFieldError(t, "reject without a reason", op.do("POST", ap+"/reject", map[string]string{"reason": ""}, true), 422, "invalid", "reason")

	r = op.do("POST", ap+"/approve", nil, true)
	mustCode(t, "approve", r, 200)
	if r.json(t, &v); v.Approval != store.ApprovalApproved || v.DecidedBy != "ops@switchyard.test" {
		t.Fatalf("approved %s", r.body)
	}
	if owner.do("GET", fl, nil, false).json(t, &flow); flow.PublishedVersion != 1 || flow.AwaitingApproval != 0 {
		t.Fatalf("after approval: live %d, awaiting %d", flow.PublishedVersion, flow.AwaitingApproval)
	}
	mailTo(t, sink, 2, "boss@acme.test", "approved: it is live")
	wantFieldError(t, "approve twice", op.do("POST", ap+"/approve", nil, true), 409, "conflict", "version")

	// The next change waits; rejected, the account sees the reason and
	// version 1 stays live.
	mustCode(t, "publish 2", owner.do("POST", fl+"/publish", nil, true), 201)
	r = op.do("GET", "/api/v1/operator/flow-approvals/"+strconv.FormatInt(flow.ID, 10)+"/2", nil, false)
	if r.json(t, &rv); rv.Live == nil || rv.Live.Version != 1 {
		t.Fatalf("review 2 %s", r.body)
	}
	mustCode(t, "reject", op.do("POST", "/api/v1/operator/flow-approvals/"+strconv.FormatInt(flow.ID, 10)+"/2/reject",
		map[string]string{"reason": "say how to opt out"}, true), 200)
	mailTo(t, sink, 3, "boss@acme.test", "say how to opt out")
	var vs struct {
		Versions []store.FlowVersion `json:"versions"`
	}
	sched.do("GET", fl+"/versions", nil, false).json(t, &vs)
	if len(vs.Versions) != 2 || vs.Versions[0].Approval != store.ApprovalApproved || vs.Versions[1].Approval != store.ApprovalRejected ||
		vs.Versions[1].DecisionReason != "say how to opt out" {
		t.Fatalf("versions %+v", vs)
	}
	if owner.do("GET", fl, nil, false).json(t, &flow); flow.PublishedVersion != 1 {
		t.Fatalf("live after reject: %d", flow.PublishedVersion)
	}

	// An inbound flow cannot be transactional.
	inbound := `{"format":1,"name":"Reception","type":"inbound","start":"bye","nodes":[{"id":"bye","type":"hangup"}]}`
	r = owner.do("POST", "/api/v1/flows", json.RawMessage(inbound), true)
	mustCode(t, "create inbound", r, 201)
	var in struct {
		ID int64 `json:"id"`
	}
	r.json(t, &in)
	wantFieldError(t, "mark inbound", owner.do("PUT", "/api/v1/flows/"+strconv.FormatInt(in.ID, 10)+"/transactional", map[string]bool{"transactional": true}, true),
		422, "invalid", "transactional")

	// A flow that is not transactional publishes live at once, as before.
	mustCode(t, "unmark", owner.do("PUT", fl+"/transactional", map[string]bool{"transactional": false}, true), 200)
	r = owner.do("POST", fl+"/publish", nil, true)
	mustCode(t, "publish unmarked", r, 201)
	if r.json(t, &v); v.Approval != "" {
		t.Fatalf("unmarked publish %s", r.body)
	}
	if owner.do("GET", fl, nil, false).json(t, &flow); flow.PublishedVersion != v.Version {
		t.Fatalf("live after unmarked publish: %d, want %d", flow.PublishedVersion, v.Version)
	}
}
