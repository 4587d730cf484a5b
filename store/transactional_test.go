package store

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/switchyard/switchyard"
)

func wantField(t *testing.T, err error, sentinel error, field string) {
	t.Helper()
	var e *switchyard.Error
	if !errors.Is(err, sentinel) || !errors.As(err, &e) || e.Field != field {
		t.Errorf("err = %v, want %v naming field %q", err, sentinel, field)
	}
}

// A transactional flow's versions go live only when the operator approves
// them; flows that are not transactional publish as before.
func TestTransactionalFlowApproval(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		doc := func(n int) json.RawMessage { return json.RawMessage(`{"v":` + string(rune('0'+n)) + `}`) }
		f, err := s.CreateFlow(ctx, a.ID, NewFlow{Name: "Reminders", Type: "outbound_multicast", Draft: doc(1)})
		if err != nil {
			t.Fatal(err)
		}

		// Not enabled for the account: the flow cannot be marked.
		_, err = s.SetFlowTransactional(ctx, a.ID, f.ID, true)
		wantField(t, err, ErrNotGranted, "transactional")

		// A marketing flow publishes live at once, without approval.
		v1, err := s.PublishFlowAs(ctx, a.ID, f.ID, "owner@a.example")
		if err != nil || v1.Approval != "" || v1.SubmittedBy != "owner@a.example" {
			t.Fatalf("publish marketing: %+v %v", v1, err)
		}
		if got, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || got.Version != 1 {
			t.Fatalf("live after marketing publish: %+v %v", got, err)
		}

		if err := s.SetAccountTransactional(ctx, a.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetFlowTransactional(ctx, b.ID, f.ID, true); !errors.Is(err, ErrNotFound) {
			t.Errorf("another account marks the flow: %v", err)
		}
		if got, err := s.SetFlowTransactional(ctx, a.ID, f.ID, true); err != nil || !got.Transactional {
			t.Fatalf("mark: %+v %v", got, err)
		}
		// The live version was published as marketing: not exempt.
		if ex, err := s.TransactionalExempt(ctx, a.ID, f.ID); err != nil || ex {
			t.Errorf("exempt before any approval = %v, %v", ex, err)
		}

		// Publishing now submits for approval; the live version stays.
		if _, err := s.UpdateFlow(ctx, a.ID, f.ID, NewFlow{Name: "Reminders", Type: "outbound_multicast", Draft: doc(2)}); err != nil {
			t.Fatal(err)
		}
		v2, err := s.PublishFlowAs(ctx, a.ID, f.ID, "owner@a.example")
		if err != nil || v2.Version != 2 || v2.Approval != ApprovalPending {
			t.Fatalf("publish transactional: %+v %v", v2, err)
		}
		if got, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || got.Version != 1 {
			t.Fatalf("live while pending: %+v %v", got, err)
		}
		ps, err := s.ListPendingFlowVersions(ctx)
		if err != nil || len(ps) != 1 || ps[0].FlowID != f.ID || ps[0].Version != 2 || ps[0].AccountName != "a" ||
			ps[0].SubmittedBy != "owner@a.example" || ps[0].LiveVersion != 1 {
			t.Fatalf("pending: %+v %v", ps, err)
		}
		rv, err := s.ReviewFlowVersion(ctx, f.ID, 2)
		if err != nil || rv.Live == nil || rv.Live.Version != 1 || string(rv.Version.Definition) != `{"v":2}` {
			t.Fatalf("review: %+v %v", rv, err)
		}

		// A newer submission supersedes the one waiting.
		v3, err := s.PublishFlowAs(ctx, a.ID, f.ID, "admin@a.example")
		if err != nil || v3.Approval != ApprovalPending {
			t.Fatalf("publish 3: %+v %v", v3, err)
		}
		if old, err := s.GetFlowVersion(ctx, a.ID, f.ID, 2); err != nil || old.Approval != ApprovalSuperseded {
			t.Errorf("v2 after v3: %+v %v", old, err)
		}
		if w, err := s.AwaitingApproval(ctx, a.ID); err != nil || len(w) != 1 || w[f.ID] != 3 {
			t.Errorf("awaiting approval: %v %v", w, err)
		}
		if w, err := s.AwaitingApproval(ctx, b.ID); err != nil || len(w) != 0 {
			t.Errorf("another account's awaiting approval: %v %v", w, err)
		}
		_, _, err = s.DecideFlowVersion(ctx, f.ID, 2, true, "op@example.com", "")
		wantField(t, err, ErrConflict, "version")

		// Rejection needs a reason; the live version stays.
		_, _, err = s.DecideFlowVersion(ctx, f.ID, 3, false, "op@example.com", "  ")
		wantField(t, err, ErrInvalid, "reason")
		rej, _, err := s.DecideFlowVersion(ctx, f.ID, 3, false, "op@example.com", "the opt-out prompt is missing")
		if err != nil || rej.Approval != ApprovalRejected || rej.DecisionReason != "the opt-out prompt is missing" || rej.DecidedAt == nil {
			t.Fatalf("reject: %+v %v", rej, err)
		}
		if got, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || got.Version != 1 {
			t.Fatalf("live after reject: %+v %v", got, err)
		}
		_, _, err = s.DecideFlowVersion(ctx, f.ID, 3, true, "op@example.com", "")
		wantField(t, err, ErrConflict, "version")
		if ps, err := s.ListPendingFlowVersions(ctx); err != nil || len(ps) != 0 {
			t.Errorf("pending after reject: %+v %v", ps, err)
		}
		if w, err := s.AwaitingApproval(ctx, a.ID); err != nil || len(w) != 0 {
			t.Errorf("awaiting approval after reject: %v %v", w, err)
		}

		// Approval moves the live version and makes the flow exempt.
		v4, err := s.PublishFlowAs(ctx, a.ID, f.ID, "admin@a.example")
		if err != nil {
			t.Fatal(err)
		}
		ok, fl, err := s.DecideFlowVersion(ctx, f.ID, v4.Version, true, "op@example.com", "")
		if err != nil || ok.Approval != ApprovalApproved || fl.PublishedVersion != 4 {
			t.Fatalf("approve: %+v %+v %v", ok, fl, err)
		}
		if got, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || got.Version != 4 {
			t.Fatalf("live after approve: %+v %v", got, err)
		}
		if ex, err := s.TransactionalExempt(ctx, a.ID, f.ID); err != nil || !ex {
			t.Errorf("exempt after approval = %v, %v", ex, err)
		}
		if ex, err := s.TransactionalExempt(ctx, b.ID, f.ID); err != nil || ex {
			t.Errorf("exempt for another account = %v, %v", ex, err)
		}

		// The next change waits again; the approved version stays live
		// and exempt meanwhile.
		if _, err := s.PublishFlowAs(ctx, a.ID, f.ID, ""); err != nil {
			t.Fatal(err)
		}
		if ex, err := s.TransactionalExempt(ctx, a.ID, f.ID); err != nil || !ex {
			t.Errorf("exempt while the next version waits = %v, %v", ex, err)
		}
		// The operator switching the account off ends the exemption at once.
		if err := s.SetAccountTransactional(ctx, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if ex, err := s.TransactionalExempt(ctx, a.ID, f.ID); err != nil || ex {
			t.Errorf("exempt after the account was switched off = %v, %v", ex, err)
		}
		if acc, err := s.GetAccount(ctx, a.ID); err != nil || acc.TransactionalMessaging {
			t.Errorf("account %+v %v", acc, err)
		}

		// Unmarking supersedes what waits; the flow publishes live again.
		if got, err := s.SetFlowTransactional(ctx, a.ID, f.ID, false); err != nil || got.Transactional {
			t.Fatalf("unmark: %+v %v", got, err)
		}
		if ps, err := s.ListPendingFlowVersions(ctx); err != nil || len(ps) != 0 {
			t.Errorf("pending after unmark: %+v %v", ps, err)
		}
		v6, err := s.PublishFlow(ctx, a.ID, f.ID)
		if err != nil || v6.Approval != "" {
			t.Fatalf("publish after unmark: %+v %v", v6, err)
		}
		if got, err := s.PublishedFlowVersion(ctx, f.ID); err != nil || got.Version != v6.Version {
			t.Fatalf("live after unmark: %+v %v", got, err)
		}

		req, err := s.RequestTransactional(ctx, b.ID)
		if err != nil || req.TransactionalRequestedAt == nil || req.TransactionalMessaging {
			t.Errorf("request: %+v %v", req, err)
		}
	})
}

// A transactional flow that was never approved has no live version.
func TestTransactionalFlowNothingLiveBeforeApproval(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		if err := s.SetAccountTransactional(ctx, a.ID, true); err != nil {
			t.Fatal(err)
		}
		f, err := s.CreateFlow(ctx, a.ID, NewFlow{Name: "OTP", Type: "outbound_dialer", Draft: json.RawMessage(`{}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetFlowTransactional(ctx, a.ID, f.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishFlow(ctx, a.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.PublishedFlowVersion(ctx, f.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("live before approval: %v", err)
		}
		if rv, err := s.ReviewFlowVersion(ctx, f.ID, 1); err != nil || rv.Live != nil {
			t.Errorf("review: %+v %v", rv, err)
		}
		if _, _, err := s.DecideFlowVersion(ctx, f.ID, 9, true, "op", ""); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown version: %v", err)
		}
	})
}
