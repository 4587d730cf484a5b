package store

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestGroupedWritesFailAlone: concurrent per-call writes (grouped into
// shared transactions on SQLite) each commit or fail on their own: a
// duplicate attempt id among 200 concurrent starts fails alone, every
// other attempt is stored, and finishes and journeys of all of them land.
func TestGroupedWritesFailAlone(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		dup := uuid.NewString()
		if _, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, AttemptID: dup, Direction: DirectionOutbound, ChannelID: uuid.NewString()}); err != nil {
			t.Fatal(err)
		}
		const n = 200
		ids := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			ids[i] = uuid.NewString()
			if i == n/2 {
				ids[i] = dup
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, AttemptID: ids[i], Direction: DirectionOutbound,
					ChannelID: uuid.NewString(), DNIS: fmt.Sprintf("+1555%07d", i)})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if i == n/2 {
				if !errors.Is(err, ErrConflict) {
					t.Errorf("duplicate attempt id: %v, want ErrConflict", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("start %d: %v", i, err)
			}
		}
		for i := range n {
			if i == n/2 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.FinishAttempt(ctx, ids[i], finish("IVR_FINISHED")); err != nil {
					errs[i] = err
					return
				}
				errs[i] = s.SaveJourney(ctx, acc.ID, ids[i], []byte(`[{"node":"n"}]`))
			}()
		}
		wg.Wait()
		for i := range n {
			if i == n/2 {
				continue
			}
			if errs[i] != nil {
				t.Fatalf("finish %d: %v", i, errs[i])
			}
			a, err := s.GetAttempt(ctx, acc.ID, ids[i])
			if err != nil || a.State != StateFinished || a.Status != "IVR_FINISHED" || a.DNIS != fmt.Sprintf("+1555%07d", i) {
				t.Fatalf("attempt %d: %+v %v", i, a, err)
			}
		}
		// A journey of an unknown attempt fails alone too.
		if err := s.SaveJourney(ctx, acc.ID, uuid.NewString(), []byte(`[]`)); !errors.Is(err, ErrNotFound) {
			t.Errorf("journey of an unknown attempt: %v, want ErrNotFound", err)
		}
	})
}

// TestPipelinedGroups: on PostgreSQL a group of per-call writes is sent as
// pipelined batches; a write among them that needs its full form (an
// answer or a journey of an unknown attempt, an end whose row changed
// behind the store's copy) fails or completes on its own, and every
// other write of the group lands.
func TestPipelinedGroups(t *testing.T) {
	s, _ := openTestStore(t, DriverPostgres)
	ctx := ctxT(t)
	acc := mustAccount(t, s, "acme")
	const n = 100
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound,
				ChannelID: uuid.NewString(), DNIS: fmt.Sprintf("+1555%07d", i)})
			ids[i], errs[i] = a.ID, err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
	}
	before := s.pipedGroups.Load()
	// The row of attempt 0 is answered behind the store's copy.
	if err := s.w.Exec(`UPDATE call_attempts SET answered_at = now() WHERE id = ?`, ids[0]).Error; err != nil {
		t.Fatal(err)
	}
	unknown := make([]error, 2)
	for i := range n {
		wg.Go(func() {
			if i > 0 {
				if errs[i] = s.AnswerAttempt(ctx, ids[i], time.Time{}); errs[i] != nil {
					return
				}
			}
			if errs[i] = s.SaveJourney(ctx, acc.ID, ids[i], []byte(`[{"node":"n"}]`)); errs[i] != nil {
				return
			}
			_, errs[i] = s.FinishAttempt(ctx, ids[i], AttemptEnd{Status: "NOANSWER", IfAnswered: "IVR_FINISHED", FinishReason: "hangup"})
		})
	}
	wg.Go(func() { unknown[0] = s.AnswerAttempt(ctx, uuid.NewString(), time.Time{}) })
	wg.Go(func() { unknown[1] = s.SaveJourney(ctx, acc.ID, uuid.NewString(), []byte(`[]`)) })
	wg.Wait()
	for i, err := range unknown {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("write %d of an unknown attempt: %v, want ErrNotFound", i, err)
		}
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("attempt %d: %v", i, errs[i])
		}
		a, err := s.GetAttempt(ctx, acc.ID, ids[i])
		if err != nil || a.State != StateFinished || a.Status != "IVR_FINISHED" || a.AnsweredAt == nil || a.DNIS != fmt.Sprintf("+1555%07d", i) {
			t.Fatalf("attempt %d: %+v %v", i, a, err)
		}
		if _, err := s.GetJourney(ctx, acc.ID, ids[i]); err != nil {
			t.Fatalf("journey %d: %v", i, err)
		}
	}
	if got := s.pipedGroups.Load() - before; got == 0 {
		t.Error("no group was committed pipelined")
	}
}

// TestLazyWritesLinger: a lazy write (an answer time) waits in its lane
// for others, and a write a dial waits on (an attempt start) arriving in
// the same lane ends the wait: both commit at once, in one group.
func TestLazyWritesLinger(t *testing.T) {
	forEachDriver(t, func(t *testing.T, s *Store) {
		ctx := ctxT(t)
		acc := mustAccount(t, s, "acme")
		s.group.lazyLinger = time.Hour
		a, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, Direction: DirectionOutbound, ChannelID: uuid.NewString()})
		if err != nil {
			t.Fatal(err)
		}
		answered := make(chan error, 1)
		go func() { answered <- s.AnswerAttempt(ctx, a.ID, time.Time{}) }()
		select {
		case err := <-answered:
			t.Fatalf("a lone lazy write did not wait for others: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		// A start in the answer's lane (PostgreSQL has several).
		callID := uuid.NewString()
		for laneKey(callID)%pgLanes != laneKey(a.ID)%pgLanes {
			callID = uuid.NewString()
		}
		started := make(chan error, 1)
		go func() {
			_, err := s.StartAttempt(ctx, AttemptStart{AccountID: acc.ID, CallID: callID, Direction: DirectionOutbound, ChannelID: uuid.NewString()})
			started <- err
		}()
		for _, ch := range []chan error{started, answered} {
			select {
			case err := <-ch:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a start did not end the lazy write's wait")
			}
		}
		got, err := s.GetAttempt(ctx, acc.ID, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.AnsweredAt == nil {
			t.Errorf("answer time not written: %+v", got)
		}
	})
}
