package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
)

// fakeMessages is a MessageSender of functions.
type fakeMessages struct {
	sms   func(OutgoingSMS) (SentMessage, error)
	email func(OutgoingEmail) (SentMessage, error)
}

func (f fakeMessages) SendSMS(_ context.Context, m OutgoingSMS) (SentMessage, error) { return f.sms(m) }
func (f fakeMessages) SendEmail(_ context.Context, m OutgoingEmail) (SentMessage, error) {
	return f.email(m)
}

// TestSMSWidget: the text's variables are filled in, the default number
// is the customer's (the caller inbound, the called number outbound), a
// sent SMS takes line 0 and fills the report's SMS number, anything else
// line 1 with the reason.
func TestSMSWidget(t *testing.T) {
	var got []OutgoingSMS
	status, reason := "sent", ""
	var sendErr error
	e := &Engine{Messages: fakeMessages{sms: func(m OutgoingSMS) (SentMessage, error) {
		got = append(got, m)
		return SentMessage{ID: 41, Status: status, Reason: reason}, sendErr
	}}}
	in := &ari.Call{ID: "ch1", AttemptID: "att-1", Inbound: true, Args: []string{"inbound", "+12125550199"}}
	in.Channel.Caller = &ariv6.CallerID{Number: "+919898333148"}
	out := &ari.Call{ID: "ch2"}
	out.Channel.Connected = &ariv6.CallerID{Number: "+4930222"}
	for _, tc := range []struct {
		name, node string
		call       *ari.Call
		status     string
		err        error
		wantLine   int
		wantTo     string
		wantText   string
		wantReport string
	}{
		{"inbound: the caller", `{"id":"n","type":"sms","params":{"text":"Hi ${flow.key.name}, due $flow.key.amount"},"exits":["ok","ok"]}`,
			in, "sent", nil, 0, "+919898333148", "Hi Ann, due 12", "+919898333148"},
		{"outbound: the called number", `{"id":"n","type":"sms","params":{"text":"x"},"exits":["ok","ok"]}`,
			out, "delivered", nil, 0, "+4930222", "x", "+4930222"},
		{"given number", `{"id":"n","type":"sms","params":{"to":"$flow.key.mobile","text":"x"},"exits":["ok","ok"]}`,
			in, "sent", nil, 0, "+4915112345678", "x", "+4915112345678"},
		{"blocked", `{"id":"n","type":"sms","params":{"text":"x"},"exits":["ok","ok"]}`,
			in, "blocked", nil, 1, "+919898333148", "x", ""},
		{"gateway down", `{"id":"n","type":"sms","params":{"text":"x"},"exits":["ok","ok"]}`,
			in, "failed", errors.New("gateway unreachable"), 1, "+919898333148", "x", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, status, reason, sendErr = nil, tc.status, "why", tc.err
			r, n := oneNode(t, e, tc.node, map[string]string{"name": "Ann", "amount": "12", "mobile": "+4915112345678"}, "name", "amount", "mobile")
			r.call = tc.call
			res, st := execNode(r, n)
			if res.line != tc.wantLine {
				t.Fatalf("line %d (%v); want %d", res.line, res.err, tc.wantLine)
			}
			if len(got) != 1 || got[0].To != tc.wantTo || got[0].Text != tc.wantText || got[0].AccountID != 7 || got[0].FlowID != 3 {
				t.Fatalf("sent %+v", got)
			}
			if tc.call == in && got[0].Ref != "att-1" || tc.call == out && got[0].Ref != "ch2" {
				t.Errorf("ref %q", got[0].Ref)
			}
			if r.flowVars["sms_number"] != tc.wantReport {
				t.Errorf("report SMS number %q; want %q", r.flowVars["sms_number"], tc.wantReport)
			}
			if st.Outputs["message_id"] != int64(41) || st.Outputs["status"] != tc.status {
				t.Errorf("outputs %+v", st.Outputs)
			}
		})
	}
	// An unset variable, a withheld caller and no sender fail on line 1
	// without sending.
	got = nil
	r, n := oneNode(t, e, `{"id":"n","type":"sms","params":{"text":"Hi $flow.key.name"},"exits":["ok","ok"]}`, nil, "name")
	r.call = in
	if res, st := execNode(r, n); res.line != 1 || !errors.Is(res.err, errUnsetVar) || st.Inputs["to"] != "+919898333148" {
		t.Errorf("unset variable: %+v", res)
	}
	withheld := &ari.Call{ID: "w", Inbound: true}
	r, n = oneNode(t, e, `{"id":"n","type":"sms","params":{"text":"x"},"exits":["ok","ok"]}`, nil)
	r.call = withheld
	if res, _ := execNode(r, n); res.line != 1 || res.err == nil {
		t.Errorf("withheld caller: %+v", res)
	}
	r, n = oneNode(t, &Engine{}, `{"id":"n","type":"sms","params":{"text":"x"},"exits":["ok","ok"]}`, nil)
	r.call = in
	if res, _ := execNode(r, n); res.line != 1 || !strings.Contains(res.err.Error(), "not configured") {
		t.Errorf("no sender: %+v", res)
	}
	if len(got) != 0 {
		t.Errorf("sent %+v", got)
	}
}

// TestEmailWidget: addresses, subject and text take variables; a sent
// mail fills the report's email with the first address.
func TestEmailWidget(t *testing.T) {
	var got []OutgoingEmail
	e := &Engine{Messages: fakeMessages{email: func(m OutgoingEmail) (SentMessage, error) {
		got = append(got, m)
		return SentMessage{ID: 5, Status: "sent"}, nil
	}}}
	r, n := oneNode(t, e, `{"id":"n","type":"email","params":{"to":"$flow.key.email, ops@example.com","subject":"Call from $call.cli","text":"Amount: ${flow.key.amount}"},"exits":["ok","ok"]}`,
		map[string]string{"email": "Ann@Example.com", "amount": "12"}, "email", "amount")
	c := &ari.Call{ID: "ch1", AttemptID: "att-9", Inbound: true}
	c.Channel.Caller = &ariv6.CallerID{Number: "+919898333148"}
	r.call = c
	res, _ := execNode(r, n)
	if res.line != 0 {
		t.Fatalf("line %d (%v)", res.line, res.err)
	}
	if len(got) != 1 || strings.Join(got[0].To, ",") != "Ann@Example.com,ops@example.com" || got[0].Subject != "Call from +919898333148" ||
		got[0].Text != "Amount: 12" || got[0].Ref != "att-9" {
		t.Fatalf("sent %+v", got)
	}
	if r.flowVars["email"] != "ann@example.com" {
		t.Errorf("report email %q", r.flowVars["email"])
	}
}

// TestMessageWidgetParams: the required params are checked at validation.
func TestMessageWidgetParams(t *testing.T) {
	for _, node := range []string{
		`{"id":"n","type":"sms","params":{},"exits":["ok","ok"]}`,
		`{"id":"n","type":"sms","params":{"text":""},"exits":["ok","ok"]}`,
		`{"id":"n","type":"sms","params":{"text":"$flow.key.undeclared"},"exits":["ok","ok"]}`,
		`{"id":"n","type":"email","params":{"text":"x","subject":"s"},"exits":["ok","ok"]}`,
		`{"id":"n","type":"email","params":{"to":"a@b.c","text":"x"},"exits":["ok","ok"]}`,
		`{"id":"n","type":"email","params":{"to":"a@b.c","subject":"s","text":"x","cc":"x"},"exits":["ok","ok"]}`,
	} {
		doc := `{"format":1,"name":"t","type":"inbound","start":"n","nodes":[` + node + `,{"id":"ok","type":"hangup"}]}`
		if _, err := Parse([]byte(doc), Features{}); err == nil {
			t.Errorf("accepted %s", node)
		}
	}
}
