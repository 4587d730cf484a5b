package campaigns

import (
	"context"
	"errors"
	"math"
	"strings"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/dialer"
	"github.com/switchyard/switchyard/dialer/dialerstore"
)

// Actions are the lifecycle actions a client may ask for (finishing is
// the dialer's, when every call is done).
var Actions = []string{dialer.ActionStart, dialer.ActionPause, dialer.ActionResume, dialer.ActionCancel}

// Transition applies a lifecycle action (start, pause, resume, cancel) to
// a hand-made campaign of the account and tells the live dialer. An
// action its status does not allow is a conflict. A cancel closes the
// campaign's scheduled records whose time has not come as RESCHEDULED.
func (s *Service) Transition(ctx context.Context, acct, id int64, action string) (Campaign, error) {
	known := false
	for _, a := range Actions {
		known = known || a == action
	}
	if !known {
		return Campaign{}, switchyard.Invalid("action", "unknown action %q (start, pause, resume or cancel)", switchyard.Clip(action))
	}
	cur, err := s.own(ctx, acct, id)
	if err != nil {
		return Campaign{}, err
	}
	if cur.Campaign.IsSMS() && s.c.SMSUnavailable != "" && (action == dialer.ActionStart || action == dialer.ActionResume) {
		return Campaign{}, switchyard.Conflict("cannot %s sms campaign %d: %s", action, id, s.c.SMSUnavailable)
	}
	var from string
	sc, err := s.c.Store.TransitionCampaign(ctx, acct, id, func(st string) (string, error) {
		from = st
		return dialer.Transition(st, action)
	})
	if errors.Is(err, dialer.ErrTransition) {
		return Campaign{}, switchyard.Conflict("cannot %s campaign %d: it is %s", action, id, from)
	}
	if err != nil {
		return Campaign{}, err
	}
	if sc.Status == dialer.StatusCancelled {
		// A scheduled call whose campaign is cancelled before its time
		// ends as RESCHEDULED.
		if n, err := s.c.Store.CloseRescheduledRecords(ctx, acct, sc.Recipients, s.c.Now(), dialerstore.StatusRescheduled); err != nil {
			s.log.Warn("scheduled records of a cancelled campaign not closed", "campaign", id, "error", err)
		} else if n > 0 {
			s.log.Info("scheduled records closed as RESCHEDULED", "campaign", id, "records", n)
		}
	}
	s.notify(ctx, acct, id, "dialer not notified of a campaign status change", "campaign", id, "status", sc.Status)
	return fromStore(sc), nil
}

// notify tells the live dialer a campaign changed. The change is stored:
// a failure here only delays the runner (a Running campaign is resumed at
// the next boot), so it is logged, not returned.
func (s *Service) notify(ctx context.Context, acct, id int64, msg string, args ...any) {
	if s.c.Live == nil {
		return
	}
	if err := s.c.Live.Notify(context.WithoutCancel(ctx), acct, id); err != nil {
		s.log.Warn(msg, append(args, "error", err)...)
	}
}

// Progress is a campaign's progress: the store's counts (every node, every
// run) and this node's live runner, when it has one.
type Progress struct {
	CampaignID int64  `json:"campaign_id"`
	Status     string `json:"status"`
	// Dialed counts attempts (including calls in progress).
	Dialed int64 `json:"dialed"`
	// Answered counts records whose final status is an answered one.
	Answered int64 `json:"answered"`
	// Abandoned counts abandoned calls of the last 30 days (agent-paced
	// campaigns; see Abandon).
	Abandoned int64            `json:"abandoned"`
	Remaining int64            `json:"remaining"`
	Pending   int64            `json:"pending"`
	InProcess int64            `json:"in_process"`
	Complete  int64            `json:"complete"`
	ByStatus  map[string]int64 `json:"by_status"`
	// DialLevel is the target concurrent calls at the live runner's last
	// pacing step; absent when this node runs no runner for the campaign.
	DialLevel *int `json:"dial_level,omitempty"`
	// Abandon is the rolling abandon rate of agent-paced campaigns (every
	// node's calls).
	Abandon *AbandonReport `json:"abandon,omitempty"`
	// Live is this node's runner since it started (absent without one).
	Live *dialer.Progress `json:"live,omitempty"`
}

// AbandonWindow is one rolling window's abandon figures.
type AbandonWindow struct {
	Answered  int64   `json:"answered"`
	Abandoned int64   `json:"abandoned"`
	RatePct   float64 `json:"rate_pct"`
}

// AbandonReport is the 24 h and 30 d abandon rates against the cap.
type AbandonReport struct {
	Day    AbandonWindow `json:"day"`
	Month  AbandonWindow `json:"month"`
	CapPct float64       `json:"cap_pct"`
}

func abandonWindow(t dialer.Tally) AbandonWindow {
	return AbandonWindow{Answered: t.Answered, Abandoned: t.Abandoned, RatePct: math.Round(t.Rate()*10000) / 100}
}

// answeredStatus reports the call statuses of answered calls.
func answeredStatus(s string) bool {
	return strings.HasPrefix(s, "IVR_") || strings.HasPrefix(s, "IN_") || strings.HasPrefix(s, "QUEUE_") ||
		s == dialer.StatusMachine || s == dialer.StatusAbandoned
}

// Progress reports a hand-made campaign's progress.
func (s *Service) Progress(ctx context.Context, acct, id int64) (Progress, error) {
	sc, err := s.own(ctx, acct, id)
	if err != nil {
		return Progress{}, err
	}
	n, err := s.c.Store.CountCampaignRecords(ctx, acct, sc.Recipients)
	if err != nil {
		return Progress{}, err
	}
	p := Progress{CampaignID: id, Status: sc.Status, Dialed: n.Attempts, Remaining: n.Remaining(), Pending: n.Pending,
		InProcess: n.InProcess, Complete: n.Complete, ByStatus: n.ByStatus}
	if p.ByStatus == nil {
		p.ByStatus = map[string]int64{}
	}
	for st, k := range p.ByStatus {
		if answeredStatus(st) {
			p.Answered += k
		}
	}
	if dc := sc.Campaign; dialer.AgentPaced(&dc) {
		now := s.c.Now()
		hs, err := s.c.Store.CampaignAbandonHours(ctx, id, now.Add(-dialer.AbandonMonth))
		if err != nil {
			return Progress{}, err
		}
		var pr dialer.Predictor
		ts := make([]dialer.HourTally, len(hs))
		for i, x := range hs {
			ts[i] = dialer.HourTally{Hour: x.Hour, Tally: dialer.Tally{Answered: x.Answered, Abandoned: x.Abandoned}}
		}
		pr.Load(ts)
		w := pr.Windows(now)
		p.Abandoned = w.Month.Abandoned
		p.Abandon = &AbandonReport{Day: abandonWindow(w.Day), Month: abandonWindow(w.Month), CapPct: dc.AbandonCap() * 100}
	}
	if s.c.Live != nil {
		if lp, ok := s.c.Live.Progress(acct, id); ok {
			p.Live = &lp
			dl := lp.DialLevel
			p.DialLevel = &dl
		}
	}
	return p, nil
}
