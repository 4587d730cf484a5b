package flows

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/flows/webhooks"
)

type disconnectSource struct {
	fakeWebhooks
	list func(ctx context.Context, accountID int64) ([]NamedWebhook, error)
}

func (d disconnectSource) DisconnectWebhooks(ctx context.Context, accountID int64) ([]NamedWebhook, error) {
	return d.list(ctx, accountID)
}

// TestDisconnectWebhooks: account webhooks are called when the call ends
// (the default trigger), with the call's and the flow's variables.
func TestDisconnectWebhooks(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.URL.Path+"?"+r.URL.RawQuery+" "+string(b))
		mu.Unlock()
	}))
	defer srv.Close()
	src := disconnectSource{list: func(_ context.Context, acc int64) ([]NamedWebhook, error) {
		if acc != 7 {
			t.Errorf("account %d", acc)
		}
		return []NamedWebhook{{Name: "crm", Config: webhooks.Config{Method: "GET", URL: srv.URL + "/end",
			Query: map[string]string{"cli": "$call.cli", "who": "$flow.key.who", "state": "$call.state"}}}}, nil
	}}
	e := &Engine{Webhooks: src, Policy: func(context.Context, int64) webhooks.Policy {
		return webhooks.Policy{AllowHTTP: true, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	}}
	f, err := Parse([]byte(`{"format":1,"name":"d","type":"inbound","start":"s","variables":["who"],"nodes":[
	  {"id":"s","type":"set_variable","params":{"assign":[{"name":"who","value":"Asha"}]}}]}`), e.Features())
	if err != nil {
		t.Fatal(err)
	}
	c := &ari.Call{ID: "c1", AttemptID: "att-1", Inbound: true, Args: []string{"inbound", "+4930111"}}
	c.Channel.Caller = &ariv6.CallerID{Number: "+4930555"}
	if _, err := e.Run(context.Background(), c, FlowVersion{AccountID: 7, FlowID: 1, Version: 1, Flow: f}, nil); err != nil {
		t.Fatal(err)
	}
	e.WaitDisconnects()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.HasPrefix(got[0], "/end?") || !strings.Contains(got[0], "who=Asha") || !strings.Contains(got[0], "cli=%2B4930555") {
		t.Fatalf("disconnect webhook requests %q", got)
	}
}
