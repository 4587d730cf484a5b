package dialer

import (
	"context"
	"testing"
	"time"
)

func predCampaign() *Campaign {
	return &Campaign{ID: 1, AccountID: 1, Mode: ModePredictive, Queue: "sales", SimultaneousCalls: 100, DialAttempts: 1}
}

func TestPredictorLevel(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := predCampaign()
	var p Predictor
	st := Staffing{LoggedIn: 10, Free: 2, Busy: 8, AvgHandle: 60 * time.Second}
	// No history: answer rate prior 1, busy agents freeing within the
	// 10 s default ring time: 2 + 8 × (1 − e^(−1/6)) = 3.23 → 3.
	if got := p.Level(c, st, now); got != 3 {
		t.Errorf("fresh level %d, want 3", got)
	}
	// 200 dials, 30 % answered: level 3.23 / 0.3 = 10.
	for i := range 200 {
		p.Dialed(i%10 < 3, 10*time.Second)
	}
	if r := p.AnswerRate(); r < 0.30 || r > 0.45 {
		t.Errorf("answer rate %v", r)
	}
	lvl := p.Level(c, st, now)
	if lvl < 8 || lvl > 11 {
		t.Errorf("level %d with 30 %% answers, want ~9-10", lvl)
	}
	if got := p.Want(c, lvl-1, st, now); got != 1 {
		t.Errorf("want with %d ringing = %d, want 1", lvl-1, got)
	}
	if got := p.Want(c, lvl+5, st, now); got != 0 {
		t.Errorf("want above level = %d", got)
	}
	// Clamps: simultaneous calls, logged-in agents × MaxDialRatio.
	small := predCampaign()
	small.SimultaneousCalls = 4
	if got := p.Level(small, st, now); got != 4 {
		t.Errorf("capped by simultaneous calls: %d", got)
	}
	if got := p.Level(c, Staffing{LoggedIn: 1, Free: 1, AvgHandle: time.Minute}, now); got != 3 {
		t.Errorf("one free agent, answer rate 0.36: level %d, want 3", got)
	}
	if got := p.Level(c, Staffing{LoggedIn: 1, Busy: 1, AvgHandle: time.Hour}, now); got != 0 {
		t.Errorf("one agent busy for an hour: level %d, want 0", got)
	}
	// Callers waiting take the free agents first.
	if got := p.Level(c, Staffing{LoggedIn: 3, Free: 2, Waiting: 2}, now); got != 0 {
		t.Errorf("waiting callers: level %d", got)
	}
	// Unknown handle time: busy agents are not counted.
	if got := p.Level(c, Staffing{LoggedIn: 10, Free: 1, Busy: 9}, now); got != 3 {
		t.Errorf("unknown handle: level %d, want round(1/0.36) = 3", got)
	}
	if got := p.Level(c, Staffing{}, now); got != 0 {
		t.Errorf("no agents: level %d", got)
	}
}

func TestPredictorGain(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var p Predictor
	p.Connected(now, true, 0.03)
	if g := p.Gain(); g >= 1 {
		t.Errorf("gain after an abandon %v", g)
	}
	for range 10000 {
		p.Connected(now, false, 0.03)
	}
	if g := p.Gain(); g != 2 {
		t.Errorf("gain not clamped: %v", g)
	}
	for range 1000 {
		p.Connected(now, true, 0.03)
	}
	if g := p.Gain(); g != 0 {
		t.Errorf("gain not clamped at 0: %v", g)
	}
	// Gain 0: exactly progressive.
	c := predCampaign()
	c.AbandonCapPct = 100
	if got := p.Level(c, Staffing{LoggedIn: 10, Free: 2, Busy: 8, AvgHandle: time.Minute}, now); got != 2 {
		t.Errorf("gain 0 level %d, want progressive 2", got)
	}
}

// TestPredictorAbandonCap: over the cap in the 24 h or the 30 d window
// the campaign paces as progressive until both are back under it.
func TestPredictorAbandonCap(t *testing.T) {
	clk := clockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	c := predCampaign() // default cap 3 %
	st := Staffing{LoggedIn: 10, Free: 2, Busy: 8, AvgHandle: 60 * time.Second}
	var p Predictor
	for i := range 100 {
		p.Dialed(i%2 == 0, 5*time.Second)
	}
	if p.Level(c, st, clk.Now()) <= 2 || p.FallingBack() {
		t.Fatal("predictive level not above progressive to start with")
	}
	// 100 live-answered calls, 5 abandoned: 5 % > 3 %.
	for i := range 100 {
		p.Connected(clk.Now(), i < 5, c.AbandonCap())
	}
	p.gain = 1
	w := p.Windows(clk.Now())
	if w.Day != (Tally{Answered: 100, Abandoned: 5}) || w.Month != w.Day {
		t.Fatalf("windows %+v", w)
	}
	if got := p.Level(c, st, clk.Now()); got != 2 || !p.FallingBack() {
		t.Errorf("over the cap: level %d fallback %v, want progressive 2", got, p.FallingBack())
	}
	// 25 h later the 24 h window is clean, the 30 d one is not: still
	// progressive.
	clk.Set(clk.Now().Add(25 * time.Hour))
	w = p.Windows(clk.Now())
	if w.Day != (Tally{}) || w.Month.Abandoned != 5 {
		t.Fatalf("windows after 25 h %+v", w)
	}
	if got := p.Level(c, st, clk.Now()); got != 2 || !p.FallingBack() {
		t.Errorf("30 d over the cap: level %d", got)
	}
	// 100 more calls without abandon: 5 / 200 = 2.5 % — back under.
	for range 100 {
		p.Connected(clk.Now(), false, c.AbandonCap())
	}
	p.gain = 1
	if got := p.Level(c, st, clk.Now()); got <= 2 || p.FallingBack() {
		t.Errorf("under the cap again: level %d fallback %v", got, p.FallingBack())
	}
	// A higher cap allows more.
	c.AbandonCapPct = 10
	if p.Windows(clk.Now()).Over(c.AbandonCap()) {
		t.Error("5 % over a 10 % cap")
	}
	// 31 days on, the old hours are gone.
	clk.Set(clk.Now().Add(31 * 24 * time.Hour))
	if w := p.Windows(clk.Now()); w.Month != (Tally{}) || len(p.hours) != 0 {
		t.Errorf("windows after 31 d %+v (%d hours kept)", w, len(p.hours))
	}
	// Load replaces the history (another node's calls).
	p.Load([]HourTally{{Hour: clk.Now().Add(-2 * time.Hour), Tally: Tally{Answered: 10, Abandoned: 1}}, {Hour: clk.Now().Add(-48 * time.Hour), Tally: Tally{Answered: 10}}})
	if w := p.Windows(clk.Now()); w.Day != (Tally{Answered: 10, Abandoned: 1}) || w.Month != (Tally{Answered: 20, Abandoned: 1}) {
		t.Errorf("loaded windows %+v", w)
	}
	if (Tally{}).Rate() != 0 || (Tally{Answered: 4, Abandoned: 1}).Rate() != 0.25 {
		t.Error("Tally.Rate")
	}
}

// historyRecords is memRecords with a persisted abandon history.
type historyRecords struct {
	*memRecords
	hours []HourTally
	loads int
}

func (h *historyRecords) AbandonHours(context.Context, time.Time) ([]HourTally, error) {
	h.loads++
	return h.hours, nil
}

// TestRunnerPredictive: the runner paces a predictive campaign by the
// predictor, counts only ringing calls against the level (answered ones
// hold agents, which Staffing reports), classifies abandoned calls and
// falls back to progressive when the stored history is over the cap.
func TestRunnerPredictive(t *testing.T) {
	ctx := ctxT(t)
	clk := clockAt(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	recs := &historyRecords{memRecords: newMemRecords(1, numbers(10)...)}
	g := newGatePlacer()
	st := Staffing{LoggedIn: 4, Free: 2, Busy: 2, AvgHandle: 30 * time.Second}
	r := &Runner{
		Campaign: *predCampaign(), Records: recs, Clock: clk,
		Placer: g,
		Agents: AgentStateFunc(func(context.Context, int64, string) (Staffing, error) { return st, nil }),
	}
	r.Campaign.SimultaneousCalls = 6
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	// Prior answer rate 1: 2 + 2 × (1 − e^(−10/30)) = 2.57 → 3 calls.
	for range 3 {
		<-g.started
	}
	if r.Active() != 3 || recs.loads != 1 {
		t.Fatalf("active %d, history loads %d", r.Active(), recs.loads)
	}
	p := r.Progress()
	if p.Ringing != 3 || p.DialLevel != 3 || p.Abandon == nil || p.AnswerRate != 1 {
		t.Fatalf("progress %+v", p)
	}
	g.release <- Result{Status: "NOANSWER"}
	g.release <- Result{Status: "NOANSWER"}
	g.release <- Result{Status: "QUEUE_ANSWER", Answered: true, AgentConnected: true}
	r.Wait()
	p = r.Progress()
	if p.Answered != 1 || p.Abandoned != 0 || p.Abandon.Day.Answered != 1 {
		t.Fatalf("after two calls %+v %+v", p, p.Abandon)
	}
	// An answered call without an agent is abandoned, AMD drops too.
	for _, res := range []Result{{Status: "QUEUE_TIMEOUT", Answered: true}, {Status: "answmachine", Answered: true, Machine: true}} {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		n := r.Active() // set synchronously by Step
		if n == 0 {
			t.Fatal("no call placed")
		}
		for range n {
			<-g.started
		}
		for range n - 1 {
			g.release <- Result{Status: "NOANSWER"}
		}
		g.release <- res
		r.Wait()
	}
	if p := r.Progress(); p.Abandoned != 2 || p.Abandon.Day.Abandoned != 2 {
		t.Fatalf("abandoned %+v %+v", p, p.Abandon)
	}
	// The history says the campaign is over its cap: progressive.
	recs.hours = []HourTally{{Hour: clk.Now(), Tally: Tally{Answered: 100, Abandoned: 10}}}
	clk.Set(clk.Now().Add(historyReload))
	st = Staffing{LoggedIn: 10, Free: 1, Busy: 9, AvgHandle: 10 * time.Second}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-g.started
	if p := r.Progress(); !p.Fallback || p.DialLevel != 1 || r.Active() != 1 {
		t.Fatalf("over the cap: %+v active %d", p, r.Active())
	}
	g.release <- Result{Status: "NOANSWER"}
	r.Wait()
}

func TestAbandonedClassification(t *testing.T) {
	prog := &Campaign{Mode: ModeProgressive}
	multi := &Campaign{Mode: ModeMulticast}
	leave := &Campaign{Mode: ModePredictive, AMD: true, MachineAction: MachineFlow}
	for _, tc := range []struct {
		name string
		c    *Campaign
		res  Result
		want bool
	}{
		{"unanswered", prog, Result{Status: "NOANSWER"}, false},
		{"agent in time", prog, Result{Answered: true, AgentConnected: true, AgentWait: 2 * time.Second}, false},
		{"agent late", prog, Result{Answered: true, AgentConnected: true, AgentWait: 2*time.Second + time.Millisecond}, true},
		{"no agent", prog, Result{Answered: true}, true},
		{"safe harbor", prog, Result{Answered: true, SafeHarbor: true}, true},
		{"machine dropped", prog, Result{Answered: true, Machine: true}, true},
		{"machine message", leave, Result{Answered: true, Machine: true}, false},
		{"multicast never", multi, Result{Answered: true}, false},
	} {
		if got := Abandoned(tc.c, tc.res); got != tc.want {
			t.Errorf("%s: %v", tc.name, got)
		}
	}
	if d := (&Campaign{Mode: ModePredictive, DialTimeoutMS: 5000}).DialTimeout(); d != MinPredictiveRing {
		t.Errorf("predictive rings %v", d)
	}
}

func TestRescheduleFromSyskeys(t *testing.T) {
	for _, tc := range []struct {
		sk    map[string]string
		resch bool
		agent string
	}{
		{nil, false, ""},
		{map[string]string{"rescheduledCall": "yes"}, true, ""},
		{map[string]string{"rescheduledCall": "no"}, false, ""},
		{map[string]string{"reschedule_customer_call": "YES"}, true, ""},
		{map[string]string{"reschedule_agent_call": "yes", "agentID": " 1101 "}, true, "1101"},
		{map[string]string{"reschedule_agent_call": "true"}, true, ""},
	} {
		r, a := RescheduleFromSyskeys(tc.sk)
		if r != tc.resch || a != tc.agent {
			t.Errorf("%v: %v %q", tc.sk, r, a)
		}
	}
}
