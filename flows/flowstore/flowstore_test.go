package flowstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/asterisk-conf/asterisktest"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/flows/webhooks"
	"github.com/switchyard/switchyard/store"
	"github.com/switchyard/switchyard/store/storetest"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, store.Options{DataDir: t.TempDir()})
}

const flowDoc = `{"format":1,"name":"%s","type":"%s","start":"g","variables":["$flow.key.amount","name"],"nodes":[
 {"id":"g","type":"gather","params":{"prompt":"sound:beep","timeout":%d,"retries":0},"exits":["bye","bye"]},
 {"id":"bye","type":"hangup"}]}`

func TestAdapter(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	acct, _ := st.CreateAccount(ctx, "a")
	a := &Adapter{S: st, MaxResponseBytes: 1000}
	f, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "in", Type: flows.TypeInbound, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "in", "inbound", 1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.FlowByID(ctx, f.ID); !errors.Is(err, flows.ErrNoFlow) {
		t.Errorf("unpublished: %v", err)
	}
	if _, err := st.PublishFlow(ctx, acct.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDIDRoute(ctx, acct.ID, "+4930777", f.ID); err != nil {
		t.Fatal(err)
	}
	v1, err := a.FlowForDID(ctx, "+4930777")
	if err != nil || v1.Version != 1 || v1.AccountID != acct.ID || v1.Flow.Name != "in" {
		t.Fatalf("FlowForDID: %+v %v", v1, err)
	}
	v1b, _ := a.FlowByID(ctx, f.ID)
	if v1b.Flow != v1.Flow {
		t.Error("published version parsed twice (no cache)")
	}
	if _, err := a.FlowForDID(ctx, "+4930000"); !errors.Is(err, flows.ErrNoFlow) {
		t.Errorf("unknown DID: %v", err)
	}

	if _, err := st.PutWebhook(ctx, acct.ID, "crm", json.RawMessage(`{"method":"POST","url":"https://x/$flow.key.id","headers":{"A":"b"}}`)); err != nil {
		t.Fatal(err)
	}
	w, err := a.Webhook(ctx, acct.ID, "crm")
	if err != nil || w.URL != "https://x/$flow.key.id" || w.Headers["A"] != "b" {
		t.Errorf("webhook %+v %v", w, err)
	}
	if _, err := a.Webhook(ctx, acct.ID, "nope"); !errors.Is(err, webhooks.ErrNotFound) {
		t.Errorf("unknown webhook: %v", err)
	}

	if p := a.Policy(ctx, acct.ID); p.AllowHTTP || len(p.Allow) != 0 || p.MaxBytes != 1000 {
		t.Errorf("default policy %+v", p)
	}
	if _, err := st.GrantHTTPPolicy(ctx, acct.ID, true, []string{"127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	if p := a.Policy(ctx, acct.ID); !p.AllowHTTP || len(p.Allow) != 1 {
		t.Errorf("policy %+v", p)
	}

	out, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "rem", Type: flows.TypeDialer, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "rem", "outbound_dialer", 1))})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := a.Flow(ctx, acct.ID, fmt.Sprint(out.ID))
	if err != nil || cf.Type != intake.FlowTypeDialer || strings.Join(cf.Variables, ",") != "amount,name" || cf.Name != "rem" {
		t.Errorf("calllist flow %+v %v", cf, err)
	}
	if _, err := a.Flow(ctx, acct.ID+1, fmt.Sprint(out.ID)); !errors.Is(err, intake.ErrFlowNotFound) {
		t.Errorf("other account: %v", err)
	}
	if _, err := a.Flow(ctx, acct.ID, "x"); !errors.Is(err, intake.ErrFlowNotFound) {
		t.Errorf("bad id: %v", err)
	}
}

// recorder writes attempts to the store (as the composition root does).
type recorder struct{ s *store.Store }

func (r recorder) AttemptStarted(ctx context.Context, a ari.Attempt) error {
	_, err := r.s.StartAttempt(ctx, store.AttemptStart{AccountID: a.AccountID, AttemptID: a.AttemptID, Direction: store.DirectionInbound,
		FlowID: a.FlowID, CLI: a.CLI, DNIS: a.DNIS, ChannelID: a.ChannelID, AsteriskNode: a.Node, StartedAt: a.StartedAt})
	return err
}

func (r recorder) AttemptFinished(ctx context.Context, id string, e ari.AttemptEnd) error {
	_, err := r.s.FinishAttempt(ctx, id, store.AttemptEnd{EndedAt: e.EndedAt, Status: e.Status, HangupCause: e.HangupCause, RemoteHangup: e.RemoteHangup, FinishReason: e.FinishReason})
	return err
}

func (r recorder) OpenAttempts(context.Context, string) ([]ari.OpenAttempt, error) { return nil, nil }

// TestInboundRunsVersionItStartedWith: a DID call through the store runs
// the published version; republishing mid-call does not change it; the
// journey lands in the store.
func TestInboundRunsVersionItStartedWith(t *testing.T) {
	info := asterisktest.Require(t)
	st := openStore(t)
	ctx := context.Background()
	acct, _ := st.CreateAccount(ctx, "a")
	f, _ := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "v1", Type: flows.TypeInbound, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "v1", "inbound", 4))})
	if _, err := st.PublishFlow(ctx, acct.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	did := "+4930" + fmt.Sprint(time.Now().UnixNano()%1000000)
	if _, err := st.SetDIDRoute(ctx, acct.ID, did, f.ID); err != nil {
		t.Fatal(err)
	}
	ad := &Adapter{S: st}
	e := &flows.Engine{UserVars: ad, Webhooks: ad, Journeys: ad, Policy: ad.Policy}
	app := "syfs-" + uuid.NewString()[:8]
	client, err := ari.NewClient(ari.Options{URL: info.URL, User: info.User, Password: info.Password, App: app, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	m := ari.NewManager(ari.ManagerConfig{Client: client, Recorder: recorder{st}, Node: app, Route: e.Route(ad)})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(rctx) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(20 * time.Second)
	for !m.Stream().State().Connected {
		if time.Now().After(deadline) {
			t.Fatal("not connected")
		}
		time.Sleep(20 * time.Millisecond)
	}
	call := func() {
		if _, err := client.Originate(ctx, ari.OriginateRequest{Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-silent", Priority: 1,
			Variables: map[string]string{"SWITCHYARD_APP": app}}); err != nil {
			t.Fatal(err)
		}
	}
	journeys := func(n int) []flows.Journey {
		deadline := time.Now().Add(60 * time.Second)
		for time.Now().Before(deadline) {
			page, err := st.ListAttempts(ctx, store.AttemptFilter{AccountID: acct.ID, State: store.StateFinished})
			if err == nil {
				var js []flows.Journey
				for _, a := range page.Attempts {
					if a.EndedAt == nil {
						continue
					}
					j, err := st.GetJourney(ctx, acct.ID, a.ID)
					if err != nil {
						continue
					}
					var fj flows.Journey
					if json.Unmarshal(j.Steps, &fj) == nil {
						js = append(js, fj)
					}
				}
				if len(js) >= n {
					return js
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("fewer than %d journeys", n)
		return nil
	}
	call()
	time.Sleep(1500 * time.Millisecond) // the call is in its gather now
	if _, err := st.UpdateFlow(ctx, acct.ID, f.ID, store.NewFlow{Name: "v2", Type: flows.TypeInbound, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "v2", "inbound", 1))}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.PublishFlow(ctx, acct.ID, f.ID); err != nil {
		t.Fatal(err)
	}
	js := journeys(1)
	if js[0].Version != 1 || js[0].Status != flows.StatusIVRFinished {
		t.Errorf("first call ran version %d status %s", js[0].Version, js[0].Status)
	}
	call()
	js = journeys(2)
	versions := map[int]bool{}
	for _, j := range js {
		versions[j.Version] = true
	}
	if !versions[1] || !versions[2] {
		t.Errorf("versions run: %v", versions)
	}
}

// TestFlowStatusEmailSetting: the flow's "Email Status" setting (status mail
// after each call-list upload) reaches call-list intake.
func TestFlowStatusEmailSetting(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	acct, _ := st.CreateAccount(ctx, "a")
	a := &Adapter{S: st}
	doc := `{"format":1,"name":"rem","type":"outbound_dialer","start":"bye","settings":{"email_status":true,"status_recipients":["ops@example.com","boss@example.com"]},"nodes":[{"id":"bye","type":"hangup"}]}`
	f, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "rem", Type: flows.TypeDialer, Draft: json.RawMessage(doc)})
	if err != nil {
		t.Fatal(err)
	}
	cf, err := a.Flow(ctx, acct.ID, fmt.Sprint(f.ID))
	if err != nil || !cf.StatusEmail || strings.Join(cf.StatusRecipients, ",") != "ops@example.com,boss@example.com" {
		t.Fatalf("flow %+v %v", cf, err)
	}
	plain, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "p", Type: flows.TypeDialer, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "p", "outbound_dialer", 1))})
	if err != nil {
		t.Fatal(err)
	}
	if cf, err := a.Flow(ctx, acct.ID, fmt.Sprint(plain.ID)); err != nil || cf.StatusEmail || len(cf.StatusRecipients) != 0 {
		t.Errorf("flow without settings: %+v %v", cf, err)
	}
}

// TestUnpublishedDIDFlowIsAccounted: a DID routed to a flow that is not
// published resolves to an UnroutedError naming the account, so the
// refused call is recorded in that account's call report.
func TestUnpublishedDIDFlowIsAccounted(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	acct, err := st.CreateAccount(ctx, "u")
	if err != nil {
		t.Fatal(err)
	}
	a := &Adapter{S: st}
	f, err := st.CreateFlow(ctx, acct.ID, store.NewFlow{Name: "draft", Type: flows.TypeInbound, Draft: json.RawMessage(fmt.Sprintf(flowDoc, "draft", "inbound", 1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDIDRoute(ctx, acct.ID, "+4930888", f.ID); err != nil {
		t.Fatal(err)
	}
	_, err = a.FlowForDID(ctx, "+4930888")
	var ue *flows.UnroutedError
	if !errors.As(err, &ue) || ue.AccountID != acct.ID || ue.FlowID != f.ID || !strings.Contains(ue.Reason, "not published") || !errors.Is(err, flows.ErrNoFlow) {
		t.Fatalf("FlowForDID(unpublished) = %v", err)
	}
}

// TestDisconnectWebhooksList: account webhooks are disconnect webhooks
// unless their trigger is "widget".
func TestDisconnectWebhooksList(t *testing.T) {
	st := openStore(t)
	ctx := context.Background()
	acct, err := st.CreateAccount(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]string{
		"default": `{"method":"GET","url":"https://a.example/"}`,
		"end":     `{"method":"GET","url":"https://b.example/","trigger":"disconnect"}`,
		"mid":     `{"method":"GET","url":"https://c.example/","trigger":"widget"}`,
	} {
		if _, err := st.PutWebhook(ctx, acct.ID, name, json.RawMessage(cfg)); err != nil {
			t.Fatal(err)
		}
	}
	hs, err := (&Adapter{S: st}).DisconnectWebhooks(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, h := range hs {
		names = append(names, h.Name)
	}
	if strings.Join(names, ",") != "default,end" {
		t.Errorf("disconnect webhooks %v", names)
	}
}
