package prompts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/switchyard/switchyard"
	"github.com/switchyard/switchyard/ari"
	"github.com/switchyard/switchyard/store"
)

// Originator places a call on Asterisk (the ari.Manager).
type Originator interface {
	Originate(ctx context.Context, p ari.OriginateParams) (*ari.Call, error)
}

// ErrPhoneOff: recording by phone is not configured (503).
var ErrPhoneOff = switchyard.Sentinel(switchyard.CodeUnavailable, 0, "recording prompts by phone is not available")

// States of a record-by-phone call.
const (
	CallRinging    = "ringing"
	CallRecording  = "recording"
	CallReviewing  = "reviewing"
	CallSaved      = "saved"
	CallNotSaved   = "not_saved"
	CallNoAnswer   = "not_answered"
	CallFailed     = "failed"
	phoneRing      = 45 * time.Second
	phoneSilence   = 5 * time.Second
	phoneMenuWait  = 10 * time.Second
	phoneMenuTries = 3
	phoneTakes     = 5
	callsKept      = time.Hour
)

// The stock Asterisk sounds the call plays: vm-review says "press 1 to
// accept this recording, 2 to listen to it, 3 to re-record your
// message", which is what the digits do.
const (
	soundReview  = "sound:vm-review"
	soundSaved   = "sound:vm-msgsaved"
	soundGoodbye = "sound:goodbye"
	soundError   = "sound:beeperr"
)

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{5,14}$`)

// RecordCall is a record-by-phone call as the console follows it.
type RecordCall struct {
	ID        string    `json:"id"`
	AccountID int64     `json:"-"`
	Name      string    `json:"name"`
	Number    string    `json:"number"`
	State     string    `json:"state"`
	PromptID  int64     `json:"prompt_id,omitempty"`
	Error     string    `json:"error,omitempty"`
	StartedAt time.Time `json:"started_at"`
	EndedAt   time.Time `json:"ended_at,omitzero"`
	tags      []string
	actor     Actor
}

type recordCalls struct {
	mu sync.Mutex
	m  map[string]*RecordCall
}

func (r *recordCalls) put(c *RecordCall) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for id, old := range r.m {
		if !old.EndedAt.IsZero() && time.Since(old.EndedAt) > callsKept {
			delete(r.m, id)
		}
	}
	r.m[c.ID] = c
}

func (r *recordCalls) set(id string, fn func(c *RecordCall)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.m[id]; ok {
		fn(c)
	}
}

func (r *recordCalls) get(accountID int64, id string) (RecordCall, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, ok := r.m[id]
	if !ok || c.AccountID != accountID {
		return RecordCall{}, false
	}
	return *c, true
}

// RecordByPhone rings number (E.164) through the operator's trunk: once
// answered the person hears a beep and speaks (any key or 5 s of silence
// ends the recording), hears the recording back and presses 1 to save
// it, 2 to hear it again or 3 to record again. The saved recording
// becomes the prompt name (with tags), pending approval. It returns once
// the call is placed; RecordCallStatus follows it.
func (s *Service) RecordByPhone(ctx context.Context, actor Actor, name string, tags []string, number string) (RecordCall, error) {
	if s.cfg.Calls == nil || s.cfg.Endpoint == "" {
		return RecordCall{}, ErrPhoneOff.New("", "recording prompts by phone is not configured on this server")
	}
	name, err := ParseName(name)
	if err != nil {
		return RecordCall{}, err
	}
	if tags, err = ParseTags(tags); err != nil {
		return RecordCall{}, err
	}
	number = strings.TrimSpace(number)
	if !e164.MatchString(number) {
		return RecordCall{}, ErrInvalid.New("number", "%q is not a phone number in E.164 form (+ and 6 to 15 digits)", switchyard.Clip(number))
	}
	if _, err := s.cfg.Store.GetPromptByName(ctx, actor.AccountID, name); err == nil {
		return RecordCall{}, store.ErrConflict.New("name", "a prompt named %q already exists in the account", name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return RecordCall{}, fmt.Errorf("prompts: record %q: %w", name, err)
	}
	rc := &RecordCall{AccountID: actor.AccountID, Name: name, Number: number, State: CallRinging, StartedAt: s.cfg.Now().UTC(), tags: tags, actor: actor}
	// The call may be answered or fail before it is registered below: its
	// script and its failure wait until it is (registered is closed
	// whether the originate worked or not).
	registered := make(chan struct{})
	c, err := s.cfg.Calls.Originate(ctx, ari.OriginateParams{
		Endpoint: strings.ReplaceAll(s.cfg.Endpoint, "{number}", number),
		Timeout:  phoneRing,
		Handler: func(ctx context.Context, c *ari.Call) error {
			select {
			case <-registered:
			case <-ctx.Done():
				return ctx.Err()
			}
			return s.recordScript(ctx, c, c.ID)
		},
		Failed: func(c *ari.Call) {
			<-registered
			s.calls.set(c.ID, func(rc *RecordCall) { rc.State, rc.EndedAt = CallNoAnswer, s.cfg.Now().UTC() })
		},
	})
	if err != nil {
		close(registered)
		return RecordCall{}, fmt.Errorf("prompts: call %s to record %q: %w", number, name, err)
	}
	rc.ID = c.ID
	// The answer is the call as registered: from then on its script
	// changes it under the registry's lock.
	placed := *rc
	s.calls.put(rc)
	close(registered)
	s.log.InfoContext(ctx, "record-by-phone call placed", "account_id", actor.AccountID, "name", name, "number", number, "call_id", c.ID)
	return placed, nil
}

// RecordCallStatus returns the account's record-by-phone call (calls of
// the last hour on this node).
func (s *Service) RecordCallStatus(accountID int64, id string) (RecordCall, error) {
	c, ok := s.calls.get(accountID, id)
	if !ok {
		return RecordCall{}, store.ErrNotFound.New("", "no record-by-phone call %s (calls are kept for an hour on the node that placed them)", switchyard.Clip(id))
	}
	return c, nil
}

// recordScript runs on the answered call.
func (s *Service) recordScript(ctx context.Context, c *ari.Call, id string) (err error) {
	var rc RecordCall
	s.calls.set(id, func(r *RecordCall) { rc = *r })
	end := func(state, msg string, promptID int64) {
		s.calls.set(id, func(r *RecordCall) {
			r.State, r.Error, r.PromptID, r.EndedAt = state, msg, promptID, s.cfg.Now().UTC()
		})
	}
	defer func() {
		if err != nil && !errors.Is(err, ari.ErrHangup) {
			end(CallFailed, "the call failed", 0)
		}
		s.calls.set(id, func(r *RecordCall) {
			if r.EndedAt.IsZero() {
				r.State, r.EndedAt = CallNotSaved, s.cfg.Now().UTC()
			}
		})
	}()
	var taken []string
	defer func() {
		// The takes are copied into the database; Asterisk keeps none.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, n := range taken {
			if derr := c.Client().DeleteStoredRecording(cctx, n); derr != nil {
				s.log.WarnContext(cctx, "record-by-phone take not deleted on Asterisk", "recording", n, "err", derr)
			}
		}
	}()
	for take := 0; take < phoneTakes; take++ {
		s.calls.set(id, func(r *RecordCall) { r.State = CallRecording })
		name := "sy-prompt-" + uuid.NewString()
		res, err := c.Record(ctx, ari.RecordOptions{Name: name, Format: "wav", MaxDuration: s.cfg.MaxDuration,
			MaxSilence: phoneSilence, IfExists: "fail", Beep: true, TerminateOn: "any"})
		if res.Name != "" {
			taken = append(taken, res.Name)
		}
		if err != nil {
			return err
		}
		if res.HungUp {
			return nil
		}
		c.FlushDTMF()
		s.calls.set(id, func(r *RecordCall) { r.State = CallReviewing })
		digit, err := s.review(ctx, c, res.Name)
		if err != nil {
			return err
		}
		switch digit {
		case "1":
			p, err := s.savePhoneTake(ctx, c, rc, res.Name)
			if err != nil {
				var ce *switchyard.Error
				msg := "the recording could not be saved"
				if errors.As(err, &ce) {
					msg = ce.Message
				}
				s.log.WarnContext(ctx, "record-by-phone take not saved", "call_id", id, "err", err)
				end(CallFailed, msg, 0)
				_, _ = c.Play(ctx, ari.PlayOptions{}, soundError, soundGoodbye)
				return c.Hangup(ctx, "normal")
			}
			end(CallSaved, "", p.ID)
			_, _ = c.Play(ctx, ari.PlayOptions{}, soundSaved, soundGoodbye)
			return c.Hangup(ctx, "normal")
		case "3":
			continue
		default: // no choice made
			end(CallNotSaved, "no key was pressed to save the recording", 0)
			_, _ = c.Play(ctx, ari.PlayOptions{}, soundGoodbye)
			return c.Hangup(ctx, "normal")
		}
	}
	end(CallNotSaved, fmt.Sprintf("recorded %d times without saving", phoneTakes), 0)
	_, _ = c.Play(ctx, ari.PlayOptions{}, soundGoodbye)
	return c.Hangup(ctx, "normal")
}

// review plays the take back with the menu until the person presses 1
// (save) or 3 (record again); 2 plays it again. "" after the menu was
// offered phoneMenuTries times without a choice.
func (s *Service) review(ctx context.Context, c *ari.Call, take string) (string, error) {
	for try := 0; try < phoneMenuTries; {
		g, err := c.Gather(ctx, ari.GatherOptions{Min: 1, Max: 1, FirstDigit: phoneMenuWait,
			Prompt: []string{"recording:" + take, soundReview}})
		if err != nil {
			return "", err
		}
		switch g.Digits {
		case "1", "3":
			return g.Digits, nil
		case "2":
			continue // listen again: not a failed try
		}
		try++
	}
	return "", nil
}

// savePhoneTake copies the take from Asterisk, converts it like an upload
// and stores it as the prompt.
func (s *Service) savePhoneTake(ctx context.Context, c *ari.Call, rc RecordCall, take string) (store.Prompt, error) {
	body, _, err := c.Client().StoredRecordingFile(ctx, take)
	if err != nil {
		return store.Prompt{}, fmt.Errorf("prompts: fetch take %s: %w", take, err)
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, s.cfg.MaxBytes+1))
	if err != nil {
		return store.Prompt{}, fmt.Errorf("prompts: fetch take %s: %w", take, err)
	}
	wav, d, err := s.conv.Convert(ctx, data)
	if err != nil {
		return store.Prompt{}, err
	}
	return s.store(ctx, rc.actor, store.Prompt{Name: rc.Name, Tags: rc.tags, Source: SourcePhone}, wav, d)
}
