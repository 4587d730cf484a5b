package dialer

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchyard/switchyard"
)

// memJournal is an in-memory SMSJournal: attempt id → status ("open"
// until ended).
type memJournal struct {
	mu     sync.Mutex
	status map[string]string
	begin  func(SMSAttempt) error // optional failure
	end    func(SMSAttempt) error // optional failure
}

func newMemJournal() *memJournal { return &memJournal{status: map[string]string{}} }

func (j *memJournal) BeginSMS(_ context.Context, a SMSAttempt) error {
	if j.begin != nil {
		if err := j.begin(a); err != nil {
			return err
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, ok := j.status[a.ID]; ok {
		return ErrSMSRecorded
	}
	j.status[a.ID] = "open"
	return nil
}

func (j *memJournal) EndSMS(_ context.Context, a SMSAttempt, status, _ string, _ int64) error {
	if j.end != nil {
		if err := j.end(a); err != nil {
			return err
		}
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.status[a.ID] = status
	return nil
}

// sentSMS records the messages a fake sender got.
type sentSMS struct {
	mu   sync.Mutex
	msgs []SMS
}

func (s *sentSMS) add(m SMS) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, m)
	return len(s.msgs)
}

func (s *sentSMS) all() []SMS {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMS(nil), s.msgs...)
}

func smsCampaign() Campaign {
	c := Campaign{ID: 7, AccountID: 1, Type: TypeSMS, Name: "s", Recipients: []string{"r"}, SimultaneousCalls: 2, DialAttempts: 1,
		RetryIntervalSec: 60, SMSText: "Hi ${flow.key.name}, pay $flow.key.amount to $call.dnis"}
	c.Normalize()
	return c
}

// TestSMSCampaignRunner: an sms campaign sends one SMS per record through
// the sender (with the record's variables), re-sends only a failed one
// while attempts remain, never sends to a blocked number, waits for the
// calling window, and records sent / failed / BLOCKED.
func TestSMSCampaignRunner(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	vars := map[string]string{"$flow.key.name": "Ann", "amount": "12"}
	for _, tc := range []struct {
		name     string
		attempts int
		window   Window
		screen   string                                           // the runner's screening reason
		answer   func(n int) (SMSResult, error)                   // the sender's n-th answer (1-based)
		vars     map[string]string                                // the record's variables
		want     string                                           // the record's last status
		sends    int                                              // messages handed to the sender
		check    func(t *testing.T, recs *memRecords, msgs []SMS) // extra checks
	}{
		{name: "sent", attempts: 1, answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSSent, MessageID: 9}, nil },
			want: SMSSent, sends: 1, check: func(t *testing.T, _ *memRecords, msgs []SMS) {
				if m := msgs[0]; m.Text != "Hi Ann, pay 12 to +15550001" || m.To != "+15550001" || m.Ref != "1/1" || m.CampaignID != 7 || m.AccountID != 1 {
					t.Errorf("message %+v", m)
				}
			}},
		{name: "failed then sent on the retry", attempts: 2, answer: func(n int) (SMSResult, error) {
			if n == 1 {
				return SMSResult{Status: SMSFailed, Reason: "rejected"}, nil
			}
			return SMSResult{Status: SMSSent}, nil
		}, want: SMSSent, sends: 2, check: func(t *testing.T, _ *memRecords, msgs []SMS) {
			if msgs[0].Ref != "1/1" || msgs[1].Ref != "1/2" {
				t.Errorf("refs %s %s", msgs[0].Ref, msgs[1].Ref)
			}
		}},
		{name: "failed, no attempt left", attempts: 1, answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSFailed}, nil },
			want: SMSFailed, sends: 1},
		{name: "gateway unreachable is failed and retried", attempts: 2, answer: func(n int) (SMSResult, error) {
			if n == 1 {
				return SMSResult{}, errors.New("gateway unreachable")
			}
			return SMSResult{Status: SMSSent}, nil
		}, want: SMSSent, sends: 2},
		{name: "a message the gateway may have taken is not retried", attempts: 3, answer: func(int) (SMSResult, error) {
			return SMSResult{Status: SMSFailed, MessageID: 5, Reason: "no answer", Unsure: true}, nil
		}, want: SMSFailed, sends: 1},
		{name: "a message sent but not recorded is not retried", attempts: 3, answer: func(int) (SMSResult, error) {
			return SMSResult{Status: "sending", MessageID: 5, Unsure: true}, errors.New("record the outcome: database gone")
		}, want: SMSFailed, sends: 1},
		{name: "input the gateway refuses is not retried", attempts: 3, answer: func(int) (SMSResult, error) {
			return SMSResult{}, switchyard.Invalid("to", "not a number")
		}, want: SMSFailed, sends: 1},
		{name: "blocked at the runner's screening", attempts: 2, screen: "blacklisted",
			answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSSent}, nil }, want: StatusBlocked, sends: 0},
		{name: "blocked by the sender", attempts: 2,
			answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSBlocked, Reason: "DNC"}, nil }, want: StatusBlocked, sends: 1},
		{name: "window closed", attempts: 1, window: Window{StartMinute: 13 * 60, EndMinute: 14 * 60},
			answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSSent}, nil }, want: "", sends: 0,
			check: func(t *testing.T, recs *memRecords, _ []SMS) {
				if r := recs.recs[0]; r.state != "pending" || !r.next.Equal(t0.Add(time.Hour)) {
					t.Errorf("record %s, due %v; want pending until the window opens", r.state, r.next)
				}
			}},
		{name: "a variable the record lacks", attempts: 2, vars: map[string]string{"name": "Ann"},
			answer: func(int) (SMSResult, error) { return SMSResult{Status: SMSSent}, nil }, want: SMSFailed, sends: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := ctxT(t)
			recs := newMemRecords(tc.attempts, []string{"+15550001"})
			recs.recs[0].Variables = vars
			if tc.vars != nil {
				recs.recs[0].Variables = tc.vars
			}
			c := smsCampaign()
			c.DialAttempts, c.CallingWindow = tc.attempts, tc.window
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			sent := &sentSMS{}
			j := newMemJournal()
			clk := clockAt(t0)
			r := &Runner{Campaign: c, Records: recs, Clock: clk,
				Placer: &SMSPlacer{Journal: j, Sender: SMSSenderFunc(func(_ context.Context, m SMS) (SMSResult, error) {
					return tc.answer(sent.add(m))
				})},
				Screen: func(context.Context, int64, string) (string, error) { return tc.screen, nil },
			}
			for range tc.attempts {
				if err := r.Step(ctx); err != nil {
					t.Fatal(err)
				}
				r.Wait()
				clk.Set(clk.Now().Add(c.RetryInterval()))
			}
			msgs := sent.all()
			if len(msgs) != tc.sends {
				t.Fatalf("%d messages sent, want %d: %+v", len(msgs), tc.sends, msgs)
			}
			if got := recs.lasts()[0]; got != tc.want {
				t.Errorf("record status %q, want %q", got, tc.want)
			}
			// Every message sent had its attempt recorded first, and its end.
			for _, m := range msgs {
				rid, att, err := ParseSMSRef(m.Ref)
				if err != nil {
					t.Fatal(err)
				}
				if st := j.status[AttemptID(1, rid, att)]; st == "" || st == "open" {
					t.Errorf("attempt %s: journal %q", m.Ref, st)
				}
			}
			if tc.check != nil {
				tc.check(t, recs, msgs)
			}
		})
	}
}

// TestSMSConcurrencyLimit: an sms campaign has at most simultaneous_calls
// sends in flight.
func TestSMSConcurrencyLimit(t *testing.T) {
	ctx := ctxT(t)
	recs := newMemRecords(1, numbers(6)...)
	c := smsCampaign()
	c.SMSText = "hello"
	release, started := make(chan struct{}), make(chan struct{}, 10)
	var mu sync.Mutex
	cur, peak, total := 0, 0, 0
	r := &Runner{Campaign: c, Records: recs, Clock: clockAt(time.Now()),
		Placer: &SMSPlacer{Journal: newMemJournal(), Sender: SMSSenderFunc(func(ctx context.Context, _ SMS) (SMSResult, error) {
			mu.Lock()
			cur++
			total++
			peak = max(peak, cur)
			mu.Unlock()
			started <- struct{}{}
			defer func() { mu.Lock(); cur--; mu.Unlock() }()
			select {
			case <-release:
			case <-ctx.Done():
			}
			return SMSResult{Status: SMSSent}, nil
		})}}
	if err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	<-started
	<-started
	if err := r.Step(ctx); err != nil { // nothing more while two are in flight
		t.Fatal(err)
	}
	close(release)
	r.Wait()
	for range 3 {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		r.Wait()
	}
	if peak != 2 || total != 6 {
		t.Errorf("peak %d in flight (want 2), %d sent (want 6)", peak, total)
	}
}

// smsOrphans is memRecords that hands the runner orphans of a previous
// life, settled as the store adapter settles them.
type smsOrphans struct {
	*memRecords
	orphans []Orphan
}

func (o *smsOrphans) Orphans(context.Context, time.Time) ([]Orphan, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, x := range o.orphans {
		for _, r := range o.recs {
			if r.ID == x.Record.ID {
				r.state, r.attempts = "leased", x.Record.Attempt
			}
		}
	}
	return o.orphans, nil
}

func (o *smsOrphans) Settle(_ context.Context, x Orphan) (Orphan, error) { return x, nil }

// TestSMSRestartNeverSendsTwice: after a restart, an attempt whose send
// was recorded sent keeps it, one whose answer was lost ends failed and is
// never sent again (attempts left or not), one never recorded is sent
// (once), and an attempt already recorded is not sent by the placer.
func TestSMSRestartNeverSendsTwice(t *testing.T) {
	ctx := ctxT(t)
	recs := &smsOrphans{memRecords: newMemRecords(3, numbers(3)...)}
	recs.orphans = []Orphan{
		{Record: Record{ID: 1, AccountID: 1, Attempt: 1}, Placed: true, Ended: true, Status: SMSSent},
		{Record: Record{ID: 2, AccountID: 1, Attempt: 1}, Placed: true, Ended: true, Status: SMSFailed, Final: true, Reason: SMSUnknownReason},
	}
	c := smsCampaign()
	c.SMSText, c.DialAttempts = "hello", 3
	j := newMemJournal()
	sent := &sentSMS{}
	r := &Runner{Campaign: c, Records: recs, Clock: clockAt(time.Now()),
		Placer: &SMSPlacer{Journal: j, Sender: SMSSenderFunc(func(_ context.Context, m SMS) (SMSResult, error) {
			sent.add(m)
			return SMSResult{Status: SMSSent}, nil
		})}}
	for range 3 {
		if err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		r.Wait()
	}
	msgs := sent.all()
	if len(msgs) != 1 || msgs[0].Ref != "3/1" {
		t.Fatalf("sent %+v, want only record 3", msgs)
	}
	if got := strings.Join(recs.lasts(), ","); got != "sent,failed,sent" {
		t.Errorf("statuses %s", got)
	}

	// An attempt recorded already (by a run the recovery missed) is not
	// sent, nor retried.
	p := &SMSPlacer{Journal: j, Sender: SMSSenderFunc(func(context.Context, SMS) (SMSResult, error) {
		t.Error("sent an attempt recorded before")
		return SMSResult{}, nil
	})}
	res, err := p.Place(ctx, PlaceRequest{Campaign: &c, Record: Record{ID: 3, AccountID: 1, Attempt: 1}, Number: "+15550002"})
	if err == nil || res.Status != SMSFailed || !res.Final {
		t.Errorf("re-place: %+v %v", res, err)
	}
	// The journal down: nothing sent, the claim goes back.
	j.begin = func(SMSAttempt) error { return errors.New("store down") }
	res, err = p.Place(ctx, PlaceRequest{Campaign: &c, Record: Record{ID: 9, AccountID: 1, Attempt: 1}, Number: "+15550009"})
	if !errors.Is(err, ErrNotPlaced) {
		t.Errorf("journal down: %+v %v, want ErrNotPlaced", res, err)
	}
}

// TestSMSCampaignValidate: sms_text is required for sms and refused for
// telephone; an sms campaign sets nothing only a call has.
func TestSMSCampaignValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(c *Campaign)
		field string // "" = valid
	}{
		{"valid", func(*Campaign) {}, ""},
		{"ads column and number", func(c *Campaign) { c.SMSText = "Dear $flow.key.Name, $call.dnis try $call.attemptnumber" }, ""},
		{"no text", func(c *Campaign) { c.SMSText = "  " }, "sms_text"},
		{"too long", func(c *Campaign) { c.SMSText = strings.Repeat("x", MaxSMSText+1) }, "sms_text"},
		{"longest", func(c *Campaign) { c.SMSText = strings.Repeat("x", MaxSMSText) }, ""},
		// Outside the GSM alphabet a part holds 67 characters: a text the
		// gateway would refuse for every record is refused here.
		{"too long outside the GSM alphabet", func(c *Campaign) { c.SMSText = strings.Repeat("é", MaxSMSTextUCS2+1) }, "sms_text"},
		{"longest outside the GSM alphabet", func(c *Campaign) { c.SMSText = strings.Repeat("é", MaxSMSTextUCS2) }, ""},
		{"not utf-8", func(c *Campaign) { c.SMSText = "a\xff" }, "sms_text"},
		{"unclosed brace", func(c *Campaign) { c.SMSText = "hi ${flow.key.name" }, "sms_text"},
		{"other namespace", func(c *Campaign) { c.SMSText = "hi $user.key.x" }, "sms_text"},
		{"call variable", func(c *Campaign) { c.SMSText = "hi $call.cli" }, "sms_text"},
		{"trunk", func(c *Campaign) { c.Trunk = "test" }, "trunk"},
		{"flow", func(c *Campaign) { c.FlowID = "3" }, "flow_id"},
		{"extension", func(c *Campaign) { c.DialToExtension = "100" }, "dial_to_extension"},
		{"queue", func(c *Campaign) { c.Queue = "q" }, "queue"},
		{"amd", func(c *Campaign) { c.AMD = true }, "amd"},
		{"mode", func(c *Campaign) { c.Mode = ModePredictive }, "mode"},
		{"telephone with text", func(c *Campaign) { c.Type = TypeTelephone }, "sms_text"},
		{"telephone without text", func(c *Campaign) { c.Type, c.SMSText = TypeTelephone, "" }, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := smsCampaign()
			tc.edit(&c)
			err := c.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid campaign refused: %v", err)
				}
				return
			}
			var se *switchyard.Error
			if !errors.As(err, &se) || se.Field != tc.field {
				t.Fatalf("error %v, want one on field %s", err, tc.field)
			}
		})
	}
}

func TestSMSRef(t *testing.T) {
	for _, tc := range []struct {
		ref     string
		rec     int64
		attempt int
		ok      bool
	}{{"12/3", 12, 3, true}, {"12", 0, 0, false}, {"0/1", 0, 0, false}, {"1/0", 0, 0, false}, {"a/1", 0, 0, false}, {"1/2/3", 0, 0, false}} {
		rec, att, err := ParseSMSRef(tc.ref)
		if (err == nil) != tc.ok || rec != tc.rec || att != tc.attempt {
			t.Errorf("%q: %d %d %v", tc.ref, rec, att, err)
		}
	}
}

// FuzzParseSMSRef: a reference that parses names a record and an attempt
// that read back the same.
func FuzzParseSMSRef(f *testing.F) {
	for _, s := range []string{"1/1", "12/3", "", "/", "-1/2", "9223372036854775807/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rec, att, err := ParseSMSRef(s)
		if err != nil {
			return
		}
		if r2, a2, err := ParseSMSRef(SMSRef(rec, att)); err != nil || r2 != rec || a2 != att {
			t.Errorf("%q: %d/%d does not read back: %d/%d %v", s, rec, att, r2, a2, err)
		}
		if rec <= 0 || att <= 0 {
			t.Errorf("%q parsed to %d/%d", s, rec, att)
		}
	})
}

// FuzzSMSText: a text CheckSMSText accepts renders without leaving a
// variable reference unresolved when the record has every column.
func FuzzSMSText(f *testing.F) {
	for _, s := range []string{"hi ${flow.key.a}", "$flow.key.a$flow.key.b", "${flow.key.", "$call.dnis$", "$$flow.key.a}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckSMSText(s) != nil {
			return
		}
		rec := Record{Attempt: 1, Variables: map[string]string{}}
		_, missing := RenderSMS(s, rec, "+1555")
		for _, m := range missing {
			if !strings.HasPrefix(m, "$flow.key.") {
				t.Errorf("%q: missing %s", s, m)
			}
		}
	})
}

// TestSMSEndRetried: the end of an sent SMS's attempt is written once the
// store answers again, not lost.
func TestSMSEndRetried(t *testing.T) {
	ctx := ctxT(t)
	j := newMemJournal()
	fails := 2
	j.end = func(SMSAttempt) error {
		if fails > 0 {
			fails--
			return errors.New("store away")
		}
		return nil
	}
	c := smsCampaign()
	p := &SMSPlacer{Journal: j, Sender: SMSSenderFunc(func(context.Context, SMS) (SMSResult, error) { return SMSResult{Status: SMSSent}, nil })}
	res, err := p.Place(ctx, PlaceRequest{Campaign: &c, Record: Record{ID: 4, AccountID: 1, Attempt: 1, Variables: map[string]string{"name": "A", "amount": "1"}}, Number: "+15550004"})
	if err != nil || res.Status != SMSSent {
		t.Fatalf("place: %+v %v", res, err)
	}
	if st := j.status[AttemptID(1, 4, 1)]; st != SMSSent || fails != 0 {
		t.Errorf("attempt %q after the store came back (%d failures left)", st, fails)
	}
}

// TestSMSFailureReason: a send that failed for an internal reason gives
// the record a reason written for the account, not the internal error's
// text; a client error keeps its message.
func TestSMSFailureReason(t *testing.T) {
	c := smsCampaign()
	c.SMSText = "hello"
	for _, tc := range []struct {
		err  error
		want string
	}{
		{errors.New("messaging: screen +15550001: dial tcp 10.0.0.7:5432: connection refused"), "not sent: the SMS service failed"},
		{switchyard.Invalid("to", "not a number"), "not a number"},
	} {
		p := &SMSPlacer{Journal: newMemJournal(), Sender: SMSSenderFunc(func(context.Context, SMS) (SMSResult, error) {
			return SMSResult{}, tc.err
		})}
		res, err := p.Place(ctxT(t), PlaceRequest{Campaign: &c, Record: Record{ID: 1, AccountID: 1, Attempt: 1}, Number: "+15550001"})
		if err != nil || res.Status != SMSFailed || res.Reason != tc.want {
			t.Errorf("%v: %+v, %v; want failed with reason %q", tc.err, res, err, tc.want)
		}
	}
}

// TestSMSUnsureEndsUnknown: a message the gateway may have taken ends its
// attempt failed with SMSUnknownReason, the reason a later delivery
// report turns into sent, and is final.
func TestSMSUnsureEndsUnknown(t *testing.T) {
	c := smsCampaign()
	c.SMSText = "hello"
	for _, answer := range []func() (SMSResult, error){
		func() (SMSResult, error) {
			return SMSResult{Status: SMSFailed, MessageID: 5, Reason: "no answer", Unsure: true}, nil
		},
		func() (SMSResult, error) {
			return SMSResult{Status: "sending", MessageID: 5, Unsure: true}, errors.New("record the outcome: database gone")
		},
	} {
		p := &SMSPlacer{Journal: newMemJournal(), Sender: SMSSenderFunc(func(context.Context, SMS) (SMSResult, error) { return answer() })}
		res, err := p.Place(ctxT(t), PlaceRequest{Campaign: &c, Record: Record{ID: 1, AccountID: 1, Attempt: 1}, Number: "+15550001"})
		if err != nil || res.Status != SMSFailed || res.Reason != SMSUnknownReason || !res.Final {
			t.Errorf("%+v, %v; want failed, final, with the unknown-outcome reason", res, err)
		}
	}
}
