package dialer

import (
	"context"
	"math"
	"sync"
	"time"
)

// AbandonAfter is the regulatory connect limit: a live-answered call not
// connected to an agent within this time of the customer's answer (their
// greeting) is an abandoned call (Ofcom's persistent-misuse policy, the
// FCC's TCPA safe harbor).
const AbandonAfter = 2 * time.Second

// MinPredictiveRing is the least time an unanswered predictive call rings
// before the dialer gives up on it (regulators: at least 15 s).
const MinPredictiveRing = 15 * time.Second

// Abandon-rate windows (issue 5: "tracked over rolling 24 h and 30 d
// windows, both reported").
const (
	AbandonDay   = 24 * time.Hour
	AbandonMonth = 30 * 24 * time.Hour
)

// Tally counts live-answered calls of agent-paced campaigns and, among
// them, the abandoned ones (no agent within AbandonAfter, AMD machine
// drops included).
type Tally struct {
	Answered  int64 `json:"answered"`
	Abandoned int64 `json:"abandoned"`
}

// Rate is Abandoned ÷ Answered (0 with no answered call).
func (t Tally) Rate() float64 {
	if t.Answered <= 0 {
		return 0
	}
	return float64(t.Abandoned) / float64(t.Answered)
}

// Add sums two tallies.
func (t Tally) Add(o Tally) Tally {
	return Tally{Answered: t.Answered + o.Answered, Abandoned: t.Abandoned + o.Abandoned}
}

// AbandonWindows are the rolling abandon tallies of a campaign.
type AbandonWindows struct {
	Day   Tally `json:"day"`
	Month Tally `json:"month"`
}

// Over reports whether either window's rate exceeds cap (a fraction).
func (w AbandonWindows) Over(limit float64) bool {
	return w.Day.Rate() > limit || w.Month.Rate() > limit
}

// HourTally is the tally of one clock hour (Hour truncated to the hour, UTC).
type HourTally struct {
	Hour time.Time
	Tally
}

// AbandonHistory is the persisted per-hour tally of a campaign, for the
// rolling windows across restarts and nodes. A Records implementation may
// implement it (dialerstore does); without it the windows cover what this
// runner saw.
type AbandonHistory interface {
	// AbandonHours returns the hours since since (at most 30 days' worth).
	AbandonHours(ctx context.Context, since time.Time) ([]HourTally, error)
}

// Predictor paces a predictive campaign. It is not safe for concurrent
// use by itself; the Runner serialises access.
//
// The dial level (calls that should be ringing) is
//
//	avail  = Free − Waiting + Busy × (1 − e^(−R/H))
//	level  = base + g × (avail ÷ p − base)
//
// where base = Free − Waiting is the progressive level, R the mean time
// from dial to answer, H the queue's mean handle time (talk + wrap-up; the
// exponential term is the chance that a busy agent frees up before the
// call being dialed now is answered), p the share of ringing calls that
// will be answered (the smoothed answer rate, time-weighted by the ring
// times of answered and unanswered calls) and g
// ∈ [0, MaxGain] an adaptive gain: every live-answered call that found an
// agent raises g by GainStep × target ÷ (1 − target), every abandoned one
// lowers it by GainStep, so g settles where the abandon rate equals the
// target (80 % of the campaign's cap). The level is clamped to
// SimultaneousCalls and LoggedIn × MaxDialRatio, and is never below the
// progressive level. While the 24 h or 30 d abandon rate is over the cap
// the campaign falls back to progressive until both are back under it
// (the gain does not grow meanwhile).
type Predictor struct {
	// MaxDialRatio caps ringing calls per logged-in agent (default 4).
	MaxDialRatio float64
	// MaxGain bounds the adaptive gain (default 2).
	MaxGain float64
	// GainStep is the gain change per abandoned call (default 0.1).
	GainStep float64

	gain     float64
	answered ring            // last outcomes, 1 = answered live
	ringSecs float64         // dial → answer of answered calls (EWMA)
	failSecs float64         // dial → end of unanswered calls (EWMA)
	hours    map[int64]Tally // unix hour → tally
	fallback bool
	init     bool
}

// Answer-rate smoothing: a prior of priorWeight calls answered at
// priorRate, then the last answerWindow outcomes.
const (
	priorWeight      = 20
	priorRate        = 1.0
	answerWindow     = 200
	defaultRingSecs  = 10.0
	defaultFailSecs  = 20.0
	ringSmoothing    = 0.1
	targetOfCapShare = 0.8
)

type ring struct {
	buf  [answerWindow]bool
	n, i int
	hits int
}

func (r *ring) add(v bool) {
	if r.n == answerWindow {
		if r.buf[r.i] {
			r.hits--
		}
	} else {
		r.n++
	}
	r.buf[r.i] = v
	if v {
		r.hits++
	}
	r.i = (r.i + 1) % answerWindow
}

func (p *Predictor) setup() {
	if p.init {
		return
	}
	p.init = true
	if p.MaxDialRatio <= 0 {
		p.MaxDialRatio = 4
	}
	if p.MaxGain <= 0 {
		p.MaxGain = 2
	}
	if p.GainStep <= 0 {
		p.GainStep = 0.1
	}
	p.gain = 1
	p.ringSecs = defaultRingSecs
	p.failSecs = defaultFailSecs
	p.hours = map[int64]Tally{}
}

// AnswerRate is the smoothed share of dialed calls answered live.
func (p *Predictor) AnswerRate() float64 {
	p.setup()
	return (float64(p.answered.hits) + priorWeight*priorRate) / float64(p.answered.n+priorWeight)
}

// Gain is the current adaptive gain.
func (p *Predictor) Gain() float64 { p.setup(); return p.gain }

// FallingBack reports whether the last Want fell back to progressive.
func (p *Predictor) FallingBack() bool { return p.fallback }

// poolAnswerRate is the share of the calls ringing at any moment that
// will be answered: unanswered calls ring longer than answered ones, so
// they are over-represented among the ringing calls (time-weighted answer
// rate p·Ra ÷ (p·Ra + (1−p)·Rn)).
func (p *Predictor) poolAnswerRate() float64 {
	a := p.AnswerRate()
	ra, rn := max(p.ringSecs, 0.1), max(p.failSecs, 0.1)
	return a * ra / (a*ra + (1-a)*rn)
}

// Dialed records how a dialed call went: answered live (a machine or an
// unanswered call is not), and for answered calls the time from dial to
// answer.
func (p *Predictor) Dialed(answeredLive bool, ringTime time.Duration) {
	p.setup()
	p.answered.add(answeredLive)
	switch {
	case ringTime <= 0:
	case answeredLive:
		p.ringSecs += ringSmoothing * (ringTime.Seconds() - p.ringSecs)
	default:
		p.failSecs += ringSmoothing * (ringTime.Seconds() - p.failSecs)
	}
}

// Connected records a live-answered call of the campaign at t: abandoned
// or not. It adapts the gain and feeds the rolling windows.
func (p *Predictor) Connected(t time.Time, abandoned bool, capFraction float64) {
	p.setup()
	h := t.UTC().Truncate(time.Hour).Unix()
	x := p.hours[h]
	x.Answered++
	if abandoned {
		x.Abandoned++
	}
	p.hours[h] = x
	target := capFraction * targetOfCapShare
	if target <= 0 || target >= 1 {
		return
	}
	switch {
	case abandoned:
		p.gain -= p.GainStep
	case !p.fallback:
		// Not while paced as progressive: the calls answered then say
		// nothing about the predictive level.
		p.gain += p.GainStep * target / (1 - target)
	}
	p.gain = min(max(p.gain, 0), p.MaxGain)
}

// Load replaces the hourly history (from AbandonHistory); the runner
// reloads it periodically so other nodes' calls count too.
func (p *Predictor) Load(hours []HourTally) {
	p.setup()
	p.hours = make(map[int64]Tally, len(hours))
	for _, h := range hours {
		k := h.Hour.UTC().Truncate(time.Hour).Unix()
		p.hours[k] = p.hours[k].Add(h.Tally)
	}
}

// Windows sums the rolling windows ending at now (whole hours: the
// current hour counts in both).
func (p *Predictor) Windows(now time.Time) AbandonWindows {
	p.setup()
	cur := now.UTC().Truncate(time.Hour)
	dayFrom := cur.Add(-AbandonDay + time.Hour).Unix()
	monthFrom := cur.Add(-AbandonMonth + time.Hour).Unix()
	var w AbandonWindows
	for h, t := range p.hours {
		if h < monthFrom {
			delete(p.hours, h)
			continue
		}
		w.Month = w.Month.Add(t)
		if h >= dayFrom {
			w.Day = w.Day.Add(t)
		}
	}
	return w
}

// Level is the number of calls that should be ringing now.
func (p *Predictor) Level(c *Campaign, st Staffing, now time.Time) int {
	p.setup()
	base := max(st.Free-max(st.Waiting, 0), 0)
	p.fallback = p.Windows(now).Over(c.AbandonCap())
	level := base
	if !p.fallback && base+st.Busy > 0 {
		avail := float64(base)
		if st.AvgHandle > 0 && st.Busy > 0 {
			avail += float64(st.Busy) * (1 - math.Exp(-p.ringSecs/st.AvgHandle.Seconds()))
		}
		want := float64(base) + p.gain*(avail/p.poolAnswerRate()-float64(base))
		level = max(base, int(math.Round(want)))
		level = min(level, int(math.Floor(float64(max(st.LoggedIn, 0))*p.MaxDialRatio+1e-9)))
		level = max(level, base)
	}
	return min(level, c.SimultaneousCalls)
}

// Want is the number of new calls to start given the calls still ringing.
func (p *Predictor) Want(c *Campaign, ringing int, st Staffing, now time.Time) int {
	return max(p.Level(c, st, now)-ringing, 0)
}

// predictorState guards a Predictor inside the Runner.
type predictorState struct {
	mu       sync.Mutex
	p        Predictor
	loadedAt time.Time
}
