package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer/calllist"
	"github.com/switchyard/switchyard/store"
)

// voiceBatch is how many voice deliveries go on one call-list request.
const voiceBatch = calllist.MaxTriggerCalls

// interruptedReason is the reason of an SMS or email whose sender stopped
// between taking it and recording the gateway's answer: it may have gone
// out, so it is not sent again.
const interruptedReason = "interrupted while sending (the service stopped); not sent again so that it is never sent twice"

// Run sends the stored notifications until ctx ends: first it settles
// what a previous run of this node left half done, then, in rounds, every
// account with pending deliveries gets a batch per channel (so a large
// notification of one account does not hold up another's), SMS and email
// go out concurrently (bounded), voice recipients are put on the flow's
// call list (the flow's dialing settings dial them, paced like any list),
// and the voice outcomes are read back from the call lists.
func (s *Service) Run(ctx context.Context) error {
	if err := s.recoverStale(ctx); err != nil && ctx.Err() == nil {
		s.log.Error("notify: resuming interrupted deliveries", "error", err)
	}
	t := time.NewTicker(s.c.Interval)
	defer t.Stop()
	// Claims of a node that stopped and has not come back are settled by
	// the nodes still running.
	stale := time.NewTicker(s.c.StaleClaim / 2)
	defer stale.Stop()
	for {
		if err := s.Tick(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("notify: sending", "error", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.wake:
		case <-stale.C:
			if err := s.recoverStale(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("notify: settling deliveries of a stopped node", "error", err)
			}
		}
	}
}

// Tick sends every pending delivery, round by round, then reads the
// voice outcomes and marks finished notifications done.
func (s *Service) Tick(ctx context.Context) error {
	for {
		more, err := s.round(ctx)
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	ns, err := s.c.Store.SendingNotifications(ctx)
	if err != nil {
		return err
	}
	for _, n := range ns {
		if err := s.syncVoice(ctx, n); err != nil {
			return err
		}
	}
	ids, err := s.c.Store.FinishNotifications(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		s.log.Info("notification done", "notification", id)
	}
	return nil
}

func (s *Service) claimID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return s.c.Node + "/" + hex.EncodeToString(b[:])
}

// round gives each account with pending deliveries one batch per channel;
// more reports that some were found.
func (s *Service) round(ctx context.Context) (more bool, err error) {
	accs, err := s.c.Store.PendingDeliveryAccounts(ctx)
	if err != nil || len(accs) == 0 {
		return false, err
	}
	// Each account may use its share of the concurrency this round.
	share := max(1, s.c.Concurrency/len(accs))
	global := make(chan struct{}, s.c.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	fail := func(err error) {
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for _, acc := range accs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.accountBatch(ctx, acc, share, global); err != nil {
				fail(err)
			}
		}()
	}
	wg.Wait()
	return firstErr == nil, firstErr
}

// accountBatch sends one batch per channel of one account.
func (s *Service) accountBatch(ctx context.Context, acc int64, share int, global chan struct{}) error {
	notes := map[int64]store.Notification{}
	note := func(id int64) (store.Notification, error) {
		if n, ok := notes[id]; ok {
			return n, nil
		}
		n, err := s.c.Store.GetNotification(ctx, acc, id)
		if err != nil {
			return store.Notification{}, err
		}
		notes[id] = n
		return n, nil
	}
	// Voice: one call-list request per notification in the batch.
	vs, err := s.c.Store.ClaimDeliveries(ctx, acc, ChannelVoice, voiceBatch, s.claimID())
	if err != nil {
		return err
	}
	byNote := map[int64][]store.Delivery{}
	var order []int64
	for _, d := range vs {
		if _, ok := byNote[d.NotificationID]; !ok {
			order = append(order, d.NotificationID)
		}
		byNote[d.NotificationID] = append(byNote[d.NotificationID], d)
	}
	for _, id := range order {
		n, err := note(id)
		if err != nil {
			return err
		}
		if err := s.sendVoice(ctx, n, byNote[id]); err != nil {
			return err
		}
	}
	// SMS and email: each message on its own, at most share at a time
	// for this account and Concurrency in all.
	local := make(chan struct{}, share)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var updates []store.DeliveryUpdate
	// unsent puts claimed deliveries that were not handed to a sender back
	// to pending: nothing went out for them, so the next round (on this
	// node or another) sends them.
	unsent := func(ds []store.Delivery) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range ds {
			updates = append(updates, store.DeliveryUpdate{ID: d.ID, Status: store.DeliveryPending})
		}
	}
	var batchErr error
claim:
	for _, ch := range []string{ChannelSMS, ChannelEmail} {
		ds, err := s.c.Store.ClaimDeliveries(ctx, acc, ch, s.c.Batch, s.claimID())
		if err != nil {
			batchErr = err
			break
		}
		for i, d := range ds {
			n, err := note(d.NotificationID)
			if err != nil {
				unsent(ds[i:])
				batchErr = err
				break claim
			}
			select {
			case local <- struct{}{}:
			case <-ctx.Done():
				unsent(ds[i:])
				batchErr = ctx.Err()
				break claim
			}
			select {
			case global <- struct{}{}:
			case <-ctx.Done():
				<-local
				unsent(ds[i:])
				batchErr = ctx.Err()
				break claim
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-global; <-local }()
				u := s.sendMessage(ctx, n, d)
				mu.Lock()
				updates = append(updates, u)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	// The outcomes are recorded even when ctx ended meanwhile or the batch
	// stopped early: a message the gateway took must not be left looking
	// unsent, nor one never handed over be failed as interrupted.
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := s.c.Store.UpdateDeliveries(wctx, updates); err != nil {
		return errors.Join(batchErr, err)
	}
	return batchErr
}

// sendMessage sends one SMS or email and says what became of it.
func (s *Service) sendMessage(ctx context.Context, n store.Notification, d store.Delivery) store.DeliveryUpdate {
	u := store.DeliveryUpdate{ID: d.ID}
	if d.Destination == "" {
		u.Status, u.Reason = store.DeliveryFailed, "the contact has no email address"
		return u
	}
	if s.c.Messages == nil {
		u.Status, u.Reason = store.DeliveryFailed, d.Channel+" notifications are not available on this server (no messaging service)"
		return u
	}
	params := recipientParams(n.Params, keys(n.Params), store.Contact{Name: d.ContactName})
	at := s.now()
	var m Message
	var err error
	switch d.Channel {
	case ChannelSMS:
		m, err = s.c.Messages.SendSMS(ctx, SMS{AccountID: n.AccountID, To: d.Destination, Text: render(n.SMSText, params, at),
			NotificationID: n.ID, DeliveryID: d.ID})
	case ChannelEmail:
		m, err = s.c.Messages.SendEmail(ctx, Email{AccountID: n.AccountID, To: strings.Split(d.Destination, ","),
			Subject: render(n.EmailSubject, params, at), Text: render(n.EmailText, params, at), NotificationID: n.ID, DeliveryID: d.ID})
	default:
		u.Status, u.Reason = store.DeliveryFailed, fmt.Sprintf("unknown channel %q", d.Channel)
		return u
	}
	if err != nil {
		u.Status, u.Reason = store.DeliveryFailed, switchyard.ClientMessage(err)
		if u.Reason == "" {
			// The report is read by the account: the internal error is
			// in the server log only.
			u.Reason = "not sent: the message service failed (the server log has the details)"
		}
		s.log.Warn("notification message failed", "notification", n.ID, "delivery", d.ID, "channel", d.Channel, "error", err)
		return u
	}
	st, ok := messageStatus(m.Status)
	if !ok {
		st = store.DeliverySent
	}
	u.Status, u.Reason, u.MessageID = st, m.Reason, m.ID
	return u
}

// keys lists a map's keys.
func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sendVoice puts a batch of a notification's voice recipients on the
// flow's call list: each call carries the parameters as record
// variables and the delivery's client identifier.
func (s *Service) sendVoice(ctx context.Context, n store.Notification, ds []store.Delivery) error {
	if s.c.Calls == nil {
		us := make([]store.DeliveryUpdate, len(ds))
		for i, d := range ds {
			us[i] = store.DeliveryUpdate{ID: d.ID, Status: store.DeliveryFailed, Reason: "voice notifications are not available on this server"}
		}
		_, err := s.c.Store.UpdateDeliveries(ctx, us)
		return err
	}
	// A number on the blacklist or DNC list is blocked, as on the other
	// channels, not put on the call list (whose intake would call it an
	// invalid record).
	nums := make([]string, len(ds))
	for i, d := range ds {
		nums[i] = d.Destination
	}
	screened, err := s.c.Store.ScreenNumbers(ctx, n.AccountID, nums)
	if err != nil {
		return fmt.Errorf("notify: voice of notification %d: screen: %w", n.ID, err)
	}
	if len(screened) > 0 {
		var blocked []store.DeliveryUpdate
		rest := ds[:0:0]
		for _, d := range ds {
			if why, ok := screened[d.Destination]; ok {
				blocked = append(blocked, store.DeliveryUpdate{ID: d.ID, Status: store.DeliveryBlocked, Reason: why})
				continue
			}
			rest = append(rest, d)
		}
		if _, err := s.c.Store.UpdateDeliveries(ctx, blocked); err != nil {
			return err
		}
		if ds = rest; len(ds) == 0 {
			return nil
		}
	}
	t := calllist.Trigger{APIVersion: "1.0", FlowID: idString(n.FlowID), Calls: make([]calllist.TriggerCall, len(ds))}
	for i, d := range ds {
		params := recipientParams(n.Params, keys(n.Params), store.Contact{Name: d.ContactName})
		c := calllist.TriggerCall{ClientIdentifier: store.VoiceClientID(n.ID, d.ID), ContactNumbers: []string{d.Destination}}
		for _, k := range sortedKeys(params) {
			c.Keys = append(c.Keys, calllist.TriggerKey{Name: calllist.FlowKeyPrefix + k, Value: params[k]})
		}
		t.Calls[i] = c
	}
	res, err := s.c.Calls.Trigger(ctx, n.AccountID, t, "")
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	us := make([]store.DeliveryUpdate, 0, len(ds))
	if err != nil {
		var ae *switchyard.Error
		if !errors.As(err, &ae) || ctx.Err() != nil {
			// Not put on a list: back to pending, tried again next round.
			for _, d := range ds {
				us = append(us, store.DeliveryUpdate{ID: d.ID, Status: store.DeliveryPending})
			}
			if _, uerr := s.c.Store.UpdateDeliveries(wctx, us); uerr != nil {
				return uerr
			}
			return fmt.Errorf("notify: voice of notification %d: %w", n.ID, err)
		}
		for _, d := range ds {
			us = append(us, store.DeliveryUpdate{ID: d.ID, Status: store.DeliveryFailed, Reason: switchyard.ClientMessage(err)})
		}
		_, err = s.c.Store.UpdateDeliveries(wctx, us)
		return err
	}
	for _, o := range res.Calls {
		if o.Index < 0 || o.Index >= len(ds) {
			continue
		}
		d := ds[o.Index]
		u := store.DeliveryUpdate{ID: d.ID, RequestID: res.RequestID}
		switch {
		case o.Status == store.RecordScrubbed:
			u.Status, u.Reason = store.DeliveryBlocked, o.Reason
		case !o.Accepted:
			u.Status, u.Reason = store.DeliveryFailed, o.Reason
		default:
			u.Status, u.Reason = store.DeliverySent, "on call list "+res.RequestID
		}
		us = append(us, u)
	}
	_, err = s.c.Store.UpdateDeliveries(wctx, us)
	return err
}

func sortedKeys(m map[string]string) []string {
	ks := keys(m)
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j] < ks[j-1]; j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
	return ks
}

// recoverStale settles the deliveries this node left in sending, and any
// node's claimed longer ago than Config.StaleClaim: a voice delivery found on a
// call list (by its client identifier) is sent, one not found goes back
// to pending; an SMS or email that may have gone out is failed with
// interruptedReason rather than sent twice.
func (s *Service) recoverStale(ctx context.Context) error {
	for {
		ds, err := s.c.Store.StaleDeliveries(ctx, s.c.Node+"/", time.Now().Add(-s.c.StaleClaim), 1000)
		if err != nil {
			return err
		}
		var us []store.DeliveryUpdate
		for _, d := range ds {
			u := store.DeliveryUpdate{ID: d.ID}
			switch d.Channel {
			case ChannelVoice:
				o, ok, err := s.c.Store.CallOutcomeByClient(ctx, d.AccountID, store.VoiceClientID(d.NotificationID, d.ID))
				if err != nil {
					return err
				}
				if ok {
					u.Status, u.Reason, u.RequestID = store.DeliverySent, "on call list "+o.RequestID, o.RequestID
				} else {
					u.Status = store.DeliveryPending
				}
			default:
				u.Status, u.Reason = store.DeliveryFailed, interruptedReason
			}
			us = append(us, u)
		}
		if len(us) == 0 {
			return nil
		}
		if _, err := s.c.Store.UpdateDeliveries(ctx, us); err != nil {
			return err
		}
		s.log.Info("notify: settled interrupted deliveries", "count", len(us))
		if len(ds) < 1000 {
			return nil
		}
	}
}
