package flows

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The sms and email widgets send a message while the call goes on: sms
// to a number (by default the customer: the caller of an inbound call,
// the called number of an outbound one), email to one or more addresses,
// each text with ${...} variables. Line 0: the gateway or relay took the
// message ("sent"); line 1: it was not sent (refused, unreachable, or the
// recipient is on the account's blacklist or DNC list: "blocked"). A sent
// message fills the call report's SMS number or email.

// MessageSender sends a flow's messages (the messaging service, adapted
// by the application).
type MessageSender interface {
	SendSMS(ctx context.Context, m OutgoingSMS) (SentMessage, error)
	SendEmail(ctx context.Context, m OutgoingEmail) (SentMessage, error)
}

// OutgoingSMS is an SMS a flow sends: FlowID and Ref (the attempt, else
// the call) say which call sent it.
type OutgoingSMS struct {
	AccountID, FlowID int64
	Ref               string
	To, Text          string
}

// OutgoingEmail is a mail a flow sends.
type OutgoingEmail struct {
	AccountID, FlowID int64
	Ref               string
	To                []string
	Subject, Text     string
}

// SentMessage is the outcome: the message's id and status ("sent",
// "delivered", "failed", "blocked") with the reason it was not sent.
type SentMessage struct {
	ID     int64
	Status string
	Reason string
}

// messageTimeout bounds one message (the gateway's retries included).
const messageTimeout = 30 * time.Second

type smsCfg struct {
	To   string // "" is the customer's number
	Text string
}

type emailCfg struct {
	To, Subject, Text string
}

func checkSMS(p *paramReader) any {
	return &smsCfg{To: strings.TrimSpace(p.str("to", false)), Text: p.str("text", true)}
}

func checkEmail(p *paramReader) any {
	return &emailCfg{To: p.str("to", true), Subject: p.str("subject", true), Text: p.str("text", true)}
}

// ref is what a message of this call refers to: the attempt, else the
// call.
func (r *run) ref() string {
	if r.call.AttemptID != "" {
		return r.call.AttemptID
	}
	return r.call.ID
}

// customerNumber is the caller of an inbound call, the called number of
// an outbound one.
func (r *run) customerNumber() string {
	if r.call.Inbound {
		return r.callValue("cli")
	}
	return r.callValue("dnis")
}

func (r *run) sms(ctx context.Context, c *smsCfg, st *Step) result {
	to := r.customerNumber()
	var missing []string
	if c.To != "" {
		var m []string
		to, m = r.subCtx(ctx, c.To)
		missing = append(missing, m...)
	}
	text, m := r.subCtx(ctx, c.Text)
	missing = append(missing, m...)
	to = strings.TrimSpace(to)
	st.Inputs["to"], st.Inputs["text"] = to, text
	if len(missing) > 0 {
		return fail(fmt.Errorf("%w %s", errUnsetVar, strings.Join(missing, ", ")))
	}
	if to == "" {
		return fail(errors.New("no number to send the SMS to (the customer's number is withheld; set \"to\")"))
	}
	if r.e.Messages == nil {
		return fail(errors.New("SMS is not configured on this service"))
	}
	mctx, cancel := context.WithTimeout(ctx, messageTimeout)
	defer cancel()
	res, err := r.e.Messages.SendSMS(mctx, OutgoingSMS{AccountID: r.fv.AccountID, FlowID: r.fv.FlowID, Ref: r.ref(), To: to, Text: text})
	return r.messageResult(res, err, st, "sms_number", to)
}

func (r *run) email(ctx context.Context, c *emailCfg, st *Step) result {
	to, m1 := r.subCtx(ctx, c.To)
	subject, m2 := r.subCtx(ctx, c.Subject)
	text, m3 := r.subCtx(ctx, c.Text)
	var addrs []string
	for _, a := range strings.Split(to, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	st.Inputs["to"], st.Inputs["subject"], st.Inputs["text"] = strings.Join(addrs, ", "), subject, text
	if missing := append(append(m1, m2...), m3...); len(missing) > 0 {
		return fail(fmt.Errorf("%w %s", errUnsetVar, strings.Join(missing, ", ")))
	}
	if len(addrs) == 0 {
		return fail(errors.New("no address to send the email to"))
	}
	if r.e.Messages == nil {
		return fail(errors.New("email is not configured on this service"))
	}
	mctx, cancel := context.WithTimeout(ctx, messageTimeout)
	defer cancel()
	res, err := r.e.Messages.SendEmail(mctx, OutgoingEmail{AccountID: r.fv.AccountID, FlowID: r.fv.FlowID, Ref: r.ref(),
		To: addrs, Subject: subject, Text: text})
	return r.messageResult(res, err, st, "email", strings.ToLower(addrs[0]))
}

// messageResult takes the sending's outcome: line 0 when sent (and the
// report field filled in), else line 1 with the reason.
func (r *run) messageResult(res SentMessage, err error, st *Step, reportVar, reportValue string) result {
	if res.ID != 0 {
		st.Outputs["message_id"] = res.ID
	}
	if res.Status != "" {
		st.Outputs["status"] = res.Status
	}
	if res.Reason != "" {
		st.Outputs["reason"] = res.Reason
	}
	if err != nil {
		return fail(err)
	}
	switch res.Status {
	case "sent", "delivered":
		// The call report's SMS and email filters find the call by it.
		r.flowVars[reportVar] = reportValue
		return line(0)
	}
	return fail(fmt.Errorf("not sent (%s): %s", res.Status, res.Reason))
}
