package flows

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	ariv6 "github.com/CyCoreSystems/ari/v6"

	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/dialer/calllist"
)

// InboundDirectory is what routing a call that entered the application by
// itself reads besides its flow: the accounts' number blacklists, which
// DIDs an account owns and which accounts exist.
type InboundDirectory interface {
	// IsBlacklistedNumber reports whether number is on the account's
	// number blacklist.
	IsBlacklistedNumber(ctx context.Context, accountID int64, number string) (bool, error)
	// DIDUnassigned reports whether no account owns the DID (false with
	// an error when that cannot be told).
	DIDUnassigned(ctx context.Context, did string) (bool, error)
	// AccountExists returns an error when the account cannot be found.
	AccountExists(ctx context.Context, accountID int64) error
}

// InboundRouter decides what runs a channel that entered the application
// by itself (the call manager's Route): inbound calls run their DID's
// published flow (the version current when the call arrived), FastAGI
// hand-offs run the named flow. A caller on the flow account's blacklist
// is hung up before any flow runs. A call to a DID no account owns is
// refused and, when UnassignedDIDAccount is set, recorded there. Anything
// else hears the no-service announcement and is hung up, unrecorded (no
// tenant owns it).
type InboundRouter struct {
	Engine    *Engine
	Flows     FlowResolver
	Directory InboundDirectory
	// UnassignedDIDAccount is the operator's account whose call report
	// shows the calls to DIDs no account owns (0: they are only logged);
	// UnassignedDIDSetting names its setting in the log.
	UnassignedDIDAccount int64
	UnassignedDIDSetting string
	Logger               *slog.Logger
}

// Route routes one new channel.
func (r *InboundRouter) Route(ctx context.Context, ev *ariv6.StasisStart) ari.Route {
	log := r.log()
	rt := r.Engine.Route(r.Flows)(ctx, ev)
	if rt.Handler != nil && rt.Attempt != nil {
		if refuse, err := callerRefused(ctx, r.Directory.IsBlacklistedNumber, rt.Attempt.AccountID, rt.Attempt.CLI); refuse {
			if err != nil {
				log.Error("blacklist check failed; refusing the caller", "channel", ev.Channel.ID, "account", rt.Attempt.AccountID, "error", err)
				return ari.Route{Attempt: rt.Attempt, Handler: func(ctx context.Context, c *ari.Call) error {
					return c.Hangup(ctx, "rejected")
				}}
			}
			log.Info("blacklisted caller refused", "channel", ev.Channel.ID, "account", rt.Attempt.AccountID)
			return ari.Route{Attempt: rt.Attempt, Handler: func(ctx context.Context, c *ari.Call) error {
				c.SetStatus("BLACKLISTED")
				return c.Hangup(ctx, "rejected")
			}}
		}
	}
	if rt.Handler != nil {
		return rt
	}
	if u, ok := r.unassignedDID(ctx, ev); ok {
		return u
	}
	log.Info("unrouted call", "channel", ev.Channel.ID, "args", ev.Args)
	return ari.Route{Handler: func(ctx context.Context, c *ari.Call) error {
		if err := c.Answer(ctx); err != nil {
			return err
		}
		_, err := c.Play(ctx, ari.PlayOptions{Timeout: 30 * time.Second}, "sound:ss-noservice")
		return err
	}}
}

// unassignedDID routes an inbound call to a DID that no account owns: it
// is refused with status noroute and the reason "DID … is not assigned to
// any account", and recorded in the operator's account
// (UnassignedDIDAccount) so it appears in that account's call report
// instead of only in the log. ok is false for other calls (not inbound,
// the DID is known, a store error) or when no such account is configured
// or it does not exist.
func (r *InboundRouter) unassignedDID(ctx context.Context, ev *ariv6.StasisStart) (ari.Route, bool) {
	acct := r.UnassignedDIDAccount
	if acct <= 0 || len(ev.Args) < 2 || ev.Args[0] != KindInbound {
		return ari.Route{}, false
	}
	did := ev.Args[1]
	if unassigned, err := r.Directory.DIDUnassigned(ctx, did); err != nil || !unassigned {
		return ari.Route{}, false
	}
	log := r.log()
	if err := r.Directory.AccountExists(ctx, acct); err != nil {
		log.Warn("call to an unassigned DID not recorded: the account for such calls does not exist",
			"did", did, "account", acct, "setting", r.UnassignedDIDSetting, "error", err)
		return ari.Route{}, false
	}
	reason := fmt.Sprintf("DID %s is not assigned to any account", did)
	log.Warn("call refused: "+reason, "channel", ev.Channel.ID, "recorded_in_account", acct)
	return ari.Route{
		Attempt: &ari.Attempt{AccountID: acct, Number: 1, Inbound: true, CLI: ev.Channel.GetCaller().GetNumber(), DNIS: did},
		Handler: func(ctx context.Context, c *ari.Call) error {
			c.SetStatus(ari.StatusNoRoute)
			return errors.New(reason)
		},
	}, true
}

// callerRefused reports whether an inbound caller (cli) is refused by the
// number blacklist of the flow's account. The blacklist is a security
// control, so it fails closed: when it cannot be read the caller is
// refused too (err says why), never let through unchecked.
func callerRefused(ctx context.Context, isBlacklisted func(ctx context.Context, accountID int64, number string) (bool, error), accountID int64, cli string) (bool, error) {
	if cli == "" {
		return false, nil
	}
	num, err := calllist.Normalize(cli, "")
	if err != nil {
		num = cli
	}
	bl, err := isBlacklisted(ctx, accountID, num)
	if err != nil {
		return true, err
	}
	return bl, nil
}

func (r *InboundRouter) log() *slog.Logger {
	if r.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Logger
}
