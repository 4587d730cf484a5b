package acd

import (
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"slices"
	"time"
)

// candidate is a free queue member as the strategies see it.
type candidate struct {
	ID            int64
	Index         int       // position in Queue.Members
	IdleSince     time.Time // last call end or login
	AnsweredToday int
	Persistent    bool
}

// Pick orders the free members for a caller by strategy and returns who
// is offered the call: one agent, or for ring-all every free member
// (except that a persistent member, whose line is already up, takes the
// call alone). last is the member index picked last (round-robin; -1:
// none) and n the number of members.
func Pick(s acdconfig.Strategy, free []candidate, last, n int) []candidate {
	if len(free) == 0 {
		return nil
	}
	c := slices.Clone(free)
	switch s {
	case acdconfig.StrategyRoundRobin:
		dist := func(x candidate) int { return ((x.Index-last-1)%n + n) % n }
		slices.SortStableFunc(c, func(x, y candidate) int { return dist(x) - dist(y) })
	case acdconfig.StrategyFewestCalls:
		slices.SortStableFunc(c, func(x, y candidate) int {
			if x.AnsweredToday != y.AnsweredToday {
				return x.AnsweredToday - y.AnsweredToday
			}
			return x.IdleSince.Compare(y.IdleSince)
		})
	case acdconfig.StrategyRingAll:
		for _, x := range c {
			if x.Persistent {
				return []candidate{x}
			}
		}
		return c
	default: // longest-idle
		slices.SortStableFunc(c, func(x, y candidate) int {
			if k := x.IdleSince.Compare(y.IdleSince); k != 0 {
				return k
			}
			return x.Index - y.Index
		})
	}
	return c[:1]
}
