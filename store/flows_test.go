package store

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestFlowsDraftAndVersions(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		f, err := s.CreateFlow(ctx, a.ID, NewFlow{Name: "Main", Type: "inbound", Draft: json.RawMessage(`{"v": 1}`)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetFlow(ctx, b.ID, f.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account sees flow: %v", err)
		}
		if _, err := s.CreateFlow(ctx, a.ID, NewFlow{Name: "x", Type: "inbound", Draft: json.RawMessage(`{`)}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad JSON: %v", err)
		}
		if _, err := s.GetFlowVersion(ctx, a.ID, f.ID, 0); !errors.Is(err, ErrNotFound) {
			t.Errorf("unpublished current version: %v", err)
		}
		v1, err := s.PublishFlow(ctx, a.ID, f.ID)
		if err != nil || v1.Version != 1 {
			t.Fatalf("publish: %+v %v", v1, err)
		}
		if _, err := s.UpdateFlow(ctx, a.ID, f.ID, NewFlow{Name: "Main 2", Type: "inbound", Draft: json.RawMessage(`{"v": 2}`)}); err != nil {
			t.Fatal(err)
		}
		// The published version is unchanged by the draft edit.
		cur, err := s.GetFlowVersion(ctx, a.ID, f.ID, 0)
		if err != nil || cur.Version != 1 || string(cur.Definition) != `{"v":1}` {
			t.Fatalf("current %+v %s %v", cur, cur.Definition, err)
		}
		v2, err := s.PublishFlow(ctx, a.ID, f.ID)
		if err != nil || v2.Version != 2 {
			t.Fatalf("publish 2: %+v %v", v2, err)
		}
		old, err := s.GetFlowVersion(ctx, a.ID, f.ID, 1)
		if err != nil || string(old.Definition) != `{"v":1}` {
			t.Errorf("v1 %s %v", old.Definition, err)
		}
		got, _ := s.GetFlow(ctx, a.ID, f.ID)
		if got.PublishedVersion != 2 || got.Name != "Main 2" || string(got.Draft) != `{"v":2}` {
			t.Errorf("flow %+v %s", got, got.Draft)
		}
		vs, _ := s.ListFlowVersions(ctx, a.ID, f.ID)
		if len(vs) != 2 {
			t.Errorf("versions %d", len(vs))
		}
		if _, err := s.PublishFlow(ctx, b.ID, f.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("publish by other account: %v", err)
		}
		if fs, err := s.ListFlows(ctx, a.ID); err != nil {
			t.Fatalf("s.ListFlows(ctx, a.ID): %v", err)
		} else if len(fs) != 1 {
			t.Errorf("list %d", len(fs))
		}
		if _, err := s.SetDIDRoute(ctx, a.ID, "+4930111", f.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFlow(ctx, b.ID, f.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete by other account: %v", err)
		}
		if err := s.DeleteFlow(ctx, a.ID, f.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.GetDIDRoute(ctx, "+4930111"); !errors.Is(err, ErrNotFound) {
			t.Errorf("route survived flow deletion: %v", err)
		}
		if _, err := s.GetFlowVersion(ctx, a.ID, f.ID, 1); !errors.Is(err, ErrNotFound) {
			t.Errorf("version survived: %v", err)
		}
	})
}

func TestWebhooksUserVarsDIDsPolicy(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		a := mustAccount(t, s, "a")
		b := mustAccount(t, s, "b")
		if _, err := s.PutWebhook(ctx, a.ID, "crm", json.RawMessage(`{"url":"https://x"}`)); err != nil {
			t.Fatal(err)
		}
		w, err := s.PutWebhook(ctx, a.ID, "crm", json.RawMessage(`{"url":"https://y"}`))
		if err != nil || string(w.Config) != `{"url":"https://y"}` {
			t.Fatalf("replace: %s %v", w.Config, err)
		}
		if _, err := s.GetWebhook(ctx, b.ID, "crm"); !errors.Is(err, ErrNotFound) {
			t.Errorf("other account: %v", err)
		}
		if _, err := s.PutWebhook(ctx, a.ID, "bad name", json.RawMessage(`{}`)); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad name: %v", err)
		}
		if ws, err := s.ListWebhooks(ctx, a.ID); err != nil {
			t.Fatalf("s.ListWebhooks(ctx, a.ID): %v", err)
		} else if len(ws) != 1 {
			t.Errorf("webhooks %d", len(ws))
		}
		if err := s.DeleteWebhook(ctx, a.ID, "crm"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteWebhook(ctx, a.ID, "crm"); !errors.Is(err, ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}

		if _, ok, err := s.GetUserVar(ctx, a.ID, "tok"); ok || err != nil {
			t.Errorf("unset var: %v %v", ok, err)
		}
		for _, v := range []string{"1", "2"} {
			if err := s.SetUserVar(ctx, a.ID, "tok", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, ok, err := s.GetUserVar(ctx, a.ID, "tok"); v != "2" || !ok || err != nil {
			t.Errorf("latest wins: %q %v %v", v, ok, err)
		}
		if _, ok, err := s.GetUserVar(ctx, b.ID, "tok"); err != nil {
			t.Fatalf("s.GetUserVar(ctx, b.ID, 'tok'): %v", err)
		} else if ok {
			t.Error("other account sees user var")
		}
		if err := s.SetUserVar(ctx, a.ID, "a.b", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("dotted name: %v", err)
		}
		if vs, err := s.ListUserVars(ctx, a.ID); err != nil {
			t.Fatalf("s.ListUserVars(ctx, a.ID): %v", err)
		} else if len(vs) != 1 || vs[0].Value != "2" {
			t.Errorf("list %+v", vs)
		}
		if err := s.DeleteUserVar(ctx, a.ID, "tok"); err != nil {
			t.Fatal(err)
		}

		fa, _ := s.CreateFlow(ctx, a.ID, NewFlow{Name: "f", Type: "inbound", Draft: json.RawMessage(`{}`)})
		fa2, _ := s.CreateFlow(ctx, a.ID, NewFlow{Name: "g", Type: "inbound", Draft: json.RawMessage(`{}`)})
		fb, _ := s.CreateFlow(ctx, b.ID, NewFlow{Name: "f", Type: "inbound", Draft: json.RawMessage(`{}`)})
		if _, err := s.SetDIDRoute(ctx, a.ID, "+4930222", fb.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("route to other account's flow: %v", err)
		}
		if _, err := s.SetDIDRoute(ctx, a.ID, "+4930222", fa.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SetDIDRoute(ctx, a.ID, "+4930222", fa2.ID); err != nil {
			t.Fatal(err)
		}
		if r, err := s.GetDIDRoute(ctx, "+4930222"); err != nil || r.FlowID != fa2.ID || r.AccountID != a.ID {
			t.Errorf("route %+v %v", r, err)
		}
		if _, err := s.SetDIDRoute(ctx, b.ID, "+4930222", fb.ID); !errors.Is(err, ErrConflict) {
			t.Errorf("DID of another account: %v", err)
		}
		if _, err := s.SetDIDRoute(ctx, a.ID, "12ab", fa.ID); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad DID: %v", err)
		}
		if rs, err := s.ListDIDRoutes(ctx, a.ID); err != nil {
			t.Fatalf("s.ListDIDRoutes(ctx, a.ID): %v", err)
		} else if len(rs) != 1 {
			t.Errorf("routes %d", len(rs))
		}
		if err := s.DeleteDIDRoute(ctx, b.ID, "+4930222"); !errors.Is(err, ErrNotFound) {
			t.Errorf("delete other's DID: %v", err)
		}

		p, err := s.GetHTTPPolicy(ctx, a.ID)
		if err != nil || p.AllowHTTP || len(p.Networks()) != 0 {
			t.Errorf("default policy %+v %v", p, err)
		}
		// The account cannot widen its own policy: only the operator's grant can.
		for _, tc := range []struct {
			http  bool
			cidrs []string
		}{{true, nil}, {false, []string{"127.0.0.1/32"}}, {false, []string{"10.0.0.0/8"}}, {false, []string{"169.254.169.254/32"}}, {false, []string{"0.0.0.0/0"}}} {
			if _, err := s.SetHTTPPolicy(ctx, a.ID, tc.http, tc.cidrs); !errors.Is(err, ErrNotGranted) {
				t.Errorf("ungranted %v %v: %v, want ErrNotGranted", tc.http, tc.cidrs, err)
			}
		}
		if _, err := s.GrantHTTPPolicy(ctx, a.ID, true, []string{"127.0.0.1/8", "10.1.0.0/16"}); err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetHTTPPolicy(ctx, a.ID)
		if !p.AllowHTTP || len(p.Networks()) != 2 || p.Networks()[0].String() != "127.0.0.0/8" {
			t.Errorf("policy %+v", p)
		}
		// Narrowing within the grant works, and widening back up to it.
		if _, err := s.SetHTTPPolicy(ctx, a.ID, false, []string{"10.1.2.0/24"}); err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetHTTPPolicy(ctx, a.ID)
		if p.AllowHTTP || len(p.Networks()) != 1 || p.Networks()[0].String() != "10.1.2.0/24" {
			t.Errorf("narrowed policy %+v", p)
		}
		if _, err := s.SetHTTPPolicy(ctx, a.ID, true, []string{"10.1.0.0/16", "127.0.0.0/8"}); err != nil {
			t.Errorf("back to the grant: %v", err)
		}
		if _, err := s.SetHTTPPolicy(ctx, a.ID, false, []string{"10.0.0.0/8"}); !errors.Is(err, ErrNotGranted) {
			t.Errorf("wider than the grant: %v", err)
		}
		// A choice stored without a grant (before grants existed) has no effect.
		if err := s.w.WithContext(ctx).Exec(`UPDATE account_http_policies SET allow_cidrs = '192.168.0.0/16 10.1.0.0/16', grant_cidrs = '10.1.0.0/16', grant_http = ? WHERE account_id = ?`, false, a.ID).Error; err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetHTTPPolicy(ctx, a.ID)
		if p.AllowHTTP || len(p.Networks()) != 1 || p.Networks()[0].String() != "10.1.0.0/16" {
			t.Errorf("effective policy %+v", p)
		}
		if _, err := s.SetHTTPPolicy(ctx, a.ID, false, []string{"nope"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad cidr: %v", err)
		}
	})
}
