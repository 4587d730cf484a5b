package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard/cmd/app"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/campaigns"
	"github.com/switchyard/switchyard/internal/testkit"
)

// fakeSMSGateway is the SMS gateway of the daemon under test: it keeps
// every message and answers with answer (nil: sent).
type fakeSMSGateway struct {
	mu     sync.Mutex
	msgs   []dialer.SMS
	answer func(m dialer.SMS, n int) dialer.SMSResult // n: messages to m.To so far, this one included
}

func (g *fakeSMSGateway) SendSMS(_ context.Context, m dialer.SMS) (dialer.SMSResult, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.msgs = append(g.msgs, m)
	n := 0
	for _, x := range g.msgs {
		if x.To == m.To {
			n++
		}
	}
	if g.answer != nil {
		return g.answer(m, n), nil
	}
	return dialer.SMSResult{Status: dialer.SMSSent, MessageID: int64(len(g.msgs))}, nil
}

func (g *fakeSMSGateway) sent() []dialer.SMS {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]dialer.SMS(nil), g.msgs...)
}

// TestSMSCampaignThroughAPI: an sms campaign created and started through
// the HTTP API over an uploaded recipients list (ADS format) sends each
// record one SMS through the daemon's SMS gateway, with the record's
// columns in the text; the number the gateway refused once is sent again
// (a second attempt) and the one blacklisted since the upload never; the campaign finishes;
// the call report's SMS filter finds each message and the Detailed Report
// reads sent / failed; a later delivery report of a failure turns its
// record failed. No Asterisk is needed.
func TestSMSCampaignThroughAPI(t *testing.T) {
	gw := &fakeSMSGateway{answer: func(m dialer.SMS, n int) dialer.SMSResult {
		if m.To == "+12025550103" && n == 1 {
			return dialer.SMSResult{Status: dialer.SMSFailed, Reason: "throttled"}
		}
		return dialer.SMSResult{Status: dialer.SMSSent, MessageID: 100 + int64(n)}
	}}
	a, _ := boot(t, func(c *app.Config) { noARI(c); c.SMS = gw })
	ctx := context.Background()
	acc, key := apiAccount(t, a)
	flow := outboundFlow(t, a, key)
	// The list waits for the campaign: the flow's own dialing leaves it.
	if code, body := apiCall(t, a, key, http.MethodPut, "/api/v1/flows/"+flow+"/dialing", map[string]any{"mode": "campaigns_only"}); code != http.StatusOK {
		t.Fatalf("campaigns_only: %d %s", code, body)
	}
	list := "numbers,name,code\n+12025550101,Ann,11\n+12025550102,Bob,22\n+12025550103,Cy,33\n+12025550104,Dee,44\n"
	reqID := uploadList(t, a, key, flow, "ads", "recipients.csv", list)
	// Blacklisted after the upload: the send-time screening stops it.
	if code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/calllists/access-lists", map[string]any{"list": "black", "kind": "phone", "value": "+12025550104"}); code/100 != 2 {
		t.Fatalf("blacklist: %d %s", code, body)
	}

	code, body := apiCall(t, a, key, http.MethodPost, "/api/v1/campaigns", map[string]any{
		"type": "sms", "name": "codes", "recipients": []string{reqID}, "simultaneous_calls": 2, "dial_attempts": 2,
		"retry_interval_sec": 0, "sms_text": "Hi ${flow.key.name}, your code is $flow.key.code",
	})
	if code != http.StatusCreated {
		t.Fatalf("create sms campaign: %d %s", code, body)
	}
	var camp struct {
		ID      int64  `json:"id"`
		Type    string `json:"type"`
		SMSText string `json:"sms_text"`
		Trunk   string `json:"trunk"`
		Status  string `json:"status"`
	}
	if err := json.Unmarshal(body, &camp); err != nil || camp.Type != "sms" || camp.Trunk != "" || camp.SMSText == "" {
		t.Fatalf("created %s %v", body, err)
	}
	path := fmt.Sprintf("/api/v1/campaigns/%d", camp.ID)
	if code, body := apiCall(t, a, key, http.MethodPost, path+"/start", nil); code != http.StatusOK {
		t.Fatalf("start: %d %s", code, body)
	}
	testkit.Eventually(t, 30*time.Second, func() bool {
		_, body := apiCall(t, a, key, http.MethodGet, path, nil)
		return json.Unmarshal(body, &camp) == nil && camp.Status == dialer.StatusFinished
	}, "sms campaign Finished")

	msgs := gw.sent()
	var got []string
	for _, m := range msgs {
		if m.AccountID != acc.ID || m.CampaignID != camp.ID {
			t.Errorf("message %+v: account or campaign", m)
		}
		got = append(got, m.To+" "+m.Text)
	}
	sort.Strings(got)
	want := []string{
		"+12025550101 Hi Ann, your code is 11",
		"+12025550102 Hi Bob, your code is 22",
		"+12025550103 Hi Cy, your code is 33",
		"+12025550103 Hi Cy, your code is 33",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("messages sent:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// The call report's SMS filter finds the messages.
	reportStatuses := func(number string) []string {
		t.Helper()
		code, body := apiCall(t, a, key, http.MethodGet, "/api/v1/reports/calls?sms="+url.QueryEscape(number), nil)
		var p struct {
			Rows []struct {
				Status    string `json:"status"`
				SMSNumber string `json:"sms_number"`
				RequestID string `json:"request_id"`
			} `json:"rows"`
		}
		if err := json.Unmarshal(body, &p); code != http.StatusOK || err != nil {
			t.Fatalf("call report: %d %s %v", code, body, err)
		}
		var out []string
		for _, r := range p.Rows {
			if r.SMSNumber != number || r.RequestID != reqID {
				t.Errorf("report row %+v", r)
			}
			out = append(out, r.Status)
		}
		sort.Strings(out)
		return out
	}
	for n, w := range map[string]string{"+12025550101": "sent", "+12025550102": "sent", "+12025550103": "failed,sent", "+12025550104": ""} {
		if g := strings.Join(reportStatuses(n), ","); g != w {
			t.Errorf("call report for sms %s: %q, want %q", n, g, w)
		}
	}

	detailed := func() string {
		t.Helper()
		code, body := apiCall(t, a, key, http.MethodGet, fmt.Sprintf("/api/v1/reports/ads/detailed?campaign=%d", camp.ID), nil)
		var d struct {
			Records []struct {
				Record     string `json:"record"`
				Status     string `json:"status"`
				LastStatus string `json:"last_status"`
				Tries      int    `json:"tries"`
			} `json:"records"`
		}
		if err := json.Unmarshal(body, &d); code != http.StatusOK || err != nil {
			t.Fatalf("detailed report: %d %s %v", code, body, err)
		}
		var out []string
		for _, r := range d.Records {
			out = append(out, fmt.Sprintf("%s %s/%s %d", strings.SplitN(r.Record, ",", 2)[0], r.Status, r.LastStatus, r.Tries))
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	if g, w := detailed(), "+12025550101 sent/sent 1\n+12025550102 sent/sent 1\n+12025550103 sent/sent 2\n+12025550104 failed/BLOCKED 1"; g != w {
		t.Errorf("detailed report:\n%s\nwant:\n%s", g, w)
	}

	// The gateway reports later that Bob's message failed.
	var bob dialer.SMS
	for _, m := range msgs {
		if m.To == "+12025550102" {
			bob = m
		}
	}
	a.SMSDeliveryReport(ctx, campaigns.SMSDelivery{AccountID: acc.ID, CampaignID: camp.ID, Ref: bob.Ref, Status: "failed", Reason: "expired"})
	if g, w := detailed(), "+12025550101 sent/sent 1\n+12025550102 failed/failed 1\n+12025550103 sent/sent 2\n+12025550104 failed/BLOCKED 1"; g != w {
		t.Errorf("detailed report after the delivery report:\n%s\nwant:\n%s", g, w)
	}
	if g := strings.Join(reportStatuses("+12025550102"), ","); g != "failed" {
		t.Errorf("call report after the delivery report: %s", g)
	}
	if n := len(gw.sent()); n != len(msgs) {
		t.Errorf("%d messages after the campaign finished, %d before", n, len(msgs))
	}
}

// uploadList uploads one call-list file for flow in format and returns
// its request id.
func uploadList(t *testing.T, a *app.App, key, flow, format, name, content string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, "http://"+a.Addr()+"/api/v1/calllists/uploads?flow_id="+flow+"&format="+format, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var up struct {
		Files []struct {
			Request *struct {
				ID    string `json:"request_id"`
				Added int    `json:"records_added"`
			} `json:"request"`
			Error string `json:"error"`
		} `json:"files"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&up); err != nil || resp.StatusCode != http.StatusOK || len(up.Files) != 1 || up.Files[0].Request == nil {
		t.Fatalf("upload: %d %+v %v", resp.StatusCode, up, err)
	}
	return up.Files[0].Request.ID
}
