package dialer

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// Workload of the predictive simulation: agents with log-normal talk
// times, customers answering with a probability after a random ring.
type simWorkload struct {
	Agents     int
	AnswerRate float64       // share of dialed customers who answer
	MeanTalk   time.Duration // log-normal, sigma 0.6
	WrapUp     time.Duration
	RingMin    time.Duration // answered calls ring uniform RingMin…RingMax
	RingMax    time.Duration
	NoAnswer   time.Duration // unanswered calls give up after this (≥ 15 s)
	Duration   time.Duration // simulated time
	Seed       uint64
}

var defaultWorkload = simWorkload{
	Agents: 20, AnswerRate: 0.2, MeanTalk: 90 * time.Second, WrapUp: 10 * time.Second,
	RingMin: 4 * time.Second, RingMax: 18 * time.Second, NoAnswer: 20 * time.Second,
	Duration: 8 * time.Hour, Seed: 1,
}

type simResult struct {
	Dialed, Answered, Abandoned int
	TalkSecs                    float64
	AbandonRate                 float64 // abandoned ÷ answered
	TalkPerAgentHour            float64 // seconds of talk per agent-hour
	Fallbacks                   int     // steps paced as progressive by the cap
}

type simCall struct {
	end      float64 // answer (or failure) time
	answered bool
	dialedAt float64
}

type simWaiter struct{ since float64 }

// simulate runs the workload with mode (progressive or predictive) in
// 100 ms ticks, pacing every second like the Runner. An answered customer
// with no free agent waits up to AbandonAfter, then hears the safe-harbor
// message (abandoned).
func simulate(w simWorkload, mode string) simResult {
	rng := rand.New(rand.NewPCG(w.Seed, 42))
	c := &Campaign{ID: 1, Mode: mode, Queue: "q", SimultaneousCalls: 1000, DialAttempts: 1}
	var pred Predictor
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	agentFree := make([]float64, w.Agents) // time each agent is free again
	var calls []simCall
	var waiting []simWaiter
	var res simResult
	var handleSum float64
	var handleN int
	sigma := 0.6
	mu := math.Log(w.MeanTalk.Seconds()) - sigma*sigma/2
	const tick = 0.1
	total := w.Duration.Seconds()
	connect := func(now float64) bool {
		for i, f := range agentFree {
			if f <= now {
				talk := math.Exp(mu + sigma*rng.NormFloat64())
				handle := talk + w.WrapUp.Seconds()
				agentFree[i] = now + handle
				// Talk beyond the end of the run is not counted.
				res.TalkSecs += min(talk, total-now)
				handleSum += handle
				handleN++
				return true
			}
		}
		return false
	}
	for step := 0; float64(step)*tick < total; step++ {
		now := float64(step) * tick
		at := start.Add(time.Duration(now * float64(time.Second)))
		// Waiting customers: connect or abandon after AbandonAfter.
		kept := waiting[:0]
		for _, wt := range waiting {
			switch {
			case connect(now):
				pred.Connected(at, false, c.AbandonCap())
			case now-wt.since >= AbandonAfter.Seconds():
				res.Abandoned++
				pred.Connected(at, true, c.AbandonCap())
			default:
				kept = append(kept, wt)
			}
		}
		waiting = kept
		// Calls whose ringing ended.
		ringing := calls[:0]
		for _, cl := range calls {
			if cl.end > now {
				ringing = append(ringing, cl)
				continue
			}
			pred.Dialed(cl.answered, time.Duration((cl.end-cl.dialedAt)*float64(time.Second)))
			if !cl.answered {
				continue
			}
			res.Answered++
			if connect(now) {
				pred.Connected(at, false, c.AbandonCap())
			} else {
				waiting = append(waiting, simWaiter{since: now})
			}
		}
		calls = ringing
		if step%10 != 0 {
			continue
		}
		// Pacing step.
		st := Staffing{LoggedIn: w.Agents, Waiting: len(waiting)}
		for _, f := range agentFree {
			if f <= now {
				st.Free++
			} else {
				st.Busy++
			}
		}
		if handleN > 0 {
			st.AvgHandle = time.Duration(handleSum / float64(handleN) * float64(time.Second))
		}
		var want int
		if mode == ModePredictive {
			want = pred.Want(c, len(calls), st, at)
			if pred.FallingBack() {
				res.Fallbacks++
			}
		} else {
			want = Want(c, len(calls), st, 1)
		}
		for range want {
			res.Dialed++
			cl := simCall{dialedAt: now}
			if rng.Float64() < w.AnswerRate {
				cl.answered = true
				cl.end = now + w.RingMin.Seconds() + rng.Float64()*(w.RingMax-w.RingMin).Seconds()
			} else {
				cl.end = now + w.NoAnswer.Seconds()
			}
			calls = append(calls, cl)
		}
	}
	if res.Answered > 0 {
		res.AbandonRate = float64(res.Abandoned) / float64(res.Answered)
	}
	res.TalkPerAgentHour = res.TalkSecs / (float64(w.Agents) * w.Duration.Hours())
	return res
}

// TestPredictiveSimulation: on the same workload predictive keeps the
// abandon rate under the 3 % cap and gives agents markedly more talk time
// per hour than progressive (which never abandons).
func TestPredictiveSimulation(t *testing.T) {
	w := defaultWorkload
	w.Duration = 4 * time.Hour
	for _, seed := range []uint64{1, 2, 3} {
		w.Seed = seed
		prog := simulate(w, ModeProgressive)
		pred := simulate(w, ModePredictive)
		ratio := pred.TalkPerAgentHour / prog.TalkPerAgentHour
		t.Logf("seed %d: progressive abandon %.2f%% talk %.0f s/agent-h; predictive abandon %.2f%% talk %.0f s/agent-h; ratio %.2f; fallback steps %d",
			seed, prog.AbandonRate*100, prog.TalkPerAgentHour, pred.AbandonRate*100, pred.TalkPerAgentHour, ratio, pred.Fallbacks)
		if prog.Abandoned != 0 {
			t.Errorf("seed %d: progressive abandoned %d calls", seed, prog.Abandoned)
		}
		if pred.AbandonRate > 0.03 {
			t.Errorf("seed %d: predictive abandon rate %.2f%% over the 3%% cap", seed, pred.AbandonRate*100)
		}
		if ratio < 1.3 {
			t.Errorf("seed %d: predictive ÷ progressive talk time %.2f, want ≥ 1.3", seed, ratio)
		}
	}
}

// BenchmarkPredictiveSimulation runs the seeded 8-hour, 20-agent workload
// in both modes and reports the predictive abandon rate (%) and its talk
// time per agent-hour relative to progressive.
func BenchmarkPredictiveSimulation(b *testing.B) {
	var prog, pred simResult
	for b.Loop() {
		prog = simulate(defaultWorkload, ModeProgressive)
		pred = simulate(defaultWorkload, ModePredictive)
	}
	b.ReportMetric(pred.AbandonRate*100, "abandon_%")
	b.ReportMetric(pred.TalkPerAgentHour/60, "talk_min/agent-h")
	b.ReportMetric(prog.TalkPerAgentHour/60, "progressive_talk_min/agent-h")
	b.ReportMetric(pred.TalkPerAgentHour/prog.TalkPerAgentHour, "talk_ratio")
}
