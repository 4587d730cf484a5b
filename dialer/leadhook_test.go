package dialer

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func TestLeadParams(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	started := time.Date(2021, 7, 25, 9, 26, 12, 0, time.UTC)
	l := LeadCall{Sid: "066b1978", AccountID: 53926, CampaignID: 383431, AgentNumber: "07709562799", CallerID: "07314853246",
		Started: started, Now: started.Add(2 * time.Second), Location: ist}
	want := map[string]string{
		"CallFrom": "07709562799", "CallSid": "066b1978", "CallStatus": "in-progress", "CallTo": "07314853246",
		"CallType": "call-attempt", "Created": "Sun, 25 Jul 2021 14:56:12", "CurrentTime": "2021-07-25 14:56:14",
		"DialCallDuration": "0", "DialWhomNumber": "", "Direction": "incoming", "EndTime": "1970-01-01 05:30:00",
		"From": "07709562799", "StartTime": "2021-07-25 14:56:12", "To": "07314853246", "flow_id": "383431", "tenant_id": "53926",
	}
	if got := LeadParams(l); !maps.Equal(got, want) {
		t.Errorf("LeadParams\n got %v\nwant %v", got, want)
	}
	// The next request tells the previous customer call.
	l.Last = CustomerCall{Number: "07995679243", Answered: true, Status: "IN_ANSWER", DialedAt: started.Add(3 * time.Second),
		AnsweredAt: started.Add(12 * time.Second), EndedAt: started.Add(43 * time.Second)}
	got := LeadParams(l)
	if got["DialWhomNumber"] != "07995679243" || got["DialCallDuration"] != "40" {
		t.Errorf("after a call: %v", got)
	}
}

func TestCallLogParams(t *testing.T) {
	started := time.Date(2021, 7, 14, 15, 40, 7, 0, time.UTC)
	base := LeadCall{Sid: "3edd4e59", AccountID: 53926, CampaignID: 383431, AgentNumber: "077095627", CallerID: "07314853246",
		Started: started, Now: started.Add(48 * time.Second)}
	cases := []struct {
		name string
		cc   CustomerCall
		want map[string]string
	}{
		{name: "completed", cc: CustomerCall{Number: "07995679243", Status: "IN_ANSWER", Answered: true, DialedAt: started,
			AnsweredAt: started.Add(9 * time.Second), EndedAt: started.Add(40 * time.Second)},
			want: map[string]string{"CallType": "completed", "DialCallStatus": "completed", "DialCallDuration": "40",
				"Legs[0][OnCallDuration]": "31", "Legs[0][CauseCode]": "NORMAL_CLEARING", "Legs[0][Cause]": "16",
				"EndTime": "2021-07-14 15:40:47"}},
		{name: "completed and recorded", cc: CustomerCall{Number: "07995679243", Status: "IN_ANSWER", Answered: true, DialedAt: started,
			AnsweredAt: started.Add(9 * time.Second), EndedAt: started.Add(40 * time.Second), RecordingURL: "https://sy.example/recordings/r?expires=1&signature=s"},
			want: map[string]string{"CallType": "completed", "RecordingUrl": "https://sy.example/recordings/r?expires=1&signature=s",
				"RecordingAvailableBy": "Wed, 14 Jul 2021 15:40:47"}},
		{name: "busy", cc: CustomerCall{Number: "busy", Status: "BUSY", DialedAt: started, EndedAt: started.Add(2 * time.Second)},
			want: map[string]string{"CallType": "call-attempt", "DialCallStatus": "busy", "DialCallDuration": "2",
				"Legs[0][OnCallDuration]": "0", "Legs[0][CauseCode]": "USER_BUSY", "Legs[0][Cause]": "17"}},
		{name: "no answer", cc: CustomerCall{Number: "x", Status: "NOANSWER", DialedAt: started, EndedAt: started.Add(21 * time.Second)},
			want: map[string]string{"DialCallStatus": "no-answer", "Legs[0][CauseCode]": "RING_TIMEOUT", "Legs[0][Cause]": "1003"}},
		{name: "agent hung up while ringing", cc: CustomerCall{Number: "x", Status: "CANCEL", AgentHungUp: true, DialedAt: started, EndedAt: started},
			want: map[string]string{"CallType": "client-hangup", "DialCallStatus": "canceled"}},
		{name: "agent hung up talking", cc: CustomerCall{Number: "x", Status: "IN_ANSWER", Answered: true, AgentHungUp: true,
			DialedAt: started, AnsweredAt: started, EndedAt: started.Add(5 * time.Second)},
			want: map[string]string{"CallType": "client-hangup", "DialCallStatus": "completed", "Legs[0][OnCallDuration]": "5"}},
		{name: "congestion", cc: CustomerCall{Number: "x", Status: "CONGESTION"}, want: map[string]string{"DialCallStatus": "failed",
			"Legs[0][CauseCode]": "NORMAL_CIRCUIT_CONGESTION"}},
		{name: "chanunavail", cc: CustomerCall{Number: "x", Status: "chanunavail"}, want: map[string]string{"DialCallStatus": "failed",
			"Legs[0][CauseCode]": "SUBSCRIBER_ABSENT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := base
			l.Last = tc.cc
			got := CallLogParams(l)
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			for _, k := range []string{"CallFrom", "CallSid", "CallTo", "Created", "CurrentTime", "DialWhomNumber", "Direction",
				"From", "Legs[0][Number]", "Legs[0][Type]", "OutgoingPhoneNumber", "StartTime", "To", "flow_id", "tenant_id"} {
				if _, ok := got[k]; !ok {
					t.Errorf("missing %s", k)
				}
			}
			if got["Legs[0][Number]"] != tc.cc.Number || got["DialWhomNumber"] != tc.cc.Number || got["OutgoingPhoneNumber"] != "07314853246" ||
				got["Legs[0][Type]"] != "single" || got["From"] != "077095627" {
				t.Errorf("params %v", got)
			}
			if _, ok := got["CallStatus"]; ok {
				t.Error("CallStatus is a Connect parameter, not a Passthru one")
			}
			if _, ok := got["RecordingUrl"]; ok != (tc.cc.RecordingURL != "") {
				t.Errorf("RecordingUrl present %v for a call recorded %v", ok, tc.cc.RecordingURL != "")
			}
			if _, ok := got["RecordingAvailableBy"]; ok != (tc.cc.RecordingURL != "") {
				t.Errorf("RecordingAvailableBy present %v for a call recorded %v", ok, tc.cc.RecordingURL != "")
			}
		})
	}
}

func TestParseLeadAnswer(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		path   string
		want   string
		bad    bool
	}{
		{name: "plain", status: 200, body: "+919876543210\n", want: "+919876543210"},
		{name: "local extension", status: 200, body: "answer-hangup-1", want: "answer-hangup-1"},
		{name: "no content", status: 204, want: ""},
		{name: "empty", status: 200, body: "  \n", want: ""},
		{name: "plain null", status: 200, body: "null", want: ""},
		{name: "json number", status: 200, body: `{"number": "07995679243"}`, want: "07995679243"},
		{name: "json numeric", status: 200, body: `{"number": 7995679243}`, want: "7995679243"},
		{name: "json null", status: 200, body: `{"number": null}`, want: ""},
		{name: "json empty", status: 200, body: `{"number": ""}`, want: ""},
		{name: "json string", status: 200, body: `"0799"`, want: "0799"},
		{name: "json path", status: 200, body: `{"destination": {"numbers": ["+4930123", "+4930456"]}}`, path: "destination.numbers.0", want: "+4930123"},
		{name: "json empty list", status: 200, body: `{"destination": {"numbers": []}}`, path: "destination.numbers.0", want: ""},
		{name: "json missing key", status: 200, body: `{"phone": "1"}`, bad: true},
		{name: "json object value", status: 200, body: `{"number": {"a": 1}}`, bad: true},
		{name: "json through scalar", status: 200, body: `{"a": 1}`, path: "a.b", bad: true},
		{name: "json array index word", status: 200, body: `{"a": [1]}`, path: "a.x", bad: true},
		{name: "broken json", status: 200, body: `{"number": `, bad: true},
		{name: "trailing json", status: 200, body: `{"number": "1"} {}`, bad: true},
		{name: "server error", status: 500, body: "1", bad: true},
		{name: "dialstring injection", status: 200, body: "123@other/PJSIP", bad: true},
		{name: "spaces", status: 200, body: "12 34", bad: true},
		{name: "html", status: 200, body: "<html>oops</html>", bad: true},
		{name: "too long", status: 200, body: strings.Repeat("1", MaxLeadNumber+1), bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseLeadAnswer(tc.status, []byte(tc.body), tc.path)
			if tc.bad {
				if !errors.Is(err, ErrLeadAnswer) {
					t.Fatalf("got %q, %v; want ErrLeadAnswer", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func FuzzParseLeadAnswer(f *testing.F) {
	for _, s := range []string{"+4930123", `{"number":"1"}`, `{"a":{"b":[null,"2"]}}`, `"x"`, "null", "", `[1,2]`, "1@2"} {
		f.Add(200, []byte(s), "")
		f.Add(200, []byte(s), "a.b.1")
	}
	f.Add(204, []byte("1"), "number")
	f.Fuzz(func(t *testing.T, status int, body []byte, path string) {
		n, err := ParseLeadAnswer(status, body, path)
		if err != nil {
			if !errors.Is(err, ErrLeadAnswer) {
				t.Fatalf("error not wrapping ErrLeadAnswer: %v", err)
			}
			if n != "" {
				t.Fatalf("number %q with an error", n)
			}
			return
		}
		if n == "" {
			return
		}
		if checkLeadNumber(n) != nil || strings.ContainsAny(n, "@/,&") {
			t.Fatalf("unsafe number %q accepted", n)
		}
	})
}

func TestValidateLeadHooks(t *testing.T) {
	base := func() Campaign {
		c := Campaign{AccountID: 1, Name: "af", Mode: ModeAgentFirst, Queue: "sales", EndpointTemplate: "Local/{number}@customers",
			SimultaneousCalls: 1, LeadWebhook: "next-lead", LogWebhook: "crm-log"}
		c.Normalize()
		return c
	}
	c := base()
	if err := c.Validate(); err != nil {
		t.Fatalf("webhook leads without a call list: %v", err)
	}
	if !c.LeadsFromWebhook() {
		t.Error("LeadsFromWebhook false")
	}
	cases := []struct {
		name string
		mod  func(*Campaign)
		msg  string
	}{
		{"lead webhook outside agent_first", func(c *Campaign) { c.Mode = ModeProgressive; c.LogWebhook = "" }, "lead_webhook is only"},
		{"log webhook outside agent_first", func(c *Campaign) { c.Mode = ModeProgressive; c.LeadWebhook = ""; c.Recipients = []string{"r"} }, "log_webhook is only"},
		{"no leads at all", func(c *Campaign) { c.LeadWebhook = "" }, "recipients"},
		{"path without webhook", func(c *Campaign) { c.LeadWebhook = ""; c.Recipients = []string{"r"}; c.LeadNumberPath = "a" }, "lead_number_path is set"},
		{"bad path", func(c *Campaign) { c.LeadNumberPath = "a..b" }, "lead_number_path"},
		{"spaces", func(c *Campaign) { c.LogWebhook = " x" }, "must be a webhook name"},
		{"long", func(c *Campaign) { c.LeadWebhook = strings.Repeat("x", 65) }, "must be a webhook name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(&c)
			err := c.Validate()
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %q", err, tc.msg)
			}
		})
	}
}
