package notify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/dialer/calllist/intake"
	"github.com/switchyard/switchyard/flows"
	"github.com/switchyard/switchyard/flows/variables"
	"github.com/switchyard/switchyard/store"
)

// Channels a notification is sent on.
const (
	ChannelVoice = store.ChannelVoice
	ChannelSMS   = store.ChannelSMS
	ChannelEmail = store.ChannelEmail
)

// Channels lists the channels in the order the console shows them.
var Channels = []string{ChannelVoice, ChannelSMS, ChannelEmail}

// ContactNameVar is a flow variable notify fills with each recipient's
// name when the flow declares it and the sender leaves it empty.
const ContactNameVar = "contact_name"

// MaxRecipients bounds the recipients of one notification.
const MaxRecipients = 100000

// SMS is one text message to send for a notification delivery.
type SMS struct {
	AccountID      int64
	To             string // E.164
	Text           string
	NotificationID int64
	DeliveryID     int64
}

// Email is one email to send for a notification delivery.
type Email struct {
	AccountID      int64
	To             []string
	Subject, Text  string
	NotificationID int64
	DeliveryID     int64
}

// Message is what the messaging service answers for a message: its id
// (the key of later status reports) and status: "sent" (the gateway or
// relay accepted it), "delivered", "failed" or "blocked" (blacklist,
// DNC), with a reason.
type Message struct {
	ID     int64
	Status string
	Reason string
}

// Messenger sends SMS and email (the messaging service). An error is bad
// input or the gateway being unreachable after its retries.
type Messenger interface {
	SendSMS(ctx context.Context, m SMS) (Message, error)
	SendEmail(ctx context.Context, m Email) (Message, error)
}

// FuncMessenger is a Messenger made of functions (tests, adapters).
type FuncMessenger struct {
	SMS   func(ctx context.Context, m SMS) (Message, error)
	Email func(ctx context.Context, m Email) (Message, error)
}

// SendSMS calls f.SMS.
func (f FuncMessenger) SendSMS(ctx context.Context, m SMS) (Message, error) { return f.SMS(ctx, m) }

// SendEmail calls f.Email.
func (f FuncMessenger) SendEmail(ctx context.Context, m Email) (Message, error) {
	return f.Email(ctx, m)
}

// Calls puts calls on a flow's call list, as the trigger API does
// (*intake.Importer implements it).
type Calls interface {
	Trigger(ctx context.Context, acc int64, t calllist.Trigger, wantType string) (intake.TriggerResult, error)
}

// SendRequest is a notification to send: the emergency notification
// flow, the labels whose contacts receive it, the channels and the flow's
// parameters (its declared variables).
type SendRequest struct {
	FlowID   int64             `json:"flow_id"`
	Labels   []int64           `json:"labels"`
	Channels []string          `json:"channels"`
	Params   map[string]string `json:"params"`
}

// FlowInfo is an emergency notification flow as the send page shows it.
type FlowInfo struct {
	ID        int64                       `json:"id"`
	Name      string                      `json:"name"`
	Variables []string                    `json:"variables"`
	Template  *flows.NotificationTemplate `json:"notification,omitempty"`
	Start     string                      `json:"start"`
	Nodes     []string                    `json:"nodes"`
}

// loadFlow reads the live version of an emergency notification flow.
func (s *Service) loadFlow(ctx context.Context, acc, id int64) (FlowInfo, error) {
	if id <= 0 {
		return FlowInfo{}, switchyard.Invalid("flow_id", "choose the notification flow")
	}
	f, err := s.c.Store.GetFlow(ctx, acc, id)
	if errors.Is(err, store.ErrNotFound) {
		return FlowInfo{}, switchyard.Invalid("flow_id", "flow %d not found", id)
	}
	if err != nil {
		return FlowInfo{}, err
	}
	if f.Type != flows.TypeEmergency {
		return FlowInfo{}, switchyard.Invalid("flow_id", "flow %q is an %s flow; notifications are sent with emergency notification flows", f.Name, f.Type)
	}
	if f.PublishedVersion == 0 {
		return FlowInfo{}, switchyard.Invalid("flow_id", "flow %q is not published: publish it first", f.Name)
	}
	v, err := s.c.Store.GetFlowVersion(ctx, acc, id, f.PublishedVersion)
	if err != nil {
		return FlowInfo{}, err
	}
	doc, err := flows.Decode(v.Definition)
	if err != nil {
		return FlowInfo{}, fmt.Errorf("notify: flow %d: %w", id, err)
	}
	info := FlowInfo{ID: f.ID, Name: f.Name, Template: doc.Notification, Start: doc.Start, Variables: []string{}}
	for _, name := range doc.Variables {
		info.Variables = append(info.Variables, strings.TrimPrefix(name, "$flow.key."))
	}
	for _, n := range doc.Nodes {
		info.Nodes = append(info.Nodes, n.ID+" ("+n.Type+")")
	}
	return info, nil
}

// NotificationFlows lists the account's published emergency
// notification flows with their variables and templates.
func (s *Service) NotificationFlows(ctx context.Context, acc int64, list func(ctx context.Context, acc int64) ([]store.Flow, error)) ([]FlowInfo, error) {
	fs, err := list(ctx, acc)
	if err != nil {
		return nil, err
	}
	out := []FlowInfo{}
	for _, f := range fs {
		if f.Type != flows.TypeEmergency || f.PublishedVersion == 0 {
			continue
		}
		info, err := s.loadFlow(ctx, acc, f.ID)
		if err != nil {
			s.log.Warn("notification flow unreadable", "account", acc, "flow", f.ID, "error", err)
			continue
		}
		out = append(out, info)
	}
	return out, nil
}

// checked is a validated send request with its flow and recipients.
type checked struct {
	req        SendRequest
	flow       FlowInfo
	recipients []store.Contact
}

func (s *Service) check(ctx context.Context, acc int64, req SendRequest) (checked, error) {
	var chans []string
	for _, c := range req.Channels {
		c = strings.ToLower(strings.TrimSpace(c))
		if !slices.Contains(Channels, c) {
			return checked{}, switchyard.Invalid("channels", "unknown channel %q (voice, sms, email)", c)
		}
		if !slices.Contains(chans, c) {
			chans = append(chans, c)
		}
	}
	if len(chans) == 0 {
		return checked{}, switchyard.Invalid("channels", "choose at least one channel: voice, sms or email")
	}
	req.Channels = chans
	if len(req.Labels) == 0 {
		return checked{}, switchyard.Invalid("labels", "choose at least one label")
	}
	f, err := s.loadFlow(ctx, acc, req.FlowID)
	if err != nil {
		return checked{}, err
	}
	params := map[string]string{}
	for k, v := range req.Params {
		k = strings.TrimPrefix(strings.TrimSpace(k), "$flow.key.")
		if !slices.Contains(f.Variables, k) {
			return checked{}, switchyard.Invalid("params", "the flow %q declares no variable %q (its variables: %s)", f.Name, k, strings.Join(f.Variables, ", "))
		}
		if len(v) > 4096 || strings.IndexByte(v, 0) >= 0 {
			return checked{}, switchyard.Invalid("params", "the value of %q is too long or not text", k)
		}
		params[k] = v
	}
	for _, name := range f.Variables {
		if strings.TrimSpace(params[name]) == "" && name != ContactNameVar {
			return checked{}, switchyard.Invalid("params", "enter the parameter %q", name)
		}
	}
	if slices.Contains(f.Variables, ContactNameVar) {
		// Kept even when empty: each recipient's name fills it.
		if _, ok := params[ContactNameVar]; !ok {
			params[ContactNameVar] = ""
		}
	}
	req.Params = params
	for _, c := range chans {
		switch {
		case c == ChannelVoice && s.c.Calls == nil:
			return checked{}, switchyard.Invalid("channels", "voice notifications are not available on this server")
		case (c == ChannelSMS || c == ChannelEmail) && s.c.Messages == nil:
			return checked{}, switchyard.Invalid("channels", "%s notifications are not available on this server (no messaging service)", c)
		case c == ChannelSMS && (f.Template == nil || strings.TrimSpace(f.Template.SMSText) == ""):
			return checked{}, switchyard.Invalid("channels", "the flow %q has no SMS text: add it to the flow's notification template", f.Name)
		case c == ChannelEmail && (f.Template == nil || strings.TrimSpace(f.Template.EmailSubject) == ""):
			return checked{}, switchyard.Invalid("channels", "the flow %q has no email subject and text: add them to the flow's notification template", f.Name)
		}
	}
	rs, err := s.c.Store.LabelRecipients(ctx, acc, req.Labels)
	if err != nil {
		return checked{}, err
	}
	if len(rs) == 0 {
		return checked{}, switchyard.Invalid("labels", "the chosen labels have no contacts")
	}
	if len(rs) > MaxRecipients {
		return checked{}, switchyard.Invalid("labels", "%d recipients; at most %d per notification", len(rs), MaxRecipients)
	}
	return checked{req: req, flow: f, recipients: rs}, nil
}

// recipientParams are the parameters of one recipient's messages and call.
func recipientParams(params map[string]string, declared []string, c store.Contact) map[string]string {
	out := maps.Clone(params)
	if out == nil {
		out = map[string]string{}
	}
	if slices.Contains(declared, ContactNameVar) && strings.TrimSpace(out[ContactNameVar]) == "" {
		out[ContactNameVar] = c.Name
	}
	return out
}

// render fills a template's variables ($flow.key.x from params, $sys.*
// from at).
func render(text string, params map[string]string, at time.Time) string {
	out, _ := variables.Interpolate(text, func(r variables.Ref) (string, bool) {
		switch r.NS {
		case variables.NSFlow:
			v, ok := params[r.Name]
			return v, ok
		case variables.NSSys:
			switch r.Name {
			case "datetime":
				return at.Format("2006-01-02 15:04:05"), true
			case "date":
				return at.Format("2006-01-02"), true
			case "time":
				return at.Format("15:04:05"), true
			}
		}
		return "", false
	})
	return out
}

// ChannelCount is a channel's recipients in a preview: Recipients get
// it; Missing have no address for it (a contact without email).
type ChannelCount struct {
	Channel    string `json:"channel"`
	Recipients int    `json:"recipients"`
	Missing    int    `json:"missing"`
}

// Sample is the recipient a preview renders the messages for.
type Sample struct {
	Name   string   `json:"name"`
	Phone  string   `json:"phone"`
	Emails []string `json:"emails"`
}

// VoicePreview is the call a voice recipient gets: the flow it runs,
// the number dialed and the variables the call carries.
type VoicePreview struct {
	Flow      string            `json:"flow"`
	Start     string            `json:"start"`
	Nodes     []string          `json:"nodes"`
	Number    string            `json:"number"`
	Variables map[string]string `json:"variables"`
}

// Preview is what a notification would send: the recipients per
// channel and, for one sample recipient, the SMS text, the email and the
// call.
type Preview struct {
	FlowID       int64          `json:"flow_id"`
	FlowName     string         `json:"flow_name"`
	Recipients   int            `json:"recipients"`
	Channels     []ChannelCount `json:"channels"`
	Sample       Sample         `json:"sample"`
	SMSText      string         `json:"sms_text,omitempty"`
	EmailSubject string         `json:"email_subject,omitempty"`
	EmailText    string         `json:"email_text,omitempty"`
	Voice        *VoicePreview  `json:"voice,omitempty"`
}

// Preview checks a notification and shows what it would send; nothing is
// stored or sent.
func (s *Service) Preview(ctx context.Context, acc int64, req SendRequest) (Preview, error) {
	ck, err := s.check(ctx, acc, req)
	if err != nil {
		return Preview{}, err
	}
	p := Preview{FlowID: ck.flow.ID, FlowName: ck.flow.Name, Recipients: len(ck.recipients)}
	for _, ch := range ck.req.Channels {
		cc := ChannelCount{Channel: ch}
		for _, c := range ck.recipients {
			if ch == ChannelEmail && len(c.Emails) == 0 {
				cc.Missing++
				continue
			}
			cc.Recipients++
		}
		p.Channels = append(p.Channels, cc)
	}
	sample := ck.recipients[0]
	p.Sample = Sample{Name: sample.Name, Phone: sample.Phone, Emails: sample.Emails}
	params := recipientParams(ck.req.Params, ck.flow.Variables, sample)
	at := s.now()
	for _, ch := range ck.req.Channels {
		switch ch {
		case ChannelSMS:
			p.SMSText = render(ck.flow.Template.SMSText, params, at)
		case ChannelEmail:
			p.EmailSubject = render(ck.flow.Template.EmailSubject, params, at)
			p.EmailText = render(ck.flow.Template.EmailText, params, at)
		case ChannelVoice:
			p.Voice = &VoicePreview{Flow: ck.flow.Name, Start: ck.flow.Start, Nodes: ck.flow.Nodes, Number: sample.Phone, Variables: params}
		}
	}
	return p, nil
}

// Send checks a notification and stores it with one pending delivery per
// recipient and channel; the worker sends them. It returns at once.
func (s *Service) Send(ctx context.Context, acc int64, req SendRequest, by string) (store.Notification, error) {
	ck, err := s.check(ctx, acc, req)
	if err != nil {
		return store.Notification{}, err
	}
	n := store.Notification{AccountID: acc, FlowID: ck.flow.ID, FlowName: ck.flow.Name, Channels: ck.req.Channels,
		Labels: sortedIDs(ck.req.Labels), Params: ck.req.Params, CreatedBy: by}
	if t := ck.flow.Template; t != nil {
		if slices.Contains(n.Channels, ChannelSMS) {
			n.SMSText = t.SMSText
		}
		if slices.Contains(n.Channels, ChannelEmail) {
			n.EmailSubject, n.EmailText = t.EmailSubject, t.EmailText
		}
	}
	ds := make([]store.Delivery, 0, len(ck.recipients)*len(n.Channels))
	for _, ch := range n.Channels {
		for _, c := range ck.recipients {
			d := store.Delivery{ContactID: c.ID, ContactName: c.Name, Channel: ch, Destination: c.Phone}
			if ch == ChannelEmail {
				d.Destination = strings.Join(c.Emails, ",")
			}
			ds = append(ds, d)
		}
	}
	out, err := s.c.Store.CreateNotification(ctx, n, ds)
	if err != nil {
		return store.Notification{}, err
	}
	s.log.Info("notification stored", "account", acc, "notification", out.ID, "flow", out.FlowID,
		"recipients", len(ck.recipients), "channels", strings.Join(out.Channels, ","))
	s.Wake()
	return out, nil
}

// Wake makes the worker look for work now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Report is a notification with its counts by channel and status.
type Report struct {
	store.Notification
	Counts []store.DeliveryCount `json:"counts"`
}

// ListNotifications lists the account's notifications, newest first.
func (s *Service) ListNotifications(ctx context.Context, acc int64) ([]store.Notification, error) {
	return s.c.Store.ListNotifications(ctx, acc, 200)
}

// Report returns a notification and its counts, with the voice outcomes
// read from its call lists first.
func (s *Service) Report(ctx context.Context, acc, id int64) (Report, error) {
	n, err := s.c.Store.GetNotification(ctx, acc, id)
	if err != nil {
		return Report{}, err
	}
	if err := s.syncVoice(ctx, n); err != nil {
		return Report{}, err
	}
	if n, err = s.c.Store.GetNotification(ctx, acc, id); err != nil {
		return Report{}, err
	}
	counts, err := s.c.Store.DeliveryCounts(ctx, acc, id)
	if err != nil {
		return Report{}, err
	}
	return Report{Notification: n, Counts: counts}, nil
}

// Deliveries pages a notification's per-recipient, per-channel rows.
func (s *Service) Deliveries(ctx context.Context, acc, id, afterID int64, limit int) ([]store.Delivery, error) {
	if _, err := s.c.Store.GetNotification(ctx, acc, id); err != nil {
		return nil, err
	}
	return s.c.Store.ListDeliveries(ctx, acc, id, afterID, limit)
}

// EachDelivery calls fn with every delivery of a notification, in order.
func (s *Service) EachDelivery(ctx context.Context, acc, id int64, fn func(store.Delivery) error) error {
	n, err := s.c.Store.GetNotification(ctx, acc, id)
	if err != nil {
		return err
	}
	if err := s.syncVoice(ctx, n); err != nil {
		return err
	}
	var after int64
	for {
		ds, err := s.c.Store.ListDeliveries(ctx, acc, id, after, store.MaxListLimit)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if err := fn(d); err != nil {
				return err
			}
			after = d.ID
		}
		if len(ds) < store.MaxListLimit {
			return nil
		}
	}
}

// MessageStatus records a delivery report of the messaging service (its
// OnStatus): the delivery of that message takes the new status. ref is
// the message's source reference, the delivery id notify gave it (so a
// report that arrives before the sender recorded the message id is not
// lost); "" finds the delivery by the message id. A message that is not a
// notification's is ignored.
func (s *Service) MessageStatus(ctx context.Context, accountID int64, channel string, messageID int64, ref, status, reason string) error {
	st, ok := messageStatus(status)
	if !ok {
		return fmt.Errorf("notify: message %d: unknown status %q", messageID, status)
	}
	var d store.Delivery
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		d, err = s.c.Store.GetDelivery(ctx, accountID, id)
		if err == nil && d.Channel != channel {
			return nil
		}
	} else {
		d, err = s.c.Store.DeliveryByMessage(ctx, accountID, channel, messageID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := s.c.Store.UpdateDeliveries(ctx, []store.DeliveryUpdate{{ID: d.ID, Status: st, Reason: reason, MessageID: messageID}})
	if err != nil {
		return err
	}
	if n > 0 && store.DeliveryFinal(st) {
		// The worker marks the notification done if this was its last
		// open delivery: one look per round, not a look at every
		// notification on each of thousands of reports.
		s.Wake()
	}
	return nil
}

// messageStatus maps a messaging status to a delivery status.
func messageStatus(s string) (string, bool) {
	switch s {
	case "sent":
		return store.DeliverySent, true
	case "delivered":
		return store.DeliveryDelivered, true
	case "failed":
		return store.DeliveryFailed, true
	case "blocked":
		return store.DeliveryBlocked, true
	}
	return "", false
}

// answered are the call statuses of a call that reached the recipient.
var answered = []string{"IVR_FINISHED", "ANSWERED", "ANSWER", "IN_ANSWER", "QUEUE_ANSWER"}

// voiceUpdate maps a call-list record's outcome to its delivery's state
// (ok false while the call is still to be placed or in progress).
func voiceUpdate(o store.CallOutcome) (status, reason string, ok bool) {
	switch o.Status {
	case store.RecordComplete:
		if slices.Contains(answered, o.LastStatus) {
			return store.DeliveryDelivered, o.LastStatus, true
		}
		r := o.LastStatus
		if o.Reason != "" {
			r = strings.TrimSpace(r + " " + o.Reason)
		}
		if r == "" {
			r = "the call ended without an answer"
		}
		return store.DeliveryFailed, r, true
	case store.RecordInvalid:
		return store.DeliveryFailed, o.Reason, true
	case store.RecordScrubbed:
		return store.DeliveryBlocked, o.Reason, true
	}
	return "", "", false
}

// syncVoice reads the outcomes of a notification's calls from its call
// lists into its voice deliveries.
func (s *Service) syncVoice(ctx context.Context, n store.Notification) error {
	if !slices.Contains(n.Channels, ChannelVoice) || n.Status != store.NotificationSending {
		return nil
	}
	reqs, err := s.c.Store.OpenVoiceRequests(ctx, n.AccountID, n.ID)
	if err != nil {
		return err
	}
	for _, req := range reqs {
		os, err := s.c.Store.CallOutcomes(ctx, n.AccountID, req)
		if err != nil {
			return err
		}
		var us []store.DeliveryUpdate
		for _, o := range os {
			nid, did, ok := store.ParseVoiceClientID(o.ClientIdentifier)
			if !ok || nid != n.ID {
				continue
			}
			if st, reason, ok := voiceUpdate(o); ok {
				us = append(us, store.DeliveryUpdate{ID: did, Status: st, Reason: reason})
			}
		}
		if _, err := s.c.Store.UpdateDeliveries(ctx, us); err != nil {
			return err
		}
	}
	return nil
}

// idString formats an id.
func idString(id int64) string { return strconv.FormatInt(id, 10) }

// DeliveryRef is the source reference of a delivery's message (the
// messaging service's Source.Ref; MessageStatus reads it back).
func DeliveryRef(deliveryID int64) string { return idString(deliveryID) }
