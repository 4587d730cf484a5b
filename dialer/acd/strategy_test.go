package acd

import (
	"github.com/switchyard/switchyard/dialer/acd/acdconfig"
	"testing"
	"time"
)

func TestPick(t *testing.T) {
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	c := func(id int64, idx, idle, today int) candidate {
		return candidate{ID: id, Index: idx, IdleSince: at(idle), AnsweredToday: today}
	}
	ids := func(cs []candidate) []int64 {
		var out []int64
		for _, x := range cs {
			out = append(out, x.ID)
		}
		return out
	}
	tests := []struct {
		name string
		s    acdconfig.Strategy
		free []candidate
		last int
		n    int
		want []int64
	}{
		{"longest idle: earliest idle-since wins", acdconfig.StrategyLongestIdle, []candidate{c(1, 0, 30, 0), c(2, 1, 10, 0), c(3, 2, 20, 0)}, -1, 3, []int64{2}},
		{"longest idle: tie by member order", acdconfig.StrategyLongestIdle, []candidate{c(3, 2, 10, 0), c(1, 0, 10, 0)}, -1, 3, []int64{1}},
		{"round robin: first member when none picked", acdconfig.StrategyRoundRobin, []candidate{c(1, 0, 0, 0), c(2, 1, 0, 0), c(3, 2, 0, 0)}, -1, 3, []int64{1}},
		{"round robin: next after the last", acdconfig.StrategyRoundRobin, []candidate{c(1, 0, 0, 0), c(2, 1, 0, 0), c(3, 2, 0, 0)}, 0, 3, []int64{2}},
		{"round robin: wraps", acdconfig.StrategyRoundRobin, []candidate{c(1, 0, 0, 0), c(2, 1, 0, 0), c(3, 2, 0, 0)}, 2, 3, []int64{1}},
		{"round robin: skips busy members", acdconfig.StrategyRoundRobin, []candidate{c(1, 0, 0, 0), c(4, 3, 0, 0)}, 1, 5, []int64{4}},
		{"fewest calls", acdconfig.StrategyFewestCalls, []candidate{c(1, 0, 0, 5), c(2, 1, 0, 2), c(3, 2, 0, 3)}, -1, 3, []int64{2}},
		{"fewest calls: tie by longest idle", acdconfig.StrategyFewestCalls, []candidate{c(1, 0, 50, 2), c(2, 1, 40, 2)}, -1, 3, []int64{2}},
		{"ring all: everyone free", acdconfig.StrategyRingAll, []candidate{c(1, 0, 0, 0), c(2, 1, 0, 0)}, -1, 2, []int64{1, 2}},
		{"ring all: a persistent line takes it alone", acdconfig.StrategyRingAll, []candidate{c(1, 0, 0, 0), {ID: 2, Index: 1, Persistent: true}}, -1, 2, []int64{2}},
		{"nobody free", acdconfig.StrategyLongestIdle, nil, -1, 2, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(Pick(tt.s, tt.free, tt.last, tt.n))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
