package dialer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/messaging/kannel"
)

// An sms campaign sends one SMS per record of its recipients lists instead
// of calling it: the same claims, simultaneous limit, calls-per-second cap,
// calling window, blacklist and DNC screening and attempts as a telephone
// campaign, with the SMS gateway in place of the call.

// SMS statuses: what an sms campaign's records and their attempts end
// with (the Detailed Report shows sent or failed for an sms; a record the
// blacklist or DNC stopped ends BLOCKED, like a call, and reads failed).
const (
	// SMSSent: the SMS gateway accepted the message.
	SMSSent = "sent"
	// SMSFailed: a local technical reason or the SMS provider kept the
	// message from its destination (at the send, or in a later delivery
	// report).
	SMSFailed = "failed"
	// SMSBlocked is the sender's answer for a number its own screening
	// stopped (blacklist, DNC); the record ends StatusBlocked.
	SMSBlocked = "blocked"
	// SMSDelivered is a delivery report's status for a message that
	// reached the phone (the record stays sent).
	SMSDelivered = "delivered"
)

// MaxSMSText and MaxSMSTextUCS2 are the longest SMS text of a campaign,
// in characters, as the SMS gateway takes it: ten concatenated parts of
// 153 characters in the GSM alphabet, or of 67 with any character outside
// it (the messaging service's limits).
const (
	MaxSMSText     = 1530
	MaxSMSTextUCS2 = 670
)

// SMSUnknownReason is the reason of an sms attempt that may have been sent
// although the gateway's answer never came (a run that ended before it
// learnt it, or a gateway that did not answer): it is settled failed and
// never sent again (a later delivery report for it sets it sent).
const SMSUnknownReason = "send outcome unknown (no answer from the SMS gateway, or the service stopped); not sent again"

// IsSMS reports an sms campaign.
func (c *Campaign) IsSMS() bool { return c.Type == TypeSMS }

// validateSMS checks sms_text against the campaign type, and that an sms
// campaign sets nothing that only a call has.
func (c *Campaign) validateSMS() error {
	bad := func(field, f string, args ...any) error { return ErrInvalid.New(field, f, args...) }
	if c.Type != TypeSMS {
		if c.SMSText != "" {
			return bad("sms_text", "sms_text is only for sms campaigns (type %q sends no SMS)", c.Type)
		}
		return nil
	}
	if strings.TrimSpace(c.SMSText) == "" {
		return bad("sms_text", "sms_text is required for an sms campaign: the message sent to each record")
	}
	if !utf8.ValidString(c.SMSText) || strings.IndexByte(c.SMSText, 0) >= 0 {
		return bad("sms_text", "sms_text must be UTF-8 text without NUL bytes")
	}
	if n := utf8.RuneCountInString(c.SMSText); n > MaxSMSText {
		return bad("sms_text", "sms_text is %d characters long, at most %d", n, MaxSMSText)
	} else if n > MaxSMSTextUCS2 && kannel.Coding(c.SMSText) != 0 {
		return bad("sms_text", "sms_text is %d characters long; with characters outside the GSM alphabet at most %d fit in ten parts", n, MaxSMSTextUCS2)
	}
	if err := CheckSMSText(c.SMSText); err != nil {
		return bad("sms_text", "%v", err)
	}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"flow_id", c.FlowID != ""}, {"dial_to_extension", c.DialToExtension != ""}, {"queue", c.Queue != ""},
		{"only_when_free_members", c.OnlyWhenFreeMembers}, {"multiplier", c.Multiplier != 0},
		{"dial_timeout_ms", c.DialTimeoutMS != 0}, {"abandon_cap_pct", c.AbandonCapPct != 0},
		{"safe_harbor_sound", c.SafeHarborSound != ""}, {"amd", c.AMD}, {"machine_action", c.MachineAction != ""},
		{"machine_flow_id", c.MachineFlowID != ""}, {"lead_webhook", c.LeadWebhook != ""}, {"log_webhook", c.LogWebhook != ""},
	} {
		if f.set {
			return bad(f.name, "%s is for telephone campaigns; an sms campaign sends sms_text", f.name)
		}
	}
	if c.Mode != ModeMulticast {
		return bad("mode", "an sms campaign sends at most simultaneous_calls messages at a time: mode must be multicast (got %q)", c.Mode)
	}
	if c.Source != "" {
		return bad("type", "a flow's dialing settings are for calls, not sms")
	}
	return nil
}

// CheckSMSText checks the variables of an SMS text: $flow.key.<name> (or
// ${flow.key.<name>}) names a column of the recipients list, $call.dnis is
// the number the message goes to and $call.attemptnumber the attempt; any
// other reference is refused.
func CheckSMSText(text string) error {
	refs, bad := variables.Scan(text)
	if len(bad) > 0 {
		b := bad[0]
		return fmt.Errorf("%q is not a variable (write $flow.key.<name> or ${flow.key.<name>} with a column name of the recipients list)", text[b.Start:b.End])
	}
	for _, r := range refs {
		switch {
		case r.NS == variables.NSFlow:
		case r.NS == variables.NSCall && (r.Name == "dnis" || r.Name == "attemptnumber"):
		default:
			return fmt.Errorf("%s cannot be used in an SMS: use $flow.key.<name> (the recipients list's columns), $call.dnis or $call.attemptnumber", r.Full())
		}
	}
	return nil
}

// RenderSMS is the text of the SMS for a record sent to number: the
// campaign's text with the record's variables in it. A $flow.key.<name>
// is the record's "$flow.key.<name>" column, or its "<name>" column (a
// recipients list in the ADS format names its columns plainly). missing
// lists the variables the record has no value for.
func RenderSMS(text string, rec Record, number string) (out string, missing []string) {
	return variables.Interpolate(text, func(r variables.Ref) (string, bool) {
		switch r.NS {
		case variables.NSFlow:
			if v, ok := rec.Variables[r.Full()]; ok {
				return v, true
			}
			v, ok := rec.Variables[r.Name]
			return v, ok
		case variables.NSCall:
			switch r.Name {
			case "dnis":
				return number, true
			case "attemptnumber":
				return strconv.Itoa(rec.Attempt), true
			}
		}
		return "", false
	})
}

// SMS is one message an sms campaign sends.
type SMS struct {
	AccountID  int64
	CampaignID int64
	// Ref names the record's attempt (SMSRef): delivery reports carry it
	// back (Service.SMSStatus in dialer/campaigns).
	Ref  string
	To   string
	Text string
}

// SMSResult is the gateway's answer to a send.
type SMSResult struct {
	// Status is SMSSent, SMSFailed or SMSBlocked.
	Status    string
	MessageID int64
	Reason    string
	// Unsure: the gateway may have taken the message although it was not
	// reported sent (no answer came, or it could not be recorded); the
	// attempt ends failed with SMSUnknownReason (a later delivery report
	// sets it sent) and the record is not attempted again, so that it
	// never gets two messages.
	Unsure bool
}

// SMSSender sends SMS (the messaging service in the daemon). It returns
// once the gateway accepted (SMSSent) or refused (SMSFailed) the message,
// or its screening stopped it (SMSBlocked, with the reason); an error is
// bad input (a coded switchyard error) or the gateway being unreachable.
type SMSSender interface {
	SendSMS(ctx context.Context, m SMS) (SMSResult, error)
}

// SMSSenderFunc adapts a function to SMSSender.
type SMSSenderFunc func(ctx context.Context, m SMS) (SMSResult, error)

func (f SMSSenderFunc) SendSMS(ctx context.Context, m SMS) (SMSResult, error) { return f(ctx, m) }

// SMSAttempt is an sms attempt's record: written before the message is
// sent, so a restart never sends a record's attempt twice.
type SMSAttempt struct {
	// ID is AttemptID of the record's attempt.
	ID         string
	CampaignID int64
	Record     Record
	Number     string
	CallerID   string
	Text       string
}

// ErrSMSRecorded: the attempt's record exists already (an earlier run
// wrote it, and may have sent the message): it is not sent.
var ErrSMSRecorded = errors.New("dialer: sms attempt already recorded")

// SMSJournal writes sms attempts (dialerstore.SMSJournal on the store).
type SMSJournal interface {
	// BeginSMS records the attempt as in progress; ErrSMSRecorded if it
	// exists.
	BeginSMS(ctx context.Context, a SMSAttempt) error
	// EndSMS records how it ended: status, reason and the gateway's
	// message id (0: none).
	EndSMS(ctx context.Context, a SMSAttempt, status, reason string, messageID int64) error
}

// SMSRef is the reference an sms attempt's message carries: the record
// and its attempt ("<record id>/<attempt>").
func SMSRef(recordID int64, attempt int) string {
	return strconv.FormatInt(recordID, 10) + "/" + strconv.Itoa(attempt)
}

// ParseSMSRef reads an SMSRef.
func ParseSMSRef(ref string) (recordID int64, attempt int, err error) {
	r, a, ok := strings.Cut(ref, "/")
	if ok {
		recordID, err = strconv.ParseInt(r, 10, 64)
		if err == nil {
			attempt, err = strconv.Atoi(a)
		}
	}
	if !ok || err != nil || recordID <= 0 || attempt <= 0 {
		return 0, 0, fmt.Errorf("sms reference %q: want <record id>/<attempt>", switchyard.Clip(ref))
	}
	return recordID, attempt, nil
}

// SMSPlacer is the Placer of sms campaigns: for each claimed record it
// writes the attempt's record, sends the SMS and records the answer. The
// runner has screened the number and checked the calling window already.
type SMSPlacer struct {
	Sender  SMSSender
	Journal SMSJournal
	// SendTimeout bounds one send and the write of its answer; they are
	// not cut by a shutdown, whose message would else be sent but not
	// recorded (default 30 s).
	SendTimeout time.Duration
	Logger      *slog.Logger
}

// Place sends the record's SMS. It returns ErrNotPlaced when nothing was
// sent and the record may be claimed again (the attempt's record could not
// be written).
func (p *SMSPlacer) Place(ctx context.Context, req PlaceRequest) (Result, error) {
	c, rec := req.Campaign, req.Record
	defer req.LineFree()
	text, missing := RenderSMS(c.SMSText, rec, req.Number)
	a := SMSAttempt{ID: AttemptID(rec.AccountID, rec.ID, rec.Attempt), CampaignID: c.ID, Record: rec,
		Number: req.Number, CallerID: c.CallerID, Text: text}
	if err := p.Journal.BeginSMS(ctx, a); err != nil {
		if errors.Is(err, ErrSMSRecorded) {
			// Recorded by an earlier run, which may have sent it.
			return Result{Status: SMSFailed, Final: true}, errors.New(SMSUnknownReason)
		}
		return Result{}, fmt.Errorf("%w: record the sms attempt: %w", ErrNotPlaced, err)
	}
	timeout := p.SendTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	var res Result
	var msgID int64
	if len(missing) > 0 {
		// An incomplete message is not sent; another attempt would not
		// complete it.
		res = Result{Status: SMSFailed, Final: true, Reason: "the record has no value for " + strings.Join(missing, ", ")}
	} else {
		sr, err := p.Sender.SendSMS(sctx, SMS{AccountID: rec.AccountID, CampaignID: c.ID, Ref: SMSRef(rec.ID, rec.Attempt), To: req.Number, Text: text})
		msgID = sr.MessageID
		switch {
		case err != nil:
			var se *switchyard.Error
			// Input the gateway refuses is refused again: final.
			invalid := errors.As(err, &se) && se.Code == switchyard.CodeInvalid
			reason := switchyard.ClientMessage(err)
			if reason == "" {
				// The record's reason is read by the account: the
				// internal error goes to the log only.
				reason = "not sent: the SMS service failed"
				if p.Logger != nil {
					p.Logger.Warn("sms not sent", "campaign", c.ID, "record", rec.ID, "attempt", rec.Attempt, "error", err)
				}
			}
			res = Result{Status: SMSFailed, Reason: reason, Final: invalid}
			if sr.Unsure {
				res.Reason, res.Final = SMSUnknownReason, true
			}
		case sr.Status == SMSSent:
			res = Result{Status: SMSSent}
		case sr.Status == SMSBlocked:
			res = Result{Status: StatusBlocked, Reason: sr.Reason, Final: true}
		case sr.Status == SMSFailed:
			res = Result{Status: SMSFailed, Reason: sr.Reason}
			if sr.Unsure {
				res.Reason, res.Final = SMSUnknownReason, true
			}
		default:
			res = Result{Status: SMSFailed, Reason: fmt.Sprintf("the SMS gateway answered %q", switchyard.Clip(sr.Status))}
		}
	}
	p.end(ctx, a, res, msgID, timeout)
	return res, nil
}

// end records the attempt's end, retried for a while (the store may be
// briefly away); the record's own outcome is written by the runner
// whatever happens here.
func (p *SMSPlacer) end(ctx context.Context, a SMSAttempt, res Result, msgID int64, timeout time.Duration) {
	ectx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	wait := 100 * time.Millisecond
	for {
		err := p.Journal.EndSMS(ectx, a, res.Status, res.Reason, msgID)
		if err == nil {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ectx.Done():
			t.Stop()
			if p.Logger != nil {
				p.Logger.Warn("record the end of an sms attempt", "record", a.Record.ID, "attempt", a.Record.Attempt, "status", res.Status, "error", err)
			}
			return
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}
