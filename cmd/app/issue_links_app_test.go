package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/internal/testkit"
	"github.com/switchyard/switchyard/store"
)

// TestRecordingURLInWebhook (real Asterisk): an inbound flow records the
// caller and posts $call.recordingUri and $call.ivr_recording.recordingUri
// to a webhook. Both are the same signed URL of the daemon's
// /recordings/{name}; once the call has ended it downloads the audio
// without an API key, while a tampered URL answers 403 and an expired
// one 410. The call report's recording_uri is such a URL too.
func TestRecordingURLInWebhook(t *testing.T) {
	a, _ := boot(t, nil)
	ctx := context.Background()
	st := a.Store()
	acc, _ := st.CreateAccount(ctx, "acme")
	_, key, _ := st.CreateAPIKey(ctx, acc.ID, "k")
	if _, err := st.GrantHTTPPolicy(ctx, acc.ID, true, []string{"127.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	bodies := make(chan map[string]string, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		_ = json.NewDecoder(r.Body).Decode(&m)
		bodies <- m
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(hook.Close)
	flow := `{"format":1,"name":"Voicemail","type":"inbound","start":"answer",
	  "nodes":[
	    {"id":"answer","type":"answer","exits":["rec","end"]},
	    {"id":"rec","type":"record","params":{"max_duration":1,"max_silence":0,"beep":false},"exits":["hook","end"]},
	    {"id":"hook","type":"webhook","params":{"url":"` + hook.URL + `/vm","method":"POST","body_type":"json",
	      "body":{"uri":"$call.recordingUri","ivr":"$call.ivr_recording.recordingUri","recorded":"$call.recorded"}},"exits":["end","end"]},
	    {"id":"end","type":"hangup","params":{"cause":16}}]}`
	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows", []byte(flow))
	if code != http.StatusCreated {
		t.Fatalf("create flow: %d %s", code, body)
	}
	var created struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &created)
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/flows/"+strconv.FormatInt(created.ID, 10)+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish: %d %s", code, body)
	}
	did := "+4930556" + strconv.Itoa(int(time.Now().UnixNano()%10000))
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/dids/"+url.PathEscape(did), map[string]any{"flow_id": created.ID}); code/100 != 2 {
		t.Fatalf("map DID: %d %s", code, body)
	}
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	if _, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
		// The caller speaks (a voicemail greeting): the recording has audio.
		Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "machine", Priority: 1,
		Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp},
	}); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	select {
	case got = <-bodies:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook")
	}
	base := "http://" + a.Addr() + "/recordings/record_" + strconv.FormatInt(acc.ID, 10) + "_" + strconv.FormatInt(created.ID, 10) + "_"
	if !strings.HasPrefix(got["uri"], base) || got["ivr"] != got["uri"] || got["recorded"] != "Yes" ||
		!strings.Contains(got["uri"], "?expires=") || !strings.Contains(got["uri"], "&signature=") {
		t.Fatalf("webhook body %v (want URLs starting %s)", got, base)
	}
	var at store.Attempt
	testkit.Eventually(t, 30*time.Second, func() bool {
		page, err := st.ListAttempts(ctx, store.AttemptFilter{AccountID: acc.ID, Limit: 10})
		if err != nil || len(page.Attempts) == 0 {
			return false
		}
		at = page.Attempts[0]
		return at.State == store.StateFinished
	}, "attempt finished")
	fetch := func(link string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	var status int
	var audio string
	// The recording is indexed when the journey is saved, just after the call.
	testkit.Eventually(t, 15*time.Second, func() bool {
		status, audio = fetch(got["uri"])
		return status == http.StatusOK
	}, "recording downloadable")
	// The same audio as the API-key download of the attempt's recording.
	_, rb := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/attempts/"+at.ID+"/recordings", nil)
	var recs struct {
		Recordings []struct {
			DownloadURL string `json:"download_url"`
		} `json:"recordings"`
	}
	_ = json.Unmarshal(rb, &recs)
	if len(recs.Recordings) != 1 {
		t.Fatalf("recordings %s", rb)
	}
	if code, want := apiCall(t, a, key, http.MethodGet, recs.Recordings[0].DownloadURL, nil); code != 200 || len(audio) < 100 || audio != string(want) {
		t.Errorf("signed download: %d bytes; API download %d: %d bytes", len(audio), code, len(want))
	}
	u, _ := url.Parse(got["uri"])
	q := u.Query()
	sig := q.Get("signature")
	q.Set("signature", strings.ToUpper(sig[:1])+sig[1:]+"A")
	u.RawQuery = q.Encode()
	if code, body := fetch(u.String()); code != http.StatusForbidden || !strings.Contains(body, "signature is not valid") {
		t.Errorf("tampered URL: %d %s", code, body)
	}
	name := strings.TrimPrefix(strings.SplitN(got["uri"], "?", 2)[0], "http://"+a.Addr()+"/recordings/")
	if code, body := fetch(a.RecordingLinks().URLUntil(name, time.Now().Add(-time.Minute))); code != http.StatusGone || !strings.Contains(body, "expired") {
		t.Errorf("expired URL: %d %s", code, body)
	}
	code, body = apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls", nil)
	var rep struct {
		Rows []struct {
			AttemptID    string `json:"attempt_id"`
			RecordingURI string `json:"recording_uri"`
		} `json:"rows"`
	}
	_ = json.Unmarshal(body, &rep)
	if code != 200 || len(rep.Rows) != 1 || !strings.HasPrefix(rep.Rows[0].RecordingURI, "http://"+a.Addr()+"/recordings/"+name+"?expires=") {
		t.Fatalf("call report: %d %s", code, body)
	}
	if code, _ := fetch(rep.Rows[0].RecordingURI); code != http.StatusOK {
		t.Errorf("call report's recording URL: %d", code)
	}
	// The journey ("View JSON") shows it as a URL too.
	if code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/calls/"+at.ID+"/journey", nil); code != 200 ||
		!strings.Contains(string(body), `"recording_uri":"http://`+a.Addr()+`/recordings/`+name+`?expires=`) {
		t.Errorf("journey: %d %s", code, body)
	}
}

// TestUnassignedDIDInCallReport (real Asterisk): calls that reach no
// flow are refused and still appear in a call report, with status noroute
// and the reason: a call to a DID that no account owns (never mapped, or
// its flow was deleted with its mapping) in the operator's account
// (SWITCHYARD_UNASSIGNED_DID_ACCOUNT, the first account by default); a
// call to a DID whose flow is not published (a mapping made before DIDs
// required a published flow) in the DID's account.
func TestUnassignedDIDInCallReport(t *testing.T) {
	a, _ := boot(t, nil)
	ctx := context.Background()
	st := a.Store()
	op, _ := st.CreateAccount(ctx, "operator")
	_, opKey, _ := st.CreateAPIKey(ctx, op.ID, "k")
	if op.ID != a.Config().UnassignedDIDAccount {
		t.Fatalf("operator account %d, setting %d", op.ID, a.Config().UnassignedDIDAccount)
	}
	acme, _ := st.CreateAccount(ctx, "acme")
	_, acmeKey, _ := st.CreateAPIKey(ctx, acme.ID, "k")
	testkit.Eventually(t, 15*time.Second, func() bool { return a.Calls().Stream().State().Connected }, "ARI connected")
	base := "+4930557" + strconv.Itoa(int(time.Now().UnixNano()%1000))
	unmapped, unpublished, deleted := base+"1", base+"2", base+"3"

	// acme: a draft flow mapped as legacy data would be (the API refuses
	// it now), and a published flow that is then deleted.
	draft, err := st.CreateFlow(ctx, acme.ID, store.NewFlow{Name: "Draft", Type: "inbound",
		Draft: json.RawMessage(`{"format":1,"name":"Draft","type":"inbound","start":"h","nodes":[{"id":"h","type":"hangup"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetDIDRoute(ctx, acme.ID, unpublished, draft.ID); err != nil {
		t.Fatal(err)
	}
	code, body := apiCall(t, a, acmeKey, http.MethodPost, "/api/v1/flows",
		[]byte(`{"format":1,"name":"Gone","type":"inbound","start":"h","nodes":[{"id":"h","type":"hangup"}]}`))
	var gone struct {
		ID int64 `json:"id"`
	}
	_ = json.Unmarshal(body, &gone)
	if code != http.StatusCreated {
		t.Fatalf("create flow: %d %s", code, body)
	}
	goneID := strconv.FormatInt(gone.ID, 10)
	if code, body := apiCall(t, a, acmeKey, http.MethodPost, "/api/v1/flows/"+goneID+"/publish", nil); code/100 != 2 {
		t.Fatalf("publish: %d %s", code, body)
	}
	if code, body := apiCall(t, a, acmeKey, http.MethodPut, "/api/v1/dids/"+url.PathEscape(deleted), map[string]any{"flow_id": gone.ID}); code/100 != 2 {
		t.Fatalf("map DID: %d %s", code, body)
	}
	if code, body := apiCall(t, a, acmeKey, http.MethodDelete, "/api/v1/flows/"+goneID, nil); code/100 != 2 {
		t.Fatalf("delete flow: %d %s", code, body)
	}

	for _, did := range []string{unmapped, unpublished, deleted} {
		if _, err := a.Calls().Client().Originate(ctx, ari.OriginateRequest{
			Endpoint: "Local/" + did + "@from-trunk", Context: "customers", Extension: "answer-dtmf-123", Priority: 1,
			Variables: map[string]string{"SWITCHYARD_APP": a.Config().ARIApp},
		}); err != nil {
			t.Fatal(err)
		}
	}
	type row struct {
		Direction    string `json:"direction"`
		DNIS         string `json:"dnis"`
		Status       string `json:"status"`
		FinishReason string `json:"finish_reason"`
		EndedAt      any    `json:"ended_at"`
	}
	report := func(key string, n int) map[string]row {
		t.Helper()
		out := map[string]row{}
		testkit.Eventually(t, 30*time.Second, func() bool {
			code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls", nil)
			var rep struct{ Rows []row }
			if code != 200 || json.Unmarshal(body, &rep) != nil || len(rep.Rows) < n {
				return false
			}
			for _, r := range rep.Rows {
				if r.EndedAt == nil {
					return false
				}
				out[r.DNIS] = r
			}
			return true
		}, "the refused calls in the call report")
		return out
	}
	opRows, acmeRows := report(opKey, 2), report(acmeKey, 1)
	for _, did := range []string{unmapped, deleted} {
		r := opRows[did]
		if r.Direction != "inbound" || r.Status != ari.StatusNoRoute || !strings.HasSuffix(r.FinishReason, "DID "+did+" is not assigned to any account") {
			t.Errorf("operator's report, %s: %+v", did, r)
		}
	}
	if r := acmeRows[unpublished]; r.Status != ari.StatusNoRoute || !strings.HasSuffix(r.FinishReason, "flow "+strconv.FormatInt(draft.ID, 10)+" is not published") {
		t.Errorf("acme's report, %s: %+v", unpublished, r)
	}
	if len(opRows) != 2 || len(acmeRows) != 1 {
		t.Errorf("operator's rows %v, acme's %v", opRows, acmeRows)
	}
}
